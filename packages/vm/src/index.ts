/**
 * `@osbricks/vm`: memory management. Re-exports only; see the package README for the map.
 */

export {
  Area,
  type AreaSharing,
  PROT_EXEC,
  PROT_NONE,
  PROT_READ,
  PROT_WRITE,
  type Prot,
} from "./areas/area.js";
export { AreaSet } from "./areas/area-set.js";
export type { CowStats, CowStrategy, PrivatePart } from "./cow/api.js";
export {
  type CountedFrames,
  cowCopyRange,
  cowCopyTree,
  cowWriteFault,
  eagerCopyRange,
  eagerCopyTree,
  leafIndex,
  leafTable,
  PTE_COW,
  type PteCowContext,
  releaseRange,
} from "./cow/pte-cow.js";
export { RefcountCow } from "./cow/refcount.js";
export { ShadowCow } from "./cow/shadow.js";
export * from "./errors.js";
export type { FrameAllocator, FrameMemory } from "./frames/api.js";
export { FRAME_SHIFT, FRAME_SIZE, MAX_SUPPORTED_ORDER } from "./frames/api.js";
export { BitmapAllocator, type BitmapOptions } from "./frames/bitmap.js";
export { BuddyAllocator, type BuddyBlock, type BuddyOptions } from "./frames/buddy.js";
export { type FrameRun, frameCountFor, reserveUnusable, usableFrameRuns } from "./frames/memory-map.js";
export { PAGE_POISON, PoisoningAllocator, type PoisonOptions } from "./frames/poison.js";
export { FrameRefCounts, MAX_FRAME_REFS } from "./frames/refcount.js";
export { ZeroedFramePool, type ZeroedFramePoolOptions, type ZeroingStats } from "./frames/zeroing.js";
// VM objects, copy-on-write strategies, areas, address spaces (src/objects, cow, areas, space, stacks).
export {
  type ObjectMemory,
  type ObjectStoreStats,
  PAGE_SHIFT,
  PAGE_SIZE,
  type PageHit,
  type VmObjectEvent,
  type VmObjectKind,
} from "./objects/api.js";
export { ObjectStore, type ObjectStoreOptions } from "./objects/object-store.js";
export { VmObject } from "./objects/vm-object.js";
export { MAX_TREE_FRAME, NO_FRAME, type PageMap } from "./pagetree/api.js";
export { PageTree, type PageTreeOptions } from "./pagetree/page-tree.js";
export type { ObjectCache, ObjectCacheCounts } from "./slab/api.js";
export { KMALLOC_SIZES, Kmalloc } from "./slab/kmalloc.js";
export { SlabCache, type SlabCacheOptions, type SlabStats } from "./slab/slab-cache.js";
export { AddressSpace } from "./space/address-space.js";
export * from "./space/api.js";
export { IpiShootdown, type IpiShootdownOptions } from "./space/ipi-shootdown.js";
export { MmuGather } from "./space/mmu-gather.js";
export { LEAF_COW, type LeafRights, Pmap, type PmapLeaf } from "./space/pmap.js";
export { ShmRegistry, type ShmSegment } from "./space/shm.js";
export {
  type CpuTlb,
  FULL_FLUSH_THRESHOLD,
  type ShootdownStats,
  type ShootdownTarget,
  type SwitchOptions,
  SyncTlbShootdown,
} from "./space/shootdown.js";
export { type AccessFault, userLoad8, userStore8, userTranslate } from "./space/user-access.js";
export { VmSystem, type VmSystemOptions } from "./space/vm-system.js";
export {
  type KernelStack,
  KernelStackCache,
  type KernelStackCacheOptions,
  type KernelStackStats,
} from "./stacks/kernel-stacks.js";
export type { FrameEvent, RangeEvent, SlabEvent, Tracer } from "./tracer.js";
export { type RangeRequest, type VirtualRangeAllocator, VPAGE_SIZE } from "./vrange/api.js";
export { VirtualBuddy, type VirtualBuddyOptions } from "./vrange/buddy.js";
export { type FirstFitOptions, FirstFitRanges, type VirtualGap } from "./vrange/first-fit.js";
