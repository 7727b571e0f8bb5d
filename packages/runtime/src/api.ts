/**
 * Constants, limits and the memory layouts of every object the thread library keeps in simulated
 * user memory. Nothing of a mutex, condition variable or thread lives in a JavaScript variable:
 * like glibc's NPTL, all state sits in words of the process's memory, reached by `load`/`store`
 * traps, so two threads on two CPUs see the same object, fork copies it, and a test can read it.
 *
 * Offsets are in bytes. Every word a futex waits on is 4-byte aligned (Linux requires it and so
 * does the POSIX personality's `futex`).
 *
 * ```
 *   pthread_mutex_t (16 B)        pthread_cond_t (32 B)           pthread_barrier_t (16 B)
 *   +0  lock   0/1/2 (futex)      +0  lock   internal 0/1/2       +0  lock   internal 0/1/2
 *   +4  owner  tid, 0 = none      +4  total_seq   waits begun     +4  count  threshold
 *   +8  kind   NORMAL/RECURSIVE/  +8  wakeup_seq  wakeups granted +8  arrived this round
 *              ERRORCHECK         +12 woken_seq   wakeups taken   +12 round  (futex)
 *   +12 count  recursion depth    +16 bcast_seq   broadcasts
 *                                 +20 nwaiters                    pthread_once_t (4 B)
 *   pthread_rwlock_t (32 B)       +24 futex  changes on wake      +0  0 never, 1 running, 2 done
 *   +0  lock   internal 0/1/2
 *   +4  readers  holding           thread control block (one page at the top of the thread's
 *   +8  readers_wakeup (futex)     stack mapping, as NPTL places its `struct pthread`)
 *   +12 writer_wakeup (futex)      +0 tid (CLONE_CHILD_CLEARTID word)  +4 magic
 *   +16 readers_queued             +8 join state  +12 specific_used  +16 retval (u64)
 *   +20 writers_queued             +24 arg (u64)  +32 map base (u64) +40 map bytes
 *   +24 writer  tid, 0 = none      +44 guard bytes +48 stack bytes   +52 waits_for (tid)
 *                                  +56 next (u64, stack cache)
 *                                  +64 specific[128]: {value u64, seq u32, pad}
 * ```
 *
 * Related: every file under `thread/` and `sync/` uses these offsets; `../README.md` tabulates
 * the futex protocol of each primitive.
 */

/** x86-64 page size. */
export const PAGE_SIZE = 4096;

/** Mutex kinds (`pthread_mutexattr_settype`; glibc's values). The zero-filled static initializer is NORMAL. */
export const MutexKind = {
  /** No checks: relocking deadlocks, unlocking a mutex one does not own is undefined (POSIX). */
  NORMAL: 0,
  /** The owner may lock again; each lock needs its own unlock. */
  RECURSIVE: 1,
  /** Relock by the owner is EDEADLK; unlock by a non-owner is EPERM. */
  ERRORCHECK: 2,
} as const;
/** A mutex kind. */
export type MutexKind = (typeof MutexKind)[keyof typeof MutexKind];

/** `PTHREAD_MUTEX_DEFAULT`: NORMAL, as in glibc. */
export const MUTEX_DEFAULT = MutexKind.NORMAL;

/** Byte layout of `pthread_mutex_t`. */
export const MutexLayout = { LOCK: 0, OWNER: 4, KIND: 8, COUNT: 12, SIZE: 16 } as const;
/** Byte layout of `pthread_cond_t`. */
export const CondLayout = {
  LOCK: 0,
  TOTAL_SEQ: 4,
  WAKEUP_SEQ: 8,
  WOKEN_SEQ: 12,
  BROADCAST_SEQ: 16,
  NWAITERS: 20,
  FUTEX: 24,
  SIZE: 32,
} as const;
/** Byte layout of `pthread_rwlock_t`. */
export const RwlockLayout = {
  LOCK: 0,
  READERS: 4,
  READERS_WAKEUP: 8,
  WRITER_WAKEUP: 12,
  READERS_QUEUED: 16,
  WRITERS_QUEUED: 20,
  WRITER: 24,
  SIZE: 32,
} as const;
/** Byte layout of `pthread_barrier_t`. */
export const BarrierLayout = { LOCK: 0, COUNT: 4, ARRIVED: 8, ROUND: 12, SIZE: 16 } as const;
/** States of a `pthread_once_t` word. */
export const OnceState = { NEVER: 0, RUNNING: 1, DONE: 2 } as const;
/** Size of `pthread_once_t`. */
export const ONCE_SIZE = 4;

/** `PTHREAD_KEYS_MAX` (POSIX requires at least 128, `_POSIX_THREAD_KEYS_MAX`). */
export const PTHREAD_KEYS_MAX = 128;
/** `PTHREAD_DESTRUCTOR_ITERATIONS` (POSIX's minimum, 4, which glibc also uses). */
export const PTHREAD_DESTRUCTOR_ITERATIONS = 4;
/** What `pthread_barrier_wait` returns to exactly one thread of each round. */
export const PTHREAD_BARRIER_SERIAL_THREAD = -1;

/** Byte layout of a thread control block (the page `pthread_t` points at). */
export const TcbLayout = {
  TID: 0,
  MAGIC: 4,
  JOIN: 8,
  SPECIFIC_USED: 12,
  RETVAL: 16,
  ARG: 24,
  MAP_BASE: 32,
  MAP_BYTES: 40,
  GUARD_BYTES: 44,
  STACK_BYTES: 48,
  /** While this thread is in `pthread_join`: the tid it waits for (0 otherwise), for EDEADLK. */
  WAITS_FOR: 52,
  NEXT: 56,
  SPECIFIC: 64,
  /** Bytes of one `specific` entry: value (u64), key sequence (u32), padding. */
  SPECIFIC_ENTRY: 16,
} as const;
/** Bytes a thread control block takes (one page). */
export const TCB_BYTES = PAGE_SIZE;

/** `magic` of a live thread control block: "THRD". */
export const TCB_LIVE = 0x54485244;
/** `magic` of a control block whose thread was joined or reclaimed: "DEAD". */
export const TCB_DEAD = 0x44454144;

/** Join states of a thread (the TCB's `join` word). */
export const JoinState = {
  /** Running and joinable. */
  JOINABLE: 0,
  /** Detached: it reclaims itself at exit. */
  DETACHED: 1,
  /** A joiner has claimed it. */
  JOINING: 2,
  /** Finished, waiting for a joiner. */
  EXITED: 3,
} as const;

/** Byte layout of the per-process runtime area (libpthread's static data). */
export const AreaLayout = {
  MAGIC: 0,
  /** Internal lock of the key table and the stack cache. */
  LOCK: 4,
  /** Head of the stack cache (u64 TCB address, 0 = empty). */
  CACHE_HEAD: 8,
  /** Entries in the stack cache. */
  CACHE_COUNT: 16,
  /** Key table: {seq u32 (odd = in use), pad u32, destructor code address u64} per key. */
  KEYS: 64,
  KEY_ENTRY: 16,
} as const;
/** `magic` of an initialised runtime area: "PTRT". */
export const AREA_MAGIC = 0x50545254;
/** Bytes of the runtime area. */
export const AREA_BYTES = PAGE_SIZE;

/** Default thread stack size (glibc uses RLIMIT_STACK, 8 MiB; we keep simulated memory small). */
export const DEFAULT_STACK_BYTES = 16 * PAGE_SIZE;
/** Default guard size (`pthread_attr_setguardsize`; POSIX: one page). */
export const DEFAULT_GUARD_BYTES = PAGE_SIZE;
/** `PTHREAD_STACK_MIN`. */
export const PTHREAD_STACK_MIN = 2 * PAGE_SIZE;
/** Stacks kept for reuse after their thread is reclaimed (glibc keeps up to 40 MiB). */
export const STACK_CACHE_MAX = 32;

/** Thread attributes (`pthread_attr_t`), every field optional. */
export interface ThreadAttr {
  /** Usable stack bytes, a multiple of the page size ≥ {@link PTHREAD_STACK_MIN}. Default {@link DEFAULT_STACK_BYTES}. */
  readonly stackSize?: number;
  /** Guard bytes below the stack (PROT_NONE), a multiple of the page size. Default one page; 0 disables. */
  readonly guardSize?: number;
  /** Start detached (`PTHREAD_CREATE_DETACHED`). Default false. */
  readonly detached?: boolean;
}

/** Result of creating a thread: `error` is 0 or a POSIX error number, `thread` the new `pthread_t`. */
export interface CreateResult {
  readonly error: number;
  readonly thread: number;
}

/** Result of joining: `error` is 0 or a POSIX error number, `value` the thread's exit value. */
export interface JoinResult {
  readonly error: number;
  readonly value: number;
}

/** Result of `pthread_key_create`: `error` is 0 or EAGAIN, `key` the new key. */
export interface KeyResult {
  readonly error: number;
  readonly key: number;
}
