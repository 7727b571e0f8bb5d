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
 * The global pass is Waldspurger & Weihl's (MIT/LCS/TM-528, 1995): the pass of an ideal client
 * that gets exactly its share all the time. It advances with the CPU time given out, by
 * global stride = STRIDE1 / Σ tickets per quantum, where Σ tickets counts the competing threads
 * (ready or running); it does not move while nobody competes. A thread that stops competing
 * (blocks, exits, is dequeued) saves its remain = pass − global pass (`client_leave`); when it
 * competes again (wakes, is enqueued) it starts at global pass + remain (`client_join`). So the
 * time it slept neither counts as time it waited (its remain is not worn down while the global
 * pass moves on) nor wipes out a lag it had (a negative remain stays owed). A newcomer's remain
 * is 0: it joins at the global pass. (The paper starts a client with remain = its stride because
 * its pass is the virtual time at which its next quantum ends; ours, as in OSTEP, is the time at
 * which it begins.) A thread moved to another CPU keeps its remain, at least 0
 * (`migrateOut`/`migrateIn`), so moving does not forgive it either. Ties on pass go to the lower
 * thread id.
 *
 * Why not lift a joining thread to max(its pass, global pass), which needs no saved state? While
 * it sleeps the global pass moves on, and once it has passed the sleeper's pass the
 * sleeper's remain is forgiven: a thread that runs briefly and sleeps long wakes at the global
 * pass every time, in front of everyone. A (1 ticket) running 2 cycles and sleeping 20 beside B
 * (3 tickets) running 5 and sleeping 5 took all 364 of the cycles in which both competed over
 * 4,000 cycles; with the saved remain A gets 87 and B 255, 1 : 3.
 *
 * Why not the smallest pass of the ready threads as the global pass (simpler, and exact while the
 * set of threads is fixed)? Under a stream of short-lived threads it stops moving: each newcomer
 * joins at the minimum, which is held by the previous newcomer that has not run yet, and the
 * threads that ran and pushed their passes up retire. The minimum then stays put and a long-lived
 * thread whose pass is ahead of it never runs again (the law "starvation-free under arrivals"
 * found this). Waldspurger's global pass moves with time whoever leaves:
 *
 * ```
 *   STRIDE1 720720, quantum 5. L: 1 ticket. Short-lived threads of 16 tickets (stride 45045)
 *   arrive two at a time, run 1 cycle each (pass +9009) and exit. L runs one quantum first:
 *   pass 720720; Σ tickets = 1 + 16 + 16 = 33, so the global pass is 720720 / 33 = 21840.
 *   min-pass rule: newcomers join at 0, 0, 0, … (the unrun newcomer's pass): L never runs again.
 *   global pass:   each 1-cycle run moves it by 720720 / 33 / 5 = 4368; newcomers join there,
 *                  and after (720720 − 21840) / 4368 = 160 of them L holds the smallest pass.
 * ```
 *
 * A ticket change follows Waldspurger & Weihl's `client_modify`: the part of the stride the
 * thread still has to "wait out", remain = pass − global pass, is scaled by new stride / old
 * stride, so the thread is as far through its new stride as it was through its old one — it
 * neither gains nor loses by the change:
 *
 * ```
 *   STRIDE1 720720. A: 4 tickets (stride 180180) and B: 2 tickets compete (global stride
 *   720720 / 6 = 120120). A has just run one quantum: pass 180180, global pass 120120, so
 *   remain 60060 (a third of A's stride). A drops to 2 tickets (stride 360360): remain
 *   60060 × 360360 / 180180 = 120120 (a third of the new stride) → pass 240240.
 *   Unscaled it would keep pass 180180 and run again two thirds of a new stride too early.
 * ```
 *
 * A competing thread's remain is scaled whatever its sign, so Σ tickets × (pass − global pass)
 * over the competing threads does not change (tested: it stays 0 from equal starts, and no thread
 * gets more than one stride ahead of the global pass). A sleeper's saved remain is scaled the
 * same way and used when it joins again.
 *
 * Precision: passes are doubles, not the paper's fixed-point integers. A pass grows by at most
 * STRIDE1 / quantum per cycle (1 ticket; 72072 with the defaults), so it stays an exact integer
 * below 2^53 ≈ 9.0 × 10^15 for 2^53 / 72072 ≈ 1.2 × 10^11 cycles when strides and the quantum
 * divide evenly. The global pass moves by STRIDE1 / (quantum × Σ tickets) per cycle, usually a
 * fraction (720720 / (10 × 17) = 4239.5…), so it carries a rounding error of about one part in
 * 2^53 per step; that only decides ties between passes that are equal on paper, never an order
 * between passes a stride / quantum apart, until that is below the spacing of doubles (2^-52 of
 * the pass: beyond 10^14 cycles).
 *
 * Optimises exact proportional share; costs global state (passes, the global pass and the
 * competing tickets) that makes joining threads delicate. Invariants: the heap holds exactly the
 * ready threads keyed by their pass; the competing tickets are the sum of the tickets of the
 * ready and running threads.
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

/** What stride keeps per thread: its pass, the slice used since the last pick, and whether it competes. */
export interface StrideEntry extends PolicyEntry {
  pass: number;
  used: Cycles;
  /** Waldspurger's remain: pass − global pass when it last stopped competing; 0 for a newcomer. */
  remain: number;
  /** Ready or running: its tickets count in the global stride. */
  competing: boolean;
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
  /** Waldspurger's global pass (see the file banner). */
  private gpass = 0;
  /** Σ tickets of the competing (ready or running) threads. */
  private gtickets = 0;

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
   * below 0: a moved thread takes no credit with it), Waldspurger's "remain" — saved when it
   * stopped competing, or the current lead if it still competes.
   * @throws UnknownThreadError.
   */
  migrateOut(tid: ThreadId): number {
    const e = this.lookup("migrateOut", tid);
    return Math.max(0, e.competing ? e.pass - this.gpass : e.remain);
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
    e.remain = remain;
    e.pass = this.gpass + remain;
  }

  /** The global pass: where a thread that always got exactly its share would be (see the file banner). */
  get globalPass(): number {
    return this.gpass;
  }

  /** The stride of a ticket count. */
  strideOf(tickets: number): number {
    return this.stride1 / tickets;
  }

  protected makeEntry(tid: ThreadId, params: ThreadParams): StrideEntry {
    return { tid, params, ready: false, pass: 0, used: 0, remain: 0, competing: false };
  }
  /** Waldspurger's `client_join` for a thread that was not competing; a requeued runner keeps its pass. */
  protected insertReady(e: StrideEntry, _reason: ReadyReason): void {
    if (!e.competing) {
      e.competing = true;
      this.addTickets(e.params.tickets);
      e.pass = this.gpass + e.remain;
    }
    this.heap.push(e.tid, e.pass);
  }
  protected removeReady(e: StrideEntry): void {
    this.heap.remove(e.tid);
    this.leave(e);
  }
  protected override onDescheduled(e: StrideEntry): void {
    this.leave(e);
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
    this.gpass += (this.stride1 * cycles) / (this.quantum * this.gtickets); // global_pass_update
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
      // remain × stride_new / stride_old, whatever its sign: Σ tickets × remain is kept.
      const scale = old.tickets / e.params.tickets;
      if (e.competing) {
        this.addTickets(e.params.tickets - old.tickets);
        e.pass = this.gpass + (e.pass - this.gpass) * scale;
      } else {
        e.remain *= scale; // a sleeper's saved remain, used when it joins again
      }
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
    let competing = 0;
    for (const e of this.entries.values()) {
      if (e.competing !== (e.ready || e === this.cur))
        throw new InvariantError(
          `${this.name}: tid=${e.tid} competing=${e.competing} but it is ${e.ready ? "ready" : e === this.cur ? "running" : "neither ready nor running"}`,
        );
      if (e.competing) competing += e.params.tickets;
    }
    if (competing !== this.gtickets)
      throw new InvariantError(
        `${this.name}: competing tickets ${this.gtickets}, the competing threads hold ${competing}`,
      );
    for (const { id, key } of this.heap.toSortedArray()) {
      const e = this.entries.get(id as ThreadId)!;
      if (e.pass !== key)
        throw new InvariantError(`${this.name}: tid=${id} queued with pass ${key}, has pass ${e.pass}`);
    }
  }

  /** Waldspurger's `client_leave`: `e` stops competing (it blocked, exited or was dequeued) and saves its remain. */
  private leave(e: StrideEntry): void {
    e.remain = e.pass - this.gpass;
    e.competing = false;
    this.addTickets(-e.params.tickets);
  }

  /** Change the competing tickets (and so the global stride, STRIDE1 / gtickets). */
  private addTickets(delta: number): void {
    this.gtickets += delta;
  }
}
