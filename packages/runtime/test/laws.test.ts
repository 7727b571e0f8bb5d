// The lock laws run against our two locks, and catch seven broken ones (a lock that is not atomic,
// one whose unlock forgets to wake a sleeper, one whose woken waiter takes the word as 1, one
// whose unlock wakes before it stores 0, one whose unlock reads the word and stores 0 in two
// steps, one whose unlock reads its waiter count before it releases, and one that retries with
// 1 after a futex wait returned EAGAIN). The last three passed the laws before the scenarios
// priced memory accesses and ran several rounds (each test says why).
import { Errno, mem } from "@osbricks/kernel";
import { describe, expect, it } from "vitest";
import {
  atomic,
  futexLock,
  futexWait,
  futexWake,
  type Lock,
  lllLock,
  lllUnlock,
  spinYieldLock,
} from "../src/index.js";
import { type LockScenario, lockLaws, lockScenarioCount, runLockScenario } from "../src/laws/index.js";
import { counterexampleOf } from "./counterexample.js";

describe("lock laws", () => {
  for (const lock of [futexLock, spinYieldLock]) {
    for (const law of lockLaws(() => lock, { numRuns: 50 })) it(law.name, () => law.check());
  }

  it("catch a lock that tests and sets with a plain load and store (not atomic)", () => {
    const racy: Lock = {
      name: "load-then-store lock",
      size: 4,
      *lock(self, m) {
        for (;;) {
          if ((yield* mem.load32(m)) === 0) {
            yield* mem.store32(m, 1);
            return;
          }
          yield* self.yield();
        }
      },
      *unlock(_self, m) {
        yield* mem.store32(m, 0);
      },
    };
    // The law fails; its shrunk scenario, rerun, shows the evidence: two threads inside, updates lost.
    const sc = counterexampleOf<LockScenario>(lockLaws(() => racy, { numRuns: 100, seed: 7 })[0]!);
    const r = runLockScenario(racy, sc);
    expect(r.violations).toBeGreaterThan(0);
    expect(r.counter).toBeLessThan(lockScenarioCount(sc));
  });

  it("catch a futex lock whose unlock never wakes a sleeper (a lost wakeup → deadlock)", () => {
    const forgetful: Lock = {
      name: "futex lock without the wake",
      size: 4,
      *lock(_self, m) {
        let c = yield* atomic.cas32(m, 0, 1);
        if (c === 0) return;
        if (c !== 2) c = yield* atomic.xchg32(m, 2);
        while (c !== 0) {
          yield* futexWait(m, 2);
          c = yield* atomic.xchg32(m, 2);
        }
      },
      *unlock(_self, m) {
        yield* atomic.xchg32(m, 0); // and no FUTEX_WAKE
      },
    };
    // The law fails; its shrunk scenario ends with sleepers nobody will wake.
    const sc = counterexampleOf<LockScenario>(lockLaws(() => forgetful, { numRuns: 100, seed: 7 })[1]!);
    expect(runLockScenario(forgetful, { ...sc, gap: 0 }).outcome).toBe("deadlock");
  });

  it("catch a futex lock whose woken waiter takes the word as 1 (Drepper: it must take 2, others may sleep)", () => {
    // Drepper's mutex #2 shape, wrong: a waiter that wakes takes the lock with cas(0 → 1), so the
    // word says "nobody waits" while other sleepers do, and its unlock (xadd −1 → 0) wakes none.
    const forgets: Lock = {
      name: "futex lock that wakes into state 1",
      size: 4,
      *lock(_self, m) {
        let c = yield* atomic.cas32(m, 0, 1);
        while (c !== 0) {
          if (c === 2 || (yield* atomic.cas32(m, 1, 2)) !== 0) yield* futexWait(m, 2);
          c = yield* atomic.cas32(m, 0, 1);
        }
      },
      *unlock(_self, m) {
        if ((yield* atomic.add32(m, -1)) !== 1) {
          yield* mem.store32(m, 0);
          yield* futexWake(m, 1);
        }
      },
    };
    const sc = counterexampleOf<LockScenario>(lockLaws(() => forgets, { numRuns: 50, seed: 7 })[1]!);
    expect(sc.threads).toBeGreaterThanOrEqual(3); // one holds, two sleep: the second is forgotten
    expect(runLockScenario(forgets, { ...sc, gap: 0 }).outcome).toBe("deadlock");
  });

  it("catch a futex lock whose unlock wakes before it stores 0 (the woken waiter sleeps again, and nobody wakes it)", () => {
    // Drepper's order is store 0, then FUTEX_WAKE. Reversed, the woken waiter's xchg still sees 1,
    // it sets 2 and sleeps again, and the store of 0 that follows wakes nobody.
    const early: Lock = {
      name: "futex lock that wakes before it releases",
      size: 4,
      lock: (_self, m) => lllLock(m),
      *unlock(_self, m) {
        if ((yield* atomic.add32(m, -1)) !== 1) {
          yield* futexWake(m, 1);
          yield* mem.store32(m, 0);
        }
      },
    };
    const sc = counterexampleOf<LockScenario>(lockLaws(() => early, { numRuns: 50, seed: 7 })[1]!);
    expect(runLockScenario(early, { ...sc, gap: 0 }).outcome).toBe("deadlock");
  });

  it("catch a futex lock whose unlock reads the word and stores 0 in two steps (a waiter that sets 2 in between is never woken)", () => {
    // The unlock decides to wake from a plain load, then stores 0: a waiter that xchg's 2 and
    // sleeps between the two is missed. The window is one memory access wide; the laws passed it
    // (seeds 1, 2, 3) while accesses cost 2 cycles, so that preemption almost never fell inside.
    const split: Lock = {
      name: "futex lock with a load-then-store unlock",
      size: 4,
      lock: (_self, m) => lllLock(m),
      *unlock(_self, m) {
        const was = yield* mem.load32(m);
        yield* mem.store32(m, 0);
        if (was === 2) yield* futexWake(m, 1);
      },
    };
    const sc = counterexampleOf<LockScenario>(lockLaws(() => split, { seed: 1 })[1]!);
    expect(runLockScenario(split, { ...sc, gap: 0 }).outcome).toBe("deadlock");
  });

  it("catch a lock whose unlock reads its waiter count before it releases (a waiter counted in between is never woken)", () => {
    // A waiter that arrives between the read and the release sleeps uncounted. Any later unlock
    // repairs it, so only a contest's last unlock strands it: the laws passed it (seeds 1, 2, 3)
    // until each scenario ran several rounds, each with a last unlock of its own.
    const early: Lock = {
      name: "lock with a waiter count read before the release",
      size: 8,
      *lock(_self, m) {
        while ((yield* atomic.xchg32(m, 1)) !== 0) {
          yield* atomic.add32(m + 4, 1);
          yield* futexWait(m, 1);
          yield* atomic.add32(m + 4, -1);
        }
      },
      *unlock(_self, m) {
        const waiters = yield* mem.load32(m + 4);
        yield* atomic.xchg32(m, 0);
        if (waiters > 0) yield* futexWake(m, 1);
      },
    };
    const sc = counterexampleOf<LockScenario>(lockLaws(() => early, { seed: 1 })[1]!);
    expect(runLockScenario(early, { ...sc, gap: 0 }).outcome).toBe("deadlock");
  });

  it("catch a futex lock that retries with xchg(1) after FUTEX_WAIT returned EAGAIN (it erases another sleeper's 2)", () => {
    // EAGAIN says the word was not 2 when the wait looked; by the retry a third thread may have
    // set 2 and slept. xchg(1) takes or holds the word at 1, and the unlock that follows wakes
    // none. The laws passed it at seeds 1 and 3 before the scenarios ran several rounds.
    const downgrade: Lock = {
      name: "futex lock that retries with 1 after EAGAIN",
      size: 4,
      *lock(_self, m) {
        let c = yield* atomic.cas32(m, 0, 1);
        if (c === 0) return;
        if (c !== 2) c = yield* atomic.xchg32(m, 2);
        while (c !== 0) {
          const r = yield* futexWait(m, 2);
          c = yield* atomic.xchg32(m, r === -Errno.EAGAIN ? 1 : 2);
        }
      },
      unlock: (_self, m) => lllUnlock(m),
    };
    const sc = counterexampleOf<LockScenario>(lockLaws(() => downgrade, { seed: 1 })[1]!);
    expect(sc.threads).toBeGreaterThanOrEqual(3); // the holder, the one that erases, the sleeper
    expect(runLockScenario(downgrade, { ...sc, gap: 0 }).outcome).toBe("deadlock");
  });

  it("a scenario's figures: 4 threads × 20 rounds on 2 CPUs with the futex lock", () => {
    const r = runLockScenario(futexLock, {
      threads: 4,
      iterations: 20,
      cpus: 2,
      tick: 300,
      critical: 20,
      gap: 0,
      seed: 1,
    });
    expect(r).toMatchObject({ outcome: "all-exited", counter: 80, violations: 0, crashes: [] });
  });
});
