// The worked numbers of OSTEP (Arpaci-Dusseau), chapters 7-9, reproduced by the simulator.
import { describe, expect, it } from "vitest";
import {
  FifoPolicy,
  LotteryPolicy,
  MlfqPolicy,
  ReplayRandom,
  RoundRobinPolicy,
  type SchedPolicy,
  SjfPolicy,
  StcfPolicy,
  StridePolicy,
  simulate,
  threadId,
  Xorshift32,
} from "../src/index.js";

/** OSTEP ch. 9's three jobs: A (thread 0) with 100 tickets, B (1) with 50, C (2) with 250, all ready. */
function admitOstepJobs(p: SchedPolicy): void {
  for (const [t, n] of [
    [0, 100],
    [1, 50],
    [2, 250],
  ] as const) {
    p.admit(threadId(t), { tickets: n });
    p.enqueue(threadId(t), "new");
  }
}

const fifo = () => new FifoPolicy();
const sjf = () => new SjfPolicy();
const stcf = () => new StcfPolicy();

describe("OSTEP ch. 7: turnaround and response", () => {
  it("FIFO with three 10-unit jobs: average turnaround 20", () => {
    expect(
      simulate([{ length: 10 }, { length: 10 }, { length: 10 }], { policy: fifo }).average.turnaround,
    ).toBe(20);
  });

  it("FIFO convoy, A=100 B=10 C=10: average turnaround 110", () => {
    const r = simulate([{ length: 100 }, { length: 10 }, { length: 10 }], { policy: fifo });
    expect(r.jobs.map((j) => j.turnaround)).toEqual([100, 110, 120]);
    expect(r.average.turnaround).toBe(110);
  });

  it("SJF on the same jobs: average turnaround 50", () => {
    const r = simulate([{ length: 100 }, { length: 10 }, { length: 10 }], { policy: sjf });
    expect(r.jobs.map((j) => j.completion)).toEqual([120, 10, 20]);
    expect(r.average.turnaround).toBe(50);
  });

  it("SJF with B and C arriving at 10: average turnaround 103.33", () => {
    const r = simulate([{ length: 100 }, { length: 10, arrival: 10 }, { length: 10, arrival: 10 }], {
      policy: sjf,
    });
    expect(r.average.turnaround).toBeCloseTo(103.33, 2);
  });

  it("STCF with B and C arriving at 10: average turnaround 50", () => {
    const r = simulate([{ length: 100 }, { length: 10, arrival: 10 }, { length: 10, arrival: 10 }], {
      policy: stcf,
    });
    expect(r.jobs.map((j) => j.turnaround)).toEqual([120, 10, 20]);
    expect(r.average.turnaround).toBe(50);
  });

  it("RR with a 1-unit slice, three 5-unit jobs: average response 1, turnaround 14", () => {
    const r = simulate([{ length: 5 }, { length: 5 }, { length: 5 }], {
      policy: () => new RoundRobinPolicy({ quantum: 1 }),
    });
    expect(r.jobs.map((j) => j.response)).toEqual([0, 1, 2]);
    expect(r.average.response).toBe(1);
    expect(r.average.turnaround).toBe(14);
    expect(r.timeline[0]!.slice(0, 6)).toEqual([0, 1, 2, 0, 1, 2]);
  });

  it("SJF on the same three 5-unit jobs: average response 5", () => {
    expect(simulate([{ length: 5 }, { length: 5 }, { length: 5 }], { policy: sjf }).average.response).toBe(5);
  });

  it("wait time is time ready but not running: without I/O it equals turnaround − run time", () => {
    const r = simulate([{ length: 7 }, { length: 3, arrival: 2 }, { length: 4, arrival: 4 }], {
      policy: () => new RoundRobinPolicy({ quantum: 2 }),
    });
    for (const j of r.jobs) expect(j.wait).toBe(j.turnaround - j.cpuTime);
  });

  it("overlapping I/O: while A waits for I/O, B runs; I/O time is not wait time", () => {
    // A: CPU 10, I/O 10, CPU 10 (OSTEP fig. 7.9, with STCF); B: CPU 20.
    const r = simulate(
      [
        { name: "A", bursts: [10, 10, 10] },
        { name: "B", length: 20 },
      ],
      { policy: stcf },
    );
    const [a, b] = r.jobs;
    expect(a!.ioTime).toBe(10);
    expect(r.timeline[0]!.slice(10, 20).every((j) => j === 1)).toBe(true);
    expect(a!.wait).toBe(a!.turnaround - a!.cpuTime - a!.ioTime);
    expect(b!.wait).toBe(b!.turnaround - b!.cpuTime);
  });
});

describe("OSTEP ch. 7 homework (scheduler.py)", () => {
  const three = (a: number, b: number, c: number) => [{ length: a }, { length: b }, { length: c }];
  it("FIFO -l 200,200,200: average response 200, turnaround 400, wait 200", () => {
    expect(simulate(three(200, 200, 200), { policy: fifo }).average).toEqual({
      response: 200,
      turnaround: 400,
      wait: 200,
    });
  });
  it("SJF -l 100,200,300: average response 133.33, turnaround 333.33, wait 133.33", () => {
    const a = simulate(three(300, 200, 100), { policy: sjf }).average;
    expect(a.response).toBeCloseTo(133.33, 2);
    expect(a.turnaround).toBeCloseTo(333.33, 2);
    expect(a.wait).toBeCloseTo(133.33, 2);
  });
  it("RR -q 1 -l 1,2,3: completions at 1, 4 and 6", () => {
    const r = simulate(three(1, 2, 3), { policy: () => new RoundRobinPolicy({ quantum: 1 }) });
    expect(r.jobs.map((j) => j.completion)).toEqual([1, 4, 6]);
    expect(r.jobs.map((j) => j.response)).toEqual([0, 1, 2]);
  });
});

describe("OSTEP ch. 8: MLFQ", () => {
  const mlfq =
    (boostPeriod = 0) =>
    () =>
      new MlfqPolicy({ levels: 3, quantum: 10, boostPeriod });

  it("a long-running job sinks one level per allotment (fig. 8.2)", () => {
    const p = new MlfqPolicy({ levels: 3, quantum: 10 });
    p.admit(threadId(0));
    p.enqueue(threadId(0), "new");
    const levels: number[] = [];
    for (let k = 0; k < 4; k++) {
      expect(p.pickNext()).toBe(0);
      levels.push(p.levelOf(threadId(0)));
      let pre = false;
      for (let i = 0; i < 10 && !pre; i++) pre = p.tick(threadId(0), 1);
      expect(pre).toBe(true);
      p.enqueue(threadId(0), "preempted");
    }
    expect(levels).toEqual([0, 1, 2, 2]);
  });

  it("a short job arriving at 100 runs at once and finishes in two quanta (fig. 8.3)", () => {
    const r = simulate(
      [
        { name: "A", length: 200 },
        { name: "B", length: 20, arrival: 100 },
      ],
      { policy: mlfq() },
    );
    expect(r.jobs[1]!.response).toBe(0);
    expect(r.jobs[1]!.turnaround).toBe(20);
    expect(r.jobs[0]!.completion).toBe(220);
  });

  it("rule 4 defeats gaming: a job that blocks just before its quantum ends is still demoted", () => {
    const p = new MlfqPolicy({ levels: 3, quantum: 10 });
    p.admit(threadId(0));
    p.enqueue(threadId(0), "new");
    p.pickNext();
    for (let i = 0; i < 9; i++) expect(p.tick(threadId(0), 1)).toBe(false);
    p.descheduled(threadId(0)); // issues I/O after 9 of its 10 units
    p.enqueue(threadId(0), "wake");
    expect(p.levelOf(threadId(0))).toBe(0);
    p.pickNext();
    expect(p.tick(threadId(0), 1)).toBe(true); // the allotment (10) is spent across the two runs
    expect(p.levelOf(threadId(0))).toBe(1);
  });

  it("rule 5 gives the running job a fresh top-level quantum too (mlfq.py resets ticksLeft of every job)", () => {
    const p = new MlfqPolicy({ levels: 2, quantum: [2, 10], allotment: [4, 100], boostPeriod: 20 });
    p.admit(threadId(0));
    p.enqueue(threadId(0), "new");
    const preempts: number[] = [];
    p.pickNext();
    for (let clock = 1; clock <= 20; clock++) {
      if (p.tick(threadId(0), 1)) {
        preempts.push(clock);
        p.enqueue(threadId(0), "preempted");
        p.pickNext();
      }
    }
    // Level 0: quantum ends at 2, allotment (4) at 4 → level 1; its quantum (10) ends at 14.
    expect(preempts).toEqual([2, 4, 14]);
    expect(p.boostCount).toBe(1); // at 20, 6 units into a level-1 quantum
    expect(p.levelOf(threadId(0))).toBe(0);
    expect(p.tick(threadId(0), 1)).toBe(false); // 1 of a fresh quantum of 2
    expect(p.tick(threadId(0), 1)).toBe(true);
    p.checkInvariants();
  });

  it("rule 5: without a boost a stream of short jobs starves A; a boost every 50 lets it progress", () => {
    // One 5-unit job arrives every 5 units from t=20 to t=1000: level 0 is never empty.
    const stream = Array.from({ length: 196 }, (_, i) => ({ name: `s${i}`, length: 5, arrival: 20 + 5 * i }));
    const jobs = [{ name: "A", length: 200 }, ...stream];
    const ranA = (row: ReadonlyArray<number | null>, from: number, to: number) =>
      row.slice(from, to).filter((j) => j === 0).length;
    const starved = simulate(jobs, { policy: mlfq(0) });
    expect(ranA(starved.timeline[0]!, 30, 1000)).toBe(0);
    const boosted = simulate(jobs, { policy: mlfq(50) });
    // After each boost A reaches level 0 and gets one quantum before it sinks again.
    expect(ranA(boosted.timeline[0]!, 30, 1000)).toBeGreaterThanOrEqual(100);
  });
});

describe("OSTEP ch. 9: proportional share", () => {
  it("lottery: A 100, B 50, C 250 tickets, winning ticket 300 → C", () => {
    const l = new LotteryPolicy({ random: new ReplayRandom([300]) });
    admitOstepJobs(l);
    expect(l.totalTickets).toBe(400);
    expect(l.pickNext()).toBe(2);
  });

  it("lottery replays: the same seed gives the same schedule", () => {
    const jobs = [
      { length: 40, params: { tickets: 75 } },
      { length: 40, params: { tickets: 25 } },
    ];
    const run = () =>
      simulate(jobs, { policy: () => new LotteryPolicy({ quantum: 1 }) }).timeline[0]!.join("");
    expect(run()).toBe(run());
  });

  it("the seeded source is Marsaglia's xorshift32 (13, 17, 5): a C program with the same seed draws the same numbers", () => {
    const x = new Xorshift32(1);
    expect([1, 2, 3, 4, 5].map(() => x.nextU32())).toEqual([
      270369, 67634689, 2647435461, 307599695, 2398689233,
    ]);
    expect(new Xorshift32(0).nextU32()).toBe(270369); // seed 0 is the fixed point: replaced by 1
  });

  it("lottery draws winner = draw mod total tickets, so a replayed draw sequence replays the picks", () => {
    const draws = [0, 99, 100, 149, 150, 399, 400];
    const l = new LotteryPolicy({ random: new ReplayRandom(draws), quantum: 1 });
    admitOstepJobs(l);
    const picks = draws.map(() => {
      const t = l.pickNext()!;
      l.enqueue(t, "preempted"); // back at the tail of the list walk
      return t;
    });
    // The winner is requeued last, so the walk order changes: [A B C] draw 0 → A; [B C A] 99 → C
    // (50 ≤ 99 < 300); [B A C] 100 → A; [B C A] 149 → C; [B A C] 150 → C (150 is not > 150);
    // 399 → C; 400 mod 400 = 0 → B.
    expect(picks).toEqual([0, 2, 0, 2, 2, 2, 1]);
  });

  it("stride: A 100, B 50, C 250 tickets (strides 100, 200, 40) share 8 quanta 2:1:5", () => {
    const s = new StridePolicy({ stride1: 10000, quantum: 1 });
    admitOstepJobs(s);
    const picks: number[] = [];
    for (let k = 0; k < 8; k++) {
      const t = s.pickNext()!;
      picks.push(t);
      s.tick(t, 1);
      s.enqueue(t, "preempted");
    }
    expect(picks.slice(0, 3)).toEqual([0, 1, 2]);
    expect([0, 1, 2].map((t) => picks.filter((x) => x === t).length)).toEqual([2, 1, 5]);
  });
});
