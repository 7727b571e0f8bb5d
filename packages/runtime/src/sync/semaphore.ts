/**
 * `sem_t`: POSIX unnamed semaphores — the scheme of glibc's "new" semaphore (glibc 2.21 and
 * later, `nptl/sem_waitcommon.c`, `nptl/sem_post.c`) in its variant for machines with 32-bit
 * atomics only, which is what our atomic traps are. In our own words.
 *
 * ```
 *   sem_t (16 B)                       the value word (+0), the one futex waiters sleep on
 *   +0  value word  value << 1 | W       31                                        1   0
 *   +4  nwaiters    registered waiters   ┌──────────────────────────────────────────┬───┐
 *   +8  pshared     0 private, 1 shared  │ value: tokens available, 0..SEM_VALUE_MAX │ W │
 *   +12 (padding)                        └──────────────────────────────────────────┴───┘
 *                                        W = 1: some sem_wait may be blocked (post must wake)
 *
 *   worked numbers: value 3, nobody waits     → 3 << 1 | 0 = 0x6
 *                   value 0, a waiter asleep  → 0 << 1 | 1 = 0x1  (what waiters sleep on)
 *                   a post on 0x1             → 0x1 + 2   = 0x3   (value 1, W set: FUTEX_WAKE 1)
 *                   SEM_VALUE_MAX, W set      → 0x7FFF_FFFF << 1 | 1 = 0xFFFF_FFFF
 *
 *   post:  v = load; CAS v → v + 2 (EOVERFLOW at SEM_VALUE_MAX); if the old v had W: wake 1
 *   wait:  fast: while value > 0: CAS v → v − 2                       (no system call)
 *          slow: nwaiters++; loop { set W (CAS); value 0? futex_wait(word, 0x1) : CAS v → v − 2 }
 *                then finish: nwaiters−−, clearing W when we guess we were the last waiter
 * ```
 *
 * **Why a bit, not a count, in the word.** POSIX lets a semaphore be destroyed as soon as the
 * last sem_wait has returned, so sem_post may not touch the object after the CAS that hands out
 * its token: "add a token" and "is anyone blocked?" must be one atomic step. With 64-bit atomics
 * glibc keeps value and nwaiters in one 64-bit word; with 32 bits they do not both fit, so the
 * word carries one bit W that is *conservative*: W set with nobody blocked costs only a spare
 * FUTEX_WAKE, W clear with a sleeper would lose a wakeup. A waiter sets W (CAS) before every
 * sleep, and its futex_wait compares the whole word with 0x1, so a post between the check and the
 * sleep (word now 0x3) makes the sleep return at once.
 *
 * **Clearing W.** The last waiter to leave clears W, but it cannot read nwaiters and clear W in
 * one step. It guesses (nwaiters == 1 → clear W), then decrements nwaiters; if the decrement shows
 * another waiter arrived meanwhile (old count > 1) the guess was wrong: it sets W again and wakes
 * as many waiters as there are tokens, which is what the posts it may have silenced would have
 * done (glibc `__sem_wait_32_finish`).
 *
 * **Errors.** POSIX's sem_* return −1 and set errno; here, as with the pthread calls of this
 * package, the error number comes back directly (0 on success). Signals follow Linux (signal(7),
 * futex(2)): a handler without SA_RESTART ends a blocked sem_wait with EINTR; with SA_RESTART the
 * kernel restarts the untimed futex wait and sem_wait goes on waiting (since Linux 2.6.22); a
 * timed wait has no restart point (ERESTART_RESTARTBLOCK) and sem_timedwait returns EINTR either
 * way. Our kernel's futex does the same, so the semaphore forwards what the futex returns.
 *
 * **pshared.** The kernel keys futex waiters by physical address, so a semaphore in a MAP_SHARED
 * page works across processes with no change to the protocol; the flag is recorded as glibc
 * records its `private` field.
 *
 * Related: `lll.ts` (futex wait/wake), `atomic.ts`, `semaphore-api.ts` (the `Semaphore`
 * interface), `../laws/semaphore-laws.ts`.
 */
import { Errno, mem, type UserCode } from "@osbricks/kernel";
import { RuntimeInvariantError } from "../errors.js";
import { atomic, now } from "./atomic.js";
import { futexWait, futexWake } from "./lll.js";

/** Byte layout of `sem_t`. */
export const SemLayout = {
  /** The value word: `value << 1 | W` (the futex word). */
  VALUE: 0,
  /** Waiters registered in the slow path of sem_wait. */
  NWAITERS: 4,
  /** 0: private to the process, 1: shared between processes (`sem_init`'s pshared). */
  PSHARED: 8,
  SIZE: 16,
} as const;

/** `SEM_VALUE_MAX`: the largest value (Linux: INT_MAX, 0x7FFF_FFFF). */
export const SEM_VALUE_MAX = 0x7fff_ffff;
/** Where the value sits in the value word. */
export const SEM_VALUE_SHIFT = 1;
/** The "waiters may be blocked" bit W of the value word. */
export const SEM_NWAITERS_MASK = 1;

/** One token in the value word: `1 << SEM_VALUE_SHIFT`. */
const TOKEN = 2;

/**
 * An absolute time, as `struct timespec`. The simulated clock is the CPU's cycle counter
 * (`clock_gettime` answers it for CLOCK_REALTIME and CLOCK_MONOTONIC alike) and one cycle is one
 * nanosecond, so `{ sec: 1, nsec: 500 }` is cycle 1 000 000 500.
 */
export interface Timespec {
  /** Whole seconds. */
  readonly sec: number;
  /** Nanoseconds, 0 ≤ nsec < 1 000 000 000 (POSIX; anything else is EINVAL). */
  readonly nsec: number;
}

/** Nanoseconds in a second. */
const NSEC_PER_SEC = 1_000_000_000;

/**
 * The {@link Timespec} of absolute cycle `cycles` (1 cycle = 1 ns).
 * @example
 * ```ts
 * timespecAt(2_500_000_123); // { sec: 2, nsec: 500_000_123 }
 * ```
 */
export function timespecAt(cycles: number): Timespec {
  const sec = Math.floor(cycles / NSEC_PER_SEC);
  return { sec, nsec: cycles - sec * NSEC_PER_SEC };
}

/**
 * `sem_init`: a semaphore with `value` tokens at `sem` (16 bytes, 4-byte aligned).
 * @param pshared 0: used by the threads of one process; nonzero: by several processes, so `sem`
 *   must lie in shared memory (a MAP_SHARED mapping).
 * @returns 0, or EINVAL when `value` is not an integer in 0..{@link SEM_VALUE_MAX} (POSIX sem_init).
 * @example
 * ```ts
 * const sem = yield* libc.sbrk(SemLayout.SIZE);
 * yield* semInit(sem, 0, 3); // a pool of three
 * ```
 */
export function* semInit(sem: number, pshared: number, value: number): UserCode<number> {
  if (!Number.isInteger(value) || value < 0 || value > SEM_VALUE_MAX) return Errno.EINVAL;
  yield* mem.store32(sem + SemLayout.NWAITERS, 0);
  yield* mem.store32(sem + SemLayout.PSHARED, pshared !== 0 ? 1 : 0);
  yield* mem.store32(sem + SemLayout.VALUE, value * TOKEN);
  return 0;
}

/**
 * Take a token if there is one: the fast path of every wait, and all of sem_trywait. A failed CAS
 * means another thread moved the word; its old value (what CMPXCHG leaves in EAX) is the next try.
 */
function* takeToken(sem: number): UserCode<boolean> {
  let v = yield* mem.load32(sem);
  while (v >>> SEM_VALUE_SHIFT !== 0) {
    const old = yield* atomic.cas32(sem, v, v - TOKEN);
    if (old === v) return true;
    v = old;
  }
  return false;
}

/**
 * `sem_trywait`: take a token without blocking.
 * @returns 0, or EAGAIN when the value is 0 (POSIX sem_trywait).
 */
export function* semTryWait(sem: number): UserCode<number> {
  return (yield* takeToken(sem)) ? 0 : Errno.EAGAIN;
}

/**
 * `sem_wait`: take a token, sleeping in the kernel while there is none.
 * @returns 0, or EINTR when a signal handler without SA_RESTART ran while it slept (see the banner).
 * @example
 * ```ts
 * yield* semWait(sem);   // a pool slot is ours
 * yield* compute(500);
 * yield* semPost(sem);   // give it back
 * ```
 */
export function* semWait(sem: number): UserCode<number> {
  if (yield* takeToken(sem)) return 0;
  return yield* waitSlow(sem, Number.POSITIVE_INFINITY);
}

/**
 * `sem_timedwait`: as {@link semWait}, but give up at the absolute time `abstime` on the CPU clock
 * (see {@link Timespec}; {@link timespecAt} makes one from a cycle count).
 * @returns 0; ETIMEDOUT; EINTR (any handler: a timed wait is not restarted); EINVAL when
 *   `abstime.nsec` is outside 0..999 999 999 or a field is not a finite integer — checked before
 *   the fast path, as glibc's `__sem_clockwait` does (POSIX lets the check be skipped when a token
 *   is there; glibc does not skip it).
 */
export function* semTimedWait(sem: number, abstime: Timespec): UserCode<number> {
  const { sec, nsec } = abstime;
  if (!Number.isSafeInteger(sec) || !Number.isInteger(nsec) || nsec < 0 || nsec >= NSEC_PER_SEC)
    return Errno.EINVAL;
  if (yield* takeToken(sem)) return 0;
  return yield* waitSlow(sem, sec * NSEC_PER_SEC + nsec);
}

/** The slow path: register, sleep while the value is 0, take a token (glibc `__new_sem_wait_slow`). */
function* waitSlow(sem: number, deadline: number): UserCode<number> {
  yield* atomic.add32(sem + SemLayout.NWAITERS, 1);
  let err = 0;
  let v = yield* mem.load32(sem);
  for (;;) {
    // W must be set before we sleep, so that the post that brings a token knows to wake us.
    while ((v & SEM_NWAITERS_MASK) === 0) {
      const old = yield* atomic.cas32(sem, v, v | SEM_NWAITERS_MASK);
      if (old === v) v |= SEM_NWAITERS_MASK;
      else v = old;
    }
    if (v >>> SEM_VALUE_SHIFT === 0) {
      // Sleep only while the word is exactly "no token, W set": any post changes it first.
      err = yield* sleepOn(sem, deadline);
      if (err !== 0) break;
      v = yield* mem.load32(sem);
      continue;
    }
    const old = yield* atomic.cas32(sem, v, v - TOKEN);
    if (old === v) break;
    v = old;
  }
  yield* finish(sem);
  return err;
}

/**
 * One futex wait on the value word expecting 0x1 (no token, W set).
 * @returns 0 to look again (woken, or the word changed: EAGAIN), else ETIMEDOUT or EINTR.
 */
function* sleepOn(sem: number, deadline: number): UserCode<number> {
  let r: number;
  if (deadline === Number.POSITIVE_INFINITY) r = yield* futexWait(sem, SEM_NWAITERS_MASK);
  else {
    const left = deadline - (yield* now());
    if (left <= 0) return Errno.ETIMEDOUT;
    r = yield* futexWait(sem, SEM_NWAITERS_MASK, Math.ceil(left));
  }
  if (r === -Errno.ETIMEDOUT) return Errno.ETIMEDOUT;
  if (r === -Errno.EINTR) return Errno.EINTR;
  return 0;
}

/** Stop being a registered waiter, clearing W if we seem to be the last (glibc `__sem_wait_32_finish`). */
function* finish(sem: number): UserCode<void> {
  const guess = yield* mem.load32(sem + SemLayout.NWAITERS);
  if (guess === 1) yield* fetchAnd(sem, ~SEM_NWAITERS_MASK);
  const before = yield* atomic.add32(sem + SemLayout.NWAITERS, -1);
  if (before > 1 && guess === 1) {
    // Wrong guess: another waiter registered after our load and may sleep with W clear. Set W
    // again and wake as many as there are tokens, the wakes the posts since may have skipped.
    const v = yield* fetchOr(sem, SEM_NWAITERS_MASK);
    const tokens = v >>> SEM_VALUE_SHIFT;
    if (tokens > 0) yield* futexWake(sem, tokens);
  }
}

/** `LOCK AND` with the old value, as a CMPXCHG loop (our atomic traps have no AND). */
function* fetchAnd(va: number, mask: number): UserCode<number> {
  let v = yield* mem.load32(va);
  for (;;) {
    const old = yield* atomic.cas32(va, v, (v & mask) >>> 0);
    if (old === v) return v;
    v = old;
  }
}

/** `LOCK OR` with the old value, as a CMPXCHG loop. */
function* fetchOr(va: number, bits: number): UserCode<number> {
  let v = yield* mem.load32(va);
  for (;;) {
    const old = yield* atomic.cas32(va, v, (v | bits) >>> 0);
    if (old === v) return v;
    v = old;
  }
}

/**
 * `sem_post`: add a token; wake one sleeper if W says one may be blocked.
 * @returns 0, or EOVERFLOW when the value is already {@link SEM_VALUE_MAX} (POSIX sem_post,
 *   glibc `__new_sem_post`; the semaphore is unchanged).
 */
export function* semPost(sem: number): UserCode<number> {
  let v = yield* mem.load32(sem);
  for (;;) {
    if (v >>> SEM_VALUE_SHIFT === SEM_VALUE_MAX) return Errno.EOVERFLOW;
    const old = yield* atomic.cas32(sem, v, v + TOKEN);
    if (old === v) break;
    v = old;
  }
  // After the CAS the semaphore may already be destroyed (POSIX allows it once the last waiter
  // returned), so W is read from the CAS's old value, never from memory again.
  if ((v & SEM_NWAITERS_MASK) !== 0) yield* futexWake(sem, 1);
  return 0;
}

/**
 * `sem_getvalue`: the tokens available at one instant (never negative: POSIX allows a negative
 * count of waiters instead, Linux and this library report 0).
 */
export function* semGetValue(sem: number): UserCode<number> {
  return (yield* mem.load32(sem)) >>> SEM_VALUE_SHIFT;
}

/**
 * `sem_destroy`: EBUSY while a waiter is registered (POSIX: destroying a semaphore threads are
 * blocked on is undefined; we refuse it, as `condDestroy` does), else 0.
 */
export function* semDestroy(sem: number): UserCode<number> {
  return (yield* mem.load32(sem + SemLayout.NWAITERS)) !== 0 ? Errno.EBUSY : 0;
}

/** A semaphore's words as plain data, for tests and invariant checks. */
export interface SemaphoreState {
  /** The value word as stored (`value << 1 | W`). */
  readonly word: number;
  /** The registered-waiter count as stored (read as a signed 32-bit number by the check). */
  readonly nwaiters: number;
  /** The pshared word. */
  readonly pshared: number;
}

/**
 * Check a snapshot read between kernel steps. Rules: nwaiters is not negative (as a signed 32-bit
 * count) nor above `maxWaiters` (the threads that could have registered); pshared is 0 or 1. W is
 * not checked: set with nobody registered is allowed (it only costs a spare wake), and clear with
 * a registered waiter happens for a moment while the last waiter leaves.
 * @throws RuntimeInvariantError naming the first broken rule.
 */
export function checkSemaphore(s: SemaphoreState, maxWaiters = 0x7fff_ffff): void {
  const where = `sem{value=${s.word >>> SEM_VALUE_SHIFT}, W=${s.word & SEM_NWAITERS_MASK}, nwaiters=${s.nwaiters | 0}, pshared=${s.pshared}}`;
  if ((s.nwaiters | 0) < 0) throw new RuntimeInvariantError(`${where}: negative waiter count`);
  if ((s.nwaiters | 0) > maxWaiters)
    throw new RuntimeInvariantError(`${where}: more waiters registered than ${maxWaiters} threads`);
  if (s.pshared !== 0 && s.pshared !== 1) throw new RuntimeInvariantError(`${where}: pshared must be 0 or 1`);
}
