/**
 * The resume history of one frame: every value its generator was resumed with, in order, which
 * is what fork replays to rebuild the child's continuation (see `../kernel/fork.ts`).
 *
 * It is appended to on every trap, so it is kept compact: numbers (system-call results, loaded
 * words) go into a growable `Float64Array`; the two other kinds of value the kernel resumes with
 * are encoded in values no trap result can take:
 *
 * | value                      | stored as            | why it is free                          |
 * | -------------------------- | -------------------- | --------------------------------------- |
 * | a number                   | itself               | kernel results are finite integers       |
 * | `undefined` (store, compute, first resume) | -Infinity | never a result               |
 * | anything else (bigint, bytes) | NaN, value in `others` at the same index | never a result |
 *
 * Invariant: `length <= capacity <= limit`; `others` has an entry exactly at the NaN slots.
 */

const UNDEF = Number.NEGATIVE_INFINITY;

/** A frame's resume history (append-only, bounded). */
export class History {
  private buf: Float64Array;
  private n = 0;
  private others: Map<number, unknown> | null = null; // made on the first non-number
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
    if (typeof v === "number") this.buf[n] = v;
    else if (v === undefined) this.buf[n] = UNDEF;
    else {
      this.buf[n] = Number.NaN;
      this.others ??= new Map();
      this.others.set(n, v);
    }
    this.n = n + 1;
  }

  /** The i-th value. */
  at(i: number): unknown {
    const x = this.buf[i]!;
    if (x === UNDEF) return undefined;
    if (Number.isNaN(x)) return this.others?.get(i);
    return x;
  }

  /** An independent copy (the child's frame keeps recording on its own). */
  clone(): History {
    const h = new History(this.limit);
    h.buf = this.buf.slice();
    h.n = this.n;
    h.overflow = this.overflow;
    if (this.others !== null) h.others = new Map(this.others);
    return h;
  }
}
