import { buildBootMap, PhysicalMemory } from "@osbricks/hw-x86";
import { describe, expect, it } from "vitest";
import {
  BitmapAllocator,
  BuddyAllocator,
  frameCountFor,
  reserveUnusable,
  usableFrameRuns,
} from "../src/index.js";

describe("boot memory map", () => {
  const map = buildBootMap(0x800000, [{ base: 0x9fc00, length: 0x60400, type: "reserved" }], []);

  it("rounds usable ranges inward to whole frames (the worked numbers of the file comment)", () => {
    expect(usableFrameRuns(map)).toEqual([
      { start: 0, end: 0x9f },
      { start: 0x100, end: 0x800 },
    ]);
    expect(frameCountFor(map)).toBe(2048);
  });

  it("a raw map with overlapping ranges: the non-usable range wins (Linux's e820 sanitizing)", () => {
    // Firmware maps are not always disjoint. A frame touched by any non-usable range is not
    // usable, even inside a usable range: here frames 0x100 and 0x101 (0x100800..0x101800).
    const raw = [
      { base: 0, length: 0x800000, type: "usable" as const },
      { base: 0x100800, length: 0x1000, type: "reserved" as const },
      { base: 0x7ff000, length: 0x2000, type: "acpi-nvs" as const },
    ];
    expect(usableFrameRuns(raw)).toEqual([
      { start: 0, end: 0x100 },
      { start: 0x102, end: 0x7ff },
    ]);
    const buddy = new BuddyAllocator({ frames: 2048 });
    expect(reserveUnusable(buddy, raw)).toBe(3);
    expect(buddy.isAllocated(0x100) && buddy.isAllocated(0x101) && buddy.isAllocated(0x7ff)).toBe(true);
  });

  it("reserves the holes: 97 frames on a 2048-frame buddy, which never hands them out", () => {
    const buddy = new BuddyAllocator({ frames: 2048 });
    expect(reserveUnusable(buddy, map)).toBe(97);
    expect(buddy.freeFrames()).toBe(2048 - 97);
    const got = new Set<number>();
    for (let p = buddy.alloc(0); p !== null; p = buddy.alloc(0)) got.add(p);
    for (let f = 0x9f; f < 0x100; f++) expect(got.has(f)).toBe(false);
    buddy.checkInvariants();
  });

  it("works from a PhysicalMemory's map and with the bitmap too", () => {
    const ram = new PhysicalMemory({
      size: 0x400000,
      reserved: [{ base: 0x1000, length: 0x2000, type: "reserved" }],
    });
    const bm = new BitmapAllocator({ frames: frameCountFor(ram.bootMap()) });
    expect(reserveUnusable(bm, ram.bootMap())).toBe(2);
    expect(bm.isAllocated(1) && bm.isAllocated(2) && !bm.isAllocated(3)).toBe(true);
    bm.checkInvariants();
  });
});
