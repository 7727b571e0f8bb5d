/**
 * Static priorities, preemptive, round robin within a level (Pintos' priority scheduler), with
 * room for priority donation (`donation.ts`).
 *
 * 64 levels, PRI_MIN 0 .. PRI_MAX 63, higher runs first. Each level is a FIFO ring; a 64-bit
 * bitmap (two 32-bit words) marks the non-empty levels, so the best level is found with one
 * count-leading-zeros instead of a scan:
 *
 * ```
 *   levels 63 ......... 32 | 31 ......... 0      hi = 0x00000000, lo = 0x80000400
 *   non-empty: 31 and 10   →  best = 31 − clz32(lo) = 31 − 0 = 31
 * ```
 *
 * A thread's effective priority is max(its own priority, the priority donated to it). A ready
 * thread with a higher effective priority than the running one preempts it (at wakeup through
 * `shouldPreempt`, otherwise at the next tick); equal priorities share the CPU in quanta of
 * `quantum` cycles (Pintos TIME_SLICE = 4 timer ticks).
 *
 * Optimises the latency of important threads; costs starvation of low priorities (not
 * starvation-free) and priority inversion, which donation fixes.
 *
 * Invariants: bit p of the bitmap is set exactly when ring p is non-empty; each ready thread sits
 * in the ring of its effective priority.
 */
import { type Cycles, PRI_MAX, PRI_MIN, type ReadyReason, type ThreadId, type ThreadParams } from "../api.js";
import { InvalidArgumentError, InvariantError } from "../errors.js";
import { SlotRing } from "../structs/ring.js";
import { PolicyBase, type PolicyEntry, positive } from "./base.js";

/** Options of {@link PriorityPolicy}. */
export interface PriorityOptions {
  /** Round-robin slice among equal priorities, cycles > 0. Default 4 (Pintos TIME_SLICE). */
  readonly quantum?: number;
}

/** What the priority policy keeps per thread: the donated priority (-1 = none), its queue level, slice used. */
export interface PriEntry extends PolicyEntry {
  /** Donated priority, or -1 for none. */
  donated: number;
  /** Level it is queued at while ready. */
  level: number;
  used: Cycles;
}

const LEVELS = PRI_MAX - PRI_MIN + 1;

/**
 * Preemptive static-priority scheduling with an effective-priority hook for donation.
 * @example
 * ```ts
 * const p = new PriorityPolicy();
 * p.admit(threadId(1), { priority: 10 }); p.enqueue(threadId(1), "new");
 * p.admit(threadId(2), { priority: 40 }); p.enqueue(threadId(2), "new");
 * p.pickNext(); // → 2
 * ```
 */
export class PriorityPolicy extends PolicyBase<PriEntry> {
  readonly name: string = "priority";
  readonly starvationFree: boolean = false;
  /** Round-robin slice among equals, in cycles. */
  readonly quantum: number;
  private readonly rings: SlotRing[] = Array.from({ length: LEVELS }, () => new SlotRing(4));
  private lo = 0;
  private hi = 0;

  constructor(options: PriorityOptions = {}) {
    super();
    this.quantum = positive("PriorityPolicy", "quantum", options.quantum ?? 4);
  }

  /** Effective priority of `tid`: max(own priority, donation). @throws UnknownThreadError. */
  effectivePriority(tid: ThreadId): number {
    return this.eff(this.lookup("effectivePriority", tid));
  }

  /** Own (base) priority of `tid`. @throws UnknownThreadError. */
  basePriority(tid: ThreadId): number {
    return this.lookup("basePriority", tid).params.priority;
  }

  /**
   * Set or clear (with `null`) the priority donated to `tid`; a ready thread moves to its new
   * level (at the tail). Called by {@link PriorityDonation}.
   * @throws UnknownThreadError; InvalidArgumentError when `priority` is not in PRI_MIN..PRI_MAX.
   */
  setDonation(tid: ThreadId, priority: number | null): void {
    const e = this.lookup("setDonation", tid);
    if (priority !== null && (!Number.isInteger(priority) || priority < PRI_MIN || priority > PRI_MAX)) {
      throw new InvalidArgumentError(
        `${this.name}.setDonation(tid=${tid}, ${priority}): expected ${PRI_MIN}..${PRI_MAX} or null`,
      );
    }
    const next = priority ?? -1;
    if (next === e.donated) return;
    if (e.ready) this.removeReady(e);
    e.donated = next;
    if (e.ready) this.insertReady(e, "yielded");
  }

  override shouldPreempt(current: ThreadId, woken: ThreadId): boolean {
    return this.eff(this.lookup("shouldPreempt", woken)) > this.eff(this.lookup("shouldPreempt", current));
  }

  protected makeEntry(tid: ThreadId, params: ThreadParams): PriEntry {
    return { tid, params, ready: false, donated: -1, level: params.priority, used: 0 };
  }
  protected insertReady(e: PriEntry, _reason: ReadyReason): void {
    const p = this.eff(e);
    e.level = p;
    this.rings[p]!.push(e.tid);
    if (p >= 32) this.hi |= 1 << (p - 32);
    else this.lo |= 1 << p;
  }
  protected removeReady(e: PriEntry): void {
    const r = this.rings[e.level]!;
    r.remove(e.tid);
    if (r.size === 0) this.clearBit(e.level);
  }
  protected takeBest(): PriEntry | null {
    const p = this.bestLevel();
    if (p < 0) return null;
    const r = this.rings[p]!;
    const t = r.shift();
    if (r.size === 0) this.clearBit(p);
    return this.entries.get(t as ThreadId)!;
  }
  protected override onPicked(e: PriEntry): void {
    e.used = 0;
  }
  protected charge(e: PriEntry | null, cycles: Cycles): boolean {
    if (e === null) return false;
    e.used += cycles;
    const best = this.bestLevel();
    const mine = this.eff(e);
    return best > mine || (best === mine && e.used >= this.quantum);
  }
  protected orderedReady(): ThreadId[] {
    const out: ThreadId[] = [];
    for (let p = LEVELS - 1; p >= 0; p--) for (const t of this.rings[p]!.toArray()) out.push(t as ThreadId);
    return out;
  }
  protected override checkOwnInvariants(): void {
    for (let p = 0; p < LEVELS; p++) {
      const bit = p >= 32 ? (this.hi >>> (p - 32)) & 1 : (this.lo >>> p) & 1;
      const size = this.rings[p]!.size;
      if ((bit === 1) !== size > 0)
        throw new InvariantError(`${this.name}: bitmap bit ${p} is ${bit} but ring ${p} holds ${size}`);
      for (const t of this.rings[p]!.toArray()) {
        const e = this.entries.get(t as ThreadId)!;
        if (this.eff(e) !== p)
          throw new InvariantError(
            `${this.name}: tid=${t} queued at ${p}, effective priority ${this.eff(e)}`,
          );
      }
    }
  }

  private eff(e: PriEntry): number {
    return Math.max(e.donated, e.params.priority);
  }
  /** Highest non-empty level, or -1: 31 − clz32(word) is the index of the word's top set bit. */
  private bestLevel(): number {
    if (this.hi !== 0) return 63 - Math.clz32(this.hi);
    if (this.lo !== 0) return 31 - Math.clz32(this.lo);
    return -1;
  }
  private clearBit(p: number): void {
    if (p >= 32) this.hi &= ~(1 << (p - 32));
    else this.lo &= ~(1 << p);
  }
}
