import { describe, expect, it } from "vitest";
import {
  type Blocker,
  Futex,
  type FutexMemory,
  IpcStatus,
  type IpcThreads,
  Notification,
  ThreadIpcState,
} from "../src/index.js";
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

/** One plausible mistake of a student's notification (see {@link StudentNotification}). */
type NotificationBug =
  | "none"
  | "keeps-collected-bits"
  | "never-wakes"
  | "blocks-over-pending"
  | "lifo"
  | "zero-wakes";

/**
 * A student's notification, written from the contract with a plain array for the waiters, and
 * one planted mistake. Its `checkInvariants` checks nothing, as a first attempt's would: the law
 * itself must see the mistake.
 */
class StudentNotification implements Blocker {
  readonly name = "student notification";
  private bits = 0;
  private readonly queue: number[] = [];
  constructor(
    private readonly threads: IpcThreads,
    private readonly bug: NotificationBug,
  ) {}
  get pending(): number {
    return this.bits >>> 0;
  }
  signal(bits: number): number {
    if (bits === 0 && this.bug !== "zero-wakes") return -1;
    if (this.queue.length === 0 || this.bug === "never-wakes") {
      this.bits |= bits;
      return -1;
    }
    const w = this.bug === "lifo" ? this.queue.pop()! : this.queue.shift()!;
    this.threads.word[w] = this.bits | bits;
    this.bits = 0;
    this.threads.finish(w, IpcStatus.Ok);
    return w;
  }
  wait(t: number, timeout = Number.POSITIVE_INFINITY): IpcStatus {
    if (this.bits !== 0 && this.bug !== "blocks-over-pending") {
      this.threads.word[t] = this.bits;
      if (this.bug !== "keeps-collected-bits") this.bits = 0;
      return IpcStatus.Ok;
    }
    this.queue.push(t);
    this.threads.block(t, this, ThreadIpcState.Waiting, timeout);
    return IpcStatus.Blocked;
  }
  detach(t: number): void {
    this.queue.splice(this.queue.indexOf(t), 1);
  }
  checkInvariants(): void {}
}

const studentLaw = (bug: NotificationBug) =>
  notificationLaws((threads) => new StudentNotification(threads, bug), { numRuns: 80, seed: 3 })[0]!;

describe("the notification and futex laws reject broken implementations", () => {
  it("a student's notification without a planted mistake passes (the law asks nothing of our internals)", () => {
    expect(failureOf(studentLaw("none"))).toBe("the law passed");
  });

  // The five below passed the law while it checked only that the OR of all collections plus the
  // pending word equals the OR of all signals, and that a signal wakes at most one thread.
  it("a notification whose wait leaves the collected bits in the word (delivered twice)", () => {
    expect(failureOf(studentLaw("keeps-collected-bits"))).toMatch(/must leave the word/);
  });

  it("a notification whose signal ORs into the word while a thread waits (a lost wake-up)", () => {
    expect(failureOf(studentLaw("never-wakes"))).toMatch(/woke nobody while .* wait/);
  });

  it("a notification whose wait blocks although bits are pending", () => {
    expect(failureOf(studentLaw("blocks-over-pending"))).toMatch(/pending bits are collected at once/);
  });

  it("a notification that serves its newest waiter first", () => {
    expect(failureOf(studentLaw("lifo"))).toMatch(/not the oldest waiter/);
  });

  it("a notification whose signal(0) wakes a waiter with an empty word", () => {
    expect(failureOf(studentLaw("zero-wakes"))).toMatch(/a zero signal changes nothing/);
  });

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

  // The two below passed the law while every wait expected 0 and every word was 0 or 1.
  it("a futex that compares only the low byte of the word", () => {
    const make = (threads: IpcThreads, memory: FutexMemory) => {
      const inner = new Futex(threads, memory);
      return {
        wait: (t: number, pa: number, expected: number, timeout?: number) =>
          (memory.read32(pa as never) & 0xff) === (expected & 0xff)
            ? inner.wait(t, pa, memory.read32(pa as never), timeout)
            : IpcStatus.ValueMismatch,
        wake: inner.wake.bind(inner),
        waiters: inner.waiters.bind(inner),
        checkInvariants: () => inner.checkInvariants(),
      };
    };
    expect(failureOf(futexLaws(make, { numRuns: 100, seed: 3 })[0]!)).toMatch(
      /word 0x(100|0), expected 0x(0|100)\), the words differ: got 1, model 9/,
    );
  });

  it("a futex that compares the unsigned word with a signed expected value (−1 never matches 0xFFFFFFFF)", () => {
    const make = (threads: IpcThreads, memory: FutexMemory) => {
      const inner = new Futex(threads, memory);
      return {
        wait: (t: number, pa: number, expected: number, timeout?: number) =>
          memory.read32(pa as never) === expected
            ? inner.wait(t, pa, expected, timeout)
            : IpcStatus.ValueMismatch,
        wake: inner.wake.bind(inner),
        waiters: inner.waiters.bind(inner),
        checkInvariants: () => inner.checkInvariants(),
      };
    };
    expect(failureOf(futexLaws(make, { numRuns: 100, seed: 3 })[0]!)).toMatch(
      /expected -1\), the same unsigned 32-bit word \(−1 is 0xFFFFFFFF\): got 9, model 1/,
    );
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
    expect(failureOf(futexLaws(make, { numRuns: 100, seed: 3 })[0]!)).toMatch(
      /the words differ: got 1, model 9/,
    );
  });
});
