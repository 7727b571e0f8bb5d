/**
 * Sleep timers: threads waiting for a deadline in simulated cycles, kept in a binary min-heap
 * ordered by (deadline, arming sequence). Expiry hands them back earliest first; two timers with
 * the same deadline fire in the order they were armed, so runs are deterministic.
 *
 * ```
 *   armed: A@50 (seq 0), B@20 (seq 1), C@50 (seq 2)       heap root: B@20
 *   expire(now = 50) → [B, A, C]                           expire(now = 19) → []
 * ```
 *
 * At most one timer per thread (a sleeping thread cannot arm another). Cancelling is O(n) — it
 * happens only when a sleeper is killed. Invariants: heap order; `index` maps each armed thread
 * to exactly one heap slot.
 */
import type { Cycles, ThreadId } from "../api.js";
import { DuplicateThreadError, InvalidArgumentError, InvariantError, UnknownThreadError } from "../errors.js";

interface Timer {
  readonly tid: ThreadId;
  readonly deadline: Cycles;
  readonly seq: number;
}

function before(a: Timer, b: Timer): boolean {
  return a.deadline < b.deadline || (a.deadline === b.deadline && a.seq < b.seq);
}

/**
 * Deadline-ordered sleep timers.
 * @example
 * ```ts
 * const tq = new TimerQueue();
 * tq.arm(threadId(1), 50); tq.arm(threadId(2), 20);
 * tq.expire(30); // → [2]
 * ```
 */
export class TimerQueue {
  private readonly heap: Timer[] = [];
  private readonly armed = new Set<ThreadId>();
  private seq = 0;

  /** Number of armed timers. */
  get size(): number {
    return this.heap.length;
  }

  /** Earliest deadline, or +Infinity when none is armed. */
  nextDeadline(): Cycles {
    return this.heap[0]?.deadline ?? Number.POSITIVE_INFINITY;
  }

  /** Whether `tid` has an armed timer. */
  has(tid: ThreadId): boolean {
    return this.armed.has(tid);
  }

  /**
   * Arm a timer for `tid` at `deadline`.
   * @throws DuplicateThreadError if `tid` already has one; InvalidArgumentError if the deadline is
   *   negative or not finite.
   */
  arm(tid: ThreadId, deadline: Cycles): void {
    if (this.armed.has(tid))
      throw new DuplicateThreadError(`TimerQueue.arm(tid=${tid}, ${deadline}): thread already has a timer`);
    if (!Number.isFinite(deadline) || deadline < 0)
      throw new InvalidArgumentError(
        `TimerQueue.arm(tid=${tid}, ${deadline}): deadline must be a finite number ≥ 0`,
      );
    this.armed.add(tid);
    this.heap.push({ tid, deadline, seq: this.seq++ });
    this.up(this.heap.length - 1);
  }

  /**
   * Disarm `tid`'s timer.
   * @throws UnknownThreadError if it has none.
   */
  cancel(tid: ThreadId): void {
    if (!this.armed.has(tid)) throw new UnknownThreadError(`TimerQueue.cancel(tid=${tid}): no timer armed`);
    const i = this.heap.findIndex((t) => t.tid === tid);
    const last = this.heap.pop()!;
    this.armed.delete(tid);
    if (i < this.heap.length) {
      this.heap[i] = last;
      this.up(i);
      this.down(this.heap.indexOf(last));
    }
  }

  /** Remove and return every thread whose deadline is ≤ `now`, earliest (then first armed) first. */
  expire(now: Cycles): ThreadId[] {
    const out: ThreadId[] = [];
    while (this.heap.length > 0 && this.heap[0]!.deadline <= now) {
      const top = this.heap[0]!;
      const last = this.heap.pop()!;
      if (this.heap.length > 0) {
        this.heap[0] = last;
        this.down(0);
      }
      this.armed.delete(top.tid);
      out.push(top.tid);
    }
    return out;
  }

  /** Armed timers in firing order (a copy). */
  pending(): Array<{ tid: ThreadId; deadline: Cycles }> {
    return [...this.heap]
      .sort((a, b) => (before(a, b) ? -1 : 1))
      .map((t) => ({ tid: t.tid, deadline: t.deadline }));
  }

  /** Throws InvariantError on a heap-order or bookkeeping violation. */
  checkInvariants(): void {
    for (let i = 1; i < this.heap.length; i++) {
      const p = (i - 1) >> 1;
      if (before(this.heap[i]!, this.heap[p]!)) {
        throw new InvariantError(
          `TimerQueue: slot ${i} (tid=${this.heap[i]!.tid}@${this.heap[i]!.deadline}) fires before its parent ${p}`,
        );
      }
    }
    if (this.armed.size !== this.heap.length)
      throw new InvariantError(`TimerQueue: ${this.armed.size} armed threads, ${this.heap.length} timers`);
    for (const t of this.heap)
      if (!this.armed.has(t.tid))
        throw new InvariantError(`TimerQueue: timer of tid=${t.tid} not recorded as armed`);
  }

  private up(i: number): void {
    const h = this.heap;
    const x = h[i]!;
    while (i > 0) {
      const p = (i - 1) >> 1;
      if (!before(x, h[p]!)) break;
      h[i] = h[p]!;
      i = p;
    }
    h[i] = x;
  }

  private down(i: number): void {
    const h = this.heap;
    const n = h.length;
    const x = h[i]!;
    for (;;) {
      let c = 2 * i + 1;
      if (c >= n) break;
      if (c + 1 < n && before(h[c + 1]!, h[c]!)) c++;
      if (!before(h[c]!, x)) break;
      h[i] = h[c]!;
      i = c;
    }
    h[i] = x;
  }
}

/** A clock the caller moves by hand: the default time source of the scheduler and simulator. */
export class ManualClock {
  private t: Cycles;
  /** @param start - initial time, default 0. */
  constructor(start: Cycles = 0) {
    this.t = start;
  }
  /** Current time. */
  now(): Cycles {
    return this.t;
  }
  /**
   * Move time forward by `cycles`.
   * @throws InvalidArgumentError when `cycles` is negative or not finite.
   */
  advance(cycles: Cycles): Cycles {
    if (!Number.isFinite(cycles) || cycles < 0)
      throw new InvalidArgumentError(`ManualClock.advance(${cycles}): must be a finite number ≥ 0`);
    this.t += cycles;
    return this.t;
  }
}
