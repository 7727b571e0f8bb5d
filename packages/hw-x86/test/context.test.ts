import { describe, expect, it } from "vitest";
import {
  CR0_WP,
  CR4_LA57,
  CR4_PCIDE,
  CR4_PGE,
  CR4_PKE,
  CR4_SMAP,
  CR4_SMEP,
  contextFromRegisters,
  DEFAULT_CONTEXT,
  EFER_NXE,
  InvalidArgumentError,
  makeContext,
  ReservedBitsError,
  RFLAGS_AC,
} from "../src/index.js";

describe("translation context", () => {
  it("decodes every register bit the MMU reads", () => {
    const ctx = contextFromRegisters({
      cr0: CR0_WP,
      cr3: 0x5000 | 7,
      cr4: CR4_PGE | CR4_LA57 | CR4_PCIDE | CR4_SMEP | CR4_SMAP | CR4_PKE,
      efer: EFER_NXE,
      rflags: RFLAGS_AC,
      cpl: 3,
      pkru: 0xc,
      maxPhysAddr: 39,
    });
    expect(ctx).toEqual({
      root: 0x5000,
      pcid: 7,
      cpl: 3,
      wp: true,
      smep: true,
      smap: true,
      pcide: true,
      la57: true,
      pge: true,
      pke: true,
      nxe: true,
      ac: true,
      pkru: 0xc,
      maxPhysAddr: 39,
    });
    expect(Object.isFrozen(ctx)).toBe(true);
  });

  it("ignores CR3 bits 11:0 without PCIDE and bit 63 (the no-flush hint of a write)", () => {
    const ctx = contextFromRegisters({
      cr0: 0,
      cr3: (1n << 63n) | 0x7005n,
      cr4: 0,
      efer: 0,
      rflags: 0,
      cpl: 0,
    });
    expect([ctx.root, ctx.pcid, ctx.wp, ctx.nxe]).toEqual([0x7000, 0, false, false]);
  });

  it("rejects CR3 address bits at or above MAXPHYADDR (SDM 4.5)", () => {
    expect(() =>
      contextFromRegisters({ cr0: 0, cr3: 2n ** 40n, cr4: 0, efer: 0, rflags: 0, cpl: 0, maxPhysAddr: 40 }),
    ).toThrow(ReservedBitsError);
  });

  it("validates every field of makeContext", () => {
    expect(makeContext()).toEqual(DEFAULT_CONTEXT);
    expect(() => makeContext({ root: 0x1001 })).toThrow(InvalidArgumentError);
    expect(() => makeContext({ pcid: 3 })).toThrow(/0 unless pcide/);
    expect(() => makeContext({ pcide: true, pcid: 4096 })).toThrow(/0\.\.4095/);
    expect(() => makeContext({ cpl: 4 as 3 })).toThrow(/cpl=4/);
    expect(() => makeContext({ maxPhysAddr: 53 })).toThrow(/36\.\.52/);
    expect(() => makeContext({ root: 2 ** 46, maxPhysAddr: 46 })).toThrow(/below 2\^46/);
    expect(() => makeContext({ pkru: -1 })).toThrow(/pkru/);
  });
});
