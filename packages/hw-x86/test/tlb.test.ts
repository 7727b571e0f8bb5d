import fc from "fast-check";
import { describe, expect, it } from "vitest";
import {
  Access,
  type AccessKind,
  ConfigurationError,
  InvalidArgumentError,
  InvariantError,
  type MapFlags,
  Mapper,
  Mmu,
  makeContext,
  PAGE_2M,
  PAGE_4K,
  type PageSize,
  PhysicalMemory,
  type ReplacementPolicy,
  StackFrameSource,
  TLB_DIRTY,
  TLB_LEVEL_SHIFT,
  TLB_RW,
  Tlb,
  type TlbOptions,
  type TranslationContext,
} from "../src/index.js";

const RW: MapFlags = { writable: true, user: true };

function setup(tlbOptions: TlbOptions = {}) {
  const memory = new PhysicalMemory({ size: 32 * 2 ** 20 });
  const frames = new StackFrameSource(1, 4096);
  const mapper = new Mapper({ memory, frames });
  const tlb = new Tlb(tlbOptions);
  const mmu = new Mmu({ memory, tlb });
  const ctx = (o: Partial<TranslationContext> = {}) => makeContext({ root: mapper.root, ...o });
  return { memory, frames, mapper, tlb, mmu, ctx };
}

describe("TLB (Intel SDM 4.10)", () => {
  it("the classic bug: a PTE changed without INVLPG keeps translating to the old frame", () => {
    const s = setup();
    const c = s.ctx();
    s.mapper.map(0x400000, 0x10000, PAGE_4K, RW);
    expect(s.mmu.translate(c, 0x400010, Access.Read)).toMatchObject({ pa: 0x10010, tlbHit: false });
    // The kernel remaps the page and "forgets" the flush obligation the mapper returned.
    const r = s.mapper.unmap(0x400000, PAGE_4K);
    s.mapper.map(0x400000, 0x20000, PAGE_4K, RW);
    expect(r).toMatchObject({ flush: { kind: "page", va: 0x400000 } });
    expect(s.mmu.translate(c, 0x400010, Access.Read)).toMatchObject({ pa: 0x10010, tlbHit: true }); // stale!
    expect(s.mmu.walk(c, 0x400010, Access.Read)).toMatchObject({ pa: 0x20010 }); // the tables say otherwise
    // Honour the obligation: INVLPG.
    expect(s.tlb.invlpg(c.pcid, 0x400000)).toBe(1);
    expect(s.mmu.translate(c, 0x400010, Access.Read)).toMatchObject({ pa: 0x20010, tlbHit: false });
  });

  it("an unmapped page stays reachable through the TLB until INVLPG (use after free)", () => {
    const s = setup();
    const c = s.ctx({ cpl: 3 });
    s.mapper.map(0x400000, 0x10000, PAGE_4K, RW);
    s.mmu.translate(c, 0x400000, Access.Write);
    s.mapper.unmap(0x400000, PAGE_4K);
    expect(s.mmu.translate(c, 0x400000, Access.Write).kind).toBe("ok");
    s.tlb.invlpg(0, 0x400000);
    expect(s.mmu.translate(c, 0x400000, Access.Write)).toMatchObject({
      kind: "page-fault",
      reason: "not-present",
    });
  });

  it("caches rights: a hit re-checks them against the current CPL/WP/SMAP, not the tables", () => {
    const s = setup();
    s.mapper.map(0x400000, 0x10000, PAGE_4K, { user: true });
    s.mmu.translate(s.ctx(), 0x400000, Access.Read);
    expect(s.mmu.translate(s.ctx({ cpl: 3 }), 0x400000, Access.Write)).toMatchObject({ kind: "page-fault" });
    s.mmu.translate(s.ctx(), 0x400000, Access.Read);
    expect(s.mmu.translate(s.ctx({ wp: false }), 0x400000, Access.Write)).toMatchObject({
      kind: "ok",
      tlbHit: true,
    });
  });

  it("a write hitting an entry whose D is clear walks again and sets D in memory (4.8)", () => {
    const s = setup();
    const c = s.ctx();
    s.mapper.map(0x400000, 0x10000, PAGE_4K, RW);
    s.mmu.translate(c, 0x400000, Access.Read);
    expect(s.mapper.translate(0x400000)?.flags.dirty).toBe(false);
    const walks = s.mmu.walks;
    expect(s.mmu.translate(c, 0x400000, Access.Write)).toMatchObject({ kind: "ok", tlbHit: true });
    expect(s.mmu.walks).toBe(walks + 1);
    expect(s.mapper.translate(0x400000)?.flags.dirty).toBe(true);
    s.mmu.translate(c, 0x400000, Access.Write);
    expect(s.mmu.walks).toBe(walks + 1); // D now cached: no walk
  });

  it("a hit reports the level and size of the page the entry came from, walk or TLB alike", () => {
    const s = setup();
    const c = s.ctx();
    s.mapper.map(0x400000, 0x10000, PAGE_4K, RW);
    s.mapper.map(0x40000000, 0x200000, PAGE_2M, RW);
    for (const [va, level, pageSize] of [
      [0x400123, 1, PAGE_4K],
      [0x40012345, 2, PAGE_2M],
    ] as const) {
      expect(s.mmu.translate(c, va, Access.Read)).toMatchObject({ tlbHit: false, pageSize });
      expect(s.mmu.lastLevel).toBe(level);
      expect(s.mmu.translate(c, va, Access.Read)).toMatchObject({ tlbHit: true, pageSize });
      expect(s.mmu.lastLevel).toBe(level);
    }
    // After a fault, the level is where the walk stopped: the PD entry next to the 2 MiB page.
    expect(s.mmu.translate(c, 0x40200000, Access.Read)).toMatchObject({ kind: "page-fault", level: 2 });
  });

  it("a fill stores the page's level in flag bits 7:5, whatever those bits were in the call", () => {
    const tlb = new Tlb();
    const w = tlb.fill(0, 0, 0x40000000, 0x200000, TLB_RW | TLB_DIRTY | (7 << TLB_LEVEL_SHIFT), 0, 21);
    expect(tlb.flags[w]).toBe(TLB_RW | TLB_DIRTY | (2 << TLB_LEVEL_SHIFT));
    tlb.refreshEntry(w, 0x200000, TLB_RW, 0, 30);
    expect(tlb.flags[w]).toBe(TLB_RW | (3 << TLB_LEVEL_SHIFT));
    expect(() => tlb.checkInvariants()).not.toThrow();
  });

  it("checkInvariants catches each broken invariant of the banner", () => {
    const filled = () => {
      const tlb = new Tlb({ sets: 4, ways: 2 });
      tlb.fill(0, 0, 0x1000, 0x5000, TLB_RW, 0, 12); // set 1, way 2
      tlb.fill(0, 0, 0x5000, 0x6000, TLB_RW, 0, 12); // set 1, way 3
      tlb.checkInvariants();
      return tlb;
    };
    const corrupt: [string, (t: Tlb) => void, RegExp][] = [
      ["entry in a set its tag does not select", (t) => void (t.tagLo[2] = 2), /not its own/],
      ["same page and PCID twice", (t) => void (t.tagLo[3] = t.tagLo[2]!), /same page/],
      ["PCID changed behind the match key", (t) => void (t.pcid[2] = 7), /match key/],
      ["page shift not 12, 21 or 30", (t) => void (t.pageShift[2] = 13), /page shift/],
      ["level bits disagree with the page shift", (t) => void (t.pageShift[2] = 21), /flag level/],
    ];
    for (const [name, breakIt, message] of corrupt) {
      const t = filled();
      breakIt(t);
      expect(() => t.checkInvariants(), name).toThrow(message);
      expect(() => t.checkInvariants(), name).toThrow(InvariantError);
    }
  });

  it("a page fault drops the page's entries (4.10.4.1), unless configured like the baseline", () => {
    for (const invalidateOnFault of [true, false]) {
      const s = setup({ invalidateOnFault });
      s.mapper.map(0x400000, 0x10000, PAGE_4K, { user: true });
      s.mmu.translate(s.ctx({ cpl: 3 }), 0x400000, Access.Read);
      expect(s.mmu.translate(s.ctx({ cpl: 3 }), 0x400000, Access.Write).kind).toBe("page-fault");
      expect(s.tlb.entries().length).toBe(invalidateOnFault ? 0 : 1);
    }
  });

  describe("large pages are cached as 4 KiB pieces (4.10.2.3)", () => {
    it("INVLPG anywhere in a 2 MiB page drops every piece", () => {
      const s = setup({ sets: 16, ways: 4 });
      const c = s.ctx();
      s.mapper.map(0x200000, 0x400000, PAGE_2M, RW);
      for (const off of [0, 0x1000, 0x2000, 0x1ff000]) s.mmu.translate(c, 0x200000 + off, Access.Read);
      expect(s.tlb.entries().map((e) => e.pageShift)).toEqual([21, 21, 21, 21]);
      expect(s.tlb.invlpg(0, 0x3ff123)).toBe(4);
      expect(s.tlb.entries()).toEqual([]);
    });
  });

  describe("what is cached (4.10.2)", () => {
    it("only successful translations: a not-present or refused access leaves no entry", () => {
      const s = setup({ invalidateOnFault: false });
      s.mapper.map(0x400000, 0x10000, PAGE_4K, { user: true });
      expect(s.mmu.translate(s.ctx(), 0x500000, Access.Read).kind).toBe("page-fault"); // not present
      expect(s.mmu.translate(s.ctx({ cpl: 3 }), 0x400000, Access.Write).kind).toBe("page-fault"); // R/W=0
      expect(s.tlb.entries()).toEqual([]);
      expect(s.tlb.stats.fills).toBe(0);
    });
    it("an entry holds the rights combined over every level: R/W and U/S ANDed, XD ORed (4.10.2.2)", () => {
      const s = setup();
      s.mapper.map(0x400000, 0x10000, PAGE_4K, RW);
      const path = s.mapper.walkPath(0x400000);
      const pde = path.find((e) => e.level === 2)!;
      const pml4e = path.find((e) => e.level === 4)!;
      s.memory.write64(pde.entryAddress, s.memory.read64(pde.entryAddress) & ~2n); // PDE R/W=0
      s.memory.write64(pml4e.entryAddress, s.memory.read64(pml4e.entryAddress) | (1n << 63n)); // PML4E XD
      s.mmu.translate(s.ctx(), 0x400000, Access.Read);
      expect(s.tlb.entries()).toMatchObject([{ writable: false, user: true, noExecute: true, dirty: false }]);
    });
    it("software that clears D without INVLPG loses the next write's D (the page-out bug); INVLPG fixes it", () => {
      const s = setup();
      const c = s.ctx();
      s.mapper.map(0x400000, 0x10000, PAGE_4K, RW);
      s.mmu.translate(c, 0x400000, Access.Write); // D set in memory and cached
      s.mapper.protect(0x400000, PAGE_4K, { ...RW, dirty: false }); // "written back": D cleared
      s.mmu.translate(c, 0x400000, Access.Write); // a hit whose cached D is 1: no walk, D stays 0
      expect(s.mapper.translate(0x400000)?.flags.dirty).toBe(false);
      s.tlb.invlpg(c.pcid, 0x400000);
      s.mmu.translate(c, 0x400000, Access.Write);
      expect(s.mapper.translate(0x400000)?.flags.dirty).toBe(true);
    });
    it("software that clears A without INVLPG sees no new A while the entry is cached (a clock algorithm must flush)", () => {
      const s = setup();
      const c = s.ctx();
      s.mapper.map(0x400000, 0x10000, PAGE_4K, RW);
      s.mmu.translate(c, 0x400000, Access.Read);
      s.mapper.protect(0x400000, PAGE_4K, { ...RW, accessed: false });
      s.mmu.translate(c, 0x400000, Access.Read);
      expect(s.mapper.translate(0x400000)?.flags.accessed).toBe(false);
      s.tlb.invlpg(c.pcid, 0x400000);
      s.mmu.translate(c, 0x400000, Access.Read);
      expect(s.mapper.translate(0x400000)?.flags.accessed).toBe(true);
    });
  });

  it("with 5-level paging, pages that differ only in bits 56:48 have entries of their own", () => {
    const memory = new PhysicalMemory({ size: 32 * 2 ** 20 });
    const mapper = new Mapper({ memory, frames: new StackFrameSource(1, 4096), levels: 5 });
    const tlb = new Tlb({ sets: 16, ways: 4 });
    const mmu = new Mmu({ memory, tlb });
    const c = makeContext({ root: mapper.root, la57: true });
    const vas = [0x1000, 2 ** 48 + 0x1000, 2 ** 52 + 0x1000, -(2 ** 52) + 0x1000];
    for (const [i, va] of vas.entries()) mapper.map(va, 0x10000 * (i + 1), PAGE_4K, RW);
    for (const va of vas) mmu.translate(c, va, Access.Read);
    for (const [i, va] of vas.entries()) {
      expect(mmu.translate(c, va + 8, Access.Read)).toMatchObject({
        pa: 0x10000 * (i + 1) + 8,
        tlbHit: true,
      });
    }
    expect(tlb.invlpg(0, 2 ** 48 + 0x1000)).toBe(1);
    expect(tlb.entries().map((e) => e.va)).toEqual(
      expect.arrayContaining([0x1000, 2 ** 52 + 0x1000, -(2 ** 52) + 0x1000]),
    );
    expect(tlb.entries()).toHaveLength(3);
  });

  describe("INVLPG with PCIDs (4.10.4.1)", () => {
    it("drops the page's entries of the current PCID and its global entries of any PCID, not another PCID's", () => {
      const s = setup();
      s.mapper.map(0x400000, 0x10000, PAGE_4K, RW);
      s.mapper.map(0x401000, 0x11000, PAGE_4K, { ...RW, global: true });
      for (const pcid of [1, 2]) s.mmu.translate(s.ctx({ pcide: true, pcid }), 0x400000, Access.Read);
      s.mmu.translate(s.ctx({ pcide: true, pcid: 2 }), 0x401000, Access.Read); // global, filled under PCID 2
      expect(s.tlb.invlpg(1, 0x400000)).toBe(1);
      expect(s.tlb.entries().map((e) => [e.va, e.pcid, e.global])).toEqual(
        expect.arrayContaining([
          [0x400000, 2, false],
          [0x401000, 2, true],
        ]),
      );
      expect(s.tlb.invlpg(1, 0x401000)).toBe(1); // the global entry, though filled under PCID 2
      expect(s.tlb.entries().map((e) => [e.va, e.pcid])).toEqual([[0x400000, 2]]);
    });
    it("INVLPG of a non-canonical address is a no-op (SDM INVLPG: 'the same as a NOP')", () => {
      const s = setup();
      s.mapper.map(0, 0x10000, PAGE_4K, RW);
      s.mapper.map(-4096, 0x11000, PAGE_4K, RW);
      s.mmu.translate(s.ctx(), 0, Access.Read);
      s.mmu.translate(s.ctx(), -4096, Access.Read);
      for (const va of [2 ** 47, 2 ** 52, -(2 ** 47) - 4096, -(2 ** 52)]) expect(s.tlb.invlpg(0, va)).toBe(0);
      expect(s.tlb.entries()).toHaveLength(2);
    });
    it("INVPCID type 0 drops every cached piece of a 2 MiB page of that PCID", () => {
      const s = setup();
      s.mapper.map(0x200000, 0x400000, PAGE_2M, RW);
      const c = s.ctx({ pcide: true, pcid: 3 });
      for (const off of [0, 0x5000, 0x1ff000]) s.mmu.translate(c, 0x200000 + off, Access.Read);
      expect(s.tlb.invpcid(0, 3, 0x3fffff, true)).toEqual({ kind: "ok", dropped: 3 });
    });
  });

  describe("PCIDs (4.10.1)", () => {
    function twoSpaces() {
      const s = setup();
      const other = new Mapper({ memory: s.memory, frames: s.frames });
      s.mapper.map(0x400000, 0x10000, PAGE_4K, RW);
      other.map(0x400000, 0x20000, PAGE_4K, RW);
      const a = makeContext({ root: s.mapper.root, pcide: true, pcid: 1 });
      const b = makeContext({ root: other.root, pcide: true, pcid: 2 });
      return { ...s, a, b, other };
    }
    it("entries are tagged: each PCID sees its own translation of the same address", () => {
      const s = twoSpaces();
      expect(s.mmu.translate(s.a, 0x400000, Access.Read)).toMatchObject({ pa: 0x10000 });
      expect(s.mmu.translate(s.b, 0x400000, Access.Read)).toMatchObject({ pa: 0x20000, tlbHit: false });
      expect(s.mmu.translate(s.a, 0x400000, Access.Read)).toMatchObject({ pa: 0x10000, tlbHit: true });
      expect(s.mmu.translate(s.b, 0x400000, Access.Read)).toMatchObject({ pa: 0x20000, tlbHit: true });
    });
    it("without PCIDs, switching CR3 without the flush uses the other space's entries", () => {
      const s = twoSpaces();
      const a0 = makeContext({ root: s.mapper.root });
      const b0 = makeContext({ root: s.other.root });
      s.mmu.translate(a0, 0x400000, Access.Read);
      expect(s.mmu.translate(b0, 0x400000, Access.Read)).toMatchObject({ pa: 0x10000 }); // wrong space!
      s.tlb.writeCr3(false, 0);
      expect(s.mmu.translate(b0, 0x400000, Access.Read)).toMatchObject({ pa: 0x20000 });
    });
    it("MOV to CR3 with PCIDE drops the new PCID's non-global entries; bit 63 drops nothing", () => {
      const s = twoSpaces();
      s.mmu.translate(s.a, 0x400000, Access.Read);
      s.mmu.translate(s.b, 0x400000, Access.Read);
      expect(s.tlb.writeCr3(true, 1, true)).toBe(0);
      expect(s.tlb.writeCr3(true, 1)).toBe(1);
      expect(s.tlb.entries().map((e) => e.pcid)).toEqual([2]);
    });
    it("refuses a non-zero PCID, or the no-flush bit 63, without PCIDE (both #GP on hardware)", () => {
      const s = setup();
      s.mapper.map(0x400000, 0x10000, PAGE_4K, RW);
      s.mmu.translate(s.ctx(), 0x400000, Access.Read);
      expect(() => s.tlb.writeCr3(false, 5)).toThrow(InvalidArgumentError);
      expect(() => s.tlb.writeCr3(false, 0, true)).toThrow(InvalidArgumentError);
      expect(s.tlb.entries()).toHaveLength(1); // nothing flushed by the refused writes
    });
  });

  describe("global entries (4.10.2.4)", () => {
    it("a G leaf with CR4.PGE survives CR3 writes and serves every PCID", () => {
      const s = setup();
      s.mapper.map(0x400000, 0x10000, PAGE_4K, { ...RW, global: true });
      s.mapper.map(0x500000, 0x20000, PAGE_4K, RW);
      const c = s.ctx({ pge: true, pcide: true, pcid: 1 });
      s.mmu.translate(c, 0x400000, Access.Read);
      s.mmu.translate(c, 0x500000, Access.Read);
      expect(s.tlb.writeCr3(true, 1)).toBe(1);
      expect(
        s.mmu.translate(s.ctx({ pge: true, pcide: true, pcid: 9 }), 0x400000, Access.Read),
      ).toMatchObject({
        tlbHit: true,
      });
    });
    it("without CR4.PGE the G bit gives an ordinary entry", () => {
      const s = setup();
      s.mapper.map(0x400000, 0x10000, PAGE_4K, { ...RW, global: true });
      s.mmu.translate(s.ctx({ pge: false }), 0x400000, Access.Read);
      expect(s.tlb.writeCr3(false, 0)).toBe(1);
    });
    it("changing CR4.PGE drops everything, globals included; setting SMEP drops the current PCID", () => {
      const s = setup();
      s.mapper.map(0x400000, 0x10000, PAGE_4K, { ...RW, global: true });
      s.mmu.translate(s.ctx({ pge: true }), 0x400000, Access.Read);
      expect(s.tlb.writeCr4(1 << 7, 0, 0)).toBe(1);
      s.mmu.translate(s.ctx({ pge: true }), 0x400000, Access.Read);
      expect(s.tlb.writeCr4(1 << 7, (1 << 7) | (1 << 20), 0)).toBe(1);
      expect(s.tlb.writeCr0(0x80010000, 0x80000000)).toBe(0); // WP only: no flush
    });
  });

  describe("INVPCID (types 0–3)", () => {
    function filled() {
      const s = setup();
      s.mapper.map(0x400000, 0x10000, PAGE_4K, RW);
      s.mapper.map(0x401000, 0x11000, PAGE_4K, RW);
      s.mapper.map(0x402000, 0x12000, PAGE_4K, { ...RW, global: true });
      for (const pcid of [1, 2]) {
        const c = s.ctx({ pcide: true, pcid, pge: true });
        for (const va of [0x400000, 0x401000]) s.mmu.translate(c, va, Access.Read);
      }
      s.mmu.translate(s.ctx({ pcide: true, pcid: 1, pge: true }), 0x402000, Access.Read);
      return s; // 4 non-global entries (2 per PCID) + 1 global
    }
    const count = (s: ReturnType<typeof filled>) => s.tlb.entries().length;
    it("type 0 drops one address of one PCID, not globals", () => {
      const s = filled();
      expect(s.tlb.invpcid(0, 1, 0x400000, true)).toEqual({ kind: "ok", dropped: 1 });
      expect(s.tlb.invpcid(0, 1, 0x402000, true)).toEqual({ kind: "ok", dropped: 0 });
      expect(count(s)).toBe(4);
    });
    it("type 1 drops one PCID's non-global entries", () => {
      const s = filled();
      expect(s.tlb.invpcid(1, 2, 0, true)).toEqual({ kind: "ok", dropped: 2 });
    });
    it("type 2 drops everything; type 3 everything but globals", () => {
      expect(filled().tlb.invpcid(2, 0, 0, true)).toEqual({ kind: "ok", dropped: 5 });
      expect(filled().tlb.invpcid(3, 0, 0, true)).toEqual({ kind: "ok", dropped: 4 });
    });
    it("raises #GP for a bad type, a PCID > 4095, a non-canonical type-0 address, or PCID ≠ 0 without PCIDE", () => {
      const s = filled();
      expect(s.tlb.invpcid(4, 0, 0, true)).toMatchObject({ kind: "general-protection", vector: 13 });
      expect(s.tlb.invpcid(1, 4096, 0, true)).toMatchObject({ kind: "general-protection" });
      expect(s.tlb.invpcid(0, 1, 2 ** 47, true)).toMatchObject({ kind: "general-protection" });
      expect(s.tlb.invpcid(1, 1, 0, false)).toMatchObject({ kind: "general-protection" });
      expect(count(s)).toBe(5);
    });
  });

  describe("set-associative replacement", () => {
    /** Pages that all fall in set 0 of a 16-set TLB. */
    const inSet0 = (k: number) => k * 16 * 4096;
    function fillSet(replacement: ReplacementPolicy) {
      const s = setup({ sets: 16, ways: 2, replacement, seed: 7 });
      const c = s.ctx();
      for (let k = 0; k < 4; k++) s.mapper.map(inSet0(k), k * 4096, PAGE_4K, RW);
      return { s, c };
    }
    it("LRU evicts the least recently used way", () => {
      const { s, c } = fillSet("lru");
      s.mmu.translate(c, inSet0(0), Access.Read);
      s.mmu.translate(c, inSet0(1), Access.Read);
      s.mmu.translate(c, inSet0(0), Access.Read); // 1 is now least recent
      s.mmu.translate(c, inSet0(2), Access.Read);
      expect(
        s.tlb
          .entries()
          .map((e) => e.va)
          .sort((a, b) => a - b),
      ).toEqual([inSet0(0), inSet0(2)]);
      expect(s.tlb.stats).toMatchObject({ hits: 1, misses: 3, fills: 3, evictions: 1 });
    });
    it("counts hits and misses per lookup, and from zero again after resetStats", () => {
      const { s, c } = fillSet("lru");
      for (let i = 0; i < 5; i++) s.mmu.translate(c, inSet0(0), Access.Read); // 1 miss, 4 hits
      expect(s.tlb.stats).toMatchObject({ hits: 4, misses: 1 });
      s.tlb.resetStats();
      expect(s.tlb.stats).toMatchObject({ hits: 0, misses: 0, fills: 0 });
      s.mmu.translate(c, inSet0(0), Access.Read); // hit
      s.mmu.translate(c, inSet0(1), Access.Read); // miss
      s.mmu.translate(c, inSet0(1), Access.Read); // hit
      expect(s.tlb.stats).toMatchObject({ hits: 2, misses: 1, fills: 1 });
      expect(s.tlb.lookup(0, 0, inSet0(3))).toBe(-1); // a direct lookup counts too
      expect(s.tlb.stats).toMatchObject({ hits: 2, misses: 2 });
    });
    it("FIFO evicts in fill order whatever the use", () => {
      const { s, c } = fillSet("fifo");
      s.mmu.translate(c, inSet0(0), Access.Read);
      s.mmu.translate(c, inSet0(1), Access.Read);
      s.mmu.translate(c, inSet0(0), Access.Read);
      s.mmu.translate(c, inSet0(2), Access.Read);
      expect(
        s.tlb
          .entries()
          .map((e) => e.va)
          .sort((a, b) => a - b),
      ).toEqual([inSet0(1), inSet0(2)]);
    });
    it("random replacement is deterministic for a seed", () => {
      const run = () => {
        const { s, c } = fillSet("random");
        for (let i = 0; i < 20; i++) s.mmu.translate(c, inSet0(i % 4), Access.Read);
        return s.tlb.entries().map((e) => e.va);
      };
      expect(run()).toEqual(run());
    });
    it("refuses bad geometries", () => {
      expect(() => new Tlb({ sets: 12 })).toThrow(ConfigurationError);
      expect(() => new Tlb({ ways: 0 })).toThrow(ConfigurationError);
    });
  });

  it("property: with every flush obligation honoured, the TLB never changes an outcome", () => {
    type Op =
      | { op: "map"; slot: number; size: PageSize; frame: number; flags: MapFlags }
      | { op: "unmap"; slot: number; size: PageSize }
      | { op: "protect"; slot: number; size: PageSize; flags: MapFlags }
      | { op: "access"; slot: number; size: PageSize; off: number; acc: AccessKind; cpl: 0 | 3 };
    const flagsArb = fc.record({
      writable: fc.boolean(),
      user: fc.boolean(),
      noExecute: fc.boolean(),
      global: fc.boolean(),
    });
    const sizeArb = fc.constantFrom<PageSize>(PAGE_4K, PAGE_2M);
    const slotArb = fc.integer({ min: 0, max: 7 });
    const opArb: fc.Arbitrary<Op> = fc.oneof(
      fc.record({
        op: fc.constant("map" as const),
        slot: slotArb,
        size: sizeArb,
        frame: fc.nat(63),
        flags: flagsArb,
      }),
      fc.record({ op: fc.constant("unmap" as const), slot: slotArb, size: sizeArb }),
      fc.record({ op: fc.constant("protect" as const), slot: slotArb, size: sizeArb, flags: flagsArb }),
      fc.record({
        op: fc.constant("access" as const),
        slot: slotArb,
        size: sizeArb,
        off: fc.nat(3),
        acc: fc.constantFrom<AccessKind>(0, 1, 2),
        cpl: fc.constantFrom<0 | 3>(0, 3),
      }),
    );
    // 2 MiB pages live in regions 0-3 and 4 KiB pages in regions 2-5 of 6 MiB each: regions 2 and 3
    // see both sizes collide (table-in-the-way, huge-page-in-the-way), the others map freely.
    const vaOf = (slot: number, size: PageSize) =>
      size === PAGE_2M ? (slot % 4) * PAGE_2M * 3 : ((slot % 4) + 2) * PAGE_2M * 3 + (slot >> 2) * 4096 * 17;
    fc.assert(
      fc.property(fc.array(opArb, { maxLength: 100, size: "max" }), fc.constantFrom(1, 2, 4), (ops, ways) => {
        const s = setup({ sets: 4, ways });
        const plain = new Mmu({ memory: s.memory });
        for (const o of ops) {
          const va = vaOf(o.slot, o.size);
          let flush = null;
          if (o.op === "map") s.mapper.map(va, o.frame * o.size, o.size, o.flags);
          else if (o.op === "unmap") flush = s.mapper.unmap(va, o.size);
          else if (o.op === "protect") flush = s.mapper.protect(va, o.size, o.flags);
          else {
            const c = s.ctx({ cpl: o.cpl, pge: true });
            // Few distinct offsets, so that accesses reuse cached 4 KiB pieces of 2 MiB pages.
            const at = va + ((o.off * 0x11234) % o.size);
            const viaTlb = s.mmu.translate(c, at, o.acc);
            const viaWalk = plain.walk(c, at, o.acc);
            const strip = (r: typeof viaTlb) => (r.kind === "ok" ? { kind: r.kind, pa: r.pa } : r);
            expect(strip(viaTlb)).toEqual(strip(viaWalk));
          }
          if (flush !== null && "flush" in flush && flush.flush.kind === "page")
            s.tlb.invlpg(0, flush.flush.va);
          s.tlb.checkInvariants();
        }
      }),
      { numRuns: 80 },
    );
  });
});
