/**
 * The two futex calls the channel's mutex and condition sleep and wake with, as a port, so the
 * same lock runs on the jsix-like kernel (`j6_futex_wait`/`j6_futex_wake`) and, in tests, on the
 * POSIX personality's `futex(2)` under `@osbricks/runtime`'s lock and condition-variable laws.
 *
 * ```
 *   mutex.ts, condition.ts ──▶ SyncPort { mem: atomics + loads/stores, futex: wait/wake }
 *                                   │                               │
 *                    jsixSync: mem + j6_futex_*        posixSync: mem + runtime's futexWait/Wake
 * ```
 *
 * The rule both kernels keep, and the locks rely on: a wait compares the word with `expected`
 * and enqueues the caller in ONE step (one trap), so a store-then-wake that lands after the
 * compare finds the waiter queued (Drepper, "Futexes Are Tricky", section 2). The atomics are the
 * kernel's one-trap `LOCK CMPXCHG`/`XCHG`/`LOCK XADD` (`mem.cas32` and friends).
 *
 * Related: `memory.ts` (`AtomicMemory`), `mutex.ts`, `condition.ts`, `../../abi.ts` (calls 26, 27).
 */
import type { UserCode } from "@osbricks/kernel";
import { futexWait, futexWake } from "@osbricks/runtime";
import { j6 } from "../../lib.js";
import { type AtomicMemory, userMemory } from "./memory.js";

/** Sleep on a word while it holds a value; wake sleepers of a word. */
export interface FutexPort {
  /**
   * Sleep while the 32-bit word at `va` equals `expected` (no limit on the time). Returns at once
   * when it differs. A return proves nothing about the word: callers re-check.
   */
  wait(va: number, expected: number): UserCode<number>;
  /** Wake up to `count` threads sleeping on `va`; returns how many woke (or an error status). */
  wake(va: number, count: number): UserCode<number>;
}

/** What the channel's locks need: memory with atomics, and a futex. */
export interface SyncPort {
  /** Loads, stores and the one-trap atomics. */
  readonly mem: AtomicMemory;
  /** The kernel's futex calls. */
  readonly futex: FutexPort;
}

/** Most sleepers one wake may wake ("everyone"). */
export const WAKE_EVERYONE = 0x7fff_ffff;

/**
 * The jsix-like kernel's futex: `j6_futex_wait(addr, expected, -1)` and `j6_futex_wake(addr, n)`.
 * `expected` travels as an int32 register, so it is passed as `expected | 0` (the word's bits).
 * @example
 * ```ts
 * yield* jsixFutex.wait(va, 2); // sleeps while *va == 2
 * ```
 */
export const jsixFutex: FutexPort = {
  wait: (va, expected) => j6.j6_futex_wait(va, expected | 0, -1),
  wake: (va, count) => j6.j6_futex_wake(va, count),
};

/**
 * A jsix program's port: its own memory (every access a trap) and the j6 futex calls.
 * @example
 * ```ts
 * yield* mutexLock(jsixSync, va); yield* mutexUnlock(jsixSync, va);
 * ```
 */
export const jsixSync: SyncPort = { mem: userMemory, futex: jsixFutex };

/**
 * The same locks on the POSIX personality: `futex(2)` through `@osbricks/runtime`'s
 * `futexWait`/`futexWake`. The channel's tests run them under runtime's lock and
 * condition-variable laws, and stream through a channel between pthreads, with this port.
 * @example
 * ```ts
 * yield* mutexLock(posixSync, va); // in a pthread program
 * ```
 */
export const posixSync: SyncPort = {
  mem: userMemory,
  futex: { wait: (va, expected) => futexWait(va, expected), wake: (va, count) => futexWake(va, count) },
};
