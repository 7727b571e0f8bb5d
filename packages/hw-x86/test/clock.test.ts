import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { InvalidArgumentError } from "../src/errors.js";
import { Clock } from "../src/interrupts/clock.js";

describe("Clock", () => {
  it("fires each event at its exact cycle, with now equal to that cycle", () => {
    const clock = new Clock();
    const seen: [number, number][] = [];
    clock.schedule(120, (t) => seen.push([t, clock.now]));
    clock.schedule(150, (t) => seen.push([t, clock.now]));
    expect(clock.advance(100)).toBe(0);
    expect(clock.advance(50)).toBe(2);
    expect(seen).toEqual([
      [120, 120],
      [150, 150],
    ]);
    expect(clock.now).toBe(150);
  });

  it("fires events of the same cycle in scheduling order (determinism)", () => {
    const clock = new Clock();
    const order: string[] = [];
    clock.schedule(10, () => order.push("a"));
    clock.schedule(5, () => order.push("early"));
    clock.schedule(10, () => order.push("b"));
    clock.advance(10);
    expect(order).toEqual(["early", "a", "b"]);
  });

  it("fires events that callbacks schedule within the same advance", () => {
    const clock = new Clock();
    const at: number[] = [];
    const tick = (t: number) => {
      at.push(t);
      if (at.length < 4) clock.schedule(t + 7, tick);
    };
    clock.schedule(7, tick);
    clock.advance(100);
    expect(at).toEqual([7, 14, 21, 28]);
  });

  it("cancelled events never fire", () => {
    const clock = new Clock();
    let fired = false;
    const ev = clock.schedule(5, () => {
      fired = true;
    });
    expect(clock.cancel(ev)).toBe(true);
    expect(clock.cancel(ev)).toBe(false);
    clock.advance(10);
    expect(fired).toBe(false);
    expect(clock.pendingEvents).toBe(0);
    clock.checkInvariants();
  });

  it("skipToNextEvent jumps like HLT until the next interrupt", () => {
    const clock = new Clock();
    clock.schedule(1000, () => {});
    expect(clock.skipToNextEvent()).toBe(1);
    expect(clock.now).toBe(1000);
    expect(clock.skipToNextEvent()).toBe(0);
    expect(clock.now).toBe(1000);
  });

  it("refuses time travel and bad counts, unchanged", () => {
    const clock = new Clock();
    clock.advance(50);
    expect(() => clock.schedule(49, () => {})).toThrow(InvalidArgumentError);
    expect(() => clock.advance(-1)).toThrow(InvalidArgumentError);
    expect(() => clock.advance(1.5)).toThrow(InvalidArgumentError);
    expect(() => clock.advanceTo(10)).toThrow(/≥ now/);
    expect(() => clock.advance(Number.MAX_SAFE_INTEGER)).toThrow(InvalidArgumentError);
    expect(clock.now).toBe(50);
    expect(clock.pendingEvents).toBe(0);
  });

  it("refuses a re-entrant advance from a callback", () => {
    const clock = new Clock();
    clock.schedule(1, () => clock.advance(1));
    expect(() => clock.advance(5)).toThrow(/re-entrant/);
  });

  it("property: fires exactly the live events due, in (cycle, order) order, like a sorted list", () => {
    fc.assert(
      fc.property(
        fc.array(
          fc.oneof(
            fc.record({ op: fc.constant("schedule" as const), delay: fc.nat({ max: 50 }) }),
            fc.record({ op: fc.constant("cancel" as const), index: fc.nat() }),
            fc.record({ op: fc.constant("advance" as const), cycles: fc.nat({ max: 40 }) }),
          ),
          { maxLength: 60 },
        ),
        (ops) => {
          const clock = new Clock();
          const naive: { at: number; id: number; live: boolean }[] = [];
          const handles: ReturnType<Clock["schedule"]>[] = [];
          const fired: number[] = [];
          let now = 0;
          for (const op of ops) {
            if (op.op === "schedule") {
              const id = naive.length;
              naive.push({ at: now + op.delay, id, live: true });
              handles.push(clock.schedule(now + op.delay, () => fired.push(id)));
            } else if (op.op === "cancel" && naive.length > 0) {
              const k = op.index % naive.length;
              expect(clock.cancel(handles[k]!)).toBe(naive[k]!.live);
              naive[k]!.live = false;
            } else if (op.op === "advance") {
              const target = now + op.cycles;
              const due = naive
                .filter((e) => e.live && e.at <= target)
                .sort((a, b) => a.at - b.at || a.id - b.id);
              for (const e of due) e.live = false;
              const before = fired.length;
              expect(clock.advance(op.cycles)).toBe(due.length);
              expect(fired.slice(before)).toEqual(due.map((e) => e.id));
              now = target;
            }
            clock.checkInvariants();
            expect(clock.pendingEvents).toBe(naive.filter((e) => e.live).length);
          }
        },
      ),
      { numRuns: 200 },
    );
  });
});
