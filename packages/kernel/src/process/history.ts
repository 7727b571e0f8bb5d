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
 * Invariant: `length <= capacity <= limit`; every non-integer slot other than -∞ is `j + 0.5`
 * for the j-th entry of `others`, in order.
 */

const UNDEF = Number.NEGATIVE_INFINITY;

/** A frame's resume history (append-only, bounded). */
export class History {
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
    return this.n;
  }

  /** Record the next resume value. */
  push(v: unknown): void {
    const n = this.n;
    if (n === this.buf.length) {
      if (n >= this.limit) {
        this.overflow = true;
        return;
      }
      const next = new Float64Array(Math.min(this.limit, n * 2));
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
    const x = this.buf[i]!;
    if (Number.isInteger(x)) return x;
    if (x === UNDEF) return undefined;
    const v = this.others[x - 0.5];
    // A read-bytes trap resumes with a fresh array the program may write to: each replay gets its
    // own copy, as the parent got its own (push kept a copy of that one).
    return v instanceof Uint8Array ? v.slice() : v;
  }

  /** An independent copy (the child's frame keeps recording on its own). */
  clone(): History {
    const h = new History(this.limit);
    h.buf = this.buf.slice();
    h.n = this.n;
    h.overflow = this.overflow;
    h.others = this.others.slice();
    return h;
  }
}
