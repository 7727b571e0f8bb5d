/**
 * The resume history of one frame: every value its generator was resumed with, in order, which
 * is what fork replays to rebuild the child's continuation (see `../kernel/fork.ts`).
 *
 * It is appended to on every trap and read back once per value at every fork, so it is kept as
 * one `Int32Array` of codes that a replay reads with a load and one comparison
 * (`../program/replay.ts`). A small integer — what system calls return and most loaded words
 * are — is its own code, so reading it back gives a small integer (a Smi to V8) with no
 * conversion. Every other value is appended to a plain array `others` and its slot holds a code
 * from the reserved range below −2^30:
 *
 * | value                                             | code                      | read back as          |
 * | ------------------------------------------------- | ------------------------- | --------------------- |
 * | an integer in [−2^30, 2^31), e.g. 42 or −14       | itself: 42, −14           | 42, −14               |
 * | `undefined` (store, compute, the first resume)    | −2^31 (`UNDEF`)           | `undefined`           |
 * | anything else: 7n, 3_000_000_000, 0.5, −0, bytes  | −2^31 + 1 + j (`OTHER`+j) | `others[j]`           |
 *
 * Worked example: pushes `undefined, 5, 7n, 0, 9n, 3_000_000_000` fill the codes
 * `−2147483648, 5, −2147483647, 0, −2147483646, −2147483645` and `others = [7n, 9n, 3e9]`;
 * reading slot 4 sees −2147483646 < −2^30, so it is `others[−2147483646 − (−2147483647)]`, i.e.
 * `others[1]` = 9n. A 32-bit load of 0x8000_0000 or more (unsigned, so ≥ 2^31) and −0 go to
 * `others` as numbers: exact, only slower. The reserved range holds 2^30 − 1 indices, so a
 * history keeps at most 2^30 − 1 values (`MAX_HISTORY`; an `Int32Array` of them is 4 GiB).
 *
 * A byte array (what a read-bytes trap resumes with) is kept as a copy and handed out as a fresh
 * copy: the program owns the array it was resumed with and may write to it, and a child rebuilt by
 * replay must get its own, not share the parent's.
 *
 * (Earlier versions kept the non-numbers in a `Map` keyed by slot — a hash insertion per 64-bit
 * load — and then every value in a `Float64Array`, whose read needs an integer test and a
 * double-to-Smi conversion per value. The codes made sysrate.c's fork loop 5–12 % faster at
 * N = 3000, the two kernels side by side in one process.)
 *
 * **Cloning shares the prefix.** The child of a fork starts with its parent's history, and the
 * parent goes on appending to its own. Because a history is append-only, the child need not copy
 * it: its first `length` values are the parent's storage, read-only to the child (the parent only
 * ever writes beyond them), and the child appends to a buffer of its own — copy-on-write, as the
 * address space is, and fork copies no history (a 15,000-value history cost ≈ 40 µs to copy). A
 * history that has both a shared prefix and values of its own is flattened into one buffer the
 * first time it is cloned or replayed (a child that forks in turn), so the chain is never longer
 * than one link and a replay always reads one flat run ({@link History.view}):
 *
 * ```
 *   parent:  buf [h0 h1 … h99 | h100 h101 …]        others [7n, …]
 *                 ▲ shared, read-only                   ▲ shared (first baseOthersN = 1)
 *   child:   base = parent's buf, baseN = 100, baseOthersN = 1;  buf [c0 c1 …], others […]
 *            at(i) = i < 100 ? decode(base[i], parent's others) : decode(buf[i − 100], own others)
 * ```
 *
 * Invariant: `length = baseN + n <= limit <= MAX_HISTORY`, `n <= buf.length`; every code below
 * −2^30 other than `UNDEF` is `OTHER + j` for an index j into the `others` of its part (below
 * `baseOthersN` for the prefix, below `others.length` for the own values).
 */

/** Codes at or above this are the integer itself. */
export const INLINE_MIN = -(2 ** 30);
/** The code of `undefined`. */
const UNDEF = -(2 ** 31);
/** The code of `others[0]`; `others[j]` is `OTHER + j`. */
const OTHER = UNDEF + 1;
/** Most values one history keeps (the reserved codes index at most this many others). */
export const MAX_HISTORY = 2 ** 30 - 1;

const NONE = new Int32Array(0);

/** One flat run of a history's codes and the values its reserved codes refer to: what a replay reads. */
export interface HistoryView {
  /** The codes, valid from 0 to `length` (the array may be longer). */
  readonly codes: Int32Array;
  /** What the codes `OTHER + j` stand for. */
  readonly others: readonly unknown[];
  /** Number of values. */
  readonly length: number;
}

/** A frame's resume history (append-only, bounded; clones share their prefix). */
export class History {
  /** The shared prefix (another history's storage, never written here), its length and its others. */
  private base: Int32Array = NONE;
  private baseN = 0;
  private baseOthers: readonly unknown[] = [];
  private baseOthersN = 0;
  /** Own values, from position `baseN` on. */
  private buf: Int32Array;
  private n = 0;
  private others: unknown[] = [];
  /** Most values kept: the constructor's limit, at most {@link MAX_HISTORY}. */
  readonly limit: number;
  /** Set when an append was refused because the limit was reached: fork from this frame is refused. */
  overflow = false;

  /** @param limit most values kept (taken as {@link MAX_HISTORY} above it); appends beyond it set {@link History.overflow}. */
  constructor(limit: number) {
    this.limit = Math.min(limit, MAX_HISTORY);
    this.buf = new Int32Array(Math.min(8, Math.max(1, this.limit)));
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
      const next = new Int32Array(Math.min(room, Math.max(8, n * 2)));
      next.set(this.buf);
      this.buf = next;
    }
    // -0 is an integer that `| 0` turns into 0: it goes to others, so it comes back as -0.
    if (typeof v === "number" && (v | 0) === v && v >= INLINE_MIN && (v !== 0 || 1 / v > 0)) this.buf[n] = v;
    else if (v === undefined) this.buf[n] = UNDEF;
    else {
      // Bytes are kept as a copy: the program owns the array it was resumed with and may write to it.
      this.buf[n] = OTHER + this.others.length;
      this.others.push(v instanceof Uint8Array ? v.slice() : v);
    }
    this.n = n + 1;
  }

  /**
   * The i-th value, `0 <= i < length` (a byte array comes back as a fresh copy of the bytes pushed).
   * @example
   * ```ts
   * const h = new History(16);
   * h.push(undefined); h.push(5); h.push(7n);
   * h.at(2); // 7n
   * ```
   */
  at(i: number): unknown {
    const b = this.baseN;
    if (i < b) return decodeHistoryCode(this.base[i]!, this.baseOthers);
    return decodeHistoryCode(this.buf[i - b]!, this.others);
  }

  /**
   * The values as one flat run, for a replay to read by index (`replay.ts`). A history with both a
   * shared prefix and values of its own is flattened first (as its next clone would be).
   */
  view(): HistoryView {
    if (this.baseN !== 0 && this.n !== 0) this.flatten();
    return this.n === 0
      ? { codes: this.base, others: this.baseOthers, length: this.baseN }
      : { codes: this.buf, others: this.others, length: this.n };
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
      h.baseOthersN = this.baseOthersN;
    } else {
      h.base = this.buf;
      h.baseN = this.n;
      h.baseOthers = this.others; // this history appends to it later: only the first baseOthersN are h's
      h.baseOthersN = this.others.length;
    }
    // Its own room is what the limit leaves after the prefix (none: the next push overflows).
    h.buf = new Int32Array(Math.min(8, this.limit - h.baseN));
    return h;
  }

  /** Copy the shared prefix and the own values into one own buffer (the first clone of a clone). */
  private flatten(): void {
    const b = this.baseN;
    const buf = new Int32Array(Math.min(this.limit, Math.max(8, 2 * (b + this.n))));
    buf.set(this.base.subarray(0, b));
    // The own codes that point into `others` move up by the prefix's count of such values.
    const shift = this.baseOthersN;
    for (let i = 0; i < this.n; i++) {
      const x = this.buf[i]!;
      buf[b + i] = x < INLINE_MIN && x !== UNDEF ? x + shift : x;
    }
    const others = this.baseOthers.slice(0, shift);
    for (const v of this.others) others.push(v);
    this.base = NONE;
    this.baseN = 0;
    this.baseOthers = [];
    this.baseOthersN = 0;
    this.buf = buf;
    this.n += b;
    this.others = others;
  }
}

/**
 * The value a code of the reserved range stands for (`code < INLINE_MIN`; codes at or above it are
 * the value itself): `undefined`, or `others[j]`, a byte array as a fresh copy.
 */
export function decodeHistoryCode(code: number, others: readonly unknown[]): unknown {
  if (code >= INLINE_MIN) return code;
  if (code === UNDEF) return undefined;
  const v = others[code - OTHER];
  // A read-bytes trap resumes with a fresh array the program may write to: each replay gets its
  // own copy, as the parent got its own (push kept a copy of that one).
  return v instanceof Uint8Array ? v.slice() : v;
}
