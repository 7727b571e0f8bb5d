import fc from "fast-check";
import { describe, expect, it } from "vitest";
import {
  CfsPolicy,
  FifoPolicy,
  InvalidArgumentError,
  InvalidJobError,
  JsixMlfqPolicy,
  LotteryPolicy,
  MlfqPolicy,
  maskOf,
  O1Policy,
  PriorityPolicy,
  parseJobs,
  RoundRobinPolicy,
  renderGantt,
  type SchedPolicy,
  SjfPolicy,
  StcfPolicy,
  StridePolicy,
  simulate,
} from "../src/index.js";

describe("workload validation", () => {
  const bad: Array<[string, object]> = [
    ["negative length", { length: -5 }],
    ["zero length", { length: 0 }],
    ["fractional length", { length: 1.5 }],
    ["negative arrival", { arrival: -1, length: 3 }],
    ["negative I/O burst", { bursts: [3, -2, 3] }],
    ["even burst count", { bursts: [3, 2] }],
    ["no burst", {}],
    ["length and bursts", { length: 3, bursts: [3] }],
    ["nice out of range", { length: 3, params: { nice: 99 } }],
    ["zero tickets", { length: 3, params: { tickets: 0 } }],
  ];
  for (const [name, spec] of bad) {
    it(`${name} → InvalidJobError`, () => {
      expect(() => parseJobs([{ length: 1 }, spec])).toThrow(InvalidJobError);
      expect(() => simulate([spec], { policy: () => new FifoPolicy() })).toThrow(InvalidJobError);
    });
  }
  it("names the job and the field", () => {
    expect(() => parseJobs([{ name: "X", bursts: [2, -1, 2] }])).toThrow(
      "job X: I/O burst 1 is -1; it must be an integer ≥ 1",
    );
    // Parameters too, before the run: they used to reach the scheduler only at the job's arrival.
    expect(() => parseJobs([{ name: "Y", length: 2, params: { priority: 64 } }])).toThrow(
      "job Y: priority 64 is not an integer in 0..63",
    );
  });
  it("gives up after maxTime with a typed error", () => {
    expect(() => simulate([{ length: 50 }], { policy: () => new FifoPolicy(), maxTime: 10 })).toThrow(
      InvalidArgumentError,
    );
  });
});

describe("simulate: OSTEP's definitions hold for any workload (property)", () => {
  const jobArb = fc.record({
    arrival: fc.nat(20),
    bursts: fc
      .array(fc.integer({ min: 1, max: 8 }), { minLength: 1, maxLength: 5 })
      .map((b) => (b.length % 2 === 0 ? b.slice(1) : b)),
    params: fc.record({ nice: fc.integer({ min: -5, max: 5 }), tickets: fc.integer({ min: 1, max: 10 }) }),
  });
  const factories = [
    () => new RoundRobinPolicy({ quantum: 2 }),
    () => new MlfqPolicy({ boostPeriod: 30 }),
    () => new CfsPolicy(),
    () => new StridePolicy({ quantum: 3 }),
  ];
  it("response = first run − arrival, turnaround = completion − arrival, turnaround = CPU + I/O + wait; no CPU runs two jobs, no job two CPUs", () => {
    fc.assert(
      fc.property(
        fc.array(jobArb, { minLength: 1, maxLength: 6 }),
        fc.nat(3),
        fc.integer({ min: 1, max: 3 }),
        (jobs, pi, cpus) => {
          const r = simulate(jobs, { policy: factories[pi]!, cpus });
          r.jobs.forEach((j, i) => {
            const cpuTotal = jobs[i]!.bursts.filter((_, k) => k % 2 === 0).reduce((a, b) => a + b, 0);
            const ioTotal = jobs[i]!.bursts.filter((_, k) => k % 2 === 1).reduce((a, b) => a + b, 0);
            expect(j.response).toBe(j.firstRun - j.arrival);
            expect(j.turnaround).toBe(j.completion - j.arrival);
            expect(j.cpuTime).toBe(cpuTotal);
            expect(j.ioTime).toBe(ioTotal);
            expect(j.turnaround).toBe(j.cpuTime + j.ioTime + j.wait);
            expect(j.firstRun).toBeGreaterThanOrEqual(j.arrival);
            // The timeline agrees: the job occupies exactly cpuTotal slots, none before arrival.
            let slots = 0;
            for (const row of r.timeline) {
              row.forEach((x, t) => {
                if (x === i) {
                  slots++;
                  expect(t).toBeGreaterThanOrEqual(j.arrival);
                  expect(t).toBeLessThan(j.completion);
                }
              });
            }
            expect(slots).toBe(cpuTotal);
          });
          for (let t = 0; t < r.makespan; t++) {
            const running = r.timeline.map((row) => row[t]).filter((x) => x !== null);
            expect(new Set(running).size).toBe(running.length);
          }
        },
      ),
      { numRuns: 60 },
    );
  });
});

describe("simulate: several CPUs", () => {
  it("two CPUs run two jobs side by side; affinity pins a job", () => {
    const r = simulate([{ length: 10 }, { length: 10 }, { length: 10, affinity: maskOf(1) }], {
      policy: () => new FifoPolicy(),
      cpus: 2,
    });
    expect(r.jobs.map((j) => j.completion)).toEqual([10, 10, 20]);
    expect(r.timeline[1]!.slice(10, 20).every((x) => x === 2)).toBe(true);
  });

  it("work stealing moves queued jobs to an idle CPU and counts the migration", () => {
    const jobs = [
      { length: 20, affinity: maskOf(0) },
      { length: 5 },
      { length: 5 },
      { length: 30, affinity: maskOf(1) },
    ];
    const r = simulate(jobs, { policy: () => new RoundRobinPolicy({ quantum: 5 }), cpus: 2 });
    expect(r.migrations).toBeGreaterThanOrEqual(0);
    expect(r.makespan).toBeLessThanOrEqual(40);
  });
});

describe("renderGantt", () => {
  it("draws one row per CPU with the job letters, an axis and the table", () => {
    const r = simulate([{ length: 3 }, { length: 2, arrival: 1 }], {
      policy: () => new FifoPolicy(),
      cpus: 1,
    });
    expect(renderGantt(r)).toBe(
      [
        "       0",
        "CPU0  |AAABB|",
        "",
        "job  arrival  first  done  response  turnaround  wait",
        "A          0      0     3         0           3     0",
        "B          1      3     5         2           4     2",
        "average                           1        3.50     1",
      ].join("\n"),
    );
  });

  it("scales long runs and marks idle time with dots", () => {
    const r = simulate([{ length: 10 }, { length: 10, arrival: 30 }], { policy: () => new FifoPolicy() });
    const chart = renderGantt(r, { scale: 5, table: false });
    expect(chart.split("\n")[1]).toBe("CPU0  |AA....BB|");
    expect(chart).toContain("1 character = 5 time units");
    expect(() => renderGantt(r, { scale: 0 })).toThrow(InvalidArgumentError);
  });
});

describe("simulate: every policy on random workloads, invariants checked after every unit (grinder)", () => {
  const all: Array<[string, () => SchedPolicy]> = [
    ["fifo", () => new FifoPolicy()],
    ["sjf", () => new SjfPolicy()],
    ["stcf", () => new StcfPolicy()],
    ["rr", () => new RoundRobinPolicy({ quantum: 3 })],
    ["priority", () => new PriorityPolicy({ quantum: 2 })],
    ["mlfq", () => new MlfqPolicy({ quantum: [2, 4, 8], boostPeriod: 25 })],
    ["jsix", () => new JsixMlfqPolicy({ baseQuantum: 1 })],
    ["o1", () => new O1Policy({ msCycles: 0.05 })],
    ["lottery", () => new LotteryPolicy({ quantum: 2 })],
    ["stride", () => new StridePolicy({ quantum: 2 })],
    ["cfs", () => new CfsPolicy({ queue: "heap" })],
  ];
  const jobArb = fc.record({
    arrival: fc.nat(15),
    bursts: fc
      .array(fc.integer({ min: 1, max: 6 }), { minLength: 1, maxLength: 5 })
      .map((b) => (b.length % 2 === 0 ? b.slice(1) : b)),
    params: fc.record({
      nice: fc.integer({ min: -20, max: 19 }),
      priority: fc.integer({ min: 0, max: 63 }),
      tickets: fc.integer({ min: 1, max: 20 }),
    }),
    affinity: fc.integer({ min: 1, max: 7 }),
  });
  for (const [name, factory] of all) {
    it(`${name}: every job completes with its exact CPU and I/O time`, () => {
      fc.assert(
        fc.property(
          fc.array(jobArb, { minLength: 1, maxLength: 6 }),
          fc.integer({ min: 1, max: 3 }),
          (jobs, cpus) => {
            // Keep masks on this machine (a mask with no CPU of it is refused: tested above).
            const fit = jobs.map(({ affinity, ...j }) =>
              (affinity & ((1 << cpus) - 1)) === 0 ? j : { ...j, affinity },
            );
            const r = simulate(fit, { policy: factory, cpus, paranoid: true, balanceInterval: 3 });
            r.jobs.forEach((j, i) => {
              const b = jobs[i]!.bursts;
              expect(j.cpuTime).toBe(b.filter((_, k) => k % 2 === 0).reduce((x, y) => x + y, 0));
              expect(j.turnaround).toBe(j.cpuTime + j.ioTime + j.wait);
            });
          },
        ),
        // 25 runs per policy × 11 policies = 275 random workloads, each checking every scheduler
        // invariant after every time unit: a grinder, kept short so the suite stays fast.
        { numRuns: 25 },
      );
    });
  }
});
