/**
 * Lottery scheduling (Waldspurger & Weihl 1994; OSTEP ch. 9): each ready thread holds tickets;
 * every pick draws a winning ticket at random and walks the ready list until the running sum of
 * tickets passes the winner.
 *
 * ```
 *   OSTEP's example: A 100, B 50, C 250 tickets (total 400), winning ticket 300
 *   counter: A → 100 (≤ 300), B → 150 (≤ 300), C → 400 (> 300)  ⇒ C runs
 * ```
 *
 * Randomness comes from an injected {@link RandomSource}: the winner is `draw mod total`, so a
 * replayed source reproduces a run exactly (and a test can force a winner). Over many picks a
 * thread's share of the CPU converges to tickets/total; over a short run it may not (see
 * `stride.ts` for the deterministic version).
 *
 * Optimises simplicity and proportional sharing without global state; costs short-term
 * unfairness and an O(n) walk per pick (or O(log n) with `draw: "tree"`, a Fenwick tree that
 * finds the same winner). `starvationFree` is false: the guarantee is only
 * probabilistic.
 *
 * Invariant: `list` holds exactly the ready threads, in the order they became ready.
 */
import type { Cycles, RandomSource, ReadyReason, ThreadId, ThreadParams } from "../api.js";
import { InvariantError } from "../errors.js";
import { Xorshift32 } from "../random.js";
import { TicketTree } from "../structs/ticket-tree.js";
import { PolicyBase, type PolicyEntry, positive } from "./base.js";

/** Options of {@link LotteryPolicy}. */
export interface LotteryOptions {
  /** Where draws come from. Default `new Xorshift32(0x10770)`, a fixed seed. */
  readonly random?: RandomSource;
  /** Slice after which the running thread goes back into the draw, cycles > 0. Default 10. */
  readonly quantum?: number;
  /**
   * How the winner is found: `"list"` walks the ready list (O(n), the textbook version),
   * `"tree"` searches a Fenwick tree of tickets (O(log n), `structs/ticket-tree.ts`). Both pick
   * the same thread for the same draw. Default `"list"`.
   */
  readonly draw?: "list" | "tree";
}

/** What lottery keeps per thread: the slice used since the last pick. */
export interface LotteryEntry extends PolicyEntry {
  used: Cycles;
}

/**
 * Lottery scheduling with a replayable random source.
 * @example
 * ```ts
 * const l = new LotteryPolicy({ random: new ReplayRandom([300]) });
 * for (const [t, n] of [[1, 100], [2, 50], [3, 250]] as const) {
 *   l.admit(threadId(t), { tickets: n }); l.enqueue(threadId(t), "new");
 * }
 * l.pickNext(); // → 3 (winning ticket 300 of 400)
 * ```
 */
export class LotteryPolicy extends PolicyBase<LotteryEntry> {
  readonly name: string = "lottery";
  readonly starvationFree: boolean = false;
  /** Slice in cycles. */
  readonly quantum: number;
  private readonly random: RandomSource;
  private readonly list: LotteryEntry[] = [];
  private readonly tree: TicketTree | null;
  private total = 0;

  constructor(options: LotteryOptions = {}) {
    super();
    this.quantum = positive("LotteryPolicy", "quantum", options.quantum ?? 10);
    this.random = options.random ?? new Xorshift32(0x10770);
    this.tree = options.draw === "tree" ? new TicketTree() : null;
  }

  /** Tickets held by the ready threads. */
  get totalTickets(): number {
    return this.total;
  }

  protected makeEntry(tid: ThreadId, params: ThreadParams): LotteryEntry {
    return { tid, params, ready: false, used: 0 };
  }
  protected insertReady(e: LotteryEntry, _reason: ReadyReason): void {
    if (this.tree !== null) this.tree.add(e.tid, e.params.tickets);
    else this.list.push(e);
    this.total += e.params.tickets;
  }
  protected removeReady(e: LotteryEntry): void {
    if (this.tree !== null) this.tree.remove(e.tid);
    else this.list.splice(this.list.indexOf(e), 1);
    this.total -= e.params.tickets;
  }
  protected takeBest(): LotteryEntry | null {
    const winner = this.random.nextU32() % this.total;
    if (this.tree !== null) {
      const t = this.tree.find(winner);
      const e = this.entries.get(t)!;
      this.tree.remove(t);
      this.total -= e.params.tickets;
      return e;
    }
    let counter = 0;
    for (let i = 0; i < this.list.length; i++) {
      const e = this.list[i]!;
      counter += e.params.tickets;
      if (counter > winner) {
        this.list.splice(i, 1);
        this.total -= e.params.tickets;
        return e;
      }
    }
    return null; // unreachable while total = sum of tickets
  }
  protected override onPicked(e: LotteryEntry): void {
    e.used = 0;
  }
  protected charge(e: LotteryEntry | null, cycles: Cycles): boolean {
    if (e === null) return false;
    e.used += cycles;
    return e.used >= this.quantum;
  }
  protected override onParamsChanged(e: LotteryEntry, old: ThreadParams): void {
    if (!e.ready) return;
    this.total += e.params.tickets - old.tickets;
    this.tree?.update(e.tid, e.params.tickets);
  }
  protected orderedReady(): ThreadId[] {
    return this.tree !== null ? (this.tree.holders() as ThreadId[]) : this.list.map((e) => e.tid);
  }
  protected override checkOwnInvariants(): void {
    if (this.tree === null) return;
    this.tree.checkInvariants();
    if (this.tree.total !== this.total)
      throw new InvariantError(`${this.name}: tree holds ${this.tree.total} tickets, total is ${this.total}`);
  }
}
