/**
 * Laws of a {@link CondVar}, run under a real simulated kernel with this library's mutex.
 *
 * ```
 *   bounded buffer (fast-check draws pairs, items, slots, CPUs, tick, seed):
 *     P producers put n items each; P consumers take n each; slots ∈ 1..4
 *     put:  lock; while full:  wait(notFull);  store; signal(notEmpty); unlock
 *     take: lock; while empty: wait(notEmpty); load;  signal(notFull);  unlock
 *     (every second put and take broadcasts instead of signalling: a broadcast must not lose a
 *     wakeup either)
 *   laws: the run ends "all-exited" with every item taken exactly once   (no lost wakeup)
 *
 *   sleepers (fast-check draws n sleepers and k signals):
 *     n threads wait (each in a `while (!released)` loop, as POSIX asks); once all sleep,
 *     main releases one permit and signals, k times; then releases all and broadcasts
 *   laws: after each signal one more waiter has left (a signal reaches a sleeper);
 *         after the broadcast every waiter leaves
 *
 *   in both: a thread that returns from wait holds the mutex again (its lock word is taken and
 *   no other thread is marked inside), as POSIX's pthread_cond_wait promises
 *
 *   signal window (fast-check draws tick, memory cost, burst ∈ {2, 4, 8}), one CPU, episodes:
 *     W: compute(x); lock; while (!flag) wait; unlock      x = 0, 5, 10, … across a quantum
 *     G: once W is in: lock; flag = 1; unlock; signal × burst
 *   law: every episode ends (a burst in W's window, between its read of the word and its sleep,
 *        must not bring a sequence word back to the value W read: no wrap at 2, 4 or 8)
 * ```
 *
 * **Power.** A lost wakeup needs a preemption (or another CPU) in the one trap boundary between a
 * waiter's unlock and its sleep. Half the scenarios run on one CPU with ticks of 30..50 cycles,
 * where a thread gets only a few traps per slice after the 300-cycle context switch and such a
 * preemption is common; the other half spread over 1..3 CPUs and ticks of 10..3000. Measured with
 * the default 50 runs, seeds 1..12: a signal that does not change the word is caught for 11 seeds,
 * a broadcast that does not for 12, both together for 10 (before the one-CPU half, 1 scenario in
 * 300 deadlocked and 3 seeds in 12 caught it; before every second notification was a broadcast,
 * the lossy broadcast passed). Neither scenario lands several signals in one waiter's window, so
 * a sequence word that wraps at 2 or 4 passed both (seeds 1..3); the window law, which sweeps the
 * waiter's head start until the quantum ends right after its unlock, catches each for 6 seeds in
 * 6. A word that wraps at 256 would need 256 signals inside one quantum: not drawn.
 * `test/condvar-laws.test.ts` pins a seed for each.
 *
 * Related: `condvar-scenarios.ts` (the buffer and sleepers scenarios and their runners),
 * `condvar-signal-window.ts` (the window scenario), `../sync/condvar-api.ts`, `lock-laws.ts` (the
 * same shape for locks), `law.ts`.
 */
import fc from "fast-check";
import type { CondVar } from "../sync/condvar-api.js";
import { bufferScenarioArb, expectedBufferSum, runBufferScenario, runSleepers } from "./condvar-scenarios.js";
import { runSignalWindow, windowScenarioArb } from "./condvar-signal-window.js";
import { fcParams, type Law, type LawOptions } from "./law.js";

/**
 * The laws every {@link CondVar} must obey (see the banner).
 * @example
 * ```ts
 * for (const law of condVarLaws(() => myCondVar)) it(law.name, () => law.check());
 * ```
 */
export function condVarLaws(factory: () => CondVar, options: LawOptions = {}): Law[] {
  const params = fcParams(options);
  const name = factory().name;
  return [
    {
      name: `${name}: no lost wakeup — a bounded buffer with every item taken exactly once finishes`,
      check: () =>
        fc.assert(
          fc.property(bufferScenarioArb(), (s) => {
            const r = runBufferScenario(factory(), s);
            const total = s.pairs * s.items;
            if (
              r.crashes.length > 0 ||
              r.outcome !== "all-exited" ||
              r.taken !== total ||
              r.sum !== expectedBufferSum(s) ||
              r.violations !== 0
            )
              throw new Error(
                `outcome=${r.outcome} taken=${r.taken}/${total} sum=${r.sum}/${expectedBufferSum(s)} returns from wait without the mutex=${r.violations} ${r.crashes.join("; ")}`,
              );
          }),
          params,
        ),
    },
    {
      name: `${name}: each signal reaches a sleeper, and a broadcast reaches them all`,
      check: () =>
        fc.assert(
          fc.property(fc.integer({ min: 1, max: 4 }), fc.integer({ min: 0, max: 5 }), (n, k) => {
            const r = runSleepers(factory(), n, k);
            const want = Array.from({ length: k }, (_, i) => Math.min(i + 1, n));
            const ok =
              r.outcome === "all-exited" &&
              r.leftAfterBroadcast === n &&
              r.leftAfterSignal.every((v, i) => v === want[i]) &&
              r.violations === 0;
            if (!ok)
              throw new Error(
                `n=${n} k=${k}: left after each signal ${JSON.stringify(r.leftAfterSignal)} (want ${JSON.stringify(want)}), after broadcast ${r.leftAfterBroadcast}, outcome ${r.outcome}, returns from wait without the mutex=${r.violations}`,
              );
          }),
          params,
        ),
    },
    {
      name: `${name}: signals that land between a waiter's read of the condition variable and its sleep all count (a sequence word must not wrap back to the value the waiter read)`,
      check: () =>
        fc.assert(
          fc.property(windowScenarioArb(), (s) => {
            const r = runSignalWindow(factory(), s);
            if (r.crashes.length > 0 || r.outcome !== "all-exited")
              throw new Error(
                `tick ${s.tick}, memory ${s.memoryCost} cycles, burst of ${s.burst} signals: outcome ${r.outcome} at episode ${r.episodes} — the waiter slept through the burst that landed in its window (does the word wrap at ${s.burst} or a divisor of it?) ${r.crashes.join("; ")}`,
              );
          }),
          { ...params, numRuns: Math.max(10, Math.ceil(params.numRuns / 2)) },
        ),
    },
  ];
}
