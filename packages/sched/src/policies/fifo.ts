/**
 * FIFO (first in, first out; OSTEP ch. 7.3): run threads in the order they became ready, each
 * until it blocks, yields or exits. Never preempts.
 *
 * ```
 *   ready:  head → [A] [B] [C] ← tail        pick A; A blocks; B woken later goes behind C
 * ```
 *
 * Optimises simplicity and throughput of context switches (one per job); costs average
 * turnaround when a long job arrives first (the convoy effect: A=100, B=C=10 all at t=0 gives
 * turnarounds 100, 110, 120, average 110, where SJF gets 50).
 *
 * Invariant: the ring holds exactly the ready threads, in the order they were enqueued.
 */
import type { Cycles, ReadyReason, ThreadId, ThreadParams } from "../api.js";
import { SlotRing } from "../structs/ring.js";
import { PolicyBase, type PolicyEntry } from "./base.js";

/**
 * First-come, first-served, non-preemptive.
 * @example
 * ```ts
 * const p = new FifoPolicy();
 * p.admit(threadId(1)); p.enqueue(threadId(1), "new");
 * p.pickNext(); // → 1
 * ```
 */
export class FifoPolicy extends PolicyBase<PolicyEntry> {
  readonly name: string = "fifo";
  readonly starvationFree: boolean = true;
  private readonly ring = new SlotRing();

  protected makeEntry(tid: ThreadId, params: ThreadParams): PolicyEntry {
    return { tid, params, ready: false };
  }
  protected insertReady(e: PolicyEntry, _reason: ReadyReason): void {
    this.ring.push(e.tid);
  }
  protected removeReady(e: PolicyEntry): void {
    this.ring.remove(e.tid);
  }
  protected takeBest(): PolicyEntry | null {
    const t = this.ring.shift();
    return t < 0 ? null : this.entries.get(t as ThreadId)!;
  }
  protected charge(_e: PolicyEntry | null, _cycles: Cycles): boolean {
    return false;
  }
  /** Changing parameters never reorders a FIFO queue. */
  protected override onParamsChanged(): void {}
  protected orderedReady(): ThreadId[] {
    return this.ring.toArray() as ThreadId[];
  }
}
