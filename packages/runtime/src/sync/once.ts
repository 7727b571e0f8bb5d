/**
 * `pthread_once`: run an initialiser exactly once per `pthread_once_t`, however many threads race
 * to it, and let none of them return before it has finished.
 *
 * ```
 *   word: 0 NEVER ──CAS by the winner──▶ 1 RUNNING ──init returns──▶ 2 DONE, FUTEX_WAKE(all)
 *   others: see 1 → futex_wait(word, 1) until it is 2;  see 2 → return at once (one load)
 * ```
 *
 * The fast path after initialisation is a single load, which is why `pthread_once` is cheap enough
 * to guard every call of a lazily initialised library. Cancellation of the initialiser (which
 * POSIX asks to reset the word to NEVER) is not modelled: this library has no cancellation.
 *
 * Related: `lll.ts` (futexWait/futexWake), `../api.ts` (OnceState).
 */
import { mem, type UserCode } from "@osbricks/kernel";
import { OnceState } from "../api.js";
import type { Pthread } from "../thread/pthread.js";
import { atomic } from "./atomic.js";
import { futexWait, futexWake, WAKE_ALL } from "./lll.js";

/** An initialiser for {@link once}. */
export type OnceRoutine = (self: Pthread) => UserCode<void>;

/**
 * `pthread_once(control, init)`.
 * @returns 0 (POSIX lets it return EINVAL for a bad control word; a wild pointer faults instead).
 * @example
 * ```ts
 * yield* once(self, onceWord, function* (s) { yield* mutexInit(tableLock); });
 * ```
 */
export function* once(self: Pthread, control: number, init: OnceRoutine): UserCode<number> {
  for (;;) {
    const state = yield* mem.load32(control);
    if (state === OnceState.DONE) return 0;
    if (state === OnceState.NEVER) {
      if ((yield* atomic.cas32(control, OnceState.NEVER, OnceState.RUNNING)) !== OnceState.NEVER) continue;
      // POSIX pthread_once: the first call runs init_routine, later ones do not, and "on return
      // from pthread_once(), init_routine shall have completed": so the losers sleep until DONE.
      yield* init(self);
      yield* mem.store32(control, OnceState.DONE);
      yield* futexWake(control, WAKE_ALL);
      return 0;
    }
    yield* futexWait(control, OnceState.RUNNING);
  }
}
