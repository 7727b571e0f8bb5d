/**
 * The frame-allocator interface: what every physical-frame allocator in osbricks promises.
 *
 * Two implementations stand behind it, of different trade-offs: `buddy.ts` (Linux's binary buddy:
 * O(log n) alloc and free of 2^order contiguous frames, coalescing on free) and `bitmap.ts` (one
 * bit per frame, as jsix keeps them: simple, O(n) search). A student's allocator passes the same
 * law suite (`runFrameAllocatorLaws` in `@osbricks/vm/laws`).
 *
 * A frame allocator is also a `FrameSource` of `@osbricks/hw-x86`, so the mapper can take its
 * page-table frames from it directly.
 */
import type { FrameSource } from "@osbricks/hw-x86";

export interface FrameAllocator extends FrameSource {
  /** Number of frames managed (frame numbers run 0..frameCount-1). */
  readonly frameCount: number;
  /** Orders run 0..maxOrder-1: the largest block is 2^(maxOrder-1) frames (Linux's MAX_ORDER). */
  readonly maxOrder: number;
  /**
   * Allocate 2^order contiguous frames, aligned to 2^order frames.
   * @returns the first frame number, or `null` when no block is free (out of memory is a result).
   * @throws when `order` is not an integer in 0..maxOrder-1.
   */
  alloc(order: number): number | null;
  /**
   * Free a block returned by `alloc(order)`.
   * @throws a typed error naming pfn and order on a double free, a wrong order, or a frame never
   *   allocated; the allocator is unchanged after a refused call.
   */
  free(pfn: number, order: number): void;
  /** Take `count` frames from `pfn` out of the free pool (boot-map holes, MMIO, the kernel image). */
  reserve(pfn: number, count: number): void;
  /** Frames currently free. */
  freeFrames(): number;
  /** Whether `pfn` lies in an allocated (or reserved) block. */
  isAllocated(pfn: number): boolean;
  /** Throws with a precise description of the first broken invariant. */
  checkInvariants(): void;
}

/** The largest `maxOrder` the allocators of this package accept (blocks up to 2^23 frames = 32 GiB). */
export const MAX_SUPPORTED_ORDER = 24;

/** Bytes in a frame (and a page): 4 KiB, Intel SDM 4.5 (4-level paging maps 4-KByte pages). */
export const FRAME_SIZE = 4096;

/** log2 of {@link FRAME_SIZE}: a frame number is a physical address shifted right by 12. */
export const FRAME_SHIFT = 12;

/**
 * The physical-memory operations the frame helpers need (zeroing, poisoning). `PhysicalMemory`
 * of `@osbricks/hw-x86` has them; a test may pass any object with the same three methods.
 */
export interface FrameMemory {
  /** Set every byte of frame `pfn` to `byte`. */
  fillFrame(pfn: number, byte: number): void;
  /** Set every byte of frame `pfn` to 0. */
  zeroFrame(pfn: number): void;
  /** The 4096 bytes of frame `pfn` (aliasing the frame). */
  frameBytes(pfn: number): Uint8Array;
}
