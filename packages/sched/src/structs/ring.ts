/**
 * A FIFO ring of thread slots in an `Int32Array`: the run queue of FIFO, round robin, and of each
 * level of MLFQ, the priority scheduler and the O(1) arrays.
 *
 * ```
 *   capacity 8 (a power of two), head = 6, tail = 2: four entries, order a b c d
 *   index   0   1   2   3   4   5   6   7
 *         [ c | d | . | . | . | . | a | b ]
 *                   ▲ tail              ▲ head        size = (tail − head) & 7 = (2 − 6) & 7 = 4
 * ```
 *
 * The classic two-index ring: empty when head = tail, full when tail + 1 = head (mod capacity),
 * so one slot stays unused and no separate count is kept — a push or shift touches one index.
 * Invariants: capacity is a power of two so `i & (capacity − 1)` wraps; the live entries are
 * `buf[(head + k) & mask]` for k = 0..size−1. `push` and `shift` are O(1) and allocate nothing
 * unless the ring is full (it then doubles); `remove` is O(n), used only off the hot path (a ready
 * thread suspended, killed or migrated).
 */
import { InvariantError } from "../errors.js";

/** Growable FIFO ring of non-negative int32 values (thread slots). */
export class SlotRing {
  private buf: Int32Array;
  private mask: number;
  private head = 0;
  private tail = 0;

  /** @param capacity - initial number of entries it holds without growing (default 15). */
  constructor(capacity = 15) {
    let cap = 2;
    while (cap < capacity + 1) cap <<= 1;
    this.buf = new Int32Array(cap);
    this.mask = cap - 1;
  }

  /** Number of entries. */
  get size(): number {
    return (this.tail - this.head) & this.mask;
  }

  /** Append `v` at the tail. O(1) amortised. */
  push(v: number): void {
    const t = this.tail;
    const next = (t + 1) & this.mask;
    if (next === this.head) {
      this.grow();
      this.push(v);
      return;
    }
    this.buf[t] = v;
    this.tail = next;
  }

  /** Insert `v` at the head (it will be shifted first). O(1) amortised. */
  unshift(v: number): void {
    const h = (this.head - 1) & this.mask;
    if (h === this.tail) {
      this.grow();
      this.unshift(v);
      return;
    }
    this.buf[h] = v;
    this.head = h;
  }

  /** Remove and return the head, or -1 when empty (a sentinel: no allocation on the hot path). */
  shift(): number {
    const h = this.head;
    if (h === this.tail) return -1;
    this.head = (h + 1) & this.mask;
    return this.buf[h]!;
  }

  /** The head without removing it, or -1 when empty. */
  peek(): number {
    return this.head === this.tail ? -1 : this.buf[this.head]!;
  }

  /** The k-th entry from the head (0 = head). @throws RangeError when k is out of range. */
  at(k: number): number {
    if (k < 0 || k >= this.size) throw new RangeError(`SlotRing.at(${k}): size is ${this.size}`);
    return this.buf[(this.head + k) & this.mask]!;
  }

  /** Remove the first occurrence of `v`, keeping the order of the others. O(n). @returns whether found. */
  remove(v: number): boolean {
    const n = this.size;
    let k = 0;
    while (k < n && this.buf[(this.head + k) & this.mask] !== v) k++;
    if (k === n) return false;
    this.removeAt(k);
    return true;
  }

  /** Remove the entry at position k from the head and return it. O(n). */
  removeAt(k: number): number {
    const v = this.at(k);
    const { buf, mask, head } = this;
    const n = this.size;
    for (let i = k; i < n - 1; i++) buf[(head + i) & mask] = buf[(head + i + 1) & mask]!;
    this.tail = (this.tail - 1) & mask;
    return v;
  }

  /** Whether `v` is in the ring. O(n). */
  includes(v: number): boolean {
    const n = this.size;
    for (let k = 0; k < n; k++) if (this.buf[(this.head + k) & this.mask] === v) return true;
    return false;
  }

  /** The entries from head to tail (a copy). */
  toArray(): number[] {
    const out: number[] = [];
    const n = this.size;
    for (let k = 0; k < n; k++) out.push(this.buf[(this.head + k) & this.mask]!);
    return out;
  }

  /** Remove everything. */
  clear(): void {
    this.head = 0;
    this.tail = 0;
  }

  /** Throws InvariantError if the capacity or index bookkeeping is broken. */
  checkInvariants(): void {
    const cap = this.buf.length;
    if ((cap & (cap - 1)) !== 0 || this.mask !== cap - 1) {
      throw new InvariantError(`SlotRing: capacity ${cap} with mask ${this.mask} is not a power of two`);
    }
    if (this.head < 0 || this.head >= cap || this.tail < 0 || this.tail >= cap) {
      throw new InvariantError(`SlotRing: head ${this.head} or tail ${this.tail} outside 0..${cap - 1}`);
    }
  }

  private grow(): void {
    const old = this.buf;
    const n = this.size;
    const next = new Int32Array(old.length * 2);
    for (let k = 0; k < n; k++) next[k] = old[(this.head + k) & this.mask]!;
    this.buf = next;
    this.mask = next.length - 1;
    this.head = 0;
    this.tail = n;
  }
}
