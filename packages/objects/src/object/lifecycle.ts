/**
 * The life cycle of a kernel object, with every legal transition in one table (Zircon keeps its
 * `LifeCycleState` the same way): nothing else in the package assigns a state.
 *
 * ```
 *              kill()                       last handle closed and last reference released
 *   alive ────────────────▶ dead ──────────────────────────────────────────────▶ destroyed
 *     │   onDead hooks,       │  handles may still exist: a thread that exited,   onDestroy hooks
 *     │   waiters that are    │  a channel whose owner closed it. Waits on it     run exactly once;
 *     │   not satisfied end   │  end "object-dead" unless their mask is already   quota refunded;
 *     │   "object-dead"       │  satisfied (waiting for "terminated" still works) koid retired
 *     │                       │
 *     └── last handle and last reference gone while alive: "kill" then "reap" ──▶ destroyed
 * ```
 *
 * Invariants: states only move rightwards; `destroyed` is final; an object is destroyed exactly
 * when its handle count and its reference count are both zero after a release (a freshly built
 * object with no handles yet is alive, not destroyed).
 *
 * Related: `object/kernel-object.ts` (applies the transitions and runs the hooks).
 */
import { LifeCycleError } from "../errors.js";

/** The states of a kernel object's life cycle. */
export type LifeState = "alive" | "dead" | "destroyed";

/** What can happen to a kernel object: `kill` makes it dead, `reap` destroys a dead object. */
export type LifeEvent = "kill" | "reap";

const TRANSITIONS: Readonly<Record<LifeState, Readonly<Partial<Record<LifeEvent, LifeState>>>>> = {
  alive: { kill: "dead" },
  dead: { reap: "destroyed" },
  destroyed: {},
};

/**
 * The state after `event` happens in `state`, or `undefined` when the move is illegal:
 * {@link lifeTransition} without the message, for hot paths that name the object only when they
 * throw (`nextLifeState(s, "kill") ?? lifeTransition(s, "kill", \`${obj}.kill\`)`).
 *
 * @example
 * ```ts
 * nextLifeState("alive", "kill"); // "dead"
 * nextLifeState("dead", "kill");  // undefined
 * ```
 */
export function nextLifeState(state: LifeState, event: LifeEvent): LifeState | undefined {
  return TRANSITIONS[state][event];
}

/**
 * The state after `event` happens in `state`.
 *
 * @throws LifeCycleError naming the object, the state and the event for an illegal move (killing
 *   a dead object, reaping a live one, anything on a destroyed one).
 * @example
 * ```ts
 * lifeTransition("alive", "kill", "koid 7"); // "dead"
 * try {
 *   lifeTransition("dead", "kill", "koid 7");
 * } catch (e) {
 *   // LifeCycleError: koid 7: cannot kill an object that is dead
 * }
 * ```
 */
export function lifeTransition(state: LifeState, event: LifeEvent, who: string): LifeState {
  const next = nextLifeState(state, event);
  if (next === undefined) {
    throw new LifeCycleError(`${who}: cannot ${event} an object that is ${state}`);
  }
  return next;
}
