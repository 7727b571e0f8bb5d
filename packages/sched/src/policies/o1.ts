/**
 * The O(1) scheduler's active and expired arrays (Linux 2.6.0–2.6.22, and Codezero's run queues):
 * pick-next in constant time, whatever the number of threads.
 *
 * Each array has 140 FIFO lists, one per priority (lower number = more urgent; normal threads
 * have static priority 120 + nice, so nice −20..19 → 100..139, and sit at their *dynamic*
 * priority, static ± 5 by the interactivity bonus below), and a bitmap of the non-empty
 * lists, so the best list is the lowest set bit of five 32-bit words: `w & −w` isolates the
 * lowest set bit and `31 − clz32` gives its index (w = 0b1100 → w & −w = 0b100 → 31 − 29 = 2):
 *
 * ```
 *   active:  bitmap 0…0 1 0 … 1 …        pick: first set bit → head of that list
 *   expired: bitmap 0…0 0 1 …            a thread whose slice runs out goes here, slice refilled
 *   active empty  →  swap(active, expired)  (one pointer swap: a new epoch)
 * ```
 *
 * A thread whose slice runs out is refilled and goes to the expired array — unless it is
 * interactive (below) — and so does a thread that yields (2.6's `sched_yield`); a thread that
 * blocks wakes into the active array with what is
 * left of its slice (`activate_task`), even when its slice ran out on the tick it blocked — unless
 * the run queue is starving (below).
 *
 * **Sleeping with slice left.** Linux 2.6's `try_to_wake_up` calls `activate_task`, which calls
 * `recalc_task_prio` — the sleep is credited to `sleep_avg` (capped at MAX_SLEEP_AVG; a long
 * sleeper is set to just-interactive) and the dynamic priority is recomputed from it, a bonus of
 * up to ±5 — and then `__activate_task` puts the task in the active array. Neither touches
 * `time_slice`: it is refilled only in `scheduler_tick` when it reaches 0 (and split in
 * `sched_fork`). So a task wakes with exactly the slice it slept with, however long it slept, and
 * so do ours. Linux has no
 * task that leaves the run queue before it ever ran — a forked child is TASK_RUNNING from
 * `sched_fork` on and can only stop or sleep from its own context — but our `Scheduler` can
 * suspend a ready thread. Such a thread keeps its whole slice too (decision: faithful to
 * `activate_task`), and it stays *fresh* (below) until it is picked: the slice it brings back is
 * one it has not run on, so the starvation test applies again. (It used to apply only at the
 * first enqueue, so a thread the test had sent to the expired array jumped to the active one on
 * resume; block on the refill tick, wake, suspend, resume, run a whole slice, and again, kept the
 * active array from ever emptying. Tested.)
 *
 * **Arrivals and starvation** (the rule, its proof and Linux's version are in
 * `o1-starvation.ts`). An epoch ends only when the active array is empty, so a stream of whole
 * new slices in the active array would starve the expired one. A thread with a fresh slice —
 * just admitted, or woken after its slice was refilled on the tick it blocked, and not yet picked
 * since — joins the expired array instead when the run queue is starving: the epoch has lasted
 * STARVATION_LIMIT × nr_running, or a better static priority's slice ran out this epoch
 * (`best_expired_prio`, lowered only there, as in Linux's `scheduler_tick`: not by a yielder, a
 * deferred newcomer or a nice change). A thread sent to the expired array does not preempt the current one
 * (`shouldPreempt` is false), as Linux tests TASK_PREEMPTS_CURR only for a task it put in the
 * active array. STARVATION_LIMIT is Linux's MAX_SLEEP_AVG, 10 × the nice-0 slice = 1000 ms
 * (option `starvationLimit`).
 *
 * Slices follow Linux 2.6's `task_timeslice`: (140 − static_prio) × 20 ms below 120, else
 * (140 − static_prio) × 5 ms, so nice 0 gets 100 ms, nice 19 gets 5 ms, nice −20 gets 800 ms;
 * `msCycles` says how many cycles make a millisecond.
 *
 * **Interactivity** (option `interactivity`, default on as in Linux; the rules and their worked
 * numbers are in `o1-interactivity.ts`). Each thread keeps `sleep_avg`, 0..MAX_SLEEP_AVG (1000 ms),
 * measured on the policy's own clock — the cycles it is charged, running or idle, so a driver
 * must tick an idle CPU for a sleep to count (the `Scheduler` and `simulate` do). A wake credits
 * the time since the thread left the run queue (blocked, or suspended while ready), capped at
 * just-interactive for one long sleep; its first wait on the run queue is credited at 30 % when
 * it is picked; its run costs run ÷ CURRENT_BONUS, charged when it is switched out or requeued
 * (Linux 2.6.17+'s `schedule()`: the whole run at the bonus it began with). The dynamic priority, static −
 * (CURRENT_BONUS − 5), is recomputed at those moments and when the slice runs out, not on every
 * tick (Linux: "we do not update a thread's priority until it either goes to sleep or uses up its
 * timeslice"). When the slice of an interactive thread (TASK_INTERACTIVE: dynamic priority ≤
 * static − DELTA, nice 0: ≤ 118) runs out, it is refilled and goes back to the *active* array,
 * unless the starvation test below holds (Linux's `scheduler_tick`: `!TASK_INTERACTIVE(p) ||
 * EXPIRED_STARVING(rq)` sends it to the expired one). A newly admitted thread has sleep_avg
 * `initialSleepAvg` (default 0, bonus −5: prio 125 at nice 0; Linux's child inherited 95 % of
 * its parent's, and we have no parent), so a thread that never sleeps keeps static + 5 and only
 * sleepers change order. The priority at a slice's expiry is computed from the sleep_avg of the
 * last switch, before that slice's run is charged, as in Linux. A thread that moves to another CPU
 * while asleep takes its sleep_avg and the sleep so far with it (`migrateOut`/`migrateIn` carry
 * `[sleep_avg, slept]`, as Linux carries `p->timestamp` rebased on the new run queue's clock), and
 * the wake there credits the whole sleep by its kind: a move is invisible to the credit (tested
 * as a property).
 * TIMESLICE_GRANULARITY (option `timesliceGranularity`, default on): an interactive thread that
 * has used a multiple of 10 ms × 2^((10 − CURRENT_BONUS or 1) − 1) × `onlineCpus` of its slice,
 * with at least that much left, goes to the tail of its list in the active array, so
 * equal-priority interactive threads round-robin inside their slices (nice 0 at bonus 7: turns
 * of 40 and 60 ms). Linux multiplies by `num_online_cpus()`, the machine's CPUs; a policy here
 * serves one CPU and cannot know them, so `onlineCpus` (default 1, a uniprocessor kernel) is
 * what a model of an N-CPU kernel sets to N.
 *
 * **Kinds of sleep** (Linux 2.6.17–2.6.22's `sleep_type`; `enqueue(tid, "wake", sleep)`, and the
 * `Scheduler`'s `wake(tid, sleep)` / `runTimers(sleep)`). The default, `"interactive"`
 * (SLEEP_INTERACTIVE: an interruptible sleep woken from process context), is credited as above. An
 * uninterruptible sleep, `"noninteractive"` (`try_to_wake_up` marks a TASK_UNINTERRUPTIBLE task
 * SLEEP_NONINTERACTIVE), raises sleep_avg only up to INTERACTIVE_SLEEP and never above
 * (`recalc_task_prio`: nice 0 at 700 ms + 300 ms asleep → 799 ms, prio 118, not 1000 and 115), and
 * its first wait on the run queue earns nothing. A wake from interrupt context, `"interrupted"`
 * (`activate_task`: `in_interrupt()` → SLEEP_INTERRUPTED), has that first wait credited in full
 * instead of at 30 % (100 ms asleep, then 128 ms waiting: 228 ms, against 138 and 100). A kind
 * is a property of one wake: `schedule()` resets it to SLEEP_NORMAL at the first pick. Not
 * modelled: TASK_NONINTERACTIVE (a sleeper that marks itself, as pipes did briefly; pass
 * `"noninteractive"`), kernel threads' exemption from the ceiling (`p->mm == NULL`; all our
 * threads are user threads). A sleep split by a move to another CPU (`setAffinity` of a blocked
 * thread, a wake placed elsewhere) is credited whole at the wake, by its kind: 700 ms, 200 asleep
 * here and 100 there, woken uninterruptibly → 799, as on one CPU.
 *
 * **The bound with interactivity.** An interactive thread's refill is kept in the active array
 * only while the same test says "not starving" (nr_running = ready + the current thread), so the
 * bound of `o1-starvation.ts` stands; the argument is there.
 *
 * Optimises pick cost (O(1)), gives every thread a turn once per epoch (starvation-free, with
 * the rule above) and lets threads that sleep often (editors, shells) run first and run on; costs
 * fairness between nice levels (slices are fixed, not proportional to load), latency of long
 * slices, a newcomer's latency while the run queue is starving (it waits for the next epoch),
 * and heuristics that can misjudge: a CPU-bound thread that sleeps in short bursts looks
 * interactive (2.6's well-known complaints, which CFS replaced the estimator to end).
 *
 * Related: `structs/prio-array.ts` (the two arrays), `o1-interactivity.ts` (the sleep_avg rules),
 * `o1-starvation.ts` (EXPIRED_STARVING as applied here, and the starvation bound with its proof),
 * `laws/starvation.ts` and `test/o1-interactivity.test.ts` (the bounds, with and without wakes).
 *
 * Invariants: bitmap bit p of each array is set exactly when its list p is non-empty; the
 * best_expired_prio mark is a priority 100..139 or O1_PRIOS (140); every ready
 * thread is in exactly one list of one array, at its dynamic priority; sleep_avg is in 0..MAX_SLEEP_AVG and the dynamic
 * priority in 100..139, within static ± 5 (equal to it without the bonus); only the current
 * thread has run not yet charged to sleep_avg; the epoch began no later than now.
 */
import type { Carried, Cycles, ReadyReason, SleepType, ThreadId, ThreadParams } from "../api.js";
import { InvalidArgumentError, InvariantError } from "../errors.js";
import { PRIO_ARRAY_SIZE, PrioArray } from "../structs/prio-array.js";
import { PolicyBase, type PolicyEntry, positive } from "./base.js";
import {
  creditWake,
  decaySleep,
  effectivePrio,
  firstWaitCredit,
  isInteractive,
  longSleep,
  O1_MAX_BONUS,
  O1_MAX_SLEEP_AVG_MS,
  O1_PRIO_BEST,
  O1_PRIO_WORST,
  timesliceGranularity,
} from "./o1-interactivity.js";
import { expiredStarving, O1_STARVATION_LIMIT_MS } from "./o1-starvation.js";

/** Number of priorities in the O(1) scheduler (MAX_PRIO). */
export const O1_PRIOS = PRIO_ARRAY_SIZE;

/** Options of {@link O1Policy}. */
export interface O1Options {
  /** Cycles per millisecond of Linux's slice table, > 0. Default 1 (nice 0 → 100 cycles). */
  readonly msCycles?: number;
  /**
   * Linux's STARVATION_LIMIT in milliseconds, > 0: once the epoch has lasted this long per
   * runnable thread, newcomers wait in the expired array (see the file banner). Default 1000
   * (MAX_SLEEP_AVG = 10 × the 100 ms nice-0 slice).
   */
  readonly starvationLimit?: number;
  /**
   * Model the interactivity bonus (`sleep_avg`, see `o1-interactivity.ts`): a dynamic priority of
   * static ± 5 from recent sleep, and interactive threads that go back to the active array when
   * their slice runs out. Default true, as in Linux 2.6; false makes the dynamic priority the
   * static one.
   */
  readonly interactivity?: boolean;
  /**
   * sleep_avg of a newly admitted thread, in milliseconds, 0..1000. Default 0: a thread with no
   * history counts as a CPU hog (bonus −5, e.g. prio 125 at nice 0) until it sleeps. Linux's
   * `sched_fork` gave a child 95 % of its parent's bonus; our `admit` has no parent.
   */
  readonly initialSleepAvg?: number;
  /**
   * Model TIMESLICE_GRANULARITY (only with `interactivity`): an interactive thread goes behind
   * its equal-priority peers every {@link timesliceGranularity} of its slice. Default true, as
   * in Linux 2.6.
   */
  readonly timesliceGranularity?: boolean;
  /**
   * Linux's `num_online_cpus()` in TIMESLICE_GRANULARITY, a positive integer. Default 1 (a
   * uniprocessor kernel). Each CPU has its own policy and none knows how many CPUs the machine
   * has, so a model of an N-CPU SMP kernel passes N in its factory:
   * `new Scheduler({ cpus: 4, policy: () => new O1Policy({ onlineCpus: 4 }) })`.
   */
  readonly onlineCpus?: number;
}

/** {@link O1Entry.refill}: the slice did not run out on this tick. */
export const O1_REFILL_NONE = 0;
/** {@link O1Entry.refill}: the slice ran out and was refilled; the thread goes to the expired array. */
export const O1_REFILL_EXPIRE = 1;
/** {@link O1Entry.refill}: the slice ran out and was refilled; the thread, interactive, stays active. */
export const O1_REFILL_KEEP = 2;

/** What the O(1) scheduler keeps per thread: priorities, sleep_avg, slice left, and its array. */
export interface O1Entry extends PolicyEntry {
  /** Dynamic priority (Linux's `prio`): the list it is queued in; static ± 5 with the bonus. */
  prio: number;
  /** Static priority, 120 + nice. */
  staticPrio: number;
  /** Recent sleep credit in cycles, 0..MAX_SLEEP_AVG (always 0 without the bonus). */
  sleepAvg: Cycles;
  /** Policy clock when it left the run queue (blocked, suspended), or −1 while runnable. */
  sleptAt: Cycles;
  /**
   * Cycles of the current sleep spent on another CPU before it moved here (`migrateIn`), credited
   * with the rest at the wake; 0 when it did not move while asleep, and while runnable.
   */
  sleptBefore: Cycles;
  /**
   * Policy clock when it woke, while its first wait on the run queue is still to be credited
   * (Linux's SLEEP_INTERACTIVE or SLEEP_INTERRUPTED), or −1.
   */
  wokeAt: Cycles;
  /**
   * Whether that wake came from interrupt context (SLEEP_INTERRUPTED: the first wait is credited
   * in full, not at 30 %). Meaningful only while `wokeAt` ≥ 0.
   */
  wokeInterrupted: boolean;
  sliceLeft: Cycles;
  /**
   * Cycles run since it was last switched in or requeued, not yet charged to sleep_avg: Linux's
   * `schedule()` charges the whole run (÷ the CURRENT_BONUS it began with) when the thread is
   * switched out or requeued. 0 while it is not current (and while its sleep_avg is 0).
   */
  ran: Cycles;
  /**
   * Whether its slice ran out and was refilled on this tick: {@link O1_REFILL_NONE}, or
   * {@link O1_REFILL_EXPIRE} (the next enqueue goes to the expired array), or
   * {@link O1_REFILL_KEEP} (interactive: it stays in the active array). One field, as the pick
   * loop pays for every store.
   */
  refill: number;
  /** Which array it is queued in while ready (0 or 1). */
  array: number;
  /**
   * Holds a whole slice it has not run on yet: set at admission and when a thread blocks on the
   * tick its slice was refilled, cleared when it is picked. Every enqueue while it is set is
   * subject to the starvation test (a thread suspended and resumed before it ran is tested again).
   */
  fresh: boolean;
}

/**
 * O(1) active/expired arrays, with Linux 2.6's interactivity bonus (option `interactivity`).
 * @throws InvalidArgumentError from the constructor when `msCycles` or `starvationLimit` ≤ 0 or
 * `initialSleepAvg` is outside 0..1000.
 * @example
 * ```ts
 * const o = new O1Policy();
 * o.timeslice(0);  // → 100 (nice 0: (140 − 120) × 5 ms)
 * o.timeslice(-20); // → 800
 * ```
 */
export class O1Policy extends PolicyBase<O1Entry> {
  readonly name: string = "o1";
  readonly starvationFree: boolean = true;
  private readonly msCycles: number;
  /** STARVATION_LIMIT in cycles. */
  private readonly limit: Cycles;
  /** Whether the interactivity bonus is modelled. */
  private readonly bonus: boolean;
  /** MAX_SLEEP_AVG in cycles. */
  private readonly maxSleepAvg: Cycles;
  private readonly initialSleepAvg: Cycles;
  /** Whether TIMESLICE_GRANULARITY is modelled (only with the bonus). */
  private readonly granular: boolean;
  /** num_online_cpus() of TIMESLICE_GRANULARITY. */
  private readonly onlineCpus: number;
  private readonly arrays = [new PrioArray(), new PrioArray()];
  private active = 0;
  private swaps = 0;
  /** Cycles charged so far (running or idle): the policy's clock, Linux's jiffies. */
  private clock: Cycles = 0;
  /** `clock` at the last swap, or at the end of the last idle tick with nothing ready. */
  private epochStart: Cycles = 0;
  private deferred = 0;
  private kept = 0;
  /**
   * Linux's `best_expired_prio`: the best static priority whose slice ran out and was sent to the
   * expired array this epoch, O1_PRIOS when none. Lowered only where Linux lowers it, in
   * `scheduler_tick` when a slice runs out and the thread is not kept active (`sliceOver`); reset
   * at the swap. A yielder (`sys_sched_yield` moves it to the expired array), a newcomer or waker
   * the starvation test defers there (`__activate_task`'s `expired_starving` target) and a nice
   * change (`set_user_nice`) leave it alone, so it may be worse than a thread waiting there, and
   * better than any (one expired and then blocked or left). Invariant: 100..139 or O1_PRIOS.
   */
  private bestExpired = O1_PRIOS;
  /** The kind of sleep the `enqueue` in progress named (see {@link O1Policy.enqueue}). */
  private wakeSleep: SleepType = "interactive";

  constructor(options: O1Options = {}) {
    super();
    this.msCycles = positive("O1Policy", "msCycles", options.msCycles ?? 1);
    this.limit =
      positive("O1Policy", "starvationLimit", options.starvationLimit ?? O1_STARVATION_LIMIT_MS) *
      this.msCycles;
    this.bonus = options.interactivity ?? true;
    this.maxSleepAvg = O1_MAX_SLEEP_AVG_MS * this.msCycles;
    const init = options.initialSleepAvg ?? 0;
    if (!(init >= 0 && init <= O1_MAX_SLEEP_AVG_MS))
      throw new InvalidArgumentError(
        `O1Policy: initialSleepAvg ${init} must be a number of milliseconds in 0..${O1_MAX_SLEEP_AVG_MS}`,
      );
    this.initialSleepAvg = init * this.msCycles;
    this.granular = this.bonus && (options.timesliceGranularity ?? true);
    const cpus = options.onlineCpus ?? 1;
    if (!(Number.isInteger(cpus) && cpus >= 1))
      throw new InvalidArgumentError(`O1Policy: onlineCpus ${cpus} must be a positive integer`);
    this.onlineCpus = cpus;
  }

  /** Linux 2.6 `task_timeslice` for a nice value, in cycles. */
  timeslice(nice: number): Cycles {
    const sp = 120 + nice;
    return (sp < 120 ? (140 - sp) * 20 : (140 - sp) * 5) * this.msCycles;
  }

  /** Number of active/expired swaps (epochs begun). */
  get epochs(): number {
    return this.swaps;
  }

  /**
   * How many times a thread with a fresh slice was sent to the expired array because the run queue
   * was starving (a thread suspended and resumed before it ran counts at each enqueue).
   */
  get deferredArrivals(): number {
    return this.deferred;
  }

  /**
   * How many times an interactive thread whose slice ran out was put back in the active array
   * (`scheduler_tick`: TASK_INTERACTIVE and not EXPIRED_STARVING).
   */
  get interactiveRequeues(): number {
    return this.kept;
  }

  /**
   * The dynamic priority of `tid` (the list it is or will be queued in): static − bonus, in
   * 100..139. Recomputed when it wakes, when it is first picked after a wake (run-queue credit),
   * when its slice runs out and when its nice changes — not on every tick, as in Linux.
   * @throws UnknownThreadError.
   */
  dynamicPrio(tid: ThreadId): number {
    return this.lookup("dynamicPrio", tid).prio;
  }

  /**
   * The sleep_avg of `tid` in cycles, 0..1000 × msCycles.
   * @throws UnknownThreadError.
   */
  sleepAvg(tid: ThreadId): Cycles {
    return this.lookup("sleepAvg", tid).sleepAvg;
  }

  /**
   * Whether a thread of static priority `prio` arriving with a fresh slice now would wait for the
   * next epoch (the starvation test of the file banner). Pure.
   */
  starving(prio: number): boolean {
    return this.starvingWith(prio, this.readyCount + (this.cur === null ? 0 : 1) + 1);
  }

  /** The starvation test with `nrRunning` runnable threads (both clauses use static priorities). */
  private starvingWith(staticPrio: number, nrRunning: number): boolean {
    return expiredStarving(this.clock - this.epochStart, this.limit, nrRunning, staticPrio, this.bestExpired);
  }

  /**
   * Linux 2.6's TASK_PREEMPTS_CURR: a better dynamic priority than the current thread's. Linux
   * tests it after `activate_task` has put the woken task in the active array; a thread the
   * starvation test sent to the expired array waits for the next epoch and preempts nobody.
   */
  override shouldPreempt(current: ThreadId, woken: ThreadId): boolean {
    const w = this.lookup("shouldPreempt", woken);
    const c = this.lookup("shouldPreempt", current);
    if (w.ready && w.array !== this.active) return false;
    return w.prio < c.prio;
  }

  /**
   * Take a ready thread off the run queue (suspend, migration): from now on it sleeps, as a
   * stopped task does in Linux until `activate_task`.
   */
  override dequeue(tid: ThreadId): void {
    super.dequeue(tid);
    const e = this.entries.get(tid)!;
    e.sleptAt = this.clock;
    e.wokeAt = -1;
  }

  /**
   * What `tid` takes to another CPU: `[sleep_avg, slept]`, its sleep_avg and, when it is off the
   * run queue, the cycles it has slept so far (0 while runnable). Nothing is credited here: Linux
   * carries the sleep's start (`p->timestamp`, rebased by the two run queues' clocks in
   * `pull_task` and in `try_to_wake_up` when the task changes run queue), so the wake on the new
   * CPU credits the whole sleep by its kind, and the long-sleep cap sees it whole.
   * @throws UnknownThreadError.
   */
  migrateOut(tid: ThreadId): readonly [sleepAvg: Cycles, slept: Cycles] {
    const e = this.lookup("migrateOut", tid);
    return [e.sleepAvg, e.sleptAt >= 0 ? this.clock - e.sleptAt + e.sleptBefore : 0];
  }

  /**
   * `tid`, just admitted here from another CPU, keeps the sleep_avg it had there, and the sleep
   * it began there goes on: the wake credits `slept` cycles more than it slept here.
   * @throws UnknownThreadError; InvalidArgumentError when `carried` is not `[sleepAvg, slept]`
   * with sleepAvg in 0..MAX_SLEEP_AVG and slept ≥ 0.
   */
  migrateIn(tid: ThreadId, carried: Carried): void {
    const e = this.lookup("migrateIn", tid);
    const pair = typeof carried === "number" || carried.length !== 2 ? null : carried;
    const sleepAvg = pair?.[0] ?? Number.NaN; // NaN fails both range checks below
    const slept = pair?.[1] ?? Number.NaN;
    if (!(sleepAvg >= 0 && sleepAvg <= this.maxSleepAvg) || !(slept >= 0 && slept < Number.POSITIVE_INFINITY))
      throw new InvalidArgumentError(
        `${this.name}.migrateIn(tid=${tid}, carried=${JSON.stringify(carried)}): expected [sleepAvg in 0..${this.maxSleepAvg}, slept ≥ 0]`,
      );
    if (!this.bonus) return;
    e.sleepAvg = sleepAvg;
    e.prio = effectivePrio(e.staticPrio, sleepAvg, this.maxSleepAvg);
    e.sleptAt = this.clock;
    e.sleptBefore = slept;
  }

  protected makeEntry(tid: ThreadId, params: ThreadParams): O1Entry {
    const staticPrio = 120 + params.nice;
    const sleepAvg = this.bonus ? this.initialSleepAvg : 0;
    return {
      tid,
      params,
      ready: false,
      prio: this.bonus ? effectivePrio(staticPrio, sleepAvg, this.maxSleepAvg) : staticPrio,
      staticPrio,
      sleepAvg,
      sleptAt: -1,
      sleptBefore: 0,
      wokeAt: -1,
      wokeInterrupted: false,
      sliceLeft: this.timeslice(params.nice),
      ran: 0,
      refill: O1_REFILL_NONE,
      array: 0,
      fresh: true,
    };
  }
  /**
   * `SchedPolicy.enqueue`: `sleep` is the kind of sleep a woken thread ends (Linux's
   * `sleep_type`, default `"interactive"`), which decides how its sleep and its first wait on the
   * run queue are credited (`o1-interactivity.ts`, {@link creditWake} and {@link firstWaitCredit}).
   * @throws UnknownThreadError; DuplicateThreadError if it is already ready.
   */
  override enqueue(tid: ThreadId, reason: ReadyReason, sleep?: SleepType): void {
    // The per-pick requeue names no kind and goes straight through; the kind is handed to
    // insertReady in a field (a third argument down the engine's enqueue cost round robin's pick
    // loop 12 %, measured, because every policy shares that path).
    if (sleep === undefined) {
      super.enqueue(tid, reason);
      return;
    }
    this.wakeSleep = sleep;
    try {
      super.enqueue(tid, reason);
    } finally {
      this.wakeSleep = "interactive";
    }
  }
  /**
   * A thread whose slice ran out, or that yields (Linux 2.6 `sys_sched_yield`: "we implement
   * yielding by moving the task into the expired queue"), joins the expired array; so does a
   * thread with a fresh slice while the run queue is {@link O1Policy.starving | starving}. Every
   * other one — preempted, kept active as interactive, or woken with part of its slice left —
   * joins the active one. A woken thread first has its sleep credited (`activate_task` →
   * `recalc_task_prio`) and is queued at its new dynamic priority.
   */
  protected insertReady(e: O1Entry, reason: ReadyReason): void {
    if (e.ran > 0) this.chargeRun(e); // the current thread, requeued: schedule() charges its run
    // A woken thread, or one holding a fresh slice, takes the longer way; the per-pick path
    // (preempted, yielded, expired) stays small enough for V8 to inline into the pick loop.
    if (e.sleptAt >= 0 || e.fresh) {
      this.insertSlow(e, reason, this.wakeSleep);
      return;
    }
    const expired = e.refill === O1_REFILL_EXPIRE || reason === "yielded";
    e.refill = O1_REFILL_NONE;
    this.place(e, expired);
  }
  private insertSlow(e: O1Entry, reason: ReadyReason, sleep: SleepType): void {
    if (e.sleptAt >= 0) this.endSleep(e, reason, sleep);
    let expired = e.refill === O1_REFILL_EXPIRE || reason === "yielded";
    e.refill = O1_REFILL_NONE;
    // `fresh` stays set until the thread runs (onPicked): one taken off the run queue before it
    // ran on its slice brings the same uncounted slice back and is tested again.
    if (e.fresh && !expired) expired = this.deferIfStarving(e);
    this.place(e, expired);
  }
  /** Queue `e` at its dynamic priority in the expired or the active array. */
  private place(e: O1Entry, expired: boolean): void {
    // The mark is not lowered here: only a slice running out lowers it (sliceOver).
    e.array = expired ? 1 - this.active : this.active;
    this.arrays[e.array]!.push(e.prio, e.tid);
  }

  /** The starvation test for a fresh slice: true (and counted) when it must wait in the expired array. */
  private deferIfStarving(e: O1Entry): boolean {
    if (!this.starving(e.staticPrio)) return false;
    this.deferred++;
    return true;
  }
  /**
   * Back on the run queue after blocking or a suspension: on a wake, `recalc_task_prio` credits
   * the sleep by its kind and, unless it was uninterruptible or a long sleep capped at
   * just-interactive (both SLEEP_NONINTERACTIVE), the first wait on the run queue will be
   * credited when picked: at 30 %, or in full after a wake from interrupt context.
   */
  private endSleep(e: O1Entry, reason: ReadyReason, sleep: SleepType): void {
    if (reason === "wake" && this.bonus) this.wakeCredit(e, sleep);
    e.sleptAt = -1;
    e.sleptBefore = 0;
  }
  private wakeCredit(e: O1Entry, sleep: SleepType): void {
    // The whole sleep, including any part spent on another CPU before a move (migrateIn).
    const slept = this.clock - e.sleptAt + e.sleptBefore;
    const capped = longSleep(e.sleepAvg, slept, e.params.nice, this.msCycles);
    this.creditAndReprioritize(e, slept, sleep);
    e.wokeAt = capped || sleep === "noninteractive" ? -1 : this.clock;
    e.wokeInterrupted = sleep === "interrupted";
  }
  /**
   * `recalc_task_prio`: `slept` cycles more of sleep credit, of the kind `sleep` (the run-queue
   * credit at the first pick counts as an interactive sleep), and the dynamic priority they give.
   */
  private creditAndReprioritize(e: O1Entry, slept: Cycles, sleep: SleepType): void {
    e.sleepAvg = creditWake(e.sleepAvg, slept, e.params.nice, this.msCycles, this.maxSleepAvg, sleep);
    e.prio = effectivePrio(e.staticPrio, e.sleepAvg, this.maxSleepAvg);
  }
  /**
   * It runs on its slice now: from here on the slice counts in this epoch. A thread picked for the
   * first time since it woke has its wait credited as sleep (`schedule()`: 30 %, ON_RUNQUEUE_WEIGHT,
   * or all of it after a wake from interrupt context) and its dynamic priority recomputed.
   */
  protected override onPicked(e: O1Entry): void {
    // (Kept under V8's 27-byte always-inline size: the pick loop's inlining budget is tight.)
    if (e.fresh || e.wokeAt >= 0) this.firstPick(e);
  }
  private firstPick(e: O1Entry): void {
    e.fresh = false;
    if (e.wokeAt < 0) return;
    const type: SleepType = e.wokeInterrupted ? "interrupted" : "interactive";
    this.creditAndReprioritize(e, firstWaitCredit(this.clock - e.wokeAt, type), type);
    e.wokeAt = -1;
  }
  /**
   * Off the run queue: it sleeps from now. A thread whose slice was refilled on the tick it
   * blocked will wake with a fresh slice (`activate_task` puts it in the active array unless the
   * run queue is starving).
   */
  protected override onDescheduled(e: O1Entry): void {
    if (e.ran > 0) this.chargeRun(e);
    if (e.refill !== O1_REFILL_NONE) e.fresh = true;
    e.refill = O1_REFILL_NONE;
    e.sleptAt = this.clock;
  }
  protected removeReady(e: O1Entry): void {
    this.arrays[e.array]!.remove(e.prio, e.tid);
  }
  /** The active array is empty: the expired one becomes active, a new epoch begins. */
  private swapArrays(): PrioArray {
    this.active = 1 - this.active;
    this.swaps++;
    this.epochStart = this.clock;
    this.bestExpired = O1_PRIOS;
    return this.arrays[this.active]!;
  }
  protected takeBest(): O1Entry | null {
    let a = this.arrays[this.active]!;
    if (a.count === 0) a = this.swapArrays();
    const p = a.first();
    if (p < 0) return null;
    return this.entries.get(a.shift(p) as ThreadId)!;
  }
  /**
   * `scheduler_tick`: the current thread's sleep_avg decays by the cycles it ran (÷ its
   * CURRENT_BONUS, as 2.6.17+'s `schedule()`); when its slice runs out it is refilled, its dynamic
   * priority recomputed, and an interactive thread stays in the active array unless the run queue
   * is starving (EXPIRED_STARVING, with nr_running = ready + this one).
   */
  protected charge(e: O1Entry | null, cycles: Cycles): boolean {
    this.clock += cycles;
    if (e === null) {
      // An idle CPU has nobody waiting: the epoch's age counts from when the run queue emptied.
      if (this.readyCount === 0) this.epochStart = this.clock;
      return false;
    }
    // A thread with sleep credit takes the longer way (sleep_avg stays 0 without the bonus, and a
    // CPU hog's is 0 too: the pick loop's path stays small enough for V8 to inline).
    if (e.sleepAvg > 0) return this.chargeSleeper(e, cycles);
    e.sliceLeft -= cycles;
    if (e.sliceLeft <= 0) return this.sliceOver(e);
    const best = this.arrays[this.active]!.first();
    return best >= 0 && best < e.prio;
  }
  /** `charge` for a thread with sleep credit: its run is kept for schedule(), and it may be requeued. */
  private chargeSleeper(e: O1Entry, cycles: Cycles): boolean {
    e.ran += cycles;
    e.sliceLeft -= cycles;
    if (e.sliceLeft <= 0) return this.sliceOver(e);
    if (this.granular && this.granularityDue(e, cycles)) return true;
    const best = this.arrays[this.active]!.first();
    return best >= 0 && best < e.prio;
  }
  /**
   * TIMESLICE_GRANULARITY: whether the current `e` goes behind its equal-priority peers now:
   * interactive, a multiple of the granularity of its slice used on this tick, and at least one
   * granularity left (`scheduler_tick`: `(task_timeslice −
   * time_slice) % TIMESLICE_GRANULARITY == 0 && time_slice ≥ TIMESLICE_GRANULARITY`; with ticks
   * longer than a jiffy, "a multiple reached" is "a multiple crossed on this tick"). Linux also
   * asks `p->array == rq->active`; the current thread here was always taken from the active array.
   */
  private granularityDue(e: O1Entry, cycles: Cycles): boolean {
    if (!isInteractive(e.prio, e.staticPrio)) return false;
    const g = timesliceGranularity(e.sleepAvg, this.maxSleepAvg, this.msCycles, this.onlineCpus);
    if (e.sliceLeft < g) return false;
    const used = this.timeslice(e.params.nice) - e.sliceLeft;
    return Math.floor(used / g) > Math.floor((used - cycles) / g);
  }
  /**
   * Linux 2.6.17+'s `schedule()` for the thread switched out (or requeued): its run since it was
   * switched in, capped at MAX_SLEEP_AVG, costs run ÷ max(CURRENT_BONUS, 1) of sleep_avg.
   */
  private chargeRun(e: O1Entry): void {
    const run = Math.min(e.ran, this.maxSleepAvg);
    e.sleepAvg = decaySleep(e.sleepAvg, run, this.maxSleepAvg);
    e.ran = 0;
  }
  /**
   * The slice of the current `e` ran out: refill it, recompute the dynamic priority, and decide
   * its array (kept out of `charge` so that the per-tick path stays small enough to inline).
   */
  private sliceOver(e: O1Entry): boolean {
    e.sliceLeft = this.timeslice(e.params.nice);
    if (this.bonus) {
      e.prio = effectivePrio(e.staticPrio, e.sleepAvg, this.maxSleepAvg);
      // With no sleep credit the prio is static + 5 (clamped): never interactive.
      if (
        e.sleepAvg > 0 &&
        isInteractive(e.prio, e.staticPrio) &&
        !this.starvingWith(e.staticPrio, this.readyCount + 1)
      ) {
        e.refill = O1_REFILL_KEEP;
        this.kept++;
        return true;
      }
    }
    // scheduler_tick enqueues it in the expired array and lowers best_expired_prio here, and
    // only here: even if it blocks on this tick and never reaches that array, the mark stays.
    e.refill = O1_REFILL_EXPIRE;
    if (e.staticPrio < this.bestExpired) this.bestExpired = e.staticPrio;
    return true;
  }
  protected override onParamsChanged(e: O1Entry, old: ThreadParams): void {
    if (e.params.nice === old.nice) return;
    if (e.ready) this.removeReady(e);
    e.staticPrio = 120 + e.params.nice;
    e.prio = this.bonus ? effectivePrio(e.staticPrio, e.sleepAvg, this.maxSleepAvg) : e.staticPrio;
    // The thread stays in its array; the mark is left alone, as Linux's `set_user_nice` leaves
    // `best_expired_prio` (a better nice in the expired array is seen at its next expiry).
    if (e.ready) this.arrays[e.array]!.push(e.prio, e.tid);
  }
  protected orderedReady(): ThreadId[] {
    const out: ThreadId[] = [];
    for (const a of [this.arrays[this.active]!, this.arrays[1 - this.active]!]) {
      for (const l of a.lists) for (const t of l.toArray()) out.push(t as ThreadId);
    }
    return out;
  }
  protected override checkOwnInvariants(): void {
    if (!(this.epochStart <= this.clock))
      throw new InvariantError(`${this.name}: epoch began at ${this.epochStart}, after now (${this.clock})`);
    const m = this.bestExpired;
    if (!(Number.isInteger(m) && ((m >= O1_PRIO_BEST && m <= O1_PRIO_WORST) || m === O1_PRIOS)))
      throw new InvariantError(
        `${this.name}: best_expired_prio ${m} is neither a priority in 100..139 nor ${O1_PRIOS}`,
      );
    for (const e of this.entries.values()) {
      if (!(e.sleepAvg >= 0 && e.sleepAvg <= this.maxSleepAvg))
        throw new InvariantError(
          `${this.name}: tid=${e.tid} sleep_avg ${e.sleepAvg} outside 0..${this.maxSleepAvg}`,
        );
      if (!(e.sleptBefore >= 0) || (e.sleptBefore > 0 && e.sleptAt < 0))
        throw new InvariantError(
          `${this.name}: tid=${e.tid} carries ${e.sleptBefore} cycles of sleep from another CPU but is not asleep`,
        );
      if (!(e.ran >= 0) || (e.ran > 0 && e !== this.cur))
        throw new InvariantError(
          `${this.name}: tid=${e.tid} has ${e.ran} cycles of run not charged to sleep_avg but is not current`,
        );
      const half = this.bonus ? O1_MAX_BONUS / 2 : 0;
      if (
        e.staticPrio !== 120 + e.params.nice ||
        Math.abs(e.prio - e.staticPrio) > half ||
        e.prio < 100 ||
        e.prio > 139
      )
        throw new InvariantError(
          `${this.name}: tid=${e.tid} prio ${e.prio}, static ${e.staticPrio}: expected static 120 + nice and prio within static ± ${half} in 100..139`,
        );
    }
    this.arrays.forEach((a, ai) => {
      let n = 0;
      a.lists.forEach((l, p) => {
        const bit = (a.bitmap[p >>> 5]! >>> (p & 31)) & 1;
        if ((bit === 1) !== l.size > 0)
          throw new InvariantError(`${this.name}: array ${ai} bit ${p} is ${bit}, list holds ${l.size}`);
        n += l.size;
        for (const t of l.toArray()) {
          const e = this.entries.get(t as ThreadId)!;
          if (e.prio !== p || e.array !== ai)
            throw new InvariantError(
              `${this.name}: tid=${t} in array ${ai} list ${p}, expected array ${e.array} list ${e.prio}`,
            );
        }
      });
      if (n !== a.count)
        throw new InvariantError(`${this.name}: array ${ai} counts ${a.count}, lists hold ${n}`);
    });
  }
}
