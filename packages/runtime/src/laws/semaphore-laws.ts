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
 * Related: `semaphore-scenarios.ts` (the scenarios and their runners), `../sync/semaphore-api.ts`
 * (the interface), `lock-laws.ts` and `condvar-laws.ts` (the same harness shape), `law.ts`.
 */
import fc from "fast-check";
import type { Semaphore } from "../sync/semaphore-api.js";
import { fcParams, type Law, type LawOptions } from "./law.js";
import {
  expectedCheckpoint,
  expectedTryResults,
  progressPairs,
  progressRounds,
  runPoolScenario,
  runPostsScenario,
  runProgressScenario,
  runTryScenario,
  type SemaphoreRun,
  semaphoreScenarioArb,
  type TryOp,
  type TryRun,
} from "./semaphore-scenarios.js";

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
