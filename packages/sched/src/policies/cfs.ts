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
 * A thread that yields keeps its vruntime and becomes the "skip buddy" (`yield_task_fair`): the
 * next pick passes over it for the runner-up when that is not too unfair, i.e. when the
 * runner-up's vruntime is at most wakeupGranularity (in the yielder's virtual time) beyond the
 * yielder's (`pick_next_entity`: `wakeup_preempt_entity(second, left) < 1`). A nice change keeps
 * the thread's vruntime and place (`reweight_entity`); only its weight, and so its future rate,
 * changes.
 *
 * Not modelled: the next and last buddies. On a wakeup preemption Linux's `check_preempt_wakeup`
 * makes the woken thread the next buddy (`pick_next_entity` takes it over the leftmost while it
 * is within the wakeup granularity) and, with ≥ sched_nr_latency runnable, the preempted one the
 * last buddy (LAST_BUDDY); ours picks the leftmost.
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
  private readonly startDebit: boolean;
  private readonly tree: VruntimeTree | null;
  private readonly heap: VruntimeHeap | null;
  private minV = 0;
  private readyWeight = 0;
  /** Thread that yielded and should not be picked next if another is ready (Linux's skip buddy). */
  private skip = -1;

  constructor(options: CfsOptions = {}) {
    super();
    this.targetLatency = positive("CfsPolicy", "targetLatency", options.targetLatency ?? 24);
    this.minGranularity = positive("CfsPolicy", "minGranularity", options.minGranularity ?? 3);
    this.wakeupGranularity = positive("CfsPolicy", "wakeupGranularity", options.wakeupGranularity ?? 4);
    this.startDebit = options.startDebit ?? true;
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
    if (reason === "new") {
      const debit = this.startDebit ? (this.sliceFor(e.weight, 1) * NICE_0_WEIGHT) / e.weight : 0;
      e.vruntime = Math.max(e.vruntime, this.minV + debit);
    } else if (reason === "wake") {
      e.vruntime = Math.max(e.vruntime, this.minV - this.targetLatency / 2);
      e.carried = false;
    } else if (reason === "migrated") {
      if (!e.carried) e.vruntime = this.minV;
      e.carried = false;
    } else if (reason === "yielded") {
      this.skip = e.tid; // yield_task_fair: the next pick passes over it if anyone else is ready
    }
    if (this.tree !== null) this.tree.insert(e.tid, e.vruntime);
    else this.heap!.push(e.tid, e.vruntime);
    this.readyWeight += e.weight;
  }
  protected removeReady(e: CfsEntry): void {
    if (this.skip === e.tid) this.skip = -1;
    if (this.tree !== null) this.tree.remove(e.tid);
    else this.heap!.remove(e.tid);
    this.readyWeight -= e.weight;
  }
  protected takeBest(): CfsEntry | null {
    let t = this.popFirst();
    if (t === this.skip && this.readyCount > 1) t = this.passOverYielder(t);
    this.skip = -1;
    if (t < 0) return null;
    const e = this.entries.get(t as ThreadId)!;
    this.readyWeight -= e.weight;
    return e;
  }
  /**
   * The leftmost thread `t` is the skip buddy: take the runner-up instead if that is not too
   * unfair (its vruntime at most one wakeup granularity, in t's virtual time, beyond t's), and put
   * the other one back with its vruntime unchanged. Returns the thread to run.
   */
  private passOverYielder(t: number): number {
    const second = this.popFirst();
    const left = this.entries.get(t as ThreadId)!;
    const next = this.entries.get(second as ThreadId)!;
    const gran = (this.wakeupGranularity * NICE_0_WEIGHT) / left.weight;
    const passOver = next.vruntime - left.vruntime <= gran;
    const back = passOver ? left : next;
    if (this.tree !== null) this.tree.insert(back.tid, back.vruntime);
    else this.heap!.push(back.tid, back.vruntime);
    return passOver ? next.tid : left.tid;
  }
  private popFirst(): number {
    return this.tree !== null ? this.tree.popLeftmost() : this.heap!.popMin();
  }
  protected override onPicked(e: CfsEntry): void {
    e.sliceExec = 0;
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
    if (e.sliceExec >= ideal) return true;
    if (e.sliceExec < this.minGranularity) return false;
    return e.vruntime - this.leftmostKey() > ideal;
  }
  /** reweight_entity: the vruntime (the queue key) stays, so only the ready weight changes. */
  protected override onParamsChanged(e: CfsEntry, old: ThreadParams): void {
    if (e.params.nice === old.nice) return;
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
  /** `SchedPolicy.descheduled`; then min_vruntime follows the threads still runnable. */
  override descheduled(tid: ThreadId): void {
    super.descheduled(tid);
    this.updateMin();
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
