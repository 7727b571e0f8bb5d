/**
 * `pthread_cond_t`: condition variables with sequence counters under an internal lock — the
 * algorithm of NPTL's condition variables from glibc 2.3 to 2.24, in our own words.
 *
 * ```
 *   total_seq   waits begun          every wait takes a ticket: total_seq++
 *   wakeup_seq  wakeups granted      signal: if total_seq > wakeup_seq, wakeup_seq++ and wake one
 *   woken_seq   wakeups consumed     a waiter leaves when wakeup_seq moved past its ticket and
 *                                    woken_seq < wakeup_seq (a grant is still unclaimed); woken_seq++
 *   bcast_seq   broadcasts           broadcast: wakeup_seq = woken_seq = total_seq, bcast_seq++,
 *                                    wake all; a waiter that sees bcast_seq move leaves at once
 *   futex       the word waiters sleep on; changes on every grant, so a grant between a waiter's
 *               unlock and its futex_wait makes the wait return at once (no lost wakeup)
 * ```
 *
 * **Counts.** A signal grants at most one wakeup (wakeup_seq − woken_seq grows by one) and a waiter
 * returns only by consuming a grant, a broadcast, or its own timeout, so *signal wakes at most
 * one*; a waiter's wait returns only after its grant, so there are no spurious returns either.
 * A broadcast releases exactly the waiters present at the time. Which waiter takes a grant is not
 * FIFO (POSIX does not ask for it): a waiter that arrived after the signal may take it.
 *
 * **Timed waits.** A timed waiter sleeps in the kernel's `futex` with a timeout: the cycles left
 * until its absolute deadline on the CPU's clock ({@link now}). On timeout it counts itself as
 * granted and consumed (wakeup_seq++, woken_seq++), exactly as NPTL did, so the books stay
 * balanced and a later signal is not spent on a thread that already left.
 *
 * Related: `mutex.ts`, `lll.ts`, `../api.ts` (CondLayout).
 */
import { Errno, mem, type UserCode } from "@osbricks/kernel";
import { CondLayout as C } from "../api.js";
import { RuntimeInvariantError } from "../errors.js";
import type { Pthread } from "../thread/pthread.js";
import { now } from "./atomic.js";
import { futexWait, futexWake, lllLock, lllUnlock, WAKE_ALL } from "./lll.js";
import { mutexLock, mutexUnlock } from "./mutex.js";

/** Whether counter `a` is ahead of `b`, with 32-bit wrap-around. */
const ahead = (a: number, b: number): boolean => ((a - b) | 0) > 0;

/** `pthread_cond_init`: zero the words (a zero-filled cond is `PTHREAD_COND_INITIALIZER`). */
export function* condInit(c: number): UserCode<number> {
  yield* mem.write(c, new Uint8Array(C.SIZE));
  return 0;
}

/**
 * `pthread_cond_wait`: release `m`, sleep until signalled, retake `m`.
 * @returns 0, or the error of releasing `m` (EPERM for a checked mutex the caller does not hold).
 * @example
 * ```ts
 * yield* mutexLock(self, m);
 * while ((yield* mem.load32(count)) === 0) yield* condWait(self, notEmpty, m);
 * ```
 */
export function* condWait(self: Pthread, c: number, m: number): UserCode<number> {
  return yield* waitUntil(self, c, m, Number.POSITIVE_INFINITY);
}

/**
 * `pthread_cond_timedwait`: as {@link condWait}, but give up at the absolute cycle `deadline`
 * (compare with {@link now}).
 * @returns 0, ETIMEDOUT (the mutex is held again either way), EINVAL (deadline not a number), EPERM.
 */
export function* condTimedWait(self: Pthread, c: number, m: number, deadline: number): UserCode<number> {
  if (Number.isNaN(deadline)) return Errno.EINVAL;
  return yield* waitUntil(self, c, m, deadline);
}

function* waitUntil(self: Pthread, c: number, m: number, deadline: number): UserCode<number> {
  const lock = c + C.LOCK;
  // POSIX pthread_cond_wait releases the mutex "atomically" with blocking: no signal may slip
  // between the two. The mutex is released only while the internal lock is held, and a signaller
  // needs that lock to grant, so our ticket is on the books before anyone can signal past it.
  yield* lllLock(lock);
  const err = yield* mutexUnlock(self, m);
  if (err !== 0) {
    yield* lllUnlock(lock);
    return err;
  }
  yield* mem.store32(c + C.TOTAL_SEQ, ((yield* mem.load32(c + C.TOTAL_SEQ)) + 1) >>> 0);
  yield* mem.store32(c + C.NWAITERS, (yield* mem.load32(c + C.NWAITERS)) + 1);
  const ticket = yield* mem.load32(c + C.WAKEUP_SEQ);
  const bcast = yield* mem.load32(c + C.BROADCAST_SEQ);
  let result = 0;
  for (;;) {
    const seen = yield* mem.load32(c + C.FUTEX);
    yield* lllUnlock(lock);
    let timedOut = false;
    if (deadline === Number.POSITIVE_INFINITY) yield* futexWait(c + C.FUTEX, seen);
    else timedOut = yield* sleepUntil(c + C.FUTEX, seen, deadline);
    yield* lllLock(lock);
    if ((yield* mem.load32(c + C.BROADCAST_SEQ)) !== bcast) break; // released by a broadcast
    const wakeup = yield* mem.load32(c + C.WAKEUP_SEQ);
    if (wakeup !== ticket && wakeup !== (yield* mem.load32(c + C.WOKEN_SEQ))) {
      yield* mem.store32(c + C.WOKEN_SEQ, ((yield* mem.load32(c + C.WOKEN_SEQ)) + 1) >>> 0);
      break; // took a grant
    }
    if (timedOut) {
      // Count ourselves as granted and consumed: the books stay balanced, no signal is lost.
      yield* mem.store32(c + C.WAKEUP_SEQ, (wakeup + 1) >>> 0);
      yield* mem.store32(c + C.WOKEN_SEQ, ((yield* mem.load32(c + C.WOKEN_SEQ)) + 1) >>> 0);
      yield* mem.store32(c + C.FUTEX, ((yield* mem.load32(c + C.FUTEX)) + 1) >>> 0);
      result = Errno.ETIMEDOUT;
      break;
    }
  }
  yield* mem.store32(c + C.NWAITERS, (yield* mem.load32(c + C.NWAITERS)) - 1);
  yield* lllUnlock(lock);
  // POSIX: on return, and on ETIMEDOUT too, "the mutex shall have been locked and shall be owned
  // by the calling thread". The lock cannot fail: the caller owned it, so it is not ours now.
  yield* mutexLock(self, m);
  return result;
}

/** Sleep while the word at `va` holds `seen`, at most until the cycle `deadline`; true on timeout. */
function* sleepUntil(va: number, seen: number, deadline: number): UserCode<boolean> {
  const left = deadline - (yield* now());
  if (left <= 0) return (yield* mem.load32(va)) === seen;
  return (yield* futexWait(va, seen, Math.ceil(left))) === -Errno.ETIMEDOUT;
}

/**
 * `pthread_cond_signal`: grant one wakeup if anyone waits (at most one waiter returns for it).
 * @returns 0.
 */
export function* condSignal(c: number): UserCode<number> {
  const lock = c + C.LOCK;
  yield* lllLock(lock);
  const total = yield* mem.load32(c + C.TOTAL_SEQ);
  const wakeup = yield* mem.load32(c + C.WAKEUP_SEQ);
  if (ahead(total, wakeup)) {
    yield* mem.store32(c + C.WAKEUP_SEQ, (wakeup + 1) >>> 0);
    yield* mem.store32(c + C.FUTEX, ((yield* mem.load32(c + C.FUTEX)) + 1) >>> 0);
    yield* futexWake(c + C.FUTEX, 1);
  }
  yield* lllUnlock(lock);
  return 0;
}

/**
 * `pthread_cond_broadcast`: release every thread waiting now.
 * @returns 0.
 */
export function* condBroadcast(c: number): UserCode<number> {
  const lock = c + C.LOCK;
  yield* lllLock(lock);
  const total = yield* mem.load32(c + C.TOTAL_SEQ);
  if (ahead(total, yield* mem.load32(c + C.WAKEUP_SEQ))) {
    yield* mem.store32(c + C.WAKEUP_SEQ, total);
    yield* mem.store32(c + C.WOKEN_SEQ, total);
    yield* mem.store32(c + C.BROADCAST_SEQ, ((yield* mem.load32(c + C.BROADCAST_SEQ)) + 1) >>> 0);
    yield* mem.store32(c + C.FUTEX, ((yield* mem.load32(c + C.FUTEX)) + 1) >>> 0);
    yield* lllUnlock(lock);
    yield* futexWake(c + C.FUTEX, WAKE_ALL);
    return 0;
  }
  yield* lllUnlock(lock);
  return 0;
}

/** `pthread_cond_destroy`: EBUSY while threads wait, else 0. */
export function* condDestroy(c: number): UserCode<number> {
  return (yield* mem.load32(c + C.NWAITERS)) !== 0 ? Errno.EBUSY : 0;
}

/** A condition variable's counters as plain data. */
export interface CondState {
  readonly totalSeq: number;
  readonly wakeupSeq: number;
  readonly wokenSeq: number;
  readonly nwaiters: number;
}

/**
 * Check a snapshot taken while the internal lock is free:
 * woken ≤ wakeup ≤ total (mod 2^32, by distance) and the waiters still waiting are
 * total − woken ≥ nwaiters − (those released by a broadcast not yet out).
 * @throws RuntimeInvariantError naming the first broken rule.
 */
export function checkCond(s: CondState): void {
  const where = `cond{total=${s.totalSeq}, wakeup=${s.wakeupSeq}, woken=${s.wokenSeq}, nwaiters=${s.nwaiters}}`;
  if (ahead(s.wokenSeq, s.wakeupSeq))
    throw new RuntimeInvariantError(`${where}: more wakeups taken than granted`);
  if (ahead(s.wakeupSeq, s.totalSeq))
    throw new RuntimeInvariantError(`${where}: more wakeups granted than waits`);
  if (s.nwaiters < 0 || s.nwaiters > 0x7fff_ffff)
    throw new RuntimeInvariantError(`${where}: negative waiters`);
}
