/**
 * The MMU's compact walker (`walkTo` + `walkUpper` in src/mmu/mmu.ts) against the reference walker
 * (`walkFull`) where the compact one must step aside: tables outside the root table's 256 MiB
 * segment or above 4 GiB, a root above 4 GiB, an upper entry whose A bit is still clear, a
 * protection fault. The compact path reads tables as (frame & 0xffff) · 1024 in the root's
 * segment, so a table elsewhere must send the walk to the reference walker, never to the wrong
 * memory.
 *
 * The MMU picks its walker per context object: a 4-level context without CR4.PKE takes the
 * compact path from its second walk on (the first prepares the context through walkFull); a
 * context with CR4.PKE (PKRU = 0, which forbids nothing) always walks with walkFull. Twin
 * machines run the same accesses, one per walker, and must agree on every result and every A/D bit.
 */
import { describe, expect, it } from "vitest";
import {
  Access,
  type AccessKind,
  type FrameSource,
  Mapper,
  Mmu,
  makeContext,
  PAGE_4K,
  PhysicalMemory,
  type TranslationContext,
} from "../src/index.js";

/** Hands out table frames from a list, in order (the test chooses where every table lives). */
class ListFrames implements FrameSource {
  constructor(private readonly list: number[]) {}
  allocFrame(): number | null {
    return this.list.shift() ?? null;
  }
  freeFrame(): void {}
}

const SEG = 65536; // frames per 256 MiB segment
const GIB4 = 1048576; // the first frame at 4 GiB
const VA = 0x7f12_3456_7000;

/** A machine whose page tables sit in `tableFrames` (the first one is the root). */
function machine(tableFrames: number[]) {
  const memory = new PhysicalMemory({ size: 4 * 2 ** 30 + 64 * 2 ** 20 });
  const mapper = new Mapper({ memory, frames: new ListFrames([...tableFrames]) });
  const mmu = new Mmu({ memory });
  return { memory, mapper, mmu };
}

/** Both walkers over twin machines: `walk(va, access, cpl)` returns the two results. */
function twins(tableFrames: number[], setup: (m: ReturnType<typeof machine>) => void) {
  const ms = [machine(tableFrames), machine(tableFrames)];
  for (const m of ms) setup(m);
  const ctxs: TranslationContext[][] = ms.map((m, i) =>
    [0, 3].map((cpl) => makeContext({ root: m.mapper.root, cpl: cpl as 0 | 3, nxe: true, pke: i === 1 })),
  );
  const walk = (va: number, access: AccessKind, cpl: 0 | 3 = 3) =>
    ms.map((m, i) => m.mmu.translate(ctxs[i]![cpl === 3 ? 1 : 0]!, va, access));
  const tables = () => ms.map((m) => tableFrames.map((pfn) => [...m.memory.frameWords(pfn)]));
  return { ms, walk, tables };
}

describe("Mmu: where the compact walker steps aside", () => {
  it("walks tables spread over segments 0, 1 and above 4 GiB exactly as the reference does", () => {
    // Root in segment 0, PDPT in segment 1, PD above 4 GiB, PT back in segment 0: each hop the
    // compact path cannot follow goes to walkFull; results and A/D bits must match the reference.
    const frames = [5, SEG + 7, GIB4 + 9, 11];
    const t = twins(frames, (m) => {
      m.mapper.map(VA, 0x12_3000, PAGE_4K, { user: true, writable: true });
      m.mapper.map(VA + 4096, 0x45_6000, PAGE_4K, { user: true });
    });
    for (let round = 0; round < 3; round++) {
      for (const [off, acc] of [
        [0x10, Access.Read],
        [0x20, Access.Write],
        [4096 + 8, Access.Write], // read-only page: a protection fault
        [4096 + 8, Access.Read],
      ] as const) {
        const [a, b] = t.walk(VA + off, acc);
        expect(a).toEqual(b);
      }
    }
    expect(t.walk(VA + 0x10, Access.Read)[0]).toMatchObject({ kind: "ok", pa: 0x12_3010 });
    const [x, y] = t.tables();
    expect(x).toEqual(y);
  });

  it("keeps off the compact path when the root table is above 4 GiB (no segment aliasing)", () => {
    // The root sits at frame 2^20 + 5 (segment 16); its tables at frames 10, 11, 12 (segment 0).
    // Frames 2^20 + 10, 11, 12 hold a decoy: a copy of the real tables whose leaf maps another
    // page. A compact path that took the root's segment for the tables' (both are 0 modulo 16 in
    // bits 31:28) would read the decoy and translate to the wrong frame.
    const { memory, mapper, mmu } = machine([GIB4 + 5, 10, 11, 12]);
    mapper.map(VA, 0x12_3000, PAGE_4K, { user: true, writable: true });
    const ctx = makeContext({ root: mapper.root, cpl: 3, nxe: true });
    expect(mmu.translate(ctx, VA + 8, Access.Read)).toMatchObject({ kind: "ok", pa: 0x12_3008 });
    for (const pfn of [10, 11, 12]) memory.copyFrame(GIB4 + pfn, pfn); // A bits already set
    const pte = mapper.walkPath(VA).find((e) => e.level === 1)!;
    const decoyPte = pte.entryAddress + GIB4 * 4096;
    memory.write64(decoyPte, (memory.read64(decoyPte) & ~0xf_ffff_f000n) | 0x99_9000n);
    for (let i = 0; i < 3; i++) {
      expect(mmu.translate(ctx, VA + 8, Access.Read)).toMatchObject({ kind: "ok", pa: 0x12_3008 });
    }
  });

  it("never reads a table in another segment from the root's segment", () => {
    // Root at frame 5 and PD, PT at 8, 9 (segment 0); the PDPT at 2^16 + 7 (segment 1). Frame 7
    // in segment 0 holds a decoy PDPT whose entry leads, through copies of the PD and PT at 20
    // and 21, to another page. A compact path that indexed the root's segment with the PDPT's
    // frame number modulo 2^16 would read the decoy.
    const { memory, mapper, mmu } = machine([5, SEG + 7, 8, 9]);
    mapper.map(VA, 0x12_3000, PAGE_4K, { user: true, writable: true });
    const ctx = makeContext({ root: mapper.root, cpl: 3, nxe: true });
    expect(mmu.translate(ctx, VA + 8, Access.Read)).toMatchObject({ kind: "ok", pa: 0x12_3008 });
    const path = mapper.walkPath(VA);
    const at = (level: number) => path.find((e) => e.level === level)!.entryAddress;
    memory.copyFrame(7, SEG + 7);
    memory.copyFrame(20, 8);
    memory.copyFrame(21, 9);
    const relink = (pa: number, pfn: number) =>
      memory.write64(pa, (memory.read64(pa) & ~0xf_ffff_f000n) | (BigInt(pfn) << 12n));
    relink(at(3) - SEG * 4096, 20); // the decoy PDPTE (frame 7) → PD 20
    relink(at(2) - 8 * 4096 + 20 * 4096, 21); // the decoy PDE (frame 20) → PT 21
    relink(at(1) - 9 * 4096 + 21 * 4096, 0x999); // the decoy PTE (frame 21) → page 0x999
    for (let i = 0; i < 3; i++) {
      expect(mmu.translate(ctx, VA + 8, Access.Read)).toMatchObject({ kind: "ok", pa: 0x12_3008 });
    }
  });

  it("leaves an upper entry with A clear to the reference walker, which sets it", () => {
    const t = twins([1, 2, 3, 4], (m) => {
      m.mapper.map(VA, 0x12_3000, PAGE_4K, { user: true, writable: true });
    });
    t.walk(VA, Access.Read); // both contexts prepared; A set on every level
    for (const m of t.ms) {
      // Clear A (bit 5) in the PDPTE again, as an OS does when it samples accessed bits.
      const e = m.mapper.walkPath(VA).find((p) => p.level === 3)!;
      m.memory.write64(e.entryAddress, m.memory.read64(e.entryAddress) & ~0x20n);
    }
    const [a, b] = t.walk(VA + 4, Access.Write);
    expect(a).toEqual(b);
    const [x, y] = t.tables();
    expect(x).toEqual(y);
    const e = t.ms[0]!.mapper.walkPath(VA).find((p) => p.level === 3)!;
    expect(t.ms[0]!.memory.read64(e.entryAddress) & 0x20n).toBe(0x20n);
  });

  it("counts a walk that ends in a protection fault once", () => {
    const { mapper, mmu } = machine([1, 2, 3, 4]);
    mapper.map(VA, 0x12_3000, PAGE_4K, { user: true }); // read-only
    const ctx = makeContext({ root: mapper.root, cpl: 3, nxe: true });
    mmu.translate(ctx, VA, Access.Read); // prepares the context (walkFull)
    const before = mmu.walks;
    expect(mmu.translate(ctx, VA, Access.Write)).toMatchObject({ kind: "page-fault" });
    expect(mmu.translate(ctx, VA, Access.Read)).toMatchObject({ kind: "ok" });
    expect(mmu.walks - before).toBe(2);
  });
});
