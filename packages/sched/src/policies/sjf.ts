/**
 * Shortest job first (OSTEP ch. 7.4): run the ready thread with the least expected CPU time,
 * to completion of its burst (non-preemptive).
 *
 * SJF needs an oracle: `ThreadParams.expectedRuntime`, the CPU time the thread still needs (the
 * workload simulator sets it to each job's burst, as OSTEP assumes run times are known). While a
 * thread runs, its remaining time counts down, so a thread that blocks and comes back is sorted
 * by what it still needs.
 *
 * ```
 *   A=100, B=10, C=10 all at t=0:  B | C | A      turnarounds 10, 20, 120 → average 50
 * ```
 *
 * Optimises average turnaround when all jobs arrive together (provably optimal then); costs
 * starvation of long jobs under a stream of short ones, and needs the oracle.
 *
 * Tie-breaking: equal remaining times run in the order they became ready (a sequence number),
 * so A=B=C=10 behaves as FIFO. Invariant: `queue` is sorted by (remaining, seq) and holds
 * exactly the ready threads.
 */
import type { Cycles, ReadyReason, ThreadId, ThreadParams } from "../api.js";
import { InvariantError } from "../errors.js";
import { PolicyBase, type PolicyEntry } from "./base.js";

/** The record SJF and STCF keep per thread. */
export interface SjfEntry extends PolicyEntry {
  /** CPU time still needed, from `expectedRuntime` minus what ran since it was set. */
  remaining: Cycles;
  /** When it last became ready; breaks ties first come, first served. */
  seq: number;
}

/**
 * Shortest job first, non-preemptive.
 * @example
 * ```ts
 * const p = new SjfPolicy();
 * p.admit(threadId(1), { expectedRuntime: 100 }); p.enqueue(threadId(1), "new");
 * p.admit(threadId(2), { expectedRuntime: 10 });  p.enqueue(threadId(2), "new");
 * p.pickNext(); // → 2
 * ```
 */
export class SjfPolicy extends PolicyBase<SjfEntry> {
  readonly name: string = "sjf";
  readonly starvationFree: boolean = false;
  /** Ready threads sorted by (remaining, seq). */
  protected readonly queue: SjfEntry[] = [];
  private seq = 0;

  protected makeEntry(tid: ThreadId, params: ThreadParams): SjfEntry {
    return { tid, params, ready: false, remaining: params.expectedRuntime, seq: 0 };
  }
  protected insertReady(e: SjfEntry, _reason: ReadyReason): void {
    e.seq = this.seq++;
    // Binary search for the first entry that sorts after e (upper bound keeps FIFO among ties).
    let lo = 0;
    let hi = this.queue.length;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      const m = this.queue[mid]!;
      if (m.remaining < e.remaining || (m.remaining === e.remaining && m.seq < e.seq)) lo = mid + 1;
      else hi = mid;
    }
    this.queue.splice(lo, 0, e);
  }
  protected removeReady(e: SjfEntry): void {
    this.queue.splice(this.queue.indexOf(e), 1);
  }
  protected takeBest(): SjfEntry | null {
    return this.queue.shift() ?? null;
  }
  protected charge(e: SjfEntry | null, cycles: Cycles): boolean {
    if (e !== null) e.remaining = Math.max(0, e.remaining - cycles);
    return false;
  }
  /** A new `expectedRuntime` restarts the countdown; a ready thread is re-sorted. */
  protected override onParamsChanged(e: SjfEntry, old: ThreadParams): void {
    if (e.params.expectedRuntime === old.expectedRuntime) return;
    if (e.ready) this.removeReady(e);
    e.remaining = e.params.expectedRuntime;
    if (e.ready) this.insertReady(e, "yielded");
  }
  protected orderedReady(): ThreadId[] {
    return this.queue.map((e) => e.tid);
  }
  protected override checkOwnInvariants(): void {
    for (let i = 1; i < this.queue.length; i++) {
      const a = this.queue[i - 1]!;
      const b = this.queue[i]!;
      if (a.remaining > b.remaining || (a.remaining === b.remaining && a.seq > b.seq)) {
        throw new InvariantError(
          `${this.name}: queue out of order at ${i}: tid=${a.tid} (${a.remaining}) before tid=${b.tid} (${b.remaining})`,
        );
      }
    }
  }
  /** The remaining CPU time the policy believes `tid` needs. @throws UnknownThreadError. */
  remainingOf(tid: ThreadId): Cycles {
    return this.lookup("remainingOf", tid).remaining;
  }
}
