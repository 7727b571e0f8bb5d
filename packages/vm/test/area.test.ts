import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { Area, PROT_READ, PROT_WRITE } from "../src/areas/area.js";
import { AreaSet } from "../src/areas/area-set.js";
import { InvariantError } from "../src/errors.js";

const P = 0x1000;
const area = (startPage: number, pages: number) =>
  new Area(1, startPage * P, pages, PROT_READ | PROT_WRITE, "private", null, 0, "anon");

function setOf(...spans: [number, number][]): AreaSet {
  const s = new AreaSet();
  for (const [start, n] of spans) s.insert(area(start, n));
  return s;
}

describe("AreaSet", () => {
  it("find is a binary search on start, then a check against the end", () => {
    const s = setOf([1, 2], [5, 1], [0x7fff0, 0x10]);
    expect(s.floorIndex(0x4fff)).toBe(0);
    expect(s.floorIndex(0x0fff)).toBe(-1);
    expect(s.find(0x5800)?.start).toBe(0x5000);
    expect(s.find(0x4000)).toBeUndefined();
    expect(s.find(0x7fff_ffff)?.start).toBe(0x7fff_0000);
  });

  it("overlapping lists the areas meeting a range, in order; covers needs no hole", () => {
    const s = setOf([1, 2], [4, 1], [8, 4]);
    expect(s.overlapping(0x2000, 0x9000).map((a) => a.start)).toEqual([0x1000, 0x4000, 0x8000]);
    expect(s.overlapping(0x3000, 0x4000)).toEqual([]);
    expect(s.covers(0x1000, 0x3000)).toBe(true);
    expect(s.covers(0x1000, 0x5000)).toBe(false);
    expect(s.covers(0x8000, 0xc000)).toBe(true);
  });

  it("findFree: first fit at or above the hint, else from the bottom (Lunaix)", () => {
    const s = setOf([1, 2], [4, 1]);
    expect(s.findFree(1, 0x1000, 0x10000, 0x2000)).toBe(0x3000);
    expect(s.findFree(2, 0x1000, 0x10000, 0x2000)).toBe(0x5000);
    expect(s.findFree(2, 0x1000, 0x7000, 0x6000)).toBe(0x5000); // nothing above: wrap to the bottom
    expect(s.findFree(4, 0x1000, 0x8000, 0x1000)).toBeNull();
  });

  it("checkInvariants catches overlapping and misaligned areas", () => {
    const s = setOf([1, 2]);
    s.insert(area(2, 2));
    expect(() => s.checkInvariants()).toThrow(InvariantError);
    const t = new AreaSet();
    t.insert(new Area(1, 0x1800, 1, PROT_READ, "private", null, 0, "x"));
    expect(() => t.checkInvariants()).toThrow(/aligned/);
  });

  it("property: find, overlapping and findFree agree with a page-by-page model", () => {
    fc.assert(
      fc.property(
        fc.array(fc.tuple(fc.nat({ max: 60 }), fc.integer({ min: 1, max: 6 })), { maxLength: 12 }),
        fc.nat({ max: 70 }),
        fc.integer({ min: 1, max: 8 }),
        fc.nat({ max: 70 }),
        (spans, probe, want, hint) => {
          const s = new AreaSet();
          const owner = new Map<number, number>();
          for (const [start, n] of spans) {
            let clash = false;
            for (let p = start; p < start + n; p++) if (owner.has(p)) clash = true;
            if (clash) continue;
            s.insert(area(start, n));
            for (let p = start; p < start + n; p++) owner.set(p, start);
          }
          s.checkInvariants();
          expect(s.find(probe * P + 5)?.start ?? -1).toBe(owner.has(probe) ? owner.get(probe)! * P : -1);
          const lo = 0;
          const hi = 80;
          const fits = (at: number) => {
            if (at + want > hi) return false;
            for (let p = at; p < at + want; p++) if (owner.has(p)) return false;
            return true;
          };
          let expected: number | null = null;
          for (let at = hint; at <= hi - want && expected === null; at++) if (fits(at)) expected = at;
          for (let at = lo; at <= hi - want && expected === null; at++) if (fits(at)) expected = at;
          expect(s.findFree(want, lo * P, hi * P, hint * P)).toBe(expected === null ? null : expected * P);
        },
      ),
      { numRuns: 200 },
    );
  });
});
