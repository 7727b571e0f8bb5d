import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { InvalidArgumentError, ReservedBitsError } from "../src/errors.js";
import { MemoryType } from "../src/memtypes/memory-type.js";
import { PAT_LINUX, PAT_RESET, Pat, patBits, patIndex } from "../src/memtypes/pat.js";
import { PTE_P, PTE_PCD, PTE_PS, PTE_PWT, PTE_RW } from "../src/paging/entry.js";
import { PAGE_1G, PAGE_2M, PAGE_4K } from "../src/paging/virtual-address.js";

describe("PAT (Intel SDM Vol. 3A 11.12)", () => {
  it("SDM Table 11-12: reset value is WB, WT, UC-, UC, WB, WT, UC-, UC", () => {
    const pat = new Pat();
    expect([0, 1, 2, 3, 4, 5, 6, 7].map((i) => pat.entry(i))).toEqual([6, 4, 7, 0, 6, 4, 7, 0]);
    expect(pat.read()).toBe(PAT_RESET);
    expect(pat.toString()).toBe("PA0=WB PA1=WT PA2=UC- PA3=UC PA4=WB PA5=WT PA6=UC- PA7=UC");
  });

  it("SDM Table 11-11: a 4 KiB PTE takes PAT from bit 7", () => {
    expect(patIndex(0x8b, PAGE_4K)).toBe(5); // the banner's worked example: PAT=1 PCD=0 PWT=1
    expect(patIndex(PTE_P | PTE_RW, PAGE_4K)).toBe(0);
    expect(patIndex(PTE_PWT, PAGE_4K)).toBe(1);
    expect(patIndex(PTE_PCD, PAGE_4K)).toBe(2);
    expect(patIndex(PTE_PCD | PTE_PWT | 0x80, PAGE_4K)).toBe(7);
  });

  it("SDM 11.12.3: a 2 MiB or 1 GiB entry takes PAT from bit 12 (bit 7 is PS there)", () => {
    expect(patIndex(0x8b, PAGE_2M)).toBe(1); // bit 7 is PS, not PAT
    expect(patIndex(PTE_PS | 0x1000 | PTE_PWT, PAGE_2M)).toBe(5);
    expect(patIndex(PTE_PS | 0x1000 | PTE_PCD | PTE_PWT, PAGE_1G)).toBe(7);
  });

  it("property: patBits is the inverse of patIndex for every size", () => {
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 7 }), fc.constantFrom(PAGE_4K, PAGE_2M, PAGE_1G), (i, size) => {
        expect(patIndex(patBits(i, size), size)).toBe(i);
      }),
      { numRuns: 50 },
    );
    expect(patBits(1, PAGE_4K)).toBe(PTE_PWT);
    expect(patBits(4, PAGE_2M)).toBe(0x1000);
  });

  it("Linux's layout puts WC in PA1: PWT alone selects write combining", () => {
    const pat = new Pat(PAT_LINUX);
    expect(pat.typeForEntry(PTE_P | PTE_RW | PTE_PWT, PAGE_4K)).toBe(MemoryType.WC);
    expect(pat.indexOf(MemoryType.WC)).toBe(1);
    expect(pat.entry(7)).toBe(MemoryType.WT);
  });

  it("SDM 11.12.2: reserved encodings 2, 3 and bits 7:3 of a field raise #GP; the PAT is unchanged", () => {
    const pat = new Pat();
    for (const bad of [0x0007040600070402n, 0x0307040600070406n, 0x0007040600070486n, 1n << 64n, -1n]) {
      expect(() => pat.write(bad)).toThrow(ReservedBitsError);
      expect(pat.read()).toBe(PAT_RESET);
    }
    expect(() => pat.setEntry(3, 2 as MemoryType)).toThrow(ReservedBitsError);
    expect(() => pat.entry(8)).toThrow(InvalidArgumentError);
    expect(pat.read()).toBe(PAT_RESET);
    pat.checkInvariants();
  });

  it("setEntry changes one field only", () => {
    const pat = new Pat();
    pat.setEntry(7, MemoryType.WC);
    expect(pat.read()).toBe(0x0107040600070406n);
  });
});
