/**
 * The O(1) scheduler's interactivity estimator (Linux 2.6, as in its last O(1) releases,
 * 2.6.17–2.6.22, `kernel/sched.c`; earlier 2.6 kernels differ in details noted below): the
 * arithmetic that turns "how much has this thread slept lately" into a priority bonus of −5..+5
 * and into the question "does it go back to the active array when its slice runs out?".
 * `o1.ts` keeps the per-thread state and calls these pure functions; this file is only the rules.
 *
 * `sleep_avg` is a thread's credit of recent sleep, in cycles, within [0, MAX_SLEEP_AVG]
 * (1000 ms × `msCycles`, ten nice-0 slices). Sleeping adds to it, running takes from it:
 *
 * ```
 *   sleep_avg   0 ms ───────── 500 ms ───────── 799 ms ── 1000 ms
 *   CURRENT_BONUS 0              5                 7          10     ⌊sleep_avg × 10 / MAX_SLEEP_AVG⌋
 *   bonus        −5              0                +2          +5     CURRENT_BONUS − MAX_BONUS/2
 *   prio (nice 0) 125           120               118         115    static_prio − bonus, in 100..139
 *                  CPU hog       neutral          just interactive (TASK_INTERACTIVE: prio ≤ 120 − 2)
 * ```
 *
 * - **A sleep** (`recalc_task_prio`, on wake) adds its length to sleep_avg, capped at
 *   MAX_SLEEP_AVG, except that one long sleep cannot buy the best priority: a thread that slept
 *   longer than INTERACTIVE_SLEEP(nice) while its sleep_avg was below it gets exactly that
 *   ceiling, the sleep_avg of a *just interactive* thread (nice 0: 799 ms → bonus +2 → prio 118),
 *   and its wait on the run queue afterwards earns nothing (Linux marks the sleep
 *   SLEEP_NONINTERACTIVE).
 * - **Waiting on the run queue after a wake** is credited at ON_RUNQUEUE_WEIGHT = 30 % when the
 *   thread is first picked (`schedule()`: delta × 38 / 128, Linux's fixed point for 30 %), by the
 *   same rule as a sleep.
 * - **Running** takes run time ÷ max(CURRENT_BONUS, 1) away, charged when the thread is switched
 *   out or requeued (`schedule()`, 2.6.17+: "tasks charged
 *   proportionately less run_time at high sleep_avg to delay them losing their interactive
 *   status"; 2.6.8–2.6.16 divided only for tasks with a high `interactive_credit`, a second
 *   estimator we leave out): from 1000 ms a CPU hog loses its bonus 10 × slower than from 100 ms.
 *   A hog at sleep_avg 500 ms with 100 ms slices is charged 100/5, 100/4 (×4), 100/3 (×3),
 *   100/2 (×2), 100/1: 480, 455, 430, 405, 380, 346.7, 313.3, 280, 230, 180, 80, then 0 after
 *   1200 ms of CPU. `scheduler_tick` recomputes the prio at slice expiry from the sleep_avg of the
 *   last `schedule()`, before the slice just run is charged: the expiries see 500, 480, …
 * - **TIMESLICE_GRANULARITY**: an interactive thread that has run a multiple of
 *   {@link timesliceGranularity} of its slice, with at least that much left, goes to the tail of
 *   its priority list in the active array (`scheduler_tick`'s `requeue_task`), so equal-priority
 *   interactive threads round-robin in 10–80 ms pieces instead of whole slices.
 *
 * TASK_INTERACTIVE(p) is prio ≤ static_prio − DELTA(p), DELTA = ⌊(nice + 20) × MAX_BONUS / 40⌋ −
 * 5 + INTERACTIVE_DELTA (2): nice −20 needs bonus ≥ −3, nice −10 ≥ −1, nice 0 needs +2, nice 19
 * would need +6 and is never interactive (Linux's table in `sched.c` above TASK_INTERACTIVE).
 *
 * Related: `o1.ts` (where these apply: wake, pick, tick, slice expiry), Linux 2.6.17
 * `kernel/sched.c` (`effective_prio`, `recalc_task_prio`, `scheduler_tick`, `schedule`).
 */
import type { Cycles, SleepType } from "../api.js";

/** Linux 2.6's MAX_SLEEP_AVG in milliseconds (DEF_TIMESLICE × MAX_BONUS = 100 ms × 10). */
export const O1_MAX_SLEEP_AVG_MS = 1000;
/** Linux 2.6's MAX_BONUS: the bonus spans −MAX_BONUS/2..+MAX_BONUS/2 priority levels. */
export const O1_MAX_BONUS = 10;
/** Linux 2.6's INTERACTIVE_DELTA: how far below its static priority a nice 0 thread must be to be interactive. */
export const O1_INTERACTIVE_DELTA = 2;
/** Best (MAX_RT_PRIO) and worst (MAX_PRIO − 1) priority of a normal thread. */
export const O1_PRIO_BEST = 100;
/** See {@link O1_PRIO_BEST}. */
export const O1_PRIO_WORST = 139;

/**
 * Linux 2.6's CURRENT_BONUS: NS_TO_JIFFIES(sleep_avg) × MAX_BONUS / MAX_SLEEP_AVG, sleep_avg in
 * whole jiffies (ms at HZ = 1000, truncated) and then in tenths of MAX_SLEEP_AVG, rounded down,
 * 0..10 (sleep_avg 799 of 1000 → 7).
 */
export function currentBonus(sleepAvg: Cycles, maxSleepAvg: Cycles): number {
  // sleep_avg in ms; the 1e-9 ms keeps a whole number of ms whole after the cycles conversion
  // (700 ms × 0.7 cycles/ms = 489.99999999999994 cycles → 699.9999999999999 ms), so the bonus
  // changes on Linux's jiffy boundaries whatever msCycles is. `| 0` truncates (the floor for
  // values ≥ 0) and keeps the result a small integer for V8 (a priority stored as a double slows
  // every list index in the pick path).
  const jiffies = ((sleepAvg * O1_MAX_SLEEP_AVG_MS) / maxSleepAvg + 1e-9) | 0;
  const b = ((jiffies * O1_MAX_BONUS) / O1_MAX_SLEEP_AVG_MS) | 0;
  return b < 0 ? 0 : Math.min(b, O1_MAX_BONUS);
}

/**
 * Linux 2.6's `effective_prio`: static priority minus the bonus CURRENT_BONUS − 5, clamped to
 * 100..139 (nice 0 with sleep_avg 0 → 125; nice 19 with sleep_avg 0 → 144 → 139).
 * @example
 * ```ts
 * effectivePrio(120, 800, 1000); // → 117 (bonus +3)
 * ```
 */
export function effectivePrio(staticPrio: number, sleepAvg: Cycles, maxSleepAvg: Cycles): number {
  const p = (staticPrio - currentBonus(sleepAvg, maxSleepAvg) + O1_MAX_BONUS / 2) | 0;
  return p < O1_PRIO_BEST ? O1_PRIO_BEST : Math.min(p, O1_PRIO_WORST);
}

/**
 * Linux 2.6.17+'s DELTA(p) = SCALE(nice + 20, 40, MAX_BONUS) − 20 × MAX_BONUS / 40 +
 * INTERACTIVE_DELTA: the nice value is shifted to 0..39 before C's integer division, so the
 * quotient rounds down rather than toward zero: nice −20 → 0 − 5 + 2 = −3, −10 → 2 − 5 + 2 = −1,
 * −5 → ⌊150/40⌋ − 3 = 0, −1 → ⌊190/40⌋ − 3 = 1, 0 → 2, 19 → ⌊390/40⌋ − 3 = 6. (Before 2.6.17,
 * SCALE(nice, 40, MAX_BONUS) divided negative nice values toward zero: −5 → 1, −10 → 0, which
 * contradicted the kernel's own TASK_INTERACTIVE table; Martin Andersson's fix, LKML 2006-02-27.)
 */
export function interactiveDelta(nice: number): number {
  return ((((nice + 20) * O1_MAX_BONUS) / 40) | 0) - (20 * O1_MAX_BONUS) / 40 + O1_INTERACTIVE_DELTA;
}

/**
 * Linux 2.6's TASK_INTERACTIVE: a dynamic priority at least DELTA better than the static one
 * (nice 0: prio ≤ 118, i.e. bonus ≥ +2).
 */
export function isInteractive(prio: number, staticPrio: number): boolean {
  return prio <= staticPrio - interactiveDelta(staticPrio - 120);
}

/**
 * Linux 2.6's INTERACTIVE_SLEEP(p) in cycles: MAX_SLEEP_AVG × (MAX_BONUS/2 + DELTA + 1) /
 * MAX_BONUS − 1 jiffy (1 ms). The sleep_avg of a just interactive thread: nice 0 → 799 ms
 * (bonus +2), nice −10 → 499 ms, nice −20 → 299 ms, nice 19 → 1199 ms (more than MAX_SLEEP_AVG:
 * never interactive).
 */
export function interactiveSleep(nice: number, msCycles: number): Cycles {
  const ms = (O1_MAX_SLEEP_AVG_MS * (O1_MAX_BONUS / 2 + interactiveDelta(nice) + 1)) / O1_MAX_BONUS - 1;
  return ms * msCycles;
}

/**
 * Whether a sleep of `slept` cycles hits the long-sleeper cap of `recalc_task_prio`: longer than
 * INTERACTIVE_SLEEP while sleep_avg is below it. Such a sleep sets sleep_avg to the ceiling and
 * earns no run-queue credit afterwards.
 */
export function longSleep(sleepAvg: Cycles, slept: Cycles, nice: number, msCycles: number): boolean {
  const ceiling = interactiveSleep(nice, msCycles);
  return slept > ceiling && sleepAvg < ceiling;
}

/**
 * Linux 2.6's `recalc_task_prio` on sleep_avg: the new sleep_avg after `slept` cycles of sleep
 * (or of credited run-queue wait), in [0, maxSleepAvg]. A nice 0 thread at 0 that sleeps 500 ms
 * has 500 ms; one that sleeps 2 s has 799 ms (capped at just interactive); at 800 ms, another
 * 500 ms gives 1000 ms (the cap applies only from below the ceiling).
 * @example
 * ```ts
 * creditSleep(0, 2000, 0, 1, 1000); // → 799
 * ```
 */
export function creditSleep(
  sleepAvg: Cycles,
  slept: Cycles,
  nice: number,
  msCycles: number,
  maxSleepAvg: Cycles,
): Cycles {
  if (!(slept > 0)) return sleepAvg;
  const s = longSleep(sleepAvg, slept, nice, msCycles) ? interactiveSleep(nice, msCycles) : sleepAvg + slept;
  return s > maxSleepAvg ? maxSleepAvg : s;
}

/**
 * Linux 2.6.17–2.6.22's `recalc_task_prio` for a wake of the given {@link SleepType}. An
 * interactive or interrupted sleep is credited as {@link creditSleep} says. An uninterruptible one
 * (SLEEP_NONINTERACTIVE, "tasks waking from uninterruptible sleep are limited in their sleep_avg
 * rise as they are likely to be waiting on I/O") raises sleep_avg only up to the ceiling
 * INTERACTIVE_SLEEP and never above it: at nice 0 (ceiling 799 ms) 700 + 300 ms gives 799, not
 * 1000; from 850 a sleep of any length leaves 850; from 0 a 500 ms sleep gives 500 as any sleep
 * would. (Linux exempts kernel threads, `p->mm == NULL`; our threads are all user threads.)
 * @example
 * ```ts
 * creditWake(700, 300, 0, 1, 1000, "noninteractive"); // → 799
 * creditWake(700, 300, 0, 1, 1000, "interactive");    // → 1000
 * ```
 */
export function creditWake(
  sleepAvg: Cycles,
  slept: Cycles,
  nice: number,
  msCycles: number,
  maxSleepAvg: Cycles,
  type: SleepType,
): Cycles {
  if (type !== "noninteractive") return creditSleep(sleepAvg, slept, nice, msCycles, maxSleepAvg);
  if (!(slept > 0)) return sleepAvg;
  const ceiling = interactiveSleep(nice, msCycles);
  if (sleepAvg >= ceiling) return sleepAvg; // sleep_time = 0
  const s = Math.min(sleepAvg + slept, ceiling); // a long sleep lands here too
  return s > maxSleepAvg ? maxSleepAvg : s;
}

/**
 * Linux 2.6's `schedule()` credit for a woken thread's first wait on the run queue, by the kind of
 * sleep it woke from: all of it after a wake from interrupt context (SLEEP_INTERRUPTED), 30 %
 * ({@link runQueueCredit}) after a wake from process context (SLEEP_INTERACTIVE), nothing after an
 * uninterruptible sleep (SLEEP_NONINTERACTIVE: `interactive_sleep()` is false, no recalculation).
 * A wait of 128 ms: 128, 38, 0.
 */
export function firstWaitCredit(waited: Cycles, type: SleepType): Cycles {
  if (type === "interrupted") return waited;
  return type === "interactive" ? runQueueCredit(waited) : 0;
}

/**
 * Linux 2.6.17+'s decay in `schedule()`: `ran` cycles of CPU take ran ÷ max(CURRENT_BONUS, 1)
 * from sleep_avg, floored at 0 (100 cycles at sleep_avg 1000 of 1000 → 990; at 50 → 0). The
 * bonus is the one the run began with: `schedule()` charges the whole run since the thread was
 * last switched in (capped at MAX_SLEEP_AVG), not tick by tick.
 */
export function decaySleep(sleepAvg: Cycles, ran: Cycles, maxSleepAvg: Cycles): Cycles {
  const b = currentBonus(sleepAvg, maxSleepAvg);
  const s = sleepAvg - ran / (b > 0 ? b : 1);
  return Math.max(s, 0);
}

/** Linux 2.6's GRANULARITY in milliseconds (10 × HZ / 1000 jiffies). */
export const O1_GRANULARITY_MS = 10;

/**
 * Linux 2.6's TIMESLICE_GRANULARITY(p) in cycles: GRANULARITY × 2^((MAX_BONUS − CURRENT_BONUS
 * or 1) − 1) × the number of online CPUs — how often an interactive thread is sent behind its
 * equal-priority peers within its slice. The more interactive, the finer: CURRENT_BONUS 10 or 9
 * → 10 ms, 8 → 20 ms, 7 → 40 ms, 6 → 80 ms (a nice 0 thread is interactive only from 7 up;
 * nice −20 from 2: 10 ms × 2^7 = 1280 ms, longer than its 800 ms slice). On SMP Linux multiplies
 * by `num_online_cpus()`: 2 CPUs and bonus 7 → 80 ms.
 * @example
 * ```ts
 * timesliceGranularity(799, 1000, 1, 1); // → 40 (CURRENT_BONUS 7: 10 × 2^2)
 * ```
 */
export function timesliceGranularity(
  sleepAvg: Cycles,
  maxSleepAvg: Cycles,
  msCycles: number,
  cpus: number,
): Cycles {
  const d = O1_MAX_BONUS - currentBonus(sleepAvg, maxSleepAvg);
  return O1_GRANULARITY_MS * msCycles * (1 << ((d > 0 ? d : 1) - 1)) * cpus;
}

/**
 * Linux 2.6's ON_RUNQUEUE_WEIGHT: the part of a woken thread's first wait on the run queue that
 * counts as sleep, 30 % as `schedule()` computes it (delta × 38 / 128, 38 = 30 × 128 / 100).
 */
export function runQueueCredit(waited: Cycles): Cycles {
  return (waited * 38) / 128;
}
