import { describe, it } from "vitest";
import {
  CfsPolicy,
  FifoPolicy,
  JsixMlfqPolicy,
  LotteryPolicy,
  MlfqPolicy,
  O1Policy,
  type PolicyFactory,
  PriorityPolicy,
  RoundRobinPolicy,
  SjfPolicy,
  StcfPolicy,
  StridePolicy,
  Xorshift32,
} from "../src/index.js";
import { policyLaws } from "../src/laws/index.js";

const policies: Array<[string, PolicyFactory]> = [
  ["fifo", () => new FifoPolicy()],
  ["rr", () => new RoundRobinPolicy({ quantum: 4 })],
  ["sjf", () => new SjfPolicy()],
  ["stcf", () => new StcfPolicy()],
  ["priority", () => new PriorityPolicy()],
  [
    "mlfq (boost)",
    () => new MlfqPolicy({ levels: 3, quantum: [2, 4, 8], allotment: [4, 8, 16], boostPeriod: 50 }),
  ],
  ["mlfq (no boost)", () => new MlfqPolicy()],
  ["jsix-mlfq", () => new JsixMlfqPolicy({ baseQuantum: 2 })],
  ["o1", () => new O1Policy({ msCycles: 0.1 })],
  ["lottery", (cpu) => new LotteryPolicy({ random: new Xorshift32(0x1234 + cpu), quantum: 5 })],
  [
    "lottery (tree)",
    (cpu) => new LotteryPolicy({ random: new Xorshift32(0x99 + cpu), quantum: 5, draw: "tree" }),
  ],
  ["stride", () => new StridePolicy({ quantum: 5 })],
  ["cfs (rbtree)", () => new CfsPolicy()],
  ["cfs (heap)", () => new CfsPolicy({ queue: "heap" })],
];

for (const [name, factory] of policies) {
  describe(`laws: ${name}`, () => {
    for (const law of policyLaws(factory, { numRuns: 50 })) it(law.name, () => law.check());
  });
}
