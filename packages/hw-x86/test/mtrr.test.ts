import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { InvalidArgumentError, ReservedBitsError } from "../src/errors.js";
import { MemoryType } from "../src/memtypes/memory-type.js";
import {
  FIXED_MTRR_MSRS,
  IA32_MTRR_DEF_TYPE,
  IA32_MTRR_PHYSBASE0,
  IA32_MTRR_PHYSMASK0,
  IA32_MTRRCAP,
  Mtrrs,
} from "../src/memtypes/mtrr.js";

const { UC, WC, WT, WB, WP } = MemoryType;

function firmware(): Mtrrs {
  const m = new Mtrrs({ maxPhysAddr: 36 });
  m.setDefault({ enabled: true, fixedEnabled: true, type: UC });
  m.setFixed(0, 0xa0000, WB); // conventional memory
  m.setFixed(0xa0000, 0x20000, UC); // legacy VGA window
  m.setFixed(0xc0000, 0x40000, WP); // option ROMs and BIOS
  m.setVariable(0, { base: 0, size: 2 ** 31, type: WB }); // 2 GiB of RAM
  return m;
}

describe("MTRRs (Intel SDM Vol. 3A 11.11)", () => {
  it("SDM 11.11.5: at reset the MTRRs are disabled and everything is UC", () => {
    const m = new Mtrrs();
    expect(m.typeOf(0x1000)).toEqual({ type: UC, source: "disabled", ranges: [] });
    expect(m.rdmsr(IA32_MTRRCAP)).toBe(0x508n); // VCNT=8, FIX, WC
  });

  it("SDM 11.11.4.1: below 1 MiB the fixed ranges decide when FE=1", () => {
    const m = firmware();
    expect(m.typeOf(0x9f000).type).toBe(WB);
    expect(m.typeOf(0xb8000)).toEqual({ type: UC, source: "fixed", ranges: [] });
    expect(m.typeOf(0xf0000).type).toBe(WP);
    m.setDefault({ enabled: true, fixedEnabled: false, type: UC });
    expect(m.typeOf(0xb8000)).toEqual({ type: WB, source: "variable", ranges: [0] });
  });

  it("SDM Table 11-9: fixed MSR byte k is the k-th sub-range", () => {
    const m = firmware();
    expect(m.rdmsr(FIXED_MTRR_MSRS[0]!)).toBe(0x0606060606060606n);
    expect(m.rdmsr(FIXED_MTRR_MSRS[2]!)).toBe(0n); // 0xA0000–0xBFFFF UC
    m.wrmsr(FIXED_MTRR_MSRS[3]!, 0x0101010101010106n); // 0xC0000 WB, 0xC1000..0xC7FFF WC
    expect(m.typeOf(0xc0000).type).toBe(WB);
    expect(m.typeOf(0xc1000).type).toBe(WC);
  });

  it("SDM 11.11.2.3: a variable range matches when (pa & mask) = (base & mask)", () => {
    const m = firmware();
    m.setVariable(1, { base: 0xe000_0000, size: 0x1000_0000, type: WC });
    expect(m.rdmsr(IA32_MTRR_PHYSMASK0 + 2)).toBe(0xf_f000_0800n); // mask | V, the banner's worked example
    expect(m.typeOf(0xe123_4567)).toEqual({ type: WC, source: "variable", ranges: [1] });
    expect(m.typeOf(0xdfff_ffff).type).toBe(UC);
    expect(m.typeOf(0xf000_0000).type).toBe(UC);
  });

  it("SDM 11.11.4.1: addresses no range covers get the default type", () => {
    const m = firmware();
    expect(m.typeOf(0x9000_0000)).toEqual({ type: UC, source: "default", ranges: [] });
  });

  it("SDM 11.11.4.1 overlaps: UC wins; WT over WB; same type stays; others undefined → UC", () => {
    const m = firmware();
    m.setVariable(1, { base: 0x1000_0000, size: 0x1000_0000, type: WT });
    expect(m.typeOf(0x1000_0000)).toEqual({ type: WT, source: "variable", ranges: [0, 1] });
    m.setVariable(2, { base: 0x1000_0000, size: 0x1000, type: UC });
    expect(m.typeOf(0x1000_0000).type).toBe(UC);
    m.setVariable(1, { base: 0x1000_0000, size: 0x1000_0000, type: WB });
    expect(m.typeOf(0x1800_0000)).toEqual({ type: WB, source: "variable", ranges: [0, 1] });
    m.setVariable(1, { base: 0x1000_0000, size: 0x1000_0000, type: WC });
    expect(m.typeOf(0x1800_0000)).toEqual({ type: UC, source: "undefined-overlap", ranges: [0, 1] });
    m.clearVariable(1);
    expect(m.typeOf(0x1800_0000).type).toBe(WB);
  });

  it("SDM 11.11.4: variable ranges must be power-of-two sized and aligned", () => {
    const m = firmware();
    expect(() => m.setVariable(1, { base: 0x1000, size: 0x3000, type: WB })).toThrow(/power of two/);
    expect(() => m.setVariable(1, { base: 0x1000, size: 0x2000, type: WB })).toThrow(/aligned/);
    expect(() => m.setVariable(8, { base: 0, size: 0x1000, type: WB })).toThrow(InvalidArgumentError);
    expect(() => m.setVariable(1, { base: 0, size: 0x1000, type: MemoryType.UC_MINUS })).toThrow(
      ReservedBitsError,
    );
    expect(m.variableRanges()).toEqual([{ index: 0, base: 0, size: 2 ** 31, type: WB }]);
  });

  it("reserved bits and invalid types in WRMSR raise #GP; the MTRRs are unchanged", () => {
    const m = firmware();
    const before = m.describe();
    expect(() => m.wrmsr(IA32_MTRR_DEF_TYPE, 0x300n | 6n)).toThrow(ReservedBitsError); // bits 9:8
    expect(() => m.wrmsr(IA32_MTRR_DEF_TYPE, 0xc02n)).toThrow(/not an MTRR memory type/); // type 2
    expect(() => m.wrmsr(IA32_MTRR_DEF_TYPE, 0xc07n)).toThrow(ReservedBitsError); // UC- is PAT-only
    expect(() => m.wrmsr(IA32_MTRR_PHYSBASE0, 0x100n)).toThrow(/11:8/);
    expect(() => m.wrmsr(IA32_MTRR_PHYSBASE0, 1n << 36n)).toThrow(/MAXPHYADDR|63:36/); // above MAXPHYADDR=36
    expect(() => m.wrmsr(IA32_MTRR_PHYSMASK0, 0x400n)).toThrow(/10:0/);
    expect(() => m.wrmsr(FIXED_MTRR_MSRS[0]!, 0x0600000000000000n | 0x02n)).toThrow(ReservedBitsError);
    expect(() => m.wrmsr(IA32_MTRRCAP, 0n)).toThrow(/read-only/);
    expect(() => m.wrmsr(0x210, 0n)).toThrow(InvalidArgumentError); // PHYSBASE8 does not exist with VCNT=8
    expect(m.describe()).toBe(before);
    expect(m.rdmsr(FIXED_MTRR_MSRS[0]!)).toBe(0x0606060606060606n);
    m.checkInvariants();
  });

  it("setFixed refuses spans off the sub-range grid or above 1 MiB", () => {
    const m = new Mtrrs();
    expect(() => m.setFixed(0x10000, 0x8000, WB)).toThrow(/boundaries/);
    expect(() => m.setFixed(0xff000, 0x2000, WB)).toThrow(/1 MiB/);
  });

  it("property: typeOf agrees with a naive interval model of the variable ranges and the precedence rules", () => {
    const range = fc
      .record({
        log: fc.integer({ min: 12, max: 40 }),
        slot: fc.nat(),
        type: fc.constantFrom(UC, WC, WT, WP, WB),
      })
      .map(({ log, slot, type }) => {
        const size = 2 ** log;
        return { base: (slot % 2 ** (44 - log)) * size, size, type };
      });
    fc.assert(
      fc.property(
        fc.array(range, { maxLength: 8 }),
        fc.array(fc.oneof(fc.nat({ max: 2 ** 44 - 1 }), fc.nat({ max: 2 ** 22 })), {
          minLength: 1,
          maxLength: 20,
        }),
        fc.constantFrom(UC, WB),
        (ranges, addrs, def) => {
          const m = new Mtrrs({ maxPhysAddr: 44 });
          m.setDefault({ enabled: true, fixedEnabled: false, type: def });
          ranges.forEach((r, n) => {
            m.setVariable(n, r);
          });
          // Addresses inside the ranges too, not only random ones.
          const probes = [...addrs, ...ranges.flatMap((r) => [r.base, r.base + r.size - 1, r.base + r.size])];
          for (const pa of probes.filter((p) => p < 2 ** 44)) {
            const hits = ranges.filter((r) => pa >= r.base && pa < r.base + r.size).map((r) => r.type);
            const kinds = new Set(hits);
            let want: MemoryType;
            if (hits.length === 0) want = def;
            else if (kinds.size === 1) want = hits[0]!;
            else if (kinds.has(UC)) want = UC;
            else if (kinds.size === 2 && kinds.has(WT) && kinds.has(WB)) want = WT;
            else want = UC;
            expect(m.typeOf(pa).type).toBe(want);
          }
          m.checkInvariants();
        },
      ),
      { numRuns: 200 },
    );
  });
});
