/**
 * A priority array: one FIFO list per priority and a bitmap of the non-empty lists, so the best
 * (lowest-numbered) non-empty priority is found in a few word operations whatever the number of
 * queued threads — the structure behind Linux 2.6's O(1) scheduler (`struct prio_array`,
 * `sched_find_first_bit`), used twice by `policies/o1.ts` (active and expired).
 *
 * ```
 *   prio:    0 … 100  101 … 120 … 139
 *   lists:       [ ]  [ ]   [a b] [c]        bitmap word 3 (prios 96..127): bit 24 set (120)
 *   first(): lowest set bit over the words: w & −w isolates it, 31 − clz32 gives its index
 *            (w = 0b1100 → w & −w = 0b100 → 31 − clz32(4) = 31 − 29 = 2)
 * ```
 *
 * Invariants (checked by `o1.ts`): bit p is set exactly when list p is non-empty; `count` is the
 * sum of the list sizes. Entries are thread ids (small non-negative integers).
 */
import { SlotRing } from "./ring.js";

/** Number of priorities of a {@link PrioArray}: Linux's MAX_PRIO (0..99 real-time, 100..139 normal). */
export const PRIO_ARRAY_SIZE = 140;
/** Words of its bitmap: ⌈140 / 32⌉ = 5. */
const WORDS = 5;

/** Bitmap-indexed FIFO lists, one per priority 0..139. */
export class PrioArray {
  /** Bit p set ⇔ list p non-empty. */
  readonly bitmap = new Uint32Array(WORDS);
  /** One FIFO list per priority. */
  readonly lists: SlotRing[] = Array.from({ length: PRIO_ARRAY_SIZE }, () => new SlotRing(2));
  /** Number of entries over all lists. */
  count = 0;

  /** Append `t` to list `p`. */
  push(p: number, t: number): void {
    this.lists[p]!.push(t);
    this.bitmap[p >>> 5]! |= 1 << (p & 31);
    this.count++;
  }
  /** Remove `t` from list `p` (it must be there). */
  remove(p: number, t: number): void {
    const l = this.lists[p]!;
    l.remove(t);
    if (l.size === 0) this.bitmap[p >>> 5]! &= ~(1 << (p & 31));
    this.count--;
  }
  /** First set bit (lowest priority number), or -1. `w & -w` isolates the lowest set bit. */
  first(): number {
    for (let i = 0; i < WORDS; i++) {
      const w = this.bitmap[i]!;
      if (w !== 0) return (i << 5) + (31 - Math.clz32(w & -w));
    }
    return -1;
  }
  /** Take the head of list `p` (non-empty). */
  shift(p: number): number {
    const l = this.lists[p]!;
    const t = l.shift();
    if (l.size === 0) this.bitmap[p >>> 5]! &= ~(1 << (p & 31));
    this.count--;
    return t;
  }
}
