/**
 * The law suites of `@osbricks/vm` (subpath `@osbricks/vm/laws`): fast-check properties and
 * model-based command runs that any implementation of the package's interfaces can be checked
 * against, a student's included. Re-exports only.
 */

export { type CowLawOptions, cowStrategyLaws, runCowStrategyLaws } from "./cow.js";
export { frameAllocatorLaws, runFrameAllocatorLaws } from "./frame-allocator.js";
export {
  type AllocatorSnapshot,
  allocatorCommands,
  FrameModel,
  sameObservableState,
  snapshot,
} from "./frame-commands.js";
export { type Law, type LawOptions, runLaws } from "./law.js";
export { type ObjectCacheUnderTest, objectCacheLaws, runObjectCacheLaws } from "./object-cache.js";
export { pageTreeLaws, runPageTreeLaws } from "./page-tree.js";
export { runVirtualRangeLaws, virtualRangeLaws } from "./virtual-range.js";
