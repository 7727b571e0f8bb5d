/**
 * The model-based half of the copy-on-write laws: an eager model (every private page copied at
 * fork, shared pages and named segments shared by reference) and one fast-check command per
 * operation — map (private, shared, guard, named segment), unmap, protect, fork, write, read,
 * readAll, exit, spawn, cli and sti (a CPU disables interrupts, so shootdowns to it wait) — each of which runs the real call on the machine of `cow-machine.ts`,
 * compares what it returned or read with what the model predicts, and runs
 * `VmSystem.checkInvariants()`. Targets are picked by index modulo what exists, so a sequence
 * stays meaningful while fast-check shrinks it; half the picks are "the process this CPU runs
 * now", so TLB entries survive long enough for a missing shootdown to be used.
 *
 * Related: `cow.ts` (the law that runs them), `cow-machine.ts`.
 */
import fc from "fast-check";
import { PROT_EXEC, PROT_NONE, PROT_READ, PROT_WRITE } from "../areas/area.js";
import type { AddressSpace } from "../space/address-space.js";
import type { MapOutcome, ProtectOutcome, UnmapOutcome } from "../space/api.js";
import { expectSame, OFFSETS, va, WINDOW_PAGES, type World } from "./cow-machine.js";

// ── the eager model ─────────────────────────────────────────────────────────────────────────────

/** One mapped page in the model. */
export interface PageModel {
  prot: number;
  /** The page's bytes; for a shared page the same Map object in every process that maps it. */
  readonly bytes: Map<number, number>;
  /** Mapped `shared` (anonymous or a named segment): fork shares `bytes` instead of copying them. */
  readonly shared: boolean;
  /** A guard page: every access faults. */
  readonly guard: boolean;
}
/** One process's window: page index → page. */
export type ProcModel = Map<number, PageModel>;
/** The eager model: every process's window and the named segments' pages. */
export interface Model {
  readonly procs: ProcModel[];
  /** The pages of the named segments "/s0" and "/s1": one bytes map per segment page. */
  readonly segments: Map<number, number>[][];
}
/** The real system: the machine and its address spaces, one per model process. */
export interface Real {
  readonly world: World;
  readonly procs: AddressSpace[];
}

/**
 * The process a command acts on: `p` modulo the number of processes, or, when `p >= STICKY`, the
 * process that CPU `cpu` is running now (if any). A CPU runs one process for a while, so stale
 * TLB entries live long enough to be used: without this bias, almost every command switches the
 * CPU to another process and flushes its TLB, and a missing shootdown goes unseen.
 */
function pick(m: Readonly<Model>, r: Real, p: number, cpu: number): number {
  if (p >= STICKY) {
    const id = r.world.cpus[cpu]!.activeSpace;
    const i = r.procs.findIndex((s) => s.id === id);
    if (i >= 0) return i;
  }
  return p % m.procs.length;
}

/** Process choices at or above this pick the CPU's current process (see {@link pick}). */
const STICKY = 8;

/** What a {@link MapCmd} maps: private or shared anonymous memory, a guard, or named segment 0/1. */
type MapKind = "private" | "shared" | "guard" | "seg0" | "seg1";

class MapCmd implements fc.Command<Model, Real> {
  constructor(
    readonly p: number,
    readonly page: number,
    readonly n: number,
    readonly prot: number,
    readonly cpu: number,
    readonly kind: MapKind,
  ) {}
  check(m: Readonly<Model>): boolean {
    return m.procs.length > 0;
  }
  run(m: Model, r: Real): void {
    const i = pick(m, r, this.p, this.cpu);
    const n = Math.min(this.n, WINDOW_PAGES - this.page);
    r.world.run(r.procs[i]!, this.cpu);
    const seg = this.kind === "seg0" ? 0 : this.kind === "seg1" ? 1 : -1;
    const out: MapOutcome = r.procs[i]!.map({
      length: n * 4096,
      prot: this.prot,
      sharing: this.kind === "private" ? "private" : this.kind === "guard" ? "guard" : "shared",
      placement: { kind: "fixed", va: va(this.page) },
      // a segment page k is mapped at window page k (offset = the window page)
      ...(seg >= 0 ? { object: r.world.sys.shm.open(`/s${seg}`).object, offset: this.page } : {}),
    });
    expectSame("map", out.kind, "mapped");
    for (let k = 0; k < n; k++) {
      const pg = this.page + k;
      m.procs[i]!.set(pg, {
        prot: this.prot,
        bytes: seg >= 0 ? m.segments[seg]![pg]! : new Map(),
        shared: this.kind !== "private",
        guard: this.kind === "guard",
      });
    }
    r.world.check();
  }
  toString(): string {
    return `map(p${this.p}, page ${this.page}, ${this.n}, prot ${this.prot}, cpu ${this.cpu}, ${this.kind})`;
  }
}

class UnmapCmd implements fc.Command<Model, Real> {
  constructor(
    readonly p: number,
    readonly page: number,
    readonly n: number,
    readonly cpu: number,
  ) {}
  check(m: Readonly<Model>): boolean {
    return m.procs.length > 0;
  }
  run(m: Model, r: Real): void {
    const i = pick(m, r, this.p, this.cpu);
    const n = Math.min(this.n, WINDOW_PAGES - this.page);
    r.world.run(r.procs[i]!, this.cpu);
    const out: UnmapOutcome = r.procs[i]!.unmap(va(this.page), n * 4096);
    let mapped = 0;
    for (let k = 0; k < n; k++) if (m.procs[i]!.delete(this.page + k)) mapped++;
    expectSame("unmap", out, mapped === 0 ? { kind: "not-mapped" } : { kind: "unmapped", pages: mapped });
    r.world.check();
  }
  toString(): string {
    return `unmap(p${this.p}, page ${this.page}, ${this.n}, cpu ${this.cpu})`;
  }
}

class ProtectCmd implements fc.Command<Model, Real> {
  constructor(
    readonly p: number,
    readonly page: number,
    readonly n: number,
    readonly prot: number,
    readonly cpu: number,
  ) {}
  check(m: Readonly<Model>): boolean {
    return m.procs.length > 0;
  }
  run(m: Model, r: Real): void {
    const i = pick(m, r, this.p, this.cpu);
    const n = Math.min(this.n, WINDOW_PAGES - this.page);
    r.world.run(r.procs[i]!, this.cpu);
    const out: ProtectOutcome = r.procs[i]!.protect(va(this.page), n * 4096, this.prot);
    const pm = m.procs[i]!;
    let hole = -1;
    for (let k = 0; k < n && hole < 0; k++) if (!pm.has(this.page + k)) hole = this.page + k;
    if (hole >= 0) {
      expectSame("protect", out, { kind: "not-mapped", va: va(hole) });
    } else {
      expectSame("protect", out, { kind: "protected", pages: n });
      for (let k = 0; k < n; k++) pm.get(this.page + k)!.prot = this.prot;
    }
    r.world.check();
  }
  toString(): string {
    return `protect(p${this.p}, page ${this.page}, ${this.n}, prot ${this.prot}, cpu ${this.cpu})`;
  }
}

class ForkCmd implements fc.Command<Model, Real> {
  constructor(
    readonly p: number,
    readonly cpu: number,
  ) {}
  check(m: Readonly<Model>): boolean {
    return m.procs.length > 0 && m.procs.length < 6;
  }
  run(m: Model, r: Real): void {
    // fork is a system call of the parent: it runs on the parent's CPU.
    const i = pick(m, r, this.p, this.cpu);
    r.world.run(r.procs[i]!, this.cpu);
    const child = r.procs[i]!.fork();
    if (child === null) throw new Error("fork: out of memory on a machine sized for the law");
    r.procs.push(child);
    const copy: ProcModel = new Map();
    for (const [pg, pm] of m.procs[i]!) {
      copy.set(pg, {
        prot: pm.prot,
        bytes: pm.shared ? pm.bytes : new Map(pm.bytes),
        shared: pm.shared,
        guard: pm.guard,
      });
    }
    m.procs.push(copy);
    r.world.check();
  }
  toString(): string {
    return `fork(p${this.p}, cpu ${this.cpu})`;
  }
}

class WriteCmd implements fc.Command<Model, Real> {
  constructor(
    readonly p: number,
    readonly page: number,
    readonly off: number,
    readonly value: number,
    readonly cpu: number,
  ) {}
  check(m: Readonly<Model>): boolean {
    return m.procs.length > 0;
  }
  run(m: Model, r: Real): void {
    const i = pick(m, r, this.p, this.cpu);
    const off = OFFSETS[this.off % OFFSETS.length]!;
    const got = r.world.store(r.procs[i]!, va(this.page, off), this.value, this.cpu);
    const pm = m.procs[i]!.get(this.page);
    let want: string | null;
    if (pm === undefined) want = "segv:no-area";
    else if (pm.guard) want = "segv:guard";
    else if ((pm.prot & PROT_WRITE) === 0) want = "segv:protection";
    else {
      want = null;
      pm.bytes.set(off, this.value);
    }
    expectSame(`write(p${i}, 0x${va(this.page, off).toString(16)})`, got, want);
    r.world.check();
  }
  toString(): string {
    return `write(p${this.p}, page ${this.page}, off#${this.off}, ${this.value}, cpu ${this.cpu})`;
  }
}

/** What reading byte `off` of window page `pg` in process `i` returns, by the eager model. */
function expected(m: Readonly<Model>, i: number, pg: number, off: number): number | string {
  const pm = m.procs[i]!.get(pg);
  if (pm === undefined) return "segv:no-area";
  if (pm.guard) return "segv:guard";
  if (pm.prot === PROT_NONE) return "segv:protection"; // any other protection reads on x86
  return pm.bytes.get(off) ?? 0;
}

/** Read every offset the commands write of one page (a write at one offset may have gone astray). */
class ReadCmd implements fc.Command<Model, Real> {
  constructor(
    readonly p: number,
    readonly page: number,
    readonly cpu: number,
  ) {}
  check(m: Readonly<Model>): boolean {
    return m.procs.length > 0;
  }
  run(m: Model, r: Real): void {
    const i = pick(m, r, this.p, this.cpu);
    for (const off of OFFSETS) {
      const got = r.world.load(r.procs[i]!, va(this.page, off), this.cpu);
      expectSame(`read(p${i}, 0x${va(this.page, off).toString(16)})`, got, expected(m, i, this.page, off));
    }
    r.world.check();
  }
  toString(): string {
    return `read(p${this.p}, page ${this.page}, cpu ${this.cpu})`;
  }
}

/**
 * Compare every byte the commands write, in every process, with the model. Each process is read
 * on the CPU that runs it (where its stale TLB entries would be), else on CPU 0.
 */
export function readAll(m: Readonly<Model>, r: Real): void {
  for (let i = 0; i < r.procs.length; i++) {
    const s = r.procs[i]!;
    const cpu = Math.max(
      0,
      r.world.cpus.findIndex((c) => c.activeSpace === s.id),
    );
    for (let pg = 0; pg < WINDOW_PAGES; pg++) {
      for (const off of OFFSETS) {
        const got = r.world.load(s, va(pg, off), cpu);
        expectSame(`readAll: p${i} 0x${va(pg, off).toString(16)}`, got, expected(m, i, pg, off));
      }
    }
  }
  r.world.check();
}

class ReadAllCmd implements fc.Command<Model, Real> {
  check(): boolean {
    return true;
  }
  run(m: Model, r: Real): void {
    readAll(m, r);
  }
  toString(): string {
    return "readAll()";
  }
}

class ExitCmd implements fc.Command<Model, Real> {
  constructor(readonly p: number) {}
  check(m: Readonly<Model>): boolean {
    // Never the last process: a run whose only process exits early has nothing left to fork or
    // copy (4 runs in 10 did so). Every process exits at the end of the run anyway.
    return m.procs.length > 1;
  }
  run(m: Model, r: Real): void {
    const i = this.p % m.procs.length;
    const s = r.procs[i]!;
    r.world.unload(s);
    s.destroy();
    r.procs.splice(i, 1);
    m.procs.splice(i, 1);
    r.world.check();
  }
  toString(): string {
    return `exit(p${this.p})`;
  }
}

/**
 * CPU `cpu` disables interrupts (a kernel path holding a spinlock): shootdown IPIs to it wait until
 * a {@link StiCmd}, its TLB may keep stale entries that long, and commands meant for it run on
 * the other CPU. What a space
 * frees meanwhile must not be handed out again before that CPU acknowledges (`World.check` and
 * every allocation check it).
 */
class CliCmd implements fc.Command<Model, Real> {
  constructor(readonly cpu: number) {}
  check(): boolean {
    return true;
  }
  run(_m: Model, r: Real): void {
    r.world.cli(this.cpu);
    r.world.check();
  }
  toString(): string {
    return `cli(cpu ${this.cpu})`;
  }
}

/** CPU `cpu` enables interrupts: it takes the pending shootdown IPIs and acknowledges them. */
class StiCmd implements fc.Command<Model, Real> {
  constructor(readonly cpu: number) {}
  check(): boolean {
    return true;
  }
  run(_m: Model, r: Real): void {
    r.world.sti(this.cpu);
    r.world.check();
  }
  toString(): string {
    return `sti(cpu ${this.cpu})`;
  }
}

class SpawnCmd implements fc.Command<Model, Real> {
  check(m: Readonly<Model>): boolean {
    return m.procs.length < 6;
  }
  run(m: Model, r: Real): void {
    r.procs.push(r.world.sys.createSpace());
    m.procs.push(new Map());
  }
  toString(): string {
    return "spawn()";
  }
}

const protArb = fc.constantFrom(
  PROT_READ | PROT_WRITE,
  PROT_READ,
  PROT_NONE,
  PROT_READ | PROT_WRITE | PROT_EXEC,
  PROT_EXEC,
);
const pageArb = fc.nat({ max: WINDOW_PAGES - 1 });
const lenArb = fc.integer({ min: 1, max: 4 });
const cpuArb = fc.nat({ max: 1 });
/** 0..7: a process by index; 8..15: whatever the command's CPU runs now (see {@link pick}). */
const procArb = fc.nat({ max: 15 });

const writeArb = fc
  .tuple(procArb, pageArb, fc.nat(), fc.integer({ min: 1, max: 255 }), cpuArb)
  .map(([p, pg, o, v, c]) => new WriteCmd(p, pg, o, v, c));
const readArb = fc.tuple(procArb, pageArb, cpuArb).map(([p, pg, c]) => new ReadCmd(p, pg, c));

/** The commands of the model-based law; reads and writes weigh three times as much as most others, fork twice. */
export const cowCommands: fc.Arbitrary<fc.Command<Model, Real>>[] = [
  writeArb,
  writeArb,
  writeArb,
  readArb,
  readArb,
  readArb,
  fc
    .tuple(
      procArb,
      pageArb,
      lenArb,
      protArb,
      cpuArb,
      fc.constantFrom<MapKind>("private", "private", "shared", "guard", "seg0", "seg1"),
    )
    .map(([p, pg, n, pr, c, kind]) => new MapCmd(p, pg, n, pr, c, kind)),
  fc.tuple(procArb, pageArb, lenArb, cpuArb).map(([p, pg, n, c]) => new UnmapCmd(p, pg, n, c)),
  fc
    .tuple(procArb, pageArb, lenArb, protArb, cpuArb)
    .map(([p, pg, n, pr, c]) => new ProtectCmd(p, pg, n, pr, c)),
  fc.tuple(procArb, cpuArb).map(([p, c]) => new ForkCmd(p, c)),
  fc.tuple(procArb, cpuArb).map(([p, c]) => new ForkCmd(p, c)),
  procArb.map((p) => new ExitCmd(p)),
  fc.constant(new SpawnCmd()),
  fc.constant(new ReadAllCmd()),
];

/**
 * {@link cowCommands} plus `cli`/`sti`: a CPU disables interrupts for a while, so shootdowns to it
 * wait (the MMU gather's law; kept apart so the plain law's runs keep their two busy CPUs).
 */
export const interruptCommands: fc.Arbitrary<fc.Command<Model, Real>>[] = [
  ...cowCommands,
  cpuArb.map((c) => new CliCmd(c)),
  cpuArb.map((c) => new StiCmd(c)),
];
