/**
 * From the boot memory map to the frame allocator: which frames the kernel may hand out.
 *
 * Firmware describes physical memory as typed ranges (`BootMemoryRegion` of `@osbricks/hw-x86`,
 * the e820 style). Only frames lying *wholly* inside a usable range may be allocated; everything
 * else — reserved ranges, ACPI tables, MMIO windows, holes, and the partial frames at the edge of
 * a usable range — is reserved before the first allocation. Linux rounds the same way: a usable
 * range's start is rounded up to a frame, its end down (`PFN_UP` / `PFN_DOWN` in memblock).
 * Maps built by hw-x86 are disjoint, but raw firmware maps may overlap: then, as in Linux's e820
 * sanitizing, the more restrictive type wins, and a frame that any non-usable range touches is
 * reserved even inside a usable range.
 *
 * Worked numbers: usable [0x0, 0x9fc00) and [0x100000, 0x800000) on a 2048-frame allocator.
 * Usable frames: 0x0..0x9e (0x9fc00 / 4096 = 0x9f.c, rounded down to 0x9f) and 0x100..0x7ff.
 * Reserved: 0x9f..0xff (the EBDA + VGA + BIOS hole, 97 frames) — 2048 - 159 - 1792 = 97.
 *
 * Related: `buddy.ts`, `bitmap.ts` (`reserve`), hw-x86 `memory/boot-map.ts` (how the map is made).
 */
import type { BootMemoryRegion } from "@osbricks/hw-x86";
import type { FrameAllocator } from "./api.js";
import { FRAME_SIZE } from "./api.js";

/** A run of frames, `start` inclusive, `end` exclusive. */
export interface FrameRun {
  readonly start: number;
  readonly end: number;
}

/**
 * The frames lying wholly inside usable ranges of `map` and touching no other range, as sorted,
 * merged runs (a map whose ranges overlap is read as Linux reads one: the non-usable type wins).
 * @example
 * ```ts
 * usableFrameRuns([{ base: 0, length: 0x9fc00, type: "usable" }]); // [{ start: 0, end: 0x9f }]
 * ```
 */
export function usableFrameRuns(map: readonly BootMemoryRegion[]): FrameRun[] {
  const runs: FrameRun[] = [];
  const usable = map.filter((r) => r.type === "usable").sort((a, b) => a.base - b.base);
  for (const r of usable) {
    const start = Math.ceil(r.base / FRAME_SIZE);
    const end = Math.floor((r.base + r.length) / FRAME_SIZE);
    if (end <= start) continue;
    const last = runs[runs.length - 1];
    if (last !== undefined && start <= last.end)
      runs[runs.length - 1] = { start: last.start, end: Math.max(last.end, end) };
    else runs.push({ start, end });
  }
  // A raw firmware map may overlap; as Linux's e820 sanitizing does, the more restrictive type
  // wins: any frame a non-usable range touches (its start rounded down, its end up) is cut out.
  let out = runs;
  for (const r of map) {
    if (r.type === "usable") continue;
    const lo = Math.floor(r.base / FRAME_SIZE);
    const hi = Math.ceil((r.base + r.length) / FRAME_SIZE);
    const cut: FrameRun[] = [];
    for (const run of out) {
      if (run.end <= lo || run.start >= hi) cut.push(run);
      else {
        if (run.start < lo) cut.push({ start: run.start, end: lo });
        if (run.end > hi) cut.push({ start: hi, end: run.end });
      }
    }
    out = cut;
  }
  return out;
}

/**
 * The number of frames an allocator needs to cover every usable frame of `map` (the end of the
 * last usable run). Frames above it are never usable, so the allocator need not track them.
 */
export function frameCountFor(map: readonly BootMemoryRegion[]): number {
  const runs = usableFrameRuns(map);
  return runs.length === 0 ? 0 : runs[runs.length - 1]!.end;
}

/**
 * Reserve in `frames` every frame of 0..frameCount-1 that is not wholly inside a usable range.
 * Call it on a fresh allocator, before the first allocation.
 *
 * @returns the number of frames reserved.
 * @throws whatever `frames.reserve` throws (FrameBusyError when a frame to reserve is already in
 *   use: the allocator was not fresh).
 * @example
 * ```ts
 * const buddy = new BuddyAllocator({ frames: frameCountFor(ram.bootMap()) });
 * reserveUnusable(buddy, ram.bootMap());
 * ```
 */
export function reserveUnusable(frames: FrameAllocator, map: readonly BootMemoryRegion[]): number {
  let reserved = 0;
  let next = 0;
  const holes: FrameRun[] = [];
  for (const run of usableFrameRuns(map)) {
    if (run.start >= frames.frameCount) break;
    if (run.start > next) holes.push({ start: next, end: run.start });
    next = Math.max(next, run.end);
  }
  if (next < frames.frameCount) holes.push({ start: next, end: frames.frameCount });
  for (const h of holes) {
    frames.reserve(h.start, h.end - h.start);
    reserved += h.end - h.start;
  }
  return reserved;
}
