/**
 * A model-based test of the TLB as a CPU uses it (Intel SDM 4.10), against a naive model written
 * from the SDM's rules: an unbounded list of cached translations, each tagged with the PCID it was
 * filled under, and the invalidation rules of 4.10.4.1 applied to that list.
 *
 * | model rule                                                                                  | SDM        |
 * | ------------------------------------------------------------------------------------------- | ---------- |
 * | a translation is cached only when it succeeds, with R/W, U/S ANDed, XD ORed, the leaf's D    | 4.10.2.2/3 |
 * | a lookup uses an entry of the current PCID, or a global one (leaf G = 1 under CR4.PGE)      | 4.10.2.4   |
 * | a hit checks the cached rights against the current CPL, WP, SMEP, SMAP, AC; a write to an   | 4.6, 4.8   |
 * | entry whose D is clear walks again (and refreshes it, or drops it if that walk faults)      |            |
 * | a #PF drops the page's entries of the current PCID and its global entries                   | 4.10.4.1   |
 * | INVLPG: the page's entries of the current PCID and its global entries                       | 4.10.4.1   |
 * | INVPCID 0: one PCID's non-global entries of the page; 1: one PCID's non-global; 2: all; 3: all non-global | INVPCID |
 * | MOV to CR3: PCIDE=0 all non-global; PCIDE=1 the new PCID's non-global unless bit 63         | 4.10.4.1   |
 * | MOV to CR4: PGE changed or PCIDE 1→0: all; SMEP 0→1: the current PCID's                     | 4.10.4.1   |
 *
 * The page tables are edited without any flush between steps (the student's mistake), so the
 * model must predict every stale translation the real TLB serves. The real TLB is large enough
 * never to evict in a run (checked), so the unbounded model is exact. After every step the real
 * TLB's entries must equal the model's.
 */
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import {
  Access,
  type AccessKind,
  Cpu,
  CR0,
  CR3_NOFLUSH,
  CR4,
  Mapper,
  Mmu,
  PAGE_1G,
  PAGE_2M,
  PAGE_4K,
  type PageSize,
  PF_I,
  PF_P,
  PF_U,
  PF_W,
  PhysicalMemory,
  StackFrameSource,
  type TranslateResult,
  type TranslationContext,
  vaHigh,
} from "../src/index.js";

interface Entry {
  readonly pcid: number;
  readonly piece: number; // va of the 4 KiB piece
  readonly base: number; // va of the page
  readonly size: PageSize;
  readonly frame: number; // pa of the piece
  readonly rw: boolean;
  readonly us: boolean;
  readonly nx: boolean;
  readonly dirty: boolean;
  readonly global: boolean;
}

interface Real {
  readonly memory: PhysicalMemory;
  readonly spaces: readonly Mapper[];
  readonly cpu: Cpu;
  readonly walker: Mmu; // a TLB-less MMU on the same memory: the model's "walk"
}

interface Model {
  entries: Entry[];
  space: number;
}

/** The pages the runs use: 4 KiB pages and one 2 MiB page, in two address spaces. */
const PAGES: readonly { va: number; size: PageSize }[] = [
  { va: 0x400000, size: PAGE_4K },
  { va: 0x401000, size: PAGE_4K },
  { va: 0x7f0000000000, size: PAGE_4K },
  { va: 0x600000, size: PAGE_2M },
  { va: 0x40000000, size: PAGE_1G },
];
const OFFSETS = [0, 0x10, 0x1008, 0x1ff7f8, 0x3ffff008];

/**
 * The frame of page `n` in address space `space`: 4 KiB and 2 MiB frames in RAM, a 1 GiB frame
 * beyond it (a walk never reads a leaf's frame).
 */
function frameOf(size: PageSize, n: number, space: number): number {
  if (size === PAGE_1G) return (2 + n) * PAGE_1G;
  return (1 + n) * 0x800000 + (size === PAGE_4K ? 0x1000 * (1 + space) : 0);
}

function oracle(
  c: TranslationContext,
  access: AccessKind,
  e: { rw: boolean; us: boolean; nx: boolean },
): number {
  const user = c.cpl === 3;
  const xd = e.nx && c.nxe; // XD counts only with EFER.NXE (4.6.1)
  let denied: boolean;
  if (user) denied = !e.us || (access === Access.Write && !e.rw) || (access === Access.Execute && xd);
  else if (access === Access.Execute) denied = xd || (c.smep && e.us);
  else denied = (e.us && c.smap && !c.ac) || (access === Access.Write && !e.rw && c.wp);
  if (!denied) return 0;
  return (
    PF_P |
    (access === Access.Write ? PF_W : 0) |
    (user ? PF_U : 0) |
    (access === Access.Execute && (c.smep || c.nxe) ? PF_I : 0)
  );
}

/** What the model's walk finds for `va`: the combined rights from the tables, after the walk. */
function walkModel(
  r: Real,
  va: number,
  access: AccessKind,
): { res: TranslateResult; entry?: Omit<Entry, "pcid"> } {
  const c = r.cpu.context;
  const res = r.walker.walk(c, va, access);
  if (res.kind !== "ok") return { res };
  const path = r.spaces[spaceOf(r)]!.walkPath(va);
  let rw = true;
  let us = true;
  let nx = false;
  for (const e of path) {
    rw &&= (e.lo & 2) !== 0;
    us &&= (e.lo & 4) !== 0;
    nx ||= (e.hi & 0x80000000) !== 0;
  }
  const leaf = path[path.length - 1]!;
  const piece = va - (((va % 4096) + 4096) % 4096);
  const base = va - (((va % res.pageSize) + res.pageSize) % res.pageSize);
  return {
    res,
    entry: {
      piece,
      base,
      size: res.pageSize,
      frame: res.pa - (va - piece),
      rw,
      us,
      nx,
      dirty: (leaf.lo & 0x40) !== 0,
      global: (leaf.lo & 0x100) !== 0 && c.pge,
    },
  };
}

function spaceOf(r: Real): number {
  return r.spaces.findIndex((m) => m.root === r.cpu.context.root);
}

const inPage = (e: Entry, va: number) => va >= e.base && va < e.base + e.size;

/** The model's translation, applying the rules of the banner; updates `m.entries`. */
function modelTranslate(m: Model, r: Real, va: number, access: AccessKind): TranslateResult {
  const c = r.cpu.context;
  const piece = va - (((va % 4096) + 4096) % 4096);
  const dropPage = () => {
    m.entries = m.entries.filter((e) => !(inPage(e, va) && (e.global || e.pcid === c.pcid)));
  };
  const matches = m.entries.filter((e) => e.piece === piece && (e.global || e.pcid === c.pcid));
  // Two entries can match: a non-global one of this PCID and a global one filled under another
  // PCID, when the tables disagree about G between address spaces (a kernel bug). The SDM lets the
  // processor use either; the model asks the real TLB which one it holds first (a lookup changes
  // only counters and LRU ages, and no run evicts).
  let hit = matches[0];
  if (matches.length > 1) {
    const index = r.cpu.tlb.lookup(c.pcid, vaHigh(va), va >>> 0);
    const view = r.cpu.tlb.entries().find((e) => e.set * r.cpu.tlb.ways + e.way === index)!;
    hit = matches.find((e) => e.pcid === view.pcid && e.global === view.global);
  }
  if (hit !== undefined) {
    const code = oracle(c, access, hit);
    if (code !== 0) {
      dropPage();
      return {
        kind: "page-fault",
        vector: 14,
        errorCode: code,
        cr2: va,
        reason: "protection",
        level: levelOf(hit.size),
      };
    }
    if (access === Access.Write && !hit.dirty) {
      const w = walkModel(r, va, access);
      if (w.entry === undefined) {
        m.entries = m.entries.filter((e) => e !== hit);
        dropPage();
        return w.res;
      }
      m.entries = m.entries.map((e) => (e === hit ? { ...w.entry!, pcid: hit.pcid, piece: hit.piece } : e));
      return { ...w.res, tlbHit: true } as TranslateResult;
    }
    return { kind: "ok", pa: hit.frame + (va - piece), pageSize: hit.size, tlbHit: true };
  }
  const w = walkModel(r, va, access);
  if (w.entry === undefined) {
    if (w.res.kind === "page-fault") dropPage();
    return w.res;
  }
  m.entries.push({ ...w.entry, pcid: c.pcid });
  return w.res;
}

function levelOf(size: PageSize): 1 | 2 | 3 {
  return size === PAGE_4K ? 1 : size === PAGE_2M ? 2 : 3;
}

type Cmd = fc.Command<Model, Real>;

/** The real TLB's entries, as the model writes them. */
function realEntries(r: Real): string[] {
  return r.cpu.tlb
    .entries()
    .map((e) => `${e.pcid}:${e.va}:${e.frame}:${+e.writable}${+e.user}${+e.noExecute}${+e.dirty}${+e.global}`)
    .sort();
}
function modelEntries(m: Model): string[] {
  return m.entries
    .map((e) => `${e.pcid}:${e.piece}:${e.frame}:${+e.rw}${+e.us}${+e.nx}${+e.dirty}${+e.global}`)
    .sort();
}
function compare(m: Model, r: Real, what: string): void {
  expect(realEntries(r), `${what}: TLB entries`).toEqual(modelEntries(m));
  expect(r.cpu.tlb.stats.evictions, "the unbounded model needs a TLB that never evicts").toBe(0);
  r.cpu.checkInvariants();
}

class TranslateCmd implements Cmd {
  constructor(
    readonly page: number,
    readonly off: number,
    readonly access: AccessKind,
  ) {}
  check = () => true;
  run(m: Model, r: Real): void {
    const p = PAGES[this.page % PAGES.length]!;
    const va = p.va + (OFFSETS[this.off % OFFSETS.length]! % p.size);
    const want = modelTranslate(m, r, va, this.access);
    const got = r.cpu.translate(va, this.access);
    const strip = (x: TranslateResult) =>
      x.kind === "ok"
        ? { kind: x.kind, pa: x.pa, tlbHit: x.tlbHit }
        : x.kind === "page-fault"
          ? { kind: x.kind, errorCode: x.errorCode }
          : x;
    expect(strip(got), this.toString()).toEqual(strip(want));
    compare(m, r, this.toString());
  }
  toString = () =>
    `translate(page ${this.page % PAGES.length}, off ${this.off % OFFSETS.length}, ${this.access})`;
}

/** Edit the tables without any flush: protect with new rights, unmap, or map again elsewhere. */
class EditCmd implements Cmd {
  constructor(
    readonly space: number,
    readonly page: number,
    readonly how: "protect" | "unmap" | "map",
    readonly flags: { writable: boolean; user: boolean; noExecute: boolean; global: boolean },
    readonly frame: number,
  ) {}
  check = () => true;
  run(_m: Model, r: Real): void {
    const mapper = r.spaces[this.space % r.spaces.length]!;
    const p = PAGES[this.page % PAGES.length]!;
    if (this.how === "protect") mapper.protect(p.va, p.size, this.flags);
    else if (this.how === "unmap") mapper.unmap(p.va, p.size);
    else mapper.map(p.va, frameOf(p.size, this.frame % 8, 0), p.size, this.flags);
  }
  toString = () =>
    `${this.how}(space ${this.space % 2}, page ${this.page % PAGES.length}, ${JSON.stringify(this.flags)})`;
}

class InvlpgCmd implements Cmd {
  constructor(
    readonly page: number,
    readonly off: number,
  ) {}
  check = () => true;
  run(m: Model, r: Real): void {
    const p = PAGES[this.page % PAGES.length]!;
    const va = p.va + (OFFSETS[this.off % OFFSETS.length]! % p.size);
    const pcid = r.cpu.context.pcid;
    m.entries = m.entries.filter((e) => !(inPage(e, va) && (e.global || e.pcid === pcid)));
    r.cpu.invlpg(va);
    compare(m, r, this.toString());
  }
  toString = () => `invlpg(page ${this.page % PAGES.length})`;
}

class InvpcidCmd implements Cmd {
  constructor(
    readonly type: 0 | 1 | 2 | 3,
    readonly pcid: number,
    readonly page: number,
  ) {}
  check = () => true;
  run(m: Model, r: Real): void {
    const pcide = r.cpu.context.pcide;
    const pcid = pcide ? this.pcid : 0;
    const va = PAGES[this.page % PAGES.length]!.va;
    const t = this.type;
    m.entries = m.entries.filter(
      (e) =>
        !(
          t === 2 ||
          (t === 3 && !e.global) ||
          (t === 1 && !e.global && e.pcid === pcid) ||
          (t === 0 && !e.global && e.pcid === pcid && inPage(e, va))
        ),
    );
    expect(r.cpu.invpcid(t, pcid, va).kind).toBe("ok");
    compare(m, r, this.toString());
  }
  toString = () => `invpcid(${this.type}, ${this.pcid})`;
}

class Cr3Cmd implements Cmd {
  constructor(
    readonly space: number,
    readonly pcid: number,
    readonly noFlush: boolean,
  ) {}
  check = () => true;
  run(m: Model, r: Real): void {
    const space = this.space % r.spaces.length;
    const pcide = r.cpu.context.pcide;
    const pcid = pcide ? this.pcid : 0;
    const noFlush = pcide && this.noFlush;
    if (!pcide) m.entries = m.entries.filter((e) => e.global);
    else if (!noFlush) m.entries = m.entries.filter((e) => e.global || e.pcid !== pcid);
    m.space = space;
    const root = r.spaces[space]!.root;
    r.cpu.writeCr3(noFlush ? BigInt(root | pcid) | CR3_NOFLUSH : root | pcid);
    compare(m, r, this.toString());
  }
  toString = () => `writeCr3(space ${this.space % 2}, pcid ${this.pcid}, noFlush ${this.noFlush})`;
}

class Cr4Cmd implements Cmd {
  constructor(readonly bit: "PGE" | "PCIDE" | "SMEP" | "SMAP") {}
  check = () => true;
  run(m: Model, r: Real): void {
    const old = r.cpu.cr4;
    const bit = CR4[this.bit];
    if (this.bit === "PCIDE" && (old & bit) === 0 && r.cpu.cr3 % 4096 !== 0) return; // #GP: CR3[11:0] ≠ 0
    const next = old ^ bit;
    const pcid = r.cpu.context.pcid;
    if (this.bit === "PGE" || (this.bit === "PCIDE" && (old & bit) !== 0)) m.entries = [];
    else if (this.bit === "SMEP" && (old & bit) === 0) m.entries = m.entries.filter((e) => e.pcid !== pcid);
    r.cpu.writeCr4(next);
    compare(m, r, this.toString());
  }
  toString = () => `toggle CR4.${this.bit}`;
}

class ModeCmd implements Cmd {
  constructor(readonly what: "cpl" | "wp" | "ac") {}
  check = () => true;
  run(m: Model, r: Real): void {
    const cpu = r.cpu;
    if (this.what === "cpl") cpu.setCpl(cpu.cpl === 3 ? 0 : 3);
    else if (cpu.cpl === 0 && this.what === "wp") cpu.writeCr0((cpu.cr0 ^ CR0.WP) >>> 0);
    else if (cpu.cpl === 0 && this.what === "ac") {
      if (cpu.context.ac) cpu.clac();
      else cpu.stac();
    }
    compare(m, r, this.toString());
  }
  toString = () => `toggle ${this.what}`;
}

/** Commands that need CPL 0 are wrapped: they return to CPL 0 first, as a trap into the kernel does. */
class KernelCmd implements Cmd {
  constructor(readonly inner: Cmd) {}
  check = () => true;
  run(m: Model, r: Real): void {
    if (r.cpu.cpl !== 0) r.cpu.setCpl(0);
    this.inner.run(m, r);
  }
  toString = () => this.inner.toString();
}

const flagsArb = fc.record({
  writable: fc.boolean(),
  user: fc.boolean(),
  noExecute: fc.boolean(),
  global: fc.boolean(),
});
const commands = fc.commands(
  [
    fc
      .tuple(fc.nat(), fc.nat(), fc.constantFrom<AccessKind>(0, 1, 2))
      .map(([p, o, a]) => new TranslateCmd(p, o, a)),
    fc
      .tuple(fc.nat(), fc.nat(), fc.constantFrom<AccessKind>(0, 1, 2))
      .map(([p, o, a]) => new TranslateCmd(p, o, a)),
    fc
      .tuple(
        fc.nat(),
        fc.nat(),
        fc.constantFrom<"protect" | "unmap" | "map">("protect", "unmap", "map"),
        flagsArb,
        fc.nat(),
      )
      .map(([s, p, h, f, fr]) => new EditCmd(s, p, h, f, fr)),
    fc.tuple(fc.nat(), fc.nat()).map(([p, o]) => new KernelCmd(new InvlpgCmd(p, o))),
    fc
      .tuple(fc.constantFrom<0 | 1 | 2 | 3>(0, 1, 2, 3), fc.integer({ min: 0, max: 2 }), fc.nat())
      .map(([t, pc, p]) => new KernelCmd(new InvpcidCmd(t, pc, p))),
    fc
      .tuple(fc.nat(), fc.integer({ min: 0, max: 2 }), fc.boolean())
      .map(([s, pc, nf]) => new KernelCmd(new Cr3Cmd(s, pc, nf))),
    fc
      .constantFrom<"PGE" | "PCIDE" | "SMEP" | "SMAP">("PGE", "PCIDE", "SMEP", "SMAP")
      .map((b) => new KernelCmd(new Cr4Cmd(b))),
    fc.constantFrom<"cpl" | "wp" | "ac">("cpl", "wp", "ac").map((w) => new ModeCmd(w)),
  ],
  { maxCommands: 80, size: "max" },
);

describe("the TLB against a naive model of SDM 4.10 (fc.commands)", () => {
  it("predicts every hit, stale translation, fault and invalidation, entry for entry", () => {
    fc.assert(
      fc.property(commands, (cmds) => {
        const setup = (): { model: Model; real: Real } => {
          const memory = new PhysicalMemory({ size: 96 * 2 ** 20 });
          const frames = new StackFrameSource(1, 1024);
          const spaces = [0, 1].map(() => new Mapper({ memory, frames }));
          for (const [i, mapper] of spaces.entries()) {
            for (const [k, p] of PAGES.entries()) {
              const pa = frameOf(p.size, k, i);
              mapper.map(p.va, pa, p.size, { writable: true, user: true, global: k === 1 });
            }
          }
          const cpu = new Cpu({ memory, tlb: { sets: 64, ways: 16 } });
          cpu.writeCr3(spaces[0]!.root);
          cpu.tlb.flushAll();
          const real: Real = { memory, spaces, cpu, walker: new Mmu({ memory }) };
          return { model: { entries: [], space: 0 }, real };
        };
        fc.modelRun(() => {
          const s = setup();
          return { model: s.model, real: s.real };
        }, cmds);
      }),
      { numRuns: 60 },
    );
  });
});
