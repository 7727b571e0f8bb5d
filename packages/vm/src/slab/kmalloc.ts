/**
 * `kmalloc`: allocation of any size from a ladder of slab caches (Linux's kmalloc-8 ...
 * kmalloc-2048 caches; Lunaix's `valloc` piles do the same).
 *
 * A request is rounded up to the next size class and served by that class's `SlabCache`; a
 * request above the largest class takes whole frames from the frame allocator (Linux's
 * `kmalloc_large`), the smallest order that fits:
 *
 * | size     | served by          | waste (worst case) |
 * |----------|--------------------|--------------------|
 * | 1..8     | kmalloc-8          | 7 B                |
 * | 9..16    | kmalloc-16         | 7 B                |
 * | ...      | ...                | < half             |
 * | 1025..2048 | kmalloc-2048     | 1023 B             |
 * | 2049..   | 2^order frames     | < half             |
 *
 * Worked numbers: kmalloc(100) -> kmalloc-128 (28 B lost); kmalloc(5000) -> an order-1 block
 * (2 frames, 8192 B).
 *
 * Related: `slab-cache.ts` (each class), `../frames/api.ts` (large requests).
 */
import { InvariantError, SlabObjectError, VmArgumentError } from "../errors.js";
import { hex } from "../format.js";
import type { FrameAllocator } from "../frames/api.js";
import { FRAME_SIZE } from "../frames/api.js";
import { SlabCache, type SlabStats } from "./slab-cache.js";

/** The size classes, in bytes. */
export const KMALLOC_SIZES: readonly number[] = [8, 16, 32, 64, 128, 256, 512, 1024, 2048];

/**
 * Size-class allocator over slab caches and, for large sizes, the frame allocator.
 *
 * @example
 * ```ts
 * const heap = new Kmalloc(new BuddyAllocator({ frames: 1024 }));
 * const a = heap.alloc(100)!;   // from kmalloc-128
 * const big = heap.alloc(5000)!; // two frames
 * heap.free(a);
 * heap.free(big);
 * ```
 */
export class Kmalloc {
  private readonly caches: SlabCache[];
  private readonly large = new Map<number, number>(); // first frame -> order

  constructor(readonly frames: FrameAllocator) {
    this.caches = KMALLOC_SIZES.map(
      (size) => new SlabCache({ name: `kmalloc-${size}`, objectSize: size, align: size, frames }),
    );
  }

  /**
   * `size` bytes, aligned to the size class (large requests: to a frame).
   * @returns a physical byte address, or `null` when out of memory.
   * @throws VmArgumentError for a size that is not a positive integer or needs a block above maxOrder-1.
   */
  alloc(size: number): number | null {
    if (!Number.isInteger(size) || size < 1)
      throw new VmArgumentError(`kmalloc(${size}): size must be a positive integer`);
    const cache = this.caches.find((c) => c.objectSize >= size);
    if (cache !== undefined) return cache.alloc();
    let order = 0;
    while (FRAME_SIZE * 2 ** order < size) order++;
    if (order >= this.frames.maxOrder) {
      throw new VmArgumentError(
        `kmalloc(${size}): larger than the largest block (order ${this.frames.maxOrder - 1})`,
      );
    }
    const pfn = this.frames.alloc(order);
    if (pfn === null) return null;
    this.large.set(pfn, order);
    return pfn * FRAME_SIZE;
  }

  /**
   * Free an address from {@link Kmalloc.alloc}.
   * @throws SlabObjectError when `addr` is no live allocation (double free, inside an object, foreign).
   */
  free(addr: number): void {
    const cache = this.caches.find((c) => c.contains(addr));
    if (cache !== undefined) {
      cache.free(addr);
      return;
    }
    const order = addr % FRAME_SIZE === 0 ? this.large.get(addr / FRAME_SIZE) : undefined;
    if (order === undefined) throw new SlabObjectError(`kfree(${hex(addr)}): not a live kmalloc allocation`);
    this.large.delete(addr / FRAME_SIZE);
    this.frames.free(addr / FRAME_SIZE, order);
  }

  /** Frames held by allocations above the largest size class (whole blocks). */
  largeFrames(): number {
    let n = 0;
    for (const order of this.large.values()) n += 2 ** order;
    return n;
  }

  /** Frames held in total: every class's slabs plus the large blocks. */
  framesHeld(): number {
    return this.caches.reduce((n, c) => n + c.stats().framesHeld, this.largeFrames());
  }

  /** Stats of every size class, smallest first. */
  stats(): SlabStats[] {
    return this.caches.map((c) => c.stats());
  }

  /** Hand every empty slab of every class back. @returns frames released. */
  shrink(): number {
    return this.caches.reduce((n, c) => n + c.shrink(), 0);
  }

  /**
   * Every cache's invariants, and every large block allocated in the frame allocator.
   * @throws InvariantError naming the first broken one.
   */
  checkInvariants(): void {
    for (const c of this.caches) c.checkInvariants();
    for (const [pfn, order] of this.large) {
      for (let f = pfn; f < pfn + 2 ** order; f++) {
        if (!this.frames.isAllocated(f))
          throw new InvariantError(`kmalloc: large block ${hex(pfn)} frame ${hex(f)} is free`);
      }
    }
  }
}
