/**
 * The waiting interface: what the object layer needs from a scheduler so that `object_wait`
 * can block a thread and wake it later, without this package importing `@osbricks/sched`.
 *
 * A system call `object_wait(handle, mask, deadline)` goes through three parties:
 *
 * ```
 *  program (generator)        kernel trap loop                  objects (this package)      WaitHost (sched)
 *  yield sys.wait(h, m, d) ──▶ lookup(h, WAIT) ──▶ objectWait(host, tid, obj, m, d)
 *                                                   ├─ satisfied now ──▶ { kind: "satisfied", ... }   resume at once
 *                                                   └─ otherwise ─────▶ { kind: "blocked", ticket }
 *                              block thread tid                         host.schedule(d, fire)  ──▶  timer queue
 *          ...later: assertSignals(m) on obj, or obj.kill(), or the deadline passes, or cancelWait(ticket)...
 *                                                   completes the wait exactly once ──▶ host.wake(tid, result)
 *  resumed with result    ◀── make tid runnable ◀──────────────────────────────────────────────┘
 * ```
 *
 * The rule the host relies on: **every wait that returned `blocked` completes exactly once**,
 * either through `host.wake` (satisfied, timed-out, object-dead) or through the return value of
 * `cancelWait` (cancelled; no `wake` call then, the canceller already knows). A host therefore
 * never sees a lost wake-up nor a double one. `wake` is called synchronously from inside
 * `assertSignals`, `kill` or the timer callback: it should only mark the thread runnable (and
 * stash the result for the generator's next resumption), never call back into the object.
 *
 * Related: `wait/wait.ts` (objectWait, objectWaitMany, cancelWait), `wait/simulated-host.ts` (a
 * ready-made host with a simulated clock, for tests and for kernels without a scheduler).
 */
import type { Cycles, Signals } from "../api.js";

/** Identity of whoever waits: a thread id in a kernel, any integer the host chooses. */
export type WaiterId = number;

/** A timer registration returned by {@link WaitHost.schedule}, opaque to the object layer. */
export type TimerId = number;

/**
 * How a wait ended. `observed[i]` is the signal set of the i-th waited object at the moment the
 * wait completed (one entry for `objectWait`), and `index` names the object that ended it.
 *
 * - `satisfied`: object `index` has at least one signal of its mask asserted.
 * - `object-dead`: object `index` died (see `KernelObject.kill`) without satisfying its mask.
 * - `timed-out`: the deadline passed first.
 * - `cancelled`: `cancelWait` ended it (thread killed, handle closed, ...).
 */
export type WaitResult =
  | { readonly kind: "satisfied"; readonly index: number; readonly observed: readonly Signals[] }
  | { readonly kind: "object-dead"; readonly index: number; readonly observed: readonly Signals[] }
  | { readonly kind: "timed-out"; readonly observed: readonly Signals[] }
  | { readonly kind: "cancelled"; readonly observed: readonly Signals[] };

/** The `kind` of a {@link WaitResult}. */
export type WaitOutcome = WaitResult["kind"];

/**
 * The services a scheduler provides to the object layer: simulated time, one-shot timers, and
 * waking a blocked waiter with its result.
 *
 * @example
 * ```ts
 * // The smallest useful host: a clock the test advances by hand (SimulatedWaitHost does this).
 * let clock = 0;
 * const timers: ({ deadline: number; fire: () => void } | undefined)[] = [];
 * const runnable: number[] = [];
 * const results = new Map<number, WaitResult>();
 * const host: WaitHost = {
 *   now: () => clock,
 *   schedule: (deadline, fire) => timers.push({ deadline, fire }) - 1,
 *   cancelTimer: (id) => { timers[id] = undefined; },
 *   wake: (tid, result) => { runnable.push(tid); results.set(tid, result); },
 * };
 * ```
 */
export interface WaitHost {
  /** The current simulated time in cycles; never decreases. */
  now(): Cycles;
  /**
   * Call `fire` once when simulated time reaches `deadline` (at the next timer tick at or after
   * it). Called only with `deadline > now()`.
   * @returns an id that {@link WaitHost.cancelTimer} accepts.
   */
  schedule(deadline: Cycles, fire: () => void): TimerId;
  /** Forget a timer that has not fired. The object layer never cancels a timer twice or after it fired. */
  cancelTimer(timer: TimerId): void;
  /**
   * A blocked wait of `waiter` completed with `result`. Called exactly once per blocked wait that
   * was not ended by `cancelWait`. Must not call back into the object layer synchronously.
   */
  wake(waiter: WaiterId, result: WaitResult): void;
}
