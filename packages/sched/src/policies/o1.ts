/**
 * The O(1) scheduler's active and expired arrays (Linux 2.6.0–2.6.22, and Codezero's run queues):
 * pick-next in constant time, whatever the number of threads.
 *
 * Each array has 140 FIFO lists, one per priority (lower number = more urgent; normal threads
 * sit at static priority 120 + nice, so nice −20..19 → 100..139), and a bitmap of the non-empty
 * lists, so the best list is the lowest set bit of five 32-bit words: `w & −w` isolates the
 * lowest set bit and `31 − clz32` gives its index (w = 0b1100 → w & −w = 0b100 → 31 − 29 = 2):
 *
 * ```
 *   active:  bitmap 0…0 1 0 … 1 …        pick: first set bit → head of that list
 *   expired: bitmap 0…0 0 1 …            a thread whose slice runs out goes here, slice refilled
 *   active empty  →  swap(active, expired)  (one pointer swap: a new epoch)
 * ```
 *
 * A thread whose slice runs out is refilled and goes to the expired array, and so does a thread
 * that yields (2.6's `sched_yield`); a thread that blocks wakes into the active array with what is
 * left of its slice (`activate_task`), even when its slice ran out on the tick it blocked — unless
 * the run queue is starving (below).
 *
 * **Sleeping with slice left.** Linux 2.6's `try_to_wake_up` calls `activate_task`, which calls
 * `recalc_task_prio` — the sleep is credited to `sleep_avg` (capped at MAX_SLEEP_AVG; a long
 * sleeper is set to just-interactive) and the dynamic priority is recomputed from it, a bonus of
 * up to ±5 — and then `__activate_task` puts the task in the active array. Neither touches
 * `time_slice`: it is refilled only in `scheduler_tick` when it reaches 0 (and split in
 * `sched_fork`). So a task wakes with exactly the slice it slept with, however long it slept, and
 * so do ours (we model no sleep_avg bonus: the dynamic priority is the static one). Linux has no
 * task that leaves the run queue before it ever ran — a forked child is TASK_RUNNING from
 * `sched_fork` on and can only stop or sleep from its own context — but our `Scheduler` can
 * suspend a ready thread. Such a thread keeps its whole slice too (decision: faithful to
 * `activate_task`), and it stays *fresh* (below) until it is picked: the slice it brings back is
 * one it has not run on, so the starvation test applies again. (It used to apply only at the
 * first enqueue, so a thread the test had sent to the expired array jumped to the active one on
 * resume; block on the refill tick, wake, suspend, resume, run a whole slice, and again, kept the
 * active array from ever emptying. Tested.)
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
 *   2. a thread of better static priority is waiting in the expired array (the second clause,
 *      with the newcomer in the place of the current task).
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
 * Slices follow Linux 2.6's `task_timeslice`: (140 − static_prio) × 20 ms below 120, else
 * (140 − static_prio) × 5 ms, so nice 0 gets 100 ms, nice 19 gets 5 ms, nice −20 gets 800 ms;
 * `msCycles` says how many cycles make a millisecond. Not modelled: the interactivity bonus
 * (sleep_avg) that let interactive threads go back to the active array.
 *
 * Optimises pick cost (O(1)) and gives every thread a turn once per epoch (starvation-free, with
 * the rule above); costs fairness between nice levels (slices are fixed, not proportional to
 * load), latency of long slices, and a newcomer's latency while the run queue is starving (it
 * waits for the next epoch).
 *
 * Invariants: bitmap bit p of each array is set exactly when its list p is non-empty; every
 * ready thread is in exactly one list of one array, at its priority; the epoch began no later
 * than now.
 */
import type { Cycles, ReadyReason, ThreadId, ThreadParams } from "../api.js";
import { InvariantError } from "../errors.js";
import { SlotRing } from "../structs/ring.js";
import { PolicyBase, type PolicyEntry, positive } from "./base.js";

/** Number of priorities in the O(1) scheduler (MAX_PRIO). */
export const O1_PRIOS = 140;

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
}

/** Linux 2.6's STARVATION_LIMIT (= MAX_SLEEP_AVG) in milliseconds. */
export const O1_STARVATION_LIMIT_MS = 1000;

/** What the O(1) scheduler keeps per thread: priority, slice left, and which array holds it. */
export interface O1Entry extends PolicyEntry {
  prio: number;
  sliceLeft: Cycles;
  /** Set when the slice ran out: the next enqueue goes to the expired array. */
  expire: boolean;
  /** Which array it is queued in while ready (0 or 1). */
  array: number;
  /**
   * Holds a whole slice it has not run on yet: set at admission and when a thread blocks on the
   * tick its slice was refilled, cleared when it is picked. Every enqueue while it is set is
   * subject to the starvation test (a thread suspended and resumed before it ran is tested again).
   */
  fresh: boolean;
}

class PrioArray {
  readonly bitmap = new Uint32Array(5);
  readonly lists: SlotRing[] = Array.from({ length: O1_PRIOS }, () => new SlotRing(2));
  count = 0;
  push(p: number, t: number): void {
    this.lists[p]!.push(t);
    this.bitmap[p >>> 5]! |= 1 << (p & 31);
    this.count++;
  }
  remove(p: number, t: number): void {
    const l = this.lists[p]!;
    l.remove(t);
    if (l.size === 0) this.bitmap[p >>> 5]! &= ~(1 << (p & 31));
    this.count--;
  }
  /** First set bit (lowest priority number), or -1. `w & -w` isolates the lowest set bit. */
  first(): number {
    for (let i = 0; i < 5; i++) {
      const w = this.bitmap[i]!;
      if (w !== 0) return (i << 5) + (31 - Math.clz32(w & -w));
    }
    return -1;
  }
  shift(p: number): number {
    const l = this.lists[p]!;
    const t = l.shift();
    if (l.size === 0) this.bitmap[p >>> 5]! &= ~(1 << (p & 31));
    this.count--;
    return t;
  }
}

/**
 * O(1) active/expired arrays.
 * @throws InvalidArgumentError from the constructor when `msCycles` ≤ 0.
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
  private readonly arrays = [new PrioArray(), new PrioArray()];
  private active = 0;
  private swaps = 0;
  /** Cycles charged so far (running or idle): the policy's clock, Linux's jiffies. */
  private clock: Cycles = 0;
  /** `clock` at the last swap, or at the end of the last idle tick with nothing ready. */
  private epochStart: Cycles = 0;
  private deferred = 0;

  constructor(options: O1Options = {}) {
    super();
    this.msCycles = positive("O1Policy", "msCycles", options.msCycles ?? 1);
    this.limit =
      positive("O1Policy", "starvationLimit", options.starvationLimit ?? O1_STARVATION_LIMIT_MS) *
      this.msCycles;
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
   * Whether a thread of static priority `prio` arriving with a fresh slice now would wait for the
   * next epoch (the starvation test of the file banner). Pure.
   */
  starving(prio: number): boolean {
    const nrRunning = this.readyCount + (this.cur === null ? 0 : 1) + 1;
    if (this.clock - this.epochStart >= this.limit * nrRunning) return true;
    const bestExpired = this.arrays[1 - this.active]!.first();
    return bestExpired >= 0 && prio > bestExpired;
  }

  /**
   * Linux 2.6's TASK_PREEMPTS_CURR: a better static priority than the current thread's. Linux
   * tests it after `activate_task` has put the woken task in the active array; a thread the
   * starvation test sent to the expired array waits for the next epoch and preempts nobody.
   */
  override shouldPreempt(current: ThreadId, woken: ThreadId): boolean {
    const w = this.lookup("shouldPreempt", woken);
    const c = this.lookup("shouldPreempt", current);
    if (w.ready && w.array !== this.active) return false;
    return w.prio < c.prio;
  }

  protected makeEntry(tid: ThreadId, params: ThreadParams): O1Entry {
    return {
      tid,
      params,
      ready: false,
      prio: 120 + params.nice,
      sliceLeft: this.timeslice(params.nice),
      expire: false,
      array: 0,
      fresh: true,
    };
  }
  /**
   * A thread whose slice ran out, or that yields (Linux 2.6 `sys_sched_yield`: "we implement
   * yielding by moving the task into the expired queue"), joins the expired array; so does a
   * thread with a fresh slice while the run queue is {@link O1Policy.starving | starving}. Every
   * other one — preempted, or woken with part of its slice left — joins the active one.
   */
  protected insertReady(e: O1Entry, reason: ReadyReason): void {
    let expired = e.expire || reason === "yielded";
    e.expire = false;
    // `fresh` stays set until the thread runs (onPicked): one taken off the run queue before it
    // ran on its slice brings the same uncounted slice back and is tested again.
    if (e.fresh && !expired && this.starving(e.prio)) {
      expired = true;
      this.deferred++;
    }
    e.array = expired ? 1 - this.active : this.active;
    this.arrays[e.array]!.push(e.prio, e.tid);
  }
  /**
   * Off the run queue. A thread whose slice ran out on the tick it blocked has been refilled: it
   * will wake with a fresh slice (`activate_task` puts it in the active array unless the run
   * queue is starving).
   */
  /** It runs on its slice now: from here on the slice counts in this epoch. */
  protected override onPicked(e: O1Entry): void {
    e.fresh = false;
  }
  protected override onDescheduled(e: O1Entry): void {
    if (e.expire) e.fresh = true;
    e.expire = false;
  }
  protected removeReady(e: O1Entry): void {
    this.arrays[e.array]!.remove(e.prio, e.tid);
  }
  protected takeBest(): O1Entry | null {
    let a = this.arrays[this.active]!;
    if (a.count === 0) {
      this.active = 1 - this.active;
      this.swaps++;
      this.epochStart = this.clock;
      a = this.arrays[this.active]!;
    }
    const p = a.first();
    if (p < 0) return null;
    return this.entries.get(a.shift(p) as ThreadId)!;
  }
  protected charge(e: O1Entry | null, cycles: Cycles): boolean {
    this.clock += cycles;
    if (e === null) {
      // An idle CPU has nobody waiting: the epoch's age counts from when the run queue emptied.
      if (this.readyCount === 0) this.epochStart = this.clock;
      return false;
    }
    e.sliceLeft -= cycles;
    if (e.sliceLeft <= 0) {
      e.sliceLeft = this.timeslice(e.params.nice);
      e.expire = true;
      return true;
    }
    const best = this.arrays[this.active]!.first();
    return best >= 0 && best < e.prio;
  }
  protected override onParamsChanged(e: O1Entry, old: ThreadParams): void {
    if (e.params.nice === old.nice) return;
    if (e.ready) this.removeReady(e);
    e.prio = 120 + e.params.nice;
    if (e.ready) {
      this.arrays[e.array]!.push(e.prio, e.tid);
    }
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
