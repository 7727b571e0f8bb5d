/**
 * A bitmap frame allocator: one bit per frame, 1 = in use, as jsix keeps its frame bitmaps.
 *
 * The simple alternative to the buddy allocator, behind the same `FrameAllocator` interface.
 * Allocation is a first-fit scan for 2^order clear bits starting at a multiple of 2^order;
 * freeing clears the bits. There is nothing to split or coalesce: a run of clear bits *is* a
 * free block of any size that fits, so "coalescing" is free — but finding a run costs a scan,
 * O(frames / 32) words in the worst case, where the buddy takes O(maxOrder).
 *
 * ```
 *  word 0 (frames 0..31), bit i = frame i:
 *    bits  0b...0000_1111_0000_0011   frames 0-1 and 4-7 in use
 *    alloc(1): aligned pairs at 0, 2, 4...: frames 2-3 are clear -> returns 2
 *    alloc(2): aligned quads at 0, 4, 8...: quad 8-11 is clear -> returns 8 (mask 0xF << 8)
 *  A block of order >= 5 is whole words: 2^(order-5) consecutive words equal to 0.
 * ```
 *
 * To validate `free` (a double free, a wrong order) the allocator also keeps one byte per frame,
 * `order[pfn]`: k at the head of an allocated order-k block, 64 for a reserved frame, -1 else.
 * Metadata: 1 bit + 1 byte = 1.125 bytes per frame. Bits past `frameCount` in the last word are
 * set for good, so no scan can run off the end. `firstFree` is the lowest word that may hold a
 * clear bit; scans start there (next-fit would be faster, first-fit packs memory low).
 *
 * Invariants (`checkInvariants`): the set bits are exactly the frames of the allocated blocks,
 * the reserved frames and the padding; counts agree; `firstFree` is not past the first clear bit.
 *
 * Related: `api.ts` (the interface), `buddy.ts` (the fast alternative), `../laws/frame-allocator.ts`.
 */
import {
  DoubleFreeError,
  FrameBusyError,
  FrameRangeError,
  InvalidOrderError,
  InvariantError,
  MisalignedError,
  NotAllocatedError,
  VmArgumentError,
  WrongOrderError,
} from "../errors.js";
import { hex } from "../format.js";
import type { FrameEvent, Tracer } from "../tracer.js";
import { type FrameAllocator, MAX_SUPPORTED_ORDER } from "./api.js";

const RESERVED = 64;
const FULL = -1; // a word with all 32 bits set, as an int32

/** Options of {@link BitmapAllocator}. */
export interface BitmapOptions {
  /** Number of frames managed, frame numbers 0..frames-1. Up to 2^30. */
  readonly frames: number;
  /** Number of orders accepted by `alloc`: 0..maxOrder-1. Default 11 (as the buddy). Range 1..24. */
  readonly maxOrder?: number;
  /** Receives `frame.*` events. Default: none. */
  readonly tracer?: Tracer<FrameEvent>;
}

/**
 * First-fit bitmap allocator (see the file comment).
 *
 * @example
 * ```ts
 * const bm = new BitmapAllocator({ frames: 100 });
 * const a = bm.alloc(0);   // 0
 * const b = bm.alloc(2);   // 4: the first clear quad aligned to 4
 * bm.free(a!, 0);
 * bm.alloc(1);             // 0: frames 0-1 are clear again
 * ```
 */
export class BitmapAllocator implements FrameAllocator {
  readonly frameCount: number;
  readonly maxOrder: number;
  private readonly bits: Int32Array;
  private readonly order: Int8Array;
  private freeCount: number;
  private firstFree = 0;
  private readonly tracer: Tracer<FrameEvent> | undefined;

  /**
   * Build an allocator with every frame free.
   * @throws VmArgumentError when `frames` is not an integer in 1..2^30 or `maxOrder` not in 1..24.
   */
  constructor(options: BitmapOptions) {
    const { frames, maxOrder = 11 } = options;
    if (!Number.isInteger(frames) || frames < 1 || frames > 2 ** 30) {
      throw new VmArgumentError(
        `new BitmapAllocator(frames=${frames}): frames must be an integer in 1..2^30`,
      );
    }
    if (!Number.isInteger(maxOrder) || maxOrder < 1 || maxOrder > MAX_SUPPORTED_ORDER) {
      throw new VmArgumentError(
        `new BitmapAllocator(maxOrder=${maxOrder}): maxOrder must be an integer in 1..${MAX_SUPPORTED_ORDER}`,
      );
    }
    this.frameCount = frames;
    this.maxOrder = maxOrder;
    this.tracer = options.tracer;
    this.bits = new Int32Array(Math.ceil(frames / 32));
    this.order = new Int8Array(frames).fill(-1);
    if (frames % 32 !== 0) this.bits[this.bits.length - 1] = FULL << (frames % 32); // padding in use
    this.freeCount = frames;
  }

  /**
   * Allocate 2^order frames aligned to 2^order: the lowest such run of clear bits.
   * @returns the first frame, or `null` when no aligned run is clear.
   * @throws InvalidOrderError when `order` is not an integer in 0..maxOrder-1.
   */
  alloc(order: number): number | null {
    if (!(order >>> 0 === order && order < this.maxOrder)) {
      throw new InvalidOrderError(
        `alloc(order=${order}): order must be an integer in 0..${this.maxOrder - 1}`,
      );
    }
    const p = order <= 5 ? this.findInWords(order) : this.findWholeWords(order);
    if (p < 0) {
      if (this.tracer !== undefined) this.tracer.emit({ type: "frame.oom", order });
      return null;
    }
    this.setBits(p, 1 << order, true);
    this.order[p] = order;
    this.freeCount -= 1 << order;
    while (this.firstFree < this.bits.length && this.bits[this.firstFree] === FULL) this.firstFree++;
    if (this.tracer !== undefined) this.tracer.emit({ type: "frame.alloc", pfn: p, order });
    return p;
  }

  /** Blocks of up to 32 frames lie inside one word: test each aligned slot with a mask. */
  private findInWords(order: number): number {
    const size = 1 << order;
    const ones = size === 32 ? FULL : (1 << size) - 1; // order 2: 0b1111
    const bits = this.bits;
    for (let w = this.firstFree; w < bits.length; w++) {
      const word = bits[w]!;
      if (word === FULL) continue;
      for (let j = 0; j < 32; j += size) {
        if ((word & (ones << j)) === 0) return w * 32 + j;
      }
    }
    return -1;
  }

  /** Blocks of 64 frames or more are 2^(order-5) whole words, aligned to that many words. */
  private findWholeWords(order: number): number {
    const words = 1 << (order - 5);
    const bits = this.bits;
    const start = this.firstFree - (this.firstFree % words);
    outer: for (let w = start; w + words <= bits.length; w += words) {
      for (let i = 0; i < words; i++) if (bits[w + i] !== 0) continue outer;
      return w * 32;
    }
    return -1;
  }

  /** Set or clear `count` bits from frame `p`. */
  private setBits(p: number, count: number, value: boolean): void {
    const bits = this.bits;
    for (let f = p; f < p + count; ) {
      const w = f >>> 5;
      const j = f & 31;
      const n = Math.min(32 - j, p + count - f);
      const mask = n === 32 ? FULL : ((1 << n) - 1) << j;
      bits[w] = value ? bits[w]! | mask : bits[w]! & ~mask;
      f += n;
    }
  }

  /**
   * Free the order-`order` block at `pfn` (clear its bits).
   * @throws the same typed errors as `BuddyAllocator.free`, leaving the allocator unchanged.
   */
  free(pfn: number, order: number): void {
    if (order >>> 0 >= this.maxOrder || this.order[pfn] !== order) this.refuseFree(pfn, order);
    this.order[pfn] = -1;
    this.setBits(pfn, 1 << order, false);
    this.freeCount += 1 << order;
    const w = pfn >>> 5;
    if (w < this.firstFree) this.firstFree = w;
    if (this.tracer !== undefined) this.tracer.emit({ type: "frame.free", pfn, order });
  }

  /** One frame for a page table: `alloc(0)`. */
  allocFrame(): number | null {
    return this.alloc(0);
  }

  /** `free(pfn, 0)`. */
  freeFrame(pfn: number): void {
    this.free(pfn, 0);
  }

  /**
   * Take frames `pfn..pfn+count-1` out of the pool.
   * @throws FrameRangeError for a range outside 0..frameCount-1; FrameBusyError when a frame in it
   *   is not free (then nothing is reserved).
   */
  reserve(pfn: number, count: number): void {
    this.checkRange("reserve", pfn, count);
    for (let f = pfn; f < pfn + count; f++) {
      if (this.bit(f)) {
        const what = this.order[f] === RESERVED ? "already reserved" : "allocated";
        throw new FrameBusyError(
          `reserve(pfn=${hex(pfn)}, count=${count}): frame ${hex(f)} is ${what}, not free`,
        );
      }
    }
    this.setBits(pfn, count, true);
    this.order.fill(RESERVED, pfn, pfn + count);
    this.freeCount -= count;
    while (this.firstFree < this.bits.length && this.bits[this.firstFree] === FULL) this.firstFree++;
    if (this.tracer !== undefined) this.tracer.emit({ type: "frame.reserve", pfn, count });
  }

  /** Frames currently free. */
  freeFrames(): number {
    return this.freeCount;
  }

  /**
   * Whether `pfn` is in use (allocated or reserved).
   * @throws FrameRangeError for a pfn outside 0..frameCount-1.
   */
  isAllocated(pfn: number): boolean {
    if (!Number.isInteger(pfn) || pfn < 0 || pfn >= this.frameCount) {
      throw new FrameRangeError(
        `isAllocated(pfn=${pfn}): frame must be an integer in 0..${hex(this.frameCount - 1)}`,
      );
    }
    return this.bit(pfn);
  }

  private bit(f: number): boolean {
    return (this.bits[f >>> 5]! & (1 << (f & 31))) !== 0;
  }

  /**
   * Check the invariants of the file comment, O(frames).
   * @throws InvariantError naming the first broken one.
   */
  checkInvariants(): void {
    const n = this.frameCount;
    let used = 0;
    for (let p = 0; p < n; ) {
      const k = this.order[p]!;
      if (k === RESERVED) {
        if (!this.bit(p)) throw new InvariantError(`reserved frame ${hex(p)} has a clear bit`);
        used++;
        p++;
      } else if (k >= 0 && k < this.maxOrder) {
        const size = 2 ** k;
        if (p % size !== 0) throw new InvariantError(`allocated block ${hex(p)} is not aligned to ${size}`);
        if (p + size > n) throw new InvariantError(`allocated block ${hex(p)} runs past frameCount`);
        for (let f = p; f < p + size; f++) {
          if (!this.bit(f))
            throw new InvariantError(`frame ${hex(f)} of allocated block ${hex(p)} has a clear bit`);
          if (f > p && this.order[f] !== -1) {
            throw new InvariantError(`frame ${hex(f)} inside block ${hex(p)} has order tag ${this.order[f]}`);
          }
        }
        used += size;
        p += size;
      } else if (k === -1) {
        if (this.bit(p)) throw new InvariantError(`frame ${hex(p)} has its bit set but belongs to no block`);
        p++;
      } else {
        throw new InvariantError(`frame ${hex(p)} has a bad order tag ${k}`);
      }
    }
    for (let f = n; f < this.bits.length * 32; f++) {
      if (!this.bit(f)) throw new InvariantError(`padding bit ${f} is clear`);
    }
    if (n - used !== this.freeCount) {
      throw new InvariantError(`${n - used} frames have clear bits, freeFrames()=${this.freeCount}`);
    }
    for (let w = 0; w < this.firstFree; w++) {
      if (this.bits[w] !== FULL)
        throw new InvariantError(`firstFree=${this.firstFree} but word ${w} has a clear bit`);
    }
  }

  private checkRange(call: string, pfn: number, count: number): void {
    if (!Number.isInteger(count) || count < 1) {
      throw new FrameRangeError(`${call}(pfn=${pfn}, count=${count}): count must be a positive integer`);
    }
    if (!Number.isInteger(pfn) || pfn < 0 || pfn + count > this.frameCount) {
      throw new FrameRangeError(
        `${call}(pfn=${pfn}, count=${count}): range must lie in frames 0..${hex(this.frameCount - 1)}`,
      );
    }
  }

  private refuseFree(pfn: number, order: number): never {
    const call = `free(pfn=${hex(pfn)}, order=${order})`;
    if (!(order >>> 0 === order && order < this.maxOrder)) {
      throw new InvalidOrderError(`${call}: order must be an integer in 0..${this.maxOrder - 1}`);
    }
    if (!Number.isInteger(pfn) || pfn < 0 || pfn >= this.frameCount) {
      throw new FrameRangeError(`${call}: frame must be an integer in 0..${hex(this.frameCount - 1)}`);
    }
    if (pfn % 2 ** order !== 0) {
      throw new MisalignedError(`${call}: an order-${order} block starts at a multiple of ${2 ** order}`);
    }
    const k = this.order[pfn]!;
    if (k === RESERVED) throw new NotAllocatedError(`${call}: frame is reserved, not allocated`);
    if (k >= 0) throw new WrongOrderError(`${call}: the block at ${hex(pfn)} was allocated with order ${k}`);
    if (!this.bit(pfn))
      throw new DoubleFreeError(`${call}: block is not allocated (double free?): frame is free`);
    throw new NotAllocatedError(`${call}: frame lies inside an allocated block, not at its start`);
  }
}
