/**
 * The channel's condition: one sequence word, used with the channel's mutex (`mutex.ts`).
 *
 * ```
 *   wait(c, m):  seq = load(c)          read UNDER the mutex: a wake must come after this read
 *                unlock(m)
 *                futex_wait(c, seq)     sleeps only while c still holds seq
 *                lock(m)                the caller re-checks its predicate (a while loop)
 *   wake(c):     xadd(c, 1)             every waiter's seq is now stale
 *                futex_wake(c, all)
 * ```
 *
 * **No lost wakeup.** A waker changes the state it announces (commits bytes, consumes them)
 * while holding the mutex, and bumps the word; a waiter read `seq` while holding the same mutex,
 * before that change or after it. Before: the bump makes the word ≠ seq, so a wait that comes
 * late returns at once, and one that came early is woken. After: the waiter saw the change and
 * does not wait. The word would have to wrap around 2^32 bumps inside one waiter's window to fool
 * it. **Spurious returns** are possible (any bump wakes every sleeper), so callers loop.
 *
 * Why not libj6's: jsix's `condition::wait` increments the word *after* the caller dropped the
 * mutex and `wake` resets it to 0, so a wake between the unlock and the increment is lost (the
 * writer in `channel::reserve` then sleeps until the next commit). Reading the word under the
 * mutex closes that window; it is the design of bionic's condition variable, `seqCondVar` in
 * `@osbricks/runtime`, here over a futex port.
 *
 * Related: `futex.ts`, `mutex.ts`, `channel.ts`; jsix `src/libraries/j6/condition.cpp`.
 */
import type { UserCode } from "@osbricks/kernel";
import { type SyncPort, WAKE_EVERYONE } from "./futex.js";
import { mutexLock, mutexUnlock } from "./mutex.js";

/** Bytes a condition occupies (one word, 4-byte aligned, any initial value). */
export const CONDITION_BYTES = 4;

/**
 * Release the mutex at `m`, sleep until the condition at `c` is woken, and take `m` again.
 * The caller must hold `m`. Returns how many times it slept in the kernel (the futex wait, plus
 * any sleeps retaking the mutex).
 * @example
 * ```ts
 * yield* mutexLock(jsixSync, m);
 * while (!(yield* ready())) yield* conditionWait(jsixSync, c, m);
 * ```
 */
export function* conditionWait(s: SyncPort, c: number, m: number): UserCode<number> {
  const seq = yield* s.mem.load32(c);
  yield* mutexUnlock(s, m);
  yield* s.futex.wait(c, seq);
  return 1 + (yield* mutexLock(s, m));
}

/**
 * Wake every waiter of the condition at `c` (they re-check their predicates). Call it while
 * holding the mutex the waiters use, after changing the state they wait for.
 * @returns what the futex wake returned (how many woke).
 */
export function* conditionWake(s: SyncPort, c: number): UserCode<number> {
  yield* s.mem.xadd32(c, 1);
  return yield* s.futex.wake(c, WAKE_EVERYONE);
}

/**
 * Wake at most one waiter (a signal): enough when any one waiter can use the change.
 * @returns what the futex wake returned.
 */
export function* conditionWakeOne(s: SyncPort, c: number): UserCode<number> {
  yield* s.mem.xadd32(c, 1);
  return yield* s.futex.wake(c, 1);
}
