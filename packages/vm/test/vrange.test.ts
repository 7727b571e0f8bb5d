import fc from "fast-check";
import { describe, expect, it } from "vitest";
import {
  FirstFitRanges,
  MisalignedError,
  RangeStateError,
  VirtualBuddy,
  type VirtualRangeAllocator,
} from "../src/index.js";

const P = 4096;

describe("FirstFitRanges: Lunaix's hinted first fit", () => {
  it("follows the worked example of the file comment", () => {
    const r = new FirstFitRanges({ base: 0x10000, size: 0x10000 });
    expect(r.claim(0x12000, 0x2000)).toBe(true);
    expect(r.claim(0x18000, 0x1000)).toBe(true);
    expect(r.gaps()).toEqual([
      { start: 0x10000, end: 0x12000 },
      { start: 0x14000, end: 0x18000 },
      { start: 0x19000, end: 0x20000 },
    ]);
    expect(r.alloc(0x3000, { hint: 0x15000 })).toBe(0x15000);
    r.free(0x15000, 0x3000);
    expect(r.alloc(0x3000, { hint: 0x16000 })).toBe(0x19000);
    expect(r.alloc(0x8000, { hint: 0x16000 })).toBe(null);
    r.free(0x12000, 0x2000);
    expect(r.gaps()[0]).toEqual({ start: 0x10000, end: 0x18000 });
    r.checkInvariants();
  });

  it("wraps around below the hint, and honours alignment", () => {
    const r = new FirstFitRanges({ base: 0, size: 0x100000 });
    expect(r.alloc(0x1000, { hint: 0xff000 })).toBe(0xff000);
    expect(r.alloc(0x2000, { hint: 0xff000 })).toBe(0); // nothing above: from the bottom
    expect(r.alloc(0x1000, { align: 0x10000 })).toBe(0x10000);
    r.checkInvariants();
  });

  it("works in the upper (negative) half", () => {
    const base = -0x8000_0000_0000; // 0xffff_8000_0000_0000
    const r = new FirstFitRanges({ base, size: 0x10_0000 });
    expect(r.alloc(0x2000)).toBe(base);
    expect(r.alloc(0x1000, { align: 0x10000 })).toBe(base + 0x10000);
    r.checkInvariants();
  });

  it("frees part of an allocation (an unmap that shrinks) and refuses a double free", () => {
    const r = new FirstFitRanges({ base: 0, size: 0x10000 });
    const a = r.alloc(0x4000)!;
    r.free(a + 0x1000, 0x2000);
    expect(r.isFree(a + 0x1000, 0x2000)).toBe(true);
    expect(r.isFree(a, 0x1000)).toBe(false);
    const before = r.gaps();
    expect(() => r.free(a + 0x1000, 0x1000)).toThrow(RangeStateError);
    expect(() => r.free(a, 0x2000)).toThrow(RangeStateError); // half allocated, half free
    expect(() => r.free(0x20000, 0x1000)).toThrow(RangeStateError);
    expect(() => r.free(a + 1, 0x1000)).toThrow(MisalignedError);
    expect(() => r.alloc(100)).toThrow(MisalignedError);
    expect(r.gaps()).toEqual(before);
    r.checkInvariants();
  });
});

describe("VirtualBuddy: os2's buddy over virtual pages", () => {
  it("rounds to powers of two and merges back", () => {
    const v = new VirtualBuddy({ base: 0x8000_0000, pages: 1024 });
    expect(v.alloc(0x3000)).toBe(0x8000_0000);
    expect(v.alloc(0x1000)).toBe(0x8000_4000);
    expect(v.freeBytes()).toBe((1024 - 5) * P);
    v.free(0x8000_0000, 0x3000);
    v.free(0x8000_4000, 0x1000);
    expect(v.freeBytes()).toBe(1024 * P);
    expect(v.buddyinfo()).toMatch(/^Node 0, zone {2}Virtual {2}/);
    v.checkInvariants();
  });

  it("a range whose alignment raised its order is freed with the bytes asked for (or the rounded size)", () => {
    const v = new VirtualBuddy({ base: 0, pages: 64, maxOrder: 5 });
    const a = v.alloc(0x1000, { align: 0x4000 })!; // order 2: 4 pages taken, aligned to 16 KiB
    const b = v.alloc(0x1000, { align: 0x4000 })!;
    expect([a % 0x4000, b % 0x4000, v.freeBytes()]).toEqual([0, 0, 56 * P]);
    expect(() => v.free(a, 0x2000)).toThrow(RangeStateError); // neither asked nor taken
    v.free(a, 0x1000); // what the caller asked for
    v.free(b, 0x4000); // what it took
    expect(v.freeBytes()).toBe(64 * P);
    v.checkInvariants();
  });

  it("refuses a free with the wrong size or of a free range, and claims exact ranges", () => {
    const v = new VirtualBuddy({ base: 0, pages: 64, maxOrder: 5 });
    const a = v.alloc(0x4000)!;
    expect(() => v.free(a, 0x1000)).toThrow(RangeStateError);
    expect(() => v.free(a + 0x8000, 0x1000)).toThrow(RangeStateError);
    expect(v.claim(a, 0x1000)).toBe(false);
    expect(v.claim(0x10000, 0x3000)).toBe(true);
    expect(v.freeBytes()).toBe((64 - 4 - 3) * P);
    v.free(0x10000, 0x3000);
    v.free(a, 0x4000);
    expect(v.freeBytes()).toBe(64 * P);
    expect(() => new VirtualBuddy({ base: 0x1000, pages: 64 })).toThrow(MisalignedError);
    v.checkInvariants();
  });
});

// ---- both implementations against a page-state model -----------------------------------------

type Live = { va: number; bytes: number; taken: number };

/**
 * `firstFit`: also check Lunaix's placement rule exactly: the lowest aligned address at or above
 * the hint where the range fits, else the lowest aligned fit from the bottom of the region.
 */
function modelRun(
  make: () => VirtualRangeAllocator,
  ops: Array<[number, number, number, number]>,
  firstFit = false,
): void {
  const r = make();
  const pages = r.size / P;
  const used = new Uint8Array(pages);
  const live: Live[] = [];
  const mark = (va: number, n: number, v: number) =>
    used.fill(v, (va - r.base) / P, (va - r.base) / P + n / P);
  /** The lowest address >= from, aligned, whose `bytes` are all free in the model; or null. */
  const lowestFit = (from: number, bytes: number, align: number): number | null => {
    for (let v = Math.ceil(from / align) * align; v + bytes <= r.base + r.size; v += align) {
      const p0 = (v - r.base) / P;
      if (used.subarray(p0, p0 + bytes / P).every((u) => u === 0)) return v;
    }
    return null;
  };
  for (const [kind, a, b, c] of ops) {
    if (kind === 0 || live.length === 0) {
      const bytes = (1 + (a % 8)) * P;
      const hint = r.base + (b % pages) * P;
      const align = P * 2 ** (c % 4); // 4, 8, 16 or 32 KiB
      const before = r.freeBytes();
      const va = r.alloc(bytes, { hint, align });
      const want = firstFit ? (lowestFit(hint, bytes, align) ?? lowestFit(r.base, bytes, align)) : undefined;
      if (firstFit) expect(va).toBe(want);
      if (va === null) continue;
      const taken = before - r.freeBytes();
      expect(taken).toBeGreaterThanOrEqual(bytes);
      expect(((va % align) + align) % align).toBe(0); // aligned as an address, not only in the region
      expect(va).toBeGreaterThanOrEqual(r.base);
      expect(va + taken).toBeLessThanOrEqual(r.base + r.size);
      for (let p = (va - r.base) / P; p < (va - r.base + taken) / P; p++) expect(used[p]).toBe(0);
      mark(va, taken, 1);
      live.push({ va, bytes, taken });
    } else if (kind === 1) {
      const [x] = live.splice(a % live.length, 1);
      r.free(x!.va, x!.bytes);
      mark(x!.va, x!.taken, 0);
    } else {
      // a free that must be refused: one page past a live range, if that page is free
      const x = live[a % live.length]!;
      const va = x.va + x.taken;
      const p = (va - r.base) / P;
      if (p >= pages || used[p] === 1) continue;
      const before = r.freeBytes();
      expect(() => r.free(va, P)).toThrow(RangeStateError);
      expect(r.freeBytes()).toBe(before);
    }
    r.checkInvariants();
    expect(r.freeBytes()).toBe((pages - used.reduce((s, u) => s + u, 0)) * P);
  }
  for (const x of live) r.free(x.va, x.bytes);
  expect(r.freeBytes()).toBe(r.size);
  r.checkInvariants();
}

describe("virtual range allocators against a page-state model", () => {
  const ops = fc.array(fc.tuple(fc.nat({ max: 2 }), fc.nat(), fc.nat(), fc.nat()), {
    maxLength: 80,
    size: "max",
  });
  it("FirstFitRanges (placement checked exactly)", () => {
    fc.assert(
      fc.property(ops, (o) => modelRun(() => new FirstFitRanges({ base: 0x40_0000, size: 64 * P }), o, true)),
      { numRuns: 80 },
    );
  });
  it("FirstFitRanges in the upper half (negative addresses, base not aligned beyond a page)", () => {
    fc.assert(
      fc.property(ops, (o) =>
        modelRun(() => new FirstFitRanges({ base: -(2 ** 39) + 3 * P, size: 64 * P }), o, true),
      ),
      { numRuns: 50 },
    );
  });
  it("VirtualBuddy", () => {
    fc.assert(
      fc.property(ops, (o) =>
        modelRun(() => new VirtualBuddy({ base: 0x40_0000, pages: 64, maxOrder: 5 }), o),
      ),
      { numRuns: 80 },
    );
  });
  it("VirtualBuddy in the upper half", () => {
    fc.assert(
      fc.property(ops, (o) =>
        modelRun(() => new VirtualBuddy({ base: -(2 ** 39), pages: 64, maxOrder: 5 }), o),
      ),
      { numRuns: 50 },
    );
  });
});

describe("virtual range tracing", () => {
  it("emits vrange.alloc / claim / free with the bytes actually taken", () => {
    const log: string[] = [];
    const tracer = {
      emit: (e: { type: string; va: number; bytes: number }) => log.push(`${e.type} ${e.va} ${e.bytes}`),
    };
    const v = new VirtualBuddy({ base: 0, pages: 16, maxOrder: 4, tracer });
    v.free(v.alloc(0x3000)!, 0x3000);
    v.claim(0x4000, 0x1000);
    const f = new FirstFitRanges({ base: 0, size: 0x10000, tracer });
    f.free(f.alloc(0x3000)!, 0x3000);
    expect(log).toEqual([
      "vrange.alloc 0 16384",
      "vrange.free 0 16384",
      "vrange.claim 16384 4096",
      "vrange.alloc 0 12288",
      "vrange.free 0 12288",
    ]);
  });
});
