// End-to-end tests of condition variables: wakeup counts, no lost wakeups, timed waits.
import { compute, Errno, libc, mem } from "@osbricks/kernel";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import {
  CondLayout,
  checkCond,
  condBroadcast,
  condDestroy,
  condSignal,
  condTimedWait,
  condWait,
  MutexKind,
  mutexInit,
  mutexLock,
  mutexUnlock,
  now,
  type Pthread,
} from "../src/index.js";
import { boot, settle, spinUntil } from "./boot.js";

describe("condition variables", () => {
  for (const cpus of [1, 2]) {
    it(`signal wakes at most one waiter, broadcast wakes all (5 waiters, ${cpus} CPU)`, () => {
      const woke: number[] = [];
      let waiting = 0;
      const b = boot(
        function* (self) {
          const m = yield* libc.sbrk(64);
          const c = m + 32;
          const ts: number[] = [];
          for (let i = 0; i < 5; i++) {
            const r = yield* self.create(function* (t, id) {
              yield* mutexLock(t, m);
              waiting++;
              yield* condWait(t, c, m);
              woke.push(id);
              yield* mutexUnlock(t, m);
              return 0;
            }, i);
            ts.push(r.thread);
          }
          yield* spinUntil(self, () => waiting === 5);
          yield* settle(self, 50);
          const counts: number[] = [];
          yield* condSignal(c);
          yield* settle(self, 50);
          counts.push(woke.length);
          yield* condSignal(c);
          yield* settle(self, 50);
          counts.push(woke.length);
          yield* condBroadcast(c);
          for (const t of ts) yield* self.join(t);
          counts.push(woke.length);
          checkCond({
            totalSeq: yield* mem.load32(c + CondLayout.TOTAL_SEQ),
            wakeupSeq: yield* mem.load32(c + CondLayout.WAKEUP_SEQ),
            wokenSeq: yield* mem.load32(c + CondLayout.WOKEN_SEQ),
            nwaiters: yield* mem.load32(c + CondLayout.NWAITERS),
          });
          return counts[0] === 1 && counts[1] === 2 && counts[2] === 5 ? 0 : 1;
        },
        { cpus },
      );
      expect(b.kernel.crashes).toEqual([]);
      expect(b.status).toBe(0);
      expect([...woke].sort()).toEqual([0, 1, 2, 3, 4]);
    });
  }

  it("property: with n waiters asleep, k signals wake exactly min(k, n), and a broadcast then wakes the rest", () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 4 }), fc.integer({ min: 0, max: 6 }), (n, k) => {
        let waiting = 0;
        let woke = 0;
        const counts: number[] = [];
        const b = boot(function* (self) {
          const m = yield* libc.sbrk(64);
          const c = m + 32;
          const ts: number[] = [];
          for (let i = 0; i < n; i++) {
            const r = yield* self.create(function* (t) {
              yield* mutexLock(t, m);
              waiting++;
              yield* condWait(t, c, m);
              woke++;
              yield* mutexUnlock(t, m);
              return 0;
            });
            ts.push(r.thread);
          }
          yield* spinUntil(self, () => waiting === n);
          yield* settle(self, 10);
          for (let i = 0; i < k; i++) {
            yield* condSignal(c);
            yield* settle(self, 10);
            counts.push(woke);
          }
          yield* condBroadcast(c);
          for (const t of ts) yield* self.join(t);
          counts.push(woke);
          return 0;
        });
        expect(b.status).toBe(0);
        const expected = [...Array.from({ length: k }, (_, i) => Math.min(i + 1, n)), n];
        expect(counts).toEqual(expected);
      }),
      { numRuns: 50 },
    );
  });

  it("a signal with nobody waiting is not remembered (no wakeup for a later waiter)", () => {
    let result = -1;
    const b = boot(function* (self) {
      const m = yield* libc.sbrk(64);
      const c = m + 32;
      yield* condSignal(c);
      yield* condBroadcast(c);
      yield* mutexLock(self, m);
      const deadline = (yield* now()) + 20_000;
      result = yield* condTimedWait(self, c, m, deadline);
      yield* mutexUnlock(self, m);
      return 0;
    });
    expect(b.status).toBe(0);
    expect(result).toBe(Errno.ETIMEDOUT);
  });

  it("timed wait: ETIMEDOUT after the deadline with the mutex held again; 0 when signalled in time", () => {
    const out: number[] = [];
    const b = boot(
      function* (self) {
        const m = yield* libc.sbrk(64);
        const c = m + 32;
        yield* mutexInit(m, MutexKind.ERRORCHECK);
        yield* mutexLock(self, m);
        const t0 = yield* now();
        out.push(yield* condTimedWait(self, c, m, t0 + 30_000));
        out.push((yield* now()) >= t0 + 30_000 ? 1 : 0);
        out.push(yield* mutexLock(self, m)); // EDEADLK: we hold it again
        const { thread } = yield* self.create(function* (t) {
          yield* compute(5_000);
          yield* mutexLock(t, m);
          yield* condSignal(c);
          yield* mutexUnlock(t, m);
          return 0;
        });
        const t1 = yield* now();
        out.push(yield* condTimedWait(self, c, m, t1 + 10_000_000));
        out.push((yield* now()) < t1 + 10_000_000 ? 1 : 0);
        yield* mutexUnlock(self, m);
        yield* self.join(thread);
        out.push(yield* condDestroy(c));
        return 0;
      },
      { cpus: 2 },
    );
    expect(b.kernel.crashes).toEqual([]);
    expect(b.status).toBe(0);
    expect(out).toEqual([Errno.ETIMEDOUT, 1, Errno.EDEADLK, 0, 1, 0]);
  });

  it("wait with an ERRORCHECK mutex the caller does not hold is EPERM, and nothing is queued", () => {
    let err = -1;
    let total = -1;
    const b = boot(function* (self) {
      const m = yield* libc.sbrk(64);
      const c = m + 32;
      yield* mutexInit(m, MutexKind.ERRORCHECK);
      err = yield* condWait(self, c, m);
      total = yield* mem.load32(c + CondLayout.TOTAL_SEQ);
      return 0;
    });
    expect(b.status).toBe(0);
    expect(err).toBe(Errno.EPERM);
    expect(total).toBe(0);
  });

  for (const [cpus, tick] of [
    [1, 1000],
    [2, 700],
    [3, 1300],
  ] as const) {
    it(`no lost wakeups: bounded buffer, 2 producers and 2 consumers, 300 items (${cpus} CPUs, tick ${tick})`, () => {
      let sum = 0;
      const b = boot(
        function* (self) {
          // Buffer of 4 slots: [m 16][notFull 32][notEmpty 32][count][head][tail][slots...]
          const base = yield* libc.sbrk(256);
          const m = base;
          const notFull = base + 32;
          const notEmpty = base + 64;
          const count = base + 96;
          const head = base + 100;
          const tail = base + 104;
          const slots = base + 128;
          const N = 4;
          const producer = function* (t: Pthread, first: number) {
            for (let i = 0; i < 150; i++) {
              yield* mutexLock(t, m);
              while ((yield* mem.load32(count)) === N) yield* condWait(t, notFull, m);
              const tl = yield* mem.load32(tail);
              yield* mem.store32(slots + 4 * tl, first + i);
              yield* mem.store32(tail, (tl + 1) % N);
              yield* mem.store32(count, (yield* mem.load32(count)) + 1);
              yield* condSignal(notEmpty);
              yield* mutexUnlock(t, m);
              yield* compute(13 * (i % 7));
            }
            return 0;
          };
          const consumer = function* (t: Pthread) {
            let got = 0;
            for (let i = 0; i < 150; i++) {
              yield* mutexLock(t, m);
              while ((yield* mem.load32(count)) === 0) yield* condWait(t, notEmpty, m);
              const h = yield* mem.load32(head);
              got += yield* mem.load32(slots + 4 * h);
              yield* mem.store32(head, (h + 1) % N);
              yield* mem.store32(count, (yield* mem.load32(count)) - 1);
              yield* condSignal(notFull);
              yield* mutexUnlock(t, m);
              yield* compute(11 * (i % 5));
            }
            return got;
          };
          const ps = [yield* self.create(producer, 0), yield* self.create(producer, 1000)];
          const cs = [yield* self.create(consumer), yield* self.create(consumer)];
          for (const p of ps) yield* self.join(p.thread);
          for (const c of cs) sum += (yield* self.join(c.thread)).value;
          return 0;
        },
        { cpus, tick },
      );
      expect(b.kernel.crashes).toEqual([]);
      expect(b.run.outcome).toBe("all-exited"); // a lost wakeup would end in "deadlock"
      expect(b.status).toBe(0);
      // 0..149 + 1000..1149
      expect(sum).toBe(149 * 75 + (1000 * 150 + 149 * 75));
    });
  }

  it("checkCond rejects counters out of order", () => {
    expect(() => checkCond({ totalSeq: 3, wakeupSeq: 2, wokenSeq: 3, nwaiters: 0 })).toThrow(
      /taken than granted/,
    );
    expect(() => checkCond({ totalSeq: 3, wakeupSeq: 4, wokenSeq: 3, nwaiters: 0 })).toThrow(
      /granted than waits/,
    );
    expect(() => checkCond({ totalSeq: 5, wakeupSeq: 4, wokenSeq: 3, nwaiters: 2 })).not.toThrow();
  });
});
