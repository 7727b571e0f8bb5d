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
 *   +12 writer_wakeup (futex)      +0 tid (CLONE_CHILD_CLEARTID word)
 *   +16 readers_queued             +4 join word (JoinState bits, joiner tid)
 *   +20 writers_queued             +8 arg (i64)   +16 retval (i64)  +24 specific_used
 *   +24 writer  tid, 0 = none      +32 map base (u64) +40 map bytes +44 guard bytes
 *                                  +48 stack bytes    +56 next (u64, stack cache)
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
  /** Kernel tid: stored by `thread_create` (CLONE_PARENT_SETTID), zeroed and futex-woken at exit (CLONE_CHILD_CLEARTID). */
  TID: 0,
  /** The join word: {@link JoinState} bits and the joiner's tid. */
  JOIN: 4,
  /** The start routine's argument (signed 64-bit). `JOIN` and `ARG` are the header `create` writes in one store. */
  ARG: 8,
  /** The exit value (signed 64-bit), written before the thread publishes EXITED. */
  RETVAL: 16,
  /** 1 once the thread called `setspecific` (NPTL's `specific_used`): exit skips the destructor passes otherwise. */
  SPECIFIC_USED: 24,
  /** The mapping of guard + stack + TCB: base (u64), bytes, guard bytes, stack bytes. */
  MAP_BASE: 32,
  MAP_BYTES: 40,
  GUARD_BYTES: 44,
  STACK_BYTES: 48,
  /** Link of the stack cache list (u64 TCB address). */
  NEXT: 56,
  SPECIFIC: 64,
  /** Bytes of one `specific` entry: value (u64), key sequence (u32), padding. */
  SPECIFIC_ENTRY: 16,
} as const;
/** Bytes a thread control block takes (one page). */
export const TCB_BYTES = PAGE_SIZE;

/**
 * Bits of a thread's join word (`TcbLayout.JOIN`). Joiner, detacher and the exiting thread each
 * change it with one atomic instruction, so exactly one of them reclaims the stack:
 *
 * ```
 *   31                                 4   3         2        1         0
 *   ┌────────────────────────────────────┬─────────┬────────┬─────────┬────────┐
 *   │ joiner's tid (while JOINING)        │ DEFAULT │JOINING │DETACHED │ EXITED │
 *   └────────────────────────────────────┴─────────┴────────┴─────────┴────────┘
 * ```
 *
 * - EXITED is added by the thread itself, once, at exit (`LOCK XADD +1`: the bit is clear before,
 *   so the add is an OR and returns the other bits in the same instruction).
 * - DETACHED and JOINING exclude each other; a joiner sets JOINING with its own tid in the high
 *   bits (one CMPXCHG), which is what lets a thread see that the one it joins is joining it.
 * - DEFAULT_STACK says the stack has the default sizes, so it may be parked in the spare slot.
 * - RECLAIMED (all three low bits, a combination that never occurs otherwise) marks a block whose
 *   stack is back in a cache: joining or detaching it is ESRCH.
 *
 * Worked example: a default-stack thread joined by tid 5 before it ends goes 0x8 → CMPXCHG →
 * 0x8 | 0x4 | 5 << 4 = 0x5C → its exit's XADD → 0x5D (the joiner wakes) → 0x7 (reclaimed).
 */
export const JoinState = {
  /** Running and joinable: no bit set. */
  JOINABLE: 0,
  /** The thread has finished (its exit value is published). */
  EXITED: 1,
  /** Detached: whoever sees EXITED and DETACHED together reclaims the stack. */
  DETACHED: 2,
  /** A joiner has claimed it (its tid is in the high bits). */
  JOINING: 4,
  /** The stack has the default sizes (spare-slot eligible). */
  DEFAULT_STACK: 8,
  /** The stack is back in a cache: the `pthread_t` is dead. */
  RECLAIMED: 7,
} as const;
/** Where the joiner's tid sits in the join word. */
export const JOINER_SHIFT = 4;
/** The joiner's tid is kept modulo 2^28 (tids are handed out from a counter, so 268M threads). */
export const JOINER_MASK = 0x0fff_ffff;

/** Byte layout of the per-process runtime area (libpthread's static data). */
export const AreaLayout = {
  MAGIC: 0,
  /** Internal lock of the key table and the stack cache. */
  LOCK: 4,
  /** Head of the stack cache (u64 TCB address, 0 = empty). */
  CACHE_HEAD: 8,
  /** Entries in the stack cache. */
  CACHE_COUNT: 16,
  /**
   * The spare slot: one joined default-size stack, ready at once (its thread is gone), as a signed
   * 32-bit count of pages from the area to its TCB (0 = empty), so one XCHG takes or leaves it.
   */
  SPARE: 20,
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
/** Stacks kept on the cache list for reuse after their thread is reclaimed, besides the spare (glibc keeps up to 40 MiB). */
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
