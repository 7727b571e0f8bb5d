import { describe, expect, it } from "vitest";
import { InvalidArgumentError } from "../src/errors.js";
import { effectiveMemoryType } from "../src/memtypes/effective.js";
import { isMtrrEncoding, isPatEncoding, MemoryType, memoryTypeName } from "../src/memtypes/memory-type.js";
import { Mtrrs } from "../src/memtypes/mtrr.js";
import { PAT_LINUX, Pat, patBits } from "../src/memtypes/pat.js";
import { PTE_P, PTE_PCD, PTE_RW } from "../src/paging/entry.js";
import { PAGE_4K } from "../src/paging/virtual-address.js";

const { UC, WC, WT, WP, WB, UC_MINUS } = MemoryType;

describe("memory types (Intel SDM Vol. 3A 11.3, 11.5.2.2)", () => {
  it("SDM Tables 11-8 and 11-10: encodings and names; 2 and 3 reserved, UC- only in the PAT", () => {
    expect([UC, WC, WT, WP, WB, UC_MINUS].map(memoryTypeName)).toEqual(["UC", "WC", "WT", "WP", "WB", "UC-"]);
    expect(memoryTypeName(3)).toBe("reserved(0x3)");
    expect([0, 1, 2, 3, 4, 5, 6, 7, 8].map(isPatEncoding)).toEqual([
      true,
      true,
      false,
      false,
      true,
      true,
      true,
      true,
      false,
    ]);
    expect(isMtrrEncoding(UC_MINUS)).toBe(false);
  });

  it("SDM Table 11-7, row by row", () => {
    const cols = [UC, UC_MINUS, WC, WT, WB, WP] as const;
    const table: [MemoryType, MemoryType[]][] = [
      [UC, [UC, UC, WC, UC, UC, UC]],
      [WC, [UC, WC, WC, UC, WC, UC]],
      [WT, [UC, UC, WC, WT, WT, WP]],
      [WB, [UC, UC, WC, WT, WB, WP]],
      [WP, [UC, WC, WC, WT, WP, WP]],
    ];
    for (const [mtrr, row] of table) {
      expect(cols.map((pat) => effectiveMemoryType(mtrr, pat))).toEqual(row);
    }
  });

  it("PAT WC wins over every MTRR type; PAT UC (strong) wins over every MTRR type", () => {
    for (const mtrr of [UC, WC, WT, WP, WB]) {
      expect(effectiveMemoryType(mtrr, WC)).toBe(WC);
      expect(effectiveMemoryType(mtrr, UC)).toBe(UC);
    }
  });

  it("PAT UC- yields to an MTRR WC and to nothing else", () => {
    expect(effectiveMemoryType(WC, UC_MINUS)).toBe(WC);
    for (const mtrr of [UC, WT, WB]) expect(effectiveMemoryType(mtrr, UC_MINUS)).toBe(UC);
  });

  it("refuses UC- as an MTRR type and reserved encodings", () => {
    expect(() => effectiveMemoryType(UC_MINUS, WB)).toThrow(InvalidArgumentError);
    expect(() => effectiveMemoryType(WB, 2 as MemoryType)).toThrow(/PAT type/);
  });

  it("why a framebuffer is mapped write-combining", () => {
    // Firmware: RAM below 2 GiB is WB, everything else (the PCI hole with the framebuffer) UC.
    const mtrrs = new Mtrrs();
    mtrrs.setDefault({ enabled: true, fixedEnabled: false, type: UC });
    mtrrs.setVariable(0, { base: 0, size: 2 ** 31, type: WB });
    const fb = 0xe000_0000;
    const fbMtrr = mtrrs.typeOf(fb).type;
    expect(fbMtrr).toBe(UC);

    // With the reset PAT, the best a driver can ask for is PCD=1 (UC-): every pixel store is a bus
    // transaction of its own.
    const reset = new Pat();
    expect(effectiveMemoryType(fbMtrr, reset.typeForEntry(PTE_P | PTE_RW | PTE_PCD, PAGE_4K))).toBe(UC);

    // Reprogram the PAT (Linux's layout, PA1 = WC) and select PA1 in the PTE: the PAT's WC overrides
    // the MTRR's UC, so stores to the framebuffer are combined into full-line bursts.
    const pat = new Pat(PAT_LINUX);
    const pte = PTE_P | PTE_RW | patBits(pat.indexOf(WC), PAGE_4K);
    expect(effectiveMemoryType(fbMtrr, pat.typeForEntry(pte, PAGE_4K))).toBe(WC);

    // Ordinary RAM mapped with PA0 stays write-back.
    expect(effectiveMemoryType(mtrrs.typeOf(0x10_0000).type, pat.typeForEntry(PTE_P | PTE_RW, PAGE_4K))).toBe(
      WB,
    );
  });
});
