/**
 * jsix's multi-level feedback variant: 8 levels, a quantum that grows with the level, demotion
 * when a thread uses its whole slice, and promotion of threads that have waited too long.
 *
 * Differences from OSTEP's MLFQ (`mlfq.ts`), following the jsix kernel's scheduler:
 *   - levels 0 (most urgent) .. 7; a new thread starts at `initialLevel` (jsix: priority 1), not
 *     at the top;
 *   - quantum(level) grows with the level: here `baseQuantum × 2^level` (long-running threads
 *     get long slices and switch less);
 *   - a thread keeps the unused part of its slice when it blocks or yields (`timeLeft`), plus a
 *     small bonus of quantum/16 (jsix's reward for giving up the CPU; we cap the total at the
 *     level's slice), and only a thread that spends the whole slice is demoted — there is no
 *     separate allotment;
 *   - instead of a global boost, every `promoteEvery` scheduler ticks each ready thread that has
 *     not run for `staleAfter` ticks moves up one level (not above `promoteLimit`) with a fresh
 *     slice, so a CPU-bound crowd cannot starve anyone for long.
 *
 * ```
 *   level: 0    1    2    3    4    5    6    7
 *   slice: q    2q   4q   8q   16q  32q  64q  128q      (q = baseQuantum)
 *          ▲ promote when stale          demote on a full slice ▼
 * ```
 *
 * Optimises interactivity with few switches for batch work; costs the same tuning questions as
 * MLFQ. Starvation-free through promotion.
 */
import type { Cycles, ReadyReason, ThreadId, ThreadParams } from "../api.js";
import { InvalidArgumentError, InvariantError } from "../errors.js";
import { SlotRing } from "../structs/ring.js";
import { PolicyBase, type PolicyEntry, positive } from "./base.js";

/** Number of levels in jsix's scheduler. */
export const JSIX_LEVELS = 8;

/** Options of {@link JsixMlfqPolicy}. */
export interface JsixMlfqOptions {
  /** Slice of level 0 in cycles, > 0; level l gets base × 2^l. Default 5. */
  readonly baseQuantum?: number;
  /** Level of a new thread, 0..7. Default 1 (jsix `default_priority`). */
  readonly initialLevel?: number;
  /** Check for stale threads every this many ticks, integer ≥ 1. Default 10. */
  readonly promoteEvery?: number;
  /** A ready thread is stale after this many ticks without running, integer ≥ 1. Default 10. */
  readonly staleAfter?: number;
  /** Promotion never lifts a thread above this level, 0..7. Default 0. */
  readonly promoteLimit?: number;
}

/** What the jsix variant keeps per thread: level, time left in the slice, when it last ran (ticks). */
export interface JsixEntry extends PolicyEntry {
  level: number;
  timeLeft: Cycles;
  lastRan: number;
}

/**
 * jsix-style MLFQ.
 * @throws InvalidArgumentError from the constructor for out-of-range options.
 * @example
 * ```ts
 * const j = new JsixMlfqPolicy({ baseQuantum: 5 });
 * j.admit(threadId(1)); j.enqueue(threadId(1), "new"); j.pickNext();
 * j.tick(threadId(1), 10); // true: level 1's slice (10) spent, demoted to level 2
 * ```
 */
export class JsixMlfqPolicy extends PolicyBase<JsixEntry> {
  readonly name: string = "jsix-mlfq";
  readonly starvationFree: boolean = true;
  /** Slice of level 0. */
  readonly baseQuantum: number;
  private readonly initialLevel: number;
  private readonly promoteEvery: number;
  private readonly staleAfter: number;
  private readonly promoteLimit: number;
  private readonly rings: SlotRing[] = Array.from({ length: JSIX_LEVELS }, () => new SlotRing());
  private clock = 0;
  private promotions = 0;

  constructor(options: JsixMlfqOptions = {}) {
    super();
    this.baseQuantum = positive("JsixMlfqPolicy", "baseQuantum", options.baseQuantum ?? 5);
    this.initialLevel = level("initialLevel", options.initialLevel ?? 1);
    this.promoteLimit = level("promoteLimit", options.promoteLimit ?? 0);
    this.promoteEvery = count("promoteEvery", options.promoteEvery ?? 10);
    this.staleAfter = count("staleAfter", options.staleAfter ?? 10);
  }

  /** The slice of a level: baseQuantum × 2^level. */
  quantum(lvl: number): Cycles {
    return this.baseQuantum * 2 ** lvl;
  }

  /** Level of `tid`. @throws UnknownThreadError. */
  levelOf(tid: ThreadId): number {
    return this.lookup("levelOf", tid).level;
  }

  /**
   * What `tid` takes to another CPU: its level (the slice left there is refilled).
   * @throws UnknownThreadError.
   */
  migrateOut(tid: ThreadId): number {
    return this.lookup("migrateOut", tid).level;
  }
  /**
   * `tid`, just admitted here from another CPU, resumes at `level` with a full slice of it.
   * @throws UnknownThreadError; InvalidArgumentError unless `level` is in 0..7.
   */
  migrateIn(tid: ThreadId, lvl: number): void {
    const e = this.lookup("migrateIn", tid);
    e.level = level("migrateIn level", lvl);
    e.timeLeft = this.quantum(e.level);
  }

  /** How many single-level promotions have happened. */
  get promotionCount(): number {
    return this.promotions;
  }

  override shouldPreempt(current: ThreadId, woken: ThreadId): boolean {
    return this.lookup("shouldPreempt", woken).level < this.lookup("shouldPreempt", current).level;
  }

  protected makeEntry(tid: ThreadId, params: ThreadParams): JsixEntry {
    return {
      tid,
      params,
      ready: false,
      level: this.initialLevel,
      timeLeft: this.quantum(this.initialLevel),
      lastRan: this.clock,
    };
  }
  protected insertReady(e: JsixEntry, reason: ReadyReason): void {
    if (reason === "new" || reason === "migrated") e.lastRan = this.clock;
    if (reason === "yielded" && e === this.cur) this.bonus(e);
    this.rings[e.level]!.push(e.tid);
  }
  protected removeReady(e: JsixEntry): void {
    this.rings[e.level]!.remove(e.tid);
  }
  protected takeBest(): JsixEntry | null {
    for (const r of this.rings) if (r.size > 0) return this.entries.get(r.shift() as ThreadId)!;
    return null;
  }
  protected override onPicked(e: JsixEntry): void {
    e.lastRan = this.clock;
  }
  /** Blocking with time left earns the bonus. */
  protected override onDescheduled(e: JsixEntry): void {
    this.bonus(e);
  }
  protected charge(e: JsixEntry | null, cycles: Cycles): boolean {
    this.clock++;
    let preempt = false;
    if (e !== null) {
      e.lastRan = this.clock;
      e.timeLeft -= cycles;
      if (e.timeLeft <= 0) {
        if (e.level < JSIX_LEVELS - 1) e.level++;
        e.timeLeft = this.quantum(e.level);
        preempt = true;
      }
    }
    if (this.clock % this.promoteEvery === 0) this.promoteStale();
    return preempt;
  }
  protected orderedReady(): ThreadId[] {
    return this.rings.flatMap((r) => r.toArray() as ThreadId[]);
  }
  protected override checkOwnInvariants(): void {
    this.rings.forEach((r, l) => {
      for (const t of r.toArray()) {
        const e = this.entries.get(t as ThreadId)!;
        if (e.level !== l)
          throw new InvariantError(`${this.name}: tid=${t} in ring ${l} has level ${e.level}`);
        if (e.timeLeft <= 0)
          throw new InvariantError(`${this.name}: ready tid=${t} has no time left (${e.timeLeft})`);
      }
    });
  }

  /** jsix: a thread that gave up the CPU early gets quantum >> 4 more (capped at the slice here). */
  private bonus(e: JsixEntry): void {
    const q = this.quantum(e.level);
    if (e.timeLeft < q) e.timeLeft = Math.min(q, e.timeLeft + Math.floor(q / 16));
  }

  private promoteStale(): void {
    for (let l = this.promoteLimit + 1; l < JSIX_LEVELS; l++) {
      // Rotate the ring once: stale threads move up a level, the others go back in order.
      const r = this.rings[l]!;
      const n = r.size;
      for (let k = 0; k < n; k++) {
        const t = r.shift();
        const e = this.entries.get(t)!;
        if (this.clock - e.lastRan >= this.staleAfter) {
          e.level = l - 1;
          e.timeLeft = this.quantum(e.level);
          e.lastRan = this.clock;
          this.rings[l - 1]!.push(t);
          this.promotions++;
        } else r.push(t);
      }
    }
  }
}

function level(what: string, v: number): number {
  if (!Number.isInteger(v) || v < 0 || v >= JSIX_LEVELS)
    throw new InvalidArgumentError(`JsixMlfqPolicy: ${what} ${v} must be 0..${JSIX_LEVELS - 1}`);
  return v;
}
function count(what: string, v: number): number {
  if (!Number.isInteger(v) || v < 1)
    throw new InvalidArgumentError(`JsixMlfqPolicy: ${what} ${v} must be an integer ≥ 1`);
  return v;
}
