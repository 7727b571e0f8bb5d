// Exhaustive exploration of every interleaving of small endpoint and futex scenarios: no deadlock,
// no lost wake-up, and the right results under every schedule.
import { PhysicalMemory } from "@osbricks/hw-x86";
import { describe, expect, it } from "vitest";
import {
  Endpoint,
  ExplorationError,
  explore,
  Futex,
  IpcStatus,
  type IpcThreads,
  MR_COUNT,
  makeTag,
  type Scenario,
  type ThreadProgram,
  type Trap,
} from "../src/index.js";

/** A user-space step: runs `f` atomically as one scheduling point. */
const user =
  (f: () => void): Trap =>
  () => {
    f();
    return IpcStatus.Ok;
  };

describe("explorer: endpoints", () => {
  interface W {
    threads: IpcThreads;
    ep: Endpoint;
    replies: number[];
  }
  const clientServer = (server: "reply" | "replyReceive"): Scenario<W> => ({
    name: `2 callers, 1 server (${server})`,
    threads: 3,
    setup: (threads) => ({ threads, ep: new Endpoint(threads), replies: [] }),
    *program(w, t): ThreadProgram {
      const mr = w.threads.mr;
      if (t < 2) {
        mr[t * MR_COUNT] = makeTag({ label: 1, words: 1 });
        mr[t * MR_COUNT + 1] = 100 * (t + 1);
        const st = yield () => w.ep.call(t);
        expect(st).toBe(IpcStatus.Ok);
        w.replies[t] = mr[t * MR_COUNT + 1]!;
        return;
      }
      const s = t * MR_COUNT;
      let st = yield () => w.ep.receive(t);
      for (let served = 0; served < 2; served++) {
        expect(st).toBe(IpcStatus.Ok);
        mr[s + 1]! += 1;
        const cap = w.threads.replyCap[t]!;
        if (served === 1 || server === "reply") {
          expect(yield () => w.ep.reply(t, cap)).toBe(IpcStatus.Ok);
          if (served === 0) st = yield () => w.ep.receive(t);
        } else {
          st = yield () => w.ep.replyReceive(t, cap);
        }
      }
    },
    check(w, outcome) {
      expect(outcome.finished).toEqual([true, true, true]);
      expect(w.replies).toEqual([101, 201]);
      w.ep.checkInvariants();
    },
  });

  it("every interleaving of two calls and a reply loop delivers each caller its own reply", () => {
    const report = explore(clientServer("reply"));
    expect(report.schedules).toBeGreaterThan(5);
  });

  it("the same with reply-and-receive", () => {
    expect(explore(clientServer("replyReceive")).schedules).toBeGreaterThan(3);
  });

  it("with timeouts on both sides: a call succeeds exactly when the server got it", () => {
    interface T {
      threads: IpcThreads;
      ep: Endpoint;
      got: boolean;
    }
    const s: Scenario<T> = {
      name: "timed call vs timed receive",
      threads: 2,
      setup: (threads) => ({ threads, ep: new Endpoint(threads), got: false }),
      *program(w, t): ThreadProgram {
        if (t === 0) {
          w.threads.mr[0] = makeTag({ label: 1, words: 0 });
          yield () => w.ep.call(0, 3);
          return;
        }
        const st = yield () => w.ep.receive(1, 2);
        if (st === IpcStatus.Ok) {
          w.got = true;
          yield () => w.ep.reply(1, w.threads.replyCap[1]!);
        }
      },
      check(w, outcome) {
        expect(outcome.finished).toEqual([true, true]);
        const client = outcome.statuses[0]!.at(-1);
        expect(client === IpcStatus.Ok).toBe(w.got);
        expect([IpcStatus.Ok, IpcStatus.TimedOut]).toContain(client);
      },
    };
    expect(explore(s).schedules).toBeGreaterThan(2);
  });

  it("a reply racing the reply timeout: the caller gets the reply exactly when the server's reply was accepted", () => {
    interface R {
      threads: IpcThreads;
      ep: Endpoint;
      replied: boolean;
    }
    const s: Scenario<R> = {
      name: "reply vs reply timeout (L4 X.2 receive phase)",
      threads: 2,
      setup: (threads) => ({ threads, ep: new Endpoint(threads), replied: false }),
      *program(w, t): ThreadProgram {
        if (t === 0) {
          w.threads.mr[0] = makeTag({ label: 1, words: 1 });
          w.threads.mr[1] = 41;
          yield () => w.ep.call(0, 5, 0, null, 2); // send phase 5, reply phase 2
          return;
        }
        const st = yield () => w.ep.receive(1, 3);
        if (st !== IpcStatus.Ok) return;
        const cap = w.threads.replyCap[1]!;
        yield user(() => {
          w.threads.mr[1 * MR_COUNT + 1]! += 1;
        });
        const r = yield () => w.ep.reply(1, cap);
        expect([IpcStatus.Ok, IpcStatus.InvalidReplyCap]).toContain(r);
        w.replied = r === IpcStatus.Ok;
      },
      check(w, outcome) {
        expect(outcome.finished).toEqual([true, true]);
        const client = outcome.statuses[0]!.at(-1);
        expect(client === IpcStatus.Ok).toBe(w.replied);
        if (client === IpcStatus.Ok) expect(w.threads.mr[1]).toBe(42);
        expect([IpcStatus.Ok, IpcStatus.TimedOut, IpcStatus.ReplyTimedOut]).toContain(client);
        w.threads.checkInvariants();
      },
    };
    const seen = new Set<number>();
    const wrapped: Scenario<R> = {
      ...s,
      check(w, outcome) {
        s.check?.(w, outcome);
        seen.add(outcome.statuses[0]!.at(-1)!);
      },
    };
    expect(explore(wrapped).schedules).toBeGreaterThan(3);
    // Every outcome occurs under some schedule: the reply, the send-phase and the reply-phase timeout.
    expect([...seen].sort()).toEqual([IpcStatus.Ok, IpcStatus.TimedOut, IpcStatus.ReplyTimedOut].sort());
  });

  it("destroying the endpoint under every interleaving wakes everyone (no thread left blocked)", () => {
    const s: Scenario<{ ep: Endpoint; threads: IpcThreads }> = {
      name: "send/receive racing destroy",
      threads: 3,
      setup: (threads) => ({ threads, ep: new Endpoint(threads) }),
      *program(w, t): ThreadProgram {
        if (t === 2) {
          yield () => {
            w.ep.destroy();
            return IpcStatus.Ok;
          };
          return;
        }
        w.threads.mr[t * MR_COUNT] = makeTag({ label: 1, words: 0 });
        const st = yield () => (t === 0 ? w.ep.send(0) : w.ep.receive(1));
        expect([IpcStatus.Ok, IpcStatus.Closed]).toContain(st);
      },
    };
    expect(explore(s).schedules).toBeGreaterThan(3);
  });
});

describe("explorer: futexes", () => {
  const PA = 0x1000;
  const COUNTER = 0x2000;
  interface W {
    mem: PhysicalMemory;
    futex: Futex;
  }
  const setup = (threads: IpcThreads): W => {
    const mem = new PhysicalMemory({ size: 1 << 16 });
    return { mem, futex: new Futex(threads, mem) };
  };

  it("a futex mutex (0 free, 1 locked, 2 contended) gives mutual exclusion and never loses a wake-up", () => {
    // Drepper's "Futexes are tricky" mutex 2, each memory operation one scheduling point.
    const s: Scenario<W> = {
      name: "2 threads, lock / increment / unlock",
      threads: 2,
      setup,
      *program(w, _t): ThreadProgram {
        const { mem, futex } = w;
        let c = 0;
        const cas = (expect: number, to: number): Trap =>
          user(() => {
            c = mem.read32(PA);
            if (c === expect) mem.write32(PA, to);
          });
        yield cas(0, 1);
        if (c !== 0) {
          if (c !== 2) yield user(() => (c = exchange(mem, PA, 2)));
          while (c !== 0) {
            yield () => {
              const st = futex.wait(_t, PA, 2);
              return st === IpcStatus.ValueMismatch ? IpcStatus.Ok : st;
            };
            yield user(() => (c = exchange(mem, PA, 2)));
          }
        }
        // Critical section: a non-atomic increment, two scheduling points.
        let v = 0;
        yield user(() => (v = mem.read32(COUNTER)));
        yield user(() => mem.write32(COUNTER, v + 1));
        // Unlock: atomic decrement; if it was contended, store 0 and wake one.
        let old = 0;
        yield user(() => {
          old = mem.read32(PA);
          mem.write32(PA, old - 1);
        });
        if (old !== 1) {
          yield user(() => mem.write32(PA, 0));
          yield user(() => void futex.wake(PA, 1));
        }
      },
      check(w, outcome) {
        expect(outcome.finished).toEqual([true, true]);
        expect(w.mem.read32(COUNTER)).toBe(2);
        w.futex.checkInvariants();
      },
    };
    const report = explore(s);
    expect(report.schedules).toBeGreaterThan(100);
  });

  const flagScenario = (buggy: boolean): Scenario<W> => ({
    name: buggy ? "flag wait without the kernel compare" : "2 waiters on a flag, 1 setter",
    threads: buggy ? 2 : 3,
    setup,
    *program(w, t): ThreadProgram {
      const { mem, futex } = w;
      const setter = buggy ? 1 : 2;
      if (t === setter) {
        yield user(() => mem.write32(PA, 1));
        yield user(() => void futex.wake(PA, 1 << 30));
        return;
      }
      let flag = 0;
      yield user(() => (flag = mem.read32(PA)));
      while (flag === 0) {
        // The bug: waiting for "whatever the word holds now" drops the compare, so a wake that
        // came between our check and our wait is lost.
        yield () => futex.wait(t, PA, buggy ? mem.read32(PA) : 0);
        yield user(() => (flag = mem.read32(PA)));
      }
    },
  });

  it("two waiters and a setter: every interleaving ends with everyone awake", () => {
    expect(explore(flagScenario(false)).schedules).toBeGreaterThan(20);
  });

  it("the explorer finds the lost wake-up of a wait that skips the compare", () => {
    expect(() => explore(flagScenario(true))).toThrow(ExplorationError);
    try {
      explore(flagScenario(true));
    } catch (e) {
      expect((e as ExplorationError).message).toMatch(/never finished/);
      expect((e as ExplorationError).schedule.length).toBeGreaterThan(0);
    }
  });
});

function exchange(mem: PhysicalMemory, pa: number, v: number): number {
  const old = mem.read32(pa);
  mem.write32(pa, v);
  return old;
}
