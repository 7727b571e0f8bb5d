// The kernel's physical memory from an e820-style boot map: the allocator covers frames up to the
// end of the last usable range, and no frame outside a usable range (nor frame 0) is ever handed
// out; the allocator factory receives the boot memory.
import { type BootMemoryRegion, buildBootMap } from "@osbricks/hw-x86";
import { BitmapAllocator, BuddyAllocator } from "@osbricks/vm";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import {
  type BootMemory,
  Kernel,
  KernelArgumentError,
  libc,
  ProgramRegistry,
  posixStubs as sys,
} from "../src/index.js";
import { bootMemory } from "../src/kernel/boot-memory.js";

const MiB = 2 ** 20;
const programs = () =>
  new ProgramRegistry().register({
    name: "init",
    *main() {
      const pid = yield* sys.fork(); // a child, so frames are taken and given back
      if (pid === 0) return 0;
      return (yield* libc.waitpid(pid)).pid === pid ? 0 : 1;
    },
  });

/** A PC-like map: low memory, the 640K–1M hole, RAM, a firmware range in the middle, ACPI on top. */
function pcMap(mem: number, middle: BootMemoryRegion | null = null): BootMemoryRegion[] {
  return buildBootMap(
    mem,
    [
      { base: 0x9fc00, length: 0x100000 - 0x9fc00, type: "reserved" },
      ...(middle ? [middle] : []),
      { base: mem - 64 * 1024, length: 64 * 1024, type: "acpi-reclaimable" },
    ],
    [{ base: 0xfd00_0000, length: 0x40_0000, type: "mmio" }],
  );
}

const usable = (map: readonly BootMemoryRegion[], pfn: number): boolean =>
  map.some((r) => r.type === "usable" && r.base <= pfn * 4096 && (pfn + 1) * 4096 <= r.base + r.length);

describe("boot memory map", () => {
  it("only frames wholly inside usable ranges are handed out, never frame 0 (buddy and bitmap)", () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 4, max: 12 }),
        fc.integer({ min: 0x20_0000, max: 0x30_0000 }),
        fc.integer({ min: 1, max: 300_000 }),
        fc.boolean(),
        (mib, base, length, buddy) => {
          const map = pcMap(mib * MiB, { base, length, type: "reserved" });
          const k = new Kernel({
            programs: programs(),
            memoryMap: map,
            allocator: buddy ? "buddy" : "bitmap",
          });
          expect(k.memoryMap).toEqual(map);
          let expectedReserved = 0;
          for (let pfn = 0; pfn < k.frames.frameCount; pfn++)
            if (pfn === 0 || !usable(map, pfn)) expectedReserved++;
          expect(k.reservedFrames).toBe(expectedReserved);
          // Drain the allocator: every frame it gives is usable RAM. (Frames the kernel took at
          // boot, its page tables and stacks, are checked the same way through isAllocated below.)
          for (let pfn = k.frames.alloc(0); pfn !== null; pfn = k.frames.alloc(0)) {
            expect(pfn).not.toBe(0);
            expect(usable(map, pfn)).toBe(true);
          }
          for (let pfn = 0; pfn < k.frames.frameCount; pfn++) expect(k.frames.isAllocated(pfn)).toBe(true);
        },
      ),
      { numRuns: 50 },
    );
  });

  it("the factory gets the boot memory; a kernel on a PC map runs and leaks nothing", () => {
    const map = pcMap(8 * MiB);
    let seen: BootMemory | null = null;
    const k = new Kernel({
      programs: programs(),
      memoryMap: map,
      paranoid: true,
      allocator: (boot) => {
        seen = boot;
        return new BuddyAllocator({ frames: boot.frames });
      },
    });
    const boot = seen as BootMemory | null;
    expect(boot?.frames).toBe((8 * MiB - 64 * 1024) / 4096); // ACPI at the top is above the range
    expect(boot?.memoryMap).toBe(map);
    expect(boot?.memory).toBe(k.memory);
    expect(k.reservedFrames).toBe(0x100 - 0x9f + 1); // the 640K–1M hole (0x9f..0xff) and frame 0
    k.boot("init");
    expect(k.run().outcome).toBe("all-exited");
    expect(k.life.reapedByKernel).toEqual([{ pid: 1, status: 0 }]);
    expect(k.resourceLeaks()).toEqual([]);
  });

  it("refuses both memoryFrames and memoryMap, a map with too little RAM, and a used allocator", () => {
    const map = pcMap(8 * MiB);
    expect(() => new Kernel({ programs: programs(), memoryMap: map, memoryFrames: 2048 })).toThrow(
      KernelArgumentError,
    );
    expect(() => new Kernel({ programs: programs(), memoryMap: pcMap(MiB) })).toThrow(
      /expected 256\.\.2\^20 frames/,
    );
    expect(
      () =>
        new Kernel({
          programs: programs(),
          memoryMap: map,
          allocator: ({ frames }) => {
            const a = new BitmapAllocator({ frames });
            a.alloc(0);
            return a;
          },
        }),
    ).toThrow(/fresh allocator/);
  });

  it("without a map, memoryFrames of usable RAM from 0 (only frame 0 reserved)", () => {
    const k = new Kernel({ programs: programs(), memoryFrames: 1024 });
    expect(k.memoryMap).toEqual([{ base: 0, length: 1024 * 4096, type: "usable" }]);
    expect(k.reservedFrames).toBe(1);
  });
});

describe("bootMemory (kernel/boot-memory.ts)", () => {
  it("the banner's worked example: 640 KiB, a 384 KiB hole, RAM to 4 MiB → 1024 frames, 97 reserved", () => {
    const kib = 1024;
    const r = bootMemory({
      memoryMap: [
        { base: 0, length: 640 * kib, type: "usable" },
        { base: 640 * kib, length: 384 * kib, type: "reserved" },
        { base: 1024 * kib, length: 3 * 1024 * kib, type: "usable" },
      ],
    });
    expect(r.frames.frameCount).toBe(1024);
    expect(r.reservedFrames).toBe(97);
    expect(r.frames.isAllocated(160) && r.frames.isAllocated(255) && !r.frames.isAllocated(256)).toBe(true);
    expect(bootMemory({ memoryFrames: 1024 }).reservedFrames).toBe(1); // the @example: frame 0
  });
});
