/**
 * Every bit of every kind of paging-structure entry, against the SDM's tables (Intel SDM 4.5,
 * Tables 4-14 to 4-20; 4.6 for the rights bits, 4.7 for the error codes).
 *
 * For each entry kind (PML5E, PML4E, PDPTE and PDE referencing a table, 1 GiB PDPTE, 2 MiB PDE,
 * PTE) and each bit 0..63, one bit of a working translation is flipped in memory and the walk is
 * compared with what the SDM's table for that kind says the bit is:
 *
 * | class     | bits (MAXPHYADDR = 46)                                   | expected outcome of a kernel read |
 * | --------- | -------------------------------------------------------- | --------------------------------- |
 * | P         | 0                                                        | #PF P=0 at that level             |
 * | rights    | 1 (R/W), 2 (U/S), 63 (XD with EFER.NXE)                  | read unchanged (see the extra checks) |
 * | neutral   | 3 PWT, 4 PCD, 5 A, 6 D/ign, 8 G/ign, 11:9, 58:52, 62:59  | unchanged                         |
 * | PAT       | 7 in a PTE, 12 in a large leaf                           | unchanged (memory type only)      |
 * | PS        | 7 in a PDPTE/PDE                                         | the entry changes meaning         |
 * | reserved  | 7 in a PML5E/PML4E; 29:13 (1 GiB); 20:13 (2 MiB); 51:46  | #PF P=1 RSVD=1 at that level      |
 * | address   | 12..45 (21..45 for 2 MiB, 30..45 for 1 GiB)              | leaf: pa changes by that bit; table: another table is read |
 *
 * The expectations are written from the tables, not from `entry.ts`'s masks, and each case walks
 * twice with one context object so that both walkers answer (the first walk of a context is the
 * reference walker's, the second the compact one's).
 */
import { describe, expect, it } from "vitest";
import {
  Access,
  Mapper,
  Mmu,
  makeContext,
  PAGE_1G,
  PAGE_2M,
  PAGE_4K,
  type PagingLevel,
  PF_I,
  PF_P,
  PF_PK,
  PF_RSVD,
  PF_U,
  PF_W,
  PhysicalMemory,
  StackFrameSource,
  type TranslateResult,
  type TranslationContext,
} from "../src/index.js";

const MAXPHYADDR = 46;
/** A 4 KiB page, a 2 MiB page and a 1 GiB page, each with a byte offset that shows every offset bit. */
const VA_4K = 0x40201000;
const VA_2M = 0x80200000;
const VA_1G = 0xc0000000;
const FRAME_4K = 0x5000;
const FRAME_2M = 0x800000;
const FRAME_1G = 0; // frame 0 is RAM and never a table here (tables are frames 16..79)

type Kind = "PML5E" | "PML4E" | "PDPTE" | "PDE" | "PTE" | "PDE-2M" | "PDPTE-1G";
interface KindInfo {
  readonly level: PagingLevel;
  readonly va: number;
  readonly offset: number;
  readonly leafSize: number | null;
  readonly levels: 4 | 5;
}
const KINDS: Record<Kind, KindInfo> = {
  PML5E: { level: 5, va: VA_4K, offset: 0x123, leafSize: null, levels: 5 },
  PML4E: { level: 4, va: VA_4K, offset: 0x123, leafSize: null, levels: 4 },
  PDPTE: { level: 3, va: VA_4K, offset: 0x123, leafSize: null, levels: 4 },
  PDE: { level: 2, va: VA_4K, offset: 0x123, leafSize: null, levels: 4 },
  PTE: { level: 1, va: VA_4K, offset: 0x123, leafSize: PAGE_4K, levels: 4 },
  "PDE-2M": { level: 2, va: VA_2M, offset: 0x12345, leafSize: PAGE_2M, levels: 4 },
  "PDPTE-1G": { level: 3, va: VA_1G, offset: 0x1234567, leafSize: PAGE_1G, levels: 4 },
};

function machine(levels: 4 | 5) {
  const memory = new PhysicalMemory({ size: 32 * 2 ** 20 });
  const mapper = new Mapper({
    memory,
    frames: new StackFrameSource(16, 64),
    levels,
    maxPhysAddr: MAXPHYADDR,
  });
  const rw = { writable: true, user: true };
  mapper.map(VA_4K, FRAME_4K, PAGE_4K, rw);
  mapper.map(VA_2M, FRAME_2M, PAGE_2M, rw);
  mapper.map(VA_1G, FRAME_1G, PAGE_1G, rw);
  const mmu = new Mmu({ memory });
  const ctx = (o: Partial<TranslationContext> = {}) =>
    makeContext({ root: mapper.root, la57: levels === 5, maxPhysAddr: MAXPHYADDR, wp: false, ...o });
  return { memory, mapper, mmu, ctx };
}

/** Flip `bit` of the entry of `kind` and return the machine and the entry's original value. */
function flipped(kind: Kind, bit: number) {
  const k = KINDS[kind];
  const m = machine(k.levels);
  const e = m.mapper.walkPath(k.va).find((p) => p.level === k.level)!;
  const before = m.memory.read64(e.entryAddress);
  m.memory.write64(e.entryAddress, before ^ (1n << BigInt(bit)));
  return { ...m, k, before };
}

/** Walk twice with one context (reference walker, then compact walker); both must agree. */
function walk2(m: ReturnType<typeof machine>, c: TranslationContext, va: number, access: 0 | 1 | 2) {
  const a = m.mmu.walk(c, va, access);
  const b = m.mmu.walk(c, va, access);
  expect(b).toEqual(a);
  return a;
}

const rsvd = (level: PagingLevel) => ({
  kind: "page-fault",
  reason: "reserved-bit",
  errorCode: PF_P | PF_RSVD,
  level,
});

/** What the SDM tables say a kernel read through the flipped entry gives (see the file banner). */
function expected(kind: Kind, bit: number, before: bigint): "unchanged" | "changed" | object {
  const k = KINDS[kind];
  const leaf = k.leafSize !== null;
  const paOk = (pa: bigint) => ({ kind: "ok", pa: Number(pa) });
  const va = BigInt(k.va + k.offset);
  const pa =
    (before & 0x000f_ffff_ffff_f000n & ~BigInt((k.leafSize ?? PAGE_4K) - 1)) +
    (va & BigInt((k.leafSize ?? PAGE_4K) - 1));
  if (bit === 0) return { kind: "page-fault", reason: "not-present", errorCode: 0, level: k.level };
  if (bit >= MAXPHYADDR && bit <= 51) return rsvd(k.level);
  if ([1, 2, 3, 4, 5, 6, 8, 9, 10, 11, 63].includes(bit) || (bit >= 52 && bit <= 62)) return "unchanged";
  if (bit === 7) {
    if (k.level >= 4) return rsvd(k.level); // PS in a PML5E/PML4E (Tables 4-14, 4-15)
    if (kind === "PTE") return "unchanged"; // PAT (Table 4-20)
    if (leaf) {
      // PS cleared: the large frame is read as a table (here a zero-filled RAM frame).
      return { kind: "page-fault", reason: "not-present", level: k.level - 1 };
    }
    // PS set on a table reference: the table's address is read as a large frame, whose low
    // address bits fall on the reserved bits 20:13 (2 MiB) or 29:13 (1 GiB) unless they are 0.
    const size = BigInt(k.level === 2 ? PAGE_2M : PAGE_1G);
    const table = before & 0x000f_ffff_ffff_f000n;
    if ((table & (size - 1n) & ~0x1fffn) !== 0n) return rsvd(k.level);
    return paOk((table & ~(size - 1n)) + (va & (size - 1n)));
  }
  // 12..45: address bits, except PAT (12) and the reserved alignment bits of large leaves.
  if (k.leafSize === PAGE_2M || k.leafSize === PAGE_1G) {
    if (bit === 12) return "unchanged"; // PAT (Tables 4-16, 4-18)
    const alignTop = k.leafSize === PAGE_2M ? 20 : 29;
    if (bit <= alignTop) return rsvd(k.level);
  }
  if (leaf) return paOk(pa ^ (1n << BigInt(bit)));
  return "changed";
}

describe("every bit of every entry kind (SDM 4.5, Tables 4-14..4-20)", () => {
  for (const kind of Object.keys(KINDS) as Kind[]) {
    it(`${kind}: bits 0..63 behave as the SDM's table says`, () => {
      const k = KINDS[kind];
      const va = k.va + k.offset;
      const ref = machine(k.levels);
      const original = walk2(ref, ref.ctx(), va, Access.Read);
      expect(original.kind).toBe("ok");
      for (let bit = 0; bit < 64; bit++) {
        const m = flipped(kind, bit);
        const got = walk2(m, m.ctx(), va, Access.Read);
        const want = expected(kind, bit, m.before);
        const where = `${kind} bit ${bit}`;
        if (want === "unchanged") expect(got, where).toEqual(original);
        else if (want === "changed") expect(got, where).not.toEqual(original);
        else expect(got, where).toMatchObject(want);
      }
    });
  }

  it("the rights bits: R/W=0 at any level stops a kernel write under CR0.WP, U/S=0 a user read, XD a fetch", () => {
    for (const kind of Object.keys(KINDS) as Kind[]) {
      const va = KINDS[kind].va + KINDS[kind].offset;
      const level = KINDS[kind].level;
      const w = flipped(kind, 1);
      expect(walk2(w, w.ctx({ wp: true }), va, Access.Write), `${kind} R/W`).toMatchObject({
        errorCode: PF_P | PF_W,
        level: leafLevel(kind),
      });
      const u = flipped(kind, 2);
      expect(walk2(u, u.ctx({ cpl: 3 }), va, Access.Read), `${kind} U/S`).toMatchObject({
        errorCode: PF_P | PF_U,
      });
      const x = flipped(kind, 63);
      expect(walk2(x, x.ctx(), va, Access.Execute), `${kind} XD`).toMatchObject({ errorCode: PF_P | PF_I });
      // Without EFER.NXE bit 63 is reserved in every present entry (SDM 4.5, tables' note).
      expect(walk2(x, x.ctx({ nxe: false }), va, Access.Read), `${kind} XD, NXE=0`).toMatchObject(
        rsvd(level),
      );
    }
  });

  it("bits 62:59 are the protection key of a leaf (CR4.PKE) and ignored in an entry that references a table", () => {
    // PKRU: AD set for keys 1..15, key 0 free. Key 5 written into bits 62:59 of each entry in turn.
    const pkru = 0x5555_5554;
    for (const kind of Object.keys(KINDS) as Kind[]) {
      const va = KINDS[kind].va + KINDS[kind].offset;
      const m = flipped(kind, 59);
      const e = m.mapper.walkPath(KINDS[kind].va).find((p) => p.level === KINDS[kind].level)!;
      m.memory.write64(e.entryAddress, m.before | (5n << 59n));
      const got = walk2(m, m.ctx({ cpl: 3, pke: true, pkru }), va, Access.Read);
      if (KINDS[kind].leafSize === null) expect(got, kind).toMatchObject({ kind: "ok" });
      else expect(got, kind).toMatchObject({ errorCode: PF_P | PF_U | PF_PK, reason: "protection-key" });
    }
  });
});

/** The level a protection fault is reported at: the leaf's (the walk reaches it before checking rights). */
function leafLevel(kind: Kind): PagingLevel {
  return kind === "PDE-2M" ? 2 : kind === "PDPTE-1G" ? 3 : 1;
}

describe("MAXPHYADDR edges (SDM 4.1.4, 4.5)", () => {
  for (const m of [36, 39, 46, 52]) {
    it(`MAXPHYADDR ${m}: address bit ${m - 1} is an address bit, bit ${m} reserved, at every level`, () => {
      for (const level of [4, 3, 2, 1] as const) {
        const memory = new PhysicalMemory({ size: 32 * 2 ** 20 });
        const mapper = new Mapper({ memory, frames: new StackFrameSource(16, 64), maxPhysAddr: m });
        mapper.map(VA_4K, FRAME_4K, PAGE_4K, { writable: true });
        const e = mapper.walkPath(VA_4K).find((p) => p.level === level)!;
        const before = memory.read64(e.entryAddress);
        const mmu = new Mmu({ memory });
        const c = makeContext({ root: mapper.root, maxPhysAddr: m });
        const results = (bit: number): TranslateResult[] => {
          memory.write64(e.entryAddress, before | (1n << BigInt(bit)));
          return [mmu.walk(c, VA_4K, Access.Read), mmu.walk(c, VA_4K, Access.Read)];
        };
        if (m < 52) {
          for (const r of results(m)) expect(r, `level ${level}`).toMatchObject(rsvd(level));
        }
        for (const r of results(m - 1)) {
          // A leaf maps a frame at or above 2^(m-1); a table reference points outside RAM (#MC).
          if (level === 1) expect(r).toMatchObject({ kind: "ok", pa: 2 ** (m - 1) + FRAME_4K });
          else expect(r).toMatchObject({ kind: "machine-check", level: level - 1 });
        }
      }
    });
  }
});
