// The channel's mutex and condition (examples/src/jsix/lib/channel/mutex.ts, condition.ts) judged
// by @osbricks/runtime's lock and condition-variable laws: real simulated kernels, threads on
// several CPUs, timer preemption at every trap, fast-check drawing the contention. The laws run
// on the POSIX personality, so the port's futex is futex(2) (runtime's futexWait/futexWake); the
// atomics are the kernel's one-trap mem.cas32/xchg32/xadd32, as in a jsix program. Then plain
// unit tests of the word's states on a Uint8Array, and planted mistakes the laws must catch.
import type { UserCode } from "@osbricks/kernel";
import { type CondVar, futexWait, futexWake, type Lock } from "@osbricks/runtime";
import { condVarLaws, lockLaws, runBufferScenario, runLockScenario } from "@osbricks/runtime/laws";
import { describe, expect, it } from "vitest";
import { conditionWait, conditionWake, conditionWakeOne } from "../src/jsix/lib/channel/condition.js";
import { posixSync, type SyncPort } from "../src/jsix/lib/channel/futex.js";
import { ArrayMemory, runSync, userMemory } from "../src/jsix/lib/channel/memory.js";
import { MutexState, mutexLock, mutexTryLock, mutexUnlock } from "../src/jsix/lib/channel/mutex.js";

const channelMutex: Lock = {
  name: "jsix channel mutex",
  size: 4,
  lock: (_self, m) => mutexLock(posixSync, m),
  unlock: (_self, m) => mutexUnlock(posixSync, m),
};

const channelCondition: CondVar = {
  name: "jsix channel condition",
  size: 4,
  wait: (_self, c, m) => conditionWait(posixSync, c, m),
  signal: (_self, c) => conditionWakeOne(posixSync, c),
  broadcast: (_self, c) => conditionWake(posixSync, c),
};

describe("channel mutex: runtime's lock laws", () => {
  for (const law of lockLaws(() => channelMutex, { numRuns: 50 })) it(law.name, () => law.check(), 60_000);
});

describe("channel condition: runtime's condition-variable laws", () => {
  for (const law of condVarLaws(() => channelCondition, { numRuns: 50 }))
    it(law.name, () => law.check(), 60_000);
});

// ---- the word, one state at a time (no kernel: nothing here may trap) -----------------------------

/** A futex call that never traps: runs `f` when the generator is driven and returns its value. */
// biome-ignore lint/correctness/useYield: a fake kernel call, served without a trap
function* served<T>(f: () => T): UserCode<T> {
  return f();
}

const noFutex: SyncPort["futex"] = {
  wait: () =>
    served(() => {
      throw new Error("futex wait: an uncontended path must not sleep");
    }),
  wake: () =>
    served(() => {
      throw new Error("futex wake: nobody announced waiting");
    }),
};

describe("channel mutex word", () => {
  const word = () => {
    const mem = new ArrayMemory(new Uint8Array(8), 0x1000);
    return { mem, s: { mem, futex: noFutex } as SyncPort };
  };

  it("uncontended lock is 0 → 1 with no futex call, and unlock 1 → 0 with none", () => {
    const { mem, s } = word();
    expect(runSync(mutexLock(s, 0x1000))).toBe(0);
    expect(runSync(mem.load32(0x1000))).toBe(MutexState.LOCKED);
    runSync(mutexUnlock(s, 0x1000));
    expect(runSync(mem.load32(0x1000))).toBe(MutexState.UNLOCKED);
  });

  it("trylock fails on a held mutex and leaves the word alone", () => {
    const { mem, s } = word();
    expect(runSync(mutexTryLock(s, 0x1000))).toBe(true);
    expect(runSync(mutexTryLock(s, 0x1000))).toBe(false);
    expect(runSync(mem.load32(0x1000))).toBe(MutexState.LOCKED);
  });

  it("unlock of a contended word (2) stores 0 before it wakes one", () => {
    const mem = new ArrayMemory(new Uint8Array(8), 0x1000);
    const seen: number[] = [];
    const s: SyncPort = {
      mem,
      futex: {
        wait: () => served(() => 0),
        wake: (va, count) =>
          served(() => {
            seen.push(runSync(mem.load32(va)), count);
            return 0;
          }),
      },
    };
    runSync(mem.store32(0x1000, MutexState.CONTENDED));
    runSync(mutexUnlock(s, 0x1000));
    expect(seen).toEqual([MutexState.UNLOCKED, 1]); // the word was already 0 when the wake ran
  });

  it("condition wake bumps the sequence word, so a waiter that read the old value does not sleep", () => {
    const mem = new ArrayMemory(new Uint8Array(8), 0x1000);
    const waits: Array<[number, number]> = [];
    const s: SyncPort = {
      mem,
      futex: {
        wait: (va, expected) =>
          served(() => {
            waits.push([expected, runSync(mem.load32(va))]);
            return 0;
          }),
        wake: () => served(() => 0),
      },
    };
    runSync(mem.store32(0x1004, 0xffff_ffff)); // the word wraps: 0xFFFFFFFF + 1 = 0
    runSync(conditionWake(s, 0x1004));
    expect(runSync(mem.load32(0x1004))).toBe(0);
    runSync(mutexLock(s, 0x1000));
    expect(runSync(conditionWait(s, 0x1004, 0x1000))).toBe(1);
    expect(waits).toEqual([[0, 0]]); // waited for the value it read under the mutex
    expect(runSync(mem.load32(0x1000))).toBe(MutexState.LOCKED); // and returned holding it
  });
});

describe("the laws catch planted mistakes", () => {
  it("an unlock that wakes before it releases strands a sleeper or breaks exclusion", () => {
    const broken: Lock = {
      ...channelMutex,
      name: "wake before release",
      *unlock(_self, m) {
        if ((yield* userMemory.xadd32(m, -1)) !== MutexState.LOCKED) {
          yield* futexWake(m, 1);
          yield* userMemory.store32(m, MutexState.UNLOCKED);
        }
      },
    };
    const progress = lockLaws(() => broken, { numRuns: 50 })[1];
    expect(() => progress?.check()).toThrow();
  }, 60_000);

  it("libj6's condition (bump after the unlock, wake resets the word to 0) loses a wakeup", () => {
    // condition.ts's banner: a wake between the waiter's unlock and its increment is lost.
    const libj6: CondVar = {
      name: "libj6 condition",
      size: 4,
      *wait(_self, c, m) {
        yield* mutexUnlock(posixSync, m);
        let v = ((yield* userMemory.xadd32(c, 1)) + 1) >>> 0;
        let r = yield* futexWait(c, v);
        while (r !== 0) {
          v = yield* userMemory.load32(c);
          if (v === 0) break;
          r = yield* futexWait(c, v);
        }
        yield* mutexLock(posixSync, m);
      },
      *signal(_self, c) {
        if ((yield* userMemory.xchg32(c, 0)) !== 0) yield* futexWake(c, 0x7fff_ffff);
      },
      *broadcast(_self, c) {
        if ((yield* userMemory.xchg32(c, 0)) !== 0) yield* futexWake(c, 0x7fff_ffff);
      },
    };
    const noLostWakeup = condVarLaws(() => libj6, { numRuns: 50 })[0];
    expect(() => noLostWakeup?.check()).toThrow();
    // The law's shrunk counterexample (fixed seed): one CPU, 34-cycle ticks, one slot.
    const s = { pairs: 2, items: 3, slots: 1, jitter: 0, seed: 1, cpus: 1, tick: 34 };
    expect(runBufferScenario(libj6, s).outcome).toBe("deadlock");
    expect(runBufferScenario(channelCondition, s)).toMatchObject({ outcome: "all-exited", taken: 6 });
  }, 60_000);

  it("a scenario runs the channel mutex to the exact count", () => {
    const r = runLockScenario(channelMutex, {
      threads: 4,
      iterations: 20,
      cpus: 2,
      tick: 300,
      critical: 20,
      gap: 0,
      seed: 1,
    });
    expect(r).toMatchObject({ outcome: "all-exited", counter: 80, violations: 0 });
  });
});
