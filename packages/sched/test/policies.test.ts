import fc from "fast-check";
import { describe, expect, it } from "vitest";
import {
  CfsPolicy,
  IllegalTransitionError,
  InvalidArgumentError,
  JsixMlfqPolicy,
  LotteryPolicy,
  MlfqPolicy,
  niceToWeight,
  O1Policy,
  PriorityPolicy,
  ReplayRandom,
  RoundRobinPolicy,
  type SchedPolicy,
  SjfPolicy,
  StridePolicy,
  type ThreadId,
  threadId,
  UnknownThreadError,
  Xorshift32,
} from "../src/index.js";

/** Pick, run `ticks` of size 1 until preempted (at most `max`), requeue; returns the picked thread. */
function runSlice(p: SchedPolicy, max = 1000): { tid: ThreadId; ran: number } {
  const t = p.pickNext()!;
  let ran = 0;
  let pre = false;
  while (!pre && ran < max) {
    pre = p.tick(t, 1);
    ran++;
  }
  p.enqueue(t, "preempted");
  return { tid: t, ran };
}

describe("options are validated", () => {
  const bad: Array<[string, () => unknown]> = [
    ["RR quantum 0", () => new RoundRobinPolicy({ quantum: 0 })],
    ["RR quantum −1", () => new RoundRobinPolicy({ quantum: -1 })],
    ["RR quantum NaN", () => new RoundRobinPolicy({ quantum: Number.NaN })],
    ["priority quantum 0", () => new PriorityPolicy({ quantum: 0 })],
    ["MLFQ 0 levels", () => new MlfqPolicy({ levels: 0 })],
    ["MLFQ quantum −5", () => new MlfqPolicy({ quantum: -5 })],
    ["MLFQ allotment below quantum", () => new MlfqPolicy({ quantum: 10, allotment: 5 })],
    ["MLFQ wrong quantum count", () => new MlfqPolicy({ levels: 3, quantum: [1, 2] })],
    ["MLFQ negative boost", () => new MlfqPolicy({ boostPeriod: -1 })],
    ["jsix base quantum 0", () => new JsixMlfqPolicy({ baseQuantum: 0 })],
    ["jsix initial level 8", () => new JsixMlfqPolicy({ initialLevel: 8 })],
    ["O(1) msCycles 0", () => new O1Policy({ msCycles: 0 })],
    ["lottery quantum 0", () => new LotteryPolicy({ quantum: 0 })],
    ["stride quantum 0", () => new StridePolicy({ quantum: 0 })],
    ["stride stride1 −1", () => new StridePolicy({ stride1: -1 })],
    ["CFS latency 0", () => new CfsPolicy({ targetLatency: 0 })],
    ["CFS min granularity −1", () => new CfsPolicy({ minGranularity: -1 })],
  ];
  for (const [name, f] of bad)
    it(`${name} → InvalidArgumentError`, () => expect(f).toThrow(InvalidArgumentError));

  it("weights, tickets and nice out of range are refused at admit and setParams, leaving the thread as it was", () => {
    const p = new CfsPolicy();
    expect(() => p.admit(threadId(1), { tickets: 0 })).toThrow(InvalidArgumentError);
    expect(p.isAdmitted(threadId(1))).toBe(false);
    p.admit(threadId(1), { nice: 3 });
    p.enqueue(threadId(1), "new");
    const v = p.vruntimeOf(threadId(1));
    expect(() => p.setParams(threadId(1), { nice: 20 })).toThrow(
      "cfs.setParams(tid=1): nice 20 is not an integer in -20..19",
    );
    expect(p.vruntimeOf(threadId(1))).toBe(v);
    expect(p.idealSlice(threadId(1))).toBe(24);
  });

  it("unknown threads are refused with UnknownThreadError", () => {
    const p = new RoundRobinPolicy();
    expect(() => p.enqueue(threadId(9), "new")).toThrow(UnknownThreadError);
    expect(() => p.setParams(threadId(9), {})).toThrow(UnknownThreadError);
    expect(() => p.retire(threadId(9))).toThrow(UnknownThreadError);
  });
});

describe("round robin", () => {
  it("preempts after exactly one quantum and restarts the slice at each pick", () => {
    const rr = new RoundRobinPolicy({ quantum: 3 });
    for (const t of [0, 1]) {
      rr.admit(threadId(t));
      rr.enqueue(threadId(t), "new");
    }
    expect(runSlice(rr)).toEqual({ tid: 0, ran: 3 });
    expect(runSlice(rr)).toEqual({ tid: 1, ran: 3 });
    expect(rr.pickNext()).toBe(0);
    rr.tick(threadId(0), 2);
    rr.descheduled(threadId(0));
    rr.enqueue(threadId(0), "wake");
    expect(runSlice(rr).tid).toBe(1);
    expect(runSlice(rr)).toEqual({ tid: 0, ran: 3 });
  });
});

describe("SJF", () => {
  it("sorts by remaining time, FIFO among equals", () => {
    const p = new SjfPolicy();
    [30, 10, 20, 10].forEach((len, t) => {
      p.admit(threadId(t), { expectedRuntime: len });
      p.enqueue(threadId(t), "new");
    });
    expect(p.readyThreads()).toEqual([1, 3, 2, 0]);
  });
});

describe("static priority", () => {
  it("runs the highest priority, preempts on a higher wakeup, round-robins equals", () => {
    const p = new PriorityPolicy({ quantum: 2 });
    p.admit(threadId(0), { priority: 10 });
    p.admit(threadId(1), { priority: 20 });
    p.admit(threadId(2), { priority: 20 });
    p.admit(threadId(3), { priority: 40 });
    for (const t of [0, 1, 2]) p.enqueue(threadId(t), "new");
    expect(p.pickNext()).toBe(1);
    expect(p.shouldPreempt(threadId(1), threadId(3))).toBe(true);
    expect(p.shouldPreempt(threadId(1), threadId(0))).toBe(false);
    expect(p.tick(threadId(1), 1)).toBe(false);
    expect(p.tick(threadId(1), 1)).toBe(true); // quantum over, 2 has the same priority
    p.enqueue(threadId(1), "preempted");
    expect(p.pickNext()).toBe(2);
    p.enqueue(threadId(3), "wake");
    expect(p.tick(threadId(2), 1)).toBe(true); // a higher priority is ready
  });

  it("keeps a lone top thread running past its quantum (no needless switch)", () => {
    const p = new PriorityPolicy({ quantum: 2 });
    p.admit(threadId(0), { priority: 50 });
    p.admit(threadId(1), { priority: 5 });
    p.enqueue(threadId(0), "new");
    p.enqueue(threadId(1), "new");
    p.pickNext();
    for (let i = 0; i < 10; i++) expect(p.tick(threadId(0), 1)).toBe(false);
  });
});

describe("stride", () => {
  it("gives exact proportions over every period Σ tickets (property)", () => {
    fc.assert(
      fc.property(
        fc.array(fc.integer({ min: 1, max: 16 }), { minLength: 1, maxLength: 6 }),
        fc.integer({ min: 1, max: 3 }),
        (tickets, periods) => {
          const s = new StridePolicy({ quantum: 1 });
          tickets.forEach((n, t) => {
            s.admit(threadId(t), { tickets: n });
            s.enqueue(threadId(t), "new");
          });
          // Why exactly: strides are integers (720720 = lcm(1..16)), so passes compare exactly. All
          // start at 0; thread i has a pass below STRIDE1 for exactly its first t_i quanta (0,
          // s_i, …, (t_i − 1)·s_i), and the least pass runs, so the first Σ t_i quanta are exactly
          // those; then every pass is STRIDE1 and the next period repeats it.
          const total = tickets.reduce((a, b) => a + b, 0);
          const counts = tickets.map(() => 0);
          for (let k = 0; k < total * periods; k++) {
            const { tid } = runSlice(s);
            counts[tid]!++;
            s.checkInvariants();
          }
          expect(counts).toEqual(tickets.map((n) => n * periods));
        },
      ),
      { numRuns: 100 },
    );
  });

  it("a thread that never competed joins at the global pass: its remain is 0", () => {
    const s = new StridePolicy({ quantum: 1 });
    for (const t of [0, 1]) s.admit(threadId(t), { tickets: 1 });
    s.enqueue(threadId(0), "new");
    for (let k = 0; k < 20; k++) runSlice(s);
    s.enqueue(threadId(1), "wake");
    expect(s.passOf(threadId(1))).toBe(s.passOf(threadId(0)));
  });
});

describe("stride: a sleeper keeps its remain (Waldspurger & Weihl's client_leave / client_join)", () => {
  it("worked numbers: A blocks half a stride ahead of the global pass and wakes that far ahead of it, however long it slept", () => {
    // STRIDE1 720720, quantum 10; A and B hold 1 ticket each (stride 720720, global stride
    // 720720 / 2 = 360360 per quantum while both compete).
    const s = new StridePolicy({ quantum: 10 });
    for (const t of [0, 1]) s.admit(threadId(t), { tickets: 1 });
    s.enqueue(threadId(0), "new");
    s.enqueue(threadId(1), "new");
    expect(s.pickNext()).toBe(0); // tie at pass 0 → lower id
    for (let c = 0; c < 10; c++) s.tick(threadId(0), 1);
    // A: pass 720720; global pass 10 cycles × 720720 / (10 × 2) = 360360; remain 360360.
    expect([s.passOf(threadId(0)), s.globalPass]).toEqual([720720, 360360]);
    s.descheduled(threadId(0)); // client_leave: remain = 720720 − 360360 = 360360
    expect(s.pickNext()).toBe(1);
    s.tick(threadId(1), 1); // B alone (1 ticket): global pass + 720720 / 10 = 432432
    expect(s.globalPass).toBe(432432);
    s.enqueue(threadId(0), "wake"); // client_join: 432432 + 360360
    // Not max(720720, 432432) = 720720: that would count the cycle A slept as a cycle it waited.
    expect(s.passOf(threadId(0))).toBe(792792);
    s.checkInvariants();
  });

  it("worked numbers: a sleeper's saved remain is scaled by a ticket change (client_modify), not the part of it the global pass has since covered", () => {
    const s = new StridePolicy({ quantum: 10 }); // as above: A and B, 1 ticket each
    for (const t of [0, 1]) s.admit(threadId(t), { tickets: 1 });
    s.enqueue(threadId(0), "new");
    s.enqueue(threadId(1), "new");
    expect(s.pickNext()).toBe(0);
    for (let c = 0; c < 10; c++) s.tick(threadId(0), 1); // A: pass 720720, global pass 360360
    s.descheduled(threadId(0)); // remain 360360
    expect(s.pickNext()).toBe(1);
    s.tick(threadId(1), 1); // global pass 432432
    s.setParams(threadId(0), { tickets: 2 }); // remain 360360 × 360360 / 720720 = 180180
    expect(s.migrateOut(threadId(0))).toBe(180180);
    s.enqueue(threadId(0), "wake"); // 432432 + 180180
    expect(s.passOf(threadId(0))).toBe(612612);
    s.checkInvariants();
  });

  it("two sleepers keep their ticket ratio while both compete: A (1 ticket) runs 2 cycles and sleeps 20, B (3 tickets) runs 5 and sleeps 5 → B gets 3 × A's CPU (lifting a waker to max(pass, global pass) gave A all of it)", () => {
    // Lifting forgives the remain of a thread that wakes after the global pass has passed its own:
    // A, which sleeps longest, then always wakes at the global pass, in front of B, and took
    // 364 of the 364 cycles in which both competed over 4,000 cycles (B: 0).
    const s = new StridePolicy({ quantum: 10 });
    const tickets = [1, 3];
    const burst = [2, 5];
    const sleep = [20, 5];
    tickets.forEach((n, i) => {
      s.admit(threadId(i), { tickets: n });
      s.enqueue(threadId(i), "new");
    });
    const wakeAt = [-1, -1]; // the cycle each wakes at; −1 while it competes
    let cur: ThreadId | null = null;
    let ran = 0;
    const both = [0, 0]; // CPU each got in the cycles during which both competed
    for (let now = 0; now < 4000; now++) {
      for (const i of [0, 1])
        if (wakeAt[i] === now) {
          s.enqueue(threadId(i), "wake");
          wakeAt[i] = -1;
        }
      if (cur === null) {
        cur = s.pickNext();
        ran = 0;
      }
      if (cur === null) continue; // both asleep
      if (wakeAt[0]! < 0 && wakeAt[1]! < 0) both[cur]! += 1;
      ran++;
      const preempted = s.tick(cur, 1);
      if (ran === burst[cur]) {
        s.descheduled(cur);
        wakeAt[cur] = now + 1 + sleep[cur]!;
        cur = null;
      } else if (preempted) {
        s.enqueue(cur, "preempted");
        cur = null;
      }
      s.checkInvariants();
    }
    // Measured with client_join / client_leave: A 87, B 255 (B − 3·A = −6, under one quantum).
    expect(both[0]! + both[1]!).toBeGreaterThan(300);
    expect(Math.abs(both[1]! - 3 * both[0]!), `A ${both[0]}, B ${both[1]}`).toBeLessThanOrEqual(10);
  });
});

describe("stride under law 4b's wakeups: the lemmas of the bound (test/laws.test.ts)", () => {
  it("every pass is non-decreasing across sleeps, Σ tickets × lead is 0 with the sleepers' remains, and a ready X waits at most (n − 1) + 5·Σ_{j≠X} tickets_j·(pass_X − V_j)⁺ / STRIDE1 picks (V_j: pass, or global pass + remain while asleep)", () => {
    const stride1 = 720720;
    fc.assert(
      fc.property(
        fc.array(fc.integer({ min: 1, max: 16 }), { minLength: 1, maxLength: 4 }),
        fc.array(fc.integer({ min: 1, max: 16 }), { minLength: 2, maxLength: 3 }),
        fc.array(fc.integer({ min: 1, max: 3 }), { minLength: 1, maxLength: 8 }),
        fc.array(fc.integer({ min: 0, max: 2 }), { minLength: 1, maxLength: 4 }),
        fc.array(fc.integer({ min: 1, max: 7 }), { minLength: 1, maxLength: 16 }),
        (longTickets, sleeperTickets, bursts, sleeps, tickSizes) => {
          const s = new StridePolicy({ quantum: 5, stride1 });
          const tickets = [...longTickets, ...sleeperTickets];
          const n = tickets.length;
          const nLong = longTickets.length;
          tickets.forEach((t, i) => {
            s.admit(threadId(i), { tickets: t });
            s.enqueue(threadId(i), "new");
          });
          const wakeAt = tickets.map(() => -1);
          const remain = tickets.map(() => 0);
          const left = tickets.map((_, i) => (i < nLong ? -1 : bursts[0]!));
          const nBursts = tickets.map(() => 0);
          /** Per ready thread: the pick its wait began at and its budget in picks, or null. */
          const wait: Array<{ from: number; budget: number } | null> = tickets.map(() => null);
          const lastV = tickets.map(() => 0);
          let step = 0;
          const V = (i: number): number =>
            wakeAt[i]! >= 0 ? s.globalPass + remain[i]! : s.passOf(threadId(i));
          /** Lemma 3's budget for `x`, which has just become ready (or been requeued). */
          const budget = (x: number): number => {
            let need = 0;
            for (let j = 0; j < n; j++) if (j !== x) need += tickets[j]! * Math.max(0, V(x) - V(j));
            return n - 1 + (5 * need) / stride1;
          };
          for (let pick = 0; pick < 800; pick++) {
            for (let i = 0; i < n; i++) {
              if (wakeAt[i] !== pick) continue;
              wakeAt[i] = -1;
              s.enqueue(threadId(i), "wake");
              // client_join: global pass + remain, so never below the pass it left with.
              if (Math.abs(s.passOf(threadId(i)) - (s.globalPass + remain[i]!)) > 1e-3)
                throw new Error(`thread ${i} joined at ${s.passOf(threadId(i))}, not G + remain`);
              wait[i] = { from: pick, budget: budget(i) };
            }
            const t = s.pickNext()!;
            const w = wait[t];
            if (w != null && pick - w.from > w.budget + 1e-9)
              throw new Error(`thread ${t} waited ${pick - w.from} picks, over its budget ${w.budget}`);
            wait[t] = null;
            // Lemma 1: every V is non-decreasing; Lemma 2: Σ tickets × (V − G) = 0.
            let sum = 0;
            for (let i = 0; i < n; i++) {
              const v = V(i);
              if (v < lastV[i]! - 1e-6) throw new Error(`thread ${i}: V went down, ${lastV[i]} → ${v}`);
              lastV[i] = v;
              sum += tickets[i]! * (v - s.globalPass);
            }
            if (Math.abs(sum) > 1e-9 * stride1 * (1 + s.globalPass / stride1) * n)
              throw new Error(`Σ tickets × lead = ${sum}, not 0`);
            if (left[t]! < 0) {
              let pre = false;
              for (let k = 0; k < 200 && !pre; k++) pre = s.tick(t, tickSizes[step++ % tickSizes.length]!);
              s.enqueue(t, pre ? "preempted" : "yielded");
              wait[t] = { from: pick + 1, budget: budget(t) };
              continue;
            }
            while (left[t]! > 0) {
              left[t]!--;
              // A burst of ≤ 3 cycles never ends a 5-cycle quantum.
              if (s.tick(t, 1)) throw new Error(`sleeper ${t} preempted mid-burst`);
            }
            s.descheduled(t);
            remain[t] = s.passOf(t) - s.globalPass;
            wakeAt[t] = pick + 1 + sleeps[nBursts[t]! % sleeps.length]!;
            nBursts[t]!++;
            left[t] = bursts[nBursts[t]! % bursts.length]!;
            // At most two sleepers are asleep at any pick: each was picked at one of the last two.
            if (wakeAt.filter((a) => a > pick + 1).length > 2)
              throw new Error("three sleepers asleep at once");
          }
        },
      ),
      { numRuns: 50 },
    );
  });
});

describe("stride: a ticket change scales the remaining stride (Waldspurger & Weihl's client_modify)", () => {
  it("worked numbers: A (4 tickets) has run one quantum beside B (2), drops to 2 tickets → pass 240240, not 180180", () => {
    const s = new StridePolicy({ quantum: 1 }); // STRIDE1 720720
    s.admit(threadId(0), { tickets: 4 }); // A: stride 180180
    s.admit(threadId(1), { tickets: 2 }); // B: stride 360360
    s.enqueue(threadId(0), "new");
    s.enqueue(threadId(1), "new");
    expect(runSlice(s).tid).toBe(0); // tie at pass 0 → lower id
    expect(s.passOf(threadId(0))).toBe(180180);
    expect(s.globalPass).toBe(120120); // one quantum at the global stride 720720 / (4 + 2)
    s.setParams(threadId(0), { tickets: 2 }); // remain 60060 × 360360/180180 = 120120
    expect(s.passOf(threadId(0))).toBe(240240);
    s.checkInvariants();
    // B (0) runs to 360360; A (240240) to 600600; B to 720720; A …
    expect([0, 1, 2, 3].map(() => runSlice(s).tid)).toEqual([1, 0, 1, 0]);
  });

  it("worked numbers: the running thread, half-way through a quantum, goes from 1 to 3 tickets", () => {
    const s = new StridePolicy({ quantum: 2, stride1: 600 });
    s.admit(threadId(0), { tickets: 1 }); // stride 600
    s.admit(threadId(1), { tickets: 1 });
    s.enqueue(threadId(0), "new");
    s.enqueue(threadId(1), "new");
    expect(s.pickNext()).toBe(0);
    s.tick(threadId(0), 1); // half a quantum: pass 300; global pass 600 / 2 tickets × ½ = 150
    expect([s.passOf(threadId(0)), s.globalPass]).toEqual([300, 150]);
    s.setParams(threadId(0), { tickets: 3 }); // stride 200: remain 150 × 200/600 = 50
    expect(s.passOf(threadId(0))).toBe(200);
    expect(s.tick(threadId(0), 1)).toBe(true); // the rest of the quantum at the new stride: +100
    expect([s.passOf(threadId(0)), s.globalPass]).toEqual([300, 225]); // 600 / 4 tickets × ½ = 75
  });

  it("a thread that never competed has remain 0 (nothing to scale: 0 × 7 = 0); it joins at the global pass", () => {
    const s = new StridePolicy({ quantum: 1 });
    for (const t of [0, 1]) s.admit(threadId(t), { tickets: 1 });
    s.enqueue(threadId(0), "new");
    for (let k = 0; k < 3; k++) runSlice(s);
    s.setParams(threadId(1), { tickets: 7 });
    expect(s.passOf(threadId(1))).toBe(0);
    s.enqueue(threadId(1), "wake");
    expect(s.passOf(threadId(1))).toBe(s.passOf(threadId(0)));
  });

  it("shares stay proportional across random ticket changes: no thread gets more than one stride ahead of the global pass, Σ tickets × (pass − global pass) stays 0, so none falls more than n − 1 strides behind, and over any window each ran ΔG/stride + (its lead after − its lead before) / stride quanta, within n of its share (property)", () => {
    const stride1 = 720720;
    fc.assert(
      fc.property(
        fc.array(fc.integer({ min: 1, max: 16 }), { minLength: 2, maxLength: 5 }),
        fc.array(
          fc.record({
            change: fc.option(fc.record({ k: fc.nat(), tickets: fc.integer({ min: 1, max: 16 }) }), {
              nil: null,
            }),
            during: fc.boolean(),
          }),
          { minLength: 1, maxLength: 60 },
        ),
        (initial, steps) => {
          const n = initial.length;
          const tickets = [...initial];
          const s = new StridePolicy({ quantum: 1, stride1 });
          tickets.forEach((t, i) => {
            s.admit(threadId(i), { tickets: t });
            s.enqueue(threadId(i), "new");
          });
          const passes = () => tickets.map((_, i) => s.passOf(threadId(i)));
          // Lead = pass − global pass. No lead exceeds one stride: the least pass runs, whose lead
          // is ≤ 0 (Σ tickets × lead = 0), a quantum adds one stride less ΔG > 0, and
          // client_modify turns lead ≤ old stride into lead ≤ new stride. Σ tickets × lead = 0:
          // a quantum adds tickets × stride = STRIDE1 to it and Σ tickets × ΔG = STRIDE1, and
          // client_modify keeps each tickets × lead. So
          // tickets_i × lead_i = −Σ_{j≠i} tickets_j × lead_j ≥ −(n − 1) × STRIDE1: a thread lags
          // at most n − 1 of its strides. (It can lag more than one: a thread of 6 tickets tied
          // with three of 1 waits while the lower ids run, and if it then drops to 1 ticket
          // client_modify scales what it is owed to 1⅓ quanta of 720720 — see the next test.)
          const balanced = () => {
            const g = s.globalPass;
            let lead = 0; // Σ tickets × (pass − global pass): client_modify keeps it
            passes().forEach((p, i) => {
              const stride = stride1 / tickets[i]!;
              expect(p - g).toBeLessThanOrEqual(stride + 1e-6);
              expect(p - g).toBeGreaterThanOrEqual(-(n - 1) * stride - 1e-6);
              lead += tickets[i]! * (p - g);
            });
            expect(Math.abs(lead)).toBeLessThan(1e-3);
          };
          const change = (c: { k: number; tickets: number } | null) => {
            if (c === null) return;
            const i = c.k % n;
            s.setParams(threadId(i), { tickets: c.tickets });
            tickets[i] = c.tickets;
          };
          for (const step of steps) {
            if (!step.during) change(step.change);
            const t = s.pickNext()!;
            if (step.during) change(step.change); // possibly the running thread's own tickets
            expect(s.tick(t, 1)).toBe(true);
            s.enqueue(t, "preempted");
            s.checkInvariants();
            balanced();
          }
          // A window of two periods after the last change: the global pass moves 2 × STRIDE1.
          // Each quantum moves a pass by one stride, so c × stride − ΔG is exactly the change in
          // the thread's lead, which the bounds above hold within (−n, n) strides.
          const total = tickets.reduce((a, b) => a + b, 0);
          const g0 = s.globalPass;
          const before = passes().map((p) => p - g0);
          const counts = tickets.map(() => 0);
          for (let q = 0; q < 2 * total; q++) counts[runSlice(s).tid]!++;
          const dG = s.globalPass - g0;
          expect(dG).toBeCloseTo(2 * stride1, 3);
          const after = passes().map((p) => p - s.globalPass);
          counts.forEach((c, i) => {
            const stride = stride1 / tickets[i]!;
            expect(c * stride - dG).toBeCloseTo(after[i]! - before[i]!, 3);
            expect(Math.abs(c * stride - dG)).toBeLessThanOrEqual(n * stride + 1e-6);
          });
        },
      ),
      { numRuns: 150 },
    );
  });

  it("a thread owed more than one stride keeps the debt through a ticket change and is repaid (the CI counterexample of 2026-11-21)", () => {
    // Tickets 1, 1, 1, 6, all at pass 0. Ties go to the lower id, so threads 0, 1, 2 run first
    // while the global pass moves 720720 / 9 per quantum. During thread 2's quantum thread 3,
    // still unrun, drops from 6 tickets to 1: it was owed 160160 of the global pass, 1⅓ of its
    // old stride 120120, and client_modify scales that to 1⅓ of its new stride 720720.
    const stride1 = 720720;
    const s = new StridePolicy({ quantum: 1, stride1 });
    [1, 1, 1, 6].forEach((t, i) => {
      s.admit(threadId(i), { tickets: t });
      s.enqueue(threadId(i), "new");
    });
    for (let q = 0; q < 2; q++) runSlice(s);
    const t = s.pickNext()!;
    expect(t).toBe(threadId(2));
    s.setParams(threadId(3), { tickets: 1 });
    expect(s.passOf(threadId(3)) - s.globalPass).toBe(-960960); // −160160 × 6
    expect(s.tick(t, 1)).toBe(true);
    s.enqueue(t, "preempted");
    // Now all have 1 ticket (stride 720720) and the global pass is 340340; the passes are
    // 720720, 720720, 720720 and −800800. Over the next two periods (8 quanta) thread 3 runs
    // 4 times (passes −800800, −80080, 640640, 1361360): its 2 fair quanta and the 1⅓ it was
    // owed, rounded up by where the window ends — more than the "± 1 quantum" an earlier version
    // of the property above claimed, and within its n = 4.
    const counts = [0, 0, 0, 0];
    for (let q = 0; q < 8; q++) counts[runSlice(s).tid]!++;
    expect(counts).toEqual([2, 1, 1, 4]);
    s.checkInvariants();
  });

  it("under a churn of short-lived threads the global pass keeps moving, so a long-lived thread runs again (the minimum pass would not)", () => {
    // The banner's example: L (1 ticket, stride 720720, quantum 5) and threads of 16 tickets that
    // arrive two at a time, run 1 cycle each and exit. L runs first (tie at 0 → lower id).
    const s = new StridePolicy({ quantum: 5 });
    s.admit(threadId(0), { tickets: 1 });
    s.enqueue(threadId(0), "new");
    let next = 1;
    let alive = 0;
    const arrive = () => {
      for (; alive < 2; alive++) {
        s.admit(threadId(next), { tickets: 16 });
        s.enqueue(threadId(next++), "new");
      }
    };
    arrive();
    expect(runSlice(s)).toEqual({ tid: 0, ran: 5 });
    expect([s.passOf(threadId(0)), s.globalPass]).toEqual([720720, 21840]); // 720720 / 33 tickets
    let gap = 0;
    for (let k = 1; k < 1000 && gap === 0; k++) {
      arrive();
      const t = s.pickNext()!;
      if (t === 0) {
        gap = k;
        break;
      }
      s.tick(t, 1);
      s.descheduled(t);
      s.retire(t);
      alive--;
      s.checkInvariants();
    }
    // (720720 − 21840) / (720720 / 33 / 5 = 4368) = 160 short runs until the global pass reaches
    // L's pass; newcomers then join behind it.
    expect(gap).toBeGreaterThanOrEqual(160);
    expect(gap).toBeLessThanOrEqual(163);
  });
});

describe("lottery", () => {
  it("converges to ticket proportions (3:1 within 3 % over 4000 draws)", () => {
    const l = new LotteryPolicy({ random: new Xorshift32(42), quantum: 1 });
    l.admit(threadId(0), { tickets: 75 });
    l.admit(threadId(1), { tickets: 25 });
    l.enqueue(threadId(0), "new");
    l.enqueue(threadId(1), "new");
    let a = 0;
    for (let k = 0; k < 4000; k++) if (runSlice(l).tid === 0) a++;
    // The draws are fixed (seed 42), so this cannot flake; the tolerance is what any seed should
    // meet: 4000 draws of p = 0.75 have σ = √(0.75 × 0.25 / 4000) = 0.68 points, so 3 is 4.4 σ.
    expect(Math.abs(a / 4000 - 0.75)).toBeLessThan(0.03);
  });
});

describe("CFS", () => {
  it("keeps every runnable thread's vruntime within (period + tick)·1024/min weight of the others (property)", () => {
    fc.assert(
      fc.property(
        fc.array(fc.integer({ min: -20, max: 19 }), { minLength: 1, maxLength: 8 }),
        fc.array(fc.integer({ min: 1, max: 4 }), { minLength: 1, maxLength: 8 }),
        fc.constantFrom<"rbtree" | "heap">("rbtree", "heap"),
        (nices, ticks, queue) => {
          const p = new CfsPolicy({ queue });
          nices.forEach((n, t) => {
            p.admit(threadId(t), { nice: n });
            p.enqueue(threadId(t), "new");
          });
          // Why it holds: a thread is picked as the least vruntime m (no yields here, so no skip
          // buddy) and runs until sliceExec ≥ its ideal slice period·w/W, overshooting by less than
          // one tick, so it leaves at < m + (period·w/W + maxTick)·1024/w ≤ m + bound; the least
          // vruntime never decreases (vruntimes only grow), and a newcomer starts at
          // 0 + period·1024/W ≤ bound. So every vruntime is in [m_now, m_now + bound].
          const maxTick = Math.max(...ticks);
          const bound = ((p.period(nices.length) + maxTick) * 1024) / Math.min(...nices.map(niceToWeight));
          let step = 0;
          for (let k = 0; k < 300; k++) {
            const t = p.pickNext()!;
            let pre = false;
            while (!pre) {
              pre = p.tick(t, ticks[step++ % ticks.length]!);
              const vs = nices.map((_, i) => p.vruntimeOf(threadId(i)));
              const spread = Math.max(...vs) - Math.min(...vs);
              if (spread > bound) throw new Error(`vruntime spread ${spread} exceeds ${bound}`);
              if (nices.length === 1) break;
            }
            p.enqueue(t, "preempted");
          }
          p.checkInvariants();
        },
      ),
      { numRuns: 60 },
    );
  });

  it("shares the CPU by weight: nice 0 against nice 5 gets 1024/(1024+335) = 75.35 %", () => {
    const p = new CfsPolicy();
    p.admit(threadId(0), { nice: 0 });
    p.admit(threadId(1), { nice: 5 });
    p.enqueue(threadId(0), "new");
    p.enqueue(threadId(1), "new");
    const ran = [0, 0];
    let total = 0;
    while (total < 20000) {
      const { tid, ran: r } = runSlice(p);
      ran[tid]! += r;
      total += r;
    }
    // Bound: thread i ran w_i·Δv_i/1024, so share_0 − 1024/1359 = 1024·335·(Δv_0 − Δv_1)/(1359·1024·T),
    // and |Δv_0 − Δv_1| ≤ the final spread ((24 + 1)·1024/335 = 76.4, see the property above) plus
    // the start difference (24 − 18.1): ≤ 335 × 82.4 / (1359 × 20000) = 0.1 points.
    expect(Math.abs(ran[0]! / total - 1024 / 1359)).toBeLessThan(0.005);
  });

  it("slices follow sched_slice: 4 nice-0 threads get 6 each, 10 threads stretch the period to 30", () => {
    const p = new CfsPolicy();
    for (let t = 0; t < 4; t++) {
      p.admit(threadId(t));
      p.enqueue(threadId(t), "new");
    }
    expect(p.idealSlice(threadId(0))).toBe(6);
    expect(p.period(10)).toBe(30);
  });

  it("yield makes the yielder the skip buddy until it is picked: passed over while the runner-up is within wakeup_gran of it (Linux v4.19 clear_buddies clears skip only when the yielder is picked or dequeued)", () => {
    const p = new CfsPolicy({ startDebit: false }); // wakeup_gran 4 at nice 0
    for (const t of [0, 1]) {
      p.admit(threadId(t));
      p.enqueue(threadId(t), "new"); // both at vruntime 0: thread 0 wins the tie
    }
    expect(p.pickNext()).toBe(0);
    p.enqueue(threadId(0), "yielded");
    expect(p.vruntimeOf(threadId(0))).toBe(p.vruntimeOf(threadId(1)));
    expect(p.pickNext()).toBe(1); // 0 is leftmost but yielded
    p.enqueue(threadId(1), "preempted");
    expect(p.pickNext()).toBe(1); // still skipped: 1 at 0 ≤ 0 + 4
    p.tick(threadId(1), 4);
    p.enqueue(threadId(1), "preempted");
    expect(p.pickNext()).toBe(1); // 1 at 4 ≤ 0 + 4: not too unfair yet
    p.tick(threadId(1), 1);
    p.enqueue(threadId(1), "preempted");
    expect(p.buddyHints.skip).toBe(0);
    expect(p.pickNext()).toBe(0); // 1 at 5 > 4: the yielder runs, and the skip is cleared
    expect(p.buddyHints.skip).toBe(-1);
    p.checkInvariants();
  });

  it("a woken sleeper is placed no earlier than min_vruntime − latency/2 and preempts the runner", () => {
    const p = new CfsPolicy();
    p.admit(threadId(0));
    p.admit(threadId(1));
    p.enqueue(threadId(0), "new");
    p.pickNext();
    for (let i = 0; i < 100; i++) p.tick(threadId(0), 1);
    p.enqueue(threadId(1), "wake");
    expect(p.vruntimeOf(threadId(1))).toBe(p.minVruntime - 12);
    expect(p.shouldPreempt(threadId(0), threadId(1))).toBe(true);
  });

  /** Thread 0 alone from vruntime 24 to 124, then picked afresh (slice used 0); min_vruntime 124. */
  function aloneTo124(): CfsPolicy {
    const p = new CfsPolicy();
    p.admit(threadId(0));
    p.enqueue(threadId(0), "new");
    p.pickNext();
    for (let i = 0; i < 100; i++) expect(p.tick(threadId(0), 1)).toBe(false); // nobody else: never preempted
    p.enqueue(threadId(0), "preempted");
    expect(p.pickNext()).toBe(0);
    expect([p.vruntimeOf(threadId(0)), p.minVruntime]).toEqual([124, 124]);
    return p;
  }

  it("check_preempt_tick: never before minGranularity; then when the lead over the leftmost exceeds the ideal slice", () => {
    const p = aloneTo124();
    p.admit(threadId(1));
    p.enqueue(threadId(1), "wake"); // 124 − 12 = 112; ideal slice of 0 is now 24 × 1024/2048 = 12
    expect(p.idealSlice(threadId(0))).toBe(12);
    // Leads of 13 and 14 exceed 12, but 1 and 2 cycles are below minGranularity (3).
    expect(p.tick(threadId(0), 1)).toBe(false);
    expect(p.tick(threadId(0), 1)).toBe(false);
    // 3 cycles: lead 15 > 12, preempted long before its ideal slice of 12 cycles is used.
    expect(p.tick(threadId(0), 1)).toBe(true);
  });

  it("check_preempt_tick: a thread that has used its ideal slice is preempted even without a lead", () => {
    const p = new CfsPolicy({ startDebit: false });
    for (const t of [0, 1]) {
      p.admit(threadId(t));
      p.enqueue(threadId(t), "new");
    }
    expect(p.pickNext()).toBe(0);
    const ticks = Array.from({ length: 12 }, () => p.tick(threadId(0), 1));
    expect(ticks.indexOf(true)).toBe(11); // the 12th cycle completes the slice of 12 (ticks are whole)
  });

  it("wakeup preemption: the woken thread must lead by more than wakeupGranularity in its own virtual time", () => {
    const p = aloneTo124();
    p.admit(threadId(1), { nice: 5 }); // weight 335: granularity 4 × 1024/335 ≈ 12.2
    p.admit(threadId(2), { nice: 0 }); // weight 1024: granularity 4
    p.enqueue(threadId(1), "wake");
    p.enqueue(threadId(2), "wake");
    expect([p.vruntimeOf(threadId(1)), p.vruntimeOf(threadId(2))]).toEqual([112, 112]);
    expect(p.shouldPreempt(threadId(0), threadId(1))).toBe(false); // behind by 12 < 12.2
    expect(p.shouldPreempt(threadId(0), threadId(2))).toBe(true); // behind by 12 > 4
  });

  /** A (vruntime 24) and B (12) both new and ready; B picked and run `cycles` one at a time. */
  function abRunning(cycles: number): CfsPolicy {
    const p = new CfsPolicy();
    for (const t of [0, 1]) p.admit(threadId(t));
    p.enqueue(threadId(0), "new"); // alone: one slice of 24 after min_vruntime 0 → 24
    p.enqueue(threadId(1), "new"); // two runnable: slice 12 → 12
    expect([p.vruntimeOf(threadId(0)), p.vruntimeOf(threadId(1))]).toEqual([24, 12]);
    expect(p.pickNext()).toBe(1);
    for (let i = 0; i < cycles; i++) p.tick(threadId(1), 1);
    return p;
  }

  it("places a new thread one virtual slice after min_vruntime (place_entity with START_DEBIT)", () => {
    const p = abRunning(10); // B at 22 is the floor: min(current 22, leftmost 24)
    expect(p.minVruntime).toBe(22);
    p.admit(threadId(2), { nice: 5 });
    p.enqueue(threadId(2), "new");
    // sched_vslice: period 24 × 335 / (2048 + 335) in real time, × 1024/335 in virtual time.
    expect(p.vruntimeOf(threadId(2))).toBeCloseTo(22 + (24 * 1024) / (2048 + 335), 9);
  });

  it("min_vruntime moves up to the leftmost when the current thread blocks (update_min_vruntime in dequeue_entity)", () => {
    const p = abRunning(10);
    p.descheduled(threadId(1)); // B sleeps at 22; only A (24) is runnable now
    expect(p.minVruntime).toBe(24);
    p.admit(threadId(2));
    p.enqueue(threadId(2), "new"); // placed against the true floor: 24 + slice 12
    expect(p.vruntimeOf(threadId(2))).toBe(36);
    p.enqueue(threadId(1), "wake"); // the sleeper keeps its own 22 (> 24 − 12)
    expect(p.vruntimeOf(threadId(1))).toBe(22);
    p.checkInvariants();
  });

  it("min_vruntime moves up when the leftmost ready thread is dequeued", () => {
    const p = abRunning(13); // B at 25 runs; A at 24 is the floor
    expect(p.minVruntime).toBe(24);
    p.dequeue(threadId(0));
    expect(p.minVruntime).toBe(25);
    p.checkInvariants();
  });

  it("min_vruntime never decreases and stays ≤ every runnable vruntime except sleepers' credit (property)", () => {
    fc.assert(
      fc.property(
        fc.array(
          fc.record({ op: fc.integer({ min: 0, max: 5 }), k: fc.nat(20), n: fc.integer({ min: 1, max: 9 }) }),
          { maxLength: 120 },
        ),
        (ops) => {
          const p = new CfsPolicy();
          const idle = new Set<number>();
          for (let t = 0; t < 5; t++) {
            p.admit(threadId(t), { nice: ((t * 7) % 11) - 5 });
            idle.add(t);
          }
          // Why it holds: update_min_vruntime only raises min_vruntime, to min(current, leftmost),
          // which is ≤ every runnable vruntime at that moment; a thread becomes runnable at ≥
          // min_vruntime (new: + START_DEBIT; migrated: min_vruntime) or ≥ min_vruntime −
          // latency/2 (wake), and a runnable vruntime only grows, so the floor is never passed.
          let last = p.minVruntime;
          for (const o of ops) {
            const cur = p.current;
            const ready = p.readyThreads();
            const idles = [...idle];
            if (o.op === 0 && idles.length > 0) {
              const t = idles[o.k % idles.length]!;
              p.enqueue(threadId(t), o.k % 2 === 0 ? "wake" : "new");
              idle.delete(t);
            } else if (o.op === 1 && cur === null) p.pickNext();
            else if (o.op === 2 && cur !== null) for (let i = 0; i < o.n; i++) p.tick(cur, 1);
            else if (o.op === 3 && cur !== null) p.enqueue(cur, o.k % 2 === 0 ? "preempted" : "yielded");
            else if (o.op === 4 && cur !== null) {
              p.descheduled(cur);
              idle.add(cur);
            } else if (o.op === 5 && ready.length > 0) {
              const t = ready[o.k % ready.length]!;
              p.dequeue(t);
              idle.add(t);
            }
            p.checkInvariants();
            if (p.minVruntime < last)
              throw new Error(`min_vruntime went back from ${last} to ${p.minVruntime}`);
            last = p.minVruntime;
            const runnable = [...p.readyThreads(), ...(p.current === null ? [] : [p.current])];
            for (const t of runnable) {
              if (p.vruntimeOf(t) < p.minVruntime - p.targetLatency / 2)
                throw new Error(
                  `tid=${t} at ${p.vruntimeOf(t)} is below min_vruntime ${p.minVruntime} − latency/2`,
                );
            }
          }
        },
      ),
      { numRuns: 100 },
    );
  });

  it("changing the nice value of a ready thread keeps its vruntime and place (reweight_entity; no skip buddy)", () => {
    const p = new CfsPolicy();
    for (const t of [0, 1]) p.admit(threadId(t));
    p.enqueue(threadId(0), "new"); // 24
    p.enqueue(threadId(1), "new"); // 12: leftmost
    p.setParams(threadId(1), { nice: 5 });
    expect(p.vruntimeOf(threadId(1))).toBe(12);
    expect(p.pickNext()).toBe(1);
    p.checkInvariants();
  });

  it("yield passes over the yielder only when the runner-up is within wakeup granularity of it (pick_next_entity)", () => {
    const p = new CfsPolicy({ startDebit: false });
    for (const t of [0, 1]) p.admit(threadId(t));
    p.enqueue(threadId(0), "new");
    expect(p.pickNext()).toBe(0);
    for (let i = 0; i < 20; i++) p.tick(threadId(0), 1); // alone: 0 runs to vruntime 20
    p.enqueue(threadId(1), "wake"); // sleeper credit: max(0, 20 − 12) = 8
    p.enqueue(threadId(0), "preempted");
    expect(p.pickNext()).toBe(1);
    p.enqueue(threadId(1), "yielded"); // 1 at 8 yields; 0 at 20 is 12 ahead, more than gran 4
    expect(p.pickNext()).toBe(1); // running 0 instead would be too unfair: 1 runs again
    p.checkInvariants();
  });
});

describe("jsix MLFQ", () => {
  it("quantum doubles per level; a full slice demotes, a partial one keeps the rest", () => {
    const j = new JsixMlfqPolicy({ baseQuantum: 5 });
    expect([0, 1, 2, 7].map((l) => j.quantum(l))).toEqual([5, 10, 20, 640]);
    j.admit(threadId(0));
    j.enqueue(threadId(0), "new");
    expect(j.levelOf(threadId(0))).toBe(1);
    j.pickNext();
    expect(j.tick(threadId(0), 4)).toBe(false);
    j.descheduled(threadId(0));
    j.enqueue(threadId(0), "wake");
    j.pickNext();
    expect(j.tick(threadId(0), 5)).toBe(false);
    expect(j.tick(threadId(0), 1)).toBe(true); // 4 + 5 + 1 = the level-1 slice of 10
    expect(j.levelOf(threadId(0))).toBe(2);
  });

  it("promotes a thread that has not run for staleAfter ticks, until it runs", () => {
    const j = new JsixMlfqPolicy({ baseQuantum: 5, promoteEvery: 10, staleAfter: 10 });
    for (const t of [0, 1, 2]) j.admit(threadId(t));
    j.enqueue(threadId(0), "new");
    // Sink thread 0 to level 3 by running full slices alone.
    for (let k = 0; k < 2; k++) runSlice(j);
    expect(j.levelOf(threadId(0))).toBe(3);
    j.enqueue(threadId(1), "new");
    j.enqueue(threadId(2), "new");
    const picked = new Set<number>();
    for (let k = 0; k < 60 && !picked.has(0); k++) {
      const t = j.pickNext()!;
      picked.add(t);
      j.tick(t, 1); // interactive: a short burst, then it yields (keeps its level)
      j.enqueue(t, "yielded");
    }
    expect(picked.has(0)).toBe(true);
    expect(j.promotionCount).toBeGreaterThanOrEqual(2);
  });
});

describe("O(1) active/expired arrays", () => {
  it("uses Linux 2.6 task_timeslice: nice 0 → 100, nice 19 → 5, nice −20 → 800", () => {
    const o = new O1Policy();
    expect([0, 19, -20, -1].map((n) => o.timeslice(n))).toEqual([100, 5, 800, 420]);
  });

  it("an expired thread waits in the expired array until the active one empties, then the arrays swap", () => {
    const o = new O1Policy({ msCycles: 0.1 }); // nice 0 → 10 cycles
    o.admit(threadId(0), { nice: 0 });
    o.admit(threadId(1), { nice: 10 }); // 5 cycles
    o.enqueue(threadId(0), "new");
    o.enqueue(threadId(1), "new");
    expect(runSlice(o)).toEqual({ tid: 0, ran: 10 }); // best priority first, then to expired
    expect(o.epochs).toBe(0);
    expect(runSlice(o)).toEqual({ tid: 1, ran: 5 });
    expect(runSlice(o).tid).toBe(0); // active empty: swap, a new epoch
    expect(o.epochs).toBe(1);
    o.checkInvariants();
  });

  it("a thread that blocks when its slice runs out wakes into the active array (activate_task), not the expired one", () => {
    const o = new O1Policy({ msCycles: 0.1 });
    o.admit(threadId(0), { nice: 0 }); // prio 120, 10 cycles
    o.admit(threadId(1), { nice: 10 }); // prio 130, 5 cycles
    o.enqueue(threadId(0), "new");
    o.enqueue(threadId(1), "new");
    expect(o.pickNext()).toBe(0);
    for (let i = 0; i < 9; i++) expect(o.tick(threadId(0), 1)).toBe(false);
    expect(o.tick(threadId(0), 1)).toBe(true); // slice over …
    o.descheduled(threadId(0)); // … and it blocks (its burst ended on the same tick)
    expect(o.pickNext()).toBe(1);
    o.enqueue(threadId(0), "wake");
    expect(o.tick(threadId(1), 1)).toBe(true); // 0 (prio 120) is in the active array: it preempts 1
    o.enqueue(threadId(1), "preempted");
    expect(o.pickNext()).toBe(0);
    expect(o.epochs).toBe(0);
    o.checkInvariants();
  });

  it("sched_yield moves a normal thread to the expired array (Linux 2.6 sys_sched_yield)", () => {
    const o = new O1Policy();
    for (const t of [0, 1, 2]) {
      o.admit(threadId(t));
      o.enqueue(threadId(t), "new");
    }
    const picks: number[] = [];
    const next = (reason: "yielded" | "preempted") => {
      const t = o.pickNext()!;
      picks.push(t);
      o.tick(t, 1);
      o.enqueue(t, reason);
    };
    next("yielded"); // 0 yields: it waits for the next epoch
    next("preempted");
    next("preempted");
    next("preempted");
    next("preempted");
    expect(picks).toEqual([0, 1, 2, 1, 2]);
    expect(o.epochs).toBe(0);
    o.checkInvariants();
  });
});

describe("O(1): newcomers and the starvation limit (EXPIRED_STARVING applied to arrivals)", () => {
  /**
   * One newcomer alive at a time: before each pick, if none is alive, admit thread 1000, 1001, …
   * with `newcomer` params; a newcomer runs one cycle and exits; the other threads are CPU-bound
   * and run whole slices. Returns the clock (cycles) at which each pick of `watch` happened.
   */
  function churn(o: O1Policy, cpuBound: number[], newcomer: { nice: number }, picks: number, watch: number) {
    for (const t of cpuBound) {
      o.admit(threadId(t));
      o.enqueue(threadId(t), "new");
    }
    let next = 1000;
    let alive = false;
    let clock = 0;
    const at: number[] = [];
    for (let k = 0; k < picks; k++) {
      if (!alive) {
        o.admit(threadId(next), newcomer);
        o.enqueue(threadId(next++), "new");
        alive = true;
      }
      const t = o.pickNext()!;
      if (t === watch) at.push(clock);
      if (t >= 1000) {
        o.tick(t, 1);
        clock += 1;
        o.descheduled(t);
        o.retire(t);
        alive = false;
      } else {
        let pre = false;
        while (!pre) {
          pre = o.tick(t, 1);
          clock += 1;
        }
        o.enqueue(t, "preempted");
      }
      o.checkInvariants();
    }
    return at;
  }

  it("better-priority newcomers hold a thread in the active array only until the epoch is STARVATION_LIMIT × nr_running old", () => {
    // msCycles 0.1: thread 0 (nice 0) has a 10-cycle slice; the limit is 1000 ms = 100 cycles per
    // runnable thread. Newcomers at nice −5 (prio 115) beat thread 0 (prio 120) in the active array.
    // With thread 0 ready and one newcomer, nr_running = 2: from cycle 200 on, newcomers wait in the
    // expired array, the active array drains to thread 0, which runs at cycle 200 and expires; the
    // arrays swap at 210, and the next such epoch lets it run at 210 + 200 = 410, and so on.
    // Before the rule, thread 0 never ran again: every newcomer brought a whole slice to the active array.
    const o = new O1Policy({ msCycles: 0.1 });
    const at = churn(o, [0], { nice: -5 }, 1000, 0);
    expect(at.slice(0, 4)).toEqual([200, 410, 620, 830]);
    expect(o.deferredArrivals).toBeGreaterThanOrEqual(3);
  });

  it("equal-priority newcomers cannot starve the expired array: threads 0 and 1 run again within the limit", () => {
    // Threads 0 and 1 spend their slices (cycles 0..20) and wait in the expired array while
    // 1-cycle newcomers keep the active array busy; with 2 ready + a newcomer, nr_running = 3.
    const o = new O1Policy({ msCycles: 0.1 });
    const at = churn(o, [0, 1], { nice: 0 }, 2000, 1);
    const gaps = at.slice(1).map((t, i) => t - at[i]!);
    expect(gaps.length).toBeGreaterThan(3);
    for (const g of gaps) expect(g).toBeLessThanOrEqual(300 + 2 * 10 + 1); // the limit, then one slice each
    expect(o.epochs).toBeGreaterThan(3);
  });

  it("a newcomer of worse static priority than a thread waiting in the expired array waits for the next epoch (EXPIRED_STARVING's second clause)", () => {
    const o = new O1Policy({ msCycles: 0.1 });
    o.admit(threadId(0)); // prio 120, 10 cycles
    o.admit(threadId(1));
    o.enqueue(threadId(0), "new");
    o.enqueue(threadId(1), "new");
    expect(runSlice(o).tid).toBe(0); // 0 expires: the expired array's best priority is 120
    o.admit(threadId(2), { nice: 5 }); // prio 125: worse than 120
    o.enqueue(threadId(2), "new");
    o.admit(threadId(3), { nice: -5 }); // prio 115: better, joins the active array
    o.enqueue(threadId(3), "new");
    expect(o.deferredArrivals).toBe(1);
    expect([runSlice(o).tid, runSlice(o).tid]).toEqual([3, 1]); // the active array: 3, then 1
    expect(o.epochs).toBe(0);
    // Swap: 3 (115, expired after its slice), 0 and 1 (120, in the order they expired), then 2 (125).
    expect([0, 1, 2, 3].map(() => runSlice(o).tid)).toEqual([3, 0, 1, 2]);
    expect(o.epochs).toBe(1);
    o.checkInvariants();
  });

  it("a thread that blocks as its slice is refilled wakes into the expired array while the run queue is starving", () => {
    // starvationLimit 1 ms = 0.1 cycle per runnable thread: after 10 cycles the epoch is "old".
    const o = new O1Policy({ msCycles: 0.1, starvationLimit: 1 });
    o.admit(threadId(0));
    o.admit(threadId(1), { nice: 10 });
    o.enqueue(threadId(0), "new");
    o.enqueue(threadId(1), "new");
    expect(o.pickNext()).toBe(0);
    for (let i = 0; i < 9; i++) o.tick(threadId(0), 1);
    expect(o.tick(threadId(0), 1)).toBe(true); // slice over, refilled …
    o.descheduled(threadId(0)); // … and it blocks on that tick
    expect(o.pickNext()).toBe(1);
    o.enqueue(threadId(0), "wake"); // a whole new slice while starving: expired array
    expect(o.deferredArrivals).toBe(1);
    expect(o.tick(threadId(1), 1)).toBe(false); // 0 is not in the active array: no preemption
    o.checkInvariants();
  });

  it("idle time is nobody's wait: after the CPU idled past the limit, a better-priority newcomer still joins the active array and runs before a woken thread", () => {
    // msCycles 0.1: limit 100 cycles per runnable thread. Thread 0 (nice 0) runs 5 of its 10
    // cycles and blocks; the CPU idles 500 cycles. Newcomer 1 (nice −10, static 110) arrives, then
    // 0 wakes with 5 cycles left (active array). Nobody waited during the idle cycles, so the
    // run queue is not starving: 1 joins the active array and runs first (Linux's clause needs an
    // expired task; counting the idle cycles as epoch age sent 1 to the expired array behind 0).
    // Priorities with the interactivity bonus: 0's 5000 ms sleep is capped at just interactive
    // (799 ms → bonus +2 → prio 118); 1 has no sleep yet (bonus −5 → prio 115), still better.
    // (With nice −5, prio 120, the woken thread would now rightly run first.)
    const o = new O1Policy({ msCycles: 0.1 });
    o.admit(threadId(0));
    o.enqueue(threadId(0), "new");
    expect(o.pickNext()).toBe(0);
    for (let c = 0; c < 5; c++) o.tick(threadId(0), 1);
    o.descheduled(threadId(0));
    expect(o.pickNext()).toBe(null);
    o.tick(null, 500);
    o.admit(threadId(1), { nice: -10 });
    o.enqueue(threadId(1), "new");
    o.enqueue(threadId(0), "wake");
    expect(o.deferredArrivals).toBe(0);
    expect([o.dynamicPrio(threadId(0)), o.dynamicPrio(threadId(1))]).toEqual([118, 115]);
    expect(o.pickNext()).toBe(1);
    o.checkInvariants();
  });

  it("a newcomer sent to the expired array does not preempt on wakeup either (Linux checks TASK_PREEMPTS_CURR only for a task put in the active array)", () => {
    // Thread 0 (nice −5, prio 115) spends its 50-cycle slice and waits in the expired array;
    // thread 1 (nice 5, prio 125) runs. Newcomer 2 (nice 0, prio 120) is worse than 115: the
    // second clause sends it to the expired array, so it must not take the CPU from thread 1
    // (which would only put 1 back in the active array and pick it again).
    const o = new O1Policy({ msCycles: 0.1 });
    o.admit(threadId(0), { nice: -5 });
    o.admit(threadId(1), { nice: 5 });
    o.enqueue(threadId(0), "new");
    o.enqueue(threadId(1), "new");
    expect(runSlice(o)).toEqual({ tid: 0, ran: 50 }); // (140 − 115) × 20 ms × 0.1
    expect(o.pickNext()).toBe(1);
    o.admit(threadId(2));
    o.enqueue(threadId(2), "new");
    expect(o.deferredArrivals).toBe(1);
    expect(o.shouldPreempt(threadId(1), threadId(2))).toBe(false);
    // The same newcomer while the run queue is not starving joins the active array and preempts.
    const p = new O1Policy({ msCycles: 0.1 });
    p.admit(threadId(1), { nice: 5 });
    p.enqueue(threadId(1), "new");
    expect(p.pickNext()).toBe(1);
    p.admit(threadId(2));
    p.enqueue(threadId(2), "new");
    expect(p.deferredArrivals).toBe(0);
    expect(p.shouldPreempt(threadId(1), threadId(2))).toBe(true);
  });

  it("a thread taken off the run queue before it ran on its slice keeps the slice but not a way past the starvation test: suspended and resumed, it cannot jump the expired array", () => {
    // Linux 2.6's activate_task leaves time_slice alone (recalc_task_prio changes only sleep_avg
    // and the dynamic priority), so a thread keeps its whole slice across the suspension. But a
    // slice it has not run on is still a fresh one: the test that sent it to the expired array
    // must hold when it comes back. Before, the first enqueue used the test up, and a resume put
    // the whole slice in the active array — a loop of block-on-refill, wake, suspend, resume ran
    // thread 1 slice after slice while thread 0 waited in the expired array forever.
    const o = new O1Policy({ msCycles: 0.1, starvationLimit: 1 }); // starving after 0.1 cycle per thread
    o.admit(threadId(0));
    o.admit(threadId(1));
    o.enqueue(threadId(0), "new");
    o.enqueue(threadId(1), "new");
    expect(runSlice(o)).toEqual({ tid: 0, ran: 10 }); // 0 spends its slice: expired array
    const ranBefore0: number[] = [];
    for (let round = 0; round < 5; round++) {
      const t = o.pickNext()!;
      ranBefore0.push(t);
      if (t === 0) break;
      for (let c = 0; c < 9; c++) expect(o.tick(t, 1)).toBe(false);
      expect(o.tick(t, 1)).toBe(true); // slice over and refilled …
      o.descheduled(t); // … and it blocks on that tick
      o.enqueue(t, "wake"); // a fresh slice while starving: expired array
      expect(o.readyThreads()).toEqual([0, 1]);
      o.dequeue(t); // suspended before it ran on the new slice …
      o.enqueue(t, "wake"); // … and resumed: still the slice it has not run on
      expect(o.readyThreads()).toEqual([0, 1]); // behind 0 in the expired array (was [1, 0]: active)
      o.checkInvariants();
    }
    expect(ranBefore0).toEqual([1, 0]); // the arrays swap and 0 runs (was 1 1 1 1 1)
    expect(o.deferredArrivals).toBe(2); // the wake and the resume were both tested
  });

  it("a newcomer sent to the expired array and suspended before it ran comes back to the expired array", () => {
    const o = new O1Policy({ msCycles: 0.1, starvationLimit: 1 });
    o.admit(threadId(0));
    o.enqueue(threadId(0), "new");
    expect(o.pickNext()).toBe(0);
    o.tick(threadId(0), 1); // the epoch is 1 cycle old: starving
    o.admit(threadId(1), { nice: -5 });
    o.enqueue(threadId(1), "new");
    expect(o.deferredArrivals).toBe(1);
    o.dequeue(threadId(1)); // suspended while ready, before it ever ran
    o.enqueue(threadId(1), "wake");
    expect(o.deferredArrivals).toBe(2);
    expect(o.shouldPreempt(threadId(0), threadId(1))).toBe(false); // not in the active array
    o.checkInvariants();
  });

  it("starvationLimit must be positive", () => {
    expect(() => new O1Policy({ starvationLimit: 0 })).toThrow(InvalidArgumentError);
  });
});

describe("protocol misuse", () => {
  it("pickNext with a current thread, ticking a non-current thread, descheduling a ready one: typed errors", () => {
    const p = new MlfqPolicy();
    for (const t of [0, 1]) {
      p.admit(threadId(t));
      p.enqueue(threadId(t), "new");
    }
    p.pickNext();
    expect(() => p.pickNext()).toThrow(IllegalTransitionError);
    expect(() => p.tick(threadId(1), 1)).toThrow(IllegalTransitionError);
    expect(() => p.tick(null, 1)).toThrow(IllegalTransitionError);
    expect(() => p.descheduled(threadId(1))).toThrow(IllegalTransitionError);
    expect(() => p.tick(threadId(0), 0)).toThrow(InvalidArgumentError);
    expect(p.current).toBe(0);
    expect(p.readyThreads()).toEqual([1]);
  });
});

describe("jsix MLFQ bonus", () => {
  it("a thread that blocks early gets quantum/16 more, never above its slice", () => {
    const j = new JsixMlfqPolicy({ baseQuantum: 32, initialLevel: 0 }); // level 0 slice 32, bonus 2
    j.admit(threadId(0));
    j.enqueue(threadId(0), "new");
    j.pickNext();
    expect(j.tick(threadId(0), 10)).toBe(false); // 22 left
    j.descheduled(threadId(0)); // + 2 → 24
    j.enqueue(threadId(0), "wake");
    j.pickNext();
    expect(j.tick(threadId(0), 23)).toBe(false);
    expect(j.tick(threadId(0), 1)).toBe(true);
  });
});

describe("CFS queue structures are interchangeable", () => {
  it("the red-black tree and the heap give the same picks for the same run (property)", () => {
    fc.assert(
      fc.property(
        fc.array(fc.integer({ min: -20, max: 19 }), { minLength: 1, maxLength: 10 }),
        fc.array(fc.integer({ min: 1, max: 9 }), { minLength: 1, maxLength: 10 }),
        (nices, ticks) => {
          const a = new CfsPolicy({ queue: "rbtree" });
          const b = new CfsPolicy({ queue: "heap" });
          for (const p of [a, b]) {
            nices.forEach((n, t) => {
              p.admit(threadId(t), { nice: n });
              p.enqueue(threadId(t), "new");
            });
          }
          let step = 0;
          for (let k = 0; k < 200; k++) {
            const ta = a.pickNext()!;
            expect(b.pickNext()).toBe(ta);
            const c = ticks[step++ % ticks.length]!;
            expect(b.tick(ta, c)).toBe(a.tick(ta, c));
            const why = k % 7 === 3 ? "yielded" : "preempted";
            a.enqueue(ta, why);
            b.enqueue(ta, why);
          }
        },
      ),
      { numRuns: 60 },
    );
  });
});

describe("lottery: the Fenwick tree finds the same winners as the list walk", () => {
  it("same picks for the same draws under random enqueues, dequeues and ticket changes (property)", () => {
    fc.assert(
      fc.property(
        fc.array(fc.integer({ min: 1, max: 500 }), { minLength: 1, maxLength: 30 }),
        fc.array(fc.tuple(fc.nat(3), fc.nat(100), fc.integer({ min: 1, max: 500 })), { maxLength: 150 }),
        fc.nat(),
        (tickets, ops, seed) => {
          const a = new LotteryPolicy({ random: new Xorshift32(seed), quantum: 1 });
          const b = new LotteryPolicy({ random: new Xorshift32(seed), quantum: 1, draw: "tree" });
          for (const p of [a, b]) {
            tickets.forEach((n, t) => {
              p.admit(threadId(t), { tickets: n });
              p.enqueue(threadId(t), "new");
            });
          }
          for (const [kind, k, n] of ops) {
            const ready = a.readyThreads();
            if (kind <= 1 && ready.length > 0) {
              const t = a.pickNext()!;
              expect(b.pickNext()).toBe(t);
              a.enqueue(t, "preempted");
              b.enqueue(t, "preempted");
            } else if (kind === 2 && ready.length > 1) {
              const t = ready[k % ready.length]!;
              a.dequeue(t);
              b.dequeue(t);
              a.enqueue(t, "wake");
              b.enqueue(t, "wake");
            } else {
              const t = threadId(k % tickets.length);
              a.setParams(t, { tickets: n });
              b.setParams(t, { tickets: n });
            }
            expect(b.readyThreads()).toEqual(a.readyThreads());
            expect(b.totalTickets).toBe(a.totalTickets);
            b.checkInvariants();
          }
        },
      ),
      { numRuns: 60 },
    );
  });

  it("OSTEP's draw of 300 over A 100, B 50, C 250 finds C in the tree too", () => {
    const l = new LotteryPolicy({ random: new ReplayRandom([300]), draw: "tree" });
    [100, 50, 250].forEach((n, t) => {
      l.admit(threadId(t), { tickets: n });
      l.enqueue(threadId(t), "new");
    });
    expect(l.pickNext()).toBe(2);
  });
});
