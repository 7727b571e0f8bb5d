/**
 * Multi-level feedback queue with OSTEP's five rules (ch. 8, "Scheduling: The Multi-Level
 * Feedback Queue"):
 *
 *   1. If Priority(A) > Priority(B), A runs (B doesn't).
 *   2. If Priority(A) = Priority(B), A and B run in round robin using the level's quantum.
 *   3. A new job enters at the highest priority (the topmost queue).
 *   4. Once a job uses up its time allotment at a level (regardless of how many times it has
 *      given up the CPU), its priority is reduced (it moves down one queue).
 *   5. After some time period S, move all the jobs in the system to the topmost queue (boost).
 *
 * Level 0 is the top. Each level has a quantum (RR slice) and an allotment (total time a job
 * may use at that level before demotion, ≥ quantum; OSTEP's default allotment is one quantum).
 * The allotment survives blocking and waking: that is rule 4's defence against a job that yields
 * just before its quantum ends to stay on top.
 *
 * ```
 *   level 0 (q=10, allot 10): [B]        ← interactive jobs stay here
 *   level 1 (q=20, allot 20): []
 *   level 2 (q=40, allot 40): [A]        ← CPU-bound jobs sink here
 *   every S cycles: all jobs → level 0, allotments reset (rule 5: no starvation)
 * ```
 *
 * Optimises response time for short and interactive jobs without an oracle; costs tuning (levels,
 * quanta, allotments, S) and, without a boost, starvation of CPU-bound jobs (`starvationFree` is
 * true only when `boostPeriod > 0`).
 *
 * Invariants: each ready thread is in the ring of its level; levels are in 0..levels−1;
 * allotment used at the current level is below the level's allotment after any non-preempting
 * tick.
 */
import type { Cycles, ReadyReason, ThreadId, ThreadParams } from "../api.js";
import { InvalidArgumentError, InvariantError } from "../errors.js";
import { SlotRing } from "../structs/ring.js";
import { PolicyBase, type PolicyEntry, positive } from "./base.js";

/** Options of {@link MlfqPolicy}. */
export interface MlfqOptions {
  /** Number of levels, integer ≥ 1. Default 3 (OSTEP mlfq.py `-n`). */
  readonly levels?: number;
  /** Quantum per level in cycles (one number for all, or one per level). Default 10 (mlfq.py `-q`). */
  readonly quantum?: number | readonly number[];
  /** Allotment per level in cycles, each ≥ that level's quantum. Default: the level's quantum (mlfq.py `-a 1`). */
  readonly allotment?: number | readonly number[];
  /** Boost period S in cycles of simulated time, or 0 for never. Default 0 (mlfq.py `-B 0`). */
  readonly boostPeriod?: number;
}

/** What OSTEP's MLFQ keeps per thread: its level, allotment used there, and slice used. */
export interface MlfqEntry extends PolicyEntry {
  level: number;
  /** Time used at the current level (rule 4), carried across blocking. */
  allotUsed: Cycles;
  /** Time used since the last pick (rule 2's quantum). */
  sliceUsed: Cycles;
  /** The boost count when `level`/`allotUsed` were last brought up to date (see `fresh`). */
  epoch: number;
}

/**
 * OSTEP's MLFQ.
 * @throws InvalidArgumentError from the constructor for a bad level count, a quantum or
 *   allotment ≤ 0, an allotment below its quantum, or a negative boost period.
 * @example
 * ```ts
 * const m = new MlfqPolicy({ levels: 3, quantum: 10, boostPeriod: 100 });
 * m.admit(threadId(1)); m.enqueue(threadId(1), "new"); m.pickNext();
 * m.tick(threadId(1), 10); // true: allotment at level 0 used, demoted to level 1
 * m.levelOf(threadId(1));  // → 1
 * ```
 */
export class MlfqPolicy extends PolicyBase<MlfqEntry> {
  readonly name: string = "mlfq";
  readonly starvationFree: boolean;
  /** Number of levels. */
  readonly levels: number;
  /** Quantum of each level. */
  readonly quanta: readonly number[];
  /** Allotment of each level. */
  readonly allotments: readonly number[];
  /** Boost period (0 = never). */
  readonly boostPeriod: number;
  private readonly rings: SlotRing[];
  private clock = 0;
  private nextBoost: number;
  private boosts = 0;

  constructor(options: MlfqOptions = {}) {
    super();
    const levels = options.levels ?? 3;
    if (!Number.isInteger(levels) || levels < 1)
      throw new InvalidArgumentError(`MlfqPolicy: levels ${levels} must be an integer ≥ 1`);
    this.levels = levels;
    this.quanta = perLevel("quantum", options.quantum ?? 10, levels);
    this.allotments =
      options.allotment === undefined ? this.quanta : perLevel("allotment", options.allotment, levels);
    this.allotments.forEach((a, i) => {
      if (a < this.quanta[i]!)
        throw new InvalidArgumentError(
          `MlfqPolicy: allotment ${a} at level ${i} is below its quantum ${this.quanta[i]}`,
        );
    });
    const b = options.boostPeriod ?? 0;
    if (Number.isNaN(b) || b < 0 || !Number.isFinite(b))
      throw new InvalidArgumentError(`MlfqPolicy: boostPeriod ${b} must be ≥ 0 (0 = never)`);
    this.boostPeriod = b;
    this.nextBoost = b > 0 ? b : Number.POSITIVE_INFINITY;
    this.starvationFree = b > 0;
    this.rings = Array.from({ length: levels }, () => new SlotRing());
  }

  /** The level of `tid` (0 = top). @throws UnknownThreadError. */
  levelOf(tid: ThreadId): number {
    return this.fresh(this.lookup("levelOf", tid)).level;
  }

  /**
   * What `tid` takes to another CPU: its level (a moved job is not a new one, so rule 3 does not
   * apply); the allotment at that level starts afresh there.
   * @throws UnknownThreadError.
   */
  migrateOut(tid: ThreadId): number {
    return this.fresh(this.lookup("migrateOut", tid)).level;
  }
  /**
   * `tid`, just admitted here from another CPU, resumes at `level` (clamped to this policy's levels).
   * @throws UnknownThreadError; InvalidArgumentError unless `level` is an integer ≥ 0.
   */
  migrateIn(tid: ThreadId, level: number): void {
    const e = this.lookup("migrateIn", tid);
    if (!Number.isInteger(level) || level < 0)
      throw new InvalidArgumentError(
        `${this.name}.migrateIn(tid=${tid}, level=${level}): expected a level ≥ 0`,
      );
    e.level = Math.min(level, this.levels - 1);
    e.allotUsed = 0;
  }

  /** How many boosts (rule 5) have happened. */
  get boostCount(): number {
    return this.boosts;
  }

  override shouldPreempt(current: ThreadId, woken: ThreadId): boolean {
    return (
      this.fresh(this.lookup("shouldPreempt", woken)).level <
      this.fresh(this.lookup("shouldPreempt", current)).level
    );
  }

  protected makeEntry(tid: ThreadId, params: ThreadParams): MlfqEntry {
    return { tid, params, ready: false, level: 0, allotUsed: 0, sliceUsed: 0, epoch: this.boosts }; // rule 3
  }
  protected insertReady(e: MlfqEntry, _reason: ReadyReason): void {
    this.rings[this.fresh(e).level]!.push(e.tid);
  }
  protected removeReady(e: MlfqEntry): void {
    this.rings[e.level]!.remove(e.tid);
  }
  protected takeBest(): MlfqEntry | null {
    for (const r of this.rings) if (r.size > 0) return this.entries.get(r.shift() as ThreadId)!; // rule 1
    return null;
  }
  protected override onPicked(e: MlfqEntry): void {
    e.sliceUsed = 0;
  }
  protected charge(e: MlfqEntry | null, cycles: Cycles): boolean {
    this.clock += cycles;
    let preempt = false;
    if (e !== null) {
      e.allotUsed += cycles;
      e.sliceUsed += cycles;
      if (e.allotUsed >= this.allotments[e.level]!) {
        // Rule 4: allotment spent at this level, move down (the bottom level keeps it).
        if (e.level < this.levels - 1) e.level++;
        e.allotUsed = 0;
        preempt = true;
      } else if (e.sliceUsed >= this.quanta[e.level]!) preempt = true; // rule 2
    }
    if (this.clock >= this.nextBoost) {
      this.boost();
      while (this.nextBoost <= this.clock) this.nextBoost += this.boostPeriod;
    }
    if (e !== null && !preempt) {
      for (let l = 0; l < e.level; l++) if (this.rings[l]!.size > 0) return true; // rule 1
    }
    return preempt;
  }
  protected orderedReady(): ThreadId[] {
    return this.rings.flatMap((r) => r.toArray() as ThreadId[]);
  }
  protected override checkOwnInvariants(): void {
    this.rings.forEach((r, l) => {
      for (const t of r.toArray()) {
        const e = this.entries.get(t as ThreadId)!;
        if (e.level !== l || e.epoch !== this.boosts)
          throw new InvariantError(
            `${this.name}: tid=${t} is in ring ${l} but has level ${e.level} (epoch ${e.epoch} of ${this.boosts})`,
          );
      }
    });
  }

  /**
   * Rule 5: every thread to level 0 with a fresh allotment. Ready threads move now, keeping their
   * relative order (level 0's first, then level 1's, ...) and the current thread is reset now,
   * with a fresh level-0 quantum too (OSTEP's mlfq.py resets every job's ticksLeft at a boost);
   * blocked threads are reset lazily by `fresh` when they next become ready, so a boost costs
   * O(ready threads), not O(all threads).
   */
  private boost(): void {
    this.boosts++;
    const top = this.rings[0]!;
    for (let l = 0; l < this.levels; l++) {
      const r = this.rings[l]!;
      const n = r.size;
      for (let k = 0; k < n; k++) {
        const t = r.shift();
        top.push(t);
        this.fresh(this.entries.get(t)!);
      }
    }
    if (this.cur !== null) {
      this.fresh(this.cur);
      this.cur.sliceUsed = 0;
    }
  }

  /** Bring an entry up to date with the boosts it missed: level 0, allotment unused. */
  private fresh(e: MlfqEntry): MlfqEntry {
    if (e.epoch !== this.boosts) {
      e.epoch = this.boosts;
      e.level = 0;
      e.allotUsed = 0;
    }
    return e;
  }
}

function perLevel(what: string, v: number | readonly number[], levels: number): number[] {
  const arr = typeof v === "number" ? Array.from({ length: levels }, () => v) : [...v];
  if (arr.length !== levels)
    throw new InvalidArgumentError(`MlfqPolicy: ${arr.length} ${what} values for ${levels} levels`);
  return arr.map((x, i) => positive("MlfqPolicy", `${what} of level ${i}`, x));
}
