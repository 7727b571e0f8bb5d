// Model-based test of the CPU's register writes: random sequences of valid and invalid writes to
// CR0, CR3, CR4 and IA32_EFER, interleaved with memory accesses that fill the TLB, checked against
// a naive reading of the SDM rules — which writes are refused, what is stored, and which TLB
// entries survive (SDM 2.5, 4.5, 4.10.1, 4.10.4.1).
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { Cpu } from "../src/cpu/cpu.js";
import { CR0, CR4, EFER, IA32_EFER } from "../src/cpu/registers.js";
import { HwError } from "../src/errors.js";
import { PhysicalMemory } from "../src/memory/physical-memory.js";
import { Access } from "../src/mmu/fault.js";
import { Mapper } from "../src/paging/mapper.js";
import { PAGE_4K } from "../src/paging/virtual-address.js";

const MAXPHY = 46;
const CR0_KNOWN = [
  CR0.PE,
  CR0.MP,
  CR0.EM,
  CR0.TS,
  CR0.ET,
  CR0.NE,
  CR0.WP,
  CR0.AM,
  CR0.NW,
  CR0.CD,
  CR0.PG,
].map((b) => b >>> 0);
const CR4_KNOWN = Object.values(CR4);
const PAGES = [0x400000, 0x401000, 0x600000, 0x601000];

type Op =
  | { kind: "cr0"; toggle: number }
  | { kind: "cr4"; toggle: number }
  | { kind: "cr3"; pcid: number; low: number; noflush: boolean; high: number }
  | { kind: "efer"; value: number }
  | { kind: "touch"; page: number };

// Writes toggle one bit of the current value, as kernels do (read, modify, write); junk bit
// numbers (undefined or reserved) appear among them.
const CR0_TOGGLES = [0, 1, 5, 16, 16, 18, 29, 30, 31, 8, 20, 40];
const CR4_TOGGLES = [5, 7, 12, 17, 17, 20, 21, 22, 23, 23, 9, 15, 26, 31, 33];
const op: fc.Arbitrary<Op> = fc.oneof(
  {
    weight: 2,
    arbitrary: fc.record({ kind: fc.constant("cr0" as const), toggle: fc.constantFrom(...CR0_TOGGLES) }),
  },
  {
    weight: 3,
    arbitrary: fc.record({ kind: fc.constant("cr4" as const), toggle: fc.constantFrom(...CR4_TOGGLES) }),
  },
  {
    weight: 3,
    arbitrary: fc.record({
      kind: fc.constant("cr3" as const),
      pcid: fc.integer({ min: 0, max: 3 }),
      low: fc.constantFrom(0, 0, 0x18),
      noflush: fc.boolean(),
      high: fc.constantFrom(0, 0, 0, 47, 52),
    }),
  },
  {
    weight: 1,
    arbitrary: fc.record({
      kind: fc.constant("efer" as const),
      value: fc.constantFrom(0xd01, 0x901, 0x501, 0xd00, 0xd03, 0x1d01, 0x801),
    }),
  },
  { weight: 4, arbitrary: fc.record({ kind: fc.constant("touch" as const), page: fc.nat() }) },
);

/** The value a toggle writes: the current register with one bit flipped (as a bigint above bit 31). */
function toggled(current: number, bit: number): number | bigint {
  return bit >= 32 ? BigInt(current) | (1n << BigInt(bit)) : (current ^ (2 ** bit)) >>> 0;
}

interface Regs {
  cr0: number;
  cr3: number;
  cr4: number;
  efer: number;
}

/** The naive rules: undefined when the write must be refused, else the new registers and the TLB filter. */
function expectWrite(
  r: Regs,
  o: Exclude<Op, { kind: "touch" }>,
  root: number,
): { regs: Regs; keep: (e: { pcid: number; global: boolean }) => boolean } | undefined {
  const pcid = (r.cr4 & CR4.PCIDE) !== 0 ? r.cr3 & 0xfff : 0;
  const all = () => true;
  if (o.kind === "cr0") {
    if (o.toggle >= 32 || !CR0_KNOWN.includes(2 ** o.toggle)) return undefined; // reserved or undefined bit
    const v = (r.cr0 ^ (2 ** o.toggle)) >>> 0;
    if ((v & CR0.PG) === 0 || (v & CR0.PE) === 0) return undefined;
    if ((v & CR0.NW) !== 0 && (v & CR0.CD) === 0) return undefined;
    if ((v & CR0.WP) === 0 && (r.cr4 & CR4.CET) !== 0) return undefined;
    return { regs: { ...r, cr0: (v | CR0.ET) >>> 0 }, keep: all };
  }
  if (o.kind === "cr4") {
    if (o.toggle >= 32 || !CR4_KNOWN.includes(2 ** o.toggle)) return undefined; // bits 15, 26–31, 63:32
    const v = (r.cr4 ^ (2 ** o.toggle)) >>> 0;
    if ((v & CR4.PAE) === 0) return undefined;
    if ((v & CR4.LA57) !== (r.cr4 & CR4.LA57)) return undefined;
    if ((v & CR4.PCIDE) !== 0 && (r.cr4 & CR4.PCIDE) === 0 && (r.cr3 & 0xfff) !== 0) return undefined;
    if ((v & CR4.CET) !== 0 && (r.cr0 & CR0.WP) === 0) return undefined;
    const changed = v ^ r.cr4;
    let keep: (e: { pcid: number; global: boolean }) => boolean = all;
    if ((changed & CR4.PGE) !== 0 || ((r.cr4 & CR4.PCIDE) !== 0 && (v & CR4.PCIDE) === 0)) keep = () => false;
    else if ((r.cr4 & CR4.SMEP) === 0 && (v & CR4.SMEP) !== 0) keep = (e) => e.pcid !== pcid;
    return { regs: { ...r, cr4: v }, keep };
  }
  if (o.kind === "cr3") {
    const pcide = (r.cr4 & CR4.PCIDE) !== 0;
    if (o.noflush && !pcide) return undefined;
    if (o.high !== 0 && o.high >= MAXPHY) return undefined; // bits 62:MAXPHYADDR
    const low = pcide ? o.pcid : o.low;
    const value = root + low;
    const newPcid = pcide ? o.pcid : 0;
    const keep = o.noflush
      ? all
      : (e: { pcid: number; global: boolean }) => e.global || (pcide && e.pcid !== newPcid);
    return { regs: { ...r, cr3: value }, keep };
  }
  const allowed = EFER.SCE | EFER.LME | EFER.LMA | EFER.NXE;
  if ((o.value & ~allowed) !== 0 || (o.value & EFER.LME) === 0) return undefined;
  return { regs: { ...r, efer: (o.value & ~EFER.LMA) | (r.efer & EFER.LMA) }, keep: all };
}

function cr3Value(o: Extract<Op, { kind: "cr3" }>, r: Regs, root: number): number | bigint {
  const pcide = (r.cr4 & CR4.PCIDE) !== 0;
  let v = BigInt(root + (pcide ? o.pcid : o.low));
  if (o.high !== 0) v |= 1n << BigInt(o.high);
  if (o.noflush) v |= 1n << 63n;
  return o.noflush || o.high !== 0 ? v : Number(v);
}

describe("Cpu register writes against a naive model of the SDM rules", () => {
  it("accepts exactly the legal writes, stores what the SDM says, and flushes exactly the right TLB entries", () => {
    // Start states: PCIDs on or off, CR0.WP on or off (so the rarer rules are reached often).
    const start = fc.record({ pcide: fc.boolean(), wpOff: fc.boolean() });
    fc.assert(
      fc.property(
        start,
        fc.array(op, { minLength: 10, maxLength: 40, size: "max" }),
        ({ pcide, wpOff }, ops) => {
          const memory = new PhysicalMemory({ size: 16 * 2 ** 20 });
          let next = 0x100;
          const mapper = new Mapper({ memory, frames: { allocFrame: () => next++, freeFrame: () => {} } });
          PAGES.forEach((va, i) => {
            mapper.map(va, 0x200000 + i * 0x1000, PAGE_4K, { writable: true, global: i % 2 === 1 });
          });
          const cpu = new Cpu({ memory });
          cpu.writeCr3(mapper.root);
          if (pcide) cpu.writeCr4(cpu.cr4 | CR4.PCIDE);
          if (wpOff) cpu.writeCr0(cpu.cr0 & ~CR0.WP);
          let regs: Regs = { cr0: cpu.cr0, cr3: cpu.cr3, cr4: cpu.cr4, efer: cpu.efer };
          for (const o of ops) {
            if (o.kind === "touch") {
              expect(cpu.translate(PAGES[o.page % PAGES.length]!, Access.Read).kind).toBe("ok");
              continue;
            }
            const before = cpu.tlb.entries().map((e) => ({ va: e.va, pcid: e.pcid, global: e.global }));
            const want = expectWrite(regs, o, mapper.root);
            let threw: unknown = null;
            try {
              if (o.kind === "cr0") cpu.writeCr0(toggled(cpu.cr0, o.toggle));
              else if (o.kind === "cr4") cpu.writeCr4(toggled(cpu.cr4, o.toggle));
              else if (o.kind === "cr3") cpu.writeCr3(cr3Value(o, regs, mapper.root));
              else cpu.wrmsr(IA32_EFER, BigInt(o.value));
            } catch (e) {
              threw = e;
            }
            const after = cpu.tlb.entries().map((e) => ({ va: e.va, pcid: e.pcid, global: e.global }));
            if (want === undefined) {
              expect(threw, `${JSON.stringify(o)} should be refused`).toBeInstanceOf(HwError);
              expect(after).toEqual(before);
            } else {
              expect(threw, `${JSON.stringify(o)} should be accepted`).toBeNull();
              regs = want.regs;
              expect(after).toEqual(before.filter(want.keep));
            }
            expect({ cr0: cpu.cr0, cr3: cpu.cr3, cr4: cpu.cr4, efer: cpu.efer }).toEqual(regs);
            cpu.checkInvariants();
          }
        },
      ),
      { numRuns: 100 },
    );
  });
});
