/**
 * A binary buddy frame allocator, as Linux's `mm/page_alloc.c` has it.
 *
 * Physical memory is cut into blocks of 2^k frames ("order k"), each aligned to 2^k frames.
 * Every free block sits on the free list of its order. To allocate order j, take the first
 * block of the smallest order k >= j that has one, and split it in halves k-j times, keeping the
 * low half and putting each high half on the list one order down. To free, look at the block's
 * buddy — the other half of the pair it was split from — and while the buddy is a free block of
 * the same order, take it off its list and merge; then put the (bigger) block on its list.
 *
 * The buddy of the order-k block at frame B is B XOR 2^k: flipping bit k moves between the two
 * halves of the order-(k+1) block, whose start is B AND NOT 2^k. Worked numbers (Linux's own
 * comment uses them): block 8 at order 1 covers frames 8..9; its buddy is 8 ^ 2 = 10 (frames
 * 10..11); together they form the order-2 block at 8 & ~2 = 8, frames 8..11. Block 12 at order 2
 * has buddy 12 ^ 4 = 8, and the merged order-3 block starts at 12 & ~4 = 8.
 *
 * ```
 *  alloc(0) on a free order-3 block at 8:        free(8, 0) afterwards:
 *  order 3  [8 ...................... 15]        buddy 8^1 = 9 free at order 0 -> merge to 8 (order 1)
 *  order 2  [8 ...... 11] [12 ... 15] -> list     buddy 8^2 = 10 free at order 1 -> merge to 8 (order 2)
 *  order 1  [8 .. 9] [10 .. 11] -> list           buddy 8^4 = 12 free at order 2 -> merge to 8 (order 3)
 *  order 0  [8] [9] -> list; 8 is returned        order 3 list: [8 ... 15] again
 * ```
 *
 * Metadata, struct-of-arrays in typed arrays indexed by frame number (9 bytes per frame, plus
 * padding up to a multiple of the largest block):
 *
 * | array   | type  | meaning                                                          |
 * |---------|-------|------------------------------------------------------------------|
 * | `next`  | int32 | next node on the same free list                                  |
 * | `prev`  | int32 | previous node on the same free list                              |
 * | `tag`   | int8  | k: head of a free order-k block; 32+k: head of an allocated order-k block; 64: reserved frame; -1: inside a block (or padding) |
 *
 * The free lists are circular and doubly linked through a head node per order, as Linux's
 * `list_head` in `free_area[order].free_list`: the head node of list k is slot `lists + k` of
 * `next`/`prev`, just past the frames (`lists` = the padded frame count). An empty list is its
 * head node alone (`next[lists + k] === lists + k`). Every block therefore has a real node on both
 * sides, and pushing or unlinking is four unconditional stores with no "is it the first / the
 * last?" branch:
 *
 * ```
 *  list 1 holding blocks 2 and 10 (lists = 1024, head node 1025):
 *    next[1025] = 2    next[2] = 10    next[10] = 1025
 *    prev[1025] = 10   prev[2] = 1025  prev[10] = 2
 *  unlink(2):  next[prev[2]] = next[2]  ->  next[1025] = 10
 *              prev[next[2]] = prev[2]  ->  prev[10] = 1025
 * ```
 *
 * (Besides being the textbook form, it keeps the JIT's code stable: a branch that the first few
 * thousand operations happen never to take, such as "the unlinked block was the list's first",
 * has no type feedback when V8 optimizes the hot path, and taking it later deoptimized and
 * recompiled the caller; see docs/journal/vm.md, "Buddy alloc+free, round 5".)
 *
 * The tag makes the buddy check O(1) (`tag[B ^ 2^k] === k`) and lets `free` validate its
 * arguments with one comparison (`tag[pfn] === 32 + order`), so a double free or a wrong order is
 * caught without a search. Linux keeps the same facts in `struct page` (`PageBuddy`,
 * `buddy_order`).
 *
 * Invariants (`checkInvariants`): the free blocks, the allocated blocks and the reserved frames
 * partition 0..frameCount-1; every free block is on exactly the list of its order, aligned to its
 * size; no two free buddies of the same order are both free (they would have merged); the counts
 * agree with the lists.
 *
 * Related: `api.ts` (the interface), `bitmap.ts` (the simple alternative), `memory-map.ts`
 * (reserving the holes of a boot memory map), `../laws/frame-allocator.ts` (the laws it passes).
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

/** Tag of a frame inside a block (not its head), or of padding beyond `frameCount`. */
const NONE = -1;
/** Tag base of an allocated block's head frame: the tag is `ALLOCATED + order`. */
const ALLOCATED = 32;
/** Tag of a frame taken out of the pool by `reserve`. */
const RESERVED = 64;

/** Options of {@link BuddyAllocator}. */
export interface BuddyOptions {
  /** Number of frames managed, frame numbers 0..frames-1. Need not be a power of two. Up to 2^30. */
  readonly frames: number;
  /** Number of orders: blocks of 2^0 .. 2^(maxOrder-1) frames. Default 11, as Linux's MAX_ORDER (4 MiB blocks). Range 1..24. */
  readonly maxOrder?: number;
  /** Receives `frame.*` events. Default: none. */
  readonly tracer?: Tracer<FrameEvent>;
}

/** The containing block of a frame, as {@link BuddyAllocator.blockOf} reports it. */
export interface BuddyBlock {
  /** First frame of the block. */
  readonly pfn: number;
  /** The block covers 2^order frames (0 for a reserved frame). */
  readonly order: number;
  /** What the block is. */
  readonly state: "free" | "allocated" | "reserved";
}

/**
 * Linux-style binary buddy allocator over `frames` frames (see the file comment for the
 * algorithm and the metadata layout).
 *
 * @example
 * ```ts
 * const buddy = new BuddyAllocator({ frames: 1024, maxOrder: 11 });
 * const a = buddy.alloc(0);           // 0: the order-10 block at 0 is split 10 times
 * const b = buddy.alloc(1);           // 2: frames 2..3 (frame 1 is a free order-0 block)
 * buddy.free(a!, 0);                  // 0's buddy 1 is free: they merge into order-1 block 0
 * buddy.free(b!, 1);                  // merges all the way back to one order-10 block
 * buddy.buddyinfo();                  // "Node 0, zone   Normal      0 ...      1 \n"
 * ```
 */
export class BuddyAllocator implements FrameAllocator {
  // The fields are `declare`d and assigned once in the constructor. A plain field declaration
  // compiles (ES2022 class fields) to a property first set to `undefined`; V8 then widens the
  // field's representation when the constructor stores the real value (a small-integer field
  // becomes "any number", a typed-array field "any object"), and every inlined use in the hot
  // paths pays for it: `maxOrder` was loaded as a possible heap number and the order scan ran on
  // doubles (perf annotate of the baseline replay).
  declare readonly frameCount: number;
  declare readonly maxOrder: number;
  declare private readonly next: Int32Array;
  declare private readonly prev: Int32Array;
  declare private readonly tag: Int8Array;
  /** The head node of free list k is slot `lists + k` of `next`/`prev` (just past the frames). */
  declare private readonly lists: number;
  /** Number of free blocks of each order. */
  declare private readonly nfree: Int32Array;
  declare private reservedCount: number;
  declare private readonly tracer: Tracer<FrameEvent> | undefined;

  /**
   * Build an allocator with every frame free, as maximal aligned blocks.
   * @throws VmArgumentError when `frames` is not an integer in 1..2^30 or `maxOrder` not in 1..24.
   */
  constructor(options: BuddyOptions) {
    const { frames, maxOrder = 11 } = options;
    if (!Number.isInteger(frames) || frames < 1 || frames > 2 ** 30) {
      throw new VmArgumentError(`new BuddyAllocator(frames=${frames}): frames must be an integer in 1..2^30`);
    }
    if (!Number.isInteger(maxOrder) || maxOrder < 1 || maxOrder > MAX_SUPPORTED_ORDER) {
      throw new VmArgumentError(
        `new BuddyAllocator(maxOrder=${maxOrder}): maxOrder must be an integer in 1..${MAX_SUPPORTED_ORDER}`,
      );
    }
    this.frameCount = frames;
    this.maxOrder = maxOrder;
    this.tracer = options.tracer;
    this.reservedCount = 0;
    // Pad to a whole number of largest blocks so that a buddy index B ^ 2^k never leaves the
    // arrays: the free path then needs no bounds check (padding frames are tagged NONE). The
    // list head nodes follow the padding, each list empty: its head node linked to itself.
    const top = 2 ** (maxOrder - 1);
    const padded = Math.ceil(frames / top) * top;
    this.next = new Int32Array(padded + maxOrder).fill(-1);
    this.prev = new Int32Array(padded + maxOrder).fill(-1);
    this.tag = new Int8Array(padded).fill(NONE);
    // `| 0`: Math.ceil gives a heap number here, and a field whose first value is one keeps a
    // double representation, so `lists + k` in the hot paths would be floating-point arithmetic.
    this.lists = padded | 0;
    for (let k = 0; k < maxOrder; k++) {
      this.next[padded + k] = padded + k;
      this.prev[padded + k] = padded + k;
    }
    this.nfree = new Int32Array(maxOrder);
    // Cover 0..frames-1 with maximal aligned blocks, then push them highest first so that the
    // lowest block ends up at the head of its list (the baseline's initial state).
    const blocks: number[] = [];
    for (let p = 0; p < frames; ) {
      let k = maxOrder - 1;
      while (p % 2 ** k !== 0 || p + 2 ** k > frames) k--;
      blocks.push(p, k);
      p += 2 ** k;
    }
    for (let i = blocks.length - 2; i >= 0; i -= 2) this.push(blocks[i]!, blocks[i + 1]!);
  }

  // --- free lists --------------------------------------------------------------------------

  /** Put the order-k block at p first on list k (right after its head node). */
  private push(p: number, k: number): void {
    const s = this.lists + k;
    const h = this.next[s]!;
    this.next[p] = h;
    this.prev[p] = s;
    this.prev[h] = p;
    this.next[s] = p;
    this.tag[p] = k;
    this.nfree[k] = this.nfree[k]! + 1;
  }

  /** Take the order-k block at p off list k in O(1). */
  private unlink(p: number, k: number): void {
    const n = this.next[p]!;
    const q = this.prev[p]!;
    this.next[q] = n;
    this.prev[n] = q;
    this.tag[p] = NONE;
    this.nfree[k] = this.nfree[k]! - 1;
  }

  /**
   * Merge the order-k block at p with its free buddies and put the result on its list.
   * `unlink` and `push` are written out inline here and in `alloc`, on locals: this is the hot
   * path of the allocator, and V8 then keeps the typed arrays in registers (about +10 % on the
   * baseline workload, measured).
   */
  private coalesce(p: number, order: number): void {
    const { tag, next, prev, nfree } = this;
    const top = this.maxOrder - 1;
    while (order < top) {
      const b = p ^ (1 << order);
      if (tag[b] !== order) break; // the buddy is split, allocated, reserved, or padding
      const n = next[b]!; // unlink(b, order)
      const q = prev[b]!;
      next[q] = n;
      prev[n] = q;
      tag[b] = NONE;
      nfree[order] = nfree[order]! - 1;
      p &= ~(1 << order);
      order++;
    }
    const s = this.lists + order; // push(p, order) after the head node s
    const h = next[s]!;
    next[p] = h;
    prev[p] = s;
    prev[h] = p;
    next[s] = p;
    tag[p] = order;
    nfree[order] = nfree[order]! + 1;
  }

  // --- FrameAllocator ------------------------------------------------------------------------

  /**
   * Allocate 2^order contiguous frames aligned to 2^order: the first block of the smallest order
   * >= `order` that has one, split down keeping the low half.
   *
   * @returns the first frame, or `null` when no block of order >= `order` is free (out of memory
   *   is a result). `null` rather than an object keeps this hot path free of allocation.
   * @throws InvalidOrderError when `order` is not an integer in 0..maxOrder-1.
   * @example
   * ```ts
   * const pfn = buddy.alloc(3); // 8 frames, pfn % 8 === 0, or null
   * ```
   */
  alloc(order: number): number | null {
    const maxOrder = this.maxOrder;
    if (!(order >>> 0 === order && order < maxOrder)) this.refuseOrder("alloc", order);
    const { next, prev, tag, nfree, lists } = this;
    let k = order;
    while (k < maxOrder && nfree[k] === 0) k++;
    if (k === maxOrder) {
      if (this.tracer !== undefined) this.tracer.emit({ type: "frame.oom", order });
      return null;
    }
    const s = lists + k;
    const p = next[s]!; // unlink the first block p (the list is not empty)
    const n = next[p]!;
    next[s] = n;
    prev[n] = s;
    nfree[k] = nfree[k]! - 1;
    while (k > order) {
      k--;
      const hi = p + (1 << k); // the high half goes back, one order down: push(hi, k)
      const sk = lists + k; // (recomputed: a `s--` phi would be a float64 in V8's loop code)
      const h = next[sk]!;
      next[hi] = h;
      prev[hi] = sk;
      prev[h] = hi;
      next[sk] = hi;
      tag[hi] = k;
      nfree[k] = nfree[k]! + 1;
    }
    tag[p] = ALLOCATED + order;
    if (this.tracer !== undefined) this.tracer.emit({ type: "frame.alloc", pfn: p, order });
    return p;
  }

  /**
   * Free the order-`order` block at `pfn`, merging it with its free buddies.
   *
   * @throws InvalidOrderError for an order outside 0..maxOrder-1; FrameRangeError for a pfn
   *   outside 0..frameCount-1; MisalignedError for a pfn not a multiple of 2^order;
   *   DoubleFreeError when the block is free already; WrongOrderError when it was allocated with
   *   another order; NotAllocatedError for a reserved frame or a frame inside a block. The
   *   allocator is unchanged after any of these.
   * @example
   * ```ts
   * buddy.free(8, 1); // and 10 at order 1 free too: they merge into order-2 block 8
   * ```
   */
  free(pfn: number, order: number): void {
    const tag = this.tag;
    // One comparison validates everything: only the head of an allocated order-k block has tag
    // 32 + k. The range check on order stops a negative order from matching another tag.
    if (order >>> 0 >= this.maxOrder || tag[pfn] !== ALLOCATED + order) this.refuseFree(pfn, order);
    tag[pfn] = NONE;
    this.coalesce(pfn, order);
    if (this.tracer !== undefined) this.tracer.emit({ type: "frame.free", pfn, order });
  }

  /** One frame for a page table: `alloc(0)`. */
  allocFrame(): number | null {
    return this.alloc(0);
  }

  /** Give back a frame from {@link BuddyAllocator.allocFrame}: `free(pfn, 0)`. */
  freeFrame(pfn: number): void {
    this.free(pfn, 0);
  }

  /**
   * Take frames `pfn..pfn+count-1` out of the free pool for good (a hole in the boot memory map,
   * MMIO, the kernel image). Free blocks that straddle the range are split; the parts outside it
   * stay free.
   *
   * @throws FrameRangeError when the range leaves 0..frameCount-1 or `count` is not a positive
   *   integer; FrameBusyError when any frame in it is not free (allocated or already reserved).
   *   Nothing is reserved then.
   * @example
   * ```ts
   * buddy.reserve(0xa0, 0x60); // the legacy VGA/BIOS hole 640 KiB..1 MiB
   * ```
   */
  reserve(pfn: number, count: number): void {
    this.checkRange("reserve", pfn, count);
    const end = pfn + count;
    // Pass 1, nothing changed yet: every frame of the range must lie in a free block.
    for (let f = pfn; f < end; ) {
      const b = this.freeBlockContaining(f);
      if (b < 0) {
        const what = this.tag[f] === RESERVED ? "already reserved" : "allocated";
        throw new FrameBusyError(
          `reserve(pfn=${hex(pfn)}, count=${count}): frame ${hex(f)} is ${what}, not free`,
        );
      }
      f = b + (1 << this.tag[b]!);
    }
    // Pass 2: carve each overlapping free block.
    for (let f = pfn; f < end; ) {
      const b = this.freeBlockContaining(f);
      const k = this.tag[b]!;
      this.unlink(b, k);
      this.carve(b, k, pfn, end);
      f = b + (1 << k);
    }
    this.reservedCount += count;
    if (this.tracer !== undefined) this.tracer.emit({ type: "frame.reserve", pfn, count });
  }

  /** Split the (unlinked) order-k block at b: frames in [start, end) become reserved, the rest free. */
  private carve(b: number, k: number, start: number, end: number): void {
    const size = 1 << k;
    if (b >= start && b + size <= end) {
      this.tag.fill(RESERVED, b, b + size);
    } else if (b + size <= start || b >= end) {
      this.push(b, k);
    } else {
      this.carve(b, k - 1, start, end);
      this.carve(b + (size >> 1), k - 1, start, end);
    }
  }

  /**
   * Give reserved frames back to the free pool (Linux's `free_reserved_area`, used when the boot
   * code no longer needs its memory). Each frame merges with its free buddies.
   *
   * @throws FrameRangeError for a range outside 0..frameCount-1; NotAllocatedError when a frame
   *   in it is not reserved. Nothing is released then.
   */
  release(pfn: number, count: number): void {
    this.checkRange("release", pfn, count);
    const end = pfn + count;
    for (let f = pfn; f < end; f++) {
      if (this.tag[f] !== RESERVED) {
        throw new NotAllocatedError(
          `release(pfn=${hex(pfn)}, count=${count}): frame ${hex(f)} is not reserved`,
        );
      }
    }
    for (let f = pfn; f < end; f++) {
      this.tag[f] = NONE;
      this.coalesce(f, 0);
    }
    this.reservedCount -= count;
    if (this.tracer !== undefined) this.tracer.emit({ type: "frame.release", pfn, count });
  }

  /**
   * Frames currently free: the sum over the orders of `nfree[k] * 2^k`, O(maxOrder).
   *
   * Computed from the per-order counts rather than kept in a counter of its own: `alloc` and
   * `free` then do one read-modify-write fewer each (+2-3 % on the buddy baseline's replay,
   * measured in one process), and nothing hot asks for the total.
   */
  freeFrames(): number {
    const nfree = this.nfree;
    let frames = 0;
    for (let k = 0; k < this.maxOrder; k++) frames += nfree[k]! * 2 ** k;
    return frames;
  }

  /** Frames currently taken out by {@link BuddyAllocator.reserve}. */
  reservedFrames(): number {
    return this.reservedCount;
  }

  /** Number of free blocks of order `order` (Linux's `free_area[order].nr_free`). */
  freeBlocks(order: number): number {
    if (!(order >>> 0 === order && order < this.maxOrder)) this.refuseOrder("freeBlocks", order);
    return this.nfree[order]!;
  }

  /**
   * Whether `pfn` lies in an allocated block or is reserved.
   * @throws FrameRangeError for a pfn outside 0..frameCount-1.
   */
  isAllocated(pfn: number): boolean {
    return this.blockOf(pfn).state !== "free";
  }

  /**
   * The order a block was allocated with, if `pfn` is the first frame of an allocated block; -1
   * otherwise (free, reserved, inside a block, or out of range). O(1); the virtual buddy uses it
   * to free by address alone.
   */
  allocatedOrder(pfn: number): number {
    const t = this.tag[pfn];
    return t !== undefined && t >= ALLOCATED && t < ALLOCATED + this.maxOrder ? t - ALLOCATED : -1;
  }

  /**
   * The block containing `pfn`: its first frame, its order and its state. O(maxOrder): try each
   * aligned start `pfn & ~(2^k - 1)` and accept the one whose tag says "order k".
   * @throws FrameRangeError for a pfn outside 0..frameCount-1.
   */
  blockOf(pfn: number): BuddyBlock {
    if (!Number.isInteger(pfn) || pfn < 0 || pfn >= this.frameCount) {
      throw new FrameRangeError(
        `blockOf(pfn=${pfn}): frame must be an integer in 0..${hex(this.frameCount - 1)}`,
      );
    }
    const tag = this.tag;
    if (tag[pfn] === RESERVED) return { pfn, order: 0, state: "reserved" };
    for (let k = 0; k < this.maxOrder; k++) {
      const b = pfn & ~((1 << k) - 1);
      const t = tag[b]!;
      if (t === k) return { pfn: b, order: k, state: "free" };
      if (t === ALLOCATED + k) return { pfn: b, order: k, state: "allocated" };
    }
    throw new InvariantError(`blockOf(pfn=${hex(pfn)}): no block contains the frame`);
  }

  /** The first frame of the free block containing f, or -1 when f is not in a free block. */
  private freeBlockContaining(f: number): number {
    const tag = this.tag;
    for (let k = 0; k < this.maxOrder; k++) {
      const b = f & ~((1 << k) - 1);
      if (tag[b] === k) return b;
    }
    return -1;
  }

  // --- reports -------------------------------------------------------------------------------

  /**
   * The free-block counts per order in the format of Linux's `/proc/buddyinfo`
   * (mm/vmstat.c `frag_show_print`: `"Node %d, zone %8s "` then `"%6lu "` per order, newline).
   *
   * @example
   * ```ts
   * new BuddyAllocator({ frames: 2048 }).buddyinfo();
   * // "Node 0, zone   Normal      0      0      0      0      0      0      0      0      0      0      2 \n"
   * ```
   */
  buddyinfo(zone = "Normal", node = 0): string {
    let line = `Node ${node}, zone ${zone.padStart(8)} `;
    for (let k = 0; k < this.maxOrder; k++) line += `${String(this.nfree[k]).padStart(6)} `;
    return `${line}\n`;
  }

  /**
   * Linux's unusable free space index for an allocation of `order` (mm/vmstat.c
   * `unusable_free_index`): the fraction of free frames that sit in blocks too small for it.
   * 0 = every free frame is usable, 1 = none is. With nothing free the index is 1: Linux reads
   * "no free memory" as "all free memory is unusable" (`if (info->free_pages == 0) return 1000;`).
   *
   * Worked numbers: free blocks 4 x order 0 and 1 x order 2 = 8 free frames; for order 2 the
   * usable ones are the 4 in the order-2 block, so the index is (8 - 4) / 8 = 0.5.
   */
  unusableIndex(order: number): number {
    if (!(order >>> 0 === order && order < this.maxOrder)) this.refuseOrder("unusableIndex", order);
    const free = this.freeFrames();
    if (free === 0) return 1;
    let suitable = 0;
    for (let k = order; k < this.maxOrder; k++) suitable += this.nfree[k]! * 2 ** k;
    return (free - suitable) / free;
  }

  /**
   * Linux's external fragmentation index for `order` (mm/vmstat.c `__fragmentation_index`):
   * -1 when an order-`order` allocation would succeed; otherwise a value in 0..1 that tends to 0
   * when the failure is for lack of memory and to 1 when it is for fragmentation.
   * Formula: 1 - (1 + free / 2^order) / freeBlocks.
   */
  fragmentationIndex(order: number): number {
    if (!(order >>> 0 === order && order < this.maxOrder)) this.refuseOrder("fragmentationIndex", order);
    let blocks = 0;
    for (let k = 0; k < this.maxOrder; k++) {
      if (k >= order && this.nfree[k]! > 0) return -1;
      blocks += this.nfree[k]!;
    }
    if (blocks === 0) return 0;
    return 1 - (1 + this.freeFrames() / 2 ** order) / blocks;
  }

  // --- invariants ----------------------------------------------------------------------------

  /**
   * Check every invariant of the file comment, O(frames).
   * @throws InvariantError naming the first broken invariant.
   */
  checkInvariants(): void {
    const { tag, next, prev, frameCount: n, maxOrder } = this;
    const onList = new Uint8Array(tag.length);
    for (let k = 0; k < maxOrder; k++) {
      let count = 0;
      const s = this.lists + k;
      let before = s;
      for (let p = next[s]!; p !== s; p = next[p]!) {
        if (p >= n)
          throw new InvariantError(`free list ${k}: block ${hex(p)} is beyond frameCount ${hex(n)}`);
        if (onList[p]) throw new InvariantError(`free list ${k}: block ${hex(p)} is on a free list twice`);
        onList[p] = 1;
        if (tag[p] !== k)
          throw new InvariantError(`free list ${k}: block ${hex(p)} has tag ${tag[p]}, not ${k}`);
        if (p % 2 ** k !== 0)
          throw new InvariantError(`free list ${k}: block ${hex(p)} is not aligned to ${2 ** k}`);
        if (p + 2 ** k > n) throw new InvariantError(`free list ${k}: block ${hex(p)} runs past frameCount`);
        if (prev[p] !== before) {
          throw new InvariantError(`free list ${k}: prev of ${hex(p)} is ${prev[p]}, expected ${before}`);
        }
        before = p;
        if (++count > this.nfree[k]!) {
          throw new InvariantError(`free list ${k}: more than nfree=${this.nfree[k]} blocks (or a cycle)`);
        }
      }
      if (prev[s] !== before) {
        throw new InvariantError(
          `free list ${k}: the list head's prev is ${prev[s]}, expected the last block ${before}`,
        );
      }
      if (count !== this.nfree[k])
        throw new InvariantError(`free list ${k}: ${count} blocks but nfree=${this.nfree[k]}`);
    }
    // The blocks must partition 0..n-1: walk it block by block. (There is no free-frame counter to
    // check: freeFrames() is computed from nfree, which the list walk above checked.)
    let reserved = 0;
    for (let p = 0; p < n; ) {
      const t = tag[p]!;
      let size: number;
      if (t === RESERVED) {
        size = 1;
        reserved++;
      } else if (t >= 0 && t < maxOrder) {
        if (!onList[p])
          throw new InvariantError(`frame ${hex(p)} is tagged free order ${t} but is on no free list`);
        size = 2 ** t;
        const b = p ^ size;
        if (t < maxOrder - 1 && b + size <= n && tag[b] === t) {
          throw new InvariantError(`free buddies ${hex(p)} and ${hex(b)} of order ${t} were not merged`);
        }
      } else if (t >= ALLOCATED && t < ALLOCATED + maxOrder) {
        size = 2 ** (t - ALLOCATED);
        if (p % size !== 0) throw new InvariantError(`allocated block ${hex(p)} is not aligned to ${size}`);
      } else {
        throw new InvariantError(`frame ${hex(p)} (tag ${t}) starts no block: not covered by any block`);
      }
      if (p + size > n) throw new InvariantError(`block ${hex(p)} runs past frameCount ${hex(n)}`);
      for (let q = p + 1; q < p + size; q++) {
        if (tag[q] !== NONE)
          throw new InvariantError(`frame ${hex(q)} inside block ${hex(p)} has tag ${tag[q]}`);
      }
      p += size;
    }
    for (let q = n; q < tag.length; q++) {
      if (tag[q] !== NONE) throw new InvariantError(`padding frame ${hex(q)} has tag ${tag[q]}`);
    }
    if (reserved !== this.reservedCount) {
      throw new InvariantError(
        `${reserved} frames are tagged reserved, reservedFrames()=${this.reservedCount}`,
      );
    }
  }

  // --- refusals (cold paths) -----------------------------------------------------------------

  private refuseOrder(call: string, order: number): never {
    throw new InvalidOrderError(
      `${call}(order=${order}): order must be an integer in 0..${this.maxOrder - 1}`,
    );
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
    const call = `free(pfn=${typeof pfn === "number" && Number.isInteger(pfn) ? hex(pfn) : pfn}, order=${order})`;
    if (!(order >>> 0 === order && order < this.maxOrder)) {
      throw new InvalidOrderError(`${call}: order must be an integer in 0..${this.maxOrder - 1}`);
    }
    if (!Number.isInteger(pfn) || pfn < 0 || pfn >= this.frameCount) {
      throw new FrameRangeError(`${call}: frame must be an integer in 0..${hex(this.frameCount - 1)}`);
    }
    if (pfn % 2 ** order !== 0) {
      throw new MisalignedError(`${call}: an order-${order} block starts at a multiple of ${2 ** order}`);
    }
    const block = this.blockOf(pfn);
    if (block.state === "reserved") throw new NotAllocatedError(`${call}: frame is reserved, not allocated`);
    if (block.state === "free") {
      throw new DoubleFreeError(
        `${call}: block is not allocated (double free?): it lies in the free order-${block.order} block ${hex(block.pfn)}`,
      );
    }
    if (block.pfn === pfn) {
      throw new WrongOrderError(`${call}: the block at ${hex(pfn)} was allocated with order ${block.order}`);
    }
    throw new NotAllocatedError(
      `${call}: frame lies inside the allocated order-${block.order} block ${hex(block.pfn)}, not at its start`,
    );
  }
}
