import fc from "fast-check";
import { describe, expect, it } from "vitest";
import {
  cpuId,
  IllegalTransitionError,
  PriorityDonation,
  PriorityLocks,
  PriorityPolicy,
  Scheduler,
  type ThreadId,
  threadId,
} from "../src/index.js";

function setup(pris: number[], maxDepth?: number) {
  const pol = new PriorityPolicy();
  pris.forEach((p, t) => {
    pol.admit(threadId(t), { priority: p });
  });
  const d = new PriorityDonation(pol, maxDepth === undefined ? {} : { maxDepth });
  return { pol, d, eff: (t: number) => pol.effectivePriority(threadId(t)) };
}

describe("priority donation (Pintos)", () => {
  it("single donation: H waiting on L's lock lifts L to H; release hands the lock to H and drops L back", () => {
    const { d, eff } = setup([10, 50]);
    const a = d.createLock();
    expect(d.acquire(threadId(0), a)).toEqual({ kind: "acquired" });
    expect(d.acquire(threadId(1), a)).toMatchObject({ kind: "blocked", holder: 0 });
    expect(eff(0)).toBe(50);
    expect(d.release(threadId(0), a)).toBe(1);
    expect(eff(0)).toBe(10);
    expect(d.holder(a)).toBe(1);
    d.checkInvariants();
  });

  it("nested donation through a chain: H → L2 (held by M) → L1 (held by L) lifts both M and L", () => {
    const { d, eff } = setup([10, 30, 50]); // L, M, H
    const l1 = d.createLock();
    const l2 = d.createLock();
    d.acquire(threadId(0), l1);
    d.acquire(threadId(1), l2);
    d.acquire(threadId(1), l1); // M blocks on L1, donating 30 to L
    expect(eff(0)).toBe(30);
    expect(d.acquire(threadId(2), l2)).toMatchObject({ kind: "blocked", holder: 1, chain: [1, 0] });
    expect([eff(0), eff(1), eff(2)]).toEqual([50, 50, 50]);
    expect(d.release(threadId(0), l1)).toBe(1); // M gets L1
    expect([eff(0), eff(1)]).toEqual([10, 50]);
    d.checkInvariants();
  });

  it("multiple donations: L holding A and B runs at the best donor, and steps down lock by lock", () => {
    const { d, eff } = setup([10, 30, 50]);
    const a = d.createLock();
    const b = d.createLock();
    d.acquire(threadId(0), a);
    d.acquire(threadId(0), b);
    d.acquire(threadId(1), a);
    d.acquire(threadId(2), b);
    expect(eff(0)).toBe(50);
    d.release(threadId(0), b);
    expect(eff(0)).toBe(30);
    d.release(threadId(0), a);
    expect(eff(0)).toBe(10);
  });

  it("release wakes the highest-priority waiter, the longest waiting among equals", () => {
    const { d } = setup([10, 20, 40, 40]);
    const a = d.createLock();
    d.acquire(threadId(0), a);
    for (const t of [1, 2, 3]) d.acquire(threadId(t), a);
    expect(d.release(threadId(0), a)).toBe(2);
  });

  it("donation depth is limited to maxDepth holders (Pintos: 8)", () => {
    const n = 5;
    const { d, eff } = setup([...Array.from({ length: n }, (_, i) => i + 1), 60], 2);
    const locks = Array.from({ length: n }, () => d.createLock());
    for (let t = 0; t < n; t++) d.acquire(threadId(t), locks[t]!);
    for (let t = 1; t < n; t++) d.acquire(threadId(t), locks[t - 1]!); // t waits on t−1's lock
    d.acquire(threadId(n), locks[n - 1]!); // the 60 thread waits at the end of the chain
    expect(eff(n - 1)).toBe(60);
    expect(eff(n - 2)).toBe(60);
    expect(eff(n - 3)).toBeLessThan(60); // three holders away: beyond maxDepth 2
  });

  it("a wait that would close a cycle reports a deadlock and changes nothing", () => {
    const { d, eff } = setup([10, 20]);
    const a = d.createLock();
    const b = d.createLock();
    d.acquire(threadId(0), a);
    d.acquire(threadId(1), b);
    d.acquire(threadId(0), b);
    expect(d.acquire(threadId(1), a)).toEqual({ kind: "deadlock", cycle: [1, 0] });
    expect(d.waitingFor(threadId(1))).toBe(null);
    expect(eff(1)).toBe(20);
    d.checkInvariants();
  });

  it("misuse: releasing a lock one does not hold, re-acquiring a held lock", () => {
    const { d } = setup([10, 20]);
    const a = d.createLock();
    d.acquire(threadId(0), a);
    expect(() => d.release(threadId(1), a)).toThrow(IllegalTransitionError);
    expect(() => d.acquire(threadId(0), a)).toThrow(IllegalTransitionError);
    expect(d.holder(a)).toBe(0);
  });

  it("after any sequence of acquires, releases and priority changes, every effective priority obeys the donation rule (property)", () => {
    fc.assert(
      fc.property(
        fc.array(fc.integer({ min: 0, max: 63 }), { minLength: 2, maxLength: 6 }),
        fc.array(fc.tuple(fc.nat(2), fc.nat(10), fc.nat(3), fc.integer({ min: 0, max: 63 })), {
          maxLength: 60,
        }),
        (pris, ops) => {
          const { pol, d } = setup(pris);
          const locks = [d.createLock(), d.createLock(), d.createLock(), d.createLock()];
          for (const [kind, who, lock, pri] of ops) {
            const t = threadId(who % pris.length);
            const l = locks[lock]!;
            if (kind === 0 && d.waitingFor(t) === null && d.holder(l) !== t) d.acquire(t, l);
            else if (kind === 1 && d.holder(l) === t) d.release(t, l);
            else if (kind === 2) {
              pol.setParams(t, { priority: pri });
              d.refresh();
            }
            d.checkInvariants();
            pol.checkInvariants();
          }
          // No lock is held by a thread that waits on it; waiters never hold what they wait for.
          for (const l of locks) for (const w of d.waiters(l)) expect(d.holder(l)).not.toBe(w as ThreadId);
        },
      ),
      { numRuns: 100 },
    );
  });
});

describe("PriorityLocks over the Scheduler: priority inversion, with and without donation", () => {
  /** Returns the order in which L, M, H first get the CPU after H blocks on L's lock. */
  function scenario(donate: boolean): string {
    const sched = new Scheduler({ policy: () => new PriorityPolicy({ quantum: 4 }) });
    const pol = sched.policyOf(cpuId(0)) as PriorityPolicy;
    const locks = new PriorityLocks(sched, pol, donate ? 8 : 0);
    const lock = locks.create();
    const names = new Map<number, string>();
    const L = sched.spawn({ priority: 10 });
    names.set(L, "L");
    sched.start(L);
    expect(sched.schedule(cpuId(0))).toBe(L);
    locks.acquire(L, lock);
    const H = sched.spawn({ priority: 50 });
    names.set(H, "H");
    sched.start(H);
    expect(sched.schedule(cpuId(0))).toBe(H); // H preempts L
    expect(locks.acquire(H, lock).kind).toBe("blocked");
    const M = sched.spawn({ priority: 30 });
    names.set(M, "M");
    sched.start(M);
    const order: string[] = [];
    for (let t = 0; t < 40 && (sched.stateOf(M) !== "exited" || sched.stateOf(H) !== "exited"); t++) {
      const cur = sched.schedule(cpuId(0));
      if (cur === null) break;
      order.push(names.get(cur)!);
      if (cur === L && order.filter((x) => x === "L").length === 3) {
        locks.release(L, lock); // L's critical section lasts 3 ticks
        sched.schedule(cpuId(0));
      } else if (cur !== L && order.filter((x) => x === names.get(cur)).length === 2) {
        sched.exit(cur); // H and M each need 2 ticks
        continue;
      }
      sched.tick(cpuId(0), 1);
      sched.checkInvariants();
      locks.donation.checkInvariants();
    }
    return order.join("");
  }

  it("with donation L finishes its critical section at H's priority, so H runs before M", () => {
    expect(scenario(true)).toBe("LLLHHMM");
  });

  it("without donation (maxDepth 0) M runs first while H waits for L: priority inversion", () => {
    expect(scenario(false)).toBe("MMLLLHH");
  });
});

describe("PriorityLocks: a refused acquire changes nothing", () => {
  it("a thread that is not running cannot block on a held lock: refused before any donation (the ready order used to change)", () => {
    const sched = new Scheduler({ policy: () => new PriorityPolicy({ quantum: 4 }) });
    const pol = sched.policyOf(cpuId(0)) as PriorityPolicy;
    const locks = new PriorityLocks(sched, pol, 8);
    const lock = locks.create();
    const [L, X, R, H] = [10, 10, 40, 50].map((priority) => sched.spawn({ priority })) as [
      ThreadId,
      ThreadId,
      ThreadId,
      ThreadId,
    ];
    sched.start(L);
    sched.schedule(cpuId(0));
    expect(locks.acquire(L, lock)).toEqual({ kind: "acquired" });
    sched.start(R);
    sched.schedule(cpuId(0)); // R preempts L, which is ready again, ahead of X among equals
    sched.start(X);
    sched.start(H); // ready, not running: it cannot block
    const snapshot = () =>
      JSON.stringify({
        ready: pol.readyThreads(),
        eff: [L, X, R, H].map((t) => pol.effectivePriority(t)),
        holder: locks.donation.holder(lock),
        waiters: locks.donation.waiters(lock),
        states: [L, X, R, H].map((t) => sched.stateOf(t)),
      });
    const before = snapshot();
    expect(JSON.parse(before).ready).toEqual([H, L, X]);
    expect(() => locks.acquire(H, lock)).toThrow(IllegalTransitionError);
    expect(() => locks.acquire(H, lock)).toThrow(/tid=3, ready → blocked/);
    expect(snapshot()).toBe(before);
    locks.donation.checkInvariants();
    sched.checkInvariants();
  });
});
