/**
 * Thread-specific data: `pthread_key_create`, `pthread_key_delete`, `pthread_setspecific`,
 * `pthread_getspecific`, and the destructor passes at thread exit.
 *
 * ```
 *   runtime area: keys[k] = { seq u32, pad, destructor code address u64 }
 *       seq odd  ⇔ key k is in use; create and delete each add 1 (glibc's scheme)
 *   each TCB:     specific[k] = { value u64, seq u32 }  — the key's seq when the value was set
 *
 *   getspecific(k) = specific[k].seq == keys[k].seq ? specific[k].value : NULL
 * ```
 *
 * The sequence number makes a deleted key's stale values invisible when the slot is reused by a
 * later `pthread_key_create`, without touching every thread (POSIX: after delete, the values are
 * unspecified; reuse must not show them through the new key).
 *
 * **Destructor passes** (POSIX `pthread_key_create`, "Thread-specific data"): at exit, for each key
 * with a non-NULL value and a destructor, the value is set to NULL and the destructor called with
 * the old value. A destructor may set values again, so this repeats while any non-NULL value with
 * a destructor remains, at most `PTHREAD_DESTRUCTOR_ITERATIONS` (4) passes; what is left after that
 * is dropped. A thread that never called `setspecific` skips all of it (one load: NPTL's
 * `specific_used` flag).
 *
 * Related: `../api.ts` (AreaLayout, TcbLayout), `pthread.ts` (exit calls `runKeyDestructors`).
 */
import { Errno, mem, type UserCode } from "@osbricks/kernel";
import {
  AreaLayout as A,
  type KeyResult,
  PTHREAD_DESTRUCTOR_ITERATIONS,
  PTHREAD_KEYS_MAX,
  TcbLayout as T,
} from "../api.js";
import { lllLock, lllUnlock } from "../sync/lll.js";
import type { KeyDestructor, Pthread } from "./pthread.js";

const SPECIFIC_ZEROS = new Uint8Array(PTHREAD_KEYS_MAX * T.SPECIFIC_ENTRY);
const keySlot = (self: Pthread, key: number): number => self.lib.area + A.KEYS + A.KEY_ENTRY * key;
const specificSlot = (tcb: number, key: number): number => tcb + T.SPECIFIC + T.SPECIFIC_ENTRY * key;
const validKey = (key: number): boolean => Number.isInteger(key) && key >= 0 && key < PTHREAD_KEYS_MAX;

/**
 * `pthread_key_create`: a new key whose value is NULL (0) in every thread.
 * @returns `{ error: 0, key }`, or EAGAIN when all `PTHREAD_KEYS_MAX` keys are in use.
 * @example
 * ```ts
 * // A per-thread buffer, unmapped by its destructor when the thread exits.
 * const { key } = yield* keyCreate(self, function* (_self, buf) { yield* sys.munmap(buf, 4096); });
 * yield* setSpecific(self, key, yield* libc.mmapAnon(4096));
 * ```
 */
export function* keyCreate(self: Pthread, destructor: KeyDestructor | null = null): UserCode<KeyResult> {
  const lock = self.lib.area + A.LOCK;
  yield* lllLock(lock);
  for (let k = 0; k < PTHREAD_KEYS_MAX; k++) {
    const slot = keySlot(self, k);
    const seq = yield* mem.load32(slot);
    if ((seq & 1) === 0) {
      yield* mem.store64(slot + 8, self.lib.addressOfDestructor(destructor));
      yield* mem.store32(slot, (seq + 1) >>> 0);
      yield* lllUnlock(lock);
      return { error: 0, key: k };
    }
  }
  yield* lllUnlock(lock);
  return { error: Errno.EAGAIN, key: -1 };
}

/**
 * `pthread_key_delete`: free the key. Destructors are not called (POSIX); values become unreachable.
 * @returns 0, or EINVAL when the key is not in use.
 */
export function* keyDelete(self: Pthread, key: number): UserCode<number> {
  if (!validKey(key)) return Errno.EINVAL;
  const lock = self.lib.area + A.LOCK;
  yield* lllLock(lock);
  const slot = keySlot(self, key);
  const seq = yield* mem.load32(slot);
  if ((seq & 1) === 0) {
    yield* lllUnlock(lock);
    return Errno.EINVAL;
  }
  yield* mem.store32(slot, (seq + 1) >>> 0);
  yield* lllUnlock(lock);
  return 0;
}

/**
 * `pthread_setspecific`: this thread's value for `key`.
 * @returns 0, or EINVAL when the key is not in use.
 */
export function* setSpecific(self: Pthread, key: number, value: number): UserCode<number> {
  if (!validKey(key)) return Errno.EINVAL;
  const seq = yield* mem.load32(keySlot(self, key));
  if ((seq & 1) === 0) return Errno.EINVAL;
  const s = specificSlot(self.id, key);
  yield* mem.store64(s, value);
  yield* mem.store32(s + 8, seq);
  yield* mem.store32(self.id + T.SPECIFIC_USED, 1);
  return 0;
}

/** `pthread_getspecific`: this thread's value for `key`, 0 (NULL) when unset, stale or invalid. */
export function* getSpecific(self: Pthread, key: number): UserCode<number> {
  if (!validKey(key)) return 0;
  const s = specificSlot(self.id, key);
  const seq = yield* mem.load32(keySlot(self, key));
  if ((seq & 1) === 0 || (yield* mem.load32(s + 8)) !== seq) return 0;
  return yield* mem.loadI64(s);
}

/**
 * The exit-time destructor passes (see the banner).
 * @returns how many passes ran (0 when the thread never set a value).
 */
export function* runKeyDestructors(self: Pthread): UserCode<number> {
  const tcb = self.id;
  if ((yield* mem.load32(tcb + T.SPECIFIC_USED)) === 0) return 0;
  let passes = 0;
  for (let pass = 0; pass < PTHREAD_DESTRUCTOR_ITERATIONS; pass++) {
    passes++;
    let called = false;
    for (let k = 0; k < PTHREAD_KEYS_MAX; k++) {
      const s = specificSlot(tcb, k);
      const value = yield* mem.loadI64(s);
      if (value === 0) continue;
      const slot = keySlot(self, k);
      const seq = yield* mem.load32(slot);
      if ((seq & 1) === 0 || (yield* mem.load32(s + 8)) !== seq) continue; // deleted key: drop
      const dtor = self.lib.destructorAtAddress(yield* mem.loadI64(slot + 8));
      if (dtor === null) continue;
      yield* mem.store64(s, 0);
      yield* dtor(self, value);
      called = true;
    }
    if (!called) break;
  }
  // Whatever is left (values without a destructor, of deleted keys, or past the last pass) is
  // dropped: the block may be reused by a new thread, whose values must start NULL.
  yield* mem.write(tcb + T.SPECIFIC, SPECIFIC_ZEROS);
  yield* mem.store32(tcb + T.SPECIFIC_USED, 0);
  return passes;
}
