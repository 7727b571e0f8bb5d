/**
 * The laws of a copy-on-write strategy (`CowStrategy` in `../cow/api.ts`), as fast-check
 * properties run on a small simulated machine: `@osbricks/hw-x86` physical memory, an MMU with a
 * TLB per CPU (so a missing invalidation shows as a stale read), a buddy allocator, and a
 * `VmSystem` using the strategy under test.
 *
 * | law                                  | what it rules out                                            |
 * |--------------------------------------|--------------------------------------------------------------|
 * | reads equal an eager copy (model)    | a write leaking into another process; lost or stale data;     |
 * |                                      | a private mapping of a segment whose writes reach the segment |
 * |                                      | or whose first write does not copy the segment's page        |
 * | fork isolation                       | a parent write visible in the child, or the reverse           |
 * | fork copies nothing until a write    | an eager fork, a copy on read, a copy where the last holder   |
 * |                                      | could reuse its page (count 1, or a merged chain)             |
 * | no reuse before acknowledgement      | a frame freed (and handed out again) while a CPU with         |
 * | (model, CPUs doing cli/sti)          | interrupts off still caches a translation to it               |
 * | no leaks after exit                  | frames, page tables or objects that outlive every process     |
 * | chains stay bounded                  | shadow chains that grow with every fork + exit                |
 * | out of memory (model, 28 frames)     | a refused fork that keeps the child's shares or a partial     |
 * |                                      | child; a refused fault that keeps a frame; a spurious refusal |
 *
 * The model-based law drives random `map` (private, shared anonymous, guard, or a named
 * shared-memory segment, shared or private) / `unmap` / `protect` / `fork` / `write` / `read` /
 * `readAll` / `exit` / `spawn` sequences (fc.commands) against a naive model that copies every
 * private page on fork and shares the shared ones (a private mapping of a segment: see
 * `cow-commands.ts`), on two CPUs, and checks `VmSystem.checkInvariants()` after every step
 * (object links counted two ways, share counts against leaves, no frame both free and mapped).
 * Each run starts with one process whose window is private, shared and a private mapping of
 * segment /s0, every anonymous page holding a byte, and ends by reading every byte of every
 * process. After every step `World.check` compares every CPU's TLB with the page tables and holds
 * the strategy to MAP_PRIVATE, object links and share counts whatever its name. The out-of-memory
 * law runs the same commands on a machine so small that forks and faults are refused, and checks
 * that each refusal is real and changed nothing. `test/cow.test.ts` checks that these laws reject
 * fifteen broken strategies.
 *
 * Related: `cow-machine.ts` (the machine), `cow-model.ts` (the eager model), `cow-commands.ts` (its commands).
 *
 * @example
 * ```ts
 * for (const law of cowStrategyLaws(() => new ShadowCow())) it(law.name, () => law.check());
 * ```
 */
import fc from "fast-check";
import { PROT_READ, PROT_WRITE } from "../areas/area.js";
import type { CowStrategy } from "../cow/api.js";
import type { AddressSpace } from "../space/address-space.js";
import {
  cowCommands,
  interruptCommands,
  type Model,
  type PrivateView,
  type ProcModel,
  type Real,
  readAll,
  THROUGH,
} from "./cow-commands.js";
import { expectSame, OFFSETS, va, WINDOW_PAGES, World } from "./cow-machine.js";
import { type Law, type LawOptions, runLaws } from "./law.js";

/**
 * Frames of the out-of-memory law's machine (frame 0 reserved): the segments' first pages and the
 * first process take about half, so a few forks and copies exhaust it.
 */
const OOM_FRAMES = 28;
/** First page of the out-of-memory law's window: pages 0-3 lie below 2 MiB, pages 4-7 above. */
const OOM_WINDOW_PAGE = 0x200 - WINDOW_PAGES / 2;

/** Options of {@link cowStrategyLaws}: the shared {@link LawOptions} plus the machine size. */
export interface CowLawOptions extends LawOptions {
  /**
   * Frames of simulated RAM per run. Default 1024 (4 MiB). The out-of-memory law ignores it: its
   * machine has 28 frames, so that forks and faults run out.
   */
  readonly frames?: number;
}

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

  /**
   * One model-based run: the first process, the commands, a final readAll and the leak check.
   * `tight`: the out-of-memory law's machine ({@link OOM_FRAMES} frames, the window across a
   * 2 MiB boundary, the first process's private area across it too).
   */
  const modelRun = (cmds: Iterable<fc.Command<Model, Real>>, tight = false): void => {
    const w = tight
      ? new World(factory(), OOM_FRAMES, { windowPage: OOM_WINDOW_PAGE, mayRunOut: true })
      : world();
    // Two named segments whose even pages hold a byte at every offset the commands use, so that a
    // private mapping of one has bytes to read through and to copy at its first write.
    const segments = [0, 1].map((s) => {
      const seg = w.sys.shm.create(`/s${s}`, WINDOW_PAGES);
      return Array.from({ length: WINDOW_PAGES }, (_, pg) => {
        const bytes = new Map<number, number>();
        if (pg % 2 === 1) return bytes;
        const frame = w.sys.store.zeroFill(seg.object, pg)!;
        OFFSETS.forEach((off, k) => {
          const v = 0x40 + s * 0x20 + pg * 3 + k;
          w.sys.memory.write8(frame * 4096 + off, v);
          bytes.set(off, v);
        });
        return bytes;
      });
    });
    // One process with the window mapped read-write, so writes land from the start: pages 0-3
    // private (0-5 on the tight machine, across its 2 MiB boundary), 4-5 shared, and 6-7 a
    // private mapping of segment /s0's pages 6-7 (page 6 holds bytes, page 7 is not resident).
    const first = w.sys.createSpace();
    const priv = tight ? 6 : 4;
    const segPage = 6;
    first.map({ length: priv * 4096, prot: RW, placement: { kind: "fixed", va: w.va(0) } });
    if (priv < segPage) {
      first.map({
        length: (segPage - priv) * 4096,
        prot: RW,
        sharing: "shared",
        placement: { kind: "fixed", va: w.va(priv) },
      });
    }
    first.map({
      length: (WINDOW_PAGES - segPage) * 4096,
      prot: RW,
      object: w.sys.shm.open("/s0").object,
      offset: segPage,
      placement: { kind: "fixed", va: w.va(segPage) },
    });
    // Every anonymous page holds a byte from the start, so that a fork always has pages to share
    // and a write after it has something to copy (with empty pages, 3 runs in 4 never copied a
    // page at all). The segment's pages are left untouched: the commands read them through first.
    const pm: ProcModel = new Map();
    for (let pg = 0; pg < WINDOW_PAGES; pg++) {
      if (pg >= segPage) {
        const segment = segments[0]![pg]!;
        const view: PrivateView = {
          segment,
          name: `/s0 page ${pg}`,
          touched: false,
          written: false,
          candidates: [THROUGH],
        };
        pm.set(pg, { prot: RW, bytes: new Map(), shared: false, guard: false, view });
        continue;
      }
      pm.set(pg, { prot: RW, bytes: new Map([[0, pg + 1]]), shared: pg >= priv, guard: false, view: null });
      expectSame(`first process: write page ${pg}`, w.store(first, w.va(pg), pg + 1, 0), null);
    }
    const real: Real = { world: w, procs: [first] };
    const model: Model = { procs: [pm], segments };
    fc.modelRun(() => ({ model, real }), cmds);
    readAll(model, real); // every byte of every process, whatever the last reads missed
    w.finish(real.procs);
  };

  return [
    {
      name: "every read returns the bytes an eager copy holds (map/unmap/protect/fork/write/read/exit)",
      check: () =>
        fc.assert(
          fc.property(fc.commands(cowCommands, { maxCommands: maxSteps, size: "max" }), (c) => modelRun(c)),
          params,
        ),
    },
    {
      name: "no frame is reused before every CPU acknowledged its shootdown (the model, with CPUs that disable interrupts)",
      check: () =>
        fc.assert(
          fc.property(fc.commands(interruptCommands, { maxCommands: maxSteps, size: "max" }), (c) =>
            modelRun(c),
          ),
          params,
        ),
    },
    {
      name: `out of memory: a refused fork, fault or spawn changes nothing and leaks nothing (the model on a machine of ${OOM_FRAMES} frames)`,
      check: () =>
        fc.assert(
          fc.property(fc.commands(cowCommands, { maxCommands: maxSteps, size: "max" }), (cmds) =>
            modelRun(cmds, true),
          ),
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
              w.check();
              w.finish(spaces);
            },
          ),
          params,
        ),
    },
    {
      name: "fork copies nothing until a write: after reads both sides map the fork-time frame, and the last holder's write reuses it",
      check: () =>
        fc.assert(
          fc.property(
            fc.uniqueArray(fc.nat({ max: 7 }), { minLength: 1, maxLength: 8 }),
            fc.array(fc.tuple(fc.boolean(), fc.nat({ max: 7 }), fc.nat({ max: 1 })), { maxLength: 16 }),
            fc.boolean(),
            (written, reads, childExits) => {
              const w = world();
              const parent = w.sys.createSpace();
              parent.map({ length: 8 * 4096, prot: RW, placement: { kind: "fixed", va: va(0) } });
              const want = (pg: number) => (written.includes(pg) ? pg + 1 : 0);
              const frameOf = (s: AddressSpace, pg: number) => s.pmap.lookup(va(pg))?.frame ?? null;
              const before = new Map<number, number | null>();
              for (const pg of written) {
                w.store(parent, va(pg), pg + 1, 0);
                before.set(pg, frameOf(parent, pg));
              }
              const child = parent.fork()!;
              const spaces = [parent, child];
              for (const [inChild, pg, cpu] of reads) {
                expectSame(`read page ${pg}`, w.load(spaces[inChild ? 1 : 0]!, va(pg), cpu), want(pg));
              }
              for (const pg of written) {
                for (let k = 0; k < 2; k++) {
                  expectSame(`space ${k} page ${pg}`, w.load(spaces[k]!, va(pg), k), want(pg));
                  // A read may map the page read-only but never give it a frame of its own.
                  const now = frameOf(spaces[k]!, pg);
                  if (now !== before.get(pg)) {
                    throw new Error(
                      `space ${k} page ${pg}: copied without a write (frame ${before.get(pg)} → ${now} after the fork and reads); fork and reads must leave both sides on frame ${before.get(pg)}`,
                    );
                  }
                }
              }
              w.check();
              // One side exits: the other now holds every page alone, so its writes copy nothing.
              const [gone, kept, cpu] = childExits ? [child, parent, 0] : [parent, child, 1];
              w.unload(gone);
              gone.destroy();
              for (const pg of written) {
                expectSame(
                  `write page ${pg} after the other side exited`,
                  w.store(kept, va(pg), 0x80 | pg, cpu),
                  null,
                );
                const now = frameOf(kept, pg);
                if (now !== before.get(pg)) {
                  throw new Error(
                    `page ${pg}: the write copied (frame ${before.get(pg)} → ${now}); the last holder must reuse frame ${before.get(pg)} (count 1, or a merged chain)`,
                  );
                }
                expectSame(`page ${pg}: read back`, w.load(kept, va(pg), cpu), 0x80 | pg);
              }
              w.check();
              w.finish([kept]);
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
                w.check();
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
                w.check();
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
