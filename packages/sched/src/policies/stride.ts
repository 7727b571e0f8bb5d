/**
 * Stride scheduling (Waldspurger 1995; OSTEP ch. 9.6): the deterministic twin of lottery. Each
 * thread's stride is `STRIDE1 / tickets`; the ready thread with the smallest pass runs, and its
 * pass grows by its stride for each quantum it uses (pro rata for a partial quantum).
 *
 * ```
 *   OSTEP's example with STRIDE1 = 10,000: A 100 tickets (stride 100), B 50 (200), C 250 (40)
 *   pass A  B  C  → runs      A gets 2, B 1, C 5 of the first 8 quanta: exactly 100:50:250
 *        0  0  0     A
 *      100  0  0     B
 *      100 200 0     C  …
 * ```
 *
 * Exactness: with integral strides, after P = Σ tickets full quanta from equal passes, thread i
 * has run exactly tickets_i quanta. (If some thread had run more, its last pick happened with a
 * pass ≥ STRIDE1, so every other thread then had pass ≥ STRIDE1 too, i.e. had already run its
 * share, and the total would exceed P.) The default STRIDE1 = 720720 = lcm(1..16) makes every
 * ticket count 1..16 integral.
 *
 * A thread that wakes or arrives starts at the current minimum pass (the "global pass"), so
 * sleeping does not bank CPU time. A thread moved to another CPU keeps how far its pass was ahead
 * of the old CPU's global pass (`migrateOut`/`migrateIn`), so moving does not forgive it either.
 * Ties on pass go to the lower thread id.
 *
 * A ticket change follows Waldspurger & Weihl's `client_modify` (MIT/LCS/TM-528, 1995): the part
 * of the stride the thread still has to "wait out", remain = pass − global pass, is scaled by
 * new stride / old stride, so the thread is as far through its new stride as it was through its
 * old one — it neither gains nor loses by the change:
 *
 * ```
 *   STRIDE1 720720. A: 4 tickets (stride 180180), has just run one quantum: pass 180180,
 *   global pass 0 (B, 2 tickets, has not run). A drops to 2 tickets (stride 360360):
 *   remain 180180 × 360360 / 180180 = 360360 → pass 360360 (a whole new stride to wait, as it
 *   had a whole old one). Unscaled it would keep pass 180180 and run again after half a stride.
 * ```
 *
 * A thread behind the global pass (a sleeper; it is raised to the global pass when it wakes) has
 * nothing to scale and keeps its pass.
 *
 * Optimises exact proportional share; costs global state (passes) that makes joining threads
 * delicate. Invariant: the heap holds exactly the ready threads keyed by their pass.
 */
import type { Cycles, ReadyReason, ThreadId, ThreadParams } from "../api.js";
import { InvalidArgumentError, InvariantError } from "../errors.js";
import { VruntimeHeap } from "../structs/vruntime-heap.js";
import { PolicyBase, type PolicyEntry, positive } from "./base.js";

/** Options of {@link StridePolicy}. */
export interface StrideOptions {
  /** The numerator of every stride, > 0. Default 720720 (lcm of 1..16). */
  readonly stride1?: number;
  /** Slice in cycles, > 0; a full slice advances pass by one stride. Default 10. */
  readonly quantum?: number;
}

/** What stride keeps per thread: its pass and the slice used since the last pick. */
export interface StrideEntry extends PolicyEntry {
  pass: number;
  used: Cycles;
}

/**
 * Stride scheduling.
 * @example
 * ```ts
 * const s = new StridePolicy({ quantum: 1 });
 * s.admit(threadId(1), { tickets: 3 }); s.enqueue(threadId(1), "new");
 * s.admit(threadId(2), { tickets: 1 }); s.enqueue(threadId(2), "new");
 * // over 4 quanta thread 1 runs 3 times and thread 2 once
 * ```
 */
export class StridePolicy extends PolicyBase<StrideEntry> {
  readonly name: string = "stride";
  readonly starvationFree: boolean = true;
  /** Numerator of strides. */
  readonly stride1: number;
  /** Slice in cycles. */
  readonly quantum: number;
  private readonly heap = new VruntimeHeap();

  constructor(options: StrideOptions = {}) {
    super();
    this.stride1 = positive("StridePolicy", "stride1", options.stride1 ?? 720720);
    this.quantum = positive("StridePolicy", "quantum", options.quantum ?? 10);
  }

  /** Current pass of `tid`. @throws UnknownThreadError. */
  passOf(tid: ThreadId): number {
    return this.lookup("passOf", tid).pass;
  }

  /**
   * What `tid` takes to another CPU: how far its pass is ahead of this CPU's global pass (never
   * below 0: like a sleeper, a moved thread banks no CPU time), Waldspurger's "remain".
   * @throws UnknownThreadError.
   */
  migrateOut(tid: ThreadId): number {
    return Math.max(0, this.lookup("migrateOut", tid).pass - this.globalPass());
  }
  /**
   * `tid`, just admitted here from another CPU, joins `remain` ahead of this CPU's global pass.
   * @throws UnknownThreadError; InvalidArgumentError unless `remain` is finite and ≥ 0.
   */
  migrateIn(tid: ThreadId, remain: number): void {
    const e = this.lookup("migrateIn", tid);
    if (!(remain >= 0 && Number.isFinite(remain)))
      throw new InvalidArgumentError(
        `${this.name}.migrateIn(tid=${tid}, remain=${remain}): expected finite ≥ 0`,
      );
    e.pass = this.globalPass() + remain;
  }

  /** The stride of a ticket count. */
  strideOf(tickets: number): number {
    return this.stride1 / tickets;
  }

  protected makeEntry(tid: ThreadId, params: ThreadParams): StrideEntry {
    return { tid, params, ready: false, pass: 0, used: 0 };
  }
  protected insertReady(e: StrideEntry, reason: ReadyReason): void {
    if (reason === "new" || reason === "wake" || reason === "migrated")
      e.pass = Math.max(e.pass, this.globalPass());
    this.heap.push(e.tid, e.pass);
  }
  protected removeReady(e: StrideEntry): void {
    this.heap.remove(e.tid);
  }
  protected takeBest(): StrideEntry | null {
    const t = this.heap.popMin();
    return t < 0 ? null : this.entries.get(t as ThreadId)!;
  }
  protected override onPicked(e: StrideEntry): void {
    e.used = 0;
  }
  protected charge(e: StrideEntry | null, cycles: Cycles): boolean {
    if (e === null) return false;
    e.used += cycles;
    e.pass += (this.strideOf(e.params.tickets) * cycles) / this.quantum;
    return e.used >= this.quantum;
  }
  /**
   * Waldspurger & Weihl's `client_modify`: scale the remaining part of the stride by new/old
   * stride (see the banner), then re-sort a ready thread under its new pass.
   */
  protected override onParamsChanged(e: StrideEntry, old: ThreadParams): void {
    if (e.params.tickets !== old.tickets) {
      const g = this.globalPass();
      const remain = e.pass - g;
      if (remain > 0) e.pass = g + (remain * old.tickets) / e.params.tickets; // × stride_new / stride_old
    }
    if (e.ready) {
      this.heap.remove(e.tid);
      this.heap.push(e.tid, e.pass);
    }
  }
  protected orderedReady(): ThreadId[] {
    return this.heap.toSortedArray().map((x) => x.id as ThreadId);
  }
  protected override checkOwnInvariants(): void {
    this.heap.checkInvariants();
    for (const { id, key } of this.heap.toSortedArray()) {
      const e = this.entries.get(id as ThreadId)!;
      if (e.pass !== key)
        throw new InvariantError(`${this.name}: tid=${id} queued with pass ${key}, has pass ${e.pass}`);
    }
  }

  /** The smallest pass among the ready threads and the current one (0 when there are none). */
  private globalPass(): number {
    let g = this.heap.peekKey();
    if (this.cur !== null && this.cur.pass < g) g = this.cur.pass;
    return Number.isFinite(g) ? g : 0;
  }
}
