/**
 * A Fenwick tree (binary indexed tree) of lottery tickets: find the holder of winning ticket w in
 * O(log n) instead of walking the list, with the same answer as the walk.
 *
 * Ready threads get slots in the order they join (slot 0, 1, 2, ...); a thread that leaves frees
 * its slot (its tickets become 0), so the running sums over slots are exactly the running sums of
 * the lottery list, and the winner is the first slot whose prefix sum exceeds w. When the slots
 * run out, the live ones are packed to the front in order (amortised O(1) per insertion).
 *
 * Fenwick layout (1-based): node i holds the sum of slots (i − lowbit(i), i], lowbit(i) = i & −i.
 * Worked numbers for tickets [100, 50, 250, 0] (slots 1..4):
 *
 * ```
 *   node 1 = slot 1            = 100      node 2 = slots 1..2 = 150
 *   node 3 = slot 3            = 250      node 4 = slots 1..4 = 400
 *   find(300): step 4: 400 > 300, stay; step 2: 150 ≤ 300 → pos 2, rest 150;
 *              step 1: node 3 = 250 > 150, stay  →  winner slot = pos + 1 = 3   (C, as in OSTEP)
 * ```
 *
 * Invariants: node sums agree with the slot values; `total` is their sum; each live id has exactly
 * one slot.
 */
import { InvariantError } from "../errors.js";
import { EntryTable } from "./entry-table.js";

/** Tickets by insertion-ordered slot, with O(log n) prefix search. */
export class TicketTree {
  private cap: number;
  private tree: Float64Array;
  private vals: Float64Array;
  private ids: Int32Array;
  private used = 0;
  private live = 0;
  private sum = 0;
  private readonly slotOf = new EntryTable<number>();

  /** @param capacity - initial number of slots (default 16); grows as needed. */
  constructor(capacity = 16) {
    this.cap = Math.max(1, capacity);
    this.tree = new Float64Array(this.cap + 1);
    this.vals = new Float64Array(this.cap);
    this.ids = new Int32Array(this.cap).fill(-1);
  }

  /** Number of holders. */
  get size(): number {
    return this.live;
  }

  /** Sum of all tickets. */
  get total(): number {
    return this.sum;
  }

  /** Add holder `id` (not present) with `tickets` > 0 after every current holder. */
  add(id: number, tickets: number): void {
    if (this.used === this.cap) this.repack();
    const s = this.used++;
    this.ids[s] = id;
    this.vals[s] = tickets;
    this.slotOf.set(id, s);
    this.bump(s, tickets);
    this.live++;
    this.sum += tickets;
  }

  /** Remove holder `id`. @returns whether it was present. */
  remove(id: number): boolean {
    const s = this.slotOf.get(id);
    if (s === undefined) return false;
    this.bump(s, -this.vals[s]!);
    this.sum -= this.vals[s]!;
    this.vals[s] = 0;
    this.ids[s] = -1;
    this.slotOf.delete(id);
    this.live--;
    return true;
  }

  /** Change the tickets of holder `id`. @returns whether it was present. */
  update(id: number, tickets: number): boolean {
    const s = this.slotOf.get(id);
    if (s === undefined) return false;
    this.bump(s, tickets - this.vals[s]!);
    this.sum += tickets - this.vals[s]!;
    this.vals[s] = tickets;
    return true;
  }

  /**
   * The holder of ticket `winner` (0 ≤ winner < total): the first holder, in slot order, whose
   * running sum of tickets exceeds `winner`. Binary lifting down the Fenwick tree: O(log n).
   * @returns the id, or -1 when `winner` is out of range.
   */
  find(winner: number): number {
    if (winner < 0 || winner >= this.sum) return -1;
    let pos = 0;
    let rest = winner;
    let step = 1;
    while (step * 2 <= this.cap) step *= 2;
    for (; step > 0; step >>= 1) {
      const next = pos + step;
      if (next <= this.cap && this.tree[next]! <= rest) {
        pos = next;
        rest -= this.tree[next]!;
      }
    }
    return this.ids[pos]!;
  }

  /** Holders in slot order (the lottery list's order). */
  holders(): number[] {
    const out: number[] = [];
    for (let s = 0; s < this.used; s++) if (this.ids[s]! >= 0) out.push(this.ids[s]!);
    return out;
  }

  /** Throws InvariantError when a node sum, the total or the slot index is inconsistent. */
  checkInvariants(): void {
    let total = 0;
    for (let s = 0; s < this.cap; s++) {
      total += this.vals[s]!;
      if (this.ids[s]! >= 0 && this.slotOf.get(this.ids[s]!) !== s) {
        throw new InvariantError(
          `TicketTree: slot ${s} holds id ${this.ids[s]} whose index says ${this.slotOf.get(this.ids[s]!)}`,
        );
      }
    }
    if (total !== this.sum)
      throw new InvariantError(`TicketTree: slots sum to ${total}, total is ${this.sum}`);
    for (let i = 1; i <= this.cap; i++) {
      let want = 0;
      for (let s = i - (i & -i); s < i; s++) want += this.vals[s]!;
      if (this.tree[i] !== want)
        throw new InvariantError(`TicketTree: node ${i} holds ${this.tree[i]}, its slots sum to ${want}`);
    }
    if (this.slotOf.size !== this.live)
      throw new InvariantError(`TicketTree: ${this.slotOf.size} indexed ids, ${this.live} live`);
  }

  /** Add `delta` to slot `s` (0-based) and every node covering it. */
  private bump(s: number, delta: number): void {
    for (let i = s + 1; i <= this.cap; i += i & -i) this.tree[i] = this.tree[i]! + delta;
  }

  /** Pack live slots to the front in order, doubling the capacity if more than half are live. */
  private repack(): void {
    const ids: number[] = [];
    const vals: number[] = [];
    for (let s = 0; s < this.used; s++) {
      if (this.ids[s]! >= 0) {
        ids.push(this.ids[s]!);
        vals.push(this.vals[s]!);
      }
    }
    if (ids.length * 2 > this.cap) this.cap *= 2;
    this.tree = new Float64Array(this.cap + 1);
    this.vals = new Float64Array(this.cap);
    this.ids = new Int32Array(this.cap).fill(-1);
    this.used = 0;
    for (let k = 0; k < ids.length; k++) {
      this.ids[k] = ids[k]!;
      this.vals[k] = vals[k]!;
      this.slotOf.set(ids[k]!, k);
      this.bump(k, vals[k]!);
      this.used++;
    }
  }
}
