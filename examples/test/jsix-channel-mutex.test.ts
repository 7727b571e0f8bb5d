// The channel's mutex and condition on the jsix-like kernel itself: j6_futex_wait/wake keyed by
// physical address, words in a VMA that two processes map at different addresses. A parent and
// the threads of a child process it builds contend for one mutex word; fast-check draws threads,
// iterations, CPUs, scheduling policy and seed. Mutual exclusion: nobody finds another inside,
// and a non-atomic counter ends exact. Progress: every run ends (no lost wakeup strands a sleeper).
import { compute, Kernel, mem, type ProcessStart, ProgramRegistry, type UserCode } from "@osbricks/kernel";
import { BuddyAllocator } from "@osbricks/vm";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { VmaFlags } from "../src/jsix/abi.js";
import { jsixSync } from "../src/jsix/lib/channel/futex.js";
import { mutexLock, mutexUnlock } from "../src/jsix/lib/channel/mutex.js";
import { j6 } from "../src/jsix/lib.js";
import { jsixPersonality } from "../src/jsix/personality.js";
import { POLICIES, TICK } from "../src/lunaix/kernel.js";

const PARENT_ADDR = 0x3300_0000;
const CHILD_ADDR = 0x3400_0000; // the same frames, another address
const MUTEX = 0;
const INSIDE = 4;
const COUNT = 8;
const DONE = 12;
const VIOLATIONS = 16;

interface Contest {
  readonly childThreads: number;
  readonly iterations: number;
  readonly critical: number;
  readonly cpus: number;
  readonly policy: string;
  readonly seed: number;
  /** The lock under test (default: the channel's mutex). */
  readonly lock?: (va: number) => UserCode<unknown>;
  /** Its unlock. */
  readonly unlock?: (va: number) => UserCode<unknown>;
}

function runContest(c: Contest): { outcome: string; count: number; violations: number; crashes: string[] } {
  const result = { outcome: "", count: -1, violations: -1, crashes: [] as string[] };
  const lock = c.lock ?? ((va: number) => mutexLock(jsixSync, va));
  const unlock = c.unlock ?? ((va: number) => mutexUnlock(jsixSync, va));
  function* worker(base: number, id: number): UserCode<void> {
    for (let i = 0; i < c.iterations; i++) {
      yield* lock(base + MUTEX);
      if ((yield* mem.load32(base + INSIDE)) !== 0) yield* mem.xadd32(base + VIOLATIONS, 1);
      yield* mem.store32(base + INSIDE, id);
      const v = yield* mem.load32(base + COUNT);
      yield* compute(1 + ((id * 7919 + i * 104_729 + c.seed) % c.critical));
      yield* mem.store32(base + COUNT, v + 1);
      if ((yield* mem.load32(base + INSIDE)) !== id) yield* mem.xadd32(base + VIOLATIONS, 1);
      yield* mem.store32(base + INSIDE, 0);
      yield* unlock(base + MUTEX);
    }
  }
  function* contest(start: ProcessStart): UserCode<number> {
    const role = Number(start.argv[1] ?? 0);
    if (role > 0) {
      yield* worker(CHILD_ADDR, role + 1);
      yield* mem.xadd32(CHILD_ADDR + DONE, 1);
      yield* j6.j6_futex_wake(CHILD_ADDR + DONE, 1);
      // Returning from main would end the whole process (exit, as C's crt0 calls it), killing the
      // threads still contending: a worker ends only itself.
      yield* j6.j6_thread_exit();
      return 0;
    }
    const vma = yield* j6.j6_vma_create_map(4096, PARENT_ADDR, VmaFlags.WRITE);
    const p = yield* j6.j6_process_create();
    if (vma < 0 || p < 0 || (yield* j6.j6_vma_map(vma, p, CHILD_ADDR)) < 0) return 1;
    for (let t = 1; t <= c.childThreads; t++) if ((yield* j6.j6_thread_create(p, 0, t)) < 0) return 1;
    yield* worker(PARENT_ADDR, 1);
    for (;;) {
      const d = yield* mem.load32(PARENT_ADDR + DONE);
      if (d === c.childThreads) break;
      yield* j6.j6_futex_wait(PARENT_ADDR + DONE, d, -1);
    }
    result.count = yield* mem.load32(PARENT_ADDR + COUNT);
    result.violations = yield* mem.load32(PARENT_ADDR + VIOLATIONS);
    return 0;
  }
  const reg = new ProgramRegistry().register({ name: "contest", main: contest });
  const k = new Kernel({
    programs: reg,
    cpus: c.cpus,
    allocator: ({ frames }) => new BuddyAllocator({ frames }),
    policy: (cpu) => (POLICIES[c.policy] as NonNullable<(typeof POLICIES)[string]>)(cpu, c.seed),
    personality: jsixPersonality({ programs: ["contest"], serial: () => {} }),
    tick: TICK,
    seed: c.seed,
  });
  k.boot("contest");
  result.outcome = k.run({ maxSteps: 3_000_000 }).outcome;
  result.crashes = k.crashes.map((x) => x.message);
  return result;
}

describe("channel mutex on the jsix kernel, across two processes", () => {
  it("a parent and three child threads on two CPUs: exact count, nobody inside together", () => {
    const r = runContest({ childThreads: 3, iterations: 30, critical: 3000, cpus: 2, policy: "rr", seed: 1 });
    expect(r).toMatchObject({ outcome: "all-exited", count: 4 * 30, violations: 0, crashes: [] });
  });

  it("has teeth: a lock that tests and then sets in two traps lets two threads in", () => {
    const r = runContest({
      childThreads: 3,
      iterations: 30,
      critical: 3000,
      cpus: 2,
      policy: "rr",
      seed: 1,
      *lock(va) {
        while ((yield* mem.load32(va)) !== 0) yield* compute(10);
        yield* mem.store32(va, 1);
      },
      *unlock(va) {
        yield* mem.store32(va, 0);
      },
    });
    expect(r.outcome).toBe("all-exited");
    expect(r.violations).toBeGreaterThan(0);
  });

  it("any threads, CPUs, policy and seed: mutual exclusion and progress", () => {
    fc.assert(
      fc.property(
        fc.record({
          childThreads: fc.integer({ min: 1, max: 4 }),
          iterations: fc.integer({ min: 1, max: 25 }),
          critical: fc.integer({ min: 1, max: 4000 }),
          cpus: fc.integer({ min: 1, max: 3 }),
          policy: fc.constantFrom(...Object.keys(POLICIES)),
          seed: fc.nat(1_000_000),
        }),
        (c) => {
          const r = runContest(c);
          expect(r.crashes).toEqual([]);
          expect(r.outcome).toBe("all-exited");
          expect(r.violations).toBe(0);
          expect(r.count).toBe((c.childThreads + 1) * c.iterations);
        },
      ),
      { numRuns: 50 },
    );
  }, 60_000);
});
