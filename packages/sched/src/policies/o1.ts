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
 * left of its slice (`activate_task`), even when its slice ran out on the tick it blocked.
 *
 * Slices follow Linux 2.6's `task_timeslice`: (140 − static_prio) × 20 ms below 120, else
 * (140 − static_prio) × 5 ms, so nice 0 gets 100 ms, nice 19 gets 5 ms, nice −20 gets 800 ms;
 * `msCycles` says how many cycles make a millisecond. Not modelled: the interactivity bonus
 * (sleep_avg) that let interactive threads go back to the active array.
 *
 * Optimises pick cost (O(1)) and gives every thread a turn once per epoch (starvation-free);
 * costs fairness between nice levels (slices are fixed, not proportional to load) and latency
 * of long slices.
 *
 * Invariants: bitmap bit p of each array is set exactly when its list p is non-empty; every
 * ready thread is in exactly one list of one array, at its priority.
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
}

/** What the O(1) scheduler keeps per thread: priority, slice left, and which array holds it. */
export interface O1Entry extends PolicyEntry {
  prio: number;
  sliceLeft: Cycles;
  /** Set when the slice ran out: the next enqueue goes to the expired array. */
  expire: boolean;
  /** Which array it is queued in while ready (0 or 1). */
  array: number;
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
  private readonly arrays = [new PrioArray(), new PrioArray()];
  private active = 0;
  private swaps = 0;

  constructor(options: O1Options = {}) {
    super();
    this.msCycles = positive("O1Policy", "msCycles", options.msCycles ?? 1);
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

  override shouldPreempt(current: ThreadId, woken: ThreadId): boolean {
    return this.lookup("shouldPreempt", woken).prio < this.lookup("shouldPreempt", current).prio;
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
    };
  }
  /**
   * A thread whose slice ran out, or that yields (Linux 2.6 `sys_sched_yield`: "we implement
   * yielding by moving the task into the expired queue"), joins the expired array; new, woken
   * and preempted threads join the active one.
   */
  protected insertReady(e: O1Entry, reason: ReadyReason): void {
    e.array = e.expire || reason === "yielded" ? 1 - this.active : this.active;
    e.expire = false;
    this.arrays[e.array]!.push(e.prio, e.tid);
  }
  /** Off the run queue: a woken thread goes to the active array (`activate_task`), even if its slice had just run out. */
  protected override onDescheduled(e: O1Entry): void {
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
      a = this.arrays[this.active]!;
    }
    const p = a.first();
    if (p < 0) return null;
    return this.entries.get(a.shift(p) as ThreadId)!;
  }
  protected charge(e: O1Entry | null, cycles: Cycles): boolean {
    if (e === null) return false;
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
