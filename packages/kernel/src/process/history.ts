/**
 * The resume history of one frame: every value its generator was resumed with, in order, which
 * is what fork replays to rebuild the child's continuation (see `../kernel/fork.ts`).
 *
 * It is appended to on every trap, so it is kept compact and allocation-free on the common path:
 * integers (system-call results, loaded words) go into a growable `Float64Array`; every other
 * value (`undefined`, a bigint from a 64-bit load, the bytes of a read) is appended to a plain
 * array `others`, and the slot holds its index there plus one half, a number no integer result
 * can be:
 *
 * | value                                      | slot holds        | `at(i)` gives back            |
 * | ------------------------------------------ | ----------------- | ----------------------------- |
 * | an integer, e.g. 42 (a loaded word)        | 42                | 42                            |
 * | `undefined` (store, compute, first resume) | -Infinity         | `undefined`                   |
 * | anything else, e.g. 7n, the 3rd such value | 2.5 (index 2 + ½) | `others[2]`, i.e. 7n          |
 *
 * A byte array (what a read-bytes trap resumes with) is kept as a copy and handed out as a fresh
 * copy: the program owns the array it was resumed with and may write to it, and a child rebuilt by
 * replay must get its own, not share the parent's.
 *
 * Worked example: pushes `undefined, 5, 7n, 0, 9n` fill the slots `-∞, 5, 0.5, 0, 1.5` and
 * `others = [7n, 9n]`; `at(4)` sees 1.5, not an integer, and returns `others[1]` = 9n. Indices
 * below 2^52 stay exact with the half added, far beyond any limit.
 *
 * (An earlier version kept the non-numbers in a `Map` keyed by slot; a thread that loads 64-bit
 * words on every iteration then paid a hash insertion and the map's growth on each of them.)
 *
 * **Cloning shares the prefix.** The child of a fork starts with its parent's history, and the
 * parent goes on appending to its own. Because a history is append-only, the child need not copy
 * it: its first `length` values are the parent's storage, read-only to the child (the parent only
 * ever writes beyond them), and the child appends to a buffer of its own — copy-on-write, as the
 * address space is, and fork no longer copies O(history) values (a 15,000-value history cost
 * ≈ 40 µs to copy). A history that has both a shared prefix and values of its own is flattened
 * into one buffer the first time it is cloned (a child that forks in turn), so the chain is never
 * longer than one link:
 *
 * ```
 *   parent:  buf [h0 h1 … h99 | h100 h101 …]        others [7n, …]
 *                 ▲ shared, read-only                   ▲ shared (first 1)
 *   child:   base = parent's buf, baseN = 100, baseOthersN = 1;  buf [c0 c1 …], others […]
 *            at(i) = i < 100 ? decode(base[i]) : decode(buf[i − 100])
 * ```
 *
 * Invariant: `length = baseN + n <= limit`, `n <= buf.length`; every non-integer slot other than
 * -∞ is `j + 0.5` for the j-th entry of the `others` array of its part (the base's entries below
 * `baseOthersN`, or the own `others`).
 */

const UNDEF = Number.NEGATIVE_INFINITY;
const NONE = new Float64Array(0);

/** A frame's resume history (append-only, bounded; clones share their prefix). */
export class History {
  /** The shared prefix (another history's storage, never written here) and its length. */
  private base: Float64Array = NONE;
  private baseN = 0;
  private baseOthers: readonly unknown[] = [];
  /** Own values, from position `baseN` on. */
  private buf: Float64Array;
  private n = 0;
  private others: unknown[] = [];
  /** Set when an append was refused because the limit was reached: fork from this frame is refused. */
  overflow = false;

  /** @param limit most values kept; appends beyond it set {@link History.overflow}. */
  constructor(readonly limit: number) {
    this.buf = new Float64Array(Math.min(8, Math.max(1, limit)));
  }

  /** Number of values recorded. */
  get length(): number {
    return this.baseN + this.n;
  }

  /** Record the next resume value. */
  push(v: unknown): void {
    const n = this.n;
    if (n === this.buf.length) {
      const room = this.limit - this.baseN;
      if (n >= room) {
        this.overflow = true;
        return;
      }
      const next = new Float64Array(Math.min(room, Math.max(8, n * 2)));
      next.set(this.buf);
      this.buf = next;
    }
    if (typeof v === "number" && Number.isInteger(v)) this.buf[n] = v;
    else if (v === undefined) this.buf[n] = UNDEF;
    else {
      // Bytes are kept as a copy: the program owns the array it was resumed with and may write to it.
      const kept = v instanceof Uint8Array ? v.slice() : v;
      this.buf[n] = this.others.push(kept) - 0.5; // (new length - 1) + 0.5
    }
    this.n = n + 1;
  }

  /**
   * The i-th value (a byte array comes back as a fresh copy of the bytes pushed).
   * @example
   * ```ts
   * const h = new History(16);
   * h.push(undefined); h.push(5); h.push(7n);
   * h.at(2); // 7n
   * ```
   */
  at(i: number): unknown {
    const b = this.baseN;
    return i < b ? decode(this.base[i]!, this.baseOthers) : decode(this.buf[i - b]!, this.others);
  }

  /**
   * An independent history with the same values (the child's frame records on its own). O(1): it
   * shares this history's storage as its read-only prefix (see the file comment).
   */
  clone(): History {
    if (this.baseN !== 0 && this.n !== 0) this.flatten();
    const h = new History(this.limit);
    h.overflow = this.overflow;
    if (this.n === 0) {
      h.base = this.base; // nothing of its own yet: share the same prefix
      h.baseN = this.baseN;
      h.baseOthers = this.baseOthers;
    } else {
      h.base = this.buf;
      h.baseN = this.n;
      h.baseOthers = this.others;
    }
    // Its own room is what the limit leaves after the prefix (none: the next push overflows).
    h.buf = new Float64Array(Math.min(8, this.limit - h.baseN));
    return h;
  }

  /** Copy the shared prefix and the own values into one own buffer (the first clone of a clone). */
  private flatten(): void {
    const b = this.baseN;
    const buf = new Float64Array(Math.min(this.limit, Math.max(8, 2 * (b + this.n))));
    buf.set(this.base.subarray(0, b));
    // The own slots that point into `others` move up by the prefix's count of such values.
    let shift = 0;
    for (let i = 0; i < b; i++) if (isOtherSlot(this.base[i]!)) shift++;
    const others = this.baseOthers.slice(0, shift);
    for (let i = 0; i < this.n; i++) {
      const x = this.buf[i]!;
      buf[b + i] = isOtherSlot(x) ? x + shift : x;
    }
    for (const v of this.others) others.push(v);
    this.base = NONE;
    this.baseN = 0;
    this.baseOthers = [];
    this.buf = buf;
    this.n += b;
    this.others = others;
  }
}

/** True for a slot that holds `j + 0.5`, an index into `others`. */
function isOtherSlot(x: number): boolean {
  return !Number.isInteger(x) && x !== UNDEF;
}

function decode(x: number, others: readonly unknown[]): unknown {
  if (Number.isInteger(x)) return x;
  if (x === UNDEF) return undefined;
  const v = others[x - 0.5];
  // A read-bytes trap resumes with a fresh array the program may write to: each replay gets its
  // own copy, as the parent got its own (push kept a copy of that one).
  return v instanceof Uint8Array ? v.slice() : v;
}
