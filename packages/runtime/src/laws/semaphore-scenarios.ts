/**
 * The scenarios of the semaphore laws (`semaphore-laws.ts`, whose banner draws each one): their
 * shapes, the runners that play them under a simulated kernel with a given {@link Semaphore},
 * what a correct semaphore leaves, and fast-check's arbitrary of them. Exported so that a student
 * can replay the counterexample a law printed, step by step.
 *
 * Related: `semaphore-laws.ts` (the laws over these runs), `scenario-kernel.ts` (the kernel).
 */
import { compute, libc, mem, type UserCode } from "@osbricks/kernel";
import fc from "fast-check";
import { futexWait, futexWake, WAKE_ALL } from "../sync/lll.js";
import type { Semaphore } from "../sync/semaphore-api.js";
import type { Pthread } from "../thread/pthread.js";
import { runScenarioKernel, workHash } from "./scenario-kernel.js";

/** The shape of one semaphore scenario (each runner reads the fields it needs). */
export interface SemaphoreScenario {
  /** Posters (posts) or pool users (pool), 1..5; progress uses its parity: 1 or 2 pairs. */
  readonly threads: number;
  /** Waiter threads (posts), 1..4. */
  readonly waiters: number;
  /** Posts per poster, rounds per pool user, a third of the progress rounds; 1..10. */
  readonly iterations: number;
  /** The pool's size, 1..4 (the posts and progress scenarios start at 0). */
  readonly initial: number;
  /** Most cycles of work in and between operations (varied per thread and round). */
  readonly work: number;
  /** Simulated CPUs, 1..3. */
  readonly cpus: number;
  /** Timer period in cycles. */
  readonly tick: number;
  /** Cycles one user memory access costs (the kernel's own is 2). */
  readonly memoryCost: number;
  /** The kernel's seed. */
  readonly seed: number;
}

/** What a scenario run observed. */
export interface SemaphoreRun {
  /** How the kernel's run ended: "all-exited", "deadlock" (someone sleeps forever) or "limit". */
  readonly outcome: string;
  /** Waits (or successful try-waits) that returned. */
  readonly taken: number;
  /** Most threads holding a token at once (pool). */
  readonly maxHolders: number;
  /** The counter incremented under the semaphore (pool). */
  readonly counter: number;
  /** value() at the end, read by main (-1 when main never got there). */
  readonly finalValue: number;
  /** The smallest and largest value() any thread saw. */
  readonly minValue: number;
  readonly maxValue: number;
  /** Traps the run took, and its simulated cycles (for the determinism law). */
  readonly steps: number;
  readonly cycles: number;
  /** Messages of processes killed for throwing. */
  readonly crashes: readonly string[];
}

/** Most traps one scenario may take before it counts as livelocked. */
export const SEMAPHORE_SCENARIO_MAX_STEPS = 400_000;

/** The threads of the progress scenario are never joined (a waiter may stay blocked): detached. */
const DETACHED = { detached: true } as const;

/** Refused try-waits in a row after which a pool user waits instead. */
const TRY_LIMIT = 2000;

/** Observations shared by every runner, gathered in JavaScript between traps. */
class Watch {
  taken = 0;
  holders = 0;
  maxHolders = 0;
  counter = -1;
  finalValue = -1;
  minValue = Number.POSITIVE_INFINITY;
  maxValue = Number.NEGATIVE_INFINITY;
  /** Record one value() reading. */
  saw(v: number): void {
    if (v < this.minValue) this.minValue = v;
    if (v > this.maxValue) this.maxValue = v;
  }
  result(r: {
    readonly outcome: string;
    readonly steps: number;
    readonly cycles: number;
    readonly crashes: readonly string[];
  }): SemaphoreRun {
    return {
      outcome: r.outcome,
      steps: r.steps,
      cycles: r.cycles,
      taken: this.taken,
      maxHolders: this.maxHolders,
      counter: this.counter,
      finalValue: this.finalValue,
      minValue: this.minValue === Number.POSITIVE_INFINITY ? 0 : this.minValue,
      maxValue: this.maxValue === Number.NEGATIVE_INFINITY ? 0 : this.maxValue,
      crashes: r.crashes,
    };
  }
}

/** Boot a kernel for scenario `s` whose init runs `main`; run it to the end. */
function runKernel(s: SemaphoreScenario, main: (self: Pthread) => UserCode<number>) {
  return runScenarioKernel("sem-law", s, SEMAPHORE_SCENARIO_MAX_STEPS, main);
}

/** `1..work` cycles of work chosen by `h` (none when `work` is 0). */
function* work(s: SemaphoreScenario, h: number): UserCode<void> {
  if (s.work > 0) yield* compute(1 + (h % s.work));
}

/**
 * The pause before an operation: half the time (by `h`) a `sched_yield` first, so that the
 * operation starts a fresh time slice — on one CPU with a quantum just above the context switch
 * that slice is a few traps long, and it ends inside the operation's protocol; then some work.
 */
function* pause(t: Pthread, s: SemaphoreScenario, h: number): UserCode<void> {
  if ((h & 0x10_0000) !== 0) yield* t.yield();
  yield* work(s, h);
}

/** Zero-filled room for the semaphore (8-byte aligned) and `extra` bytes after it. */
function* alloc(sem: Semaphore, extra: number): UserCode<number> {
  return yield* libc.sbrk(Math.ceil(sem.size / 8) * 8 + extra);
}

/**
 * The posts scenario: `threads` posters × `iterations` posts, `waiters` waiters sharing the waits
 * unevenly (waiter 0 takes the remainder); the semaphore starts at 0.
 * @example
 * ```ts
 * const s = { threads: 2, waiters: 3, iterations: 5, initial: 1, work: 50, cpus: 1, tick: 40, memoryCost: 30, seed: 7 };
 * runPostsScenario(nptlSemaphore, s).taken; // 10
 * ```
 */
export function runPostsScenario(sem: Semaphore, s: SemaphoreScenario): SemaphoreRun {
  const w = new Watch();
  const posts = s.threads * s.iterations;
  const r = runKernel(s, function* (self) {
    const sa = yield* alloc(sem, 0);
    yield* sem.init(self, sa, 0);
    const ts: number[] = [];
    for (let q = 0; q < s.waiters; q++) {
      const share = Math.floor(posts / s.waiters) + (q === 0 ? posts % s.waiters : 0);
      const t = yield* self.create(function* (t: Pthread): UserCode<number> {
        for (let i = 0; i < share; i++) {
          yield* pause(t, s, workHash(s.seed, t.tid, i));
          yield* sem.wait(t, sa);
          w.taken++;
          w.saw(yield* sem.value(t, sa));
        }
        return 0;
      });
      ts.push(t.thread);
    }
    for (let p = 0; p < s.threads; p++) {
      const t = yield* self.create(function* (t: Pthread): UserCode<number> {
        for (let i = 0; i < s.iterations; i++) {
          yield* pause(t, s, workHash(s.seed, t.tid, i) >>> 8);
          yield* sem.post(t, sa);
          w.saw(yield* sem.value(t, sa));
        }
        return 0;
      });
      ts.push(t.thread);
    }
    for (const t of ts) yield* self.join(t);
    w.finalValue = yield* sem.value(self, sa);
    return 0;
  });
  return w.result(r);
}

/**
 * The pool scenario: a semaphore of `initial` tokens, `threads` users × `iterations` rounds of
 * take (wait, or a try-wait loop one round in four), hold, post. Inside, a non-atomic increment of
 * a counter (only meaningful, and checked, when `initial` is 1).
 */
export function runPoolScenario(sem: Semaphore, s: SemaphoreScenario): SemaphoreRun {
  const w = new Watch();
  const r = runKernel(s, function* (self) {
    const sa = yield* alloc(sem, 8);
    const count = sa + Math.ceil(sem.size / 8) * 8;
    yield* sem.init(self, sa, s.initial);
    const ts: number[] = [];
    for (let u = 0; u < s.threads; u++) {
      const t = yield* self.create(function* (t: Pthread): UserCode<number> {
        for (let i = 0; i < s.iterations; i++) {
          const h = workHash(s.seed, t.tid, i);
          yield* pause(t, s, h >>> 12);
          w.saw(yield* sem.value(t, sa));
          if ((h & 3) === 0) {
            // A try-wait loop; it gives up and waits after TRY_LIMIT refusals in a row, so a
            // semaphore whose value went wrong deadlocks at once instead of spinning to the limit.
            let tries = 0;
            while (!(yield* sem.tryWait(t, sa))) {
              if (++tries === TRY_LIMIT) {
                yield* sem.wait(t, sa);
                break;
              }
              yield* t.yield();
            }
          } else yield* sem.wait(t, sa);
          w.taken++;
          if (++w.holders > w.maxHolders) w.maxHolders = w.holders;
          const v = yield* mem.load32(count);
          yield* work(s, h >>> 4);
          yield* mem.store32(count, v + 1);
          w.holders--;
          yield* sem.post(t, sa);
        }
        return 0;
      });
      ts.push(t.thread);
    }
    for (const t of ts) yield* self.join(t);
    w.counter = yield* mem.load32(count);
    w.finalValue = yield* sem.value(self, sa);
    return 0;
  });
  return w.result(r);
}

/** One step of the single-threaded try-wait scenario. */
export type TryOp = "post" | "tryWait" | "value";

/** What the try-wait scenario saw: one result per op (try-wait: 1 taken / 0 refused; value: it). */
export interface TryRun {
  readonly outcome: string;
  readonly results: readonly number[];
  readonly crashes: readonly string[];
}

/**
 * Run `ops` in one thread on a semaphore initialised to `initial`; nothing else runs, so the
 * value is known exactly before every step.
 */
export function runTryScenario(sem: Semaphore, initial: number, ops: readonly TryOp[], seed = 1): TryRun {
  const results: number[] = [];
  const s: SemaphoreScenario = {
    threads: 1,
    waiters: 0,
    iterations: 0,
    initial,
    work: 0,
    cpus: 1,
    tick: 1000,
    memoryCost: 2,
    seed,
  };
  const r = runKernel(s, function* (self) {
    const sa = yield* alloc(sem, 0);
    yield* sem.init(self, sa, initial);
    for (const op of ops) {
      if (op === "post") {
        yield* sem.post(self, sa);
        results.push(0);
      } else if (op === "tryWait") results.push((yield* sem.tryWait(self, sa)) ? 1 : 0);
      else results.push(yield* sem.value(self, sa));
    }
    return 0;
  });
  return { outcome: r.outcome, results, crashes: r.crashes };
}

/** The try-wait model: what each op of {@link runTryScenario} must return. */
export function expectedTryResults(initial: number, ops: readonly TryOp[]): number[] {
  let v = initial;
  return ops.map((op) => {
    if (op === "post") {
      v++;
      return 0;
    }
    if (op === "tryWait") {
      if (v === 0) return 0;
      v--;
      return 1;
    }
    return v;
  });
}

/** What {@link runProgressScenario} read at the end of each round. */
export interface ProgressCheckpoint {
  /** Waits returned so far. */
  readonly taken: number;
  /** value() once the round settled. */
  readonly value: number;
}

/** The checkpoint a correct semaphore reaches after `round` + 1 rounds of scenario `s`. */
export function expectedCheckpoint(s: SemaphoreScenario, round: number): ProgressCheckpoint {
  return { taken: (round + 1) * progressPairs(s), value: 0 };
}

/** Poster/waiter pairs of the progress scenario: 1 or 2 (few, so every race is a round's last). */
export function progressPairs(s: SemaphoreScenario): number {
  return 1 + ((s.threads - 1) & 1);
}

/** Rounds of the progress scenario: 3 × iterations. */
export function progressRounds(s: SemaphoreScenario): number {
  return 3 * s.iterations;
}

/**
 * The progress scenario, in `iterations` rounds on a semaphore that starts at 0, with `threads`
 * posters and as many waiters that live through every round. Main starts a round by bumping a
 * round word and waking everyone on it; each poster then posts once and each waiter waits once,
 * each after its own pause. Main waits for the posts, lets the waiters settle (yield and work until
 * every wait of the round returned, at most 400 times) and reads value(): 0, with every wait
 * back, is the only right answer. Each round thus ends in the race a lost wakeup needs — the last
 * post against the last arrival — and is checked at once. The process ends after the last round
 * (or the first that went wrong), ending any waiter still blocked.
 */
export function runProgressScenario(sem: Semaphore, s: SemaphoreScenario): ProgressRun {
  const w = new Watch();
  const checkpoints: ProgressCheckpoint[] = [];
  let posted = 0;
  const r = runKernel(s, function* (self) {
    const sa = yield* alloc(sem, 8);
    const roundWord = sa + Math.ceil(sem.size / 8) * 8;
    yield* sem.init(self, sa, 0);
    /** Sleep until main starts round `round` (the word then holds round + 1). */
    const awaitRound = function* (round: number): UserCode<void> {
      for (;;) {
        const now = yield* mem.load32(roundWord);
        if (now > round) return;
        yield* futexWait(roundWord, now);
      }
    };
    const waiter = function* (t: Pthread): UserCode<number> {
      for (let round = 0; round < progressRounds(s); round++) {
        yield* awaitRound(round);
        yield* pause(t, s, workHash(s.seed, t.tid, round));
        yield* sem.wait(t, sa);
        w.taken++;
      }
      return 0;
    };
    const poster = function* (t: Pthread): UserCode<number> {
      for (let round = 0; round < progressRounds(s); round++) {
        yield* awaitRound(round);
        yield* pause(t, s, workHash(s.seed, t.tid, round) >>> 8);
        yield* sem.post(t, sa);
        posted++;
      }
      return 0;
    };
    for (let i = 0; i < progressPairs(s); i++) {
      yield* self.create(waiter, 0, DETACHED);
      yield* self.create(poster, 0, DETACHED);
    }
    for (let round = 0; round < progressRounds(s); round++) {
      yield* mem.store32(roundWord, round + 1);
      yield* futexWake(roundWord, WAKE_ALL);
      const want = expectedCheckpoint(s, round);
      while (posted < want.taken) yield* self.yield();
      for (let i = 0; i < 400 && w.taken < want.taken; i++) {
        yield* self.yield();
        yield* compute(300);
      }
      const value = yield* sem.value(self, sa);
      w.saw(value);
      checkpoints.push({ taken: w.taken, value });
      if (w.taken !== want.taken || value !== want.value) break;
    }
    return 0; // the process ends here, with any waiter still blocked
  });
  return { ...w.result(r), checkpoints };
}

/** What a progress run observed: a {@link SemaphoreRun} and the reading of each round. */
export interface ProgressRun extends SemaphoreRun {
  readonly checkpoints: readonly ProgressCheckpoint[];
}

/** fast-check arbitrary of scenarios (small enough that a run takes milliseconds). */
export function semaphoreScenarioArb(): fc.Arbitrary<SemaphoreScenario> {
  const shape = {
    threads: fc.integer({ min: 1, max: 5 }),
    waiters: fc.integer({ min: 1, max: 4 }),
    iterations: fc.integer({ min: 1, max: 10 }),
    initial: fc.integer({ min: 1, max: 4 }),
    work: fc.integer({ min: 0, max: 200 }),
    seed: fc.integer({ min: 1, max: 0x7fff_ffff }),
  };
  return fc.oneof(
    // One CPU whose quantum (10 ticks: 300..500 cycles) barely exceeds the 300-cycle context
    // switch, with dear memory accesses: preemption falls between any two traps of a protocol.
    fc.record({
      ...shape,
      cpus: fc.constant(1),
      tick: fc.integer({ min: 30, max: 50 }),
      memoryCost: fc.integer({ min: 20, max: 60 }),
      work: fc.integer({ min: 0, max: 60 }),
    }),
    fc.record({
      ...shape,
      cpus: fc.integer({ min: 1, max: 3 }),
      tick: fc.oneof(fc.integer({ min: 10, max: 200 }), fc.integer({ min: 200, max: 3000 })),
      memoryCost: fc.oneof(fc.constant(2), fc.integer({ min: 20, max: 60 })),
    }),
  );
}
