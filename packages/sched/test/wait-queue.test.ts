import fc from "fast-check";
import { describe, expect, it } from "vitest";
import {
  type BlockReason,
  cpuId,
  DuplicateThreadError,
  IllegalTransitionError,
  InvalidArgumentError,
  RoundRobinPolicy,
  Scheduler,
  type ThreadBlocker,
  type ThreadId,
  threadId,
  UnknownThreadError,
  WaitQueue,
} from "../src/index.js";

/** Model-based test of a wait queue over a real scheduler against a naive list. */
interface WModel {
  /** Waiters in queue order (head first) with their exclusivity. */
  list: Array<{ tid: number; exclusive: boolean }>;
}
interface WReal {
  sched: Scheduler;
  q: WaitQueue;
}
type WCmd = fc.Command<WModel, WReal>;

function runningThread(r: WReal): ThreadId {
  const cur = r.sched.schedule(cpuId(0));
  if (cur !== null) return cur;
  const t = r.sched.spawn();
  r.sched.start(t);
  return r.sched.schedule(cpuId(0))!;
}
function agree(m: WModel, r: WReal): void {
  r.q.checkInvariants();
  r.sched.checkInvariants();
  expect(r.q.waiters()).toEqual(m.list.map((w) => w.tid));
  for (const w of m.list) expect(r.sched.stateOf(threadId(w.tid))).toBe("blocked");
}

class Wait implements WCmd {
  constructor(readonly exclusive: boolean) {}
  check = () => true;
  run(m: WModel, r: WReal): void {
    const t = runningThread(r);
    r.q.wait(t, { exclusive: this.exclusive });
    // Linux: non-exclusive at the head, exclusive at the tail.
    if (this.exclusive) m.list.push({ tid: t, exclusive: true });
    else m.list.unshift({ tid: t, exclusive: false });
    agree(m, r);
  }
  toString = () => `wait(${this.exclusive ? "exclusive" : "shared"})`;
}
class Wake implements WCmd {
  constructor(readonly n: number) {}
  check = () => true;
  run(m: WModel, r: WReal): void {
    const expected: number[] = [];
    let left = this.n === 0 ? Number.POSITIVE_INFINITY : this.n; // Linux: nr_exclusive 0 = no limit
    while (m.list.length > 0) {
      const w = m.list[0]!;
      if (w.exclusive && left === 0) break;
      m.list.shift();
      expected.push(w.tid);
      if (w.exclusive) left--;
    }
    const woken = r.q.wake(this.n);
    expect(woken).toEqual(expected);
    for (const t of woken) expect(r.sched.stateOf(t)).toBe("ready");
    agree(m, r);
  }
  toString = () => `wake(${this.n})`;
}
class WakeAll implements WCmd {
  check = () => true;
  run(m: WModel, r: WReal): void {
    expect(r.q.wakeAll()).toEqual(m.list.map((w) => w.tid));
    m.list = [];
    agree(m, r);
  }
  toString = () => "wakeAll()";
}
class Kill implements WCmd {
  constructor(readonly k: number) {}
  check = (m: WModel) => m.list.length > 0;
  run(m: WModel, r: WReal): void {
    const [w] = m.list.splice(this.k % m.list.length, 1);
    r.sched.exit(threadId(w!.tid)); // the cancel hook unlinks it
    agree(m, r);
  }
  toString = () => `kill(waiter#${this.k})`;
}
class WaitTwiceErr implements WCmd {
  constructor(readonly k: number) {}
  check = (m: WModel) => m.list.length > 0;
  run(m: WModel, r: WReal): void {
    const t = threadId(m.list[this.k % m.list.length]!.tid);
    expect(() => r.q.wait(t)).toThrow(DuplicateThreadError);
    agree(m, r);
  }
  toString = () => `waitTwice(#${this.k}) fails`;
}
class WaitNotRunningErr implements WCmd {
  check = () => true;
  run(m: WModel, r: WReal): void {
    const t = r.sched.spawn(); // new, not running
    expect(() => r.q.wait(t)).toThrow(IllegalTransitionError);
    r.sched.exit(t);
    agree(m, r);
  }
  toString = () => "wait(not running) fails";
}

describe("WaitQueue", () => {
  it("matches a naive list model under waits, wake(n), wakeAll, kills and refused calls (model-based)", () => {
    const cmds = [
      fc.boolean().map((x) => new Wait(x)),
      fc.boolean().map((x) => new Wait(x)),
      fc.integer({ min: 0, max: 3 }).map((n) => new Wake(n)),
      fc.constant(new WakeAll()),
      fc.nat(20).map((k) => new Kill(k)),
      fc.nat(20).map((k) => new WaitTwiceErr(k)),
      fc.constant(new WaitNotRunningErr()),
    ];
    fc.assert(
      fc.property(fc.commands(cmds, { maxCommands: 60 }), (c) => {
        fc.modelRun(() => {
          const sched = new Scheduler({ policy: () => new RoundRobinPolicy() });
          return { model: { list: [] }, real: { sched, q: new WaitQueue(sched, "wq") } };
        }, c);
      }),
      { numRuns: 60 },
    );
  });

  it("wakeOne wakes every non-exclusive waiter and exactly one exclusive waiter", () => {
    const log: string[] = [];
    const stub: ThreadBlocker = {
      block: (t: ThreadId, r: BlockReason) => log.push(`block ${t} ${r.on}`),
      wake: (t: ThreadId) => log.push(`wake ${t}`),
    };
    const q = new WaitQueue(stub, "accept");
    q.wait(threadId(1), { exclusive: true });
    q.wait(threadId(2), { exclusive: true });
    q.wait(threadId(3));
    expect(q.waiters()).toEqual([3, 1, 2]);
    expect(q.wakeOne()).toEqual([3, 1]);
    expect(q.waiters()).toEqual([2]);
    expect(log).toContain("block 1 accept");
  });

  it("a blocker that refuses leaves the queue unchanged; remove of a stranger is a typed error", () => {
    const stub: ThreadBlocker = {
      block: () => {
        throw new IllegalTransitionError("not running");
      },
      wake: () => {},
    };
    const q = new WaitQueue(stub, "q");
    expect(() => q.wait(threadId(1))).toThrow(IllegalTransitionError);
    expect(q.size).toBe(0);
    expect(() => q.remove(threadId(1))).toThrow(UnknownThreadError);
  });

  it("wake(0) wakes everyone, exclusive waiters included, as Linux's __wake_up(q, mode, 0) = wake_up_all", () => {
    const woken: number[] = [];
    const stub: ThreadBlocker = { block: () => {}, wake: (t) => void woken.push(t) };
    const q = new WaitQueue(stub, "q");
    q.wait(threadId(1), { exclusive: true });
    q.wait(threadId(2), { exclusive: true });
    q.wait(threadId(3));
    q.wait(threadId(4), { exclusive: true });
    expect(q.wake(0)).toEqual([3, 1, 2, 4]);
    expect(woken).toEqual([3, 1, 2, 4]);
    expect(q.size).toBe(0);
    // And wake(1), wake(2) count exclusive waiters only, every non-exclusive one met comes along.
    for (const t of [5, 6, 7]) q.wait(threadId(t), { exclusive: true });
    q.wait(threadId(8));
    expect(q.wake(2)).toEqual([8, 5, 6]);
    expect(q.wake(1)).toEqual([7]);
  });

  it("wake(n) takes a whole number of exclusive waiters: 1.5, −1 and NaN are refused, nobody woken", () => {
    const woken: number[] = [];
    const stub: ThreadBlocker = { block: () => {}, wake: (t) => void woken.push(t) };
    const q = new WaitQueue(stub, "q");
    for (const t of [1, 2, 3]) q.wait(threadId(t), { exclusive: true });
    for (const n of [1.5, -1, Number.NaN]) {
      expect(() => q.wake(n)).toThrow(InvalidArgumentError);
      expect(() => q.wake(n)).toThrow(`WaitQueue(q).wake(${n})`);
    }
    expect(woken).toEqual([]);
    expect(q.waiters()).toEqual([1, 2, 3]);
    expect(q.wake(2)).toEqual([1, 2]);
  });
});
