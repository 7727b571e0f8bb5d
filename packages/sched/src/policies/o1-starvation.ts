/**
 * The O(1) scheduler's defence against starvation (Linux 2.6's EXPIRED_STARVING, as `o1.ts`
 * applies it): when a whole new slice must wait for the next epoch, and why every ready thread
 * then runs within a bounded time. `o1.ts` keeps the epoch's age and the `best_expired_prio`
 * mark and calls {@link expiredStarving}; this file is the rule and its proof.
 *
 * ```
 *   swap ── age < ℓ·nr_running ──┬── age ≥ ℓ·nr_running ("starving") ──── active empty: swap
 *   fresh slices join the active │ fresh slices and interactive refills join the expired
 *   array                        │ array; the active array only drains
 * ```
 *
 * **Arrivals and starvation.** An epoch ends only when the active array is empty, so anything
 * that keeps putting whole new slices into the active array postpones the swap, and the expired
 * array starves. Linux 2.6 had two defences. Every task is forked, and `sched_fork` split the
 * parent's remaining slice: the child got the rounded-up half, the parent kept the rest, and a
 * child that exited within that first slice gave what was left back to its parent (`sched_exit`),
 * so a family never held more slice in an epoch than the parent had. And `scheduler_tick`, which
 * put an interactive task whose slice ran out back into the active array, stopped doing so once
 * EXPIRED_STARVING(rq) held: the expired array's first waiter had waited more than
 * STARVATION_LIMIT × nr_running (`jiffies − expired_timestamp ≥ STARVATION_LIMIT × nr_running +
 * 1`), or a task of better static priority than the current one had expired.
 *
 * Our `admit(tid, params)` has no parent: the simulator, the `Scheduler` and the laws create
 * threads from nowhere, so there is no slice to split (and a policy cannot take time back from a
 * thread that is not its current one). We apply the starvation test where our whole new slices
 * come in instead. A thread with a fresh slice — just admitted (new, or moved here from another
 * CPU), or woken after its slice was refilled on the tick it blocked, and in either case not yet
 * picked since — joins the expired array rather than the active one when
 *
 *   1. the epoch has lasted STARVATION_LIMIT × nr_running or longer (one cycle sooner than
 *      Linux's "+ 1" jiffy; the worked numbers in the tests use it; nr_running counts the ready
 *      threads, the current one and the newcomer; idle cycles do not age the epoch, since
 *      nobody waits through them). Every thread waiting in either array has
 *      waited at most that long, so this is Linux's first clause measured from the swap rather
 *      than from the first expiry: it also covers lower-priority threads still waiting in the
 *      active array behind a stream of better-priority newcomers, which Linux's clause never
 *      sees: it holds only once a task has expired (`expired_timestamp ≠ 0`), and newcomers that
 *      exit within their slice expire nothing; or
 *   2. a thread of better static priority has had its slice run out and been sent to the
 *      expired array in this epoch (the second clause, with the newcomer in the place of the
 *      current task; see below).
 *
 * Once newcomers stop entering it, the active array drains: each thread in it has at most one
 * slice left, and refills only go to the expired array. Then the arrays swap and everyone who
 * waited runs. So a ready thread waits at most about twice STARVATION_LIMIT × nr_running (the
 * rest of this epoch, then the next one's wait behind better-priority newcomers) plus one slice
 * per ready thread; the law "starvation-free under arrivals" (`laws/starvation.ts`) checks it. A
 * woken thread with part of its slice left still goes to the active array: that slice was
 * already counted in this epoch. A thread sent to the expired array does not preempt the current
 * one (`shouldPreempt` is false), as Linux tests TASK_PREEMPTS_CURR only for a task it put in
 * the active array. STARVATION_LIMIT is Linux's MAX_SLEEP_AVG, 10 × the nice-0
 * slice = 1000 ms (option `starvationLimit`).
 *
 * **The bound with interactivity.** A slice kept in the active array is a whole new slice in
 * this epoch, exactly what the starvation test guards; so it is kept only while the same test
 * (with nr_running = ready + the current thread) says "not starving". Past STARVATION_LIMIT ×
 * nr_running every refill goes to the expired array whoever it belongs to, as every fresh slice
 * does, and the argument above is unchanged: the active array drains (dynamic priorities change
 * only at a wake, at the first pick after it — for the thread being picked — and at expiry, so
 * without wakes nothing that enters it outranks the thread picked from it; a woken thread with
 * part of its slice left may, as before, and that slice was counted in this epoch) and the
 * arrays swap. A TIMESLICE_GRANULARITY requeue brings no new slice (the thread goes behind its
 * equal-priority peers with what is left of its own), so it adds turns but no time to an epoch:
 * the bound in time stands; counted in turns, the drain is at most one turn per cycle of slice
 * held in the active array. The second clause compares static priorities through Linux's
 * `best_expired_prio`, a mark lowered where Linux 2.6.17–2.6.22 lowers it — in `scheduler_tick`,
 * when a slice runs out and the task goes to the expired array — and reset at the swap. A thread
 * that yields (`sys_sched_yield`), a fresh slice deferred by this test (`__activate_task`'s
 * expired target) and a nice change (`set_user_nice`) leave it alone, and a thread that leaves
 * the expired array early does not raise it. So the mark can miss a better priority waiting
 * there, or name one no longer there; neither matters to the bound, which rests on the first
 * clause alone (the second only ever shortens an epoch).
 *
 * Related: `o1.ts` (where the test applies: a fresh slice's enqueue, an interactive thread's
 * refill), `laws/starvation.ts` (laws 4 and 4b: the bound in picks), `test/laws.test.ts` (the
 * bound for the law's configurations), `test/o1-interactivity.test.ts` (the bound in cycles with
 * sleepers).
 */

/** Linux 2.6's STARVATION_LIMIT (= MAX_SLEEP_AVG) in milliseconds. */
export const O1_STARVATION_LIMIT_MS = 1000;

/**
 * The starvation test (Linux 2.6's EXPIRED_STARVING, measured from the swap): true when the epoch
 * has lasted `limit` × `nrRunning` cycles or more, or when `staticPrio` is worse than the best
 * static priority whose slice ran out this epoch (`bestExpired`, 140 when none).
 * @example
 * ```ts
 * expiredStarving(1999, 1000, 2, 120, 140); // → false (age 1999 < 2000)
 * expiredStarving(2000, 1000, 2, 120, 140); // → true
 * expiredStarving(0, 1000, 2, 120, 115);    // → true (a nice −5 thread waits in the expired array)
 * ```
 */
export function expiredStarving(
  age: number,
  limit: number,
  nrRunning: number,
  staticPrio: number,
  bestExpired: number,
): boolean {
  return age >= limit * nrRunning || staticPrio > bestExpired;
}
