/**
 * The `Semaphore` interface: a counting semaphore a student writes over a few words of simulated
 * memory (OSTEP ch. 31's "build a semaphore" lab), and ours.
 *
 * | implementation   | state                                 | uncontended wait + post   | blocked waiter        |
 * | ---------------- | ------------------------------------- | ------------------------- | --------------------- |
 * | `nptlSemaphore`  | value << 1 \| W, nwaiters (glibc 2.21) | 4 traps, no system call   | asleep on the futex   |
 *
 * A lab's solution — OSTEP's "Zemaphore" (fig. 31.17: one value, one mutex, one condition
 * variable) built on this library's mutex and condition variable — is in
 * `test/semaphore-laws.test.ts`, where it passes the same laws as ours.
 *
 * Laws: `semaphoreLaws` (`@osbricks/runtime/laws`): no lost post, at most `value` holders of a
 * resource pool, mutual exclusion as a binary semaphore, try-wait never blocks and fails exactly
 * at 0, the value never negative, and progress.
 *
 * Related: `semaphore.ts` (our sem_*), `../laws/semaphore-laws.ts`.
 */
import type { UserCode } from "@osbricks/kernel";
import type { Pthread } from "../thread/pthread.js";
import { SemLayout, semGetValue, semInit, semPost, semTryWait, semWait } from "./semaphore.js";

/** A counting semaphore over `size` bytes of user memory at `s`, set up by `init`. */
export interface Semaphore {
  /** Shown in law names and failures. */
  readonly name: string;
  /** Bytes it occupies (8-byte aligned, zero-filled before `init`). */
  readonly size: number;
  /** Give it `value` tokens (called once, before any other thread uses it). */
  init(self: Pthread, s: number, value: number): UserCode<unknown>;
  /** Take a token, waiting while there is none. */
  wait(self: Pthread, s: number): UserCode<unknown>;
  /** Take a token if there is one, never waiting: true when one was taken. */
  tryWait(self: Pthread, s: number): UserCode<boolean>;
  /** Add a token, letting one waiter (if any) go on. */
  post(self: Pthread, s: number): UserCode<unknown>;
  /** The tokens available at one instant (never negative). */
  value(self: Pthread, s: number): UserCode<number>;
}

/**
 * This library's semaphore (`semaphore.ts`, glibc's new semaphore with 32-bit atomics).
 * @example
 * ```ts
 * yield* nptlSemaphore.init(self, s, 1);
 * yield* nptlSemaphore.wait(self, s); // s is now a lock we hold
 * yield* nptlSemaphore.post(self, s);
 * ```
 */
export const nptlSemaphore: Semaphore = {
  name: "NPTL semaphore (value and waiters bit in one word)",
  size: SemLayout.SIZE,
  init: (_self, s, value) => semInit(s, 0, value),
  wait: (_self, s) => semWait(s),
  *tryWait(_self, s) {
    return (yield* semTryWait(s)) === 0;
  },
  post: (_self, s) => semPost(s),
  value: (_self, s) => semGetValue(s),
};
