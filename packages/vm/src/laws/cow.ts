/**
 * The laws of a copy-on-write strategy (`CowStrategy` in `../cow/api.ts`), as fast-check
 * properties run on a small simulated machine: `@osbricks/hw-x86` physical memory, an MMU with a
 * TLB per CPU (so a missing invalidation shows as a stale read), a buddy allocator, and a
 * `VmSystem` using the strategy under test.
 *
 * | law                                  | what it rules out                                            |
 * |--------------------------------------|--------------------------------------------------------------|
 * | reads equal an eager copy (model)    | a write leaking into another process; lost or stale data      |
 * | fork isolation                       | a parent write visible in the child, or the reverse           |
 * | no leaks after exit                  | frames, page tables or objects that outlive every process     |
 * | chains stay bounded                  | shadow chains that grow with every fork + exit                |
 *
 * The model-based law drives random `map` (private, shared anonymous, guard, or a named
 * shared-memory segment) / `unmap` / `protect` / `fork` / `write` / `read` / `exit` / `spawn`
 * sequences (fc.commands) against a naive model that copies every private page on fork and shares
 * the shared ones, on two CPUs, and checks `VmSystem.checkInvariants()` after every step (object links counted two ways,
 * share counts against leaves, no frame both free and mapped).
 *
 * @example
 * ```ts
 * for (const law of cowStrategyLaws(() => new ShadowCow())) it(law.name, () => law.check());
 * ```
 */
import { Mmu, PhysicalMemory, Tlb } from "@osbricks/hw-x86";
import fc from "fast-check";
import { PROT_EXEC, PROT_NONE, PROT_READ, PROT_WRITE } from "../areas/area.js";
import type { CowStrategy } from "../cow/api.js";
import { BuddyAllocator } from "../frames/buddy.js";
import type { AddressSpace } from "../space/address-space.js";
import type { MapOutcome, ProtectOutcome, UnmapOutcome } from "../space/api.js";
import { type CpuTlb, SyncTlbShootdown } from "../space/shootdown.js";
import { userLoad8, userStore8 } from "../space/user-access.js";
import { VmSystem } from "../space/vm-system.js";
import { type Law, type LawOptions, runLaws } from "./law.js";

/** Options of {@link cowStrategyLaws}: the shared {@link LawOptions} plus the machine size. */
export interface CowLawOptions extends LawOptions {
  /** Frames of simulated RAM per run. Default 1024 (4 MiB). */
  readonly frames?: number;
}

/** First page of the window the laws map in (VA 0x10000), and its size in pages. */
const WINDOW_PAGE = 0x10;
const WINDOW_PAGES = 8;
/** Byte offsets within a page that the laws write and read. */
const OFFSETS = [0, 0x7ff, 0xfff] as const;

/** One small simulated machine with two CPUs, for one law run. */
class World {
  readonly frames: BuddyAllocator;
  readonly sys: VmSystem;
  readonly cpus: CpuTlb[] = [];
  readonly mmus: Mmu[] = [];
  readonly initialFree: number;

  constructor(strategy: CowStrategy, frames: number) {
    const memory = new PhysicalMemory({ size: frames * 4096 });
    this.frames = new BuddyAllocator({ frames });
    this.frames.reserve(0, 1);
    for (let i = 0; i < 2; i++) {
      const tlb = new Tlb();
      this.cpus.push({ tlb, activeSpace: null, pcid: 0 });
      this.mmus.push(new Mmu({ memory, tlb }));
    }
    this.sys = new VmSystem({
      memory,
      frames: this.frames,
      strategy,
      shootdown: new SyncTlbShootdown(this.cpus),
    });
    this.initialFree = this.frames.freeFrames();
  }

  run(space: AddressSpace, cpu: number): void {
    const c = this.cpus[cpu]!;
    if (c.activeSpace !== space.id) {
      c.tlb.flushAll("cr3 write");
      c.activeSpace = space.id;
    }
  }

  load(space: AddressSpace, va: number, cpu: number): number | string {
    this.run(space, cpu);
    const v = userLoad8(space, this.mmus[cpu]!, va);
    return typeof v === "number" ? v : v.kind === "segv" ? `segv:${v.reason}` : v.kind;
  }

  store(space: AddressSpace, va: number, value: number, cpu: number): string | null {
    this.run(space, cpu);
    const f = userStore8(space, this.mmus[cpu]!, va, value);
    return f === null ? null : f.kind === "segv" ? `segv:${f.reason}` : f.kind;
  }

  /** Stop running `space` anywhere (before it is destroyed). */
  unload(space: AddressSpace): void {
    for (const c of this.cpus) if (c.activeSpace === space.id) c.activeSpace = null;
  }

  /** Destroy every space; throws unless every frame is free again and no object is left. */
  finish(spaces: readonly AddressSpace[]): void {
    for (const seg of this.sys.shm.segments()) this.sys.shm.unlink(seg.name);
    for (const s of spaces) {
      this.unload(s);
      s.destroy();
    }
    this.sys.checkInvariants();
    const free = this.frames.freeFrames();
    if (free !== this.initialFree) throw new Error(`leak: ${this.initialFree - free} frames still allocated`);
    const left = this.sys.store.objects();
    if (left.length > 0) throw new Error(`leak: objects left: ${left.map(String).join(", ")}`);
  }
}

// ── the eager model ─────────────────────────────────────────────────────────────────────────────

interface PageModel {
  prot: number;
  /** The page's bytes; for a shared page the same Map object in every process that maps it. */
  readonly bytes: Map<number, number>;
  /** Mapped `shared` (anonymous or a named segment): fork shares `bytes` instead of copying them. */
  readonly shared: boolean;
  /** A guard page: every access faults. */
  readonly guard: boolean;
}
type ProcModel = Map<number, PageModel>;
interface Model {
  readonly procs: ProcModel[];
  /** The pages of the named segments "/s0" and "/s1": one bytes map per segment page. */
  readonly segments: Map<number, number>[][];
}
interface Real {
  readonly world: World;
  readonly procs: AddressSpace[];
}

const va = (page: number, off = 0): number => (WINDOW_PAGE + page) * 4096 + off;

function expectSame(what: string, got: unknown, want: unknown): void {
  const g = JSON.stringify(got);
  const w = JSON.stringify(want);
  if (g !== w) throw new Error(`${what}: got ${g}, the eager model says ${w}`);
}

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
    const i = this.p % m.procs.length;
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
    r.world.sys.checkInvariants();
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
    const i = this.p % m.procs.length;
    const n = Math.min(this.n, WINDOW_PAGES - this.page);
    r.world.run(r.procs[i]!, this.cpu);
    const out: UnmapOutcome = r.procs[i]!.unmap(va(this.page), n * 4096);
    let mapped = 0;
    for (let k = 0; k < n; k++) if (m.procs[i]!.delete(this.page + k)) mapped++;
    expectSame("unmap", out, mapped === 0 ? { kind: "not-mapped" } : { kind: "unmapped", pages: mapped });
    r.world.sys.checkInvariants();
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
    const i = this.p % m.procs.length;
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
    r.world.sys.checkInvariants();
  }
  toString(): string {
    return `protect(p${this.p}, page ${this.page}, ${this.n}, prot ${this.prot}, cpu ${this.cpu})`;
  }
}

class ForkCmd implements fc.Command<Model, Real> {
  constructor(readonly p: number) {}
  check(m: Readonly<Model>): boolean {
    return m.procs.length > 0 && m.procs.length < 6;
  }
  run(m: Model, r: Real): void {
    const i = this.p % m.procs.length;
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
    r.world.sys.checkInvariants();
  }
  toString(): string {
    return `fork(p${this.p})`;
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
    const i = this.p % m.procs.length;
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
    r.world.sys.checkInvariants();
  }
  toString(): string {
    return `write(p${this.p}, page ${this.page}, off#${this.off}, ${this.value}, cpu ${this.cpu})`;
  }
}

class ReadCmd implements fc.Command<Model, Real> {
  constructor(
    readonly p: number,
    readonly page: number,
    readonly off: number,
    readonly cpu: number,
  ) {}
  check(m: Readonly<Model>): boolean {
    return m.procs.length > 0;
  }
  run(m: Model, r: Real): void {
    const i = this.p % m.procs.length;
    const off = OFFSETS[this.off % OFFSETS.length]!;
    const got = r.world.load(r.procs[i]!, va(this.page, off), this.cpu);
    const pm = m.procs[i]!.get(this.page);
    const want =
      pm === undefined
        ? "segv:no-area"
        : pm.guard
          ? "segv:guard"
          : (pm.prot & (PROT_READ | PROT_WRITE)) === 0
            ? "segv:protection"
            : (pm.bytes.get(off) ?? 0);
    expectSame(`read(p${i}, 0x${va(this.page, off).toString(16)})`, got, want);
    r.world.sys.checkInvariants();
  }
  toString(): string {
    return `read(p${this.p}, page ${this.page}, off#${this.off}, cpu ${this.cpu})`;
  }
}

class ExitCmd implements fc.Command<Model, Real> {
  constructor(readonly p: number) {}
  check(m: Readonly<Model>): boolean {
    return m.procs.length > 0;
  }
  run(m: Model, r: Real): void {
    const i = this.p % m.procs.length;
    const s = r.procs[i]!;
    r.world.unload(s);
    s.destroy();
    r.procs.splice(i, 1);
    m.procs.splice(i, 1);
    r.world.sys.checkInvariants();
  }
  toString(): string {
    return `exit(p${this.p})`;
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
);
const pageArb = fc.nat({ max: WINDOW_PAGES - 1 });
const lenArb = fc.integer({ min: 1, max: 4 });
const cpuArb = fc.nat({ max: 1 });
const procArb = fc.nat({ max: 7 });

const writeArb = fc
  .tuple(procArb, pageArb, fc.nat(), fc.integer({ min: 1, max: 255 }), cpuArb)
  .map(([p, pg, o, v, c]) => new WriteCmd(p, pg, o, v, c));
const readArb = fc.tuple(procArb, pageArb, fc.nat(), cpuArb).map(([p, pg, o, c]) => new ReadCmd(p, pg, o, c));

/** The commands of the model-based law; reads and writes weigh three times as much as most others, fork twice. */
const cowCommands: fc.Arbitrary<fc.Command<Model, Real>>[] = [
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
  procArb.map((p) => new ForkCmd(p)),
  procArb.map((p) => new ForkCmd(p)),
  procArb.map((p) => new ExitCmd(p)),
  fc.constant(new SpawnCmd()),
];

/**
 * The laws every copy-on-write strategy must satisfy (see the file banner).
 *
 * @param factory - a fresh strategy per run.
 * @example
 * ```ts
 * for (const law of cowStrategyLaws(() => new RefcountCow(), { numRuns: 30 })) it(law.name, () => law.check());
 * ```
 */
export function cowStrategyLaws(factory: () => CowStrategy, opts: CowLawOptions = {}): Law[] {
  const numRuns = opts.numRuns ?? 100;
  const maxSteps = opts.maxSteps ?? 60;
  const frames = opts.frames ?? 1024;
  const params = { numRuns, ...(opts.seed !== undefined ? { seed: opts.seed } : {}) };
  const world = () => new World(factory(), frames);
  const RW = PROT_READ | PROT_WRITE;

  return [
    {
      name: "every read returns the bytes an eager copy holds (map/unmap/protect/fork/write/read/exit)",
      check: () =>
        fc.assert(
          fc.property(fc.commands(cowCommands, { maxCommands: maxSteps, size: "max" }), (cmds) => {
            const w = world();
            // One process with the window mapped read-write, so writes land from the start: the
            // lower half private, the upper half shared.
            w.sys.shm.create("/s0", WINDOW_PAGES);
            w.sys.shm.create("/s1", WINDOW_PAGES);
            const segments = [0, 1].map(() =>
              Array.from({ length: WINDOW_PAGES }, () => new Map<number, number>()),
            );
            const first = w.sys.createSpace();
            const half = WINDOW_PAGES / 2;
            first.map({ length: half * 4096, prot: RW, placement: { kind: "fixed", va: va(0) } });
            first.map({
              length: half * 4096,
              prot: RW,
              sharing: "shared",
              placement: { kind: "fixed", va: va(half) },
            });
            const pm: ProcModel = new Map();
            for (let pg = 0; pg < WINDOW_PAGES; pg++) {
              pm.set(pg, { prot: RW, bytes: new Map(), shared: pg >= half, guard: false });
            }
            const real: Real = { world: w, procs: [first] };
            fc.modelRun(() => ({ model: { procs: [pm], segments }, real }), cmds);
            w.finish(real.procs);
          }),
          params,
        ),
    },
    {
      name: "after fork, a write on either side is invisible to the other",
      check: () =>
        fc.assert(
          fc.property(
            fc.array(fc.tuple(fc.nat({ max: 7 }), fc.integer({ min: 1, max: 255 })), { maxLength: 8 }),
            fc.array(fc.tuple(fc.boolean(), fc.nat({ max: 7 }), fc.integer({ min: 1, max: 255 })), {
              maxLength: 16,
            }),
            (before, after) => {
              const w = world();
              const parent = w.sys.createSpace();
              parent.map({ length: 8 * 4096, prot: RW, placement: { kind: "fixed", va: va(0) } });
              const seen = [new Map<number, number>(), new Map<number, number>()];
              for (const [pg, v] of before) {
                w.store(parent, va(pg, 8), v, 0);
                seen[0]!.set(pg, v);
              }
              const child = parent.fork()!;
              seen[1] = new Map(seen[0]!);
              const spaces = [parent, child];
              for (const [inChild, pg, v] of after) {
                const k = inChild ? 1 : 0;
                w.store(spaces[k]!, va(pg, 8), v, k);
                seen[k]!.set(pg, v);
              }
              for (let k = 0; k < 2; k++) {
                for (let pg = 0; pg < 8; pg++) {
                  expectSame(
                    `space ${k} page ${pg}`,
                    w.load(spaces[k]!, va(pg, 8), k),
                    seen[k]!.get(pg) ?? 0,
                  );
                }
              }
              w.sys.checkInvariants();
              w.finish(spaces);
            },
          ),
          params,
        ),
    },
    {
      name: "no leaks: after every process of a fork tree exits, every frame is free and no object is left",
      check: () =>
        fc.assert(
          fc.property(
            fc.array(fc.tuple(fc.nat(), fc.nat({ max: 7 }), fc.boolean()), { minLength: 1, maxLength: 20 }),
            fc.array(fc.nat(), { maxLength: 8 }),
            (steps, exitOrder) => {
              const w = world();
              const procs = [w.sys.createSpace()];
              procs[0]!.map({ length: 8 * 4096, prot: RW, placement: { kind: "fixed", va: va(0) } });
              for (const [who, pg, fork] of steps) {
                const s = procs[who % procs.length]!;
                if (fork && procs.length < 6) procs.push(s.fork()!);
                else w.store(s, va(pg), (who & 0xff) | 1, 0);
              }
              for (const k of exitOrder) {
                if (procs.length === 0) break;
                const [s] = procs.splice(k % procs.length, 1);
                w.unload(s!);
                s!.destroy();
                w.sys.checkInvariants();
              }
              w.finish(procs);
            },
          ),
          params,
        ),
    },
    {
      name: "chains stay bounded: repeated fork + child exit leaves the parent as it was",
      check: () =>
        fc.assert(
          fc.property(
            fc.array(fc.tuple(fc.nat({ max: 7 }), fc.nat({ max: 7 })), { minLength: 2, maxLength: 12 }),
            (rounds) => {
              const w = world();
              const parent = w.sys.createSpace();
              parent.map({ length: 8 * 4096, prot: RW, placement: { kind: "fixed", va: va(0) } });
              for (let pg = 0; pg < 8; pg++) w.store(parent, va(pg), pg + 1, 0);
              let shape = "";
              for (const [cp, pp] of rounds) {
                const child = parent.fork()!;
                w.store(child, va(cp), 200, 1);
                w.store(parent, va(pp), 100, 0);
                w.unload(child);
                child.destroy();
                const area = parent.areaList()[0]!;
                const now = `chain=${area.object?.chainLength() ?? 0} objects=${w.sys.store.objects().length}`;
                if (shape !== "" && now !== shape)
                  throw new Error(`after fork+exit: ${now}, before: ${shape}`);
                shape = now;
                w.sys.checkInvariants();
              }
              w.finish([parent]);
            },
          ),
          params,
        ),
    },
  ];
}

/** Run every law of {@link cowStrategyLaws}, throwing on the first violation. */
export function runCowStrategyLaws(factory: () => CowStrategy, opts: CowLawOptions = {}): void {
  runLaws(cowStrategyLaws(factory, opts));
}
