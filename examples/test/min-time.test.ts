// The non-canonical read's MIN/TIME rule (src/lunaix/min-time.ts; POSIX 11.1.7, Linux's
// n_tty_read) on its own: the four cases by worked numbers, and the bound the kernel's timed
// read wait relies on — a read not ready now has a deadline after now, and is ready at it.
import { Cc, Termios } from "@osbricks/kernel";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { minTimeDeadline, minTimeReady, type RawQueue, TIME_UNIT_CYCLES } from "../src/lunaix/min-time.js";

const T = TIME_UNIT_CYCLES;

function modes(vmin: number, vtime: number): Termios {
  const m = new Termios();
  m.cc[Cc.VMIN] = vmin;
  m.cc[Cc.VTIME] = vtime;
  return m;
}
const queue = (queued: number, lastByteAt = 0, hungUp = false): RawQueue => ({ queued, lastByteAt, hungUp });

describe("MIN/TIME by worked numbers", () => {
  it("MIN 3, TIME 0: ready at min(MIN, max) bytes, never by time", () => {
    expect(minTimeReady(modes(3, 0), 10, 100 * T, 0, queue(2))).toBe(false);
    expect(minTimeReady(modes(3, 0), 2, 0, 0, queue(2))).toBe(true); // asked for fewer than MIN
    expect(minTimeDeadline(modes(3, 0), 0, queue(2))).toBe(Number.POSITIVE_INFINITY);
  });

  it("MIN 0, TIME 1: the read timer runs from the read's start, whatever arrives", () => {
    expect(minTimeReady(modes(0, 1), 10, T - 1, 0, queue(0))).toBe(false);
    expect(minTimeReady(modes(0, 1), 10, T, 0, queue(0))).toBe(true);
    expect(minTimeDeadline(modes(0, 1), 5, queue(0))).toBe(5 + T);
  });

  it("MIN 2, TIME 1: no timer before the first byte; then TIME after the later of the last byte and the start", () => {
    expect(minTimeDeadline(modes(2, 1), 50, queue(0))).toBe(Number.POSITIVE_INFINITY);
    expect(minTimeDeadline(modes(2, 1), 50, queue(1, 10))).toBe(50 + T); // there before the read
    expect(minTimeDeadline(modes(2, 1), 50, queue(1, 70))).toBe(70 + T);
    expect(minTimeReady(modes(2, 1), 10, 70 + T, 50, queue(1, 70))).toBe(true);
  });

  it("after a hang-up a read is ready at once, with whatever is there", () => {
    expect(minTimeReady(modes(5, 0), 10, 0, 0, queue(0, 0, true))).toBe(true);
  });
});

describe("the bound the kernel's timed wait relies on", () => {
  it("not ready at now ⇒ the deadline is after now, and at a finite deadline the read is ready", () => {
    fc.assert(
      fc.property(
        fc.nat(3),
        fc.nat(3),
        fc.integer({ min: 1, max: 8 }),
        fc.nat(6),
        fc.nat(5 * T),
        fc.nat(5 * T),
        fc.nat(5 * T),
        (vmin, vtime, max, queued, since, waited, gap) => {
          // The read began at `since`; bytes (if any) came at or before `now`.
          const now = since + waited;
          const last = queued === 0 ? 0 : Math.max(0, now - gap);
          const m = modes(vmin, vtime);
          const q = queue(queued, last);
          if (minTimeReady(m, max, now, since, q)) return;
          const d = minTimeDeadline(m, since, q);
          expect(d).toBeGreaterThan(now);
          if (d !== Number.POSITIVE_INFINITY) expect(minTimeReady(m, max, d, since, q)).toBe(true);
        },
      ),
      { numRuns: 300 },
    );
  });
});
