import fc from "fast-check";
import { describe, expect, it } from "vitest";
import {
  type Cycles,
  cpuId,
  creditSleep,
  creditWake,
  currentBonus,
  decaySleep,
  effectivePrio,
  expiredStarving,
  firstWaitCredit,
  InvalidArgumentError,
  interactiveDelta,
  interactiveSleep,
  isInteractive,
  ManualClock,
  O1_REFILL_EXPIRE,
  O1_REFILL_KEEP,
  type O1Entry,
  O1Policy,
  runQueueCredit,
  Scheduler,
  type SleepType,
  simulate,
  threadId,
  timesliceGranularity,
} from "../src/index.js";

const T0 = threadId(0);
const T1 = threadId(1);
const T2 = threadId(2);

/** Thread `t` runs one cycle, blocks, and the CPU idles `ms` cycles (msCycles 1): it sleeps `ms`. */
function runThenSleep(o: O1Policy, t: ReturnType<typeof threadId>, ms: number): void {
  expect(o.pickNext()).toBe(t);
  o.tick(t, 1);
  o.descheduled(t);
  expect(o.pickNext()).toBe(null);
  o.tick(null, ms);
}

describe("O(1) interactivity: Linux 2.6's rules, worked numbers", () => {
  it("CURRENT_BONUS, effective_prio and the ±5 clamp", () => {
    expect([0, 99, 100, 500, 799, 800, 1000].map((s) => currentBonus(s, 1000))).toEqual([
      0, 0, 1, 5, 7, 8, 10,
    ]);
    expect([0, 500, 799, 1000].map((s) => effectivePrio(120, s, 1000))).toEqual([125, 120, 118, 115]);
    expect(effectivePrio(139, 0, 1000)).toBe(139); // 144 clamped to MAX_PRIO − 1
    // Whatever msCycles, a whole number of ms lands on Linux's jiffy boundary (NS_TO_JIFFIES
    // truncates whole jiffies): 700 ms at 0.7 cycles/ms is 489.99999999999994 cycles in floats.
    for (const m of [0.1, 0.3, 0.7, 1.1, 3]) {
      for (let ms = 0; ms <= 1000; ms += 50)
        expect(currentBonus(ms * m, 1000 * m)).toBe(Math.floor(ms / 100));
      expect(currentBonus(699 * m, 1000 * m)).toBe(6);
    }
    expect(effectivePrio(100, 1000, 1000)).toBe(100); // 95 clamped to MAX_RT_PRIO
  });

  it("DELTA is 2.6.17+'s SCALE(nice + 20, 40, MAX_BONUS) − 5 + 2 (rounds down, not toward zero), and INTERACTIVE_SLEEP is the just-interactive sleep_avg", () => {
    // Linux's own table (sched.c): TASK_INTERACTIVE(−10) holds for 7 of the 11 bonuses −5..+5,
    // i.e. bonus ≥ −1, DELTA −1. Dividing nice × 10 / 40 toward zero (before 2.6.17) gave 0.
    expect([-20, -10, -5, -4, -1, 0, 5, 10, 19].map(interactiveDelta)).toEqual([-3, -1, 0, 1, 1, 2, 3, 4, 6]);
    expect([-20, -10, -1, 0, 19].map((n) => interactiveSleep(n, 1))).toEqual([299, 499, 699, 799, 1199]);
    expect(isInteractive(118, 120)).toBe(true);
    expect(isInteractive(119, 120)).toBe(false);
    expect(isInteractive(115, 115)).toBe(true); // nice −5 needs bonus ≥ 0
    expect(isInteractive(116, 115)).toBe(false);
    expect(isInteractive(118, 119)).toBe(true); // nice −1 needs bonus ≥ 1, as nice −4
    expect(isInteractive(134, 139)).toBe(false); // nice 19: never, even at bonus +5
  });

  it("recalc_task_prio: a sleep adds up to MAX_SLEEP_AVG, one long sleep from below stops at just interactive", () => {
    expect(creditSleep(0, 500, 0, 1, 1000)).toBe(500);
    expect(creditSleep(0, 2000, 0, 1, 1000)).toBe(799);
    expect(creditSleep(800, 500, 0, 1, 1000)).toBe(1000); // already above the ceiling: no cap but MAX
    expect(creditSleep(0, 2000, 19, 1, 1000)).toBe(1000); // ceiling 1199 > MAX_SLEEP_AVG
    expect(creditSleep(300, 0, 0, 1, 1000)).toBe(300);
  });

  it("running costs run time ÷ CURRENT_BONUS; the run-queue credit is 38/128 of the wait", () => {
    expect(decaySleep(1000, 100, 1000)).toBe(990);
    expect(decaySleep(150, 10, 1000)).toBe(140); // bonus 1
    expect(decaySleep(50, 100, 1000)).toBe(0); // bonus 0 divides by 1, floor at 0
    expect(runQueueCredit(128)).toBe(38);
  });
});

describe("O(1) interactivity in the policy", () => {
  it("a thread that sleeps 500 ms goes from bonus −5 to 0 (prio 125 → 120); 301 ms more make it interactive (117)", () => {
    const o = new O1Policy(); // msCycles 1: a cycle is a millisecond
    o.admit(T0);
    o.enqueue(T0, "new");
    expect(o.dynamicPrio(T0)).toBe(125); // no history: sleep_avg 0
    runThenSleep(o, T0, 500);
    o.enqueue(T0, "wake");
    expect(o.sleepAvg(T0)).toBe(500);
    expect(o.dynamicPrio(T0)).toBe(120);
    runThenSleep(o, T0, 301); // the 1 ms of CPU cost 1/5 ms at bonus 5: 499.8 + 301 = 800.8
    o.enqueue(T0, "wake");
    expect(o.sleepAvg(T0)).toBeCloseTo(800.8, 9);
    expect(o.dynamicPrio(T0)).toBe(117);
    o.checkInvariants();
  });

  it("with initialSleepAvg 500 (neutral), a 500 ms sleep gives the full bonus: +5, prio 115", () => {
    const o = new O1Policy({ initialSleepAvg: 500 });
    o.admit(T0);
    o.enqueue(T0, "new");
    expect(o.dynamicPrio(T0)).toBe(120);
    expect(o.pickNext()).toBe(T0);
    o.descheduled(T0); // blocks at once: no CPU spent
    o.tick(null, 500);
    o.enqueue(T0, "wake");
    expect([o.sleepAvg(T0), o.dynamicPrio(T0)]).toEqual([1000, 115]);
  });

  it("one long sleep is capped at just interactive (799 ms, prio 118) and its run-queue wait earns nothing", () => {
    const o = new O1Policy();
    o.admit(T0);
    o.admit(T1, { nice: -20 }); // prio 105: it runs while 0 waits
    o.enqueue(T0, "new");
    runThenSleep(o, T0, 2000);
    o.enqueue(T1, "new");
    o.enqueue(T0, "wake");
    expect([o.sleepAvg(T0), o.dynamicPrio(T0)]).toEqual([799, 118]);
    expect(o.pickNext()).toBe(T1);
    o.tick(T1, 128);
    o.descheduled(T1);
    expect(o.pickNext()).toBe(T0);
    expect(o.sleepAvg(T0)).toBe(799); // SLEEP_NONINTERACTIVE: no ON_RUNQUEUE_WEIGHT credit
  });

  it("a short sleep's first wait on the run queue is credited at 30 % (128 cycles → 38) when it is picked", () => {
    const o = new O1Policy();
    o.admit(T0);
    o.admit(T1, { nice: -20 });
    o.enqueue(T0, "new");
    runThenSleep(o, T0, 100);
    o.enqueue(T1, "new");
    o.enqueue(T0, "wake");
    expect([o.sleepAvg(T0), o.dynamicPrio(T0)]).toEqual([100, 124]);
    expect(o.pickNext()).toBe(T1);
    o.tick(T1, 128);
    o.descheduled(T1);
    expect(o.pickNext()).toBe(T0);
    expect(o.sleepAvg(T0)).toBe(138);
    // Only the first wait after a wake: preempted and picked again, it earns no more.
    o.enqueue(T0, "preempted");
    o.tick(null, 50);
    expect(o.pickNext()).toBe(T0);
    expect(o.sleepAvg(T0)).toBe(138);
  });

  it("an interactive thread whose slice runs out stays in the active array until its bonus falls under +2", () => {
    // 0 sleeps 2000 ms: sleep_avg 799, prio 118 (TASK_INTERACTIVE for nice 0: prio ≤ 118). Hog 1
    // (sleep_avg 0, prio 125) waits. 0 has 99 ms of its slice left, then 100 ms slices. As in
    // Linux 2.6.17+, scheduler_tick recomputes the prio at expiry from the sleep_avg of the last
    // schedule(), and schedule() then charges the whole run ÷ the CURRENT_BONUS it had: 799 −
    // 99/7 = 784.9, then −100/7 a slice: 770.6, 756.3, 742.0, 727.7, 713.4, 699.1. The expiries
    // after 99, 199, …, 699 cycles see sleep_avg ≥ 700 (bonus +2): back to the active array, 7
    // times; the one after 799 sees 699.1 (bonus +1, prio 119): expired, and hog 1 runs at last.
    // (TIMESLICE_GRANULARITY off: with it 0 is also requeued within its slices; see below.)
    const o = new O1Policy({ timesliceGranularity: false });
    o.admit(T0);
    o.admit(T1);
    o.enqueue(T0, "new");
    runThenSleep(o, T0, 2000);
    o.enqueue(T0, "wake");
    o.enqueue(T1, "new");
    let clock = 2001;
    const expiries: Array<[number, number]> = [];
    for (;;) {
      const t = o.pickNext()!;
      if (t === T1) break;
      while (!o.tick(t, 1)) clock++;
      clock++;
      expiries.push([clock - 2001, o.dynamicPrio(t)]);
      o.enqueue(t, "preempted");
      o.checkInvariants();
    }
    expect(expiries).toEqual([
      [99, 118],
      [199, 118],
      [299, 118],
      [399, 118],
      [499, 118],
      [599, 118],
      [699, 118],
      [799, 119],
    ]);
    expect(o.interactiveRequeues).toBe(7);
    expect(o.sleepAvg(T0)).toBeCloseTo(799 - 699 / 7 - 100 / 6, 9); // 699 cycles at bonus 7, the last 100 at 6
    expect(clock).toBe(2800);
    // Without the bonus the same thread expires after its first 99 cycles and hog 1 runs.
    const p = new O1Policy({ interactivity: false });
    p.admit(T0);
    p.admit(T1);
    p.enqueue(T0, "new");
    runThenSleep(p, T0, 2000);
    p.enqueue(T0, "wake");
    p.enqueue(T1, "new");
    expect(p.pickNext()).toBe(T0);
    for (let c = 0; c < 98; c++) expect(p.tick(T0, 1)).toBe(false);
    expect(p.tick(T0, 1)).toBe(true);
    p.enqueue(T0, "preempted");
    expect(p.pickNext()).toBe(T1);
    expect(p.interactiveRequeues).toBe(0);
  });

  it("a CPU hog's sleep_avg decays to 0: from neutral (500 ms) its prio worsens 120 → 125 over ~1200 ms of CPU", () => {
    const o = new O1Policy({ initialSleepAvg: 500 });
    o.admit(T0);
    o.enqueue(T0, "new");
    const prios: number[] = [];
    const sleeps: number[] = [];
    for (let slice = 0; slice < 14; slice++) {
      expect(o.pickNext()).toBe(T0);
      for (let c = 0; c < 99; c++) expect(o.tick(T0, 1)).toBe(false);
      expect(o.tick(T0, 1)).toBe(true); // 100 ms slice; the prio is recomputed at expiry
      prios.push(o.dynamicPrio(T0));
      o.enqueue(T0, "preempted"); // schedule(): the slice's 100 ms ÷ the bonus it ran with
      sleeps.push(Math.round(o.sleepAvg(T0) * 100) / 100);
    }
    // The expiry sees the sleep_avg before its slice is charged: 500 → prio 120, then −100/5.
    expect(prios).toEqual([120, 121, 121, 121, 121, 122, 122, 122, 123, 123, 124, 125, 125, 125]);
    expect(sleeps).toEqual([480, 455, 430, 405, 380, 346.67, 313.33, 280, 230, 180, 80, 0, 0, 0]);
  });

  it("sleep_avg is charged at schedule(), not per tick: the same 100 cycles cost the same in ticks of 1 or of 100", () => {
    const run = (tick: number) => {
      const o = new O1Policy({ initialSleepAvg: 705 });
      o.admit(T0);
      o.enqueue(T0, "new");
      expect(o.pickNext()).toBe(T0);
      for (let c = 0; c < 100; c += tick) o.tick(T0, tick);
      o.enqueue(T0, "preempted");
      return o.sleepAvg(T0);
    };
    // Per-tick decay (what this policy did before) gave 700 − 65/6 = 689.17 for ticks of 1 (bonus 6
    // from the 36th) and 690.71 for one tick of 100: the result depended on the driver's tick
    // size. Linux charges the run at the bonus it began with: 705 − 100/7 = 690.71.
    expect(run(1)).toBeCloseTo(705 - 100 / 7, 9);
    expect(run(100)).toBeCloseTo(705 - 100 / 7, 9);
    expect(run(20)).toBeCloseTo(705 - 100 / 7, 9);
  });

  it("EXPIRED_STARVING sends an interactive thread to the expired array: the epoch is too old", () => {
    // starvationLimit 100 ms × nr_running 2 = 200 cycles. The epoch begins when the idle CPU gets
    // work (cycle 2001): 0 is kept active at 99 and 199 cycles, expired at 299 (age 299 ≥ 200).
    const o = new O1Policy({ starvationLimit: 100 });
    o.admit(T0);
    o.admit(T1);
    o.enqueue(T0, "new");
    runThenSleep(o, T0, 2000);
    o.enqueue(T0, "wake");
    o.enqueue(T1, "new");
    const at: number[] = [];
    let ran = 0;
    for (;;) {
      const t = o.pickNext()!;
      if (t === T1) break;
      while (!o.tick(t, 1)) ran++;
      ran++;
      at.push(ran);
      o.enqueue(t, "preempted");
    }
    // TIMESLICE_GRANULARITY (bonus 7: 40 ms) also requeues it 40 ms into each slice (used 40 of
    // 100, 60 left ≥ 40; not at 80, 20 left): alone at prio 118, it is picked again at once.
    expect(at).toEqual([39, 99, 139, 199, 239, 299]);
    expect(o.interactiveRequeues).toBe(2);
    expect(o.dynamicPrio(T0)).toBe(118); // still interactive: only the starvation test expired it
  });

  it("EXPIRED_STARVING's second clause: a better static priority waiting in the expired array expires an interactive thread", () => {
    const o = new O1Policy();
    o.admit(T0); // static 120
    o.admit(T2, { nice: -5 }); // static 115, prio 120 with no sleep, 500 ms slices
    o.enqueue(T0, "new");
    runThenSleep(o, T0, 2000);
    o.enqueue(T2, "new");
    expect(o.pickNext()).toBe(T2);
    for (let c = 0; c < 499; c++) o.tick(T2, 1);
    expect(o.tick(T2, 1)).toBe(true);
    o.enqueue(T2, "preempted"); // not interactive (needs prio ≤ 114): expired array
    o.enqueue(T0, "wake"); // 2500 ms asleep: 799, prio 118, interactive; 99 ms of slice left
    expect(o.pickNext()).toBe(T0);
    for (let c = 0; c < 98; c++) o.tick(T0, 1);
    expect(o.tick(T0, 1)).toBe(true);
    expect(o.dynamicPrio(T0)).toBe(118);
    o.enqueue(T0, "preempted");
    expect(o.interactiveRequeues).toBe(0);
    expect(o.epochs).toBe(0);
    expect(o.pickNext()).toBe(T0); // the arrays swapped: 0 (118) beats 2 (120) in the new epoch
    expect(o.epochs).toBe(1);
  });

  it("a thread woken onto another CPU keeps its sleep_avg, the sleep credited on the old one", () => {
    const a = new O1Policy();
    const b = new O1Policy();
    a.admit(T0);
    a.enqueue(T0, "new");
    runThenSleep(a, T0, 300);
    const carried = a.migrateOut(T0);
    expect(carried).toEqual([0, 300]); // sleep_avg 0, 300 cycles asleep: nothing credited yet
    a.retire(T0);
    b.admit(T0);
    b.migrateIn(T0, carried);
    b.enqueue(T0, "wake");
    expect([b.sleepAvg(T0), b.dynamicPrio(T0)]).toEqual([300, 122]);
    for (const bad of [-1, [-1, 0], [0, -1], [1001, 0], [0, Number.NaN], [0], [0, 0, 0]])
      expect(() => b.migrateIn(T0, bad)).toThrow(InvalidArgumentError);
    expect(() => new O1Policy({ initialSleepAvg: 1001 })).toThrow(InvalidArgumentError);
  });

  // Linux 2.6.17–2.6.22 carries the sleep's start across CPUs (p->timestamp, rebased by the run
  // queues' clocks in try_to_wake_up when the task changes run queue, and in pull_task), so
  // recalc_task_prio on the new CPU sees the whole sleep and credits it by its sleep_type.
  /** T0 sleeps `before` cycles on `a`, moves to `b`, sleeps `after` more there, and wakes. */
  function moveWhileAsleep(initialSleepAvg: number, before: number, after: number, sleep: SleepType) {
    const a = new O1Policy({ initialSleepAvg });
    const b = new O1Policy({ initialSleepAvg });
    a.admit(T0);
    a.enqueue(T0, "new");
    runThenSleep(a, T0, before);
    const carried = a.migrateOut(T0);
    a.retire(T0);
    b.admit(T0);
    b.migrateIn(T0, carried);
    b.checkInvariants();
    expect(b.pickNext()).toBe(null);
    b.tick(null, after);
    b.enqueue(T0, "wake", sleep);
    b.checkInvariants();
    return b;
  }

  it("an uninterruptible sleep begun on another CPU is credited whole at the wake, by its kind: 700 + 300 → 799, not 1000", () => {
    // 700 ms, run 1 ms (charged 1/7 ms at bonus 7), then 200 ms asleep on a and 100 on b.
    const b = moveWhileAsleep(700, 200, 100, "noninteractive");
    expect(b.sleepAvg(T0)).toBe(799); // INTERACTIVE_SLEEP: the ceiling of an uninterruptible rise
    const c = moveWhileAsleep(700, 200, 100, "interactive");
    expect(c.sleepAvg(T0)).toBeCloseTo(1000 - 1 / 7, 9); // the 1 ms run cost 1/7 ms at bonus 7
  });

  it("a long sleep split by a move is capped once, at the wake, and earns no first-wait credit on the new CPU", () => {
    // 1200 + 800 ms asleep from 0: longer than INTERACTIVE_SLEEP (799) → 799, SLEEP_NONINTERACTIVE.
    const b = moveWhileAsleep(0, 1200, 800, "interactive");
    expect(b.sleepAvg(T0)).toBe(799);
    b.admit(T1);
    b.enqueue(T1, "new");
    expect(b.pickNext()).toBe(T0); // prio 118 against 125
    expect(b.sleepAvg(T0)).toBe(799); // the first wait earns nothing after a capped sleep
    // Each part alone is shorter than the ceiling: credited as two sleeps it would be 1000.
    const c = moveWhileAsleep(0, 500, 200, "interactive");
    expect(c.sleepAvg(T0)).toBe(700);
  });

  it("property: a move while asleep is invisible to the wake's credit — the same sleep_avg, prio and first-wait credit as the whole sleep on one CPU", () => {
    const kinds: SleepType[] = ["interactive", "interrupted", "noninteractive"];
    fc.assert(
      fc.property(
        fc.integer({ min: 0, max: 1000 }),
        fc.integer({ min: 1, max: 1500 }),
        fc.integer({ min: 1, max: 1500 }),
        fc.constantFrom(...kinds),
        fc.integer({ min: 1, max: 300 }),
        (init, before, after, kind, wait) => {
          const moved = moveWhileAsleep(init, before, after, kind);
          const stayed = new O1Policy({ initialSleepAvg: init });
          stayed.admit(T0);
          stayed.enqueue(T0, "new");
          runThenSleep(stayed, T0, before + after);
          stayed.enqueue(T0, "wake", kind);
          for (const o of [moved, stayed]) {
            // A nice −20 thread holds the CPU for `wait` cycles: T0's first wait on the run queue.
            o.admit(T1, { nice: -20 });
            o.enqueue(T1, "new");
            expect(o.pickNext()).toBe(T1); // prio ≤ 105 against T0's ≥ 115
            o.tick(T1, wait);
            o.descheduled(T1);
          }
          expect(moved.pickNext()).toBe(T0);
          expect(stayed.pickNext()).toBe(T0);
          expect(moved.sleepAvg(T0)).toBe(stayed.sleepAvg(T0));
          expect(moved.dynamicPrio(T0)).toBe(stayed.dynamicPrio(T0));
          moved.checkInvariants();
        },
      ),
      { numRuns: 100 },
    );
  });

  it("a blocked thread moved by setAffinity and woken uninterruptibly on the new CPU: the Scheduler hands the sleep over whole", () => {
    const s = new Scheduler({ cpus: 2, policy: () => new O1Policy({ initialSleepAvg: 700 }) });
    const a = s.spawn({}, 0b01);
    s.start(a);
    expect(s.schedule(cpuId(0))).toBe(a);
    s.block(a, { kind: "io", on: "disk0" });
    s.tick(cpuId(0), 200);
    s.tick(cpuId(1), 200);
    s.setAffinity(a, 0b10); // rehomed on CPU 1 while asleep: 200 cycles of sleep carried
    s.tick(cpuId(0), 100);
    s.tick(cpuId(1), 100);
    expect(s.wake(a, "noninteractive")).toBe(1);
    expect((s.policyOf(cpuId(1)) as O1Policy).sleepAvg(a)).toBe(799); // 700 + 300, uninterruptible
    s.checkInvariants();
  });
});

describe("O(1) sleep kinds: Linux 2.6.17–2.6.22's sleep_type", () => {
  it("recalc_task_prio: an uninterruptible sleep raises sleep_avg only up to INTERACTIVE_SLEEP, never above", () => {
    // nice 0: ceiling 799 ms. 700 + 300 is 1000 for an interruptible sleep, 799 for an
    // uninterruptible one (`p->sleep_avg + sleep_time >= ceiling` → ceiling).
    expect(creditWake(700, 300, 0, 1, 1000, "interactive")).toBe(1000);
    expect(creditWake(700, 300, 0, 1, 1000, "interrupted")).toBe(1000);
    expect(creditWake(700, 300, 0, 1, 1000, "noninteractive")).toBe(799);
    expect(creditWake(850, 100, 0, 1, 1000, "noninteractive")).toBe(850); // at or above: sleep_time = 0
    expect(creditWake(850, 100, 0, 1, 1000, "interactive")).toBe(950);
    expect(creditWake(0, 500, 0, 1, 1000, "noninteractive")).toBe(500); // below the ceiling: as any sleep
    expect(creditWake(0, 2000, 0, 1, 1000, "noninteractive")).toBe(799); // the long-sleep cap, same number
    expect(creditWake(200, 150, -20, 1, 1000, "noninteractive")).toBe(299); // nice −20: ceiling 299
    // nice 19: ceiling 1199 ms, above MAX_SLEEP_AVG: 900 + 400 ≥ 1199 → 1199, clamped to 1000.
    expect(creditWake(900, 400, 19, 1, 1000, "noninteractive")).toBe(1000);
    expect(creditWake(300, 0, 0, 1, 1000, "noninteractive")).toBe(300);
  });

  it("schedule(): the first wait on the run queue counts in full after an interrupt's wake, 38/128 after a process's, not at all after an uninterruptible sleep", () => {
    expect(firstWaitCredit(128, "interrupted")).toBe(128);
    expect(firstWaitCredit(128, "interactive")).toBe(38);
    expect(firstWaitCredit(128, "noninteractive")).toBe(0);
  });

  it("in the policy: 700 ms + an uninterruptible 300 ms sleep is 799 ms (prio 118), not 1000 (115)", () => {
    for (const [kind, avg, prio] of [
      ["noninteractive", 799, 118],
      ["interactive", 1000, 115],
      [undefined, 1000, 115], // the default is an interactive sleep
    ] as const) {
      const o = new O1Policy({ initialSleepAvg: 700 });
      o.admit(T0);
      o.enqueue(T0, "new");
      expect(o.pickNext()).toBe(T0);
      o.descheduled(T0); // blocks at once: no CPU spent
      o.tick(null, 300);
      if (kind === undefined) o.enqueue(T0, "wake");
      else o.enqueue(T0, "wake", kind);
      expect([o.sleepAvg(T0), o.dynamicPrio(T0)]).toEqual([avg, prio]);
      o.checkInvariants();
    }
  });

  /** T0 sleeps 100 ms, wakes with `kind` behind a nice −20 thread that runs 128 ms: its sleep_avg when picked. */
  function afterFirstWait(kind: SleepType): number {
    const o = new O1Policy();
    o.admit(T0);
    o.admit(T1, { nice: -20 });
    o.enqueue(T0, "new");
    runThenSleep(o, T0, 100);
    o.enqueue(T1, "new");
    o.enqueue(T0, "wake", kind);
    expect(o.sleepAvg(T0)).toBe(100);
    expect(o.pickNext()).toBe(T1);
    o.tick(T1, 128);
    o.descheduled(T1);
    expect(o.pickNext()).toBe(T0);
    o.checkInvariants();
    return o.sleepAvg(T0);
  }

  it("in the policy: a 128 ms wait after a 100 ms sleep gives 228 (interrupt), 138 (process), 100 (uninterruptible)", () => {
    // The 1 ms run before the sleep cost 1 ms ÷ max(CURRENT_BONUS 0, 1) from 0: still 0.
    expect(afterFirstWait("interrupted")).toBe(228);
    expect(afterFirstWait("interactive")).toBe(138);
    expect(afterFirstWait("noninteractive")).toBe(100);
  });

  it("the Scheduler passes the kind through wake and runTimers; without one a wake is interactive", () => {
    for (const [kind, avg] of [
      ["noninteractive", 799],
      ["interrupted", 1000],
      [undefined, 1000],
    ] as const) {
      const s = new Scheduler({ policy: () => new O1Policy({ initialSleepAvg: 700 }) });
      const a = s.spawn();
      s.start(a);
      expect(s.schedule(cpuId(0))).toBe(a);
      s.block(a, { kind: "io", on: "disk0" });
      s.tick(cpuId(0), 300);
      s.wake(a, kind);
      const o = s.policyOf(cpuId(0)) as O1Policy;
      expect(o.sleepAvg(a)).toBe(avg);
    }
    const clock = new ManualClock();
    const s = new Scheduler({ policy: () => new O1Policy({ initialSleepAvg: 700 }), clock });
    const a = s.spawn();
    s.start(a);
    expect(s.schedule(cpuId(0))).toBe(a);
    s.sleep(a, 300);
    s.tick(cpuId(0), 300);
    clock.advance(300);
    expect(s.runTimers("noninteractive")).toEqual([a]);
    expect((s.policyOf(cpuId(0)) as O1Policy).sleepAvg(a)).toBe(799);
  });
});

describe("O(1) TIMESLICE_GRANULARITY: equal-priority interactive threads round-robin within their slices", () => {
  /** Two nice 0 threads with the same sleep_avg, 1-cycle ticks: the (tid, cycles) of each turn. */
  function turns(options: ConstructorParameters<typeof O1Policy>[0], n: number): Array<[number, number]> {
    const o = new O1Policy(options);
    for (const t of [T0, T1]) {
      o.admit(t);
      o.enqueue(t, "new");
    }
    const out: Array<[number, number]> = [];
    while (out.length < n) {
      const t = o.pickNext()!;
      let c = 1;
      while (!o.tick(t, 1)) c++;
      out.push([t, c]);
      o.enqueue(t, "preempted");
      o.checkInvariants();
    }
    return out;
  }

  it("TIMESLICE_GRANULARITY's worked numbers: 10 ms × 2^((10 − bonus or 1) − 1) × CPUs", () => {
    expect([1000, 950, 899, 799, 699, 0].map((s) => timesliceGranularity(s, 1000, 1, 1))).toEqual([
      10, 10, 20, 40, 80, 5120,
    ]);
    expect(timesliceGranularity(799, 1000, 1, 2)).toBe(80);
    expect(timesliceGranularity(79.9, 100, 0.1, 1)).toBeCloseTo(4, 12);
  });

  it("bonus 7 (sleep_avg 799, prio 118): turns of 40 and 60 ms instead of whole 100 ms slices", () => {
    // 40 ms into its slice (60 left ≥ 40) a thread goes behind its peer; at 80 only 20 are left, so
    // it runs on to the end of its slice and, interactive, is refilled into the active array.
    expect(turns({ initialSleepAvg: 799 }, 8)).toEqual([
      [0, 40],
      [1, 40],
      [0, 60],
      [1, 60],
      [0, 40],
      [1, 40],
      [0, 60],
      [1, 60],
    ]);
    // Without it, whole slices.
    expect(turns({ initialSleepAvg: 799, timesliceGranularity: false }, 4)).toEqual([
      [0, 100],
      [1, 100],
      [0, 100],
      [1, 100],
    ]);
    // On a 2-CPU SMP kernel the granularity is 80 ms: at 80 only 20 are left, so no split.
    expect(turns({ initialSleepAvg: 799, onlineCpus: 2 }, 4)).toEqual([
      [0, 100],
      [1, 100],
      [0, 100],
      [1, 100],
    ]);
  });

  it("bonus 10: 10 ms turns, ten a slice; a thread that is not interactive (bonus 6 at nice 0) is never split", () => {
    const t = turns({ initialSleepAvg: 1000 }, 20);
    expect(t.every(([, c]) => c === 10)).toBe(true);
    expect(t.map(([tid]) => tid)).toEqual(Array.from({ length: 20 }, (_, i) => i % 2));
    expect(turns({ initialSleepAvg: 650 }, 4)).toEqual([
      [0, 100],
      [1, 100],
      [0, 100],
      [1, 100],
    ]);
    expect(() => new O1Policy({ onlineCpus: 0 })).toThrow(InvalidArgumentError);
    expect(() => new O1Policy({ onlineCpus: 1.5 })).toThrow(InvalidArgumentError);
  });

  it("a thread alone is requeued, refilled and expired exactly where a jiffy-by-jiffy replay of Linux's scheduler_tick and schedule() says", () => {
    fc.assert(
      fc.property(
        fc.integer({ min: -20, max: 19 }),
        fc.integer({ min: 0, max: 1000 }),
        fc.integer({ min: 1, max: 4 }),
        fc.integer({ min: 200, max: 2500 }),
        (nice, initialSleepAvg, cpus, jiffies) => {
          const o = new O1Policy({ initialSleepAvg, onlineCpus: cpus });
          o.admit(T0, { nice });
          o.enqueue(T0, "new");
          expect(o.pickNext()).toBe(T0);
          // The reference: Linux 2.6.22 for one task at HZ = 1000, 1 cycle = 1 jiffy = 1 ms.
          const sp = 120 + nice;
          const slice = o.timeslice(nice);
          let sa = initialSleepAvg;
          let prio = effectivePrio(sp, sa, 1000);
          let ts = slice;
          let ran = 0;
          let epoch = 0;
          const want: string[] = [];
          const got: string[] = [];
          for (let now = 1; now <= jiffies; now++) {
            const schedule = () => {
              sa = decaySleep(sa, Math.min(ran, 1000), 1000);
              ran = 0;
            };
            ran++;
            if (--ts === 0) {
              prio = effectivePrio(sp, sa, 1000);
              ts = slice;
              const keep = sa > 0 && isInteractive(prio, sp) && now - epoch < 1000;
              want.push(`${now}:${keep ? "keep" : "expire"}`);
              schedule();
              if (!keep) epoch = now; // the active array is empty: the next pick swaps
            } else {
              const g = timesliceGranularity(sa, 1000, 1, cpus);
              if (sa > 0 && isInteractive(prio, sp) && (slice - ts) % g === 0 && ts >= g) {
                want.push(`${now}:requeue`);
                schedule();
              }
            }
            const before = o.interactiveRequeues;
            const epochs = o.epochs;
            if (o.tick(T0, 1)) {
              o.enqueue(T0, "preempted");
              expect(o.pickNext()).toBe(T0);
              got.push(
                `${now}:${o.epochs > epochs ? "expire" : o.interactiveRequeues > before ? "keep" : "requeue"}`,
              );
            }
          }
          expect(got).toEqual(want);
          expect(o.sleepAvg(T0)).toBeCloseTo(sa, 6);
          expect(o.dynamicPrio(T0)).toBe(prio);
        },
      ),
      { numRuns: 60 },
    );
  });
});

describe("O(1) interactivity: properties", () => {
  type Op =
    | { k: "admit"; nice: number }
    | { k: "wake"; i: number; kind: SleepType }
    | { k: "run"; cycles: number }
    | { k: "block" }
    | { k: "idle"; cycles: number }
    | { k: "nice"; i: number; nice: number }
    | { k: "suspend"; i: number };
  /** Ops with runs of 1..runMax cycles, idle spells of 1..idleMax and nice −20..niceMax. */
  const opOf = (runMax: number, idleMax: number, niceMax: number): fc.Arbitrary<Op> =>
    fc.oneof(
      fc.record({ k: fc.constant("admit" as const), nice: fc.integer({ min: -20, max: niceMax }) }),
      fc.record({
        k: fc.constant("wake" as const),
        i: fc.nat(),
        kind: fc.constantFrom<SleepType>("interactive", "interrupted", "noninteractive"),
      }),
      fc.record({ k: fc.constant("run" as const), cycles: fc.integer({ min: 1, max: runMax }) }),
      fc.record({ k: fc.constant("block" as const) }),
      fc.record({ k: fc.constant("idle" as const), cycles: fc.integer({ min: 1, max: idleMax }) }),
      fc.record({
        k: fc.constant("nice" as const),
        i: fc.nat(),
        nice: fc.integer({ min: -20, max: niceMax }),
      }),
      fc.record({ k: fc.constant("suspend" as const), i: fc.nat() }),
    );
  const op = opOf(400, 3000, 19);
  /**
   * Short runs and sleeps (at msCycles 1: below the 799 ms ceiling), so sleeps add up rather than
   * cap, and nice ≤ 5 (ceiling ≤ 899 ms: above nice 10 INTERACTIVE_SLEEP exceeds MAX_SLEEP_AVG).
   */
  const shortOp = opOf(40, 400, 5);

  /**
   * Drive an O1Policy through admissions, runs (with preemption and expiry), blocks, wakes (of the
   * op's kind of sleep, or `wakeKind` for all when given), suspensions, idle time and nice
   * changes; call `check` after every step.
   */
  function drive(o: O1Policy, ops: Op[], check: (nices: number[]) => void, wakeKind?: SleepType): void {
    const tids: number[] = [];
    const nices: number[] = [];
    const asleep: number[] = [];
    for (const x of ops) {
      switch (x.k) {
        case "admit": {
          const t = tids.length;
          o.admit(threadId(t), { nice: x.nice });
          o.enqueue(threadId(t), "new");
          tids.push(t);
          nices.push(x.nice);
          break;
        }
        case "wake":
          if (asleep.length > 0)
            o.enqueue(threadId(asleep.splice(x.i % asleep.length, 1)[0]!), "wake", wakeKind ?? x.kind);
          break;
        case "run": {
          const cur = o.current ?? o.pickNext();
          if (cur === null) o.tick(null, x.cycles);
          else if (o.tick(cur, x.cycles)) o.enqueue(cur, "preempted");
          break;
        }
        case "block": {
          const cur = o.current;
          if (cur !== null) {
            o.descheduled(cur);
            asleep.push(cur);
          }
          break;
        }
        case "idle":
          if (o.current === null && o.readyCount === 0) o.tick(null, x.cycles);
          break;
        case "nice":
          if (tids.length > 0) {
            o.setParams(threadId(x.i % tids.length), { nice: x.nice });
            nices[x.i % tids.length] = x.nice;
          }
          break;
        case "suspend": {
          const ready = o.readyThreads();
          if (ready.length > 0) {
            const t = ready[x.i % ready.length]!;
            o.dequeue(t);
            asleep.push(t);
          }
          break;
        }
      }
      o.checkInvariants();
      check(nices);
    }
  }

  it("sleep_avg stays in [0, MAX_SLEEP_AVG]; the dynamic prio in 100..139 and within static ± 5", () => {
    fc.assert(
      fc.property(
        fc.constantFrom(0.1, 0.5, 1, 2),
        fc.integer({ min: 0, max: 1000 }),
        fc.array(op, { minLength: 1, maxLength: 120 }),
        (msCycles, initialSleepAvg, ops) => {
          const o = new O1Policy({ msCycles, initialSleepAvg });
          const max = 1000 * msCycles;
          drive(o, ops, (nices) => {
            nices.forEach((nice, t) => {
              const s = o.sleepAvg(threadId(t));
              const p = o.dynamicPrio(threadId(t));
              expect(s).toBeGreaterThanOrEqual(0);
              expect(s).toBeLessThanOrEqual(max);
              expect(p).toBeGreaterThanOrEqual(100);
              expect(p).toBeLessThanOrEqual(139);
              expect(Math.abs(p - (120 + nice))).toBeLessThanOrEqual(5);
            });
          });
        },
      ),
      { numRuns: 80 },
    );
  });

  it("the bonus comes only from sleep: a thread that never blocks never gets a better dynamic prio", () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 0, max: 1000 }),
        fc.array(fc.integer({ min: -20, max: 19 }), { minLength: 1, maxLength: 6 }),
        fc.array(fc.integer({ min: 1, max: 300 }), { minLength: 1, maxLength: 60 }),
        (initialSleepAvg, nices, runs) => {
          const o = new O1Policy({ initialSleepAvg, msCycles: 0.5 });
          nices.forEach((nice, t) => {
            o.admit(threadId(t), { nice });
            o.enqueue(threadId(t), "new");
          });
          const best = nices.map((_, t) => o.dynamicPrio(threadId(t)));
          const sleep = nices.map((_, t) => o.sleepAvg(threadId(t)));
          for (const c of runs) {
            const t = o.current ?? o.pickNext()!;
            if (o.tick(t, c)) o.enqueue(t, "preempted");
            o.checkInvariants();
            nices.forEach((_, u) => {
              expect(o.dynamicPrio(threadId(u))).toBeGreaterThanOrEqual(best[u]!);
              expect(o.sleepAvg(threadId(u))).toBeLessThanOrEqual(sleep[u]!);
              best[u] = o.dynamicPrio(threadId(u));
              sleep[u] = o.sleepAvg(threadId(u));
            });
          }
        },
      ),
      { numRuns: 60 },
    );
  });

  it("a thread that only ever wakes from uninterruptible sleeps never rises above max(its initial sleep_avg, INTERACTIVE_SLEEP)", () => {
    // Linux: "tasks on involuntary sleep don't earn sleep_avg beyond just interactive state" — at
    // nice 0 never a bonus above +2 (prio 118) unless it started there; running only lowers it.
    fc.assert(
      fc.property(
        fc.constantFrom(0.5, 1, 2),
        fc.integer({ min: 0, max: 500 }),
        fc.array(shortOp, { minLength: 1, maxLength: 120 }),
        (msCycles, initialSleepAvg, ops) => {
          const o = new O1Policy({ msCycles, initialSleepAvg });
          const max = 1000 * msCycles;
          /** Per thread: the highest ceiling of any nice it has held. */
          const ceiling: number[] = [];
          drive(
            o,
            ops,
            (nices) => {
              nices.forEach((nice, t) => {
                ceiling[t] = Math.max(ceiling[t] ?? 0, interactiveSleep(nice, msCycles));
                const limit = Math.min(max, Math.max(initialSleepAvg * msCycles, ceiling[t]!));
                const s = o.sleepAvg(threadId(t));
                expect(s).toBeLessThanOrEqual(limit + 1e-9);
              });
            },
            "noninteractive",
          );
        },
      ),
      { numRuns: 80 },
    );
  });

  it("creditWake by kind: uninterruptible ≤ interruptible = interrupted, never above max(sleep_avg, ceiling); the first-wait credit is ordered 0 ≤ 30 % ≤ all", () => {
    fc.assert(
      fc.property(
        fc.double({ min: 0, max: 1000, noNaN: true }),
        fc.double({ min: 0, max: 5000, noNaN: true }),
        fc.integer({ min: -20, max: 19 }),
        (s, d, nice) => {
          const non = creditWake(s, d, nice, 1, 1000, "noninteractive");
          const inter = creditWake(s, d, nice, 1, 1000, "interactive");
          expect(creditWake(s, d, nice, 1, 1000, "interrupted")).toBe(inter);
          expect(inter).toBe(creditSleep(s, d, nice, 1, 1000));
          expect(non).toBeGreaterThanOrEqual(s);
          expect(non).toBeLessThanOrEqual(inter);
          expect(non).toBeLessThanOrEqual(Math.min(1000, Math.max(s, interactiveSleep(nice, 1))));
          expect(firstWaitCredit(d, "noninteractive")).toBe(0);
          expect(firstWaitCredit(d, "interactive")).toBeLessThanOrEqual(firstWaitCredit(d, "interrupted"));
          expect(firstWaitCredit(d, "interrupted")).toBe(d);
        },
      ),
      { numRuns: 200 },
    );
  });

  it("creditSleep never lowers sleep_avg and decaySleep never raises it, both within [0, MAX]", () => {
    fc.assert(
      fc.property(
        fc.double({ min: 0, max: 1000, noNaN: true }),
        fc.double({ min: 0, max: 5000, noNaN: true }),
        fc.integer({ min: -20, max: 19 }),
        (s, d, nice) => {
          const up = creditSleep(s, d, nice, 1, 1000);
          const down = decaySleep(s, d, 1000);
          expect(up).toBeGreaterThanOrEqual(s);
          expect(up).toBeLessThanOrEqual(1000);
          expect(down).toBeLessThanOrEqual(s);
          expect(down).toBeGreaterThanOrEqual(0);
          const p = effectivePrio(120 + nice, up, 1000);
          expect(Math.abs(p - (120 + nice))).toBeLessThanOrEqual(5);
        },
      ),
      { numRuns: 200 },
    );
  });
});

describe("O(1) interactivity: starvation under a stream of wakeups", () => {
  /**
   * One CPU, 1-cycle ticks: hogs never block; sleepers run `run` cycles, sleep `sleep` cycles,
   * again. A sleeper that wakes and outranks the current thread preempts it (TASK_PREEMPTS_CURR).
   * Returns the longest wait, in cycles, of any thread between joining the ready set and being
   * picked.
   */
  function longestWait(
    o: O1Policy,
    threads: Array<{ nice: number; run: number; sleep: number }>,
    cycles: number,
  ): number {
    const left = threads.map((t) => t.run);
    const wakeAt = threads.map(() => -1);
    const readySince = threads.map(() => 0);
    threads.forEach((t, i) => {
      o.admit(threadId(i), { nice: t.nice });
      o.enqueue(threadId(i), "new");
    });
    let worst = 0;
    for (let now = 0; now < cycles; now++) {
      for (let i = 0; i < threads.length; i++) {
        if (wakeAt[i] !== now) continue;
        wakeAt[i] = -1;
        o.enqueue(threadId(i), "wake");
        readySince[i] = now;
        const cur = o.current;
        if (cur !== null && o.shouldPreempt(cur, threadId(i))) {
          o.enqueue(cur, "preempted");
          readySince[cur] = now;
        }
      }
      let cur = o.current;
      if (cur === null) {
        cur = o.pickNext();
        if (cur !== null) worst = Math.max(worst, now - readySince[cur]!);
      }
      if (cur === null) {
        o.tick(null, 1);
        continue;
      }
      const preempt = o.tick(cur, 1);
      const th = threads[cur]!;
      if (th.sleep > 0 && --left[cur]! === 0) {
        left[cur] = th.run;
        o.descheduled(cur);
        wakeAt[cur] = now + 1 + th.sleep;
      } else if (preempt) {
        o.enqueue(cur, "preempted");
        readySince[cur] = now + 1;
      }
    }
    o.checkInvariants();
    return worst;
  }

  /** The bound of the property below, for policies made by `make` (ℓ = 40 cycles). */
  function wakeupBound(make: (initialSleepAvg: number) => O1Policy) {
    return fc.property(
      fc.integer({ min: 0, max: 1000 }),
      fc.array(
        fc.record({
          nice: fc.integer({ min: -5, max: 5 }),
          run: fc.integer({ min: 1, max: 30 }),
          sleep: fc.oneof(fc.constant(0), fc.integer({ min: 1, max: 200 })),
        }),
        { minLength: 2, maxLength: 6 },
      ),
      (initialSleepAvg, threads) => {
        const o = make(initialSleepAvg);
        const slices = threads.reduce((a, t) => a + Math.ceil(o.timeslice(t.nice)), 0);
        const bound = 2 * (40 * threads.length + slices) + 2;
        expect(longestWait(o, threads, 4000)).toBeLessThanOrEqual(bound);
      },
    );
  }

  it("every thread is picked within 2·(ℓ·n + Σ slices) cycles of becoming ready, interactive sleepers or not", () => {
    // ℓ = 40 cycles (starvationLimit 400 ms at msCycles 0.1). An epoch is "old" after ℓ·n cycles;
    // from then on no whole slice enters the active array (newcomers, refills, interactive
    // re-inserts all go to the expired one) and a woken thread brings back only what is left of
    // a slice, so the active array empties within Σ slices more and the arrays swap (granularity
    // requeues add turns, not cycles). A thread that became ready waits at most the rest of this
    // epoch and the whole next one.
    fc.assert(
      wakeupBound(
        (initialSleepAvg) => new O1Policy({ msCycles: 0.1, starvationLimit: 400, initialSleepAvg }),
      ),
      { numRuns: 60 },
    );
  });

  it("the same property fails for an O(1) that keeps interactive threads in the active array while the run queue is starving", () => {
    // scheduler_tick without EXPIRED_STARVING: `if (!TASK_INTERACTIVE(p))` alone.
    class KeepsInteractive extends O1Policy {
      protected override charge(e: O1Entry | null, cycles: Cycles): boolean {
        const preempt = super.charge(e, cycles);
        if (
          e !== null &&
          e.refill === O1_REFILL_EXPIRE &&
          e.sleepAvg > 0 &&
          isInteractive(e.prio, e.staticPrio)
        )
          e.refill = O1_REFILL_KEEP;
        return preempt;
      }
    }
    const make = (initialSleepAvg: number) =>
      new KeepsInteractive({ msCycles: 0.1, starvationLimit: 400, initialSleepAvg });
    for (const seed of [1, 2, 3])
      expect(() => fc.assert(wakeupBound(make), { numRuns: 60, seed })).toThrow(/Counterexample/);
  });
});

describe("O(1): best_expired_prio, Linux's mark", () => {
  it("expiredStarving: the epoch's age against STARVATION_LIMIT × nr_running, or a better static prio waiting", () => {
    expect(expiredStarving(1999, 1000, 2, 120, 140)).toBe(false);
    expect(expiredStarving(2000, 1000, 2, 120, 140)).toBe(true); // one cycle sooner than Linux's + 1
    expect(expiredStarving(0, 1000, 2, 120, 115)).toBe(true); // a nice −5 thread waits in the expired array
    expect(expiredStarving(0, 1000, 2, 115, 115)).toBe(false); // an equal one does not count
  });

  // Linux 2.6.17–2.6.22 lowers best_expired_prio in one place, scheduler_tick, when a slice runs
  // out and the task goes to the expired array; sys_sched_yield's move there, __activate_task's
  // expired target and set_user_nice leave it alone, and the swap in schedule() resets it.
  it("a better nice for a thread in the expired array leaves the mark alone (set_user_nice does not touch best_expired_prio)", () => {
    const o = new O1Policy({ msCycles: 0.1 });
    o.admit(T0);
    o.enqueue(T0, "new");
    expect(o.pickNext()).toBe(T0);
    for (let c = 0; c < 4; c++) o.tick(T0, 2);
    expect(o.tick(T0, 2)).toBe(true); // 10-cycle slice spent: mark 120
    o.enqueue(T0, "preempted"); // expired array
    o.setParams(T0, { nice: -1 }); // static 119, still in the expired array; the mark stays 120
    o.checkInvariants();
    o.admit(T1); // static 120: not worse than the mark, and the epoch is young
    o.enqueue(T1, "new");
    expect(o.deferredArrivals).toBe(0);
    expect(o.starving(121)).toBe(true); // but a nice 1 newcomer is worse than the mark 120
  });

  it("a yielder sent to the expired array does not lower the mark (sys_sched_yield)", () => {
    const o = new O1Policy({ msCycles: 0.1 });
    o.admit(T0, { nice: -5 }); // static 115
    o.admit(T1); // static 120
    o.enqueue(T0, "new");
    o.enqueue(T1, "new");
    expect(o.pickNext()).toBe(T0);
    o.tick(T0, 1);
    o.enqueue(T0, "yielded"); // to the expired array, 49 cycles of its slice left
    expect(o.pickNext()).toBe(T1); // T0 waits in the expired array
    o.checkInvariants();
    expect(o.starving(120)).toBe(false); // the mark is still 140: nothing expired
    o.admit(T2);
    o.enqueue(T2, "new");
    expect(o.deferredArrivals).toBe(0);
  });

  it("a newcomer the starvation test defers does not lower the mark (__activate_task's expired target)", () => {
    // msCycles 1, STARVATION_LIMIT 10 cycles. T0 runs 25 cycles of its 100: the epoch is 25 old.
    const o = new O1Policy({ starvationLimit: 10 });
    o.admit(T0);
    o.enqueue(T0, "new");
    expect(o.pickNext()).toBe(T0);
    for (let c = 0; c < 25; c++) o.tick(T0, 1);
    o.admit(T1, { nice: -5 }); // nr_running 2: 25 ≥ 10 × 2, starving by age
    o.enqueue(T1, "new");
    expect(o.deferredArrivals).toBe(1);
    // nr_running would be 3 now: 25 < 30, so only the mark could say "starving"; it is 140.
    expect(o.starving(120)).toBe(false);
  });

  it("a slice that runs out on the tick its thread blocks still lowers the mark (scheduler_tick enqueued it before schedule() dequeued it)", () => {
    const o = new O1Policy({ msCycles: 0.1 });
    o.admit(T0, { nice: -5 }); // static 115, 50-cycle slice
    o.admit(T1);
    o.enqueue(T0, "new");
    o.enqueue(T1, "new");
    expect(o.pickNext()).toBe(T0);
    for (let c = 0; c < 49; c++) o.tick(T0, 1);
    expect(o.tick(T0, 1)).toBe(true); // slice out: best_expired_prio = 115
    o.descheduled(T0); // blocks on that tick: never queued in the expired array
    expect(o.starving(120)).toBe(true);
    o.admit(T2);
    o.enqueue(T2, "new");
    expect(o.deferredArrivals).toBe(1);
  });

  it("an interactive thread kept in the active array at its slice's end does not lower the mark", () => {
    const o = new O1Policy({ msCycles: 0.1, initialSleepAvg: 1000 }); // prio 110 at nice −5: interactive
    o.admit(T0, { nice: -5 });
    o.admit(T1);
    o.enqueue(T0, "new");
    o.enqueue(T1, "new");
    expect(o.pickNext()).toBe(T0);
    for (let c = 0; c < 49; c++) o.tick(T0, 1);
    expect(o.tick(T0, 1)).toBe(true);
    o.enqueue(T0, "preempted");
    expect(o.interactiveRequeues).toBe(1);
    expect(o.starving(120)).toBe(false);
  });

  it("the mark is not raised when the better thread leaves the expired array early: newcomers still defer until the swap, as in Linux", () => {
    const o = new O1Policy({ msCycles: 0.1 });
    o.admit(T0, { nice: -5 }); // static 115, 50-cycle slice
    o.admit(T1); // static 120
    o.enqueue(T0, "new");
    o.enqueue(T1, "new");
    expect(o.pickNext()).toBe(T0); // prio 120 vs 125
    for (let c = 0; c < 49; c++) o.tick(T0, 1);
    expect(o.tick(T0, 1)).toBe(true);
    o.enqueue(T0, "preempted"); // expired array: mark 115
    o.dequeue(T0); // suspended: it leaves the expired array
    o.admit(T2); // static 120 > mark 115
    o.enqueue(T2, "new");
    expect(o.deferredArrivals).toBe(1);
    expect(o.pickNext()).toBe(T1); // the active array: 1; the swap resets the mark
    o.descheduled(T1);
    expect(o.pickNext()).toBe(T2);
    expect(o.epochs).toBe(1);
    o.descheduled(T2);
    o.admit(threadId(3));
    o.enqueue(threadId(3), "new");
    expect(o.deferredArrivals).toBe(1); // mark reset: no deferral
  });
});

describe("O(1) interactivity end to end (simulate)", () => {
  it("an editor-like job that sleeps 50 ms per 1 ms of work waits far less beside CPU hogs with the bonus", () => {
    // msCycles 1: a time unit is a millisecond. Two hogs of 3 s and a job that runs 1 ms and
    // sleeps 50, 40 times. Its sleeps lift its prio above the hogs' (125 with no sleep credit), so
    // on each wake it preempts (TASK_PREEMPTS_CURR); without the bonus it waits behind whole
    // 100 ms slices at the same prio 120.
    const bursts = [1, ...Array.from({ length: 40 }, () => [50, 1]).flat()];
    const jobs = [
      { name: "hog1", length: 3000 },
      { name: "hog2", length: 3000 },
      { name: "ed", bursts },
    ];
    const waitOf = (interactivity: boolean) =>
      simulate(jobs, { policy: () => new O1Policy({ interactivity }), cpus: 1 }).jobs.find(
        (j) => j.name === "ed",
      )!.wait;
    const withBonus = waitOf(true);
    const without = waitOf(false);
    // With the bonus: 200 before its first run (all three start at prio 125, ed behind both hogs'
    // 100 ms slices), 150 at its first wake (sleep_avg 50: still 125, behind hog 2's slice); from
    // then on its sleeps and 30 % of that wait put it at ≤ 124 and it preempts a hog at each wake.
    expect(withBonus).toBe(350);
    // Without: about 110 ms at each of its 40 wakes.
    expect(without).toBe(4550);
  });
});
