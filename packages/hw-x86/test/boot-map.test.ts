import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { type BootMemoryRegion, buildBootMap, type MemoryRegionType } from "../src/index.js";

describe("boot memory map (e820)", () => {
  it("layers RAM < reserved ranges < MMIO", () => {
    expect(
      buildBootMap(
        0x200000,
        [
          { base: 0x9f000, length: 0x61000, type: "reserved" },
          { base: 0x1f0000, length: 0x10000, type: "acpi-reclaimable" },
        ],
        [{ base: 0xfd000000, length: 0x1000, type: "mmio" }],
      ),
    ).toEqual([
      { base: 0, length: 0x9f000, type: "usable" },
      { base: 0x9f000, length: 0x61000, type: "reserved" },
      { base: 0x100000, length: 0xf0000, type: "usable" },
      { base: 0x1f0000, length: 0x10000, type: "acpi-reclaimable" },
      { base: 0xfd000000, length: 0x1000, type: "mmio" },
    ]);
  });

  it("property: sorted, disjoint, merged, and every byte has the type of the last layer covering it", () => {
    const types: MemoryRegionType[] = ["reserved", "acpi-reclaimable", "acpi-nvs", "unusable"];
    const layerArb = fc.record({
      base: fc.integer({ min: 0, max: 60 }),
      length: fc.integer({ min: 1, max: 20 }),
      type: fc.constantFrom(...types),
    });
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 64 }), fc.array(layerArb, { maxLength: 6 }), (ram, layers) => {
        const map = buildBootMap(ram, layers, []);
        for (let i = 1; i < map.length; i++) {
          const a = map[i - 1]!;
          const b = map[i]!;
          expect(a.base + a.length).toBeLessThanOrEqual(b.base);
          if (a.base + a.length === b.base) expect(a.type).not.toBe(b.type);
        }
        const typeAt = (x: number, m: readonly BootMemoryRegion[]) =>
          m.find((r) => x >= r.base && x < r.base + r.length)?.type;
        for (let x = 0; x < 90; x++) {
          let want: MemoryRegionType | undefined = x < ram ? "usable" : undefined;
          for (const l of layers) if (x >= l.base && x < l.base + l.length) want = l.type;
          expect(typeAt(x, map)).toBe(want);
        }
      }),
      { numRuns: 100 },
    );
  });
});
