// The wait laws are tested too: a hand-written host passes them, and each timer bug planted in it
// is rejected by the law meant for it, with that law's own complaint. A host is what a student
// writes against these laws (objectWait, the masks and the wake-ups are the object layer's own),
// so the bugs are all in its clock and its timer queue.
import { describe, it } from "vitest";
import type { Cycles, TimerId, WaiterId, WaitHost, WaitResult } from "../src/index.js";
import { type Law, waitLaws } from "../src/laws/index.js";
import { expectRejected, law } from "./law-rejection.js";

interface HostBugs {
  /** Due timers fire in the order they were scheduled, not by deadline. */
  readonly fifoTimers?: boolean;
  /** A timer fires only once time has passed its deadline, not when it reaches it. */
  readonly lateTimers?: boolean;
  /** A timer due one cycle after the target time fires already (with the clock short of it). */
  readonly earlyTimers?: boolean;
  /** `cancelTimer` does nothing: the timer still fires. */
  readonly ignoreCancel?: boolean;
  /** A fired timer stays queued and fires again at the next advance. */
  readonly fireTwice?: boolean;
  /** `advanceTo` moves the clock to the target only once no timer is left pending. */
  readonly clockLags?: boolean;
  /** Among timers of one deadline, the last scheduled fires first. */
  readonly lifoTies?: boolean;
  /** Timers kept by deadline (a Map): a second timer replaces the first, a cancel drops both. */
  readonly keyedByDeadline?: boolean;
  /** The earliest due timer is looked for among the first two due only (a half-written heap). */
  readonly firstTwoOnly?: boolean;
}

/** A WaitHost over a timer list, as a student might write it first. */
class ListHost implements WaitHost {
  private clock = 0;
  private nextId = 1;
  private timers: { id: TimerId; deadline: Cycles; fire: () => void }[] = [];
  constructor(private readonly bugs: HostBugs = {}) {}
  now(): Cycles {
    return this.clock;
  }
  schedule(deadline: Cycles, fire: () => void): TimerId {
    const id = this.nextId++;
    if (this.bugs.keyedByDeadline) this.timers = this.timers.filter((t) => t.deadline !== deadline);
    this.timers.push({ id, deadline, fire });
    return id;
  }
  cancelTimer(timer: TimerId): void {
    const deadline = this.timers.find((t) => t.id === timer)?.deadline;
    if (this.bugs.keyedByDeadline) this.timers = this.timers.filter((t) => t.deadline !== deadline);
    else if (!this.bugs.ignoreCancel) this.timers = this.timers.filter((t) => t.id !== timer);
  }
  wake(_waiter: WaiterId, _result: WaitResult): void {}
  advanceTo(time: Cycles): void {
    const slack = this.bugs.earlyTimers ? 1 : 0;
    for (;;) {
      const due = this.timers.filter((t) =>
        this.bugs.lateTimers ? t.deadline < time : t.deadline <= time + slack,
      );
      if (due.length === 0) break;
      // Earliest deadline first, scheduling order on a tie (a stable sort); the FIFO bug skips the sort.
      const t = this.bugs.fifoTimers
        ? due[0]!
        : this.bugs.firstTwoOnly && due.length > 1
          ? due[1]!.deadline < due[0]!.deadline
            ? due[1]!
            : due[0]!
          : [...(this.bugs.lifoTies ? [...due].reverse() : due)].sort((a, b) => a.deadline - b.deadline)[0]!;
      this.clock = Math.max(this.clock, this.bugs.earlyTimers ? Math.min(t.deadline, time) : t.deadline);
      if (this.bugs.fireTwice) {
        // Fires every due timer once per advance, and keeps it queued.
        for (const d of due) d.fire();
        break;
      }
      this.timers = this.timers.filter((x) => x !== t);
      t.fire();
    }
    if (!this.bugs.clockLags || this.timers.length === 0) this.clock = time;
  }
}

const lawsFor = (bugs: HostBugs = {}): Law[] =>
  waitLaws(
    () => {
      const host = new ListHost(bugs);
      return { host, advanceTo: (t) => host.advanceTo(t) };
    },
    { seed: 20261122 },
  );

describe("a correct list host passes every wait law", () => {
  for (const l of lawsFor()) it(l.name, () => l.check());
});

describe("each planted timer bug is rejected", () => {
  it("timers fired in scheduling order instead of deadline order", () => {
    expectRejected(law(lawsFor({ fifoTimers: true }), "model:"), /wake-ups differ/);
  });

  it("a timer that fires only after its deadline has passed", () => {
    expectRejected(
      law(lawsFor({ lateTimers: true }), "a later one fires exactly"),
      /did not time out at the deadline/,
    );
  });

  it("a timer that fires a cycle early", () => {
    expectRejected(
      law(lawsFor({ earlyTimers: true }), "a later one fires exactly"),
      /timed out before the deadline|fired at now=\d+, before it/,
    );
  });

  it("a cancelTimer that does not cancel (the timer of a satisfied wait still fires)", () => {
    expectRejected(law(lawsFor({ ignoreCancel: true }), "model:"), /fired after cancelTimer/);
  });

  it("a timer that fires again at the next advance", () => {
    expectRejected(law(lawsFor({ fireTwice: true }), "model:"), /fired twice/);
  });

  // These passed every law before the clock check of the model and the shared-deadlines law.
  it("a clock that reaches the target of advanceTo only once no timer is pending", () => {
    expectRejected(
      law(lawsFor({ clockLags: true }), "model:"),
      /left now\(\) at \d+: time must reach the target/,
    );
  });

  it("timers of one deadline fired last-scheduled first", () => {
    expectRejected(law(lawsFor({ lifoTies: true }), "waits sharing deadlines"), /wake-ups differ/);
  });

  it("timers kept in a Map by deadline (one replaces another; a cancel drops both)", () => {
    expectRejected(law(lawsFor({ keyedByDeadline: true }), "waits sharing deadlines"), /wake-ups differ/);
  });

  it("a timer queue that finds the earliest only among its first two due timers", () => {
    expectRejected(law(lawsFor({ firstTwoOnly: true }), "waits sharing deadlines"), /wake-ups differ/);
  });
});
