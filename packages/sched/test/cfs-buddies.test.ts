/**
 * CFS's buddies as Linux v4.19 (2.6.39–6.5) has them: `check_preempt_wakeup` marks a preempting
 * wakee as the next buddy and, with nr_running ≥ sched_nr_latency and LAST_BUDDY, the preempted
 * thread as the last buddy; `pick_next_entity` takes skip's runner-up, then last, then next over
 * the leftmost, each only while within wakeup_gran (in the leftmost's virtual time) of it.
 *
 * Vruntimes are set with `migrateIn` (vruntime = min_vruntime + lag), so every number below is
 * exact. Defaults: latency 24, min granularity 3 (sched_nr_latency 8), wakeup granularity 4;
 * wakeup_gran is 4 × 1024 / weight: 4 at nice 0, 4 × 1024 / 335 ≈ 12.23 at nice 5.
 */
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { type CfsOptions, CfsPolicy, niceToWeight, type ThreadId, threadId } from "../src/index.js";

const [C, L, W] = [threadId(0), threadId(1), threadId(2)];

/** Admit `tid` and queue it at vruntime min_vruntime + `lag` (reason "migrated", or "wake"). */
function arrive(
  p: CfsPolicy,
  tid: ThreadId,
  lag: number,
  nice = 0,
  reason: "migrated" | "wake" = "migrated",
) {
  p.admit(tid, { nice });
  p.migrateIn(tid, lag);
  p.enqueue(tid, reason);
}

/** C (nice 0) runs at vruntime 10; min_vruntime is 10. */
function running(options: CfsOptions = {}): CfsPolicy {
  const p = new CfsPolicy(options);
  arrive(p, C, 10);
  expect(p.pickNext()).toBe(C);
  expect(p.minVruntime).toBe(10);
  return p;
}

describe("CFS next buddy: the wakee that preempts is picked over the leftmost while within wakeup_gran of it", () => {
  it("L (nice 5) at 2 does not preempt C at 10 (8 ≤ 12.23); W at 5 does (5 > 4) and runs before L: 5 ≤ 2 + 12.23", () => {
    const p = running();
    arrive(p, L, -8, 5);
    expect(p.shouldPreempt(C, L)).toBe(false);
    expect(p.buddyHints).toEqual({ skip: -1, next: -1, last: -1 });
    arrive(p, W, -5, 0, "wake");
    expect(p.vruntimeOf(W)).toBe(5); // max(5, min_vruntime − latency/2 = −2)
    expect(p.shouldPreempt(C, W)).toBe(true);
    expect(p.buddyHints).toEqual({ skip: -1, next: W, last: -1 }); // 3 runnable < 8: no last buddy
    p.enqueue(C, "preempted");
    expect(p.readyThreads()[0]).toBe(L); // the leftmost
    expect(p.pickNext()).toBe(W);
    expect(p.buddyHints.next).toBe(-1); // cleared: it was picked
    p.checkInvariants();
  });

  it("without buddies the same wakeup preempts but the leftmost runs", () => {
    const p = running({ buddies: false });
    arrive(p, L, -8, 5);
    arrive(p, W, -5, 0, "wake");
    expect(p.shouldPreempt(C, W)).toBe(true);
    p.enqueue(C, "preempted");
    expect(p.pickNext()).toBe(L);
  });

  it("a wakeup while a reschedule is pending marks nothing (test_tsk_need_resched), and a next buddy beyond wakeup_gran of the leftmost waits, still marked", () => {
    const p = running();
    arrive(p, W, -5, 0, "wake"); // next = W, reschedule pending
    arrive(p, L, -20, 0, "wake"); // placed at min_vruntime − 12 = −2: preempts too, but too late
    expect(p.vruntimeOf(L)).toBe(-2);
    expect(p.buddyHints.next).toBe(W);
    p.enqueue(C, "preempted");
    expect(p.pickNext()).toBe(L); // W at 5 > −2 + 4
    expect(p.buddyHints.next).toBe(W); // clear_buddies clears only the buddies naming the pick
    p.checkInvariants();
  });

  it("NEXT_BUDDY (option nextBuddy) marks a woken thread that does not preempt once nr_running ≥ sched_nr_latency; a new thread (WF_FORK) never", () => {
    const p = running({ nextBuddy: true });
    for (let t = 3; t < 9; t++) arrive(p, threadId(t), t - 6); // vruntimes 7..12: none preempts C (10 − 7 ≤ 4)
    expect(p.buddyHints.next).toBe(-1); // 2..7 runnable when each came: below sched_nr_latency
    arrive(p, W, -2, 0, "wake"); // 10 − 8 = 2 ≤ 4: no preemption; 8 runnable
    expect(p.shouldPreempt(C, W)).toBe(false);
    expect(p.buddyHints.next).toBe(W);
    const q = running({ nextBuddy: true });
    for (let t = 3; t < 9; t++) arrive(q, threadId(t), t - 6);
    q.admit(W);
    q.enqueue(W, "new"); // START_DEBIT: min_vruntime + one slice, no preemption, no mark
    expect(q.buddyHints.next).toBe(-1);
  });
});

describe("CFS last buddy: with ≥ sched_nr_latency runnable the preempted thread gets the CPU back after the wakee", () => {
  /** C at 10 with R1..R6 ready at 7..12 (`extra` of them), then W wakes at 5 and preempts. */
  function preempted(extra: number, options: CfsOptions = {}): CfsPolicy {
    const p = running(options);
    for (let i = 0; i < extra; i++) arrive(p, threadId(3 + i), i - 3);
    arrive(p, W, -5, 0, "wake");
    p.enqueue(C, "preempted");
    expect(p.pickNext()).toBe(W);
    p.tick(W, 3); // W at 8
    p.descheduled(W); // blocks
    return p;
  }

  it("8 runnable: C (10) is picked over the leftmost R1 (7), within 7 + 4", () => {
    const p = preempted(6);
    expect(p.buddyHints).toEqual({ skip: -1, next: -1, last: C });
    expect(p.readyThreads()[0]).toBe(threadId(3));
    expect(p.pickNext()).toBe(C);
    expect(p.buddyHints.last).toBe(-1);
    p.checkInvariants();
  });

  it("7 runnable is below sched_nr_latency: no last buddy, the leftmost runs", () => {
    const p = preempted(5);
    expect(p.buddyHints.last).toBe(-1);
    expect(p.pickNext()).toBe(threadId(3));
  });

  it("LAST_BUDDY off (option lastBuddy: false): the leftmost runs", () => {
    const p = preempted(6, { lastBuddy: false });
    expect(p.pickNext()).toBe(threadId(3));
  });

  it("buddies beyond wakeup_gran of the leftmost wait, still marked: L wakes at −2 while the reschedule is pending; W (5) and C (10) are beyond −2 + 4", () => {
    const p = running();
    for (let i = 0; i < 6; i++) arrive(p, threadId(3 + i), i - 3); // 7..12: none preempts C
    arrive(p, W, -5, 0, "wake"); // 5: next W, last C
    arrive(p, L, -20, 0, "wake"); // min_vruntime − 12 = −2: would preempt, but one is pending
    expect(p.buddyHints).toEqual({ skip: -1, next: W, last: C });
    p.enqueue(C, "preempted");
    expect(p.pickNext()).toBe(L);
    expect(p.buddyHints).toEqual({ skip: -1, next: W, last: C });
    p.tick(L, 3); // L at 1: W at 5 is within 1 + 4 now
    p.enqueue(L, "preempted");
    expect(p.pickNext()).toBe(W); // next overrides last (C at 10 is beyond 5 anyway)
    p.checkInvariants();
  });

  it("the slice running out clears the current thread's buddies (check_preempt_tick), a yield clears them too", () => {
    const p = preempted(6);
    expect(p.pickNext()).toBe(C); // the last buddy, now cleared by the pick
    const q = running();
    for (let i = 0; i < 6; i++) arrive(q, threadId(3 + i), i - 3);
    arrive(q, W, -5, 0, "wake");
    expect(q.buddyHints).toEqual({ skip: -1, next: W, last: C });
    let preempt = false;
    for (let i = 0; i < 10 && !preempt; i++) preempt = q.tick(C, 1); // its slice, 24 × 1024 / 8192 = 3
    expect(preempt).toBe(true);
    expect(q.buddyHints.last).toBe(-1);
    q.enqueue(C, "yielded");
    expect(q.buddyHints).toEqual({ skip: C, next: W, last: -1 });
    q.checkInvariants();
  });

  it("a buddy that leaves the run queue is forgotten (dequeue_entity)", () => {
    const p = running();
    for (let i = 0; i < 6; i++) arrive(p, threadId(3 + i), i - 3);
    arrive(p, W, -5, 0, "wake");
    p.dequeue(W);
    p.descheduled(C);
    expect(p.buddyHints).toEqual({ skip: -1, next: -1, last: -1 });
    p.checkInvariants();
  });
});

describe("CFS buddies: review fixes against Linux v4.19 (each failed before its fix)", () => {
  it("a nice change forgets the buddies naming the thread: set_user_nice dequeues and requeues it, and dequeue_entity runs clear_buddies", () => {
    const p = running();
    for (let i = 0; i < 6; i++) arrive(p, threadId(3 + i), i - 3); // 7..12: none preempts C
    arrive(p, W, -5, 0, "wake"); // 5: next W, last C (8 runnable)
    expect(p.buddyHints).toEqual({ skip: -1, next: W, last: C });
    p.setParams(W, { nice: 0 }); // unchanged nice: set_user_nice returns early, nothing cleared
    expect(p.buddyHints).toEqual({ skip: -1, next: W, last: C });
    p.setParams(W, { nice: 1 });
    expect(p.buddyHints).toEqual({ skip: -1, next: -1, last: C });
    p.setParams(C, { nice: -1 }); // the running thread is queued too (on_rq): dequeued, cleared
    expect(p.buddyHints).toEqual({ skip: -1, next: -1, last: -1 });
    expect(p.vruntimeOf(W)).toBe(5); // DEQUEUE_SAVE / ENQUEUE_RESTORE keep the vruntime
    p.enqueue(C, "preempted");
    expect(p.pickNext()).toBe(W); // now the leftmost by right, not as a buddy
    p.checkInvariants();
  });

  it("a yield with no other runnable thread sets no skip buddy (yield_task_fair returns at rq->nr_running == 1), so a thread that wakes before the pick cannot pass the yielder as skip's runner-up", () => {
    const p = running(); // C at 10, alone
    p.enqueue(C, "yielded");
    expect(p.buddyHints.skip).toBe(-1);
    arrive(p, W, 2, 0, "wake"); // W at 12 ≤ 10 + 4: would be skip's runner-up
    expect(p.pickNext()).toBe(C); // the leftmost
    const q = running();
    arrive(q, W, 2, 0, "wake"); // 2 runnable: the yield marks C
    q.enqueue(C, "yielded");
    expect(q.buddyHints.skip).toBe(C);
    expect(q.pickNext()).toBe(W);
    q.checkInvariants();
  });
});

describe("CFS skip buddy: Linux's yield is only a hint, and it can be passed over without bound", () => {
  it("a stream of newcomers within wakeup_gran of a skipped yielder: each lands at min_vruntime + vslice = 13 + 24/6 = 17 ≤ 13 + 4, so the yielder (and every thread above it) waits as long as the stream lasts", () => {
    // Two long-lived nice-0 threads run one 1-cycle tick a turn and yield; four nice-0 newcomers
    // of one cycle each are kept alive, admitted before every pick (as law 4 does, but law 4's
    // long-lived threads never yield under contention). Linux v4.19 behaves the same: the skip
    // buddy lasts until the yielder is picked, min_vruntime stays at the yielder's vruntime
    // (it is the leftmost), and place_entity puts every fork at min_vruntime + sched_vslice.
    const p = new CfsPolicy();
    for (const t of [0, 1]) {
      p.admit(threadId(t));
      p.enqueue(threadId(t), "new"); // START_DEBIT: 0 at 24 (alone), 1 at 12
    }
    let next = 2;
    const alive = new Set<number>();
    const picks: number[] = [];
    for (let pick = 0; pick < 400; pick++) {
      for (; alive.size < 4; next++) {
        alive.add(next);
        p.admit(threadId(next));
        p.enqueue(threadId(next), "new");
      }
      const t = p.pickNext()!;
      picks.push(t);
      const more = p.tick(t, 1);
      if (t < 2) p.enqueue(t, more ? "preempted" : "yielded");
      else {
        p.descheduled(t);
        p.retire(t);
        alive.delete(t);
      }
    }
    // Newcomers first land below 1's 12 (at 24/k for k runnable), then 1 runs once and yields at 13.
    expect(picks.slice(0, 8)).toEqual([5, 4, 3, 2, 6, 7, 1, 8]);
    expect(p.buddyHints.skip).toBe(1);
    expect(p.vruntimeOf(threadId(1))).toBe(13);
    expect(p.minVruntime).toBe(13);
    expect(p.vruntimeOf(threadId(next - 1))).toBe(17); // 13 + 24 × 1024 / (6 × 1024)
    expect(picks.slice(7).every((t) => t >= 2)).toBe(true); // 393 picks, newcomers only
    expect(p.vruntimeOf(threadId(0))).toBe(24); // never picked at all: it sits above the yielder
    p.checkInvariants();
  });
});

describe("CFS buddies, property: a pick never takes a thread more than wakeup_gran (in the leftmost's virtual time) beyond the leftmost", () => {
  type Op =
    | { op: "tick"; cycles: number }
    | { op: "schedule" }
    | { op: "block" }
    | { op: "yield" }
    | { op: "wake"; t: number }
    | { op: "dequeue"; t: number }
    | { op: "nice"; t: number; nice: number };
  const op: fc.Arbitrary<Op> = fc.oneof(
    fc.record({ op: fc.constant("tick" as const), cycles: fc.integer({ min: 1, max: 8 }) }),
    fc.record({ op: fc.constant("schedule" as const) }),
    fc.record({ op: fc.constant("block" as const) }),
    fc.record({ op: fc.constant("yield" as const) }),
    fc.record({ op: fc.constant("wake" as const), t: fc.integer({ min: 0, max: 11 }) }),
    fc.record({ op: fc.constant("wake" as const), t: fc.integer({ min: 0, max: 11 }) }),
    fc.record({ op: fc.constant("dequeue" as const), t: fc.integer({ min: 0, max: 11 }) }),
    fc.record({
      op: fc.constant("nice" as const),
      t: fc.integer({ min: 0, max: 11 }),
      nice: fc.integer({ min: -5, max: 5 }),
    }),
  );

  /**
   * Runs `ops` on a 12-thread CFS (random nices) as a kernel would: a tick or a wakeup that asks
   * for a reschedule is served at the next "schedule" (so more wakeups can come in between, as
   * they do before `schedule()` runs), and every pick is checked against the leftmost just before
   * it. Returns how many picks were not the leftmost.
   */
  function run(options: CfsOptions, nices: number[], ops: Op[]): number {
    const p = new CfsPolicy(options);
    const niceOf = [...nices];
    nices.forEach((nice, t) => {
      p.admit(threadId(t), { nice });
      p.enqueue(threadId(t), "new");
    });
    let cur: ThreadId | null = null;
    let resched = false;
    let bent = 0;
    const schedule = () => {
      if (cur !== null && !resched) return;
      if (cur !== null) p.enqueue(cur, "preempted");
      resched = false;
      const ready = p.readyThreads();
      cur = null;
      if (ready.length === 0) return;
      const left = ready[0]!;
      const limit = p.vruntimeOf(left) + (4 * 1024) / niceToWeight(niceOf[left]!);
      cur = p.pickNext();
      expect(p.vruntimeOf(cur!)).toBeLessThanOrEqual(limit + 1e-9);
      if (cur !== left) bent++;
    };
    for (const o of ops) {
      switch (o.op) {
        case "tick":
          if (cur !== null && p.tick(cur, o.cycles)) resched = true;
          if (cur === null) p.tick(null, o.cycles);
          break;
        case "schedule":
          schedule();
          break;
        case "block":
          if (cur !== null) {
            p.descheduled(cur);
            cur = null;
            resched = false;
          }
          break;
        case "yield":
          if (cur !== null) {
            p.enqueue(cur, "yielded");
            cur = null;
            resched = false;
          }
          break;
        case "wake": {
          const t = threadId(o.t);
          if (!p.isReady(t) && t !== cur) {
            p.enqueue(t, "wake");
            if (cur !== null && p.shouldPreempt(cur, t)) resched = true;
          }
          break;
        }
        case "dequeue":
          if (p.isReady(threadId(o.t))) p.dequeue(threadId(o.t));
          break;
        case "nice":
          p.setParams(threadId(o.t), { nice: o.nice });
          niceOf[o.t] = o.nice;
          break;
      }
      p.checkInvariants();
    }
    return bent;
  }

  const nices = fc.array(fc.integer({ min: -5, max: 5 }), { minLength: 12, maxLength: 12 });
  const ops = fc.array(op, { minLength: 1, maxLength: 200 });

  it("with Linux's defaults (next and last buddies, skip) and with NEXT_BUDDY on, on either queue", () => {
    fc.assert(
      fc.property(nices, ops, fc.boolean(), fc.constantFrom("rbtree", "heap"), (n, o, nextBuddy, queue) => {
        run({ nextBuddy, queue }, n, o);
      }),
      { numRuns: 100 },
    );
  });

  /**
   * A wakeup burst: C (nice `cNice`) runs at min_vruntime 0 with `ready` threads queued (nices and
   * lags random: they came in before C ran, so none is a buddy), then `wakes` sleepers wake at
   * random lags (placed no lower than −12), the first that preempts becoming the next buddy (and
   * C the last one from 8 runnable); then C is requeued and picks follow, each thread running a
   * random few cycles and blocking or going back. Every pick is checked against the bound.
   */
  function burst(
    cNice: number,
    ready: Array<[number, number]>,
    wakes: Array<[number, number]>,
    runs: Array<[number, boolean]>,
  ): number {
    const p = new CfsPolicy();
    const niceOf: number[] = [cNice];
    p.admit(threadId(0), { nice: cNice });
    p.enqueue(threadId(0), "new");
    expect(p.pickNext()).toBe(0);
    let next = 1;
    for (const [nice, lag] of ready) {
      const t = threadId(next++);
      niceOf[t] = nice;
      p.admit(t, { nice });
      p.migrateIn(t, lag);
      p.enqueue(t, "new"); // placed at max(lag, debit): "new" marks no NEXT_BUDDY, and it may preempt
    }
    for (const [nice, lag] of wakes) {
      const t = threadId(next++);
      niceOf[t] = nice;
      p.admit(t, { nice });
      p.migrateIn(t, lag);
      p.enqueue(t, "wake");
    }
    p.enqueue(threadId(0), "preempted");
    let bent = 0;
    for (const [cycles, block] of runs) {
      const order = p.readyThreads();
      if (order.length === 0) break;
      const left = order[0]!;
      const limit = p.vruntimeOf(left) + (4 * 1024) / niceToWeight(niceOf[left]!);
      const t = p.pickNext()!;
      expect(p.vruntimeOf(t)).toBeLessThanOrEqual(limit + 1e-9);
      if (t !== left) bent++;
      p.tick(t, cycles);
      if (block) p.descheduled(t);
      else p.enqueue(t, "preempted");
      p.checkInvariants();
    }
    return bent;
  }
  const niceLag = fc.tuple(fc.integer({ min: -5, max: 5 }), fc.integer({ min: -20, max: 20 }));
  const burstArgs = fc.tuple(
    fc.integer({ min: -5, max: 5 }),
    fc.array(niceLag, { minLength: 0, maxLength: 9 }),
    fc.array(niceLag, { minLength: 1, maxLength: 4 }),
    fc.array(fc.tuple(fc.integer({ min: 1, max: 6 }), fc.boolean()), { minLength: 1, maxLength: 12 }),
  );

  it("after wakeup bursts, next and last buddies bend picks, never past the bound", () => {
    let bent = 0;
    fc.assert(
      fc.property(burstArgs, ([c, r, w, runs]) => {
        bent += burst(c, r, w, runs);
      }),
      { numRuns: 200 },
    );
    expect(bent).toBeGreaterThan(0); // the bound was tested where it binds, not only on leftmost picks
  });
});
