/**
 * Boot memory: the machine's RAM, the firmware's memory map and the physical frame allocator a
 * kernel starts from, before anything else is built on them.
 *
 * ```
 *   KernelOptions ── memoryFrames n ──▶ map = [0, n pages) usable
 *                 └─ memoryMap (e820) ─▶ frames = end of the last usable range
 *   allocator: "buddy" | "bitmap" | factory(boot) ─▶ a fresh allocator of `frames` frames
 *   then reserve every frame the map does not call usable, and frame 0
 * ```
 *
 * Worked example: a PC map with 640 KiB usable, the 384 KiB hole up to 1 MiB, then usable RAM to
 * 4 MiB: 1024 frames; frames 160..255 (the hole) and frame 0 are reserved: 97 frames.
 *
 * Linux does the same in two stages (memblock holds the firmware's map, then the buddy allocator
 * takes the free part over); a zero frame number is never handed out, so it is always a bug.
 *
 * Related: `kernel.ts` (the constructor calls {@link bootMemory}), `api.ts` (`BootMemory`,
 * `KernelOptions.allocator`), `@osbricks/vm`'s `reserveUnusable`.
 */
import { type BootMemoryRegion, PhysicalMemory } from "@osbricks/hw-x86";
import {
  BitmapAllocator,
  BuddyAllocator,
  type FrameAllocator,
  frameCountFor,
  reserveUnusable,
} from "@osbricks/vm";
import { KernelArgumentError } from "../errors.js";
import type { KernelOptions } from "./api.js";

/** What {@link bootMemory} sets up. */
export interface BootedMemory {
  /** The simulated RAM: `frames` pages. */
  readonly memory: PhysicalMemory;
  /** The boot memory map (a synthesized all-usable one without `memoryMap`). */
  readonly memoryMap: readonly BootMemoryRegion[];
  /** The allocator, with the unusable frames and frame 0 already reserved. */
  readonly frames: FrameAllocator;
  /** How many frames were reserved at boot. */
  readonly reservedFrames: number;
}

/**
 * Build the RAM, the memory map and the frame allocator of a kernel from its options.
 * @throws KernelArgumentError for both `memoryFrames` and `memoryMap`, a frame count outside
 *   256..2^20, or an allocator factory that does not return a fresh allocator of that size.
 * @example
 * ```ts
 * bootMemory({ memoryFrames: 1024 }).reservedFrames; // 1: frame 0
 * ```
 */
export function bootMemory(
  options: Pick<KernelOptions, "memoryFrames" | "memoryMap" | "allocator">,
): BootedMemory {
  if (options.memoryMap !== undefined && options.memoryFrames !== undefined)
    throw new KernelArgumentError(
      "new Kernel(memoryFrames, memoryMap): give one (the map sets the frames: the end of its last usable range)",
    );
  const nframes =
    options.memoryMap !== undefined ? frameCountFor(options.memoryMap) : (options.memoryFrames ?? 4096);
  if (!Number.isInteger(nframes) || nframes < 256 || nframes > 1 << 20) {
    const what = options.memoryMap !== undefined ? "memoryMap: usable RAM ends at frame" : "memoryFrames=";
    throw new KernelArgumentError(`new Kernel(${what}${nframes}): expected 256..2^20 frames`);
  }
  const memory = new PhysicalMemory({ size: nframes * 4096 });
  const memoryMap = options.memoryMap ?? [{ base: 0, length: nframes * 4096, type: "usable" }];
  const alloc = options.allocator ?? "buddy";
  const frames =
    alloc === "buddy"
      ? new BuddyAllocator({ frames: nframes })
      : alloc === "bitmap"
        ? new BitmapAllocator({ frames: nframes })
        : alloc({ frames: nframes, memory, memoryMap });
  if (frames.frameCount !== nframes || frames.freeFrames() !== nframes)
    throw new KernelArgumentError(
      `new Kernel(allocator): the factory must return a fresh allocator of ${nframes} frames (got ${frames.freeFrames()} free of ${frames.frameCount})`,
    );
  // Firmware ranges and holes never reach the allocator's free lists (Linux: memblock_reserve
  // before the buddy takes over); frame 0 stays unused too: a zero frame number is always a bug.
  let reserved = reserveUnusable(frames, memoryMap);
  if (!frames.isAllocated(0)) {
    frames.reserve(0, 1);
    reserved++;
  }
  return { memory, memoryMap, frames, reservedFrames: reserved };
}
