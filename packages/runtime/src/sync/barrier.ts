/**
 * `pthread_barrier_t`: `count` threads wait until all have arrived; then all go on, and exactly
 * one of them gets `PTHREAD_BARRIER_SERIAL_THREAD` (POSIX: "one unspecified thread").
 *
 * ```
 *   +0 lock (internal)  +4 count  +8 arrived  +12 round (futex word)
 *
 *   wait: lock; r = round; a = arrived + 1
 *         a < count:  arrived = a; unlock; while round == r: futex_wait(round, r)      → 0
 *         a == count: arrived = 0; round = r + 1; unlock; FUTEX_WAKE(round, all)         → SERIAL
 * ```
 *
 * The round number, not the arrival count, is what sleepers test: a thread that leaves round r and
 * comes back for round r + 1 before a slow sleeper of round r woke up cannot confuse it, because
 * the slow one waits for `round != r`, which is already true. The last arrival is the serial thread.
 *
 * Related: `lll.ts`, `../api.ts` (BarrierLayout).
 */
import { Errno, mem, type UserCode } from "@osbricks/kernel";
import { BarrierLayout as B, PTHREAD_BARRIER_SERIAL_THREAD } from "../api.js";
import { futexWait, futexWake, lllLock, lllUnlock, WAKE_ALL } from "./lll.js";

/**
 * `pthread_barrier_init(b, count)`.
 * @returns 0, or EINVAL when `count` is 0 or not a positive 31-bit integer.
 */
export function* barrierInit(b: number, count: number): UserCode<number> {
  if (!Number.isInteger(count) || count < 1 || count > 0x7fff_ffff) return Errno.EINVAL;
  yield* mem.write(b, new Uint8Array(B.SIZE));
  yield* mem.store32(b + B.COUNT, count);
  return 0;
}

/**
 * `pthread_barrier_wait(b)`.
 * @returns {@link PTHREAD_BARRIER_SERIAL_THREAD} (−1) to the last thread of each round, 0 to the others.
 * @example
 * ```ts
 * const r = yield* barrierWait(b);
 * if (r === PTHREAD_BARRIER_SERIAL_THREAD) yield* mem.store32(phase, (yield* mem.load32(phase)) + 1);
 * ```
 */
export function* barrierWait(b: number): UserCode<number> {
  yield* lllLock(b + B.LOCK);
  const round = yield* mem.load32(b + B.ROUND);
  const arrived = (yield* mem.load32(b + B.ARRIVED)) + 1;
  // POSIX pthread_barrier_wait: when the count is reached, PTHREAD_BARRIER_SERIAL_THREAD goes to
  // "one unspecified thread" (here the last to arrive) and 0 to the others, and the barrier is
  // reset to its initial state for the next round.
  if (arrived === (yield* mem.load32(b + B.COUNT))) {
    yield* mem.store32(b + B.ARRIVED, 0);
    yield* mem.store32(b + B.ROUND, (round + 1) >>> 0);
    yield* lllUnlock(b + B.LOCK);
    yield* futexWake(b + B.ROUND, WAKE_ALL);
    return PTHREAD_BARRIER_SERIAL_THREAD;
  }
  yield* mem.store32(b + B.ARRIVED, arrived);
  yield* lllUnlock(b + B.LOCK);
  while ((yield* mem.load32(b + B.ROUND)) === round) yield* futexWait(b + B.ROUND, round);
  return 0;
}

/** `pthread_barrier_destroy`: EBUSY while threads wait in the current round, else 0. */
export function* barrierDestroy(b: number): UserCode<number> {
  return (yield* mem.load32(b + B.ARRIVED)) !== 0 ? Errno.EBUSY : 0;
}
