/**
 * `pthread_mutex_t`: the low-level lock (`lll.ts`) plus the owner and recursion count the
 * RECURSIVE and ERRORCHECK kinds need, as NPTL layers them.
 *
 * ```
 *   +0 lock  0/1/2   +4 owner tid   +8 kind   +12 count          (api.ts, MutexLayout)
 *
 *               lock by owner     lock by other   unlock by owner        unlock by non-owner
 *   NORMAL      deadlocks (POSIX) waits           releases               undefined (released)
 *   RECURSIVE   count++           waits           count--, release at 0  EPERM
 *   ERRORCHECK  EDEADLK           waits           releases               EPERM
 *   trylock     — busy: EBUSY (RECURSIVE by the owner: count++) —
 * ```
 *
 * The uncontended path of NORMAL is one atomic to lock and one to unlock; the futex is entered only
 * when the word was 2 (someone sleeps or may). The owner word is written only by the holder, while
 * it holds the lock, so a plain load of it by another thread can only tell "not me" — exactly the
 * question the checks ask (glibc's `__owner` works the same way).
 *
 * Related: `lll.ts`, `cond.ts` (waits release and retake a mutex), `lock-api.ts` and
 * `../laws/lock-laws.ts` (the lock laws, run on the low-level lock this mutex is built on).
 */
import { Errno, mem, type UserCode } from "@osbricks/kernel";
import { MutexLayout as M, MUTEX_DEFAULT, MutexKind } from "../api.js";
import { RuntimeInvariantError } from "../errors.js";
import type { Pthread } from "../thread/pthread.js";
import { lllLock, lllTryLock, lllUnlock } from "./lll.js";

/** Most recursive locks one owner may hold (glibc: EAGAIN past UINT_MAX). */
export const MUTEX_MAX_RECURSION = 0x7fff_ffff;

/**
 * `pthread_mutex_init` with a kind (`pthread_mutexattr_settype`). A zero-filled mutex is already
 * an unlocked NORMAL mutex (`PTHREAD_MUTEX_INITIALIZER`).
 * @returns 0, or EINVAL for an unknown kind.
 */
export function* mutexInit(m: number, kind: number = MUTEX_DEFAULT): UserCode<number> {
  if (kind !== MutexKind.NORMAL && kind !== MutexKind.RECURSIVE && kind !== MutexKind.ERRORCHECK)
    return Errno.EINVAL;
  yield* mem.write(m, new Uint8Array(M.SIZE));
  yield* mem.store32(m + M.KIND, kind);
  return 0;
}

/**
 * `pthread_mutex_lock`.
 * @returns 0; EDEADLK (ERRORCHECK, already ours); EAGAIN (RECURSIVE, count would overflow).
 * @example
 * ```ts
 * yield* mutexLock(self, m);
 * yield* mem.store32(counter, (yield* mem.load32(counter)) + 1);
 * yield* mutexUnlock(self, m);
 * ```
 */
export function* mutexLock(self: Pthread, m: number): UserCode<number> {
  const kind = yield* mem.load32(m + M.KIND);
  if (kind === MutexKind.NORMAL) {
    yield* lllLock(m + M.LOCK);
    return 0;
  }
  // POSIX.1-2008 pthread_mutex_lock: a RECURSIVE owner's relock counts up, an ERRORCHECK owner's
  // is EDEADLK; only NORMAL (and DEFAULT, which glibc maps to it) deadlocks on itself.
  if ((yield* mem.load32(m + M.OWNER)) === self.tid) return yield* relock(m, kind);
  yield* lllLock(m + M.LOCK);
  yield* mem.store32(m + M.COUNT, 1); // count first: a snapshot never sees an owner with count 0
  yield* mem.store32(m + M.OWNER, self.tid);
  return 0;
}

/** A lock by the owner: count up (RECURSIVE) or refuse (ERRORCHECK). */
function* relock(m: number, kind: number): UserCode<number> {
  if (kind !== MutexKind.RECURSIVE) return Errno.EDEADLK;
  const c = yield* mem.load32(m + M.COUNT);
  if (c >= MUTEX_MAX_RECURSION) return Errno.EAGAIN; // POSIX: "the maximum number of recursive locks ... exceeded"
  yield* mem.store32(m + M.COUNT, c + 1);
  return 0;
}

/**
 * `pthread_mutex_trylock`.
 * @returns 0; EBUSY when held (by anyone but a RECURSIVE owner, whose count goes up).
 */
export function* mutexTryLock(self: Pthread, m: number): UserCode<number> {
  const kind = yield* mem.load32(m + M.KIND);
  // POSIX pthread_mutex_trylock: EBUSY when locked "by any thread, including the current thread",
  // except that a RECURSIVE owner's count goes up and the call succeeds.
  if (kind !== MutexKind.NORMAL && (yield* mem.load32(m + M.OWNER)) === self.tid) {
    return kind === MutexKind.RECURSIVE ? yield* relock(m, kind) : Errno.EBUSY;
  }
  if (!(yield* lllTryLock(m + M.LOCK))) return Errno.EBUSY;
  if (kind !== MutexKind.NORMAL) {
    yield* mem.store32(m + M.COUNT, 1);
    yield* mem.store32(m + M.OWNER, self.tid);
  }
  return 0;
}

/**
 * `pthread_mutex_unlock`.
 * @returns 0; EPERM (RECURSIVE or ERRORCHECK not held by the caller).
 */
export function* mutexUnlock(self: Pthread, m: number): UserCode<number> {
  const kind = yield* mem.load32(m + M.KIND);
  if (kind !== MutexKind.NORMAL) {
    // POSIX.1-2008 pthread_mutex_unlock "shall fail" with EPERM for an ERRORCHECK or RECURSIVE
    // mutex the caller does not own (held by another thread, or not held at all); for NORMAL the
    // same call is undefined, and glibc, like this code, simply releases the word.
    if ((yield* mem.load32(m + M.OWNER)) !== self.tid) return Errno.EPERM;
    const c = yield* mem.load32(m + M.COUNT);
    if (c > 1) {
      yield* mem.store32(m + M.COUNT, c - 1);
      return 0;
    }
    yield* mem.store32(m + M.OWNER, 0); // owner first: a snapshot never sees an owner with count 0
    yield* mem.store32(m + M.COUNT, 0);
  }
  yield* lllUnlock(m + M.LOCK);
  return 0;
}

/**
 * `pthread_mutex_destroy`: EBUSY while locked, else 0 (the memory may then be reused).
 */
export function* mutexDestroy(m: number): UserCode<number> {
  return (yield* mem.load32(m + M.LOCK)) !== 0 ? Errno.EBUSY : 0;
}

/** A mutex's words as plain data, for tests and invariant checks. */
export interface MutexState {
  readonly lock: number;
  readonly owner: number;
  readonly kind: number;
  readonly count: number;
}

/**
 * Check a mutex snapshot (read from memory by a test or the host). The four words must be read
 * consistently — by the holder while it holds the mutex, or by the host between kernel steps:
 * another thread's four separate loads can interleave with a lock or unlock and see a torn state.
 * Rules: the lock word is 0, 1 or 2; a free mutex has no owner and count 0; a held checked mutex has an
 * owner and count ≥ 1; NORMAL mutexes never record an owner.
 * @throws RuntimeInvariantError naming the first broken rule.
 */
export function checkMutex(s: MutexState): void {
  const where = `mutex{lock=${s.lock}, owner=${s.owner}, kind=${s.kind}, count=${s.count}}`;
  if (s.lock > 2) throw new RuntimeInvariantError(`${where}: lock word must be 0, 1 or 2`);
  if (s.kind > 2) throw new RuntimeInvariantError(`${where}: unknown kind`);
  if (s.kind === MutexKind.NORMAL) {
    if (s.owner !== 0 || s.count !== 0)
      throw new RuntimeInvariantError(`${where}: a NORMAL mutex records no owner`);
    return;
  }
  if (s.lock === 0 && (s.owner !== 0 || s.count !== 0))
    throw new RuntimeInvariantError(`${where}: free but owned`);
  if (s.lock !== 0 && s.owner !== 0 && s.count < 1)
    throw new RuntimeInvariantError(`${where}: held with count 0`);
}
