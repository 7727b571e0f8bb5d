/**
 * libj6's mutex: Drepper's futex mutex ("Futexes Are Tricky", 2011, mutex #3) in one 32-bit word
 * of memory that both processes of a channel map, so either side may hold it.
 *
 * ```
 *   word: 0 unlocked · 1 locked, nobody waits · 2 locked, someone may sleep in the kernel
 *
 *   lock:   c = cas(w, 0, 1)               0: ours, one atomic trap and no system call
 *           if c != 2: c = xchg(w, 2)      announce a waiter (we may get it here: c == 0)
 *           while c != 0:
 *               futex_wait(w, 2)           sleeps only while w is still 2 (one step in the kernel)
 *               c = xchg(w, 2)             we cannot know whether others sleep: take it as 2
 *   unlock: if xadd(w, -1) != 1:           it was 2 (now 1): somebody may sleep
 *               w = 0; futex_wake(w, 1)    release BEFORE waking, so the woken xchg finds 0
 * ```
 *
 * **No lost wakeup.** A waiter sleeps only if the word is 2 at the instant of its wait; an
 * unlocker stores 0 before it wakes. If the unlock comes first, the wait returns at once and the
 * waiter retries its exchange; if after, the waiter is queued and the wake finds it.
 *
 * This is the same protocol as `@osbricks/runtime`'s `lllLock` (which is wired to the POSIX
 * `futex(2)`); here the futex is a parameter ({@link SyncPort}), because a jsix program sleeps
 * with `j6_futex_wait`. Atomics are the kernel's one-trap instructions, not a second primitive.
 *
 * Related: `futex.ts`, `condition.ts`, `channel.ts` (the user); jsix `src/libraries/j6/mutex.cpp`.
 */
import type { UserCode } from "@osbricks/kernel";
import type { SyncPort } from "./futex.js";

/** The mutex word's three states. */
export const MutexState = {
  /** Nobody holds it. */
  UNLOCKED: 0,
  /** Held; nobody has announced waiting. */
  LOCKED: 1,
  /** Held, and someone may be asleep in the kernel: the unlock must wake. */
  CONTENDED: 2,
} as const;

/** Bytes a mutex occupies (one word, 4-byte aligned, zero = unlocked). */
export const MUTEX_BYTES = 4;

/**
 * Acquire the mutex word at `va`. Returns how many times the caller slept in the kernel (0 on
 * the uncontended path): the channel counts these.
 * @example
 * ```ts
 * yield* mutexLock(jsixSync, area); // … critical section … ; yield* mutexUnlock(jsixSync, area);
 * ```
 */
export function* mutexLock(s: SyncPort, va: number): UserCode<number> {
  let c = yield* s.mem.cas32(va, MutexState.UNLOCKED, MutexState.LOCKED);
  if (c === MutexState.UNLOCKED) return 0;
  if (c !== MutexState.CONTENDED) c = yield* s.mem.xchg32(va, MutexState.CONTENDED);
  let sleeps = 0;
  while (c !== MutexState.UNLOCKED) {
    yield* s.futex.wait(va, MutexState.CONTENDED);
    sleeps++;
    c = yield* s.mem.xchg32(va, MutexState.CONTENDED);
  }
  return sleeps;
}

/** Take the mutex only if it is free (state 0 → 1); true when the caller now holds it. */
export function* mutexTryLock(s: SyncPort, va: number): UserCode<boolean> {
  return (yield* s.mem.cas32(va, MutexState.UNLOCKED, MutexState.LOCKED)) === MutexState.UNLOCKED;
}

/**
 * Release a mutex the caller holds, waking one sleeper if the word said someone may sleep.
 * @remarks Unlocking a mutex nobody holds is a bug the word cannot detect (libj6's cannot either):
 *   the word wraps to 0xFFFFFFFF and the next lock waits forever.
 */
export function* mutexUnlock(s: SyncPort, va: number): UserCode<void> {
  if ((yield* s.mem.xadd32(va, -1)) !== MutexState.LOCKED) {
    yield* s.mem.store32(va, MutexState.UNLOCKED);
    yield* s.futex.wake(va, 1);
  }
}
