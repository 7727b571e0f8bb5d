/**
 * The virtual-range allocator interface: who owns which part of a virtual address region.
 *
 * A kernel must pick addresses for kernel stacks, for `mmap` without MAP_FIXED, for the kernel
 * heap. Two implementations stand behind this interface, as in the systems they come from:
 * `buddy.ts` (os2: a buddy allocator over virtual pages — power-of-two sizes, O(log n), no search)
 * and `first-fit.ts` (Lunaix: hinted first fit over an ordered list of free gaps — any size, a
 * placement near the caller's hint, O(gaps)).
 *
 * Addresses are `VirtAddr` of `@osbricks/hw-x86`: signed numbers, negative in the upper half.
 * Sizes are bytes, multiples of 4 KiB.
 */
import type { VirtAddr } from "@osbricks/hw-x86";

/** Bytes in a virtual page (4 KiB, Intel SDM 4.5). */
export const VPAGE_SIZE = 4096;

/** Placement wishes for {@link VirtualRangeAllocator.alloc}. */
export interface RangeRequest {
  /** Prefer a range starting at or just above this address (Lunaix's hint). Default: the region start. */
  readonly hint?: VirtAddr;
  /** Alignment in bytes, a power of two that is a multiple of 4 KiB. Default 4 KiB. */
  readonly align?: number;
}

/** Allocates ranges of one virtual region. */
export interface VirtualRangeAllocator {
  /** First address of the region. */
  readonly base: VirtAddr;
  /** Bytes in the region. */
  readonly size: number;
  /**
   * Find and take `bytes`, a positive multiple of 4 KiB; the implementation may take more (a buddy
   * rounds up to a power of two), as one run of pages starting at the address it returns.
   * @returns the first address, or `null` when no free range fits (an expected outcome).
   * @throws MisalignedError or VmArgumentError for a size that is not a positive multiple of 4 KiB
   *   (it is refused, not rounded up) or an alignment that is not a power of two of at least 4 KiB;
   *   nothing changes then.
   */
  alloc(bytes: number, request?: RangeRequest): VirtAddr | null;
  /**
   * Give back the range at `va` that `alloc` returned, with the `bytes` it was asked for (all it
   * took comes back, rounding included), or one `claim` took.
   * @throws RangeStateError when the range is not wholly allocated; the allocator is unchanged then.
   */
  free(va: VirtAddr, bytes: number): void;
  /** Take exactly `[va, va+bytes)` if it is wholly free. @returns false (nothing taken) if it is not. */
  claim(va: VirtAddr, bytes: number): boolean;
  /** Bytes currently free. */
  freeBytes(): number;
  /** Throws with a precise description of the first broken invariant. */
  checkInvariants(): void;
}
