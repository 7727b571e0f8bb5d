/**
 * Where the mapper gets the frames that hold page tables.
 *
 * The mapper never owns physical memory: a kernel injects a frame source, which is how
 * `@osbricks/vm`'s buddy and bitmap allocators plug into the page-table code (the same split the
 * x86_64 crate makes with its `FrameAllocator` trait, and xv6 with `kalloc`). A frame number (PFN)
 * is a physical address shifted right by 12.
 *
 * Related: `mapper.ts` (the consumer), `@osbricks/vm` `frames/api.ts` (the allocators).
 */
export interface FrameSource {
  /**
   * Take one 4 KiB frame for a page table.
   *
   * @returns the frame number, or `null` when no frame is left (an expected outcome that the mapper
   *   reports as a result, never an exception). The frame's contents are unspecified: the mapper
   *   zeroes every table frame it takes before linking it, as the SDM requires a table to start
   *   with every entry not-present.
   */
  allocFrame(): number | null;
  /** Give back a frame taken with {@link FrameSource.allocFrame} (the mapper frees tables that become empty). */
  freeFrame(pfn: number): void;
}
