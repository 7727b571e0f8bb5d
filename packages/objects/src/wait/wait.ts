/**
 * object_wait and object_wait_many: wait until an object shows any signal of a mask, or one of
 * several objects does, with a deadline in simulated cycles.
 *
 * A wait either completes at once or blocks; nothing in between:
 *
 * ```
 *   objectWaitMany(host, tid, items, deadline)
 *     1. some item's signals ∩ mask ≠ ∅  → { kind: "satisfied", index: first such item }
 *     2. else some item's object is dead  → { kind: "object-dead", index }
 *     3. else deadline ≤ host.now()       → { kind: "timed-out" }        (deadline 0 = poll)
 *     4. else register: retain every object, add one observer per item, host.schedule(deadline)
 *                                         → { kind: "blocked", ticket }
 *   later, exactly one of: a mask satisfied │ an object killed │ the timer │ cancelWait(ticket)
 *     → unregister every observer, cancel the timer, release the objects, then
 *       host.wake(tid, result)   (or, for cancelWait, the result is returned instead)
 * ```
 *
 * Why no wake-up is lost: signals are state, and step 1 reads the state after the caller's lookup
 * and before registering, within one simulated instant (the trap is atomic: no other thread runs
 * between the check and the registration). Why none is doubled: a ticket completes once; the
 * first completion unregisters everything else. Why objects cannot vanish under a waiter: the
 * ticket holds a reference to each object while blocked (jsix wakes blocked threads from its
 * kobject destructor instead; a reference makes that case impossible rather than handled).
 *
 * Related: `wait/api.ts` (WaitHost, WaitResult), `object/kernel-object.ts` (observers),
 * `wait/simulated-host.ts`.
 */
import type { Cycles, Koid, Signals } from "../api.js";
import { InvalidArgumentError, LifeCycleError } from "../errors.js";
import type { KernelObject, SignalObserver } from "../object/kernel-object.js";
import { checkBitSet } from "../rights/rights.js";
import type { TimerId, WaiterId, WaitHost, WaitOutcome, WaitResult } from "./api.js";

/** One object and the signals awaited on it. */
export interface WaitItem {
  readonly object: KernelObject;
  /** Any of these signals satisfies the wait. 0 never does (only the deadline or a cancel ends it). */
  readonly mask: Signals;
}

/** What `objectWait` / `objectWaitMany` return: a final result, or a ticket for a blocked wait. */
export type WaitStart = WaitResult | { readonly kind: "blocked"; readonly ticket: WaitTicket };

/** Most items one wait may name (Zircon and jsix both bound wait_many; 64 is Zircon's bound). */
export const MAX_WAIT_ITEMS = 64;

/** A blocked wait. Completes exactly once; {@link cancelWait} ends it early. */
export class WaitTicket {
  /** Who waits. */
  readonly waiter: WaiterId;
  /** What it waits for. */
  readonly items: readonly WaitItem[];
  private readonly host: WaitHost;
  private readonly observers: SignalObserver[];
  private timer: TimerId | null = null;
  private outcome: WaitResult | null = null;

  /** @internal Built by {@link objectWaitMany} once it decided to block. */
  constructor(host: WaitHost, waiter: WaiterId, items: readonly WaitItem[], deadline: Cycles | null) {
    this.host = host;
    this.waiter = waiter;
    this.items = items;
    this.observers = items.map((item, index) => ({
      mask: item.mask,
      signalled: () => this.finish("satisfied", index),
      died: () => this.finish("object-dead", index),
    }));
    items.forEach((item, i) => {
      item.object.retain();
      item.object.addObserver(this.observers[i]!);
    });
    if (deadline !== null) this.timer = host.schedule(deadline, () => this.finish("timed-out", -1));
    items[0]!.object.space.tracer?.emit({
      type: "wait.blocked",
      waiter,
      koids: items.map((i) => i.object.koid) as Koid[],
    });
  }

  /** Whether the wait is still blocked. */
  get pending(): boolean {
    return this.outcome === null;
  }

  /** The result once completed, else `null`. */
  get result(): WaitResult | null {
    return this.outcome;
  }

  /** @internal Complete the wait; later calls do nothing. */
  finish(kind: WaitOutcome, index: number): WaitResult | null {
    if (this.outcome !== null) return null;
    const observed = this.items.map((i) => i.object.signals);
    const result: WaitResult =
      kind === "satisfied" || kind === "object-dead" ? { kind, index, observed } : { kind, observed };
    this.outcome = result;
    this.items.forEach((item, i) => {
      item.object.removeObserver(this.observers[i]!);
    });
    if (this.timer !== null && kind !== "timed-out") this.host.cancelTimer(this.timer);
    this.timer = null;
    const tracer = this.items[0]!.object.space.tracer;
    for (const item of this.items) item.object.release();
    tracer?.emit({ type: "wait.completed", waiter: this.waiter, kind });
    if (kind !== "cancelled") this.host.wake(this.waiter, result);
    return result;
  }
}

/**
 * Wait for any signal of `mask` on `object` (jsix `object_wait`, Zircon `object_wait_one`).
 * Same as {@link objectWaitMany} with one item.
 *
 * @example
 * ```ts
 * // host: the scheduler's WaitHost; tid: the calling thread; channel: a KernelObject it looked up
 * const start = objectWait(host, tid, channel, READABLE | Signal.PEER_CLOSED, host.now() + 1000);
 * if (start.kind === "blocked") scheduler.block(tid);       // host.wake(tid, result) comes later
 * else resume(tid, start);                                  // satisfied, object-dead or timed-out now
 * ```
 */
export function objectWait(
  host: WaitHost,
  waiter: WaiterId,
  object: KernelObject,
  mask: Signals,
  deadline: Cycles | null,
): WaitStart {
  return objectWaitMany(host, waiter, [{ object, mask }], deadline);
}

/**
 * Wait until any item's object shows a signal of its mask (jsix `object_wait_many`, Zircon
 * `object_wait_many`). See the file banner for the decision order.
 *
 * @param deadline absolute simulated time in cycles, or `null` to wait without a deadline.
 * @throws InvalidArgumentError for no items or more than {@link MAX_WAIT_ITEMS}, a mask that is
 *   not a 31-bit set, or a deadline that is not a non-negative number.
 * @throws LifeCycleError when an object is destroyed (the kernel kept a pointer past its life).
 */
export function objectWaitMany(
  host: WaitHost,
  waiter: WaiterId,
  items: readonly WaitItem[],
  deadline: Cycles | null,
): WaitStart {
  const call = `objectWaitMany(waiter=${waiter}, ${items.length} items, deadline=${deadline})`;
  if (items.length === 0 || items.length > MAX_WAIT_ITEMS) {
    throw new InvalidArgumentError(`${call}: expected 1..${MAX_WAIT_ITEMS} items`);
  }
  if (deadline !== null && (Number.isNaN(deadline) || deadline < 0)) {
    throw new InvalidArgumentError(`${call}: the deadline is not a time ≥ 0 (use null for none)`);
  }
  for (const item of items) {
    checkBitSet(call, "mask", item.mask);
    if (item.object.state === "destroyed") throw new LifeCycleError(`${call}: ${item.object} is destroyed`);
  }
  const observed = (): Signals[] => items.map((i) => i.object.signals);
  const satisfied = items.findIndex((i) => (i.object.signals & i.mask) !== 0);
  if (satisfied >= 0) return { kind: "satisfied", index: satisfied, observed: observed() };
  const dead = items.findIndex((i) => i.object.state !== "alive");
  if (dead >= 0) return { kind: "object-dead", index: dead, observed: observed() };
  if (deadline !== null && deadline <= host.now()) return { kind: "timed-out", observed: observed() };
  return { kind: "blocked", ticket: new WaitTicket(host, waiter, items, deadline) };
}

/**
 * End a blocked wait early (the waiting thread is killed, the handle it waited through closed).
 * The host's `wake` is *not* called: the result is returned to the canceller instead.
 *
 * @returns the `cancelled` result, or `null` when the wait had already completed (then its one
 *   completion already went to `host.wake`).
 */
export function cancelWait(ticket: WaitTicket): WaitResult | null {
  return ticket.finish("cancelled", -1);
}
