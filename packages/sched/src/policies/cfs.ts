/**
 * A CFS-like fair policy (Linux's Completely Fair Scheduler before EEVDF, kernel/sched/fair.c):
 * each thread accumulates virtual runtime, real runtime scaled by its weight, and the thread
 * with the smallest vruntime runs next.
 *
 *   vruntime += delta × NICE_0_WEIGHT / weight          (calc_delta_fair)
 *
 * Weights come from Linux's `sched_prio_to_weight` (nice 0 → 1024, each nice step ≈ ×1.25), so
 * two runnable threads at nice 0 and nice 5 (weight 335) share the CPU 1024 : 335 = 75 % : 25 %.
 *
 * Scheduling period and slices (`__sched_period`, `sched_slice`): with nr runnable threads the
 * period is `targetLatency`, stretched to nr × minGranularity when that is longer, and a
 * thread's ideal slice is period × weight / total weight. Worked numbers with the defaults
 * (latency 24, min granularity 3 — Linux's 6 ms : 0.75 ms): 4 nice-0 threads → slice 6 each;
 * 10 threads → period 30, slice 3.
 *
 * Preemption at a tick (`check_preempt_tick`): when the current thread has run its ideal slice,
 * or has run at least minGranularity and its vruntime leads the leftmost by more than the slice.
 * At wakeup (`wakeup_preempt_entity`): when the woken thread's vruntime is more than
 * `wakeupGranularity` (in the woken thread's virtual time) behind the current one's.
 *
 * Placement (`place_entity`): a new thread starts one virtual slice after min_vruntime
 * (START_DEBIT), a waking thread at no less than min_vruntime − targetLatency/2 (sleeper credit,
 * GENTLE_FAIR_SLEEPERS). A thread that moves to another CPU keeps its lag: `migrateOut` gives
 * vruntime − min_vruntime of the old queue and `migrateIn` sets vruntime = min_vruntime + lag on
 * the new one, as Linux subtracts the old queue's min_vruntime from a migrating task and adds the
 * new one's; a thread that arrives with reason "migrated" and no lag starts at min_vruntime.
 *
 * min_vruntime (`update_min_vruntime`) is max(min_vruntime, min(current, leftmost)): brought up
 * to date at every tick and pick, and when a thread leaves the runnable set (the current one
 * blocks, a ready one is dequeued), as Linux's `dequeue_entity` does, so a thread placed right
 * after measures against the runnable threads that remain. It only moves forward.
 *
 * **Buddies** (Linux v4.19's `kernel/sched/fair.c`, the same from 2.6.39 to 6.5, before EEVDF;
 * option `buddies`, default on). Three hints bend the pick away from the leftmost thread, each
 * only while the thread it names is *within the wakeup granularity of the leftmost*: its vruntime
 * at most wakeupGranularity (in the leftmost's virtual time, `wakeup_gran(left)`) beyond the
 * leftmost's (`wakeup_preempt_entity(buddy, left) < 1`).
 *
 * ```
 *   pick_next_entity:  se = leftmost
 *                      skip == se and the runner-up within gran  → se = runner-up
 *                      last within gran                          → se = last   (overrides)
 *                      next within gran                          → se = next   (overrides)
 *                      clear the buddies that name se
 * ```
 *
 * - *skip*: a thread that yields (`yield_task_fair`) keeps its vruntime and is passed over for
 *   the runner-up, picks after picks, until it is itself picked (the runner-up drifted beyond the
 *   granularity) or leaves the run queue. A yield with no other runnable thread marks nothing
 *   (`rq->nr_running == 1`).
 * - *next*: a woken (or new, or migrated) thread that preempts the current one
 *   (`check_preempt_wakeup`: current.vruntime − woken.vruntime > wakeup_gran(woken)) — "someone
 *   really wants this to run". With `nextBuddy` (Linux's NEXT_BUDDY feature, off by default) any
 *   woken or migrated thread is marked when nr_running ≥ sched_nr_latency, even if it does not preempt.
 * - *last*: the current thread that such a wakeup preempts, when nr_running ≥ sched_nr_latency
 *   (= ⌈targetLatency / minGranularity⌉, 8 by default) and `lastBuddy` (LAST_BUDDY, on by
 *   default): "try to return the CPU to a preempted task" once the wakee has run.
 *
 * A wakeup that finds a reschedule already pending (the tick asked for one, or an earlier wake
 * preempted) marks nothing, as `check_preempt_wakeup` returns at `test_tsk_need_resched`. A buddy
 * is cleared when it is picked, leaves the run queue (`dequeue_entity`), yields (next, last) or
 * runs out its slice at a tick (`check_preempt_tick`: "ensure it doesn't get re-elected due to
 * buddy favours"). So a pick never takes a thread more than one wakeup granularity beyond the
 * leftmost (tested as a property). A nice change keeps the thread's vruntime and place
 * (`reweight_entity`); only its weight, and so its future rate, changes — and, as `set_user_nice`
 * dequeues and requeues a queued thread, the buddies naming it are cleared.
 *
 * The ready set is a red-black tree with a cached leftmost node (Linux's `rb_root_cached`), or,
 * with `queue: "heap"`, a binary heap: same picks, different costs (see bench/).
 *
 * Optimises proportional fairness with bounded lag: while every thread stays runnable, the
 * spread of vruntimes stays below (period + tick) × 1024 / smallest weight (tested). Costs
 * O(log n) per pick and requeue, and tuning of latency against throughput.
 *
 * Invariants: the queue holds exactly the ready threads keyed by their vruntime; total ready
 * weight is the sum of their weights; min_vruntime never decreases (a woken sleeper may sit up
 * to latency/2 below it, by the credit rule).
 */
import {
  NICE_0_WEIGHT as API_NICE_0_WEIGHT,
  type Cycles,
  type ReadyReason,
  SCHED_PRIO_TO_WEIGHT,
  type ThreadId,
  type ThreadParams,
} from "../api.js";
import { InvalidArgumentError, InvariantError } from "../errors.js";
import { VruntimeTree } from "../structs/rbtree.js";
import { VruntimeHeap } from "../structs/vruntime-heap.js";
import { PolicyBase, type PolicyEntry, positive } from "./base.js";

// A module-local copy for the per-tick charge: V8 folds a module-local const into the optimised
// code, but reloads and checks an imported binding (a live cell) at every use.
const NICE_0_WEIGHT = API_NICE_0_WEIGHT;

/** Options of {@link CfsPolicy}. Times are in cycles. */
export interface CfsOptions {
  /** Period in which every runnable thread should run once, > 0. Default 24 (Linux 6 ms). */
  readonly targetLatency?: number;
  /** Shortest slice, > 0. Default 3 (Linux 0.75 ms). */
  readonly minGranularity?: number;
  /** Wakeup preemption threshold, > 0. Default 4 (Linux 1 ms). */
  readonly wakeupGranularity?: number;
  /** Run-queue structure. Default `"rbtree"`. */
  readonly queue?: "rbtree" | "heap";
  /** Place new threads one virtual slice after min_vruntime (Linux START_DEBIT). Default true. */
  readonly startDebit?: boolean;
  /**
   * Model the next and last buddies of wakeup preemption (see the file banner). Default true, as
   * Linux 2.6.39–6.5; false keeps only the skip buddy of a yield, and every other pick takes the
   * leftmost thread.
   */
  readonly buddies?: boolean;
  /** Linux's LAST_BUDDY feature (only with `buddies`). Default true, as in Linux. */
  readonly lastBuddy?: boolean;
  /** Linux's NEXT_BUDDY feature (only with `buddies`). Default false, as in Linux. */
  readonly nextBuddy?: boolean;
}

/** What CFS keeps per thread: vruntime, weight, and runtime since the last pick. */
export interface CfsEntry extends PolicyEntry {
  vruntime: number;
  weight: number;
  /** Cycles run since the last pick. */
  sliceExec: Cycles;
  /** Set by `migrateIn`: the vruntime already holds the lag carried from the old CPU. */
  carried: boolean;
}

/** The weight of a nice value (Linux `sched_prio_to_weight[nice + 20]`). */
export function niceToWeight(nice: number): number {
  return SCHED_PRIO_TO_WEIGHT[nice + 20]!;
}

/**
 * CFS-like weighted fair scheduling.
 * @throws InvalidArgumentError from the constructor for a latency or granularity ≤ 0.
 * @example
 * ```ts
 * const cfs = new CfsPolicy();
 * cfs.admit(threadId(1), { nice: 0 }); cfs.enqueue(threadId(1), "new");
 * cfs.admit(threadId(2), { nice: 5 }); cfs.enqueue(threadId(2), "new");
 * cfs.idealSlice(threadId(1)); // → 24 × 1024 / (1024 + 335) ≈ 18.08
 * ```
 */
export class CfsPolicy extends PolicyBase<CfsEntry> {
  readonly name: string = "cfs";
  readonly starvationFree: boolean = true;
  /** Target latency in cycles. */
  readonly targetLatency: number;
  /** Minimum granularity in cycles. */
  readonly minGranularity: number;
  /** Wakeup granularity in cycles. */
  readonly wakeupGranularity: number;
  private readonly tree: VruntimeTree | null;
  private readonly heap: VruntimeHeap | null;
  /** sched_nr_latency: ⌈targetLatency / minGranularity⌉, the nr_running from which buddies scale. */
  readonly nrLatency: number;
  private readonly startDebit: boolean;
  private readonly buddies: boolean;
  private readonly lastBuddy: boolean;
  private readonly nextBuddy: boolean;
  private minV = 0;
  private readyWeight = 0;
  /** The thread that yielded, passed over while another is close enough (Linux's skip buddy), or −1. */
  private skip = -1;
  /** The woken thread that preempted the current one (Linux's next buddy), or −1. */
  private next = -1;
  /** The current thread that a wakeup preempted (Linux's last buddy), or −1. */
  private last = -1;
  /** A reschedule is pending for the current thread (Linux's TIF_NEED_RESCHED): set by a preempting tick or wakeup, cleared at the pick. */
  private resched = false;

  constructor(options: CfsOptions = {}) {
    super();
    this.targetLatency = positive("CfsPolicy", "targetLatency", options.targetLatency ?? 24);
    this.minGranularity = positive("CfsPolicy", "minGranularity", options.minGranularity ?? 3);
    this.wakeupGranularity = positive("CfsPolicy", "wakeupGranularity", options.wakeupGranularity ?? 4);
    this.startDebit = options.startDebit ?? true;
    this.buddies = options.buddies ?? true;
    this.lastBuddy = this.buddies && (options.lastBuddy ?? true);
    this.nextBuddy = this.buddies && (options.nextBuddy ?? false);
    this.nrLatency = Math.ceil(this.targetLatency / this.minGranularity);
    const heap = options.queue === "heap";
    this.tree = heap ? null : new VruntimeTree();
    this.heap = heap ? new VruntimeHeap() : null;
  }

  /** min_vruntime: a monotonic floor of the runnable vruntimes. */
  get minVruntime(): number {
    return this.minV;
  }

  /** vruntime of `tid`. @throws UnknownThreadError. */
  vruntimeOf(tid: ThreadId): number {
    return this.lookup("vruntimeOf", tid).vruntime;
  }

  /** The scheduling period for `nr` runnable threads (`__sched_period`). */
  period(nr: number): Cycles {
    return Math.max(nr * this.minGranularity, this.targetLatency);
  }

  /**
   * The ideal slice of `tid` if it were runnable now with the current ready set (`sched_slice`).
   * @throws UnknownThreadError.
   */
  idealSlice(tid: ThreadId): Cycles {
    const e = this.lookup("idealSlice", tid);
    let nr = this.readyCount + (this.cur !== null ? 1 : 0);
    let total = this.readyWeight + (this.cur !== null ? this.cur.weight : 0);
    if (!e.ready && e !== this.cur) {
      nr++;
      total += e.weight;
    }
    return (this.period(nr) * e.weight) / total;
  }

  override shouldPreempt(current: ThreadId, woken: ThreadId): boolean {
    const w = this.lookup("shouldPreempt", woken);
    const c = this.lookup("shouldPreempt", current);
    const gran = (this.wakeupGranularity * NICE_0_WEIGHT) / w.weight;
    return c.vruntime - w.vruntime > gran;
  }

  protected makeEntry(tid: ThreadId, params: ThreadParams): CfsEntry {
    return {
      tid,
      params,
      ready: false,
      vruntime: 0,
      weight: niceToWeight(params.nice),
      sliceExec: 0,
      carried: false,
    };
  }
  protected insertReady(e: CfsEntry, reason: ReadyReason): void {
    // A preempted thread goes back as it is (the pick loop's path, kept to the insert alone).
    if (reason !== "preempted") this.arrive(e, reason);
    if (this.tree !== null) this.tree.insert(e.tid, e.vruntime);
    else this.heap!.push(e.tid, e.vruntime);
    this.readyWeight += e.weight;
  }
  /**
   * `e` arrives other than by preemption: a yield makes it the skip buddy (`yield_task_fair`:
   * clear_buddies(curr), then set_skip_buddy); a new, woken or migrated thread is placed
   * (`place_entity`) and checked against the running one (`check_preempt_wakeup`).
   */
  private arrive(e: CfsEntry, reason: ReadyReason): void {
    if (reason === "yielded") {
      // yield_task_fair returns at once when the yielder is the only runnable thread
      // (rq->nr_running == 1): no buddy changes. `e` is not counted in readyCount yet.
      if (this.readyCount === 0) return;
      this.clearBuddies(e.tid);
      this.skip = e.tid;
      return;
    }
    if (reason === "new") {
      const debit = this.startDebit ? (this.sliceFor(e.weight, 1) * NICE_0_WEIGHT) / e.weight : 0;
      e.vruntime = Math.max(e.vruntime, this.minV + debit);
    } else if (reason === "wake") {
      e.vruntime = Math.max(e.vruntime, this.minV - this.targetLatency / 2);
      e.carried = false;
    } else if (reason === "migrated") {
      if (!e.carried) e.vruntime = this.minV;
      e.carried = false;
    }
    if (this.buddies && this.cur !== null) this.checkPreemptWakeup(e, reason);
  }
  /**
   * Linux's `check_preempt_wakeup` for the buddies, `e` just queued while `cur` runs: with
   * NEXT_BUDDY and nr_running ≥ sched_nr_latency a woken (not forked) thread is the next buddy
   * anyway; if no reschedule is pending and `e` preempts (current.vruntime − e.vruntime >
   * wakeup_gran(e), as {@link CfsPolicy.shouldPreempt}), `e` is the next buddy and, with
   * LAST_BUDDY and nr_running ≥ sched_nr_latency, the current thread the last one.
   */
  private checkPreemptWakeup(e: CfsEntry, reason: ReadyReason): void {
    const cur = this.cur!;
    const scale = this.readyCount + 2 >= this.nrLatency; // the ready set, e, and the current thread
    let marked = false;
    if (this.nextBuddy && scale && reason !== "new") {
      this.next = e.tid;
      marked = true;
    }
    if (this.resched) return;
    if (cur.vruntime - e.vruntime > (this.wakeupGranularity * NICE_0_WEIGHT) / e.weight) {
      if (!marked) this.next = e.tid;
      this.resched = true;
      if (this.lastBuddy && scale) this.last = cur.tid;
    }
  }
  /** clear_buddies: forget every buddy hint naming `tid`. */
  private clearBuddies(tid: number): void {
    if (this.skip === tid) this.skip = -1;
    if (this.next === tid) this.next = -1;
    if (this.last === tid) this.last = -1;
  }
  protected removeReady(e: CfsEntry): void {
    this.clearBuddies(e.tid); // dequeue_entity
    if (this.tree !== null) this.tree.remove(e.tid);
    else this.heap!.remove(e.tid);
    this.readyWeight -= e.weight;
  }
  protected takeBest(): CfsEntry | null {
    // With no buddy named the pick is the leftmost (the hot path stays one pop). Ids are ≥ 0 and
    // "none" is −1 (all bits set), so the AND of the three is negative exactly when none is named.
    const t = (this.skip & this.next & this.last) < 0 ? this.popFirst() : this.pickWithBuddies();
    if (t < 0) return null;
    const e = this.entries.get(t as ThreadId)!;
    this.readyWeight -= e.weight;
    return e;
  }
  /**
   * Linux's `pick_next_entity` with buddies: the leftmost, unless the skip buddy is the leftmost
   * and the runner-up is within the wakeup granularity of it (then the runner-up), unless the last
   * buddy is within it, unless the next buddy is (each later rule overrides the earlier ones);
   * the granularity is in the leftmost's virtual time. The buddies naming the thread taken are
   * cleared; the leftmost, if not taken, goes back with its vruntime unchanged.
   */
  private pickWithBuddies(): number {
    const leftId = this.popFirst();
    const left = this.entries.get(leftId as ThreadId)!;
    const limit = left.vruntime + (this.wakeupGranularity * NICE_0_WEIGHT) / left.weight;
    let se = leftId;
    if (this.skip === leftId && this.readyCount > 1) {
      const second = this.tree !== null ? this.tree.leftmostId() : this.heap!.peekId();
      if (this.entries.get(second as ThreadId)!.vruntime <= limit) se = second;
    }
    if (this.last >= 0 && this.entries.get(this.last as ThreadId)!.vruntime <= limit) se = this.last;
    if (this.next >= 0 && this.entries.get(this.next as ThreadId)!.vruntime <= limit) se = this.next;
    if (se !== leftId) {
      if (this.tree !== null) {
        this.tree.remove(se);
        this.tree.insert(leftId, left.vruntime);
      } else {
        this.heap!.remove(se);
        this.heap!.push(leftId, left.vruntime);
      }
    }
    this.clearBuddies(se);
    return se;
  }
  private popFirst(): number {
    return this.tree !== null ? this.tree.popLeftmost() : this.heap!.popMin();
  }
  protected override onPicked(e: CfsEntry): void {
    e.sliceExec = 0;
    this.resched = false;
    this.updateMin();
  }
  protected charge(e: CfsEntry | null, cycles: Cycles): boolean {
    if (e === null) return false;
    e.vruntime += (cycles * NICE_0_WEIGHT) / e.weight;
    e.sliceExec += cycles;
    this.updateMin();
    if (this.readyCount === 0) return false;
    const ideal = this.sliceFor(e.weight, 0);
    // Linux preempts when delta_exec > ideal_runtime; with whole-cycle ticks `>=` makes a slice
    // of 6 last 6 ticks instead of 7.
    if (e.sliceExec >= ideal) return this.sliceOver(e);
    if (e.sliceExec < this.minGranularity) return false;
    if (e.vruntime - this.leftmostKey() > ideal) {
      this.resched = true;
      return true;
    }
    return false;
  }
  /** check_preempt_tick: the slice is used up; no buddy favour may re-elect it. */
  private sliceOver(e: CfsEntry): boolean {
    this.resched = true;
    this.clearBuddies(e.tid);
    return true;
  }
  /**
   * set_user_nice: an unchanged nice does nothing; otherwise the thread, if queued (ready or
   * current), is dequeued and requeued around the reweight (DEQUEUE_SAVE / ENQUEUE_RESTORE), so
   * `dequeue_entity`'s clear_buddies forgets the buddies naming it; the vruntime (the queue key)
   * stays, so only the ready weight changes.
   */
  protected override onParamsChanged(e: CfsEntry, old: ThreadParams): void {
    if (e.params.nice === old.nice) return;
    if (e.ready || e === this.cur) this.clearBuddies(e.tid);
    const w = niceToWeight(e.params.nice);
    if (e.ready) this.readyWeight += w - e.weight;
    e.weight = w;
  }
  /**
   * What `tid` takes to another CPU: its lag, vruntime − min_vruntime.
   * @throws UnknownThreadError.
   */
  migrateOut(tid: ThreadId): number {
    return this.lookup("migrateOut", tid).vruntime - this.minV;
  }
  /**
   * `tid`, just admitted here from another CPU, keeps the lag it had there: vruntime =
   * min_vruntime + lag (a waking thread is then still placed no earlier than the sleeper credit
   * allows).
   * @throws UnknownThreadError; InvalidArgumentError when `lag` is not finite.
   */
  migrateIn(tid: ThreadId, lag: number): void {
    const e = this.lookup("migrateIn", tid);
    if (!Number.isFinite(lag))
      throw new InvalidArgumentError(`${this.name}.migrateIn(tid=${tid}, lag=${lag}): lag must be finite`);
    e.vruntime = this.minV + lag;
    e.carried = true;
  }
  /** `SchedPolicy.dequeue`; then min_vruntime follows the threads still runnable. */
  override dequeue(tid: ThreadId): void {
    super.dequeue(tid);
    this.updateMin();
  }
  /**
   * `SchedPolicy.descheduled`; then min_vruntime follows the threads still runnable, and no buddy
   * names it (`dequeue_entity`'s clear_buddies).
   */
  override descheduled(tid: ThreadId): void {
    super.descheduled(tid);
    this.clearBuddies(tid);
    this.resched = false;
    this.updateMin();
  }
  /**
   * The buddy hints, −1 where none: `skip` (a yielder), `next` (a preempting wakee), `last` (the
   * thread it preempted). For tests and teaching.
   */
  get buddyHints(): { readonly skip: number; readonly next: number; readonly last: number } {
    return { skip: this.skip, next: this.next, last: this.last };
  }
  protected orderedReady(): ThreadId[] {
    return (
      this.tree !== null ? this.tree.toArray() : this.heap!.toSortedArray().map((x) => x.id)
    ) as ThreadId[];
  }
  protected override checkOwnInvariants(): void {
    let w = 0;
    for (const t of this.orderedReady()) {
      const e = this.entries.get(t)!;
      w += e.weight;
      const key = this.tree !== null ? this.tree.keyOf(t) : this.heap!.keyOf(t);
      if (key !== e.vruntime)
        throw new InvariantError(`${this.name}: tid=${t} queued at vruntime ${key}, has ${e.vruntime}`);
    }
    if (w !== this.readyWeight)
      throw new InvariantError(`${this.name}: ready weight is ${this.readyWeight}, entries sum to ${w}`);
    for (const [kind, t] of [
      ["skip", this.skip],
      ["next", this.next],
      ["last", this.last],
    ] as const) {
      if (t < 0) continue;
      const e = this.entries.get(t as ThreadId);
      if (e === undefined || !(e.ready || e === this.cur))
        throw new InvariantError(`${this.name}: the ${kind} buddy tid=${t} is neither ready nor current`);
      if (kind !== "skip" && !this.buddies)
        throw new InvariantError(`${this.name}: a ${kind} buddy tid=${t} with buddies off`);
    }
    this.tree?.checkInvariants();
    this.heap?.checkInvariants();
  }

  /** Slice for a thread of weight w, with `extra` more threads counted as runnable besides the set. */
  private sliceFor(w: number, extra: number): Cycles {
    const nr = this.readyCount + (this.cur !== null ? 1 : 0) + extra;
    const total = this.readyWeight + (this.cur !== null ? this.cur.weight : 0) + (extra > 0 ? w : 0);
    return (this.period(nr) * w) / total;
  }
  private leftmostKey(): number {
    return this.tree !== null ? this.tree.leftmostKey() : this.heap!.peekKey();
  }
  /** update_min_vruntime: move the floor up to min(current, leftmost), never down. */
  private updateMin(): void {
    let m = this.leftmostKey();
    if (this.cur !== null && this.cur.vruntime < m) m = this.cur.vruntime;
    if (Number.isFinite(m) && m > this.minV) this.minV = m;
  }
}
