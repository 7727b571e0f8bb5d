/**
 * Round robin with a quantum (OSTEP ch. 7.7): FIFO order, but a thread that has run for a whole
 * quantum is preempted and goes to the tail.
 *
 * ```
 *   quantum 1, A B C each need 5:   t=0 A | 1 B | 2 C | 3 A | 4 B | 5 C | ...
 *   response times 0, 1, 2 (average 1); turnarounds 13, 14, 15 (average 14)
 * ```
 *
 * Optimises response time (each of n ready threads runs within (n − 1)·quantum); costs
 * turnaround, which is about the worst possible for equal-length jobs, plus one context switch
 * per quantum. The slice restarts at every pick: a thread that blocks mid-quantum gets a whole
 * new quantum when it runs again (OSTEP's RR; contrast MLFQ's allotment, which persists).
 *
 * Invariants: the ring holds exactly the ready threads; `used` of the current thread is in
 * 0..quantum after every tick that did not preempt.
 */
import type { Cycles, ReadyReason, ThreadId, ThreadParams } from "../api.js";
import { SlotRing } from "../structs/ring.js";
import { PolicyBase, type PolicyEntry, positive } from "./base.js";

/** Options of {@link RoundRobinPolicy}. */
export interface RoundRobinOptions {
  /** Time slice in cycles, > 0. Default 10 (as OSTEP's scheduler.py `-q`, in its time units). */
  readonly quantum?: number;
}

/** What round robin keeps per thread: the part of the quantum used since the last pick. */
export interface RrEntry extends PolicyEntry {
  used: Cycles;
}

/**
 * Round robin: FIFO plus a quantum.
 * @throws InvalidArgumentError from the constructor when the quantum is ≤ 0 or not finite.
 * @example
 * ```ts
 * const rr = new RoundRobinPolicy({ quantum: 2 });
 * rr.admit(threadId(1)); rr.enqueue(threadId(1), "new");
 * rr.pickNext(); rr.tick(threadId(1), 1); // false: 1 of 2 used
 * rr.tick(threadId(1), 1);                // true: quantum used, preempt
 * ```
 */
export class RoundRobinPolicy extends PolicyBase<RrEntry> {
  readonly name: string = "rr";
  readonly starvationFree: boolean = true;
  /** The time slice in cycles. */
  readonly quantum: number;
  private readonly ring = new SlotRing();

  constructor(options: RoundRobinOptions = {}) {
    super();
    this.quantum = positive("RoundRobinPolicy", "quantum", options.quantum ?? 10);
  }

  protected makeEntry(tid: ThreadId, params: ThreadParams): RrEntry {
    return { tid, params, ready: false, used: 0 };
  }
  protected insertReady(e: RrEntry, _reason: ReadyReason): void {
    this.ring.push(e.tid);
  }
  protected removeReady(e: RrEntry): void {
    this.ring.remove(e.tid);
  }
  protected takeBest(): RrEntry | null {
    const t = this.ring.shift();
    return t < 0 ? null : this.entries.get(t as ThreadId)!;
  }
  protected override onPicked(e: RrEntry): void {
    e.used = 0;
  }
  protected charge(e: RrEntry | null, cycles: Cycles): boolean {
    if (e === null) return false;
    e.used += cycles;
    return e.used >= this.quantum;
  }
  /** Changing parameters never reorders a round-robin queue. */
  protected override onParamsChanged(): void {}
  protected orderedReady(): ThreadId[] {
    return this.ring.toArray() as ThreadId[];
  }
}
