import { Clock as HwClock } from "@osbricks/hw-x86";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import {
  allCpus,
  CfsPolicy,
  cpuId,
  EmptyAffinityError,
  IllegalTransitionError,
  InvalidArgumentError,
  JsixMlfqPolicy,
  ManualClock,
  MlfqPolicy,
  maskOf,
  RoundRobinPolicy,
  SchedError,
  type SchedEvent,
  Scheduler,
  StridePolicy,
  type ThreadId,
  type ThreadParams,
  threadId,
  UnknownThreadError,
  WaitQueue,
} from "../src/index.js";

const rr = () => new RoundRobinPolicy({ quantum: 2 });

function snapshot(s: Scheduler): string {
  return JSON.stringify({
    states: s.threadIds().map((t) => [t, s.stateOf(t), s.info(t).cpu, s.info(t).affinity, s.info(t).params]),
    cur: Array.from({ length: s.cpus }, (_, c) => s.current(cpuId(c))),
    ready: Array.from({ length: s.cpus }, (_, c) => s.policyOf(cpuId(c)).readyThreads()),
    stats: s.stats(),
    timers: s.timers.pending(),
    resched: Array.from({ length: s.cpus }, (_, c) => s.needsResched(cpuId(c))),
  });
}

/** Expect `f` to throw `E` and leave the scheduler exactly as it was. */
function refused(s: Scheduler, E: new (...a: never[]) => Error, f: () => unknown): void {
  const before = snapshot(s);
  expect(f).toThrow(E);
  expect(snapshot(s)).toBe(before);
  s.checkInvariants();
}

describe("Scheduler: bad input is refused with typed errors, state unchanged", () => {
  it("unknown thread", () => {
    const s = new Scheduler({ policy: rr });
    refused(s, UnknownThreadError, () => s.wake(threadId(42)));
    refused(s, UnknownThreadError, () => s.exit(threadId(42)));
  });

  it("illegal transitions: waking an exited thread, blocking a ready one, resuming a running one", () => {
    const s = new Scheduler({ policy: rr });
    const a = s.spawn();
    const b = s.spawn();
    s.start(a);
    s.start(b);
    s.schedule(cpuId(0));
    refused(s, IllegalTransitionError, () => s.block(b, { kind: "io", on: "disk" }));
    refused(s, IllegalTransitionError, () => s.resume(a));
    refused(s, IllegalTransitionError, () => s.start(a));
    s.exit(b);
    refused(s, IllegalTransitionError, () => s.wake(b));
    refused(s, IllegalTransitionError, () => s.exit(b));
    refused(s, IllegalTransitionError, () => s.sleepUntil(b, 10));
  });

  it("affinity with no CPU of the machine", () => {
    const s = new Scheduler({ cpus: 2, policy: rr });
    const a = s.spawn();
    expect(() => s.spawn({}, 0)).toThrow(EmptyAffinityError);
    expect(() => s.spawn({}, maskOf(5))).toThrow("spawn(tid=1): affinity mask 0x20 allows no CPU of 0..1");
    refused(s, EmptyAffinityError, () => s.setAffinity(a, maskOf(3)));
  });

  it("spawn refuses bad parameters itself: typed error naming spawn, the value and the range; no record, no tid used", () => {
    const s = new Scheduler({ cpus: 2, policy: () => new CfsPolicy() });
    const a = s.spawn({ nice: -3 });
    s.start(a);
    s.schedule(cpuId(0));
    const b = s.spawn({}, maskOf(1));
    const cases: Array<[Record<string, number>, string]> = [
      [{ nice: 99 }, "spawn(tid=2): nice 99 is not an integer in -20..19"],
      [{ nice: 1.5 }, "spawn(tid=2): nice 1.5 is not an integer in -20..19"],
      [{ priority: 64 }, "spawn(tid=2): priority 64 is not an integer in 0..63"],
      [{ tickets: 0 }, "spawn(tid=2): tickets 0 must be a positive integer"],
      [{ tickets: Number.NaN }, "spawn(tid=2): tickets NaN must be a positive integer"],
      [{ expectedRuntime: -1 }, "spawn(tid=2): expectedRuntime -1 must be ≥ 0"],
    ];
    for (const [params, message] of cases) {
      refused(s, InvalidArgumentError, () => s.spawn(params));
      expect(() => s.spawn(params)).toThrow(message);
    }
    // Parameters are checked before the mask, so a call bad in both names the parameters.
    refused(s, InvalidArgumentError, () => s.spawn({ nice: 20 }, 0));
    expect(s.threadIds()).toEqual([a, b]);
    expect(s.spawn({ nice: 19 })).toBe(2); // no tid was used by the refused calls
  });

  it("setParams checks a thread that has not started yet as spawn does (start would refuse it)", () => {
    const s = new Scheduler({ policy: () => new CfsPolicy() });
    const a = s.spawn({ nice: 4 });
    refused(s, InvalidArgumentError, () => s.setParams(a, { nice: -21 }));
    expect(() => s.setParams(a, { nice: -21 })).toThrow(
      "setParams(tid=0): nice -21 is not an integer in -20..19",
    );
    expect(s.info(a).params).toEqual({ nice: 4 });
    s.start(a);
    expect(s.stateOf(a)).toBe("ready");
  });

  it("a policy's own stricter rule is still checked at start, which leaves the thread new", () => {
    // A student policy that takes at most 1000 tickets: only the policy knows, so start refuses.
    class CappedStride extends StridePolicy {
      override admit(tid: ThreadId, params: Partial<ThreadParams> = {}): void {
        if ((params.tickets ?? 100) > 1000)
          throw new InvalidArgumentError(`capped.admit(tid=${tid}): tickets ${params.tickets} > 1000`);
        super.admit(tid, params);
      }
    }
    const s = new Scheduler({ policy: () => new CappedStride() });
    const a = s.spawn({ tickets: 5000 });
    refused(s, InvalidArgumentError, () => s.start(a));
    expect(s.stateOf(a)).toBe("new");
  });

  it("bad options and CPU numbers", () => {
    expect(() => new Scheduler({ cpus: 0, policy: rr })).toThrow(InvalidArgumentError);
    expect(() => new Scheduler({ cpus: 33, policy: rr })).toThrow(InvalidArgumentError);
    expect(() => new Scheduler({ policy: rr, balanceInterval: -1 })).toThrow(InvalidArgumentError);
    const s = new Scheduler({ policy: rr });
    refused(s, InvalidArgumentError, () => s.tick(cpuId(3), 1));
    refused(s, InvalidArgumentError, () => s.tick(cpuId(0), 0));
  });
});

describe("Scheduler: life cycle", () => {
  it("runs, preempts at the quantum, blocks, wakes and exits, emitting trace events", () => {
    const events: SchedEvent[] = [];
    const s = new Scheduler({ policy: rr, tracer: { emit: (e) => events.push(e) } });
    const a = s.spawn();
    const b = s.spawn();
    s.start(a);
    s.start(b);
    expect(s.schedule(cpuId(0))).toBe(a);
    expect(s.tick(cpuId(0), 1)).toBe(false);
    expect(s.tick(cpuId(0), 1)).toBe(true);
    expect(s.schedule(cpuId(0))).toBe(b);
    expect(s.stateOf(a)).toBe("ready");
    s.block(b, { kind: "io", on: "disk0" });
    expect(s.info(b).blockReason).toEqual({ kind: "io", on: "disk0" });
    expect(s.schedule(cpuId(0))).toBe(a);
    s.wake(b);
    s.exit(a);
    expect(s.schedule(cpuId(0))).toBe(b);
    s.checkInvariants();
    expect(events.filter((e) => e.type === "sched.switch").length).toBeGreaterThanOrEqual(4);
    expect(events).toContainEqual({ type: "sched.state", tid: b, from: "running", to: "blocked" });
  });

  it("forget drops an exited thread's record only (Linux's release_task); a live one is refused", () => {
    const s = new Scheduler({ policy: rr });
    const a = s.spawn();
    const b = s.spawn();
    s.start(a);
    s.start(b);
    expect(s.schedule(cpuId(0))).toBe(a);
    refused(s, IllegalTransitionError, () => s.forget(a)); // running
    refused(s, IllegalTransitionError, () => s.forget(b)); // ready
    s.exit(a);
    s.forget(a);
    expect(s.threadIds()).toEqual([b]);
    expect(() => s.stateOf(a)).toThrow(UnknownThreadError);
    refused(s, UnknownThreadError, () => s.forget(a)); // twice
    refused(s, UnknownThreadError, () => s.exit(a));
    expect(s.spawn()).not.toBe(a); // tids are not reused
    expect(s.schedule(cpuId(0))).toBe(b);
    s.checkInvariants();
  });

  it("sleep: timers wake sleepers in deadline order when the clock passes", () => {
    const clock = new ManualClock();
    const s = new Scheduler({ policy: rr, clock });
    const ts = [s.spawn(), s.spawn(), s.spawn()];
    for (const t of ts) s.start(t);
    const deadlines = [30, 10, 20];
    for (let i = 0; i < 3; i++) s.sleep(s.schedule(cpuId(0))!, deadlines[i]!);
    expect(ts.map((t) => s.stateOf(t))).toEqual(["blocked", "blocked", "blocked"]);
    clock.advance(15);
    expect(s.runTimers()).toEqual([ts[1]]);
    clock.advance(100);
    expect(s.runTimers()).toEqual([ts[2], ts[0]]);
    s.checkInvariants();
  });

  it("suspend and resume (Lunaix SIGSTOP/SIGCONT) take a thread off and back on its queue", () => {
    const s = new Scheduler({ policy: rr });
    const a = s.spawn();
    s.start(a);
    s.schedule(cpuId(0));
    s.suspend(a);
    expect(s.current(cpuId(0))).toBe(null);
    expect(s.schedule(cpuId(0))).toBe(null);
    s.resume(a);
    expect(s.schedule(cpuId(0))).toBe(a);
  });

  it("waking a sleeper early disarms its timer; waking a queued waiter unlinks it", () => {
    const s = new Scheduler({ policy: rr });
    const a = s.spawn();
    const b = s.spawn();
    s.start(a);
    s.start(b);
    s.schedule(cpuId(0));
    s.sleepUntil(a, 50);
    const q = new WaitQueue(s, "q");
    q.wait(s.schedule(cpuId(0))!);
    s.wake(a);
    s.wake(b);
    expect(s.timers.size).toBe(0);
    expect(q.size).toBe(0);
    s.checkInvariants();
  });

  it("killing a sleeper disarms its timer", () => {
    const s = new Scheduler({ policy: rr });
    const a = s.spawn();
    s.start(a);
    s.schedule(cpuId(0));
    s.sleepUntil(a, 50);
    s.exit(a);
    expect(s.timers.size).toBe(0);
  });
});

describe("Scheduler: several CPUs", () => {
  it("places new threads on the least loaded allowed CPU, lowest number on ties", () => {
    const s = new Scheduler({ cpus: 3, policy: rr });
    const cpus = [0, 1, 2, 3].map(() => s.start(s.spawn()));
    expect(cpus).toEqual([0, 1, 2, 0]);
    expect(s.start(s.spawn({}, maskOf(2)))).toBe(2);
  });

  it("an idle CPU steals from the busiest, and migrations are counted", () => {
    const s = new Scheduler({ cpus: 2, policy: rr, balanceInterval: 0 });
    const ts = [0, 1, 2, 3].map(() => s.spawn({}, maskOf(0)));
    for (const t of ts) s.start(t);
    for (const t of ts) s.setAffinity(t, allCpus(2));
    expect(s.load(cpuId(0))).toBe(4);
    s.schedule(cpuId(0));
    expect(s.schedule(cpuId(1))).toBe(ts[3]); // the thread CPU 0 would run last
    expect(s.stats().migrations).toBe(1);
    s.checkInvariants();
  });

  it("periodic balancing every balanceInterval ticks evens out the loads", () => {
    const s = new Scheduler({ cpus: 2, policy: rr, balanceInterval: 10, idleSteal: false });
    const ts = Array.from({ length: 6 }, () => s.spawn({}, maskOf(0)));
    for (const t of ts) s.start(t);
    for (const t of ts) s.setAffinity(t, allCpus(2));
    s.schedule(cpuId(0));
    for (let k = 0; k < 9; k++) s.tick(cpuId(1), 1);
    expect(s.load(cpuId(1))).toBe(0);
    s.tick(cpuId(1), 1); // the 10th tick of CPU 1 pulls
    expect(s.load(cpuId(0)) - s.load(cpuId(1))).toBeLessThanOrEqual(1);
    expect(s.stats().migrations).toBe(3);
    s.checkInvariants();
  });

  it("never steals a thread whose affinity excludes the thief", () => {
    const s = new Scheduler({ cpus: 2, policy: rr });
    const ts = [0, 1, 2].map(() => s.spawn({}, maskOf(0)));
    for (const t of ts) s.start(t);
    s.schedule(cpuId(0));
    expect(s.schedule(cpuId(1))).toBe(null);
    expect(s.stats().migrations).toBe(0);
  });

  it("an idle CPU passes over a busiest CPU whose ready threads are all pinned and steals from the next (Linux LBF_ALL_PINNED)", () => {
    const s = new Scheduler({ cpus: 3, policy: rr, balanceInterval: 0 });
    const pinned = [0, 1, 2, 3].map(() => s.spawn({}, maskOf(0)));
    for (const t of pinned) s.start(t); // CPU 0: load 4, nothing CPU 2 may run
    const free = [0, 1].map(() => s.spawn({}, maskOf(1)));
    for (const t of free) s.start(t);
    for (const t of free) s.setAffinity(t, allCpus(3)); // CPU 1: load 2, movable
    s.schedule(cpuId(0));
    s.schedule(cpuId(1));
    expect(s.schedule(cpuId(2))).toBe(free[1]);
    expect(s.stats().migrations).toBe(1);
    s.checkInvariants();
  });

  it("periodic balancing also passes over an all-pinned busiest CPU", () => {
    const s = new Scheduler({ cpus: 3, policy: rr, balanceInterval: 1, idleSteal: false });
    const pinned = [0, 1, 2, 3, 4].map(() => s.spawn({}, maskOf(0)));
    for (const t of pinned) s.start(t); // CPU 0: load 5, all pinned
    const free = [0, 1, 2].map(() => s.spawn({}, maskOf(1)));
    for (const t of free) s.start(t);
    for (const t of free) s.setAffinity(t, allCpus(3)); // CPU 1: load 3
    s.tick(cpuId(2), 1); // CPU 2 (load 0) balances: 3 − 0 ≥ 2, so it pulls from CPU 1
    expect(s.load(cpuId(2))).toBe(1);
    expect(s.load(cpuId(0))).toBe(5);
    s.checkInvariants();
  });

  it("a CFS thread keeps its lag across a migration: vruntime − min_vruntime is the same on the new CPU (Linux normalises by min_vruntime)", () => {
    const s = new Scheduler({ cpus: 2, policy: () => new CfsPolicy(), balanceInterval: 0, idleSteal: false });
    const cfs = (c: number) => s.policyOf(cpuId(c)) as CfsPolicy;
    // CPU 1 runs one thread far ahead, so its min_vruntime is large.
    const far = s.spawn({}, maskOf(1));
    s.start(far);
    s.schedule(cpuId(1));
    for (let i = 0; i < 500; i++) s.tick(cpuId(1), 1);
    // CPU 0: a runs 40 cycles alone, b waits (ahead of it by less than a slice).
    const a = s.spawn({}, maskOf(0));
    const b = s.spawn({}, maskOf(0));
    s.start(a);
    s.start(b);
    expect(s.schedule(cpuId(0))).toBe(b); // b started with the smaller debit
    s.tick(cpuId(0), 10); // b at 22, a at 24: within the wakeup granularity, so b's yield lets a run
    s.yield(b);
    expect(s.schedule(cpuId(0))).toBe(a);
    const lagOf = (t: ReturnType<typeof s.spawn>) =>
      cfs(s.info(t).cpu).vruntimeOf(t) - cfs(s.info(t).cpu).minVruntime;
    s.tick(cpuId(0), 1); // a at 25, b (ready) at 22 is the floor
    expect(lagOf(a)).toBe(3);
    s.setAffinity(a, maskOf(1)); // running a moves to CPU 1, 3 ahead of CPU 1's floor
    expect(s.info(a).cpu).toBe(1);
    expect(cfs(1).minVruntime).toBeGreaterThan(400);
    expect(lagOf(a)).toBe(3);
    s.setAffinity(b, maskOf(1)); // so does ready b, at the floor of CPU 0 (lag 0)
    expect(lagOf(b)).toBe(0);
    s.checkInvariants();
  });

  it("an MLFQ thread keeps its level when it changes CPU (rule 3 is for new jobs, not moved ones)", () => {
    for (const make of [
      () => new MlfqPolicy({ levels: 3, quantum: 2 }),
      () => new JsixMlfqPolicy({ baseQuantum: 1, initialLevel: 0 }),
    ]) {
      const s = new Scheduler({ cpus: 2, policy: make, balanceInterval: 0, idleSteal: false });
      const levelOf = (t: ReturnType<typeof s.spawn>) =>
        (s.policyOf(s.info(t).cpu) as MlfqPolicy | JsixMlfqPolicy).levelOf(t);
      const a = s.spawn({}, maskOf(0));
      s.start(a);
      s.schedule(cpuId(0));
      while (levelOf(a) < 2) if (s.tick(cpuId(0), 1)) s.schedule(cpuId(0)); // CPU-bound: sinks
      s.setAffinity(a, maskOf(1));
      expect(s.info(a).cpu).toBe(1);
      expect(levelOf(a)).toBe(2);
      s.checkInvariants();
    }
  });

  it("a stride thread moved to another CPU stays as far ahead of the global pass as it was", () => {
    const s = new Scheduler({ cpus: 2, policy: () => new StridePolicy({ quantum: 1 }), balanceInterval: 0 });
    const pass = (t: ReturnType<typeof s.spawn>) => (s.policyOf(s.info(t).cpu) as StridePolicy).passOf(t);
    const [a, b] = [s.spawn({ tickets: 1 }, maskOf(0)), s.spawn({ tickets: 4 }, maskOf(0))];
    s.start(a);
    s.start(b);
    expect(s.schedule(cpuId(0))).toBe(a); // tie at 0: lower id
    s.tick(cpuId(0), 1); // a: pass 720720 (one stride), b still at 0
    s.yield(a);
    const global = (cpu: number) => (s.policyOf(cpuId(cpu)) as StridePolicy).globalPass;
    expect([pass(a), pass(b), global(0)]).toEqual([720720, 0, 144144]); // 720720 / (1 + 4) tickets
    const ahead = pass(a) - global(0); // 576576
    const c = s.spawn({ tickets: 2 }, maskOf(1));
    s.start(c);
    s.schedule(cpuId(1));
    for (let i = 0; i < 3; i++) s.tick(cpuId(1), 1); // CPU 1's global pass: c's, 3 × 360360
    expect(global(1)).toBe(3 * 360360);
    s.setAffinity(a, maskOf(1));
    expect(pass(a) - global(1)).toBe(ahead);
    s.checkInvariants();
  });

  it("changing the affinity of a running thread moves it at once", () => {
    const s = new Scheduler({ cpus: 2, policy: rr });
    const a = s.spawn({}, maskOf(0));
    s.start(a);
    s.schedule(cpuId(0));
    s.setAffinity(a, maskOf(1));
    expect(s.current(cpuId(0))).toBe(null);
    expect(s.info(a).cpu).toBe(1);
    expect(s.schedule(cpuId(1))).toBe(a);
    expect(s.stats().migrations).toBe(1);
    s.checkInvariants();
  });
});

describe("Scheduler: random operations, legal or not (property)", () => {
  type Op = { op: string; k: number; cpu: number; mask: number };
  const ops = [
    "start",
    "schedule",
    "tick",
    "yield",
    "block",
    "wake",
    "suspend",
    "resume",
    "exit",
    "affinity",
    "sleep",
    "timers",
  ];
  const expectedAfter: Record<string, string> = {
    start: "ready",
    yield: "ready",
    block: "blocked",
    wake: "ready",
    suspend: "suspended",
    resume: "ready",
    exit: "exited",
    sleep: "blocked",
  };
  it("every call either does exactly its transition or throws a SchedError and changes nothing", () => {
    fc.assert(
      fc.property(
        fc.array(fc.record({ op: fc.constantFrom(...ops), k: fc.nat(50), cpu: fc.nat(2), mask: fc.nat(7) }), {
          maxLength: 80,
        }),
        fc.constantFrom(
          () => new RoundRobinPolicy({ quantum: 2 }),
          () => new CfsPolicy(),
        ),
        (seq: Op[], factory) => {
          const clock = new ManualClock();
          const s = new Scheduler({ cpus: 2, policy: factory, clock, balanceInterval: 4 });
          for (let i = 0; i < 6; i++) s.spawn({}, (i % 3) + 1);
          for (const o of seq) {
            const ids = s.threadIds();
            const t = ids[o.k % ids.length]!;
            const cpu = cpuId(o.cpu % 2);
            const before = snapshot(s);
            const stateBefore = s.stateOf(t);
            try {
              switch (o.op) {
                case "start":
                  s.start(t);
                  break;
                case "schedule":
                  s.schedule(cpu);
                  break;
                case "tick":
                  if (s.tick(cpu, 1)) s.schedule(cpu);
                  break;
                case "yield":
                  s.yield(t);
                  break;
                case "block":
                  s.block(t, { kind: "other", on: "test" });
                  break;
                case "wake":
                  s.wake(t);
                  break;
                case "suspend":
                  s.suspend(t);
                  break;
                case "resume":
                  s.resume(t);
                  break;
                case "exit":
                  s.exit(t);
                  break;
                case "affinity":
                  s.setAffinity(t, o.mask);
                  break;
                case "sleep":
                  s.sleepUntil(t, clock.now() + 1 + (o.k % 5));
                  break;
                default:
                  clock.advance(1);
                  s.runTimers();
              }
              const want = expectedAfter[o.op];
              if (want !== undefined) expect(s.stateOf(t)).toBe(want);
            } catch (e) {
              expect(e).toBeInstanceOf(SchedError);
              expect(snapshot(s)).toBe(before);
              expect(s.stateOf(t)).toBe(stateBefore);
            }
            s.checkInvariants();
          }
        },
      ),
      { numRuns: 80 },
    );
  });
});

describe("Scheduler on the machine's clock (@osbricks/hw-x86)", () => {
  it("sleep timers run on the hw-x86 cycle counter through a one-line adapter", () => {
    const machine = new HwClock();
    const s = new Scheduler({ policy: rr, clock: { now: () => machine.now } });
    const a = s.spawn();
    s.start(a);
    s.schedule(cpuId(0));
    s.sleep(a, 500);
    machine.schedule(500, () => s.runTimers()); // the kernel's timer interrupt for that deadline
    machine.advance(499);
    expect(s.stateOf(a)).toBe("blocked");
    machine.advance(1);
    expect(s.stateOf(a)).toBe("ready");
  });
});
