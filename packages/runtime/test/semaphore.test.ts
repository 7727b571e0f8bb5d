// End-to-end tests of POSIX semaphores (sem_*): the word layout with its worked numbers, every
// error POSIX names, blocking and waking, timed waits, signals as Linux treats them, a semaphore
// shared across fork, and the bounded buffer of OSTEP fig. 31.12.
import {
  compute,
  Errno,
  libc,
  mem,
  SaFlags,
  Sig,
  SigHow,
  posixStubs as sys,
  type UserCode,
} from "@osbricks/kernel";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import {
  checkSemaphore,
  mutexLock,
  mutexUnlock,
  now,
  type Pthread,
  SEM_VALUE_MAX,
  SemLayout,
  semDestroy,
  semGetValue,
  semInit,
  semPost,
  semTimedWait,
  semTryWait,
  semWait,
  timespecAt,
} from "../src/index.js";
import { boot, settle, spinUntil } from "./boot.js";

/** The three words of a semaphore, read by a thread of the program. */
function* words(sem: number): UserCode<[number, number, number]> {
  return [
    yield* mem.load32(sem + SemLayout.VALUE),
    yield* mem.load32(sem + SemLayout.NWAITERS),
    yield* mem.load32(sem + SemLayout.PSHARED),
  ];
}

/** Run `main` to the end on a fresh kernel and expect it to exit 0 with every thread gone. */
function expectRuns(main: (self: Pthread) => UserCode<unknown>, cpus = 1): void {
  const b = boot(main, { cpus });
  expect(b.kernel.crashes.map((c) => c.message)).toEqual([]);
  expect(b.run.outcome).toBe("all-exited");
  expect(b.status).toBe(0);
}

describe("semaphores: the value word", () => {
  it("holds value << 1 | W: 3 tokens are 0x6; init refuses values outside 0..SEM_VALUE_MAX (EINVAL)", () => {
    const seen: unknown[] = [];
    expectRuns(function* () {
      const sem = yield* libc.sbrk(SemLayout.SIZE);
      seen.push(
        yield* semInit(sem, 0, -1),
        yield* semInit(sem, 0, SEM_VALUE_MAX + 1),
        yield* semInit(sem, 0, 1.5),
      );
      seen.push(yield* semInit(sem, 0, 3), yield* words(sem), yield* semGetValue(sem));
      seen.push(yield* semInit(sem, 1, SEM_VALUE_MAX), yield* words(sem));
      return 0;
    });
    expect(seen).toEqual([
      Errno.EINVAL,
      Errno.EINVAL,
      Errno.EINVAL,
      0,
      [0x6, 0, 0],
      3,
      0,
      [0xffff_fffe, 0, 1],
    ]);
  });

  it("trywait takes a token while there is one, then fails with EAGAIN and leaves the word alone", () => {
    const seen: unknown[] = [];
    expectRuns(function* () {
      const sem = yield* libc.sbrk(SemLayout.SIZE);
      yield* semInit(sem, 0, 2);
      for (let i = 0; i < 3; i++) seen.push(yield* semTryWait(sem));
      seen.push(yield* words(sem));
      return 0;
    });
    expect(seen).toEqual([0, 0, Errno.EAGAIN, [0, 0, 0]]);
  });

  it("post at SEM_VALUE_MAX is EOVERFLOW and changes nothing; one below it reaches it", () => {
    const seen: unknown[] = [];
    expectRuns(function* () {
      const sem = yield* libc.sbrk(SemLayout.SIZE);
      yield* semInit(sem, 0, SEM_VALUE_MAX - 1);
      seen.push(yield* semPost(sem), yield* semGetValue(sem));
      seen.push(yield* semPost(sem), yield* words(sem));
      return 0;
    });
    expect(seen).toEqual([0, SEM_VALUE_MAX, Errno.EOVERFLOW, [0xffff_fffe, 0, 0]]);
  });

  it("uncontended wait and post never set W, so post makes no FUTEX_WAKE", () => {
    const seen: unknown[] = [];
    expectRuns(function* () {
      const sem = yield* libc.sbrk(SemLayout.SIZE);
      yield* semInit(sem, 0, 1);
      for (let i = 0; i < 5; i++) {
        seen.push(yield* semWait(sem));
        yield* semPost(sem);
      }
      seen.push(yield* words(sem));
      return 0;
    });
    expect(seen).toEqual([0, 0, 0, 0, 0, [0x2, 0, 0]]);
  });

  it("a sleeper waits on 0x1 (no token, W set, one registered); the post makes it 0x3 and wakes it", () => {
    const seen: unknown[] = [];
    let asleep = false;
    expectRuns(function* (self) {
      const sem = yield* libc.sbrk(SemLayout.SIZE);
      yield* semInit(sem, 0, 0);
      const t = yield* self.create(function* () {
        asleep = true;
        return yield* semWait(sem);
      });
      yield* spinUntil(self, () => asleep);
      yield* settle(self, 30);
      seen.push(yield* words(sem), yield* semDestroy(sem));
      yield* semPost(sem);
      seen.push((yield* self.join(t.thread)).value, yield* words(sem), yield* semDestroy(sem));
      return 0;
    });
    // W stays set after the last waiter leaves only if it misguessed; alone, it clears W.
    expect(seen).toEqual([[0x1, 1, 0], Errno.EBUSY, 0, [0x0, 0, 0], 0]);
  });

  it("no lost post: N posters and N waiters, K posts each, on 1–3 CPUs; the books balance after every run", () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 4 }),
        fc.integer({ min: 1, max: 8 }),
        fc.integer({ min: 1, max: 3 }),
        fc.integer({ min: 1, max: 1000 }),
        (n, k, cpus, seed) => {
          let waited = 0;
          const b = boot(
            function* (self) {
              const sem = yield* libc.sbrk(SemLayout.SIZE);
              yield* semInit(sem, 0, 0);
              const ts: number[] = [];
              for (let i = 0; i < n; i++) {
                ts.push(
                  (yield* self.create(function* () {
                    for (let j = 0; j < k; j++) if ((yield* semWait(sem)) === 0) waited++;
                    return 0;
                  })).thread,
                );
                ts.push(
                  (yield* self.create(function* (_t, salt) {
                    for (let j = 0; j < k; j++) {
                      yield* compute(((j * 37 + salt) % 5) * 40);
                      yield* semPost(sem);
                    }
                    return 0;
                  }, i)).thread,
                );
              }
              for (const t of ts) yield* self.join(t);
              const [word, nwaiters, pshared] = yield* words(sem);
              checkSemaphore({ word, nwaiters, pshared }, 0);
              return word >>> 1;
            },
            { cpus, tick: 100 + (seed % 7) * 50, seed },
          );
          expect(b.run.outcome).toBe("all-exited");
          expect(waited).toBe(n * k);
          expect(b.status).toBe(0); // the value is 0 again
        },
      ),
      { numRuns: 50 },
    );
  });
});

describe("semaphores: a model run (one thread, every call that cannot block)", () => {
  type Op = "post" | "trywait" | "getvalue" | "timedwait-past" | "destroy";
  it("every result and every word match a plain counter, and checkSemaphore holds after each step", () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 0, max: 3 }),
        fc.array(fc.constantFrom<Op>("post", "trywait", "getvalue", "timedwait-past", "destroy"), {
          minLength: 1,
          maxLength: 30,
        }),
        (initial, ops) => {
          const got: unknown[] = [];
          expectRuns(function* () {
            const sem = yield* libc.sbrk(SemLayout.SIZE);
            yield* semInit(sem, 0, initial);
            for (const op of ops) {
              let r: number;
              if (op === "post") r = yield* semPost(sem);
              else if (op === "trywait") r = yield* semTryWait(sem);
              else if (op === "getvalue") r = yield* semGetValue(sem);
              else if (op === "timedwait-past") r = yield* semTimedWait(sem, { sec: 0, nsec: 0 });
              else r = yield* semDestroy(sem);
              const [word, nwaiters, pshared] = yield* words(sem);
              checkSemaphore({ word, nwaiters, pshared }, 0);
              got.push([r, word]);
            }
            return 0;
          });
          // The model: a counter; alone, a thread never sets W, so the word is exactly value << 1.
          let v = initial;
          const want = ops.map((op) => {
            let r = 0;
            if (op === "post") v++;
            else if (op === "trywait" || op === "timedwait-past") {
              if (v === 0) r = op === "trywait" ? Errno.EAGAIN : Errno.ETIMEDOUT;
              else v--;
            } else if (op === "getvalue") r = v;
            return [r, v * 2];
          });
          expect(got).toEqual(want);
        },
      ),
      { numRuns: 50 },
    );
  });
});

describe("semaphores: timed waits", () => {
  it("sem_timedwait: ETIMEDOUT at the deadline, 0 when posted in time, at once past a deadline", () => {
    const seen: unknown[] = [];
    let late = -1;
    expectRuns(function* (self) {
      const sem = yield* libc.sbrk(SemLayout.SIZE);
      yield* semInit(sem, 0, 0);
      const t0 = yield* now();
      seen.push(yield* semTimedWait(sem, timespecAt(t0 + 30_000)));
      late = (yield* now()) - (t0 + 30_000);
      seen.push(yield* words(sem));
      seen.push(yield* semTimedWait(sem, timespecAt(t0))); // already past: no sleep
      seen.push(yield* semTimedWait(sem, { sec: -1, nsec: 0 }));
      const t = yield* self.create(function* () {
        yield* compute(5_000);
        return yield* semPost(sem);
      });
      seen.push(yield* semTimedWait(sem, timespecAt((yield* now()) + 10_000_000)));
      yield* self.join(t.thread);
      return 0;
    });
    expect(seen).toEqual([Errno.ETIMEDOUT, [0, 0, 0], Errno.ETIMEDOUT, Errno.ETIMEDOUT, 0]);
    expect(late).toBeGreaterThanOrEqual(0);
    expect(late).toBeLessThan(5_000); // woken at the first tick after the deadline (1000-cycle ticks)
  });

  it("sem_timedwait: EINVAL for nsec outside 0..999999999 — even with a token there (glibc checks first)", () => {
    const seen: unknown[] = [];
    expectRuns(function* () {
      const sem = yield* libc.sbrk(SemLayout.SIZE);
      yield* semInit(sem, 0, 1);
      seen.push(yield* semTimedWait(sem, { sec: 0, nsec: 1_000_000_000 }));
      seen.push(yield* semTimedWait(sem, { sec: 0, nsec: -1 }));
      seen.push(yield* semTimedWait(sem, { sec: Number.NaN, nsec: 0 }));
      seen.push(yield* semGetValue(sem));
      seen.push(yield* semTimedWait(sem, { sec: 0, nsec: 999_999_999 }));
      return 0;
    });
    expect(seen).toEqual([Errno.EINVAL, Errno.EINVAL, Errno.EINVAL, 1, 0]);
  });

  it("timespecAt splits cycles into seconds and nanoseconds (1 cycle = 1 ns)", () => {
    expect(timespecAt(2_500_000_123)).toEqual({ sec: 2, nsec: 500_000_123 });
    expect(timespecAt(999)).toEqual({ sec: 0, nsec: 999 });
  });
});

describe("semaphores: signals (signal(7), as Linux)", () => {
  /**
   * A thread blocks in `call`; main, with SIGUSR1 blocked so the signal goes to that thread,
   * sends it, then posts once. Returns what the call returned and whether the handler ran.
   */
  function interrupted(flags: number, call: (sem: number) => UserCode<number>): [number, string] {
    let result = -1;
    let asleep = false;
    let handled = "";
    const b = boot(function* (self, start) {
      const h = start.addressOf(function* () {
        yield* compute(1);
        handled += "h";
      });
      yield* sys.sigaction(Sig.SIGUSR1, h, 0, flags);
      const sem = yield* libc.sbrk(SemLayout.SIZE);
      yield* semInit(sem, 0, 0);
      const t = yield* self.create(function* () {
        asleep = true;
        result = yield* call(sem);
        return 0;
      });
      yield* spinUntil(self, () => asleep);
      yield* settle(self, 30);
      yield* sys.sigprocmask(SigHow.SIG_BLOCK, 1 << Sig.SIGUSR1);
      yield* sys.kill(yield* sys.getpid(), Sig.SIGUSR1);
      yield* settle(self, 30);
      yield* semPost(sem);
      yield* self.join(t.thread);
      return 0;
    });
    expect(b.run.outcome).toBe("all-exited");
    return [result, handled];
  }

  it("a handler without SA_RESTART ends a blocked sem_wait with EINTR", () => {
    expect(interrupted(0, (sem) => semWait(sem))).toEqual([Errno.EINTR, "h"]);
  });

  it("with SA_RESTART the futex wait is restarted: sem_wait goes on and takes the later post", () => {
    expect(interrupted(SaFlags.SA_RESTART, (sem) => semWait(sem))).toEqual([0, "h"]);
  });

  it("sem_timedwait returns EINTR even with SA_RESTART (a timed futex wait has no restart point)", () => {
    expect(
      interrupted(SaFlags.SA_RESTART, function* (sem) {
        return yield* semTimedWait(sem, timespecAt((yield* now()) + 50_000_000));
      }),
    ).toEqual([Errno.EINTR, "h"]);
  });
});

describe("semaphores: process-shared (pshared = 1)", () => {
  it("a semaphore in a MAP_SHARED page orders a forked child and its parent", () => {
    let order = "";
    expectRuns(function* (self) {
      const sem = yield* libc.mmapAnon(4096, { shared: true });
      const done = yield* libc.mmapAnon(4096, { shared: true });
      yield* semInit(sem, 1, 0);
      const pid = yield* self.fork();
      if (pid === 0) {
        yield* compute(20_000);
        yield* mem.store32(done, 42);
        yield* semPost(sem);
        return 0;
      }
      const r = yield* semWait(sem);
      order += `${r}:${yield* mem.load32(done)}`;
      yield* libc.waitpid(pid);
      return 0;
    });
    expect(order).toBe("0:42");
  });
});

describe("semaphores: the bounded buffer (OSTEP fig. 31.12)", () => {
  // empty counts free slots, full counts filled ones, a mutex guards the indices; every item is
  // consumed exactly once, whatever the interleaving.
  it("P producers and C consumers through a buffer of 1–4 slots: every item consumed exactly once", () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 3 }),
        fc.integer({ min: 1, max: 3 }),
        fc.integer({ min: 1, max: 4 }),
        fc.integer({ min: 1, max: 12 }),
        fc.integer({ min: 1, max: 2 }),
        fc.integer({ min: 1, max: 10_000 }),
        (producers, consumers, slots, perProducer, cpus, seed) => {
          const total = producers * perProducer;
          const got: number[] = [];
          const b = boot(
            function* (self) {
              const base = yield* libc.sbrk(64 + 4 * slots);
              const empty = base;
              const full = base + 16;
              const mutex = base + 32; // a zero-filled NORMAL mutex
              const fill = base + 48;
              const use = base + 52;
              const buffer = base + 64;
              yield* semInit(empty, 0, slots);
              yield* semInit(full, 0, 0);
              const ts: number[] = [];
              for (let p = 0; p < producers; p++) {
                const r = yield* self.create(function* (t, id) {
                  for (let i = 0; i < perProducer; i++) {
                    yield* semWait(empty);
                    yield* mutexLock(t, mutex);
                    const f = yield* mem.load32(fill);
                    yield* mem.store32(buffer + 4 * f, id * 1000 + i);
                    yield* mem.store32(fill, (f + 1) % slots);
                    yield* mutexUnlock(t, mutex);
                    yield* semPost(full);
                  }
                  return 0;
                }, p);
                ts.push(r.thread);
              }
              // Consumers share the items unevenly: consumer c takes its share plus the remainder.
              for (let c = 0; c < consumers; c++) {
                const share = Math.floor(total / consumers) + (c === 0 ? total % consumers : 0);
                const r = yield* self.create(function* (t) {
                  for (let i = 0; i < share; i++) {
                    yield* semWait(full);
                    yield* mutexLock(t, mutex);
                    const u = yield* mem.load32(use);
                    got.push(yield* mem.load32(buffer + 4 * u));
                    yield* mem.store32(use, (u + 1) % slots);
                    yield* mutexUnlock(t, mutex);
                    yield* semPost(empty);
                    yield* compute(seed % 97);
                  }
                  return 0;
                });
                ts.push(r.thread);
              }
              for (const t of ts) yield* self.join(t);
              return (yield* semGetValue(empty)) === slots && (yield* semGetValue(full)) === 0 ? 0 : 1;
            },
            { cpus, tick: 50 + (seed % 400), seed },
          );
          expect(b.run.outcome).toBe("all-exited");
          expect(b.status).toBe(0);
          const want: number[] = [];
          for (let p = 0; p < producers; p++) for (let i = 0; i < perProducer; i++) want.push(p * 1000 + i);
          expect([...got].sort((x, y) => x - y)).toEqual(want);
        },
      ),
      { numRuns: 50 },
    );
  });
});

// ---- from README.md, "Semaphores" ----
const MAX = 4; // [empty 16][full 16][mutex 16][fill, use][slots]; semInit(b, 0, MAX), semInit(b + 16, 0, 0)
const put = function* (t: Pthread, b: number, v: number) {
  yield* semWait(b); // a free slot
  yield* mutexLock(t, b + 32);
  const fill = yield* mem.load32(b + 48);
  yield* mem.store32(b + 64 + 4 * fill, v);
  yield* mem.store32(b + 48, (fill + 1) % MAX);
  yield* mutexUnlock(t, b + 32);
  yield* semPost(b + 16); // one more item
};
const get = function* (t: Pthread, b: number) {
  yield* semWait(b + 16);
  yield* mutexLock(t, b + 32);
  const use = yield* mem.load32(b + 52);
  const v = yield* mem.load32(b + 64 + 4 * use);
  yield* mem.store32(b + 52, (use + 1) % MAX);
  yield* mutexUnlock(t, b + 32);
  yield* semPost(b);
  return v;
};
// ---- end of the README's code ----

describe("semaphores: the README's example", () => {
  for (const cpus of [1, 2]) {
    it(`a producer puts 1..100 and a consumer sums 5050 (${cpus} CPU)`, () => {
      let sum = 0;
      expectRuns(function* (self) {
        const b = yield* libc.sbrk(64 + 4 * MAX);
        yield* semInit(b, 0, MAX);
        yield* semInit(b + 16, 0, 0);
        const producer = yield* self.create(function* (t) {
          for (let v = 1; v <= 100; v++) yield* put(t, b, v);
          return 0;
        });
        const consumer = yield* self.create(function* (t) {
          for (let i = 0; i < 100; i++) sum += yield* get(t, b);
          return 0;
        });
        yield* self.join(producer.thread);
        yield* self.join(consumer.thread);
        return 0;
      }, cpus);
      expect(sum).toBe(5050);
    });
  }
});
