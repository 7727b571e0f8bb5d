/**
 * The byte ring behind one direction of a stream-mode channel: a fixed buffer with partial reads
 * and writes, as jsix's stream channels report them (a send or receive moves what fits and says
 * how much), and as a Unix pipe behaves.
 *
 * ```
 *   capacity 8, head = 6, length = 4:
 *
 *   index   0   1   2   3   4   5   6   7
 *         ┌───┬───┬───┬───┬───┬───┬───┬───┐
 *         │ c │ d │   │   │   │   │ a │ b │    read order a b c d
 *         └───┴───┴───┴───┴───┴───┴───┴───┘
 *                   ▲ tail = (6 + 4) % 8 = 2   ▲ head
 * ```
 *
 * A write of n bytes moves min(n, free) bytes, in at most two `set` calls (before and after the
 * wrap); a read likewise. Worked: with the state above, write("xyz…") of 6 bytes moves
 * min(6, 8 − 4) = 4 bytes into indices 2, 3, 4, 5 and reports 4.
 *
 * Invariants ({@link ByteRing.checkInvariants}): 0 ≤ head < capacity, 0 ≤ length ≤ capacity.
 *
 * Related: `message-queue.ts` (message mode), `channel.ts`.
 */
import { InvariantError, IpcArgumentError } from "../errors.js";

/**
 * A bounded byte FIFO with partial transfers.
 * @example
 * const r = new ByteRing(4);
 * r.write(Uint8Array.of(1, 2, 3, 4, 5));   // 4: one byte did not fit
 * const out = new Uint8Array(3);
 * r.read(out);                              // 3: out = [1, 2, 3]
 */
export class ByteRing {
  /** Buffer size in bytes. */
  readonly capacity: number;
  private readonly buf: Uint8Array;
  private head = 0;
  private len = 0;

  /** @throws IpcArgumentError when capacity is not a positive integer. */
  constructor(capacity: number) {
    if (!Number.isInteger(capacity) || capacity < 1) {
      throw new IpcArgumentError(`new ByteRing(capacity=${capacity}): expected a positive integer`);
    }
    this.capacity = capacity;
    this.buf = new Uint8Array(capacity);
  }

  /** Bytes ready to read. */
  get length(): number {
    return this.len;
  }

  /** Bytes that a write could move now. */
  get free(): number {
    return this.capacity - this.len;
  }

  /** Append as much of `src` as fits; returns the number of bytes moved (0 when full). */
  write(src: Uint8Array): number {
    const n = Math.min(src.length, this.capacity - this.len);
    if (n === 0) return 0;
    const tail = (this.head + this.len) % this.capacity;
    const first = Math.min(n, this.capacity - tail);
    this.buf.set(src.subarray(0, first), tail);
    if (first < n) this.buf.set(src.subarray(first, n), 0);
    this.len += n;
    return n;
  }

  /** Move up to `dst.length` bytes into `dst`; returns the number moved (0 when empty). */
  read(dst: Uint8Array): number {
    const n = Math.min(dst.length, this.len);
    if (n === 0) return 0;
    const first = Math.min(n, this.capacity - this.head);
    dst.set(this.buf.subarray(this.head, this.head + first), 0);
    if (first < n) dst.set(this.buf.subarray(0, n - first), first);
    this.head = (this.head + n) % this.capacity;
    this.len -= n;
    return n;
  }

  /** Throws {@link InvariantError} naming the first broken invariant. */
  checkInvariants(): void {
    if (!(this.head >= 0 && this.head < this.capacity))
      throw new InvariantError(`byte ring: head ${this.head} outside 0..${this.capacity - 1}`);
    if (!(this.len >= 0 && this.len <= this.capacity))
      throw new InvariantError(`byte ring: length ${this.len} outside 0..${this.capacity}`);
  }
}
