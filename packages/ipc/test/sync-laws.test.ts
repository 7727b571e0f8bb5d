import { describe, expect, it } from "vitest";
import { Futex, type FutexMemory, type IpcThreads, Notification } from "../src/index.js";
import { futexLaws, notificationLaws } from "../src/laws/index.js";
import { failureOf } from "./law-failure.js";

describe("Notification passes the notification laws", () => {
  for (const law of notificationLaws((threads) => new Notification(threads), { numRuns: 80 }))
    it(law.name, () => law.check());
});

describe("Futex passes the futex laws", () => {
  for (const law of futexLaws((threads, memory) => new Futex(threads, memory), { numRuns: 80 }))
    it(law.name, () => law.check());
});

describe("the notification and futex laws reject broken implementations", () => {
  it("a notification whose signal wakes every waiter", () => {
    const make = (threads: IpcThreads) => {
      const inner = new Notification(threads);
      return {
        signal: (bits: number) => {
          const w = inner.signal(bits);
          while (bits !== 0 && inner.queuedWaiters().length > 0) inner.signal(bits);
          return w;
        },
        wait: inner.wait.bind(inner),
        get pending() {
          return inner.pending;
        },
        checkInvariants: () => inner.checkInvariants(),
      };
    };
    expect(failureOf(notificationLaws(make, { numRuns: 100, seed: 3 })[0]!)).toMatch(/woke 2 threads/);
  });

  it("a futex whose wake(n) wakes n + 1", () => {
    const make = (threads: IpcThreads, memory: FutexMemory) => {
      const inner = new Futex(threads, memory);
      return {
        wait: inner.wait.bind(inner),
        wake: (pa: number, n: number) => inner.wake(pa, n + 1),
        waiters: inner.waiters.bind(inner),
        checkInvariants: () => inner.checkInvariants(),
      };
    };
    expect(failureOf(futexLaws(make, { numRuns: 100, seed: 3 })[0]!)).toMatch(/wake\(\d+, \d+\)/);
  });

  it("a futex that blocks without comparing the word (the lost wake-up)", () => {
    const make = (threads: IpcThreads, memory: FutexMemory) => {
      const inner = new Futex(threads, memory);
      return {
        wait: (t: number, pa: number, _expected: number, timeout?: number) =>
          inner.wait(t, pa, memory.read32(pa as never), timeout),
        wake: inner.wake.bind(inner),
        waiters: inner.waiters.bind(inner),
        checkInvariants: () => inner.checkInvariants(),
      };
    };
    expect(failureOf(futexLaws(make, { numRuns: 100, seed: 3 })[0]!)).toMatch(/expected 0\): got 1, model 9/);
  });
});
