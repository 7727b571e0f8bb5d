/**
 * The boot memory map, in the style of the BIOS e820 call (ACPI spec 6.5, 15.1 "INT 15H, E820H"):
 * a list of physical ranges, each with a type, that firmware hands the kernel at boot so that the
 * kernel knows which frames it may give to its allocator.
 *
 * ```
 *  0x0000_0000 ┌──────────────┐ usable            RAM the kernel may allocate
 *  0x0009_f000 ├──────────────┤ reserved          e.g. EBDA, VGA hole, BIOS ROM
 *  0x0010_0000 ├──────────────┤ usable
 *  0x0ff0_0000 ├──────────────┤ acpi-reclaimable  ACPI tables (free after parsing them)
 *  0x1000_0000 └──────────────┘
 *  0xfd00_0000 ┌──────────────┐ mmio              a framebuffer (no RAM behind it)
 * ```
 *
 * Invariant of every map this file builds: ranges are sorted by base, pairwise disjoint, non-empty,
 * and two adjacent ranges never have the same type (they are merged). When ranges overlap, the
 * later layer wins: RAM (usable) < reserved ranges (in the order given) < MMIO.
 *
 * Related: `physical-memory.ts` (produces the map from its configuration).
 */
import type { PhysAddr } from "./address.js";

/** The type of a boot memory range (e820 types 1–5, plus MMIO for device windows). */
export type MemoryRegionType = "usable" | "reserved" | "acpi-reclaimable" | "acpi-nvs" | "unusable" | "mmio";

/** One range of the boot memory map. */
export interface BootMemoryRegion {
  /** First physical address of the range. */
  readonly base: PhysAddr;
  /** Length in bytes (> 0). */
  readonly length: number;
  /** What the range is. */
  readonly type: MemoryRegionType;
}

/**
 * Build a sorted, disjoint, merged boot map from layers: RAM `[0, ramSize)` as usable, then each
 * `reserved` range, then each `mmio` range, later layers overriding earlier ones where they overlap.
 *
 * @example
 * ```ts
 * buildBootMap(0x100000, [{ base: 0x9f000, length: 0x61000, type: "reserved" }], []);
 * // [{ base: 0, length: 0x9f000, type: "usable" }, { base: 0x9f000, length: 0x61000, type: "reserved" }]
 * ```
 */
export function buildBootMap(
  ramSize: number,
  reserved: readonly BootMemoryRegion[],
  mmio: readonly BootMemoryRegion[],
): BootMemoryRegion[] {
  let map: BootMemoryRegion[] = ramSize > 0 ? [{ base: 0, length: ramSize, type: "usable" }] : [];
  for (const layer of [...reserved, ...mmio]) map = overlay(map, layer);
  return map;
}

/** Put `top` over `map`: cut what it covers out of existing ranges, insert it, merge neighbours. */
function overlay(map: readonly BootMemoryRegion[], top: BootMemoryRegion): BootMemoryRegion[] {
  const out: BootMemoryRegion[] = [];
  const topEnd = top.base + top.length;
  for (const r of map) {
    const end = r.base + r.length;
    if (end <= top.base || r.base >= topEnd) {
      out.push(r);
      continue;
    }
    if (r.base < top.base) out.push({ base: r.base, length: top.base - r.base, type: r.type });
    if (end > topEnd) out.push({ base: topEnd, length: end - topEnd, type: r.type });
  }
  out.push({ base: top.base, length: top.length, type: top.type });
  out.sort((a, b) => a.base - b.base);
  const merged: BootMemoryRegion[] = [];
  for (const r of out) {
    const last = merged[merged.length - 1];
    if (last !== undefined && last.type === r.type && last.base + last.length === r.base) {
      merged[merged.length - 1] = { base: last.base, length: last.length + r.length, type: r.type };
    } else {
      merged.push(r);
    }
  }
  return merged;
}
