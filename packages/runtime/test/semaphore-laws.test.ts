// The semaphore laws run against ours and against a lab solution, OSTEP's Zemaphore (fig. 31.17:
// one value, one mutex, one condition variable, on this library's mutex and condition variable),
// and catch five plausible student bugs, each with a message that names the mistake: a post that
// hands its token to a sleeper without adding it, a wait that decrements after its futex wait
// without looking again, a post that decides to wake before it adds the token, a Zemaphore that
// waits with `if` instead of `while`, and a try-wait that waits.
import { mem } from "@osbricks/kernel";
import { describe, expect, it } from "vitest";
import {
  atomic,
  CondLayout,
  condInit,
  condSignal,
  condWait,
  futexWait,
  futexWake,
  MutexLayout,
  mutexInit,
  mutexLock,
  mutexUnlock,
  nptlSemaphore,
  type Semaphore,
} from "../src/index.js";
import { type Law, semaphoreLaws } from "../src/laws/index.js";

/**
 * OSTEP's Zemaphore, as a student writes it for the lab: the value under a mutex, waiters on a
 * condition variable in a `while` loop (Mesa semantics: re-check after every wake).
 *
 * ```
 *   +0 value   +8 mutex (16 B)   +24 cond (32 B)
 * ```
 */
const ZEM = { VALUE: 0, MUTEX: 8, COND: 8 + MutexLayout.SIZE, SIZE: 8 + MutexLayout.SIZE + CondLayout.SIZE };

function zemaphore(name: string, waitLoop: "while" | "if"): Semaphore {
  return {
    name,
    size: ZEM.SIZE,
    *init(_self, s, value) {
      yield* mutexInit(s + ZEM.MUTEX);
      yield* condInit(s + ZEM.COND);
      yield* mem.store32(s + ZEM.VALUE, value);
    },
    *wait(self, s) {
      yield* mutexLock(self, s + ZEM.MUTEX);
      if (waitLoop === "while") {
        while (((yield* mem.load32(s + ZEM.VALUE)) | 0) <= 0)
          yield* condWait(self, s + ZEM.COND, s + ZEM.MUTEX);
      } else if (((yield* mem.load32(s + ZEM.VALUE)) | 0) <= 0) {
        yield* condWait(self, s + ZEM.COND, s + ZEM.MUTEX); // BUG: another thread may take the token first
      }
      yield* mem.store32(s + ZEM.VALUE, ((yield* mem.load32(s + ZEM.VALUE)) | 0) - 1);
      yield* mutexUnlock(self, s + ZEM.MUTEX);
    },
    *tryWait(self, s) {
      yield* mutexLock(self, s + ZEM.MUTEX);
      const v = (yield* mem.load32(s + ZEM.VALUE)) | 0;
      if (v > 0) yield* mem.store32(s + ZEM.VALUE, v - 1);
      yield* mutexUnlock(self, s + ZEM.MUTEX);
      return v > 0;
    },
    *post(self, s) {
      yield* mutexLock(self, s + ZEM.MUTEX);
      yield* mem.store32(s + ZEM.VALUE, ((yield* mem.load32(s + ZEM.VALUE)) | 0) + 1);
      yield* condSignal(s + ZEM.COND);
      yield* mutexUnlock(self, s + ZEM.MUTEX);
    },
    *value(self, s) {
      yield* mutexLock(self, s + ZEM.MUTEX);
      const v = (yield* mem.load32(s + ZEM.VALUE)) | 0;
      yield* mutexUnlock(self, s + ZEM.MUTEX);
      return v;
    },
  };
}

/** A lab solution: the Zemaphore with `while`. */
const zem = zemaphore("OSTEP Zemaphore (mutex + condition variable)", "while");

/**
 * A student's futex semaphore, correct: one signed counter word, waiters sleep on it while it is
 * 0 and look again after every wake; post adds and wakes one. Its steps are replaced one at a time
 * below to plant each bug.
 */
const counterSemaphore: Semaphore = {
  name: "counter-word futex semaphore",
  size: 8,
  *init(_self, s, value) {
    yield* mem.store32(s, value);
  },
  *wait(_self, s) {
    for (;;) {
      const v = (yield* mem.load32(s)) | 0;
      if (v > 0 && (yield* atomic.cas32(s, v, v - 1)) === v) return;
      if (v <= 0) yield* futexWait(s, v);
    }
  },
  *tryWait(_self, s) {
    for (;;) {
      const v = (yield* mem.load32(s)) | 0;
      if (v <= 0) return false;
      if ((yield* atomic.cas32(s, v, v - 1)) === v) return true;
    }
  },
  *post(_self, s) {
    yield* atomic.add32(s, 1);
    yield* futexWake(s, 1);
  },
  *value(_self, s) {
    return (yield* mem.load32(s)) | 0;
  },
};

const broken = (name: string, part: Partial<Semaphore>): Semaphore => ({
  ...counterSemaphore,
  name,
  ...part,
});

/** The message of the first law of `laws` that fails; throws if every law holds. */
function firstFailure(laws: readonly Law[]): string {
  for (const law of laws) {
    try {
      law.check();
    } catch (e) {
      return `${law.name}\n${e instanceof Error ? e.message : String(e)}`;
    }
  }
  throw new Error("every law held, but the semaphore is broken");
}

describe("semaphore laws", () => {
  for (const sem of [nptlSemaphore, zem, counterSemaphore]) {
    for (const law of semaphoreLaws(() => sem, { numRuns: 50 })) it(law.name, () => law.check());
  }

  it("catch a post that hands its token to a sleeper without adding it (the woken waiter finds 0 and sleeps on)", () => {
    const handOff = broken("post that wakes without incrementing", {
      *post(_self, s) {
        // BUG: "if someone sleeps, just wake them" — but the waiter re-checks and finds no token.
        if ((yield* futexWake(s, 1)) === 0) yield* atomic.add32(s, 1);
      },
    });
    expect(firstFailure(semaphoreLaws(() => handOff, { numRuns: 50, seed: 5 }))).toMatch(/lost post/);
  });

  it("catch a wait that decrements after its futex wait without looking at the value again", () => {
    const noRecheck = broken("wait that decrements after waking without re-checking", {
      *wait(_self, s) {
        const v = (yield* mem.load32(s)) | 0;
        if (v <= 0) yield* futexWait(s, v);
        yield* atomic.add32(s, -1); // BUG: another thread may have taken the token meanwhile
      },
    });
    const pool = semaphoreLaws(() => noRecheck, { numRuns: 50, seed: 5 }).slice(1, 2);
    expect(firstFailure(pool)).toMatch(/too many holders|negative value/);
  });

  it("catch a post that decides whether to wake before it adds the token (check-then-act: a waiter that sleeps in between is stranded)", () => {
    const waiters = (s: number) => s + 4;
    const checkThenAct: Semaphore = {
      ...counterSemaphore,
      name: "post that reads the waiter count before adding",
      *wait(_self, s) {
        for (;;) {
          const v = (yield* mem.load32(s)) | 0;
          if (v > 0 && (yield* atomic.cas32(s, v, v - 1)) === v) return;
          if (v > 0) continue;
          yield* atomic.add32(waiters(s), 1);
          yield* futexWait(s, v);
          yield* atomic.add32(waiters(s), -1);
        }
      },
      *post(_self, s) {
        const sleeping = yield* mem.load32(waiters(s)); // BUG: read before the token is added
        yield* atomic.add32(s, 1);
        if (sleeping > 0) yield* futexWake(s, 1);
      },
    };
    const progress = semaphoreLaws(() => checkThenAct, { numRuns: 50, seed: 5 }).slice(4, 5);
    expect(firstFailure(progress)).toMatch(/blocked while tokens remain/);
  });

  it("catch a Zemaphore whose wait uses `if` instead of `while` (a thread that arrives after the signal takes the token)", () => {
    const ifZem = zemaphore("Zemaphore waiting with if", "if");
    const pool = semaphoreLaws(() => ifZem, { numRuns: 50, seed: 5 }).slice(1, 2);
    expect(firstFailure(pool)).toMatch(/too many holders|negative value/);
  });

  it("catch a try-wait that waits when the value is 0", () => {
    const blocking = broken("try-wait that waits", {
      *tryWait(self, s) {
        yield* counterSemaphore.wait(self, s);
        return true;
      },
    });
    const tryLaw = semaphoreLaws(() => blocking, { numRuns: 50, seed: 5 }).slice(3, 4);
    expect(firstFailure(tryLaw)).toMatch(/try-wait blocked/);
  });
});
