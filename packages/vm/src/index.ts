/**
 * `@osbricks/vm`: memory management. Re-exports only; see the package README for the map.
 */
export * from "./errors.js";
export type { FrameAllocator, FrameMemory } from "./frames/api.js";
export { FRAME_SHIFT, FRAME_SIZE, MAX_SUPPORTED_ORDER } from "./frames/api.js";
export { BitmapAllocator, type BitmapOptions } from "./frames/bitmap.js";
export { BuddyAllocator, type BuddyBlock, type BuddyOptions } from "./frames/buddy.js";
export { type FrameRun, frameCountFor, reserveUnusable, usableFrameRuns } from "./frames/memory-map.js";
export { PAGE_POISON, PoisoningAllocator, type PoisonOptions } from "./frames/poison.js";
export { FrameRefCounts, MAX_FRAME_REFS } from "./frames/refcount.js";
export { ZeroedFramePool, type ZeroedFramePoolOptions, type ZeroingStats } from "./frames/zeroing.js";
export { MAX_TREE_FRAME, NO_FRAME, PageTree, type PageTreeOptions } from "./pagetree/page-tree.js";
export { KMALLOC_SIZES, Kmalloc } from "./slab/kmalloc.js";
export { SlabCache, type SlabCacheOptions, type SlabStats } from "./slab/slab-cache.js";
export type { FrameEvent, Tracer } from "./tracer.js";
export { type RangeRequest, type VirtualRangeAllocator, VPAGE_SIZE } from "./vrange/api.js";
export { VirtualBuddy, type VirtualBuddyOptions } from "./vrange/buddy.js";
export { type FirstFitOptions, FirstFitRanges, type VirtualGap } from "./vrange/first-fit.js";
