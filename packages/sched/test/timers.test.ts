import fc from "fast-check";
import { describe, expect, it } from "vitest";
import {
  DuplicateThreadError,
  InvalidArgumentError,
  ManualClock,
  TimerQueue,
  threadId,
  UnknownThreadError,
} from "../src/index.js";

describe("TimerQueue", () => {
  it("fires by deadline, then arming order, like a sorted list (property)", () => {
    fc.assert(
      fc.property(
        fc.array(
          fc.oneof(
            fc.record({ arm: fc.nat(15), at: fc.nat(50) }),
            fc.record({ cancel: fc.nat(15) }),
            fc.record({ expire: fc.nat(60) }),
          ),
          { maxLength: 100 },
        ),
        (ops) => {
          const tq = new TimerQueue();
          const model: Array<{ tid: number; at: number; seq: number }> = [];
          let seq = 0;
          for (const o of ops) {
            if ("arm" in o) {
              if (model.some((m) => m.tid === o.arm)) {
                expect(() => tq.arm(threadId(o.arm), o.at)).toThrow(DuplicateThreadError);
              } else {
                tq.arm(threadId(o.arm), o.at);
                model.push({ tid: o.arm, at: o.at, seq: seq++ });
              }
            } else if ("cancel" in o) {
              const i = model.findIndex((m) => m.tid === o.cancel);
              if (i < 0) expect(() => tq.cancel(threadId(o.cancel))).toThrow(UnknownThreadError);
              else {
                tq.cancel(threadId(o.cancel));
                model.splice(i, 1);
              }
            } else {
              model.sort((a, b) => a.at - b.at || a.seq - b.seq);
              const due = model.filter((m) => m.at <= o.expire);
              expect(tq.expire(o.expire)).toEqual(due.map((m) => m.tid));
              model.splice(0, due.length);
            }
            tq.checkInvariants();
            expect(tq.size).toBe(model.length);
          }
        },
      ),
      { numRuns: 100 },
    );
  });

  it("rejects negative and infinite deadlines without arming", () => {
    const tq = new TimerQueue();
    expect(() => tq.arm(threadId(1), -1)).toThrow(InvalidArgumentError);
    expect(() => tq.arm(threadId(1), Number.POSITIVE_INFINITY)).toThrow(InvalidArgumentError);
    expect(tq.has(threadId(1))).toBe(false);
  });

  it("ManualClock only moves forward", () => {
    const c = new ManualClock(5);
    expect(c.advance(10)).toBe(15);
    expect(() => c.advance(-1)).toThrow(InvalidArgumentError);
    expect(c.now()).toBe(15);
  });
});
