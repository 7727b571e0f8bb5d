/**
 * Wait queues: the list of threads blocked until an event, as Linux's `wait_queue_head_t`.
 *
 * A waiter is *exclusive* (it consumes the event: an accept(2), a lock handoff) or not (every
 * non-exclusive waiter wants to see the event: a poll, a condition broadcast). Linux adds
 * non-exclusive waiters at the head and exclusive ones at the tail (`add_wait_queue` versus
 * `add_wait_queue_exclusive`), and `__wake_up(q, mode, nr_exclusive)` walks from the head waking
 * everyone until it has woken nr_exclusive exclusive waiters — so one wake-up never causes a
 * thundering herd of exclusive waiters. `nr_exclusive = 0` means no limit: `__wake_up_common`
 * stops on `!--nr_exclusive`, which a count that starts at 0 never reaches, and `wake_up_all` is
 * `__wake_up(q, TASK_NORMAL, 0, NULL)`. `wake(n)` here means exactly that.
 *
 * ```
 *   head → [n3] [n1] [x1] [x2] [x3] ← tail        (n: non-exclusive, x: exclusive)
 *   wake(1) = wakeOne()   wakes n3, n1, x1       leaves [x2] [x3]
 *   wake(2)               wakes n3, n1, x1, x2   leaves [x3]
 *   wake(0) = wakeAll()   wakes everyone (0 = no limit, as Linux's nr_exclusive)
 * ```
 *
 * The queue blocks and wakes through a {@link ThreadBlocker} (the {@link Scheduler}), and registers
 * a cancel hook so a waiter that is killed disappears from the queue. Invariant: a thread is in
 * the list at most once, and exactly while it is blocked on this queue.
 */
import type { ThreadBlocker, ThreadId } from "../api.js";
import { DuplicateThreadError, InvalidArgumentError, InvariantError, UnknownThreadError } from "../errors.js";

/** Options of {@link WaitQueue.wait}. */
export interface WaitOptions {
  /** An exclusive waiter consumes a wake-one. Default false. */
  readonly exclusive?: boolean;
}

interface Waiter {
  readonly tid: ThreadId;
  readonly exclusive: boolean;
}

/**
 * A named wait queue over a {@link ThreadBlocker}.
 * @example
 * ```ts
 * const sched = new Scheduler({ policy: () => new RoundRobinPolicy() });
 * const q = new WaitQueue(sched, "disk0");
 * const t = sched.spawn(); sched.start(t); sched.schedule(cpuId(0));
 * q.wait(t);        // t blocked on disk0
 * q.wakeOne();      // → [t], t ready again
 * ```
 */
export class WaitQueue {
  private readonly list: Waiter[] = [];

  /**
   * @param blocker - blocks and wakes threads (usually the {@link Scheduler}).
   * @param name - shown in block reasons and traces.
   */
  constructor(
    private readonly blocker: ThreadBlocker,
    readonly name: string,
  ) {}

  /** Number of waiters. */
  get size(): number {
    return this.list.length;
  }

  /** Waiting threads from head to tail. */
  waiters(): ThreadId[] {
    return this.list.map((w) => w.tid);
  }

  /** Whether `tid` waits here. */
  has(tid: ThreadId): boolean {
    return this.list.some((w) => w.tid === tid);
  }

  /**
   * Block the running thread `tid` on this queue.
   * @throws DuplicateThreadError if it already waits here; whatever the blocker throws (the
   *   thread is not running, unknown) — the queue is unchanged then.
   */
  wait(tid: ThreadId, options: WaitOptions = {}): void {
    if (this.has(tid))
      throw new DuplicateThreadError(`WaitQueue(${this.name}).wait(tid=${tid}): already waiting here`);
    const exclusive = options.exclusive ?? false;
    this.blocker.block(tid, { kind: "wait-queue", on: this.name }, () => this.unlink(tid));
    const w: Waiter = { tid, exclusive };
    if (exclusive) this.list.push(w);
    else this.list.unshift(w);
  }

  /**
   * Linux's `__wake_up(q, TASK_NORMAL, nr_exclusive)`: wake waiters from the head, every
   * non-exclusive one met, until `nrExclusive` exclusive waiters have been woken.
   *
   * **`nrExclusive = 0` means no limit** (everyone is woken, exclusive waiters included), exactly
   * as Linux's `nr_exclusive = 0` — it is not "wake no exclusive waiter". `Infinity` means the
   * same. There is deliberately no call that wakes only the non-exclusive waiters, since Linux
   * has none either.
   * @param nrExclusive - how many exclusive waiters to wake: 1, 2, …; 0 or Infinity for all.
   * @returns the woken threads, in wake order (head first).
   * @throws InvalidArgumentError unless `nrExclusive` is a whole number ≥ 0 or +Infinity (a
   *   fraction would wake one exclusive waiter more than its floor); nobody is woken then.
   * @example
   * ```ts
   * // queue: [n1] [x1] [x2]
   * q.wake(1); // → [n1, x1]
   * q.wake(0); // → [x2]: 0 is "no limit", as in Linux
   * ```
   */
  wake(nrExclusive: number): ThreadId[] {
    if (!(Number.isInteger(nrExclusive) || nrExclusive === Number.POSITIVE_INFINITY) || nrExclusive < 0)
      throw new InvalidArgumentError(
        `WaitQueue(${this.name}).wake(${nrExclusive}): must be a whole number ≥ 0 (0 = no limit) or Infinity`,
      );
    const woken: ThreadId[] = [];
    // Linux counts down and stops on `!--nr_exclusive`; 0 never reaches it. Same here.
    let exclusiveLeft = nrExclusive === 0 ? Number.POSITIVE_INFINITY : nrExclusive;
    while (this.list.length > 0) {
      const w = this.list[0]!;
      if (w.exclusive && exclusiveLeft === 0) break;
      this.list.shift();
      this.blocker.wake(w.tid);
      woken.push(w.tid);
      if (w.exclusive) exclusiveLeft--;
    }
    return woken;
  }

  /** Wake the non-exclusive waiters and one exclusive waiter (Linux `wake_up`). */
  wakeOne(): ThreadId[] {
    return this.wake(1);
  }

  /** Wake everybody (Linux `wake_up_all`, which is `__wake_up(q, TASK_NORMAL, 0)`). */
  wakeAll(): ThreadId[] {
    return this.wake(0);
  }

  /**
   * Remove `tid` without waking it (it was killed, or its wait timed out elsewhere). The
   * scheduler calls this through the cancel hook; direct use is for timeouts.
   * @throws UnknownThreadError if it does not wait here.
   */
  remove(tid: ThreadId): void {
    if (!this.has(tid))
      throw new UnknownThreadError(`WaitQueue(${this.name}).remove(tid=${tid}): not waiting here`);
    this.unlink(tid);
  }

  /** Throws InvariantError if a thread is listed twice or exclusive waiters precede non-exclusive ones. */
  checkInvariants(): void {
    const seen = new Set<ThreadId>();
    let sawExclusive = false;
    for (const w of this.list) {
      if (seen.has(w.tid)) throw new InvariantError(`WaitQueue(${this.name}): tid=${w.tid} listed twice`);
      seen.add(w.tid);
      if (w.exclusive) sawExclusive = true;
      else if (sawExclusive)
        throw new InvariantError(
          `WaitQueue(${this.name}): non-exclusive tid=${w.tid} behind an exclusive waiter`,
        );
    }
  }

  private unlink(tid: ThreadId): void {
    const i = this.list.findIndex((w) => w.tid === tid);
    if (i >= 0) this.list.splice(i, 1);
  }
}
