/**
 * Laws of a {@link Semaphore}: run it under a real simulated kernel, with threads on several CPUs,
 * timer preemption at trap boundaries, and fast-check choosing the shape of each scenario.
 *
 * ```
 *   posts   (no lost post)   P posters × K posts; W waiters share the P·K waits unevenly;
 *                            main joins everyone
 *           law: every wait returns, exactly P·K of them, and the value ends at 0
 *   pool    (resource pool)  init v ∈ 1..4; T threads × I rounds: take a token (wait, or one
 *                            round in four a try-wait loop that yields between tries), hold it
 *                            for some work, post it back; holders counted as they enter and leave
 *           law: never more than v holders at once, and the value ends at v
 *   pool with v = 1          (binary semaphore) inside the section a non-atomic increment
 *                            (load; work; store) of a counter in simulated memory
 *           law: never two holders, and the counter is exactly T·I
 *   try     (single thread)  a random sequence of post / try-wait / value from init v, against
 *                            a counter as the model
 *           law: try-wait fails exactly when the model is 0, never blocks (a run that blocks
 *                ends in deadlock), and value() equals the model after every step
 *   progress                 3·I rounds from 0; 1 or 2 poster/waiter pairs live through them all;
 *                            main starts a round (a futex broadcast), each poster posts once and
 *                            each waiter waits once; main lets the round settle, reads value()
 *           law: after every round all its waits returned and value() is 0 — no thread left
 *                blocked while a token is there (each round ends in the race a lost wakeup needs:
 *                the last post against the last arrival)
 *   every scenario:          value() as the threads see it is never negative nor above the
 *                            tokens that ever existed
 *   determinism              one pool scenario run twice takes the same cycles and traps
 * ```
 *
 * **Power.** As in the lock and condition-variable laws, half the scenarios run on one CPU with
 * ticks of 30..50 cycles and memory accesses of 20..60 cycles, so that after the 300-cycle
 * context switch a thread runs only a few traps per slice and a preemption falls between any two
 * traps of a protocol; the work in and between operations varies per thread and round, and half
 * the operations start right after a `sched_yield`, at the head of a short slice, where the
 * slice's end falls inside the operation. Measured at the default 50 runs, seeds 1..8: a post
 * that reads the waiter count before adding its token (check-then-act) is caught by the progress
 * law for 7 seeds (before the rounds, when the race had to be the run's very last post, for 1);
 * a Zemaphore with `if` by the pool law for 6 seeds in 6; a wait that does not re-check after
 * waking, and a post that hands its token to a sleeper without adding it, for 4 in 4.
 * `test/semaphore-laws.test.ts` pins a seed for each planted bug.
 *
 * A law's message names the mistake it saw ("lost post", "too many holders", "negative value",
 * "blocked while tokens remain", "try-wait blocked"), so a student reads what went wrong before
 * fast-check's counterexample.
 *
 * Related: `../sync/semaphore-api.ts` (the interface), `lock-laws.ts` and `condvar-laws.ts` (the
 * same harness shape), `law.ts`.
 */
import { compute, libc, mem, type UserCode } from "@osbricks/kernel";
import fc from "fast-check";
import { futexWait, futexWake, WAKE_ALL } from "../sync/lll.js";
import type { Semaphore } from "../sync/semaphore-api.js";
import type { Pthread } from "../thread/pthread.js";
import { fcParams, type Law, type LawOptions } from "./law.js";
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

/** The value() readings of a run are within 0..`tokens`, or a message saying how they are not. */
function valueProblem(r: SemaphoreRun, tokens: number): string | null {
  if (r.minValue < 0)
    return `negative value: value() returned ${r.minValue} (a wait took a token that was not there)`;
  if (r.maxValue > tokens)
    return `value() returned ${r.maxValue}, more than the ${tokens} tokens that ever existed (a negative count read as unsigned?)`;
  return null;
}

function crashProblem(r: SemaphoreRun | TryRun): string | null {
  return r.crashes.length > 0 ? `a thread crashed: ${r.crashes.join("; ")}` : null;
}

/**
 * The laws every {@link Semaphore} must obey (see the banner).
 * @example
 * ```ts
 * for (const law of semaphoreLaws(() => mySemaphore)) it(law.name, () => law.check());
 * ```
 */
export function semaphoreLaws(factory: () => Semaphore, options: LawOptions = {}): Law[] {
  // The law's own message names the mistake: put it in the report, not only in the error's cause.
  const params = { ...fcParams(options), includeErrorInReport: true };
  const name = factory().name;
  const fail = (problem: string | null, r: { readonly outcome: string }): void => {
    if (problem !== null) throw new Error(`${problem} [outcome=${r.outcome}]`);
  };
  const tryOps = fc.array(fc.constantFrom<TryOp>("post", "tryWait", "tryWait", "value"), {
    minLength: 1,
    maxLength: 40,
  });
  return [
    {
      name: `${name}: no lost post — every wait returns exactly once per post, and the value ends at 0`,
      check: () =>
        fc.assert(
          fc.property(semaphoreScenarioArb(), (s) => {
            const r = runPostsScenario(factory(), s);
            const posts = s.threads * s.iterations;
            fail(crashProblem(r), r);
            if (r.outcome !== "all-exited" || r.taken !== posts)
              fail(
                `lost post: ${posts} posts but ${r.taken} waits returned; the rest are still blocked (a post that woke without adding a token, or added one without waking a sleeper)`,
                r,
              );
            if (r.finalValue !== 0)
              fail(`value() is ${r.finalValue} after ${posts} posts and as many waits (want 0)`, r);
            fail(valueProblem(r, posts), r);
          }),
          params,
        ),
    },
    {
      name: `${name}: resource pool — never more than value holders at once, and the value comes back`,
      check: () =>
        fc.assert(
          fc.property(semaphoreScenarioArb(), (s) => {
            const r = runPoolScenario(factory(), s);
            fail(crashProblem(r), r);
            if (r.maxHolders > s.initial)
              fail(
                `too many holders: ${r.maxHolders} threads held a token of a semaphore of ${s.initial} at once`,
                r,
              );
            if (r.outcome !== "all-exited" || r.taken !== s.threads * s.iterations)
              fail(`threads stuck: ${r.taken} of ${s.threads * s.iterations} takes returned`, r);
            if (r.finalValue !== s.initial)
              fail(`value() is ${r.finalValue} after every token came back (want ${s.initial})`, r);
            fail(valueProblem(r, s.initial), r);
          }),
          params,
        ),
    },
    {
      name: `${name}: binary semaphore — initialised to 1 it is a lock: one holder, an exact counter`,
      check: () =>
        fc.assert(
          fc.property(semaphoreScenarioArb(), (g) => {
            const s = { ...g, initial: 1 };
            const r = runPoolScenario(factory(), s);
            fail(crashProblem(r), r);
            const want = s.threads * s.iterations;
            if (r.maxHolders > 1 || (r.outcome === "all-exited" && r.counter !== want))
              fail(
                `no mutual exclusion: ${r.maxHolders} holders at once, counter ${r.counter} after ${want} increments`,
                r,
              );
            if (r.outcome !== "all-exited") fail(`threads stuck: ${r.taken} of ${want} takes returned`, r);
            fail(valueProblem(r, 1), r);
          }),
          params,
        ),
    },
    {
      name: `${name}: try-wait never blocks and fails exactly when the value is 0; value() is exact`,
      check: () =>
        fc.assert(
          fc.property(fc.integer({ min: 0, max: 3 }), tryOps, (initial, ops) => {
            const r = runTryScenario(factory(), initial, ops);
            fail(crashProblem(r), r);
            const want = expectedTryResults(initial, ops);
            if (r.outcome !== "all-exited")
              fail(
                `try-wait blocked: the thread never finished step ${r.results.length} (${ops[r.results.length]})`,
                r,
              );
            for (let i = 0; i < want.length; i++) {
              if (r.results[i] === want[i]) continue;
              const op = ops[i];
              const what =
                op === "tryWait"
                  ? want[i] === 1
                    ? "try-wait failed while the value was positive"
                    : "try-wait succeeded while the value was 0"
                  : `value() returned ${r.results[i]}, the model says ${want[i]}`;
              fail(`step ${i} (${op}): ${what}`, r);
            }
          }),
          params,
        ),
    },
    {
      name: `${name}: progress — no thread is left blocked while the value is positive`,
      check: () =>
        fc.assert(
          fc.property(semaphoreScenarioArb(), (s) => {
            const r = runProgressScenario(factory(), s);
            fail(crashProblem(r), r);
            fail(valueProblem(r, progressRounds(s) * progressPairs(s)), r);
            for (let round = 0; round < r.checkpoints.length; round++) {
              const got = r.checkpoints[round]!;
              const want = expectedCheckpoint(s, round);
              if (got.taken === want.taken && got.value === want.value) continue;
              const blocked = want.taken - got.taken;
              fail(
                blocked > 0 && got.value > 0
                  ? `blocked while tokens remain: after round ${round}, ${blocked} wait(s) still blocked with value() = ${got.value} (a post that skipped its wake?)`
                  : got.taken + got.value < want.taken
                    ? `lost post: after round ${round}, ${want.taken} posts were made for as many waits, but ${got.taken} waits returned and value() = ${got.value}`
                    : `after round ${round}, ${got.taken} waits returned and value() = ${got.value}; want ${want.taken} and ${want.value}`,
                r,
              );
            }
            if (r.checkpoints.length !== progressRounds(s))
              fail(
                `the progress scenario ended after ${r.checkpoints.length} of ${progressRounds(s)} rounds`,
                r,
              );
          }),
          params,
        ),
    },
    {
      name: `${name}: determinism — one scenario run twice takes the same cycles and traps`,
      check: () =>
        fc.assert(
          fc.property(semaphoreScenarioArb(), (s) => {
            const a = runPoolScenario(factory(), s);
            const b = runPoolScenario(factory(), s);
            if (a.cycles !== b.cycles || a.steps !== b.steps || a.taken !== b.taken)
              fail(
                `not deterministic (state kept outside simulated memory?): run 1 took ${a.cycles} cycles and ${a.steps} traps, run 2 ${b.cycles} and ${b.steps}`,
                b,
              );
          }),
          { ...params, numRuns: Math.max(10, Math.ceil(params.numRuns / 5)) },
        ),
    },
  ];
}

/** Run {@link semaphoreLaws}, throwing on the first violation. */
export function runSemaphoreLaws(factory: () => Semaphore, options: LawOptions = {}): void {
  for (const law of semaphoreLaws(factory, options)) law.check();
}
