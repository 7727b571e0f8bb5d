import fc from "fast-check";
import { describe, expect, it } from "vitest";
import {
  AlignmentError,
  type DecodedEntry,
  decodeEntry,
  describeEntry,
  encodeEntry,
  entryAddress,
  entryFromBigInt,
  entryToBigInt,
  InvalidArgumentError,
  type PagingLevel,
  reservedBits,
} from "../src/index.js";
import { entryCodecLaws, entryFieldsArbitrary, entryShapeArbitrary } from "../src/laws/index.js";

describe("paging-structure entries (SDM 4.5, Tables 4-14..4-20)", () => {
  for (const law of entryCodecLaws({ encode: encodeEntry, decode: decodeEntry })) {
    it(`law: ${law.name}`, () => law.check());
  }

  it("the codec laws catch a codec that puts XD on bit 62", () => {
    const broken = {
      encode: (level: PagingLevel, f: Parameters<typeof encodeEntry>[1]) => {
        const e = encodeEntry(level, { ...f, noExecute: false });
        return f.noExecute === true ? { lo: e.lo, hi: (e.hi | (1 << 30)) >>> 0 } : e;
      },
      decode: decodeEntry,
    };
    const [, layout] = entryCodecLaws(broken, { seed: 42 });
    expect(() => layout!.check()).toThrow(/Property failed/);
  });

  it("decodes the banner's worked PDE 0x8000_0000_4020_00e7", () => {
    const { lo, hi } = entryFromBigInt(0x80000000402000e7n);
    const e = decodeEntry(lo, hi, 2);
    expect(e).toMatchObject({
      present: true,
      writable: true,
      user: true,
      accessed: true,
      dirty: true,
      leaf: true,
      pageSize: 2 * 2 ** 20,
      noExecute: true,
      address: 0x40200000,
      pat: false,
    });
    expect(describeEntry(lo, hi, 2)).toBe("PDE → 2MiB page 0x40200000 [P RW US A D PS XD]");
  });

  it("bit 7 is PS in a PDE, PAT in a PTE; bit 12 is PAT in a large page and address in a table entry", () => {
    expect(decodeEntry(0x81, 0, 1)).toMatchObject({ leaf: true, pat: true, pageSize: 4096 });
    expect(decodeEntry(0x1081, 0, 2)).toMatchObject({ leaf: true, pat: true, address: 0 });
    expect(decodeEntry(0x1001, 0, 2)).toMatchObject({ leaf: false, pat: false, address: 0x1000 });
  });

  it("reads the address field bits 51:12 across both halves", () => {
    expect(entryAddress(0xabcde003, 0x000fffff)).toBe(0xfffffabcde000);
    expect(decodeEntry(0xc0000081, 0x12345, 3).address).toBe(0x12345c0000000);
  });

  it("encodes the example from encodeEntry's TSDoc", () => {
    expect(encodeEntry(2, { address: 0x40200000, pageSize: true, writable: true, user: true })).toEqual({
      lo: 0x40200087,
      hi: 0,
    });
  });

  it("refuses PS where it does not exist, and misaligned large frames", () => {
    expect(() => encodeEntry(4, { address: 0, pageSize: true })).toThrow(/reserved/);
    expect(() => encodeEntry(1, { address: 0, pageSize: true })).toThrow(InvalidArgumentError);
    expect(() => encodeEntry(2, { address: 0x1000, pageSize: true })).toThrow(AlignmentError);
    expect(() => encodeEntry(3, { address: 0x200000, pageSize: true })).toThrow(AlignmentError);
    expect(() => encodeEntry(4, { address: 0x1000, pat: true })).toThrow(/PAT/);
    expect(() => encodeEntry(1, { address: 0x1000, protectionKey: 16 })).toThrow(/protectionKey/);
  });

  describe("reserved bits", () => {
    it("PS in a PML4E or PML5E is reserved", () => {
      expect(reservedBits(0x81, 0, 4, 52, true)).toBe(0x80n);
      expect(reservedBits(0x81, 0, 5, 52, true)).toBe(0x80n);
      expect(reservedBits(0x81, 0, 3, 52, true)).toBe(0n);
    });
    it("address bits at or above MAXPHYADDR are reserved", () => {
      expect(reservedBits(0x1, 1 << 14, 1, 46, true)).toBe(1n << 46n);
      expect(reservedBits(0x1, 1 << 13, 1, 46, true)).toBe(0n);
      expect(reservedBits(0x1, 1 << 19, 1, 52, true)).toBe(0n);
    });
    it("bit 63 is reserved unless EFER.NXE", () => {
      expect(reservedBits(0x1, 0x80000000, 1, 46, false)).toBe(1n << 63n);
      expect(reservedBits(0x1, 0x80000000, 1, 46, true)).toBe(0n);
    });
    it("bits 20:13 of a 2 MiB PDE and 29:13 of a 1 GiB PDPTE are reserved", () => {
      expect(reservedBits(0x2081, 0, 2, 46, true)).toBe(0x2000n);
      expect(reservedBits(0x200081, 0, 2, 46, true)).toBe(0n);
      expect(reservedBits(0x20000081, 0, 3, 46, true)).toBe(0x20000000n);
      expect(reservedBits(0x20000001, 0, 3, 46, true)).toBe(0n);
    });
  });

  it("bad input: a level outside 1..5 or a MAXPHYADDR outside 36..52 is refused, not answered wrongly", () => {
    // MAXPHYADDR 30 would make bit 31 (an address bit at or above MAXPHYADDR) reserved, yet the
    // mask arithmetic only covers 32..52: the call must be refused rather than answer 0n.
    for (const m of [30, 35, 53, 60, 45.5, Number.NaN]) {
      expect(() => reservedBits(0x80000001, 0, 1, m, true), `maxPhysAddr ${m}`).toThrow(InvalidArgumentError);
    }
    for (const level of [0, 6, 2.5] as unknown as PagingLevel[]) {
      expect(() => reservedBits(0x81, 0, level, 46, true), `level ${level}`).toThrow(InvalidArgumentError);
      expect(() => encodeEntry(level, { address: 0x1000 }), `level ${level}`).toThrow(InvalidArgumentError);
      expect(() => decodeEntry(0x1001, 0, level), `level ${level}`).toThrow(InvalidArgumentError);
      expect(() => describeEntry(0x1001, 0, level), `level ${level}`).toThrow(InvalidArgumentError);
    }
    expect(reservedBits(0x1, 1 << 4, 1, 36, true)).toBe(1n << 36n); // the edges themselves are fine
    expect(reservedBits(0x1, 1 << 19, 1, 52, true)).toBe(0n);
  });

  it("describes a not-present entry", () => {
    expect(describeEntry(0, 0, 1)).toBe("PTE not present");
    expect(describeEntry(0x1000, 0, 1)).toBe("PTE not present (software bits 0x1000)");
  });

  it("property: encode then decode gives back every field; BigInt form round-trips", () => {
    fc.assert(
      fc.property(
        entryShapeArbitrary,
        entryFieldsArbitrary,
        fc.integer({ min: 0, max: 2 ** 40 - 1 }),
        (shape, f, frameNo) => {
          const align = !shape.large ? 4096 : shape.level === 2 ? 2 ** 21 : 2 ** 30;
          const address = (frameNo * align) % 2 ** 52;
          const e = encodeEntry(shape.level, { ...f, address, pageSize: shape.large, pat: shape.pat });
          const d: DecodedEntry = decodeEntry(e.lo, e.hi, shape.level);
          expect(d).toMatchObject({ ...f, address, present: true, pat: shape.pat, level: shape.level });
          expect(d.leaf).toBe(shape.level === 1 || shape.large);
          expect(entryFromBigInt(entryToBigInt(e))).toEqual(e);
          expect(reservedBits(e.lo, e.hi, shape.level, 52, true)).toBe(0n);
        },
      ),
      { numRuns: 300 },
    );
  });
});
