/**
 * The model-based half of the copy-on-write laws: an eager model (every private page copied at
 * fork, shared pages and named segments shared by reference) and one fast-check command per
 * operation — map (private, shared, guard, a named segment shared or private), unmap, protect, fork, write, read,
 * readAll, exit, spawn, cli and sti (a CPU disables interrupts, so shootdowns to it wait) — each of which runs the real call on the machine of `cow-machine.ts`,
 * compares what it returned or read with what the model predicts, and runs
 * `VmSystem.checkInvariants()`. Targets are picked by index modulo what exists, so a sequence
 * stays meaningful while fast-check shrinks it; half the picks are "the process this CPU runs
 * now", so TLB entries survive long enough for a missing shootdown to be used.
 *
 * A private mapping of a named segment (POSIX MAP_PRIVATE) is judged on what POSIX specifies and
 * every strategy must agree on: its writes never show through the segment or in any other
 * mapping; after its first write the page is the mapping's own copy (the segment's page, with
 * the write); before that, it reads the segment's bytes. What POSIX leaves open is whether the
 * segment's later changes show before the first write: the shadow strategy reads through to the
 * segment (as Linux does), the refcount strategy copies at first touch. The model therefore keeps
 * every page the mapping may hold ({@link PrivateView}): the segment itself (read through) and,
 * from the first access on, the segment's bytes as they were then; a read narrows them to those
 * that agree with what it got, a write turns each into a copy with the write.
 *
 * ```
 *   /s0 page 2 holds 5        p1 maps it private      p1 reads: 5          p0 writes 9 to /s0
 *   candidates of p1's page:  [segment]               [segment, {5}]       [segment (9), {5}]
 *   p1 reads 9 (reads through) → [segment]            p1 writes 7 at 0x7ff → [{9, 7}]
 * ```
 *
 * On a machine sized to run out ({@link World.mayRunOut}) a fork may return `null` and an access
 * `oom`: the command then checks that the refusal is real (too few frames left for it) and changed
 * nothing (`World.expectUnchanged`), and the model stays as it was.
 *
 * Related: `cow.ts` (the law that runs them), `cow-machine.ts`, `cow-model.ts` (the eager model).
 */
import fc from "fast-check";
import { PROT_EXEC, PROT_NONE, PROT_READ, PROT_WRITE } from "../areas/area.js";
import type { AddressSpace } from "../space/address-space.js";
import type { MapOutcome, ProtectOutcome, UnmapOutcome } from "../space/api.js";
import {
  expectSame,
  FAULT_FRAMES,
  FORK_FRAMES,
  type Footprint,
  OFFSETS,
  WINDOW_PAGES,
  type World,
} from "./cow-machine.js";

import { forkPage, type Model, type ProcModel, THROUGH, touch, viewValues, viewWrite } from "./cow-model.js";

export { type Model, type PageModel, type PrivateView, type ProcModel, THROUGH } from "./cow-model.js";

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

/**
 * What a {@link MapCmd} maps: private or shared anonymous memory, a guard, named segment 0/1
 * shared, or named segment 0/1 private.
 */
type MapKind = "private" | "shared" | "guard" | "seg0" | "seg1" | "seg0-private" | "seg1-private";

// ── out of memory ───────────────────────────────────────────────────────────────────────────────

/** The footprint to compare a possible refusal with, on a machine that may run out. */
function footprintIfTight(r: Real): Footprint | null {
  return r.world.mayRunOut ? r.world.footprint() : null;
}

/**
 * Whether `got` is an out-of-memory refusal the law accepts: on a machine that may run out, with
 * fewer than `need` frames free before the call, and nothing changed by it. Throws when the
 * refusal is spurious or left something behind; false for any other outcome (the caller checks it).
 */
function refused(r: Real, call: string, got: unknown, before: Footprint | null, need: number): boolean {
  if (got !== "oom" || before === null) return false;
  if (before.free >= need) {
    throw new Error(
      `${call}: out of memory with ${before.free} frames free (it needs at most ${need}): a spurious refusal`,
    );
  }
  r.world.expectUnchanged(call, before);
  return true;
}

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
    const seg = this.kind.startsWith("seg") ? Number(this.kind[3]) : -1;
    const priv = this.kind === "private" || this.kind.endsWith("-private");
    const out: MapOutcome = r.procs[i]!.map({
      length: n * 4096,
      prot: this.prot,
      sharing: priv ? "private" : this.kind === "guard" ? "guard" : "shared",
      placement: { kind: "fixed", va: r.world.va(this.page) },
      // a segment page k is mapped at window page k (offset = the window page)
      ...(seg >= 0 ? { object: r.world.sys.shm.open(`/s${seg}`).object, offset: this.page } : {}),
    });
    expectSame("map", out.kind, "mapped");
    for (let k = 0; k < n; k++) {
      const pg = this.page + k;
      const segment = seg >= 0 ? m.segments[seg]![pg]! : null;
      m.procs[i]!.set(pg, {
        prot: this.prot,
        bytes: segment !== null && !priv ? segment : new Map(),
        shared: !priv,
        guard: this.kind === "guard",
        view:
          segment !== null && priv
            ? { segment, name: `/s${seg} page ${pg}`, touched: false, written: false, candidates: [THROUGH] }
            : null,
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
    const out: UnmapOutcome = r.procs[i]!.unmap(r.world.va(this.page), n * 4096);
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
    const out: ProtectOutcome = r.procs[i]!.protect(r.world.va(this.page), n * 4096, this.prot);
    const pm = m.procs[i]!;
    let hole = -1;
    for (let k = 0; k < n && hole < 0; k++) if (!pm.has(this.page + k)) hole = this.page + k;
    if (hole >= 0) {
      expectSame("protect", out, { kind: "not-mapped", va: r.world.va(hole) });
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
    const before = footprintIfTight(r);
    const child = r.procs[i]!.fork();
    if (child === null) {
      if (!refused(r, `fork(p${i})`, "oom", before, FORK_FRAMES))
        throw new Error("fork: out of memory on a machine sized for the law");
      r.world.check();
      return; // nothing changed, in the model either
    }
    r.procs.push(child);
    const copy: ProcModel = new Map();
    for (const [pg, pm] of m.procs[i]!) copy.set(pg, forkPage(pm));
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
    const at = r.world.va(this.page, off);
    const call = `write(p${i}, 0x${at.toString(16)})`;
    const before = footprintIfTight(r);
    const got = r.world.store(r.procs[i]!, at, this.value, this.cpu);
    const pm = m.procs[i]!.get(this.page);
    let want: string | null;
    if (pm === undefined) want = "segv:no-area";
    else if (pm.guard) want = "segv:guard";
    else if ((pm.prot & PROT_WRITE) === 0) want = "segv:protection";
    else {
      want = null;
      touch(pm);
      if (!refused(r, call, got, before, FAULT_FRAMES)) {
        if (pm.view !== null) viewWrite(pm.view, off, this.value);
        else pm.bytes.set(off, this.value);
      } else want = "oom";
    }
    expectSame(call, got, want);
    r.world.check();
  }
  toString(): string {
    return `write(p${this.p}, page ${this.page}, off#${this.off}, ${this.value}, cpu ${this.cpu})`;
  }
}

/**
 * Load byte `off` of window page `pg` in process `i` on `cpu` and compare it with the model: the
 * eager model's byte, its SIGSEGV, one of a private view's candidates (which the read then
 * narrows), or, on a machine that may run out, a true out-of-memory refusal that changed nothing.
 */
function load(
  m: Readonly<Model>,
  r: Real,
  i: number,
  pg: number,
  off: number,
  cpu: number,
  what: string,
): void {
  const pm = m.procs[i]!.get(pg);
  const at = r.world.va(pg, off);
  const call = what === "read" ? `read(p${i}, 0x${at.toString(16)})` : `${what}: p${i} 0x${at.toString(16)}`;
  const before = footprintIfTight(r);
  const got = r.world.load(r.procs[i]!, at, cpu);
  // Any protection but PROT_NONE reads on x86.
  const segv =
    pm === undefined
      ? "segv:no-area"
      : pm.guard
        ? "segv:guard"
        : pm.prot === PROT_NONE
          ? "segv:protection"
          : null;
  if (pm === undefined || segv !== null) {
    expectSame(call, got, segv);
    return;
  }
  touch(pm);
  if (refused(r, call, got, before, FAULT_FRAMES)) return;
  const v = pm.view;
  if (v === null) {
    if (got !== (pm.bytes.get(off) ?? 0) && typeof got === "number" && pm.shared) {
      const leak = privateWriteShown(m, pm.bytes, off, got);
      if (leak !== null) {
        throw new Error(
          `${call}: got ${got}, the eager model says ${pm.bytes.get(off) ?? 0}: ${leak} wrote ${got} there through a private mapping, and it showed through the segment (MAP_PRIVATE: a private write stays in the writer's copy)`,
        );
      }
    }
    expectSame(call, got, pm.bytes.get(off) ?? 0);
    return;
  }
  const allowed = viewValues(v, off);
  if (typeof got === "number" && allowed.includes(got)) {
    v.candidates = v.candidates.filter((c) => ((c === THROUGH ? v.segment : c).get(off) ?? 0) === got);
    return;
  }
  const written = v.written;
  throw new Error(
    `${call}: got ${JSON.stringify(got)}, the model allows ${allowed.join(" or ")}: ${v.name} mapped private ${
      written
        ? "was written, so it holds a copy of the segment's page (as it read before, or as the segment held it at the write) with the mapping's writes"
        : "was not written yet, so it reads the segment's bytes (as they are now, or as they were at its first access)"
    }${got === 0 && written ? "; a fresh zero page instead of a copy?" : ""}`,
  );
}

/** Which process's private view of a segment page (`segment`) holds `value` at `off`, if one does. */
function privateWriteShown(
  m: Readonly<Model>,
  segment: Map<number, number>,
  off: number,
  value: number,
): string | null {
  for (let p = 0; p < m.procs.length; p++) {
    for (const pm of m.procs[p]!.values()) {
      const v = pm.view;
      if (v === null || v.segment !== segment) continue;
      if (v.candidates.some((c) => c !== THROUGH && c.get(off) === value)) return `p${p} (${v.name})`;
    }
  }
  return null;
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
    for (const off of OFFSETS) load(m, r, i, this.page, off, this.cpu, "read");
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
      for (const off of OFFSETS) load(m, r, i, pg, off, cpu, "readAll");
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
    const before = footprintIfTight(r);
    const s = r.world.sys.tryCreateSpace();
    if (s === null) {
      // No frame for a root table: fine on a machine that may run out (and nothing may change).
      if (!refused(r, "spawn()", "oom", before, 1))
        throw new Error("spawn: out of memory on a machine sized for the law");
      return;
    }
    r.procs.push(s);
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
      fc.constantFrom<MapKind>(
        "private",
        "private",
        "shared",
        "guard",
        "seg0",
        "seg1",
        "seg0-private",
        "seg1-private",
      ),
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
