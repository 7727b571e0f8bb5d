import fc from "fast-check";
import { describe, expect, it } from "vitest";
import {
  Access,
  type AccessKind,
  checkRights,
  describePageFaultErrorCode,
  FAULT,
  InvalidArgumentError,
  type MapFlags,
  Mapper,
  Mmu,
  makeContext,
  NonCanonicalAddressError,
  PAGE_1G,
  PAGE_2M,
  PAGE_4K,
  type PageSize,
  PF_I,
  PF_P,
  PF_PK,
  PF_RSVD,
  PF_U,
  PF_W,
  PhysicalMemory,
  StackFrameSource,
  Tlb,
  type TranslationContext,
  vaFromBigInt,
} from "../src/index.js";

const USER_RW: MapFlags = { writable: true, user: true };

function setup(levels: 4 | 5 = 4) {
  const memory = new PhysicalMemory({ size: 16 * 2 ** 20 });
  const frames = new StackFrameSource(1, 2048);
  const mapper = new Mapper({ memory, frames, levels });
  const mmu = new Mmu({ memory });
  const ctx = (o: Partial<TranslationContext> = {}) =>
    makeContext({ root: mapper.root, la57: levels === 5, ...o });
  /** Read or write the raw 64-bit entry a walk reads at `level` for `va`. */
  const entryAt = (va: number, level: number) => {
    const e = mapper.walkPath(va).find((p) => p.level === level)!;
    return {
      read: () => memory.read64(e.entryAddress),
      write: (v: bigint) => memory.write64(e.entryAddress, v),
      or: (bits: bigint) => memory.write64(e.entryAddress, memory.read64(e.entryAddress) | bits),
      clear: (bits: bigint) => memory.write64(e.entryAddress, memory.read64(e.entryAddress) & ~bits),
    };
  };
  return { memory, frames, mapper, mmu, ctx, entryAt };
}

const user = { cpl: 3 as const };

function pfCode(r: ReturnType<Mmu["translate"]>): number {
  if (r.kind !== "page-fault") throw new Error(`expected #PF, got ${JSON.stringify(r)}`);
  return r.errorCode;
}

describe("MMU walk (Intel SDM chapter 4)", () => {
  it("translates a 4 KiB page and keeps the page offset (4.5)", () => {
    const s = setup();
    s.mapper.map(0x7f1234567000, 0x345000, PAGE_4K, USER_RW);
    expect(s.mmu.translate(s.ctx(user), 0x7f1234567abc, Access.Read)).toEqual({
      kind: "ok",
      pa: 0x345abc,
      pageSize: PAGE_4K,
      tlbHit: false,
    });
  });

  it("translates 2 MiB and 1 GiB pages with 21- and 30-bit offsets (Tables 4-16, 4-18)", () => {
    const s = setup();
    s.mapper.map(0x40000000, 0x80000000, PAGE_1G, USER_RW);
    s.mapper.map(0x200000, 0xc00000, PAGE_2M, USER_RW);
    expect(s.mmu.translate(s.ctx(user), 0x7fedcba9, Access.Read)).toMatchObject({
      pa: 0xbfedcba9,
      pageSize: PAGE_1G,
    });
    expect(s.mmu.translate(s.ctx(user), 0x3abcde, Access.Read)).toMatchObject({
      pa: 0xdabcde,
      pageSize: PAGE_2M,
    });
  });

  describe("not-present (4.7: P=0 in the error code)", () => {
    for (const level of [4, 3, 2, 1] as const) {
      it(`stops at a not-present entry at level ${level}`, () => {
        const s = setup();
        s.mapper.map(0x400000, 0x1000, PAGE_4K, USER_RW);
        s.entryAt(0x400000, level).clear(1n);
        const r = s.mmu.translate(s.ctx(user), 0x400123, Access.Write);
        expect(r).toEqual({
          kind: "page-fault",
          vector: 14,
          errorCode: PF_W | PF_U,
          cr2: 0x400123,
          reason: "not-present",
          level,
        });
      });
    }
  });

  for (const level of [4, 3, 2, 1] as const) {
    it(`R/W is the AND over all levels: R/W=0 at level ${level} makes the page read-only (4.6)`, () => {
      const s = setup();
      s.mapper.map(0x400000, 0x1000, PAGE_4K, USER_RW);
      s.entryAt(0x400000, level).clear(2n);
      expect(pfCode(s.mmu.translate(s.ctx(user), 0x400000, Access.Write))).toBe(PF_P | PF_W | PF_U);
      expect(s.mmu.translate(s.ctx(user), 0x400000, Access.Read).kind).toBe("ok");
    });
    it(`U/S is the AND over all levels: U/S=0 at level ${level} hides the page from CPL 3 (4.6)`, () => {
      const s = setup();
      s.mapper.map(0x400000, 0x1000, PAGE_4K, USER_RW);
      s.entryAt(0x400000, level).clear(4n);
      expect(pfCode(s.mmu.translate(s.ctx(user), 0x400000, Access.Read))).toBe(PF_P | PF_U);
      expect(s.mmu.translate(s.ctx({ cpl: 0 }), 0x400000, Access.Read).kind).toBe("ok");
    });
    it(`XD is the OR over all levels: XD=1 at level ${level} forbids fetches (4.6)`, () => {
      const s = setup();
      s.mapper.map(0x400000, 0x1000, PAGE_4K, USER_RW);
      s.entryAt(0x400000, level).or(1n << 63n);
      expect(pfCode(s.mmu.translate(s.ctx(user), 0x400000, Access.Execute))).toBe(PF_P | PF_U | PF_I);
      expect(s.mmu.translate(s.ctx(user), 0x400000, Access.Write).kind).toBe("ok");
    });
  }

  describe("execute-disable (4.6, EFER.NXE)", () => {
    it("XD on the leaf forbids fetches; the error code has I/D", () => {
      const s = setup();
      s.mapper.map(0x400000, 0x1000, PAGE_4K, { ...USER_RW, noExecute: true });
      expect(pfCode(s.mmu.translate(s.ctx(user), 0x400000, Access.Execute))).toBe(PF_P | PF_U | PF_I);
      expect(s.mmu.translate(s.ctx(user), 0x400000, Access.Read).kind).toBe("ok");
    });
    it("XD is the OR over all levels: XD in a PDE forbids fetches from its pages", () => {
      const s = setup();
      s.mapper.map(0x400000, 0x1000, PAGE_4K, USER_RW);
      s.entryAt(0x400000, 2).or(1n << 63n);
      expect(pfCode(s.mmu.translate(s.ctx({ cpl: 0 }), 0x400000, Access.Execute))).toBe(PF_P | PF_I);
    });
    it("without NXE bit 63 is reserved: RSVD fault for any access", () => {
      const s = setup();
      s.mapper.map(0x400000, 0x1000, PAGE_4K, { ...USER_RW, noExecute: true });
      const r = s.mmu.translate(s.ctx({ ...user, nxe: false }), 0x400000, Access.Read);
      expect(r).toMatchObject({ reason: "reserved-bit", level: 1, errorCode: PF_P | PF_RSVD | PF_U });
    });
    it("I/D is reported only when SMEP or NXE is on (4.7)", () => {
      const s = setup();
      const r = s.mmu.translate(s.ctx({ ...user, nxe: false, smep: false }), 0x400000, Access.Execute);
      expect(pfCode(r)).toBe(PF_U);
      const r2 = s.mmu.translate(s.ctx({ ...user, nxe: false, smep: true }), 0x400000, Access.Execute);
      expect(pfCode(r2)).toBe(PF_U | PF_I);
    });
  });

  describe("CR0.WP (4.6.1)", () => {
    it("WP=1: a supervisor write to a read-only page faults", () => {
      const s = setup();
      s.mapper.map(0x400000, 0x1000, PAGE_4K, {});
      expect(pfCode(s.mmu.translate(s.ctx({ wp: true }), 0x400000, Access.Write))).toBe(PF_P | PF_W);
    });
    it("WP=0: a supervisor write to a read-only page is allowed, even a user page", () => {
      const s = setup();
      s.mapper.map(0x400000, 0x1000, PAGE_4K, {});
      s.mapper.map(0x401000, 0x2000, PAGE_4K, { user: true });
      expect(s.mmu.translate(s.ctx({ wp: false }), 0x400000, Access.Write).kind).toBe("ok");
      expect(s.mmu.translate(s.ctx({ wp: false }), 0x401000, Access.Write).kind).toBe("ok");
    });
    it("a user write to a read-only page faults whatever WP says", () => {
      const s = setup();
      s.mapper.map(0x400000, 0x1000, PAGE_4K, { user: true });
      expect(pfCode(s.mmu.translate(s.ctx({ ...user, wp: false }), 0x400000, Access.Write))).toBe(
        PF_P | PF_W | PF_U,
      );
    });
  });

  it("CR4.SMEP: supervisor fetches from user pages fault (4.6.1)", () => {
    const s = setup();
    s.mapper.map(0x400000, 0x1000, PAGE_4K, USER_RW);
    expect(pfCode(s.mmu.translate(s.ctx({ smep: true }), 0x400000, Access.Execute))).toBe(PF_P | PF_I);
    expect(s.mmu.translate(s.ctx({ smep: false }), 0x400000, Access.Execute).kind).toBe("ok");
    expect(s.mmu.translate(s.ctx({ smep: true }), 0x400000, Access.Read).kind).toBe("ok");
  });

  it("CR4.SMAP: supervisor data accesses to user pages fault unless RFLAGS.AC (4.6.1)", () => {
    const s = setup();
    s.mapper.map(0x400000, 0x1000, PAGE_4K, USER_RW);
    s.mapper.map(0x401000, 0x2000, PAGE_4K, { user: true });
    expect(pfCode(s.mmu.translate(s.ctx({ smap: true }), 0x400000, Access.Read))).toBe(PF_P);
    expect(pfCode(s.mmu.translate(s.ctx({ smap: true }), 0x400000, Access.Write))).toBe(PF_P | PF_W);
    expect(s.mmu.translate(s.ctx({ smap: true, ac: true }), 0x400000, Access.Write).kind).toBe("ok");
    // AC lifts SMAP but not WP: a read-only user page stays read-only.
    expect(pfCode(s.mmu.translate(s.ctx({ smap: true, ac: true }), 0x401000, Access.Write))).toBe(
      PF_P | PF_W,
    );
    // SMAP does not concern fetches, nor user-mode accesses.
    expect(s.mmu.translate(s.ctx({ smap: true }), 0x400000, Access.Execute).kind).toBe("ok");
    expect(s.mmu.translate(s.ctx({ smap: true, cpl: 3 }), 0x400000, Access.Read).kind).toBe("ok");
  });

  describe("rules a kernel bug meets (4.6.1, 4.6.2)", () => {
    it("CR0.WP=1: a supervisor write to a read-only *user* page faults too (SMAP off)", () => {
      const s = setup();
      s.mapper.map(0x401000, 0x2000, PAGE_4K, { user: true });
      expect(pfCode(s.mmu.translate(s.ctx({ wp: true, smap: false }), 0x401000, Access.Write))).toBe(
        PF_P | PF_W,
      );
    });
    it("SMEP does not need NXE or XD: with NXE=0 a supervisor fetch from a user page still faults, with I/D", () => {
      const s = setup();
      s.mapper.map(0x400000, 0x1000, PAGE_4K, USER_RW);
      expect(pfCode(s.mmu.translate(s.ctx({ smep: true, nxe: false }), 0x400000, Access.Execute))).toBe(
        PF_P | PF_I,
      );
      expect(s.mmu.translate(s.ctx({ smep: false, nxe: false }), 0x400000, Access.Execute).kind).toBe("ok");
    });
    it("PKRU.AD also stops supervisor reads of a user page, and writes even with CR0.WP=0", () => {
      const s = setup();
      s.mapper.map(0x400000, 0x1000, PAGE_4K, { ...USER_RW, protectionKey: 2 });
      const ad2 = 1 << 4;
      expect(pfCode(s.mmu.translate(s.ctx({ pke: true, pkru: ad2 }), 0x400000, Access.Read))).toBe(
        PF_P | PF_PK,
      );
      expect(
        pfCode(s.mmu.translate(s.ctx({ pke: true, pkru: ad2, wp: false }), 0x400000, Access.Write)),
      ).toBe(PF_P | PF_W | PF_PK);
      // SMAP's AC does not lift a protection key.
      expect(
        pfCode(s.mmu.translate(s.ctx({ pke: true, pkru: ad2, smap: true, ac: true }), 0x400000, Access.Read)),
      ).toBe(PF_P | PF_PK);
    });
    it("a key violation on a page that also violates R/W reports both P and PK (4.7)", () => {
      const s = setup();
      s.mapper.map(0x400000, 0x1000, PAGE_4K, { user: true, protectionKey: 1 });
      const wd1 = 1 << 3;
      expect(pfCode(s.mmu.translate(s.ctx({ ...user, pke: true, pkru: wd1 }), 0x400000, Access.Write))).toBe(
        PF_P | PF_W | PF_U | PF_PK,
      );
    });
  });

  describe("protection keys (4.6.2, CR4.PKE)", () => {
    const setupPk = () => {
      const s = setup();
      s.mapper.map(0x400000, 0x1000, PAGE_4K, { ...USER_RW, protectionKey: 3 });
      s.mapper.map(0x401000, 0x2000, PAGE_4K, { writable: true, protectionKey: 3 });
      return s;
    };
    it("AD forbids every data access to a user page with that key; PK is in the error code", () => {
      const s = setupPk();
      const c = s.ctx({ ...user, pke: true, pkru: 1 << 6 });
      expect(pfCode(s.mmu.translate(c, 0x400000, Access.Read))).toBe(PF_P | PF_U | PF_PK);
      expect(s.mmu.translate(c, 0x400000, Access.Execute).kind).toBe("ok");
      expect(s.mmu.translate(s.ctx({ ...user, pke: false, pkru: 1 << 6 }), 0x400000, Access.Read).kind).toBe(
        "ok",
      );
    });
    it("WD forbids user writes, and supervisor writes only with CR0.WP", () => {
      const s = setupPk();
      const wd = 1 << 7;
      expect(pfCode(s.mmu.translate(s.ctx({ ...user, pke: true, pkru: wd }), 0x400000, Access.Write))).toBe(
        PF_P | PF_W | PF_U | PF_PK,
      );
      expect(s.mmu.translate(s.ctx({ ...user, pke: true, pkru: wd }), 0x400000, Access.Read).kind).toBe("ok");
      expect(pfCode(s.mmu.translate(s.ctx({ pke: true, pkru: wd, wp: true }), 0x400000, Access.Write))).toBe(
        PF_P | PF_W | PF_PK,
      );
      expect(s.mmu.translate(s.ctx({ pke: true, pkru: wd, wp: false }), 0x400000, Access.Write).kind).toBe(
        "ok",
      );
    });
    it("keys do not apply to supervisor pages", () => {
      const s = setupPk();
      expect(s.mmu.translate(s.ctx({ pke: true, pkru: 0xffffffff }), 0x401000, Access.Write).kind).toBe("ok");
    });
  });

  it("a recursive PML4 entry (PML4[510] = the PML4 itself) lets the tables be read through virtual addresses", () => {
    // The classic trick (Windows, blog_os): an entry pointing back to its own table makes every
    // table reachable at a fixed virtual address. With index 510 at every level the walk lands on
    // the PML4 as a 4 KiB page: 0xffff_ff7f_bfdf_e000 (sign bits set, 47:12 = 510,510,510,510).
    const s = setup();
    s.mapper.map(0x400000, 0x1000, PAGE_4K, USER_RW);
    s.memory.write64(s.mapper.root + 510 * 8, BigInt(s.mapper.root) | 3n); // P | RW, supervisor
    const self = vaFromBigInt(0xffffff7fbfdfe000n);
    const r = s.mmu.translate(s.ctx(), self + 8 * 510, Access.Write);
    expect(r).toMatchObject({ kind: "ok", pa: s.mapper.root + 8 * 510, pageSize: PAGE_4K });
    // The one entry served as PML4E, PDPTE, PDE and PTE: it got A, and D as the leaf of a write.
    expect(s.memory.read64(s.mapper.root + 510 * 8) & 0x60n).toBe(0x60n);
    // It is a supervisor entry, so user mode cannot read its own page tables through it.
    expect(pfCode(s.mmu.translate(s.ctx(user), self, Access.Read))).toBe(PF_P | PF_U);
    // The PT that maps 0x400000 (PML4 0, PDPT 0, PD 2) is one recursion deep: indices 510, 0, 0, 2,
    // i.e. 0xffff_ff00_0000_2000.
    const pt = vaFromBigInt(0xffffff0000002000n);
    const pte = s.mapper.walkPath(0x400000).find((e) => e.level === 1)!;
    expect(s.mmu.translate(s.ctx(), pt, Access.Read)).toMatchObject({
      kind: "ok",
      pa: pte.entryAddress - 8 * pte.index,
    });
  });

  describe("accessed and dirty bits (4.8)", () => {
    it("a read sets A on every level and not D; a write sets D on the leaf only", () => {
      const s = setup();
      s.mapper.map(0x400000, 0x1000, PAGE_4K, USER_RW);
      s.mmu.translate(s.ctx(user), 0x400000, Access.Read);
      const path = () => s.mapper.walkPath(0x400000);
      expect(path().map((e) => (e.lo & 0x60) >>> 5)).toEqual([1, 1, 1, 1]);
      s.mmu.translate(s.ctx(user), 0x400000, Access.Write);
      expect(path().map((e) => (e.lo & 0x60) >>> 5)).toEqual([1, 1, 1, 3]);
      expect(s.mapper.translate(0x400000)?.flags).toMatchObject({ accessed: true, dirty: true });
    });
    it("documented choice: a faulting walk sets A on the entries above, never on the denying leaf", () => {
      const s = setup();
      s.mapper.map(0x400000, 0x1000, PAGE_4K, { user: true });
      expect(s.mmu.translate(s.ctx(user), 0x400000, Access.Write).kind).toBe("page-fault");
      expect(s.mapper.walkPath(0x400000).map((e) => (e.lo & 0x60) >>> 5)).toEqual([1, 1, 1, 0]);
    });
    it("documented choice: a walk that stops at a not-present or reserved-bit entry sets A only above it", () => {
      for (const [level, bits, want] of [
        [1, 1n, [1, 1, 1, 0]], // PTE not present: PML4E, PDPTE, PDE get A
        [2, 1n << 51n, [1, 1, 0, 0]], // PDE with a reserved bit: PML4E and PDPTE only
        [4, 0x80n, [0, 0, 0, 0]], // PS in the PML4E: nothing
      ] as const) {
        const s = setup();
        s.mapper.map(0x400000, 0x1000, PAGE_4K, USER_RW);
        const e = s.entryAt(0x400000, level);
        if (bits === 1n) e.clear(1n);
        else e.or(bits);
        expect(s.mmu.translate(s.ctx(user), 0x400000, Access.Write).kind).toBe("page-fault");
        expect(s.mapper.walkPath(0x400000).map((p) => (p.lo >>> 5) & 1)).toEqual(want);
        expect(s.mapper.walkPath(0x400000).map((p) => (p.lo >>> 6) & 1)).toEqual([0, 0, 0, 0]); // never D
      }
    });
    it("a 2 MiB or 1 GiB leaf gets D on a write, and only A on a read or a fetch", () => {
      for (const [va, size] of [
        [0x200000, PAGE_2M],
        [2 ** 30, PAGE_1G],
      ] as const) {
        for (const [access, dirty] of [
          [Access.Read, false],
          [Access.Execute, false],
          [Access.Write, true],
        ] as const) {
          const s = setup();
          s.mapper.map(va, va, size, USER_RW);
          s.mmu.translate(s.ctx(user), va + size - 1, access);
          expect(s.mapper.translate(va)?.flags).toMatchObject({ accessed: true, dirty });
          // The entries above the leaf get A, never D.
          expect(s.mapper.walkPath(va).map((e) => (e.lo >>> 5) & 3)).toEqual(
            size === PAGE_2M ? [1, 1, dirty ? 3 : 1] : [1, dirty ? 3 : 1],
          );
        }
      }
    });
  });

  describe("reserved bits (4.5 tables; #PF with RSVD=1)", () => {
    it("PS in a PML4E is reserved", () => {
      const s = setup();
      s.mapper.map(0x400000, 0x1000, PAGE_4K, USER_RW);
      s.entryAt(0x400000, 4).or(0x80n);
      expect(s.mmu.translate(s.ctx(), 0x400000, Access.Read)).toMatchObject({
        reason: "reserved-bit",
        level: 4,
        errorCode: PF_P | PF_RSVD,
      });
    });
    it("address bits at and above MAXPHYADDR are reserved (MAXPHYADDR 36 vs 46)", () => {
      const s = setup();
      s.mapper.map(0x400000, 2 ** 40, PAGE_4K, USER_RW);
      expect(s.mmu.translate(s.ctx({ maxPhysAddr: 36 }), 0x400000, Access.Read)).toMatchObject({
        reason: "reserved-bit",
        level: 1,
      });
      expect(s.mmu.translate(s.ctx({ maxPhysAddr: 46 }), 0x400000, Access.Read)).toMatchObject({
        pa: 2 ** 40,
      });
    });
    it("bit 13 of a 2 MiB PDE and bit 20 of a 1 GiB PDPTE are reserved (alignment of large frames)", () => {
      const s = setup();
      s.mapper.map(0x200000, 0x200000, PAGE_2M, USER_RW);
      s.mapper.map(2 ** 30, 2 ** 30, PAGE_1G, USER_RW);
      s.entryAt(0x200000, 2).or(1n << 13n);
      s.entryAt(2 ** 30, 3).or(1n << 20n);
      expect(s.mmu.translate(s.ctx(), 0x200000, Access.Read)).toMatchObject({
        reason: "reserved-bit",
        level: 2,
      });
      expect(s.mmu.translate(s.ctx(), 2 ** 30, Access.Read)).toMatchObject({
        reason: "reserved-bit",
        level: 3,
      });
    });
  });

  describe("canonical addresses (3.3.7.1): #GP, not #PF", () => {
    it("a non-canonical address raises #GP(0) and leaves CR2 alone", () => {
      const s = setup();
      s.mmu.translate(s.ctx(), 0x1234000, Access.Read); // #PF: CR2 = 0x1234000
      const r = s.mmu.translate(s.ctx(), 2 ** 47, Access.Read);
      expect(r).toEqual({ kind: "general-protection", vector: 13, errorCode: 0, reason: "non-canonical" });
      expect(s.mmu.lastCr2).toBe(0x1234000);
    });
    it("the canonical boundaries, 4-level (bits 63:47) and 5-level (bits 63:56), on the TLB path and the walk", () => {
      for (const [levels, la57, lastLow] of [
        [4, false, 2 ** 47 - 4096],
        [5, true, 2 ** 52 - 4096], // the 57-bit boundary itself (2^56) is beyond ±2^53: halves below
      ] as const) {
        const s = setup(levels);
        const tlbMmu = new Mmu({ memory: s.memory, tlb: new Tlb() });
        s.mapper.map(lastLow, 0x1000, PAGE_4K, USER_RW);
        s.mapper.map(-lastLow - 4096, 0x2000, PAGE_4K, USER_RW); // 4-level: -2^47, the lowest upper-half page
        const c = s.ctx();
        for (const mmu of [s.mmu, tlbMmu]) {
          for (let round = 0; round < 2; round++) {
            expect(mmu.translate(c, lastLow + 0xfff, Access.Read)).toMatchObject({ kind: "ok", pa: 0x1fff });
            expect(mmu.translate(c, -lastLow - 4096, Access.Read)).toMatchObject({ kind: "ok", pa: 0x2000 });
            if (!la57) {
              expect(mmu.translate(c, 2 ** 47, Access.Read).kind).toBe("general-protection");
              expect(mmu.translate(c, -(2 ** 47) - 1, Access.Read).kind).toBe("general-protection");
            }
          }
        }
        if (la57) {
          // 0x00ff_ffff_ffff_f000 (bit 56 clear, 55:12 set) is canonical; 0x0100_0000_0000_0000 is not.
          expect(s.mmu.walkHalves(c, 0x00ffffff, 0xfffff000 | 0, Access.Read)).toBe(FAULT);
          expect(s.mmu.lastVector).toBe(14);
          expect(s.mmu.walkHalves(c, 0x01000000, 0, Access.Read)).toBe(FAULT);
          expect(s.mmu.lastVector).toBe(13);
          expect(s.mmu.walkHalves(c, 0xff000000 | 0, 0, Access.Read)).toBe(FAULT); // bits 63:56 set
          expect(s.mmu.lastVector).toBe(14);
          expect(s.mmu.walkHalves(c, 0xfe000000 | 0, 0, Access.Read)).toBe(FAULT);
          expect(s.mmu.lastVector).toBe(13);
        }
      }
    });
    it("CR2 holds upper-half addresses exactly", () => {
      const s = setup();
      const va = vaFromBigInt(0xffffffff80001234n);
      expect(s.mmu.translate(s.ctx(), va, Access.Read)).toMatchObject({ kind: "page-fault", cr2: va });
    });
    it("an access kind other than Read (0), Write (1), Execute (2) is a library misuse, not a #PF", () => {
      const s = setup();
      s.mapper.map(0x400000, 0x1000, PAGE_4K, USER_RW);
      const tlbMmu = new Mmu({ memory: s.memory, tlb: new Tlb() });
      for (const bad of [3, -1, 1.5, "1"] as unknown as AccessKind[]) {
        expect(() => s.mmu.translate(s.ctx(), 0x400000, bad), String(bad)).toThrow(InvalidArgumentError);
        expect(() => s.mmu.walk(s.ctx(), 0x400000, bad), String(bad)).toThrow(InvalidArgumentError);
        expect(() => tlbMmu.translate(s.ctx(), 0x400000, bad), String(bad)).toThrow(InvalidArgumentError);
        expect(() => checkRights(s.ctx(), bad, 1, 1, 0, 0), String(bad)).toThrow(InvalidArgumentError);
      }
      expect(s.mmu.lastVector).toBe(0); // no fault was recorded
    });
    it("a number that is not an exact address is a library misuse", () => {
      const s = setup();
      expect(() => s.mmu.translate(s.ctx(), 2 ** 64, Access.Read)).toThrow(NonCanonicalAddressError);
    });
  });

  describe("5-level paging (CR4.LA57)", () => {
    it("walks PML5 → PT; a 57-bit address is canonical only with LA57", () => {
      const s = setup(5);
      const va = 2 ** 50 + 0x5000;
      s.mapper.map(va, 0x9000, PAGE_4K, USER_RW);
      expect(s.mmu.translate(s.ctx(user), va + 7, Access.Read)).toMatchObject({ kind: "ok", pa: 0x9007 });
      expect(s.mmu.translate(makeContext({ root: s.mapper.root, cpl: 3 }), va, Access.Read).kind).toBe(
        "general-protection",
      );
    });
    it("PS in a PML5E is reserved", () => {
      const s = setup(5);
      s.mapper.map(0x5000, 0x9000, PAGE_4K, USER_RW);
      s.entryAt(0x5000, 5).or(0x80n);
      expect(s.mmu.translate(s.ctx(), 0x5000, Access.Read)).toMatchObject({
        reason: "reserved-bit",
        level: 5,
      });
    });
    it("halves API reaches addresses beyond ±2^53", () => {
      const s = setup(5);
      // 0xff58_0000_0000_1000: bits 63:56 all 1, PML5 index 0x158 = 344; canonical with 57 bits only.
      const hi = 0xff580000 | 0;
      expect(s.mmu.walkHalves(s.ctx(), hi, 0x1000, Access.Read)).toBe(FAULT);
      expect(s.mmu.lastVector).toBe(14);
      expect([s.mmu.lastCr2Hi, s.mmu.lastCr2Lo]).toEqual([hi, 0x1000]);
    });
    it("reports the low half of CR2 unsigned, bit 31 included", () => {
      const s = setup();
      // 0x8000_1234 is not mapped: a #PF whose CR2 low half has bit 31 set.
      expect(s.mmu.walkHalves(s.ctx(user), 0, 0x80001234 | 0, Access.Read)).toBe(FAULT);
      expect(s.mmu.lastCr2Lo).toBe(0x80001234);
      expect(s.mmu.lastCr2).toBe(0x80001234);
    });
  });

  it("a table outside RAM is a machine check (this model's bus error)", () => {
    const s = setup();
    s.mapper.map(0x400000, 0x1000, PAGE_4K, USER_RW);
    const pde = s.entryAt(0x400000, 2);
    pde.write((pde.read() & 0xfffn) | 0x40000000n); // PT at 1 GiB: beyond the 16 MiB of RAM
    expect(s.mmu.translate(s.ctx(), 0x400000, Access.Read)).toEqual({
      kind: "machine-check",
      vector: 18,
      tableAddress: 0x40000000,
      level: 1,
    });
  });

  it("spells out error codes", () => {
    expect(describePageFaultErrorCode(7)).toBe("P=1 (protection) W/R=1 (write) U/S=1 (user)");
    expect(describePageFaultErrorCode(PF_RSVD | PF_I | PF_PK)).toContain("RSVD=1");
  });

  // ── properties ──────────────────────────────────────────────────────────────────────────────

  const pageArb = fc.record({
    slot: fc.integer({ min: 0, max: 63 }),
    size: fc.constantFrom<PageSize>(PAGE_4K, PAGE_4K, PAGE_2M, PAGE_1G),
    writable: fc.boolean(),
    user: fc.boolean(),
    noExecute: fc.boolean(),
  });
  const vaOf = (slot: number, size: PageSize) =>
    (slot % 2 === 0 ? 1 : -1) * (Math.floor(slot / 2) + 1) * 4 * size;

  it("property: the walk agrees with the mapper's software translation for every permitted access", () => {
    fc.assert(
      fc.property(fc.array(pageArb, { maxLength: 12 }), fc.nat(), (pages, off) => {
        const s = setup();
        for (const p of pages) s.mapper.map(vaOf(p.slot, p.size), (p.slot % 16) * p.size, p.size, p);
        for (const m of s.mapper.mappings()) {
          const va = m.va + (off % m.size);
          const r = s.mmu.translate(s.ctx({ cpl: 0, wp: false }), va, Access.Read);
          expect(r).toMatchObject({ kind: "ok", pa: m.pa + (off % m.size), pageSize: m.size });
        }
      }),
      { numRuns: 80 },
    );
  });

  it("property: after unmap every access to the page is a not-present #PF", () => {
    fc.assert(
      fc.property(pageArb, fc.nat(), fc.constantFrom<AccessKind>(0, 1, 2), (p, off, acc) => {
        const s = setup();
        const va = vaOf(p.slot, p.size);
        s.mapper.map(va, 0, p.size, p);
        s.mmu.translate(s.ctx(), va, acc);
        s.mapper.unmap(va, p.size);
        const r = s.mmu.translate(s.ctx(user), va + (off % p.size), acc);
        expect(r).toMatchObject({ kind: "page-fault", reason: "not-present" });
        expect(pfCode(r) & PF_P).toBe(0);
      }),
      { numRuns: 80 },
    );
  });

  it("a root table whose memory segment was dropped and created again is read from the new one", () => {
    // The compact walker keeps the root table's segment between walks (re-fetched when the
    // memory's layoutVersion moves); PhysicalMemory drops a segment when its last backed frame is
    // discarded and creates a fresh one on the next use. The same context object (same CR3) must
    // then see the tables built in the new segment, on the compact path as on the reference one.
    const memory = new PhysicalMemory({ size: 16 * 2 ** 20 });
    const first = new Mapper({ memory, frames: new StackFrameSource(1, 2048) });
    first.map(0x400000, 0x10000, PAGE_4K, USER_RW);
    const mmu = new Mmu({ memory });
    const c = makeContext({ root: first.root, ...user });
    mmu.translate(c, 0x400008, Access.Read); // the first walk of a context is the reference's
    expect(mmu.translate(c, 0x400008, Access.Read)).toMatchObject({ kind: "ok", pa: 0x10008 });
    for (let pfn = 0; pfn < memory.frameCount; pfn++) memory.discardFrame(pfn);
    const second = new Mapper({ memory, frames: new StackFrameSource(1, 2048) });
    expect(second.root).toBe(first.root);
    second.map(0x400000, 0x20000, PAGE_4K, USER_RW);
    expect(mmu.translate(c, 0x400008, Access.Read)).toMatchObject({ kind: "ok", pa: 0x20008 });
    expect(mmu.translate(c, 0x400008, Access.Read)).toMatchObject({ kind: "ok", pa: 0x20008 });
  });

  it("every reserved bit the compact walker tests by position faults exactly as the reference does", () => {
    // One case per place the compact walker tests reserved bits itself (SDM 4.5 tables): PS in a
    // PML4E; bits 29:13 of a 1 GiB PDPTE; bits 20:13 of a 2 MiB PDE; address bits above
    // MAXPHYADDR at a non-leaf level and in a leaf; XD without EFER.NXE. The reference walker
    // (a PKE context, PKRU = 0) gives the expected fault; the compact one must give the same. The
    // MMU picks its walker when a context object is first seen (that first walk is always the
    // reference), so each context translates twice and the second answer is the compact walker's.
    const cases: [PageSize, number, bigint, boolean][] = [
      [PAGE_4K, 4, 1n << 7n, true],
      [PAGE_1G, 3, 1n << 13n, true],
      [PAGE_1G, 3, 1n << 29n, true],
      [PAGE_2M, 2, 1n << 13n, true],
      [PAGE_2M, 2, 1n << 20n, true],
      [PAGE_4K, 3, 1n << 51n, true],
      [PAGE_1G, 3, 1n << 51n, true],
      [PAGE_2M, 2, 1n << 51n, true],
      [PAGE_4K, 1, 1n << 51n, true],
      [PAGE_2M, 2, 1n << 63n, false],
      [PAGE_4K, 4, 1n << 63n, false],
    ];
    for (const [size, level, bit, nxe] of cases) {
      const results = [false, true].flatMap((pke) => {
        const s = setup();
        s.mapper.map(size, 0, size, USER_RW);
        s.entryAt(size, level).or(bit);
        const c = s.ctx({ ...user, nxe, pke });
        return [s.mmu.translate(c, size + 8, Access.Read), s.mmu.translate(c, size + 8, Access.Read)];
      });
      expect(results[0]).toMatchObject({ kind: "page-fault", errorCode: PF_P | PF_U | PF_RSVD, level });
      for (const r of results) expect(r).toEqual(results[0]);
    }
  });

  it("property: the compact walker agrees with the reference walker, results and A/D bits alike", () => {
    // walkHalves takes its compact path for a 4-level context without PKE; with CR4.PKE and
    // PKRU = 0 (no key forbids anything) every walk goes through walkFull, the reference. Twin
    // memories replay the same accesses, including reserved bits, not-present entries and
    // non-canonical addresses, and must end with identical results, fault codes and tables.
    // none; PS in a PML4E (PAT in a PTE); bit 13 (reserved in a 2 MiB or 1 GiB leaf); bit 20 (2 MiB);
    // bit 51 (above MAXPHYADDR); XD (reserved without EFER.NXE, which each case draws)
    const RSVD = [0n, 1n << 7n, 1n << 13n, 1n << 20n, 1n << 51n, 1n << 63n];
    fc.assert(
      fc.property(
        fc.array(pageArb, { minLength: 1, maxLength: 8 }),
        fc.array(
          fc.tuple(fc.nat(), fc.nat(), fc.constantFrom<AccessKind>(0, 1, 2), fc.constantFrom<0 | 3>(0, 3)),
          { maxLength: 30 },
        ),
        fc.nat({ max: RSVD.length - 1 }),
        fc.nat({ max: 3 }),
        fc.boolean(),
        (pages, accesses, rsvd, rsvdLevel, nxe) => {
          const twins = [setup(), setup()];
          for (const s of twins) {
            for (const p of pages) s.mapper.map(vaOf(p.slot, p.size), (p.slot % 16) * p.size, p.size, p);
          }
          const maps = [...twins[0]!.mapper.mappings()];
          const tables = twins.map((s) => s.mapper.tableFrames()); // before an address bit is spoiled
          const victim = maps[0]!;
          const level = [4, 3, 2, 1][rsvdLevel]!;
          for (const s of twins) {
            if (s.mapper.walkPath(victim.va).some((e) => e.level === level)) {
              s.entryAt(victim.va, level).or(RSVD[rsvd]!);
            }
          }
          // One context object per twin and CPL, reused: the MMU keys its per-context tables (and
          // the choice of walker) on the object.
          const contexts = twins.map((s, i) => [
            s.ctx({ pke: i === 1, nxe }),
            s.ctx({ cpl: 3, pke: i === 1, nxe }),
          ]);
          for (const [pick, off, acc, cpl] of accesses) {
            // Every fourth access is to an address that is unmapped or non-canonical.
            const m = maps[pick % maps.length]!;
            const va = pick % 4 === 3 ? (pick % 8 === 3 ? 2 ** 47 + off : off * 4096) : m.va + (off % m.size);
            const [a, b] = twins.map((s, i) => s.mmu.translate(contexts[i]![cpl === 3 ? 1 : 0]!, va, acc));
            expect(b).toEqual(a);
          }
          const [x, y] = twins.map((s, i) => tables[i]!.map((pfn) => [...s.memory.frameWords(pfn)]));
          expect(y).toEqual(x);
        },
      ),
      { numRuns: 80 },
    );
  });

  it("property: the walker never clears an A or D bit, and changes nothing but A and D", () => {
    fc.assert(
      fc.property(
        fc.array(pageArb, { minLength: 1, maxLength: 8 }),
        fc.array(fc.tuple(fc.nat(), fc.nat(), fc.constantFrom<AccessKind>(0, 1, 2), fc.constantFrom(0, 3)), {
          maxLength: 30,
          size: "max",
        }),
        (pages, accesses) => {
          const s = setup();
          for (const p of pages) s.mapper.map(vaOf(p.slot, p.size), 0, p.size, p);
          const maps = [...s.mapper.mappings()];
          const tables = s.mapper.tableFrames();
          const snap = () => tables.map((pfn) => s.memory.frameWords(pfn).slice());
          for (const [pick, off, acc, cpl] of accesses) {
            const m = maps[pick % maps.length]!;
            const before = snap();
            s.mmu.translate(s.ctx({ cpl: cpl as 0 | 3 }), m.va + (off % m.size), acc);
            const after = snap();
            before.forEach((words, t) => {
              const now = after[t]!;
              for (let i = 0; i < words.length; i++) {
                const w = words[i]!;
                const n = now[i]!;
                // High halves never change; in low halves nothing is cleared and only A (bit 5)
                // and D (bit 6) may appear.
                const bad = i % 2 === 1 ? n !== w : (n & w) !== w || ((n ^ w) & ~0x60) !== 0;
                if (bad) throw new Error(`table ${t} word ${i}: ${w.toString(16)} became ${n.toString(16)}`);
              }
            });
          }
        },
      ),
      { numRuns: 60 },
    );
  });
});

describe("the access-rights matrix (SDM 4.6.1, 4.6.2, 4.7), exhaustively", () => {
  /**
   * An oracle written from the SDM's prose, rule by rule, independent of `rights.ts`: the #PF error
   * code a translation of a present, well-formed leaf must give (0 = allowed), or "rsvd".
   */
  function oracle(
    c: TranslationContext,
    access: AccessKind,
    rw: boolean,
    us: boolean,
    xd: boolean,
    key: number,
  ): number | "rsvd" {
    if (xd && !c.nxe) return "rsvd"; // 4.5: bit 63 is reserved without EFER.NXE
    const userMode = c.cpl === 3;
    let denied = false;
    if (userMode) {
      // "user-mode accesses": only to user-mode addresses; writes need R/W; fetches need XD=0.
      if (!us) denied = true;
      else if (access === Access.Write && !rw) denied = true;
      else if (access === Access.Execute && xd) denied = true;
    } else if (access === Access.Execute) {
      // supervisor fetches: XD forbids (with NXE); SMEP forbids user-mode addresses.
      if (xd || (c.smep && us)) denied = true;
    } else {
      // supervisor data: SMAP forbids user-mode addresses unless AC; CR0.WP makes R/W count.
      if (us && c.smap && !c.ac) denied = true;
      if (access === Access.Write && !rw && c.wp) denied = true;
    }
    // 4.6.2: keys govern data accesses to user-mode addresses; WD stops user writes, and
    // supervisor writes only with CR0.WP=1.
    let pk = false;
    if (c.pke && us && access !== Access.Execute) {
      const ad = (c.pkru >>> (2 * key)) & 1;
      const wd = (c.pkru >>> (2 * key + 1)) & 1;
      if (ad === 1 || (wd === 1 && access === Access.Write && (userMode || c.wp))) pk = true;
    }
    if (!denied && !pk) return 0;
    return (
      PF_P |
      (access === Access.Write ? PF_W : 0) |
      (userMode ? PF_U : 0) |
      (access === Access.Execute && (c.smep || c.nxe) ? PF_I : 0) |
      (pk ? PF_PK : 0)
    );
  }

  it("every combination of CPL, access, CR0.WP, SMEP, SMAP, AC, NXE, PKE, PKRU and leaf R/W, U/S, XD", () => {
    // Eight 4 KiB pages, one per (R/W, U/S, XD), all with protection key 5, D already set (so that
    // a TLB hit for a write needs no second walk), under one tree; a walker and a TLB'd MMU.
    const s = setup();
    const tlbMmu = new Mmu({ memory: s.memory, tlb: new Tlb({ sets: 4, ways: 4 }) });
    const KEY = 5;
    const pages: { va: number; rw: boolean; us: boolean; xd: boolean }[] = [];
    for (let f = 0; f < 8; f++) {
      const page = { va: 0x400000 + f * 0x1000, rw: (f & 1) !== 0, us: (f & 2) !== 0, xd: (f & 4) !== 0 };
      s.mapper.map(page.va, 0x10000 + f * 0x1000, PAGE_4K, {
        writable: page.rw,
        user: page.us,
        noExecute: page.xd,
        protectionKey: KEY,
      });
      s.mapper.protect(page.va, PAGE_4K, {
        writable: page.rw,
        user: page.us,
        noExecute: page.xd,
        protectionKey: KEY,
        dirty: true,
      });
      pages.push(page);
    }
    let cases = 0;
    for (let bits = 0; bits < 256; bits++) {
      const b = (i: number) => (bits & (1 << i)) !== 0;
      for (const cpl of [0, 3] as const) {
        const c = s.ctx({
          cpl,
          wp: b(0),
          smep: b(1),
          smap: b(2),
          ac: b(3),
          nxe: b(4),
          pke: b(5),
          pkru: ((b(6) ? 1 : 0) | (b(7) ? 2 : 0)) << (2 * KEY), // AD, WD of key 5
        });
        for (const p of pages) {
          for (const access of [Access.Read, Access.Write, Access.Execute] as AccessKind[]) {
            const want = oracle(c, access, p.rw, p.us, p.xd, KEY);
            const where = `cpl=${cpl} bits=${bits.toString(2)} page rw=${p.rw} us=${p.us} xd=${p.xd} access=${access}`;
            // The walk, twice (reference walker, then compact), then the TLB path twice (a fill,
            // then a hit whose cached rights are checked against this context).
            const results = [
              s.mmu.walk(c, p.va, access),
              s.mmu.walk(c, p.va, access),
              tlbMmu.translate(c, p.va, access),
              tlbMmu.translate(c, p.va, access),
            ];
            for (const r of results) {
              if (want === "rsvd") expect(r, where).toMatchObject({ reason: "reserved-bit", level: 1 });
              else if (want === 0) expect(r, where).toMatchObject({ kind: "ok" });
              else expect(r, where).toMatchObject({ kind: "page-fault", errorCode: want });
            }
            cases++;
          }
        }
      }
    }
    expect(cases).toBe(256 * 2 * 8 * 3);
  });
});
