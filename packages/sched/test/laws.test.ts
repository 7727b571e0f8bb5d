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
import { type LawOptions, policyLaws } from "../src/laws/index.js";

const policies: Array<[string, PolicyFactory, LawOptions["shares"]?]> = [
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
  ["lottery", (cpu) => new LotteryPolicy({ random: new Xorshift32(0x1234 + cpu), quantum: 5 }), "tickets"],
  [
    "lottery (tree)",
    (cpu) => new LotteryPolicy({ random: new Xorshift32(0x99 + cpu), quantum: 5, draw: "tree" }),
    "tickets",
  ],
  ["stride", () => new StridePolicy({ quantum: 5 }), "tickets"],
  ["cfs (rbtree)", () => new CfsPolicy(), "nice"],
  ["cfs (heap)", () => new CfsPolicy({ queue: "heap" }), "nice"],
];

for (const [name, factory, shares] of policies) {
  describe(`laws: ${name}`, () => {
    const options: LawOptions = shares === undefined ? { numRuns: 50 } : { numRuns: 50, shares };
    for (const law of policyLaws(factory, options)) it(law.name, () => law.check());
  });
}
