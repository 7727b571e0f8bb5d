/**
 * Policy-level hot path: pick + tick + requeue through the full SchedPolicy protocol (argument
 * checks, per-thread records, invariants of the engine), 1,000 CPU-bound threads, in process CPU
 * time. Complements baseline-sched.ts, which times the bare run-queue structures.
 *
 *   pnpm tsx --conditions=@osbricks/source packages/sched/bench/policy-loop.ts
 */
import {
  CfsPolicy,
  FifoPolicy,
  JsixMlfqPolicy,
  LotteryPolicy,
  MlfqPolicy,
  O1Policy,
  PriorityPolicy,
  RoundRobinPolicy,
  type SchedPolicy,
  StridePolicy,
  threadId,
} from "@osbricks/sched";

const OPS = 2_000_000;
const THREADS = 1000;

function run(name: string, make: () => SchedPolicy, cycles: number): string {
  const p = make();
  for (let t = 0; t < THREADS; t++) {
    p.admit(threadId(t), { nice: (t % 11) - 5, tickets: 1 + (t % 16) });
    p.enqueue(threadId(t), "new");
  }
  const loop = (n: number): void => {
    for (let i = 0; i < n; i++) {
      const t = p.pickNext()!;
      p.enqueue(t, p.tick(t, cycles) ? "preempted" : "yielded");
    }
  };
  loop(OPS / 10); // warm-up
  const a = process.cpuUsage();
  loop(OPS);
  const b = process.cpuUsage(a);
  return `${name} ${(OPS / ((b.user + b.system) / 1e6) / 1e6).toFixed(1)}M/s`;
}

console.log(
  [
    run("fifo", () => new FifoPolicy(), 1),
    run("rr", () => new RoundRobinPolicy({ quantum: 1 }), 1),
    run("priority", () => new PriorityPolicy({ quantum: 1 }), 1),
    run("mlfq", () => new MlfqPolicy({ boostPeriod: 1000 }), 5),
    run("jsix", () => new JsixMlfqPolicy({ baseQuantum: 2 }), 2),
    run("o1", () => new O1Policy({ msCycles: 0.1 }), 2),
    run("lottery", () => new LotteryPolicy({ quantum: 1 }), 1),
    run("lottery (tree)", () => new LotteryPolicy({ quantum: 1, draw: "tree" }), 1),
    run("stride", () => new StridePolicy({ quantum: 1 }), 1),
    run("cfs", () => new CfsPolicy(), 3),
  ].join("\n"),
);
