// The @example blocks of the TSDoc comments, executed (STYLE.md 18: docs that run). Keep each
// block here identical in substance to the comment it comes from.
import { describe, expect, it } from "vitest";
import {
  CfsPolicy,
  cpuId,
  creditSleep,
  effectivePrio,
  FifoPolicy,
  JsixMlfqPolicy,
  LotteryPolicy,
  MlfqPolicy,
  O1Policy,
  PriorityDonation,
  PriorityPolicy,
  ReplayRandom,
  RoundRobinPolicy,
  Scheduler,
  SjfPolicy,
  StcfPolicy,
  StridePolicy,
  simulate,
  type ThreadLifecycle,
  TimerQueue,
  threadId,
  transition,
  WaitQueue,
} from "../src/index.js";

describe("TSDoc examples", () => {
  it("transition", () => {
    const t: ThreadLifecycle = { tid: threadId(1), state: "running", blockReason: null };
    expect(transition(t, "blocked", { kind: "io", on: "disk0" })).toBe("running");
    expect(() => transition(t, "running")).toThrow();
  });
  it("FifoPolicy", () => {
    const p = new FifoPolicy();
    p.admit(threadId(1));
    p.enqueue(threadId(1), "new");
    expect(p.pickNext()).toBe(1);
  });
  it("RoundRobinPolicy", () => {
    const rr = new RoundRobinPolicy({ quantum: 2 });
    rr.admit(threadId(1));
    rr.enqueue(threadId(1), "new");
    rr.pickNext();
    expect(rr.tick(threadId(1), 1)).toBe(false);
    expect(rr.tick(threadId(1), 1)).toBe(true);
  });
  it("SjfPolicy and StcfPolicy", () => {
    const p = new SjfPolicy();
    p.admit(threadId(1), { expectedRuntime: 100 });
    p.enqueue(threadId(1), "new");
    p.admit(threadId(2), { expectedRuntime: 10 });
    p.enqueue(threadId(2), "new");
    expect(p.pickNext()).toBe(2);
    const s = new StcfPolicy();
    s.admit(threadId(1), { expectedRuntime: 100 });
    s.enqueue(threadId(1), "new");
    s.pickNext();
    s.admit(threadId(2), { expectedRuntime: 10 });
    s.enqueue(threadId(2), "new");
    expect(s.shouldPreempt(threadId(1), threadId(2))).toBe(true);
  });
  it("PriorityPolicy and PriorityDonation", () => {
    const p = new PriorityPolicy();
    p.admit(threadId(1), { priority: 10 });
    p.enqueue(threadId(1), "new");
    p.admit(threadId(2), { priority: 40 });
    p.enqueue(threadId(2), "new");
    expect(p.pickNext()).toBe(2);
    const pol = new PriorityPolicy();
    for (const [t, pri] of [
      [1, 10],
      [2, 50],
    ] as const)
      pol.admit(threadId(t), { priority: pri });
    const d = new PriorityDonation(pol);
    const lock = d.createLock();
    expect(d.acquire(threadId(1), lock)).toEqual({ kind: "acquired" });
    expect(d.acquire(threadId(2), lock)).toMatchObject({ kind: "blocked", holder: 1 });
    expect(pol.effectivePriority(threadId(1))).toBe(50);
    expect(d.release(threadId(1), lock)).toBe(2);
    expect(pol.effectivePriority(threadId(1))).toBe(10);
  });
  it("MlfqPolicy and JsixMlfqPolicy", () => {
    const m = new MlfqPolicy({ levels: 3, quantum: 10, boostPeriod: 100 });
    m.admit(threadId(1));
    m.enqueue(threadId(1), "new");
    m.pickNext();
    expect(m.tick(threadId(1), 10)).toBe(true);
    expect(m.levelOf(threadId(1))).toBe(1);
    const j = new JsixMlfqPolicy({ baseQuantum: 5 });
    j.admit(threadId(1));
    j.enqueue(threadId(1), "new");
    j.pickNext();
    expect(j.tick(threadId(1), 10)).toBe(true);
    expect(j.levelOf(threadId(1))).toBe(2);
  });
  it("O1Policy", () => {
    const o = new O1Policy();
    expect(o.timeslice(0)).toBe(100);
    expect(o.timeslice(-20)).toBe(800);
  });
  it("effectivePrio and creditSleep (O(1) interactivity)", () => {
    expect(effectivePrio(120, 800, 1000)).toBe(117);
    expect(creditSleep(0, 2000, 0, 1, 1000)).toBe(799);
  });
  it("LotteryPolicy and StridePolicy", () => {
    const l = new LotteryPolicy({ random: new ReplayRandom([300]) });
    for (const [t, n] of [
      [1, 100],
      [2, 50],
      [3, 250],
    ] as const) {
      l.admit(threadId(t), { tickets: n });
      l.enqueue(threadId(t), "new");
    }
    expect(l.pickNext()).toBe(3);
    const s = new StridePolicy({ quantum: 1 });
    s.admit(threadId(1), { tickets: 3 });
    s.enqueue(threadId(1), "new");
    s.admit(threadId(2), { tickets: 1 });
    s.enqueue(threadId(2), "new");
    const runs = [0, 0, 0];
    for (let k = 0; k < 4; k++) {
      const t = s.pickNext()!;
      runs[t]!++;
      s.tick(t, 1);
      s.enqueue(t, "preempted");
    }
    expect(runs).toEqual([0, 3, 1]);
  });
  it("CfsPolicy", () => {
    const cfs = new CfsPolicy();
    cfs.admit(threadId(1), { nice: 0 });
    cfs.enqueue(threadId(1), "new");
    cfs.admit(threadId(2), { nice: 5 });
    cfs.enqueue(threadId(2), "new");
    expect(cfs.idealSlice(threadId(1))).toBeCloseTo(18.08, 2);
  });
  it("Scheduler, WaitQueue, TimerQueue", () => {
    const s = new Scheduler({ cpus: 2, policy: () => new RoundRobinPolicy({ quantum: 2 }) });
    const a = s.spawn();
    s.start(a);
    expect(s.schedule(cpuId(0))).toBe(a);
    if (s.tick(cpuId(0), 2)) expect(s.schedule(cpuId(0))).toBe(a);
    const sched = new Scheduler({ policy: () => new RoundRobinPolicy() });
    const q = new WaitQueue(sched, "disk0");
    const t = sched.spawn();
    sched.start(t);
    sched.schedule(cpuId(0));
    q.wait(t);
    expect(q.wakeOne()).toEqual([t]);
    const tq = new TimerQueue();
    tq.arm(threadId(1), 50);
    tq.arm(threadId(2), 20);
    expect(tq.expire(30)).toEqual([2]);
  });
  it("simulate", () => {
    const r = simulate([{ length: 100 }, { length: 10 }, { length: 10 }], { policy: () => new FifoPolicy() });
    expect(r.average.turnaround).toBe(110);
  });
});
