// The requeue law (src/laws/futex-requeue-laws.ts): our Futex passes it, with and without
// cmpRequeue drawn, and a student's futex passes it without a planted mistake; each plausible
// mistake of a condition-variable broadcast is rejected with the law's own complaint.
import { describe, expect, it } from "vitest";
import {
  type Blocker,
  Futex,
  type FutexMemory,
  type FutexRequeueResult,
  IpcStatus,
  type IpcThreads,
  ThreadIpcState,
} from "../src/index.js";
import { futexRequeueLaws } from "../src/laws/index.js";
import { failureOf } from "./law-failure.js";

describe("Futex passes the futex requeue law", () => {
  for (const law of futexRequeueLaws((threads, memory) => new Futex(threads, memory), { numRuns: 80 }))
    it(law.name, () => law.check());
  it("and without cmpRequeue (a futex that has only requeue)", () => {
    const make = (threads: IpcThreads, memory: FutexMemory) => {
      const inner = new Futex(threads, memory);
      return {
        wait: inner.wait.bind(inner),
        wake: inner.wake.bind(inner),
        requeue: inner.requeue.bind(inner),
        waiters: inner.waiters.bind(inner),
        checkInvariants: () => inner.checkInvariants(),
      };
    };
    futexRequeueLaws(make, { numRuns: 50 })[0]!.check();
  });
});

type RequeueBug = "none" | "wakes-moved" | "moves-newest" | "forgets-new-word" | "cmp-ignores-word";

/**
 * A student's futex: a map of arrays keyed by physical address and a map from waiter to its word,
 * written from the contract, with one planted mistake. Its checkInvariants checks nothing: the
 * law itself must see the mistake.
 */
class StudentFutex implements Blocker {
  readonly name = "student-futex";
  private readonly queues = new Map<number, number[]>();
  private readonly keyOf = new Map<number, number>();

  constructor(
    private readonly threads: IpcThreads,
    private readonly memory: FutexMemory,
    private readonly bug: RequeueBug,
  ) {}

  wait(t: number, pa: number, expected: number, timeout = Number.POSITIVE_INFINITY): IpcStatus {
    if (this.memory.read32(pa) >>> 0 !== expected >>> 0) return IpcStatus.ValueMismatch;
    if (timeout === 0) return IpcStatus.WouldBlock;
    this.queue(pa).push(t);
    this.keyOf.set(t, pa);
    this.threads.block(t, this, ThreadIpcState.Waiting, timeout);
    return IpcStatus.Blocked;
  }

  wake(pa: number, count: number): number {
    const q = this.queue(pa);
    const out = q.splice(0, count);
    for (const t of out) {
      this.keyOf.delete(t);
      this.threads.finish(t, IpcStatus.Ok);
    }
    return out.length;
  }

  requeue(from: number, to: number, wakeCount: number, moveCount: number): { woken: number; moved: number } {
    const woken = this.wake(from, wakeCount);
    if (from === to) return { woken, moved: 0 };
    const q = this.queue(from);
    const moved =
      this.bug === "moves-newest" ? q.splice(Math.max(0, q.length - moveCount)) : q.splice(0, moveCount);
    for (const t of moved) {
      if (this.bug === "wakes-moved") {
        this.keyOf.delete(t);
        this.threads.finish(t, IpcStatus.Ok);
        continue;
      }
      this.queue(to).push(t);
      if (this.bug !== "forgets-new-word") this.keyOf.set(t, to);
    }
    return { woken, moved: moved.length };
  }

  cmpRequeue(
    from: number,
    to: number,
    wakeCount: number,
    moveCount: number,
    expected: number,
  ): FutexRequeueResult {
    if (this.bug !== "cmp-ignores-word" && this.memory.read32(from) >>> 0 !== expected >>> 0)
      return { status: IpcStatus.ValueMismatch, woken: 0, moved: 0 };
    return { status: IpcStatus.Ok, ...this.requeue(from, to, wakeCount, moveCount) };
  }

  waiters(pa: number): number {
    return this.queues.get(pa)?.length ?? 0;
  }

  detach(t: number): void {
    const q = this.queues.get(this.keyOf.get(t) ?? -1) ?? [];
    const i = q.indexOf(t);
    if (i >= 0) q.splice(i, 1);
    this.keyOf.delete(t);
  }

  checkInvariants(): void {}

  private queue(pa: number): number[] {
    let q = this.queues.get(pa);
    if (q === undefined) {
      q = [];
      this.queues.set(pa, q);
    }
    return q;
  }
}

const lawFor = (bug: RequeueBug) =>
  futexRequeueLaws((threads, memory) => new StudentFutex(threads, memory, bug), {
    numRuns: 100,
    seed: 3,
  })[0]!;

describe("the futex requeue law", () => {
  it("passes a student's futex without a planted mistake (it asks nothing of our internals)", () => {
    lawFor("none").check();
  });

  const planted: Array<[string, RequeueBug, RegExp]> = [
    ["wakes the waiters it should move (the thundering herd)", "wakes-moved", /moved waiters stay blocked/],
    ["moves the newest waiters first", "moves-newest", /threads woken by|draining key/],
    [
      "forgets a moved waiter's new word (its timeout unlinks it from the old word's queue)",
      "forgets-new-word",
      /waiters\(key \d\)|advance to|draining key/,
    ],
    ["does a cmpRequeue whatever the word holds", "cmp-ignores-word", /cmpRequeue\(.*expected.*: got \[0,/],
  ];
  for (const [what, bug, complaint] of planted) {
    it(`rejects a futex whose requeue ${what}`, () => {
      expect(failureOf(lawFor(bug))).toMatch(complaint);
    });
  }
});
