/**
 * A FIFO ring of thread slots in an `Int32Array`: the run queue of FIFO, round robin, and of each
 * level of MLFQ, the priority scheduler and the O(1) arrays.
 *
 * ```
 *   capacity 8 (a power of two), head = 6, size = 4:
 *   index   0   1   2   3   4   5   6   7
 *         [ c | d | . | . | . | . | a | b ]      order: a b c d
 *                   ▲ tail = (6 + 4) & 7 = 2        ▲ head
 * ```
 *
 * Invariants: `0 ≤ size ≤ capacity`, capacity is a power of two so `i & (capacity − 1)` wraps;
 * the live entries are `buf[(head + k) & mask]` for k = 0..size−1. `push` and `shift` are O(1)
 * and allocate nothing unless the ring is full (it then doubles); `remove` is O(n), used only off
 * the hot path (a ready thread suspended, killed or migrated).
 */
import { InvariantError } from "../errors.js";

/** Growable FIFO ring of non-negative int32 values (thread slots). */
export class SlotRing {
  private buf: Int32Array;
  private mask: number;
  private head = 0;
  private count = 0;

  /** @param capacity - initial capacity, rounded up to a power of two (default 16). */
  constructor(capacity = 16) {
    let cap = 1;
    while (cap < capacity) cap <<= 1;
    this.buf = new Int32Array(cap);
    this.mask = cap - 1;
  }

  /** Number of entries. */
  get size(): number {
    return this.count;
  }

  /** Append `v` at the tail. O(1) amortised. */
  push(v: number): void {
    if (this.count > this.mask) this.grow();
    this.buf[(this.head + this.count) & this.mask] = v;
    this.count++;
  }

  /** Insert `v` at the head (it will be shifted first). O(1) amortised. */
  unshift(v: number): void {
    if (this.count > this.mask) this.grow();
    this.head = (this.head - 1) & this.mask;
    this.buf[this.head] = v;
    this.count++;
  }

  /** Remove and return the head, or -1 when empty (a sentinel: no allocation on the hot path). */
  shift(): number {
    if (this.count === 0) return -1;
    const v = this.buf[this.head]!;
    this.head = (this.head + 1) & this.mask;
    this.count--;
    return v;
  }

  /** The head without removing it, or -1 when empty. */
  peek(): number {
    return this.count === 0 ? -1 : this.buf[this.head]!;
  }

  /** The k-th entry from the head (0 = head). @throws RangeError when k is out of range. */
  at(k: number): number {
    if (k < 0 || k >= this.count) throw new RangeError(`SlotRing.at(${k}): size is ${this.count}`);
    return this.buf[(this.head + k) & this.mask]!;
  }

  /** Remove the first occurrence of `v`, keeping the order of the others. O(n). @returns whether found. */
  remove(v: number): boolean {
    const { buf, mask, head, count } = this;
    let k = 0;
    while (k < count && buf[(head + k) & mask] !== v) k++;
    if (k === count) return false;
    for (; k < count - 1; k++) buf[(head + k) & mask] = buf[(head + k + 1) & mask]!;
    this.count--;
    return true;
  }

  /** Remove the entry at position k from the head and return it. O(n). */
  removeAt(k: number): number {
    const v = this.at(k);
    const { buf, mask, head, count } = this;
    for (let i = k; i < count - 1; i++) buf[(head + i) & mask] = buf[(head + i + 1) & mask]!;
    this.count--;
    return v;
  }

  /** Whether `v` is in the ring. O(n). */
  includes(v: number): boolean {
    for (let k = 0; k < this.count; k++) if (this.buf[(this.head + k) & this.mask] === v) return true;
    return false;
  }

  /** The entries from head to tail (a copy). */
  toArray(): number[] {
    const out: number[] = [];
    for (let k = 0; k < this.count; k++) out.push(this.buf[(this.head + k) & this.mask]!);
    return out;
  }

  /** Remove everything. */
  clear(): void {
    this.head = 0;
    this.count = 0;
  }

  /** Throws InvariantError if the size or capacity bookkeeping is broken. */
  checkInvariants(): void {
    const cap = this.buf.length;
    if ((cap & (cap - 1)) !== 0 || this.mask !== cap - 1) {
      throw new InvariantError(`SlotRing: capacity ${cap} with mask ${this.mask} is not a power of two`);
    }
    if (this.count < 0 || this.count > cap)
      throw new InvariantError(`SlotRing: size ${this.count} outside 0..${cap}`);
    if (this.head < 0 || this.head >= cap)
      throw new InvariantError(`SlotRing: head ${this.head} outside 0..${cap - 1}`);
  }

  private grow(): void {
    const old = this.buf;
    const next = new Int32Array(old.length * 2);
    for (let k = 0; k < this.count; k++) next[k] = old[(this.head + k) & this.mask]!;
    this.buf = next;
    this.mask = next.length - 1;
    this.head = 0;
  }
}
