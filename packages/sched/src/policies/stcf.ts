/**
 * Shortest time to completion first (OSTEP ch. 7.5), also called preemptive SJF or SRTF: SJF's
 * order, but a thread that becomes ready with less remaining time than the running one takes
 * the CPU at once, and a running thread is preempted at a tick when a ready thread needs less.
 *
 * ```
 *   A=100 at t=0, B=10 and C=10 at t=10:
 *   A(0..10) | B(10..20) | C(20..30) | A(30..120)    turnarounds 120, 10, 20 → average 50
 *   (SJF, non-preemptive, would give 100, 100, 110 → 103.33)
 * ```
 *
 * Optimises average turnaround even with arrivals; costs starvation of long jobs, the oracle,
 * and response time of long jobs. Ties do not preempt (strictly less remaining is required), so
 * equal jobs run FIFO as in SJF.
 */
import type { Cycles, ThreadId } from "../api.js";
import { type SjfEntry, SjfPolicy } from "./sjf.js";

/**
 * Preemptive shortest-remaining-time-first.
 * @example
 * ```ts
 * const p = new StcfPolicy();
 * p.admit(threadId(1), { expectedRuntime: 100 }); p.enqueue(threadId(1), "new"); p.pickNext();
 * p.admit(threadId(2), { expectedRuntime: 10 });  p.enqueue(threadId(2), "new");
 * p.shouldPreempt(threadId(1), threadId(2)); // → true
 * ```
 */
export class StcfPolicy extends SjfPolicy {
  override readonly name: string = "stcf";

  /** Preempt when the woken thread needs strictly less time than what the current one has left. */
  override shouldPreempt(current: ThreadId, woken: ThreadId): boolean {
    return this.lookup("shouldPreempt", woken).remaining < this.lookup("shouldPreempt", current).remaining;
  }

  protected override charge(e: SjfEntry | null, cycles: Cycles): boolean {
    super.charge(e, cycles);
    if (e === null) return false;
    const best = this.queue[0];
    return best !== undefined && best.remaining < e.remaining;
  }
}
