/**
 * The `Lock` interface: the smallest thing a student writes to take part in the thread library —
 * a mutual-exclusion lock whose state lives in a few words of simulated memory — and two of ours.
 *
 * | implementation  | waiting                      | uncontended lock + unlock     | contended waiter       |
 * | --------------- | ---------------------------- | ----------------------------- | ---------------------- |
 * | `futexLock`     | sleeps in the kernel (futex) | 2 atomic traps, no system call | asleep until woken     |
 * | `spinYieldLock` | retries after `sched_yield`  | 2 atomic traps, no system call | one system call a try  |
 *
 * A student's lock runs under the same kernel and is judged by `lockLaws`
 * (`@osbricks/runtime/laws`): mutual exclusion, an exact counter, every thread finishing (no
 * lost wakeup can strand a sleeper) and determinism per seed.
 *
 * Related: `lll.ts` (the futex lock), `../laws/lock-laws.ts`.
 */
import type { UserCode } from "@osbricks/kernel";
import type { Pthread } from "../thread/pthread.js";
import { atomic } from "./atomic.js";
import { lllLock, lllUnlock } from "./lll.js";

/** A mutual-exclusion lock over `size` zero-initialised bytes of user memory at `m`. */
export interface Lock {
  /** Shown in law names and failures. */
  readonly name: string;
  /** Bytes the lock occupies (4-byte aligned, zero-filled before first use). */
  readonly size: number;
  /** Acquire; returns when the caller holds the lock. */
  lock(self: Pthread, m: number): UserCode<unknown>;
  /** Release a lock the caller holds. */
  unlock(self: Pthread, m: number): UserCode<unknown>;
}

/**
 * Drepper's futex lock (`lll.ts`): the NORMAL mutex of this library.
 * @example
 * ```ts
 * yield* futexLock.lock(self, m); yield* futexLock.unlock(self, m);
 * ```
 */
export const futexLock: Lock = {
  name: "futex lock (Drepper's mutex #3)",
  size: 4,
  lock: (_self, m) => lllLock(m),
  unlock: (_self, m) => lllUnlock(m),
};

/**
 * A test-and-set lock that yields the CPU between tries: correct, but every waiter keeps running
 * (and trapping) until it gets in — the baseline the futex lock improves on.
 */
export const spinYieldLock: Lock = {
  name: "test-and-set lock with sched_yield",
  size: 4,
  *lock(self, m) {
    while ((yield* atomic.xchg32(m, 1)) !== 0) yield* self.yield();
  },
  *unlock(_self, m) {
    yield* atomic.xchg32(m, 0);
  },
};
