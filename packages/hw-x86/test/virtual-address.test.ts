import fc from "fast-check";
import { describe, expect, it } from "vitest";
import {
  addressOfIndex,
  hex,
  InvalidArgumentError,
  isCanonical,
  NonCanonicalAddressError,
  type PagingLevel,
  tableIndex,
  vaFromBigInt,
  vaHigh,
  vaLow,
  vaToBigInt,
} from "../src/index.js";

describe("linear addresses (SDM 3.3.7.1, 4.5)", () => {
  it("splits 0x7f12_3456_7abc into the banner's indices", () => {
    const va = 0x7f1234567abc;
    expect([4, 3, 2, 1].map((l) => tableIndex(va, l as 1 | 2 | 3 | 4))).toEqual([254, 72, 418, 359]);
  });

  it("tableIndex refuses a level outside 1..5 and a number that is not an exact address", () => {
    expect(() => tableIndex(0x1000, 6 as PagingLevel)).toThrow(InvalidArgumentError);
    expect(() => tableIndex(0x1000, 0 as PagingLevel)).toThrow(InvalidArgumentError);
    expect(() => tableIndex(1.5, 1)).toThrow(NonCanonicalAddressError);
    expect(() => tableIndex(2 ** 60, 4)).toThrow(NonCanonicalAddressError);
    expect(tableIndex(2 ** 53 - 4096, 5)).toBe(31); // a 57-bit address: PML5 index bits 56:48
  });

  it("48-bit canonical: bits 63:47 equal bit 47", () => {
    expect(isCanonical(2 ** 47 - 1)).toBe(true);
    expect(isCanonical(2 ** 47)).toBe(false);
    expect(isCanonical(-(2 ** 47))).toBe(true);
    expect(isCanonical(-(2 ** 47) - 1)).toBe(false);
  });

  it("57-bit canonical with LA57", () => {
    expect(isCanonical(2 ** 47, true)).toBe(true);
    expect(isCanonical(2 ** 53 - 1, true)).toBe(true);
    expect(isCanonical(1.5, true)).toBe(false);
  });

  it("converts upper-half BigInt addresses exactly and refuses inexact numbers", () => {
    const va = vaFromBigInt(0xffff800000001000n);
    expect(va).toBe(-(2 ** 47) + 0x1000);
    expect(hex(va)).toBe("0xffff800000001000");
    expect(vaToBigInt(va)).toBe(0xffff800000001000n);
    expect(vaHigh(va)).toBe(-32768);
    expect(vaLow(va)).toBe(0x1000);
    expect(tableIndex(va, 4)).toBe(256);
    expect(() => vaFromBigInt(0x0000800000000000n << 8n)).toThrow(NonCanonicalAddressError);
  });

  it("property: halves recombine to the address, and indices rebuild its page", () => {
    fc.assert(
      fc.property(fc.integer({ min: -(2 ** 47), max: 2 ** 47 - 1 }), (va) => {
        expect(vaHigh(va) * 2 ** 32 + vaLow(va)).toBe(va);
        let rebuilt = 0;
        for (const level of [4, 3, 2, 1] as const)
          rebuilt = addressOfIndex(rebuilt, level, tableIndex(va, level), false);
        expect(rebuilt).toBe(va - (((va % 4096) + 4096) % 4096));
      }),
      { numRuns: 200 },
    );
  });
});
