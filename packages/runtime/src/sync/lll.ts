/**
 * The low-level lock: Drepper's futex mutex ("Futexes Are Tricky", 2011, mutex #3), the one every
 * other primitive of this package is built on, and the NORMAL mutex itself.
 *
 * ```
 *   word: 0 unlocked · 1 locked, nobody waits · 2 locked, someone may be sleeping in the kernel
 *
 *   lock:   c = cas(w, 0, 1)             0 → got it: one atomic trap, no system call
 *           if c != 2: c = xchg(w, 2)    announce a waiter
 *           while c != 0:                 someone holds it
 *               futex_wait(w, 2)         sleeps only if w is still 2 (compare and enqueue are one trap)
 *               c = xchg(w, 2)           we may be the one who got it; keep 2, others may wait
 *   unlock: if xadd(w, -1) != 1:         it was 2: somebody may sleep
 *               w = 0; futex_wake(w, 1)
 * ```
 *
 * **No lost wakeup.** A waiter sleeps only if the word is 2 at the instant of its `futex_wait`
 * trap; an unlocker stores 0 *before* it wakes. If the unlock came first the wait returns EAGAIN
 * and the waiter retries its `xchg`; if it came after, the waiter is already queued. **Why 2 after
 * waking.** A woken thread cannot know whether others still sleep, so it takes the lock as 2 and
 * pays one spare wake at unlock: correctness over a system call (Drepper's argument).
 *
 * Related: `atomic.ts`, `mutex.ts` (kinds on top), `@osbricks/ipc` `futex/futex.ts` (the kernel side).
 */
import { FutexOp, mem, posixStubs as sys, type UserCode } from "@osbricks/kernel";
import { atomic } from "./atomic.js";

/** Most waiters one FUTEX_WAKE may wake (INT_MAX, "wake everyone"). */
export const WAKE_ALL = 0x7fff_ffff;

/**
 * Acquire the lock word at `va` (see the banner for the protocol).
 * @example
 * ```ts
 * yield* lllLock(va); yield* compute(100); yield* lllUnlock(va);
 * ```
 */
export function* lllLock(va: number): UserCode<void> {
  let c = yield* atomic.cas32(va, 0, 1);
  if (c === 0) return;
  if (c !== 2) c = yield* atomic.xchg32(va, 2);
  while (c !== 0) {
    yield* futexWait(va, 2);
    c = yield* atomic.xchg32(va, 2);
  }
}

/** Try once: true when the lock was free and is now ours (state 1). */
export function* lllTryLock(va: number): UserCode<boolean> {
  return (yield* atomic.cas32(va, 0, 1)) === 0;
}

/** Release the lock word at `va`, waking one sleeper if any may wait. */
export function* lllUnlock(va: number): UserCode<void> {
  if ((yield* atomic.add32(va, -1)) !== 1) {
    // It was 2 (now 1): store 0 before waking, so the woken thread's xchg can find it free.
    yield* mem.store32(va, 0);
    yield* futexWake(va, 1);
  }
}

/**
 * `FUTEX_WAIT`: sleep while the word at `va` holds `expected` (returns −EAGAIN at once if it
 * differs). Callers re-check their condition: a return proves nothing about the word.
 * @param timeout most cycles to sleep, 0 for no limit (the kernel wakes at the first tick after it).
 * @returns 0 (woken), −EAGAIN, −ETIMEDOUT, −EINTR.
 */
export function* futexWait(va: number, expected: number, timeout = 0): UserCode<number> {
  return yield* sys.futex(va, FutexOp.FUTEX_WAIT, expected >>> 0, timeout);
}

/** `FUTEX_WAKE`: wake up to `count` threads sleeping on `va`; returns how many were woken. */
export function* futexWake(va: number, count: number): UserCode<number> {
  return yield* sys.futex(va, FutexOp.FUTEX_WAKE, count, 0);
}
