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
