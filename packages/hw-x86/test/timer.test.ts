import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { InvalidArgumentError } from "../src/errors.js";
import { type InterruptTraceEvent, irqLine } from "../src/interrupts/api.js";
import { Apic } from "../src/interrupts/apic.js";
import { Clock } from "../src/interrupts/clock.js";
import { InterruptStateError } from "../src/interrupts/errors.js";
import { Timer, type TimerMode } from "../src/interrupts/timer.js";

/** A line that records the cycle of every rising edge. */
function recorder(clock: Clock) {
  const edges: number[] = [];
  return { edges, line: { raise: () => edges.push(clock.now), lower: () => {} } };
}

describe("Timer (SDM Vol. 3A 10.5.4)", () => {
  it("one-shot: fires once, exactly count × divide cycles after the write, then reads 0", () => {
    const clock = new Clock();
    const r = recorder(clock);
    const timer = new Timer(clock, r.line, { divide: 8 });
    clock.advance(3);
    timer.startOneShot(10);
    expect(timer.nextExpiry()).toBe(83);
    clock.advance(79);
    expect(r.edges).toEqual([]);
    expect(timer.currentCount()).toBe(1); // 79 cycles = 9 ticks of 8
    clock.advance(1);
    expect(r.edges).toEqual([83]);
    clock.advance(1000);
    expect(r.edges).toEqual([83]);
    expect(timer.currentCount()).toBe(0);
    expect(timer.armed).toBe(false);
    timer.checkInvariants();
  });

  it("periodic: fires at start + k · count · divide and reloads", () => {
    const clock = new Clock();
    const r = recorder(clock);
    const timer = new Timer(clock, r.line, { divide: 4 });
    clock.advance(100);
    timer.startPeriodic(3);
    clock.advance(40);
    expect(r.edges).toEqual([112, 124, 136]);
    expect(timer.currentCount()).toBe(2); // 140 is one tick into the period started at 136
    expect(timer.expirations).toBe(3);
  });

  it("the documented example: divide 4, count 250, 2500 cycles → 2 expiries, count 125", () => {
    const clock = new Clock();
    const timer = new Timer(clock, recorder(clock).line, { divide: 4 });
    timer.startPeriodic(250);
    clock.advance(2500);
    expect(timer.expirations).toBe(2);
    expect(timer.currentCount()).toBe(125);
  });

  it("writing an initial count of 0 stops the timer", () => {
    const clock = new Clock();
    const r = recorder(clock);
    const timer = new Timer(clock, r.line);
    timer.startPeriodic(10);
    clock.advance(15);
    timer.writeInitialCount(0);
    clock.advance(100);
    expect(r.edges).toEqual([10]);
    expect(clock.pendingEvents).toBe(0);
  });

  it("SDM 10.5.4.1 TSC-deadline: fires when the TSC reaches the deadline, then reads 0", () => {
    const clock = new Clock();
    const r = recorder(clock);
    const timer = new Timer(clock, r.line, { mode: "tsc-deadline" });
    timer.writeDeadline(500);
    clock.advance(499);
    expect(r.edges).toEqual([]);
    clock.advance(1);
    expect(r.edges).toEqual([500]);
    expect(timer.deadline).toBe(0);
  });

  it("SDM 10.5.4.1: a deadline in the past fires at once; 0 disarms", () => {
    const clock = new Clock();
    const r = recorder(clock);
    const timer = new Timer(clock, r.line, { mode: "tsc-deadline" });
    clock.advance(1000);
    timer.writeDeadline(10);
    clock.advance(0);
    expect(r.edges).toEqual([1000]);
    timer.writeDeadline(2000);
    timer.writeDeadline(0);
    clock.advance(5000);
    expect(r.edges).toEqual([1000]);
  });

  it("changing mode disarms the timer", () => {
    const clock = new Clock();
    const r = recorder(clock);
    const timer = new Timer(clock, r.line);
    timer.startPeriodic(5);
    timer.setMode("tsc-deadline");
    clock.advance(50);
    expect(r.edges).toEqual([]);
    expect(timer.armed).toBe(false);
  });

  it("drives an APIC line: each expiry is one edge, delivered by vector", () => {
    const clock = new Clock();
    const apic = new Apic();
    apic.route(0, { vector: 0xec, masked: false });
    const timer = new Timer(clock, irqLine(apic, 0));
    timer.startPeriodic(100);
    clock.advance(100);
    expect(apic.acknowledge()).toBe(0xec);
    apic.eoi();
    clock.advance(50);
    expect(apic.peek()).toBeNull();
    clock.advance(50);
    expect(apic.peek()).toBe(0xec);
  });

  it("changing the divide mid-count keeps the remaining ticks at the new rate (the documented choice)", () => {
    const clock = new Clock();
    const r = recorder(clock);
    const timer = new Timer(clock, r.line, { divide: 4 });
    timer.startPeriodic(10);
    clock.advance(9); // 2 ticks done, 8 remain
    timer.setDivide(2);
    expect(timer.currentCount()).toBe(8);
    expect(timer.nextExpiry()).toBe(25);
    clock.advance(16 + 20);
    expect(r.edges).toEqual([25, 45]); // then whole periods of 10 · 2 cycles
    timer.checkInvariants();
  });

  it("traces each expiry with its cycle and mode", () => {
    const clock = new Clock();
    const events: InterruptTraceEvent[] = [];
    const timer = new Timer(clock, recorder(clock).line, { tracer: { emit: (e) => events.push(e) } });
    timer.startPeriodic(7);
    clock.advance(14);
    expect(events).toEqual([
      { type: "timer.expire", cycle: 7, mode: "periodic" },
      { type: "timer.expire", cycle: 14, mode: "periodic" },
    ]);
  });

  it("refuses bad values and mode confusion, unchanged", () => {
    const clock = new Clock();
    expect(() => new Timer(clock, recorder(clock).line, { divide: 3 })).toThrow(InvalidArgumentError);
    const timer = new Timer(clock, recorder(clock).line);
    timer.startOneShot(100);
    expect(() => timer.writeInitialCount(-1)).toThrow(InvalidArgumentError);
    expect(() => timer.writeInitialCount(2 ** 32)).toThrow(/32-bit/);
    expect(() => timer.writeDeadline(50)).toThrow(InterruptStateError);
    expect(() => timer.setMode("sometimes" as TimerMode)).toThrow(InvalidArgumentError);
    expect(timer.nextExpiry()).toBe(100);
    expect(timer.divide).toBe(1);
    timer.setMode("tsc-deadline");
    expect(() => timer.writeInitialCount(5)).toThrow(InterruptStateError);
    timer.checkInvariants();
  });

  it("property: expiries match a naive cycle-by-cycle model of the counter", () => {
    type Op =
      | { kind: "oneshot" | "periodic"; count: number }
      | { kind: "deadline"; at: number }
      | { kind: "advance"; cycles: number }
      | { kind: "divide"; divide: number }
      | { kind: "stop" };
    const op: fc.Arbitrary<Op> = fc.oneof(
      fc.record({
        kind: fc.constantFrom("oneshot" as const, "periodic" as const),
        count: fc.integer({ min: 1, max: 12 }),
      }),
      fc.record({ kind: fc.constant("deadline" as const), at: fc.nat({ max: 200 }) }),
      fc.record({ kind: fc.constant("advance" as const), cycles: fc.nat({ max: 60 }) }),
      fc.record({ kind: fc.constant("stop" as const) }),
      fc.record({ kind: fc.constant("divide" as const), divide: fc.constantFrom(1, 2, 4, 8) }),
    );
    fc.assert(
      fc.property(fc.constantFrom(1, 2, 4), fc.array(op, { maxLength: 30 }), (initialDivide, ops) => {
        let divide: number = initialDivide;
        const clock = new Clock();
        const r = recorder(clock);
        const timer = new Timer(clock, r.line, { divide });
        // Naive model: a counter decremented once every `divide` cycles, stepped one cycle at a time.
        let now = 0;
        let mode: TimerMode = "one-shot";
        let counting = false;
        let count = 0;
        let initial = 0;
        let sub = 0;
        let deadline = 0;
        const edges: number[] = [];
        const fireDeadline = () => {
          if (mode === "tsc-deadline" && deadline !== 0 && now >= deadline) {
            edges.push(now);
            deadline = 0;
          }
        };
        for (const o of ops) {
          if (o.kind === "oneshot" || o.kind === "periodic") {
            const m: TimerMode = o.kind === "oneshot" ? "one-shot" : "periodic";
            if (m !== mode) deadline = 0;
            mode = m;
            initial = count = o.count;
            sub = 0;
            counting = true;
            timer.setMode(m);
            timer.writeInitialCount(o.count);
          } else if (o.kind === "deadline") {
            if (mode !== "tsc-deadline") counting = false;
            mode = "tsc-deadline";
            timer.setMode("tsc-deadline");
            deadline = o.at;
            timer.writeDeadline(o.at);
          } else if (o.kind === "divide") {
            // A partly elapsed tick is dropped when the rate changes; the remaining ticks stay.
            if (o.divide !== divide) sub = 0;
            divide = o.divide;
            timer.setDivide(o.divide);
          } else if (o.kind === "stop") {
            counting = false;
            deadline = 0;
            timer.stop();
          } else if (o.kind === "advance") {
            fireDeadline(); // a past deadline fires on the next step, even advance(0)
            for (let c = 0; c < o.cycles; c++) {
              now++;
              if (counting && mode !== "tsc-deadline" && ++sub === divide) {
                sub = 0;
                if (--count === 0) {
                  edges.push(now);
                  if (mode === "periodic") count = initial;
                  else counting = false;
                }
              }
              fireDeadline();
            }
            clock.advance(o.cycles);
            expect(clock.now).toBe(now);
            expect(timer.currentCount()).toBe(counting && mode !== "tsc-deadline" ? count : 0);
          }
          timer.checkInvariants();
          clock.checkInvariants();
        }
        expect(r.edges).toEqual(edges);
      }),
      { numRuns: 150 },
    );
  });
});
