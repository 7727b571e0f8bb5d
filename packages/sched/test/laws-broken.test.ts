/**
 * The law suites must reject wrong policies, not only pass right ones: each class below breaks
 * one rule in the way a student's implementation plausibly would, and the test names the law that
 * has to catch it. A law suite that passes one of these is a defect of the suite.
 */
import { describe, expect, it } from "vitest";
import {
  type CfsEntry,
  CfsPolicy,
  type Cycles,
  FifoPolicy,
  isInteractive,
  LotteryPolicy,
  MlfqPolicy,
  NICE_0_WEIGHT,
  O1_REFILL_EXPIRE,
  O1_REFILL_KEEP,
  type O1Entry,
  O1Policy,
  PolicyBase,
  type PolicyEntry,
  type PolicyFactory,
  type ReadyReason,
  RoundRobinPolicy,
  type RrEntry,
  StridePolicy,
  type ThreadId,
  type ThreadParams,
  Xorshift32,
} from "../src/index.js";
import { type LawOptions, policyLaws, runPolicyLaws } from "../src/laws/index.js";

/** Round robin that never picks thread 0 while another thread is ready (and claims starvation freedom). */
class StarvingRoundRobin extends RoundRobinPolicy {
  protected override takeBest(): RrEntry | null {
    const first = super.takeBest();
    if (first === null || first.tid !== 0 || this.readyCount < 2) return first;
    const second = super.takeBest();
    this.insertReady(first, "preempted"); // back to the tail, forever behind the others
    return second;
  }
}

/**
 * New threads first, in FIFO order; after its first run a thread goes on a LIFO stack, so the
 * thread preempted last runs again at once: picks 0 1 2 2 2 2 … Every thread is picked once, then
 * all but one starve (a student's MLFQ that popped its level queues and had no boost did this).
 */
interface FreshEntry extends PolicyEntry {
  ran: boolean;
  used: number;
}
class FreshFirstThenLifo extends PolicyBase<FreshEntry> {
  readonly name = "fresh-first-then-lifo";
  readonly starvationFree = true;
  private readonly fresh: FreshEntry[] = [];
  private readonly stack: FreshEntry[] = [];
  protected makeEntry(tid: ThreadId, params: ThreadParams): FreshEntry {
    return { tid, params, ready: false, ran: false, used: 0 };
  }
  protected insertReady(e: FreshEntry): void {
    (e.ran ? this.stack : this.fresh).push(e);
  }
  protected removeReady(e: FreshEntry): void {
    for (const q of [this.fresh, this.stack]) {
      const i = q.indexOf(e);
      if (i >= 0) q.splice(i, 1);
    }
  }
  protected takeBest(): FreshEntry | null {
    const e = this.fresh.shift() ?? this.stack.pop() ?? null;
    if (e !== null) {
      e.ran = true;
      e.used = 0;
    }
    return e;
  }
  protected charge(e: FreshEntry | null, cycles: Cycles): boolean {
    if (e === null) return false;
    e.used += cycles;
    return e.used >= 4;
  }
  protected orderedReady(): ThreadId[] {
    return [...this.fresh, ...this.stack.slice().reverse()].map((e) => e.tid);
  }
}

/**
 * OSTEP's MLFQ with no boost (rule 5 left out) that still claims starvation freedom. With a fixed
 * set of threads it is harmless: every thread sinks to the bottom level, which is round robin.
 * Under a stream of short jobs that arrive at the top (rule 3) and finish within their allotment,
 * the top level is never empty and the CPU-bound threads at the bottom never run again (OSTEP
 * 8.3, "starvation").
 */
class BoostlessMlfq extends MlfqPolicy {
  override readonly starvationFree: boolean = true;
}

/**
 * Round robin that puts a new thread at the head of the queue instead of the tail ("let new work
 * start at once"). With a fixed set of threads it is round robin; under a stream of newcomers each
 * one runs next, and the threads already queued never come up.
 */
class NewcomersFirstRoundRobin extends PolicyBase<RrEntry> {
  readonly name: string = "rr-newcomers-first";
  readonly starvationFree = true;
  private readonly queue: ThreadId[] = [];
  protected makeEntry(tid: ThreadId, params: ThreadParams): RrEntry {
    return { tid, params, ready: false, used: 0 };
  }
  protected insertReady(e: RrEntry, reason: ReadyReason): void {
    if (reason === "new") this.queue.unshift(e.tid);
    else this.queue.push(e.tid);
  }
  protected removeReady(e: RrEntry): void {
    this.queue.splice(this.queue.indexOf(e.tid), 1);
  }
  protected takeBest(): RrEntry | null {
    const t = this.queue.shift();
    if (t === undefined) return null;
    const e = this.entries.get(t)!;
    e.used = 0;
    return e;
  }
  protected charge(e: RrEntry | null, cycles: Cycles): boolean {
    if (e === null) return false;
    e.used += cycles;
    return e.used >= 3;
  }
  protected orderedReady(): ThreadId[] {
    return [...this.queue];
  }
}

/**
 * CFS that places a new thread at vruntime 0 rather than at min_vruntime (+ START_DEBIT). The
 * first threads all start at 0, so with a fixed set it is plain CFS; later newcomers start far
 * behind every long-lived thread and always run first.
 */
class ZeroPlacedCfs extends CfsPolicy {
  protected override insertReady(e: CfsEntry, reason: ReadyReason): void {
    if (reason === "new") e.vruntime = 0;
    // A newcomer is queued as it is, without place_entity.
    super.insertReady(e, reason === "new" ? "preempted" : reason);
  }
}

/** CFS that gives every thread the nice-0 weight, whatever its nice value. */
class WeightlessCfs extends CfsPolicy {
  protected override makeEntry(tid: ThreadId, params: ThreadParams) {
    const e = super.makeEntry(tid, params);
    e.weight = NICE_0_WEIGHT;
    return e;
  }
  protected override onParamsChanged(): void {}
}

/** Stride scheduling whose stride ignores the ticket count. */
class TicketlessStride extends StridePolicy {
  override strideOf(_tickets: number): number {
    return this.stride1;
  }
}

/** Lottery whose draw walks the list in order but counts one ticket per thread. */
class OneTicketLottery extends LotteryPolicy {
  override admit(tid: ThreadId, params: Partial<ThreadParams> = {}): void {
    // Validate as the real policy does, then hold one ticket whatever was asked.
    super.admit(tid, params);
    this.setParams(tid, { tickets: 1 });
  }
  override setParams(tid: ThreadId, params: Partial<ThreadParams>): void {
    super.setParams(tid, params.tickets === undefined ? params : { ...params, tickets: 1 });
  }
}

/** FIFO that runs the thread that last blocked (descheduled) again as soon as it is asked to pick. */
class RunsBlockedFifo extends FifoPolicy {
  private blocked: PolicyEntry | null = null;
  protected override onDescheduled(e: PolicyEntry): void {
    this.blocked = e;
  }
  protected override takeBest(): PolicyEntry | null {
    const b = this.blocked;
    if (b !== null && !b.ready && this.entries.get(b.tid) === b) {
      this.blocked = null;
      return b;
    }
    return super.takeBest();
  }
  protected override charge(_e: PolicyEntry | null, _c: Cycles): boolean {
    return false;
  }
}

/** FIFO that silently ignores a second enqueue of a ready thread instead of refusing it. */
class SilentDoubleEnqueueFifo extends FifoPolicy {
  override enqueue(tid: ThreadId, reason: ReadyReason): void {
    if (this.isReady(tid)) return;
    super.enqueue(tid, reason);
  }
}

/** The law's failure: fast-check's report followed by the messages of the errors it wraps. */
function failureOf(law: { check(): void }): string {
  try {
    law.check();
  } catch (e) {
    const parts: string[] = [];
    for (let x: unknown = e; x instanceof Error; x = x.cause) parts.push(x.message);
    return parts.join("\n");
  }
  return "the law passed";
}

function lawNamed(factory: PolicyFactory, part: string, options: LawOptions) {
  const law = policyLaws(factory, { numRuns: 60, seed: 42, ...options }).find((l) => l.name.includes(part));
  if (law === undefined) throw new Error(`no law whose name contains "${part}"`);
  return law;
}

describe("the policy laws reject broken policies", () => {
  it("a round robin that starves a ready thread fails 'every ready thread is eventually picked'", () => {
    const law = lawNamed(() => new StarvingRoundRobin({ quantum: 3 }), "eventually picked", {});
    expect(failureOf(law)).toMatch(/never picked/);
  });

  it("a policy that runs every thread once, then re-picks the last one forever, fails 'eventually picked' (bounded waiting)", () => {
    const law = lawNamed(() => new FreshFirstThenLifo(), "eventually picked", {});
    expect(failureOf(law)).toMatch(/was not picked again for \d+ picks after pick \d+ .*bounded waiting/);
  });

  it("an MLFQ without a boost that claims starvation freedom passes the fixed-set law but fails 'starvation-free under arrivals'", () => {
    const f = () => new BoostlessMlfq({ levels: 3, quantum: [2, 4, 8], allotment: [4, 8, 16] });
    // With a fixed set every thread sinks to the bottom level, which is round robin: law 3 passes.
    lawNamed(f, "eventually picked", {}).check();
    // Under a churn of short jobs entering at the top, the bottom level never runs again.
    expect(failureOf(lawNamed(f, "under arrivals", {}))).toMatch(
      /long-lived thread \d+ was not picked again for \d+ picks \(picks \d+\.\.\d+\) after its pick \d+ while \d+ short-lived threads arrived/,
    );
    // And so the whole suite rejects it (this assertion failed before the law existed).
    let thrown: unknown = null;
    try {
      runPolicyLaws(f, { numRuns: 50, seed: 42 });
    } catch (e) {
      thrown = e;
    }
    expect(thrown).toBeInstanceOf(Error);
    expect((thrown as Error).message).toMatch(
      /^law "mlfq: every thread keeps being picked while short-lived threads keep arriving/,
    );
  });

  it("a round robin that puts newcomers at the head passes the fixed-set law but fails 'starvation-free under arrivals'", () => {
    const f = () => new NewcomersFirstRoundRobin();
    lawNamed(f, "eventually picked", {}).check();
    const failure = failureOf(lawNamed(f, "under arrivals", {}));
    // Shrunk: one long-lived thread and one newcomer at a time; thread 0 is never picked.
    expect(failure).toMatch(
      /long-lived thread 0 was never picked in the 700 picks since it arrived \(picks 0\.\.699\) while 700 short-lived threads arrived/,
    );
    // The recent picks are named as threads, not read as pick numbers.
    expect(failure).toMatch(/the last 24 picks chose threads (\d+ ){23}\d+\)/);
  });

  it("an MLFQ whose boost period (100,000 cycles) is far longer than the run passes the fixed-set law but fails 'starvation-free under arrivals'", () => {
    const f = () =>
      new MlfqPolicy({ levels: 3, quantum: [2, 4, 8], allotment: [4, 8, 16], boostPeriod: 100_000 });
    expect(f().starvationFree).toBe(true); // it has a boost, so it claims the laws
    lawNamed(f, "eventually picked", {}).check();
    expect(failureOf(lawNamed(f, "under arrivals", {}))).toMatch(
      /long-lived thread \d+ was not picked again for \d+ picks .* while \d+ short-lived threads arrived/,
    );
  });

  it("a CFS that places newcomers at vruntime 0 instead of min_vruntime passes the fixed-set law but fails 'starvation-free under arrivals'", () => {
    const f = () => new ZeroPlacedCfs();
    lawNamed(f, "eventually picked", {}).check();
    expect(failureOf(lawNamed(f, "under arrivals", {}))).toMatch(
      /long-lived thread \d+ was not picked again for \d+ picks .* while \d+ short-lived threads arrived/,
    );
  });

  it("a CFS that ignores nice weights fails 'CPU time in proportion'", () => {
    const law = lawNamed(() => new WeightlessCfs(), "proportion", { shares: "nice" });
    expect(failureOf(law)).toMatch(/its share is/);
  });

  it("a stride scheduler that ignores tickets fails 'CPU time in proportion'", () => {
    const law = lawNamed(() => new TicketlessStride({ quantum: 5 }), "proportion", { shares: "tickets" });
    expect(failureOf(law)).toMatch(/its share is/);
  });

  it("a lottery that counts one ticket per thread fails 'CPU time in proportion'", () => {
    const law = lawNamed(
      () => new OneTicketLottery({ random: new Xorshift32(7), quantum: 5 }),
      "proportion",
      { shares: "tickets" },
    );
    expect(failureOf(law)).toMatch(/its share is/);
  });

  it("a policy that picks a blocked (descheduled) thread fails the model-based law", () => {
    const law = lawNamed(() => new RunsBlockedFifo(), "lost or duplicated", {});
    expect(failureOf(law)).toMatch(/pickNext\(\) returned tid=\d+, which is idle/);
  });

  it("runPolicyLaws names the failed law, and the counterexample names the misuse (enqueue-ready)", () => {
    let thrown: unknown = null;
    try {
      runPolicyLaws(() => new SilentDoubleEnqueueFifo(), { numRuns: 60, seed: 42 });
    } catch (e) {
      thrown = e;
    }
    expect(thrown).toBeInstanceOf(Error);
    const err = thrown as Error;
    expect(err.message).toMatch(/^law "fifo: no thread is lost or duplicated, .*" violated:\n/);
    expect(err.message).toMatch(/misuse\(enqueue-ready, #\d+\)/);
    expect(
      failureOf({
        check: () => {
          throw err;
        },
      }),
    ).toMatch(/enqueue\(ready\): expected a SchedError, got no error/);
  });

  it("the correct policies pass the same laws with the same seed (the checks above are not vacuous)", () => {
    for (const [f, shares] of [
      [() => new CfsPolicy(), "nice"],
      [() => new StridePolicy({ quantum: 5 }), "tickets"],
      [() => new LotteryPolicy({ random: new Xorshift32(7), quantum: 5 }), "tickets"],
    ] as const) {
      lawNamed(f, "proportion", { shares }).check();
    }
    lawNamed(() => new RoundRobinPolicy({ quantum: 3 }), "eventually picked", {}).check();
    lawNamed(() => new FifoPolicy(), "lost or duplicated", {}).check();
  });

  it("round robin and an MLFQ with a boost pass the law under arrivals with the same seed (the boostless MLFQ's failure is not vacuous)", () => {
    lawNamed(() => new RoundRobinPolicy({ quantum: 3 }), "under arrivals", {}).check();
    lawNamed(
      () => new MlfqPolicy({ levels: 3, quantum: [2, 4, 8], allotment: [4, 8, 16], boostPeriod: 50 }),
      "under arrivals",
      {},
    ).check();
  });
});

/**
 * Round robin that puts a woken thread at the head of the queue ("let interactive work respond at
 * once"). No law without sleeps sees it; under wakeups a sleeper that sleeps less than one pick
 * is always at the head, and the CPU-bound threads never come up.
 */
class WakersFirstRoundRobin extends NewcomersFirstRoundRobin {
  override readonly name = "rr-wakers-first";
  protected override insertReady(e: RrEntry, reason: ReadyReason): void {
    super.insertReady(e, reason === "wake" ? "new" : reason === "new" ? "preempted" : reason);
  }
}

/**
 * O(1) that exempts woken and interactive threads from the starvation test: a woken thread never
 * counts as bringing a fresh slice, and an interactive thread whose slice runs out always goes
 * back to the active array (Linux's `scheduler_tick` without EXPIRED_STARVING). Newcomers are
 * still deferred, so laws 3 and 4 pass; two sleepers that keep their bonus keep the active array
 * from ever emptying, and the CPU-bound threads in the expired array wait forever.
 */
class WakersExemptO1 extends O1Policy {
  protected override charge(e: O1Entry | null, cycles: Cycles): boolean {
    const preempt = super.charge(e, cycles);
    if (e !== null && e.refill === O1_REFILL_EXPIRE && e.sleepAvg > 0 && isInteractive(e.prio, e.staticPrio))
      e.refill = O1_REFILL_KEEP;
    return preempt;
  }
  protected override insertReady(e: O1Entry, reason: ReadyReason): void {
    if (reason === "wake") e.fresh = false;
    super.insertReady(e, reason);
  }
}

describe("the wakeups law rejects a policy that favours woken threads", () => {
  it("an O(1) without EXPIRED_STARVING for woken and interactive threads passes laws 3 and 4 but fails 'under wakeups'", () => {
    const f = () => new WakersExemptO1({ msCycles: 0.1, starvationLimit: 400 });
    lawNamed(f, "eventually picked", {}).check();
    lawNamed(f, "under arrivals", {}).check();
    expect(failureOf(lawNamed(f, "under wakeups", {}))).toMatch(
      /(long-lived thread|sleeper) \d+ (was not picked again|was never picked).* while it stayed ready and sleepers woke \d+ times/,
    );
    // The real policy, same options and seed, passes.
    lawNamed(() => new O1Policy({ msCycles: 0.1, starvationLimit: 400 }), "under wakeups", {}).check();
  });

  it("a round robin that queues woken threads at the head passes laws 3 and 4 but fails 'starvation-free under wakeups'", () => {
    const f = () => new WakersFirstRoundRobin();
    lawNamed(f, "eventually picked", {}).check();
    lawNamed(f, "under arrivals", {}).check();
    expect(failureOf(lawNamed(f, "under wakeups", {}))).toMatch(
      /(long-lived thread|sleeper) \d+ (was not picked again|was never picked).* while it stayed ready and sleepers woke \d+ times/,
    );
  });

  it("plain round robin passes it with the same seed (the failure above is not vacuous)", () => {
    lawNamed(() => new RoundRobinPolicy({ quantum: 3 }), "under wakeups", {}).check();
  });
});
