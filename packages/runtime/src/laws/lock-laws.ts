/**
 * Laws of a {@link Lock}: run it under a real simulated kernel, with threads on several CPUs,
 * timer preemption at every trap boundary, and fast-check choosing the shape of the contention.
 *
 * ```
 *   one scenario (all parameters drawn by fast-check; a failing one shrinks to the smallest):
 *     init: counter = 0, inside = 0; R rounds of: create T threads, join them all
 *     each thread, I times:  lock
 *                              inside != 0 ? violation++ : inside = tid    ← nobody else is in
 *                              v = counter; compute(1..c); counter = v + 1 ← a non-atomic increment
 *                              inside = 0
 *                            unlock; compute(1..gap)
 *     (the work varies per thread and iteration; a memory access costs 2 cycles or 20..60)
 *
 *   laws: no violation and counter == R·T·I      (mutual exclusion)
 *         the run ends "all-exited"              (no lost wakeup strands a sleeper; no deadlock)
 *         two runs of one scenario are identical (no hidden state outside simulated memory)
 * ```
 *
 * **Power.** A preemption falls at the trap during which the quantum ran out, so a trap is hit in
 * proportion to the cycles it costs. Three things spread the hits over a protocol's own traps:
 * half the scenarios run on one CPU with ticks of 30..50 cycles (after the 300-cycle context
 * switch a thread runs only a few traps per slice); there a memory access costs 20..60 cycles, not
 * the kernel's 2, so a one-access window (an unlock's load before its store) is hit as often as a
 * `compute`; and the work in and between sections varies, so the schedule is not periodic.
 * Rounds matter for a different reason: a wakeup lost while another thread will still take the
 * lock is repaired by that thread's unlock, and strands the sleeper only at a contest's last
 * unlock; R rounds give R last unlocks. Measured at the default 50 runs, seeds 1..8, progress law:
 * an unlock that wakes before it stores 0 is caught for 8 seeds; an unlock that reads the word and
 * stores 0 in two steps for 8 (0 in 3 before the priced accesses); an unlock that reads its
 * waiter count before the release for 5 (0 in 3 before the rounds); a retry with xchg(1) after
 * EAGAIN for 6 (1 in 3 before). `test/laws.test.ts` pins a seed for each.
 *
 * Related: `../sync/lock-api.ts` (the interface and our two locks), `law.ts`.
 */
import { compute, libc, mem, type UserCode } from "@osbricks/kernel";
import fc from "fast-check";
import type { Lock } from "../sync/lock-api.js";
import type { Pthread } from "../thread/pthread.js";
import { fcParams, type Law, type LawOptions } from "./law.js";
import { runScenarioKernel, workHash } from "./scenario-kernel.js";

/** The shape of one contention scenario. */
export interface LockScenario {
  /** Threads besides main, 1..8. */
  readonly threads: number;
  /** Lock/unlock pairs per thread in each round. */
  readonly iterations: number;
  /**
   * Times the whole contest runs, each with fresh threads that main creates and joins. Default 1.
   * A wakeup lost while another thread will still take the lock is often repaired by that
   * thread's own unlock; lost at the contest's last unlock, it strands a sleeper for good. More
   * rounds, more last unlocks.
   */
  readonly rounds?: number;
  /** Simulated CPUs, 1..4. */
  readonly cpus: number;
  /** Timer period in cycles (smaller: more preemption inside critical sections). */
  readonly tick: number;
  /** Cycles spent inside the critical section, between the load and the store of the counter. */
  readonly critical: number;
  /** Cycles between an unlock and the next lock. */
  readonly gap: number;
  /** The kernel's seed. */
  readonly seed: number;
  /**
   * Cycles one user memory access (load, store, atomic) costs. Default 2, the kernel's own. Dearer
   * accesses move the preemption points off `compute` and onto the protocol's own traps.
   */
  readonly memoryCost?: number;
}

/** What a scenario run observed. */
export interface LockRun {
  /** How the kernel's run ended: "all-exited", "deadlock" (someone sleeps forever) or "limit". */
  readonly outcome: string;
  /** The counter's final value (expected threads × iterations). */
  readonly counter: number;
  /** Times a thread found another inside the critical section. */
  readonly violations: number;
  /** Simulated cycles and traps of the run (for determinism checks). */
  readonly cycles: number;
  readonly steps: number;
  /** Messages of processes killed for throwing. */
  readonly crashes: readonly string[];
}

/** Most traps one scenario may take before it counts as livelocked. */
export const LOCK_SCENARIO_MAX_STEPS = 2_000_000;

/**
 * Run one scenario of `lock` on a fresh kernel.
 * @example
 * ```ts
 * const r = runLockScenario(futexLock, { threads: 4, iterations: 20, cpus: 2, tick: 300, critical: 20, gap: 0, seed: 1 });
 * r.counter === 80 && r.violations === 0 && r.outcome === "all-exited";
 * ```
 */
export function runLockScenario(lock: Lock, s: LockScenario): LockRun {
  let violations = 0;
  let counter = -1;
  const words = Math.ceil(lock.size / 8) * 8;
  const main = function* (self: Pthread): UserCode<number> {
    const region = yield* libc.sbrk(words + 16); // zero-filled heap memory, 8-byte aligned
    const m = region;
    const inside = region + words;
    const count = inside + 4;
    const body = function* (t: Pthread): UserCode<number> {
      for (let i = 0; i < s.iterations; i++) {
        // Each section's work varies with (scenario, thread, iteration): fixed amounts make the
        // schedule periodic, and a periodic schedule preempts at the same few traps every time.
        const h = workHash(s.seed, t.tid, i);
        yield* lock.lock(t, m);
        if ((yield* mem.load32(inside)) !== 0) violations++;
        yield* mem.store32(inside, t.tid);
        const v = yield* mem.load32(count);
        if (s.critical > 0) yield* compute(1 + ((h >>> 0) % s.critical));
        yield* mem.store32(count, v + 1);
        if ((yield* mem.load32(inside)) !== t.tid) violations++;
        yield* mem.store32(inside, 0);
        yield* lock.unlock(t, m);
        if (s.gap > 0) yield* compute(1 + ((h >>> 16) % s.gap));
      }
      return 0;
    };
    for (let round = 0; round < (s.rounds ?? 1); round++) {
      const ts: number[] = [];
      for (let i = 0; i < s.threads; i++) {
        const r = yield* self.create(body);
        if (r.error === 0) ts.push(r.thread);
      }
      for (const t of ts) yield* self.join(t);
    }
    counter = yield* mem.load32(count);
    return 0;
  };
  const r = runScenarioKernel("lock-law", s, LOCK_SCENARIO_MAX_STEPS, main);
  return {
    outcome: r.outcome,
    counter,
    violations,
    cycles: r.cycles,
    steps: r.steps,
    crashes: r.crashes,
  };
}

/** The counter a correct lock leaves after scenario `s`: rounds × threads × iterations. */
export function lockScenarioCount(s: LockScenario): number {
  return (s.rounds ?? 1) * s.threads * s.iterations;
}

/** fast-check arbitrary of scenarios (small enough that a run takes milliseconds). */
export function lockScenarioArb(): fc.Arbitrary<LockScenario> {
  const shape = {
    threads: fc.integer({ min: 2, max: 5 }),
    iterations: fc.integer({ min: 1, max: 4 }),
    rounds: fc.integer({ min: 1, max: 8 }),
    critical: fc.integer({ min: 0, max: 200 }),
    gap: fc.integer({ min: 0, max: 300 }),
    seed: fc.integer({ min: 1, max: 0x7fff_ffff }),
    memoryCost: fc.oneof(fc.constant(2), fc.integer({ min: 20, max: 60 })),
  };
  return fc.oneof(
    // One CPU whose quantum (10 ticks: 300..500 cycles) barely exceeds the 300-cycle context
    // switch: every thread runs a few traps per slice, so preemption falls between any two traps
    // of a protocol, where lost wakeups and broken exclusion show.
    fc.record({
      ...shape,
      cpus: fc.constant(1),
      tick: fc.integer({ min: 30, max: 50 }),
      memoryCost: fc.integer({ min: 20, max: 60 }),
    }),
    fc.record({
      ...shape,
      cpus: fc.integer({ min: 1, max: 3 }),
      // Ticks of 10..200 cycles half the time: preemption inside critical sections, often.
      tick: fc.oneof(fc.integer({ min: 10, max: 200 }), fc.integer({ min: 200, max: 3000 })),
    }),
  );
}

/**
 * The laws every {@link Lock} must obey (see the banner).
 * @example
 * ```ts
 * for (const law of lockLaws(() => myLock)) it(law.name, () => law.check());
 * ```
 */
export function lockLaws(factory: () => Lock, options: LawOptions = {}): Law[] {
  const params = fcParams(options);
  const name = factory().name;
  const describeRun = (r: LockRun): string =>
    `outcome=${r.outcome} counter=${r.counter} violations=${r.violations} crashes=${r.crashes.join("; ")}`;
  return [
    {
      name: `${name}: mutual exclusion — nobody else is inside, and the counter is exactly rounds × threads × iterations`,
      check: () =>
        fc.assert(
          fc.property(lockScenarioArb(), (s) => {
            const r = runLockScenario(factory(), s);
            if (r.crashes.length > 0 || r.violations !== 0 || r.counter !== lockScenarioCount(s))
              throw new Error(describeRun(r));
          }),
          params,
        ),
    },
    {
      name: `${name}: progress — every thread finishes (no lost wakeup, no deadlock, no livelock)`,
      check: () =>
        fc.assert(
          fc.property(lockScenarioArb(), (s) => {
            // Heavy contention, critical sections that straddle ticks: the windows lost wakeups live in.
            const r = runLockScenario(factory(), { ...s, gap: 0 });
            if (r.outcome !== "all-exited") throw new Error(describeRun(r));
          }),
          params,
        ),
    },
    {
      name: `${name}: determinism — one scenario run twice takes the same cycles and traps`,
      check: () =>
        fc.assert(
          fc.property(lockScenarioArb(), (s) => {
            const a = runLockScenario(factory(), s);
            const b = runLockScenario(factory(), s);
            if (a.cycles !== b.cycles || a.steps !== b.steps || a.counter !== b.counter)
              throw new Error(
                `run 1: ${a.cycles} cycles ${a.steps} steps; run 2: ${b.cycles} cycles ${b.steps} steps`,
              );
          }),
          { ...params, numRuns: Math.max(10, Math.ceil(params.numRuns / 5)) },
        ),
    },
  ];
}

/** Run {@link lockLaws}, throwing on the first violation. */
export function runLockLaws(factory: () => Lock, options: LawOptions = {}): void {
  for (const law of lockLaws(factory, options)) law.check();
}
