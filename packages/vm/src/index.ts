/**
 * `@osbricks/vm`: memory management. Re-exports only; see the package README for the map.
 */
export * from "./errors.js";
export type { FrameAllocator } from "./frames/api.js";
export { FRAME_SHIFT, FRAME_SIZE, MAX_SUPPORTED_ORDER } from "./frames/api.js";
export { BitmapAllocator, type BitmapOptions } from "./frames/bitmap.js";
export { BuddyAllocator, type BuddyBlock, type BuddyOptions } from "./frames/buddy.js";
export type { FrameEvent, Tracer } from "./tracer.js";
