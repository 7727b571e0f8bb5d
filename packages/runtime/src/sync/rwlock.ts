/**
 * `pthread_rwlock_t`: many readers or one writer, with counters under an internal lock and two
 * futex words to sleep on (NPTL's design before glibc 2.25), reader-preferring like glibc's
 * default `PTHREAD_RWLOCK_PREFER_READER_NP`.
 *
 * ```
 *   +0 lock (internal) +4 readers  +8 readers_wakeup  +12 writer_wakeup
 *   +16 readers_queued +20 writers_queued  +24 writer (tid, 0 = none)
 *
 *   rdlock:  writer == 0            → readers++                  (else queue on readers_wakeup)
 *   wrlock:  writer == 0, readers 0 → writer = me                (else queue on writer_wakeup)
 *   unlock:  writer == me → writer = 0;  else readers--
 *            then, if nobody holds it: a queued writer first (writer_wakeup++, wake 1),
 *            else every queued reader (readers_wakeup++, wake all)
 * ```
 *
 * Reader preference means a steady stream of readers can starve a writer (POSIX leaves the
 * policy to the implementation); in return a thread may take a read lock it already holds without
 * deadlocking behind a queued writer, as POSIX requires of recursive read locks. Sleeping works as
 * in `cond.ts`: a wakeup word is read under the internal lock and changed before every wake, so a
 * wake between a sleeper's unlock and its `futex_wait` is never lost.
 *
 * Related: `lll.ts`, `../api.ts` (RwlockLayout).
 */
import { Errno, mem, type UserCode } from "@osbricks/kernel";
import { RwlockLayout as R } from "../api.js";
import { RuntimeInvariantError } from "../errors.js";
import type { Pthread } from "../thread/pthread.js";
import { futexWait, futexWake, lllLock, lllUnlock, WAKE_ALL } from "./lll.js";

/** Most concurrent read locks (glibc: EAGAIN past UINT_MAX readers). */
export const RWLOCK_MAX_READERS = 0x7fff_ffff;

const bump = function* (va: number, d: number): UserCode<void> {
  yield* mem.store32(va, ((yield* mem.load32(va)) + d) >>> 0);
};

/** `pthread_rwlock_init`: zero the words (a zero-filled rwlock is `PTHREAD_RWLOCK_INITIALIZER`). */
export function* rwlockInit(rw: number): UserCode<number> {
  yield* mem.write(rw, new Uint8Array(R.SIZE));
  return 0;
}

/**
 * The wait step shared by readers and writers, entered and left holding the internal lock: count
 * the caller in the `queued` word, note the `wakeup` sequence word, drop the lock and sleep on the
 * futex there until an unlock bumps it (a bump between the read and the wait makes the wait
 * return at once), then retake the lock and count the caller out.
 */
function* queueAndWait(rw: number, queued: number, wakeup: number): UserCode<void> {
  yield* bump(rw + queued, 1);
  const seen = yield* mem.load32(rw + wakeup);
  yield* lllUnlock(rw + R.LOCK);
  yield* futexWait(rw + wakeup, seen);
  yield* lllLock(rw + R.LOCK);
  yield* bump(rw + queued, -1);
}

/**
 * `pthread_rwlock_rdlock` (and `tryrdlock` with `tryOnly`).
 * @returns 0; EDEADLK (the caller holds the write lock); EBUSY (try, a writer holds it); EAGAIN (too many readers).
 */
export function* rwlockRdlock(self: Pthread, rw: number, tryOnly = false): UserCode<number> {
  yield* lllLock(rw + R.LOCK);
  let result = 0;
  for (;;) {
    const writer = yield* mem.load32(rw + R.WRITER);
    if (writer === 0) {
      const readers = yield* mem.load32(rw + R.READERS);
      if (readers >= RWLOCK_MAX_READERS) result = Errno.EAGAIN;
      else yield* mem.store32(rw + R.READERS, readers + 1);
      break;
    }
    // POSIX pthread_rwlock_rdlock "may fail" with EDEADLK when "the current thread already owns
    // the read-write lock for writing": waiting would never end, so we say so.
    if (writer === self.tid) {
      result = Errno.EDEADLK;
      break;
    }
    if (tryOnly) {
      result = Errno.EBUSY;
      break;
    }
    yield* queueAndWait(rw, R.READERS_QUEUED, R.READERS_WAKEUP);
  }
  yield* lllUnlock(rw + R.LOCK);
  return result;
}

/**
 * `pthread_rwlock_wrlock` (and `trywrlock` with `tryOnly`).
 * @returns 0; EDEADLK (the caller already holds it for writing); EBUSY (try, held).
 */
export function* rwlockWrlock(self: Pthread, rw: number, tryOnly = false): UserCode<number> {
  yield* lllLock(rw + R.LOCK);
  let result = 0;
  for (;;) {
    const writer = yield* mem.load32(rw + R.WRITER);
    if (writer === 0 && (yield* mem.load32(rw + R.READERS)) === 0) {
      yield* mem.store32(rw + R.WRITER, self.tid);
      break;
    }
    if (writer === self.tid) {
      result = Errno.EDEADLK;
      break;
    }
    if (tryOnly) {
      result = Errno.EBUSY;
      break;
    }
    yield* queueAndWait(rw, R.WRITERS_QUEUED, R.WRITER_WAKEUP);
  }
  yield* lllUnlock(rw + R.LOCK);
  return result;
}

/**
 * `pthread_rwlock_unlock`: release the caller's write lock, or one read lock.
 * @returns 0; EPERM when the lock is not held at all, or a writer other than the caller holds it.
 */
export function* rwlockUnlock(self: Pthread, rw: number): UserCode<number> {
  yield* lllLock(rw + R.LOCK);
  const writer = yield* mem.load32(rw + R.WRITER);
  if (writer !== 0) {
    if (writer !== self.tid) {
      yield* lllUnlock(rw + R.LOCK);
      return Errno.EPERM;
    }
    yield* mem.store32(rw + R.WRITER, 0);
  } else {
    const readers = yield* mem.load32(rw + R.READERS);
    if (readers === 0) {
      yield* lllUnlock(rw + R.LOCK);
      return Errno.EPERM;
    }
    yield* mem.store32(rw + R.READERS, readers - 1);
    if (readers > 1) {
      yield* lllUnlock(rw + R.LOCK);
      return 0;
    }
  }
  // Free now: a queued writer first, else all queued readers.
  if ((yield* mem.load32(rw + R.WRITERS_QUEUED)) !== 0) {
    yield* bump(rw + R.WRITER_WAKEUP, 1);
    yield* lllUnlock(rw + R.LOCK);
    yield* futexWake(rw + R.WRITER_WAKEUP, 1);
    return 0;
  }
  if ((yield* mem.load32(rw + R.READERS_QUEUED)) !== 0) {
    yield* bump(rw + R.READERS_WAKEUP, 1);
    yield* lllUnlock(rw + R.LOCK);
    yield* futexWake(rw + R.READERS_WAKEUP, WAKE_ALL);
    return 0;
  }
  yield* lllUnlock(rw + R.LOCK);
  return 0;
}

/** `pthread_rwlock_destroy`: EBUSY while held, else 0. */
export function* rwlockDestroy(rw: number): UserCode<number> {
  const held = (yield* mem.load32(rw + R.WRITER)) !== 0 || (yield* mem.load32(rw + R.READERS)) !== 0;
  return held ? Errno.EBUSY : 0;
}

/** An rwlock's holders as plain data. */
export interface RwlockState {
  readonly readers: number;
  readonly writer: number;
}

/**
 * Check a snapshot: never a writer and readers at once.
 * @throws RuntimeInvariantError when both are present.
 */
export function checkRwlock(s: RwlockState): void {
  if (s.writer !== 0 && s.readers !== 0)
    throw new RuntimeInvariantError(
      `rwlock{readers=${s.readers}, writer=${s.writer}}: a writer and readers at once`,
    );
}
