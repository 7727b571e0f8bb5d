/**
 * A binary min-heap of (key, id) pairs in typed arrays: CFS's run queue in its simplest form.
 *
 * ```
 *   index:   0        1        2        3 ...     parent(i) = (i − 1) >> 1
 *   key:   [ 10.0 ] [ 12.5 ] [ 11.0 ] [ 40.0 ]    children(i) = 2i + 1, 2i + 2
 *   id:    [  7   ] [  3   ] [  9   ] [  1   ]    e.g. parent(3) = 1, children(1) = 3, 4
 * ```
 *
 * Order is (key, id) lexicographic, so every key is distinct and any correct priority queue gives
 * the same pop sequence (the property the baseline benchmark relies on). Each entry carries its
 * key, so sifting never reads a thread record. Invariant (heap order): for every i > 0,
 * (key[parent(i)], id[parent(i)]) < (key[i], id[i]).
 *
 * `push`/`popMin` are O(log n) and allocate nothing except when the arrays double. Removing an
 * arbitrary id is O(n) (a linear search): the heap keeps no position index, so the hot path
 * writes nothing but the two arrays. Compare `rbtree.ts`, which removes in O(log n).
 */
import { InvariantError } from "../errors.js";

/**
 * 1 if the right child `c + 1` orders before the left child `c`, else 0: the step a sift-down
 * adds to `c`. Written without a branch on the key comparison: which child is smaller is a coin
 * flip, so an `if` there is mispredicted about half the time, once per level (13 levels for
 * 10,000 threads); `+(a < b)` compiles to a compare and a SETcc instead. Equal keys (rare, and
 * so well predicted) fall back to the ids. Measured on the baseline's 10M pick+requeue: ≈8.5M/s
 * → ≈12M/s of CPU time (package README, "Speed").
 */
function rightIsSmaller(keys: Float64Array, ids: Int32Array, c: number): number {
  const lk = keys[c]!;
  const rk = keys[c + 1]!;
  let right = +(rk < lk);
  if (rk === lk) right = +(ids[c + 1]! < ids[c]!);
  return right;
}

/** Min-heap of (key: float64, id: int32), ordered by key then id. */
export class VruntimeHeap {
  private keys: Float64Array;
  private ids: Int32Array;
  private n = 0;
  private cap: number;

  /** @param capacity - initial capacity (default 64); the heap doubles when full. */
  constructor(capacity = 64) {
    this.cap = Math.max(1, capacity);
    this.keys = new Float64Array(this.cap);
    this.ids = new Int32Array(this.cap);
  }

  /** Number of entries. */
  get size(): number {
    return this.n;
  }

  /** Insert `id` with `key`. The caller keeps ids unique. O(log n). */
  push(id: number, key: number): void {
    let i = this.n;
    if (i === this.cap) this.grow();
    this.n = i + 1;
    const keys = this.keys;
    const ids = this.ids;
    while (i > 0) {
      const p = (i - 1) >> 1;
      const pk = keys[p]!;
      if (key > pk || (key === pk && id > ids[p]!)) break;
      keys[i] = pk;
      ids[i] = ids[p]!;
      i = p;
    }
    keys[i] = key;
    ids[i] = id;
  }

  /** Remove and return the id with the smallest (key, id), or -1 when empty. O(log n). */
  popMin(): number {
    const n = this.n - 1;
    if (n < 0) return -1;
    this.n = n;
    const keys = this.keys;
    const ids = this.ids;
    const top = ids[0]!;
    // Move the last entry into the root's hole and sift it down (written out: this is the hot
    // path). Ids are read only to break a tie of keys.
    const k = keys[n]!;
    const t = ids[n]!;
    let i = 0;
    for (;;) {
      let c = 2 * i + 1;
      if (c >= n) break;
      if (c + 1 < n) c += rightIsSmaller(keys, ids, c);
      const ck = keys[c]!;
      if (ck > k || (ck === k && ids[c]! > t)) break;
      keys[i] = ck;
      ids[i] = ids[c]!;
      i = c;
    }
    keys[i] = k;
    ids[i] = t;
    return top;
  }

  /** The smallest id without removing it, or -1 when empty. */
  peekId(): number {
    return this.n === 0 ? -1 : this.ids[0]!;
  }

  /** The smallest key, or +Infinity when empty. */
  peekKey(): number {
    return this.n === 0 ? Number.POSITIVE_INFINITY : this.keys[0]!;
  }

  /** Remove `id` wherever it is. O(n) search + O(log n) repair. @returns whether it was present. */
  remove(id: number): boolean {
    const ids = this.ids;
    let i = 0;
    while (i < this.n && ids[i] !== id) i++;
    if (i === this.n) return false;
    const last = --this.n;
    if (i === last) return true;
    // Put the last entry in the hole, then move it up if it beats its new parent, else down.
    const k = this.keys[last]!;
    const lid = ids[last]!;
    let j = i;
    while (j > 0) {
      const p = (j - 1) >> 1;
      const pk = this.keys[p]!;
      if (k > pk || (k === pk && lid > ids[p]!)) break;
      this.keys[j] = pk;
      ids[j] = ids[p]!;
      j = p;
    }
    this.keys[j] = k;
    ids[j] = lid;
    if (j === i) this.siftDownFrom(i, this.n, true);
    return true;
  }

  /** Whether `id` is in the heap. O(n). */
  has(id: number): boolean {
    for (let i = 0; i < this.n; i++) if (this.ids[i] === id) return true;
    return false;
  }

  /** Key stored with `id`, or undefined. O(n). */
  keyOf(id: number): number | undefined {
    for (let i = 0; i < this.n; i++) if (this.ids[i] === id) return this.keys[i];
    return undefined;
  }

  /** Entries in ascending (key, id) order (a sorted copy; O(n log n)). */
  toSortedArray(): Array<{ id: number; key: number }> {
    const out: Array<{ id: number; key: number }> = [];
    for (let i = 0; i < this.n; i++) out.push({ id: this.ids[i]!, key: this.keys[i]! });
    return out.sort((a, b) => a.key - b.key || a.id - b.id);
  }

  /** Throws InvariantError at the first entry smaller than its parent. */
  checkInvariants(): void {
    for (let i = 1; i < this.n; i++) {
      const p = (i - 1) >> 1;
      const pk = this.keys[p]!;
      const k = this.keys[i]!;
      if (k < pk || (k === pk && this.ids[i]! < this.ids[p]!)) {
        throw new InvariantError(
          `VruntimeHeap: entry ${i} (key ${k}, id ${this.ids[i]}) is smaller than its parent ${p} (key ${pk}, id ${this.ids[p]})`,
        );
      }
    }
  }

  /**
   * Sift the entry at position `size` (the old last, or with `inPlace` the entry at `i`) down
   * from the hole at `i` in a heap of `size` entries.
   */
  private siftDownFrom(i: number, size: number, inPlace = false): void {
    const keys = this.keys;
    const ids = this.ids;
    const src = inPlace ? i : size;
    const k = keys[src]!;
    const t = ids[src]!;
    for (;;) {
      let c = 2 * i + 1;
      if (c >= size) break;
      if (c + 1 < size) c += rightIsSmaller(keys, ids, c);
      const ck = keys[c]!;
      if (ck > k || (ck === k && ids[c]! > t)) break;
      keys[i] = ck;
      ids[i] = ids[c]!;
      i = c;
    }
    keys[i] = k;
    ids[i] = t;
  }

  private grow(): void {
    const k = new Float64Array(this.keys.length * 2);
    k.set(this.keys);
    const d = new Int32Array(this.ids.length * 2);
    d.set(this.ids);
    this.keys = k;
    this.ids = d;
    this.cap = d.length;
  }
}
