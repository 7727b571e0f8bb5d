/**
 * The MMIO map against a naive model: a plain list of [base, end) ranges. Random adds (aligned or
 * not, clashing or not) and removes (of a region's base or of any address); after every step the
 * map checks its invariants, agrees with the model on every probed address, and a refused call has
 * changed nothing.
 */
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { ConfigurationError, type MmioDevice, MmioMap, type MmioRegion } from "../src/index.js";

const dev: MmioDevice = { read: () => 0, write: () => {} };

interface Model {
  ranges: { base: number; end: number; name: string }[];
}

function snapshot(map: MmioMap): string {
  return JSON.stringify(map.regions.map((r) => [r.base, r.length, r.name]));
}

function agree(map: MmioMap, model: Model, probes: readonly number[]): void {
  map.checkInvariants();
  const sorted = [...model.ranges].sort((a, b) => a.base - b.base);
  expect(map.regions.map((r) => [r.base, r.base + r.length, r.name])).toEqual(
    sorted.map((r) => [r.base, r.end, r.name]),
  );
  for (const pa of probes) {
    const want = model.ranges.find((r) => pa >= r.base && pa < r.end);
    expect(map.at(pa)?.name).toBe(want?.name);
  }
}

// Addresses on a small grid of pages (and some off-grid ones) so that clashes are frequent.
const page = fc.integer({ min: 0, max: 31 }).map((i) => 0xfd000000 + i * 0x1000);
const misaligned = fc.integer({ min: 1, max: 0xfff });

type Step =
  | { kind: "add"; base: number; pages: number; skew: number }
  | { kind: "remove"; base: number; skew: number };

const step: fc.Arbitrary<Step> = fc.oneof(
  fc.record({
    kind: fc.constant("add" as const),
    base: page,
    pages: fc.integer({ min: 1, max: 4 }),
    skew: fc.oneof({ weight: 4, arbitrary: fc.constant(0) }, { weight: 1, arbitrary: misaligned }),
  }),
  fc.record({
    kind: fc.constant("remove" as const),
    base: page,
    skew: fc.oneof({ weight: 4, arbitrary: fc.constant(0) }, { weight: 1, arbitrary: misaligned }),
  }),
);

describe("MmioMap against a list of ranges", () => {
  it("keeps sorted disjoint aligned regions and refuses what would break them, unchanged", () => {
    fc.assert(
      fc.property(fc.array(step, { maxLength: 40 }), (steps) => {
        const map = new MmioMap();
        const model: Model = { ranges: [] };
        const probes = Array.from({ length: 40 }, (_, i) => 0xfd000000 + i * 0xc00);
        let n = 0;
        for (const s of steps) {
          const before = snapshot(map);
          if (s.kind === "add") {
            const base = s.base + s.skew;
            const end = base + s.pages * 0x1000;
            const ok = s.skew === 0 && !model.ranges.some((r) => base < r.end && r.base < end);
            const name = `r${n++}`;
            if (ok) {
              const region: MmioRegion = map.add(base, end - base, dev, name, "add");
              expect(region).toMatchObject({ base, length: end - base, name });
              model.ranges.push({ base, end, name });
            } else {
              expect(() => map.add(base, end - base, dev, name, "add")).toThrow(ConfigurationError);
              expect(snapshot(map)).toBe(before);
            }
          } else {
            const base = s.base + s.skew;
            const i = model.ranges.findIndex((r) => r.base === base);
            if (i >= 0) {
              map.remove(base, "remove");
              model.ranges.splice(i, 1);
            } else {
              expect(() => map.remove(base, "remove")).toThrow(/no MMIO region starts there/);
              expect(snapshot(map)).toBe(before);
            }
          }
          agree(map, model, probes);
        }
      }),
      { numRuns: 200 },
    );
  });

  it("decides an address outside the envelope without a region, and keeps the envelope exact", () => {
    const map = new MmioMap();
    expect(map.lo).toBe(Number.POSITIVE_INFINITY);
    expect(map.hi).toBe(0);
    map.add(0xfee00000, 0x1000, dev, "lapic", "addMmio");
    map.add(0xfd000000, 0x2000, dev, "fb", "addMmio");
    // The envelope spans both, the gap between them included: inside it, `at` searches.
    expect([map.lo, map.hi]).toEqual([0xfd000000, 0xfee01000]);
    expect(map.at(0xfd001fff)?.name).toBe("fb");
    expect(map.at(0xfd002000)).toBeUndefined();
    expect(map.nextAbove(0xfd000000)?.name).toBe("lapic");
    expect(map.describe()).toBe("fb@0xfd000000+0x2000, lapic@0xfee00000+0x1000");
    map.remove(0xfd000000, "removeMmio");
    expect([map.lo, map.hi]).toEqual([0xfee00000, 0xfee01000]);
    map.remove(0xfee00000, "removeMmio");
    expect([map.lo, map.hi, map.describe()]).toEqual([Number.POSITIVE_INFINITY, 0, "none"]);
  });

  it("names the call, the value and the rule in a refusal", () => {
    const map = new MmioMap();
    expect(() => map.add(0x1000, 0x800, dev, "half", "addMmio")).toThrow(
      'addMmio(base=0x1000, length=0x800, name="half"): an MMIO region must be 4 KiB aligned in base and length',
    );
    expect(() => map.add(2 ** 52 - 0x1000, 0x2000, dev, "top", "addMmio")).toThrow(
      /52-bit physical address space/,
    );
    expect(() => map.add(-0x1000, 0x1000, dev, "neg", "addMmio")).toThrow(/non-negative integers/);
    expect(() => map.remove(0x5000, "removeMmio")).toThrow(
      "removeMmio(base=0x5000): no MMIO region starts there",
    );
  });
});
