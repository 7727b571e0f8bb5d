/**
 * The bridge from `@osbricks/objects`' waiting interface to this scheduler: a {@link WaitHost}
 * whose `wake` makes a blocked thread ready, whose timers run on the scheduler's simulated clock,
 * and which remembers each thread's {@link WaitResult} until the kernel resumes it.
 *
 * ```
 *   kernel: r = objectWait(host, tid, obj, mask, deadline)
 *           r.kind === "blocked"  →  host.block(tid, "port 3", () => cancelWait(r.ticket))
 *   later:  obj.assertSignals(m)  →  host.wake(tid, result)  →  scheduler.wake(tid)   (ready)
 *   resume: host.takeResult(tid)  →  the value the thread's generator is resumed with
 * ```
 *
 * Timers: `schedule(deadline, fire)` keeps one-shot callbacks ordered by (deadline, order of
 * scheduling). `advanceTo(t)` is the timer interrupt: it moves the clock to each due deadline in
 * turn — sleep timers of the scheduler and object-wait timers interleaved by deadline, sleepers
 * first on a tie — and fires them, so `now()` reads the deadline while a timer fires.
 *
 * A wake-up that arrives before the kernel has blocked the thread (the thread is still running)
 * is kept as an early result, and the following `block` returns without blocking. The object
 * layer guarantees one completion per blocked wait, so a second result for the same thread is a
 * broken invariant and throws.
 */
import type { TimerId, WaiterId, WaitHost, WaitResult } from "@osbricks/objects";
import type { Cycles, ThreadId } from "../api.js";
import { DuplicateThreadError, InvalidArgumentError, UnknownThreadError } from "../errors.js";
import type { Scheduler } from "../smp/scheduler.js";
import { ManualClock } from "./timers.js";

interface CallbackTimer {
  readonly id: TimerId;
  readonly deadline: Cycles;
  readonly fire: () => void;
}

/**
 * A {@link WaitHost} over a {@link Scheduler} whose clock is a {@link ManualClock}.
 * @example
 * ```ts
 * const sched = new Scheduler({ policy: () => new RoundRobinPolicy() });
 * const host = new ObjectWaitHost(sched);
 * // objectWait(host, tid, object, mask, deadline) from @osbricks/objects blocks through it
 * ```
 */
export class ObjectWaitHost implements WaitHost {
  private readonly clock: ManualClock;
  private readonly timers: CallbackTimer[] = [];
  private readonly results = new Map<ThreadId, WaitResult>();
  private readonly blockedHere = new Set<ThreadId>();
  private nextTimer = 1;

  /**
   * @param sched - the scheduler whose threads wait.
   * @throws InvalidArgumentError when the scheduler's clock is not a {@link ManualClock} (the host
   *   must move time to each deadline as it fires timers).
   */
  constructor(private readonly sched: Scheduler) {
    if (!(sched.clock instanceof ManualClock))
      throw new InvalidArgumentError("ObjectWaitHost: the scheduler's clock must be a ManualClock");
    this.clock = sched.clock;
  }

  /** Current simulated time. */
  now(): Cycles {
    return this.clock.now();
  }

  /**
   * Run `fire` when the clock reaches `deadline`.
   * @throws InvalidArgumentError when `deadline` is not after now.
   */
  schedule(deadline: Cycles, fire: () => void): TimerId {
    if (!(deadline > this.clock.now()))
      throw new InvalidArgumentError(
        `ObjectWaitHost.schedule(${deadline}): not after now=${this.clock.now()}`,
      );
    const t: CallbackTimer = { id: this.nextTimer++, deadline, fire };
    let i = this.timers.length;
    while (i > 0 && this.timers[i - 1]!.deadline > deadline) i--;
    this.timers.splice(i, 0, t);
    return t.id;
  }

  /** Forget a timer that has not fired. @throws InvalidArgumentError for an unknown timer. */
  cancelTimer(timer: TimerId): void {
    const i = this.timers.findIndex((t) => t.id === timer);
    if (i < 0) throw new InvalidArgumentError(`ObjectWaitHost.cancelTimer(${timer}): no such pending timer`);
    this.timers.splice(i, 1);
  }

  /**
   * A wait of `waiter` completed: keep the result and make the thread ready if it is blocked
   * here; if it is still running, keep the result for its coming `block`.
   * @throws UnknownThreadError for an id the scheduler never created; DuplicateThreadError when
   *   a result is already waiting to be taken (two completions of one wait).
   */
  wake(waiter: WaiterId, result: WaitResult): void {
    const tid = waiter as ThreadId;
    this.sched.info(tid); // throws UnknownThreadError
    if (this.results.has(tid))
      throw new DuplicateThreadError(`ObjectWaitHost.wake(tid=${tid}): a result is already pending`);
    this.results.set(tid, result);
    if (this.blockedHere.delete(tid)) this.sched.wake(tid);
  }

  /**
   * Block the running thread `tid` on an object wait that returned `blocked`, unless its result
   * already arrived.
   * @param on - what it waits on, for the block reason (e.g. `"channel 4"`).
   * @param cancel - called if the thread is killed while blocked (typically `() => cancelWait(ticket)`).
   * @returns true if the thread blocked, false if the result was already there.
   */
  block(tid: ThreadId, on: string, cancel?: () => void): boolean {
    if (this.results.has(tid)) return false;
    // The hook runs on any exit from blocked; only a kill (the wait still pending) cancels it.
    this.sched.block(tid, { kind: "object", on }, () => {
      if (this.blockedHere.delete(tid)) cancel?.();
    });
    this.blockedHere.add(tid);
    return true;
  }

  /**
   * Take the result of `tid`'s completed wait (once).
   * @throws UnknownThreadError when there is none.
   */
  takeResult(tid: ThreadId): WaitResult {
    const r = this.results.get(tid);
    if (r === undefined)
      throw new UnknownThreadError(`ObjectWaitHost.takeResult(tid=${tid}): no completed wait`);
    this.results.delete(tid);
    return r;
  }

  /** Whether `tid` has a result waiting to be taken. */
  hasResult(tid: ThreadId): boolean {
    return this.results.has(tid);
  }

  /** Number of pending object-wait timers. */
  get pendingTimers(): number {
    return this.timers.length;
  }

  /**
   * The timer interrupt: move the clock to `time`, firing on the way, in deadline order, every
   * scheduler sleep timer and object-wait timer that falls due (sleepers first on a tie).
   * @throws InvalidArgumentError when `time` is before now.
   */
  advanceTo(time: Cycles): void {
    if (!(time >= this.clock.now()))
      throw new InvalidArgumentError(`ObjectWaitHost.advanceTo(${time}): before now=${this.clock.now()}`);
    for (;;) {
      const nextObj = this.timers[0]?.deadline ?? Number.POSITIVE_INFINITY;
      const next = Math.min(nextObj, this.sched.timers.nextDeadline());
      if (next > time) break;
      if (next > this.clock.now()) this.clock.advance(next - this.clock.now());
      this.sched.runTimers();
      while (this.timers.length > 0 && this.timers[0]!.deadline <= this.clock.now())
        this.timers.shift()!.fire();
    }
    this.clock.advance(time - this.clock.now());
  }
}
