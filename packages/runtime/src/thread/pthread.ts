/**
 * POSIX threads over the kernel's `thread_create`, `exit` and `futex`: create, join, detach, exit,
 * self, equal — the thread half of NPTL, written as user code that traps.
 *
 * ```
 *   creator                                   kernel                      new thread
 *   allocateStack → tcb (guard|stack|TCB)
 *   thread_create(entry, tcb, sp=tcb, &tcb.tid) ──▶ stores tid at &tcb.tid ──▶ threadStart(tcb)
 *                                                                           routine(self, arg)
 *   join: claim tcb.join (CAS JOINABLE→JOINING)                             exit(v): destructors,
 *         while tcb.tid != 0: futex_wait(&tcb.tid)  ◀── exit: tid = 0,        retval = v,
 *         read retval, stack to the cache               FUTEX_WAKE(&tid)     join state, exit(60)
 * ```
 *
 * **Join states** (the TCB's `join` word; every change is one CAS, so a joiner, a detacher and the
 * exiting thread agree on exactly one of them reclaiming the stack):
 *
 * | from \ event | join by T            | detach              | the thread exits           |
 * | ------------ | -------------------- | ------------------- | -------------------------- |
 * | JOINABLE     | → JOINING, T waits   | → DETACHED          | → EXITED (waits for a join)|
 * | DETACHED     | EINVAL               | EINVAL              | reclaims itself            |
 * | JOINING      | EINVAL (one joiner)  | EINVAL              | stays; the joiner reclaims |
 * | EXITED       | → JOINING, no wait   | → DETACHED, reclaim | —                          |
 *
 * **The thread pointer.** A C thread finds its own `struct pthread` through the `%fs` base
 * register. User code here has no registers, so each thread's code receives its {@link Pthread}
 * context explicitly: it *is* the thread-pointer register (the TCB address, the kernel tid, and
 * the stack pointer that {@link Pthread.frame} moves), and it holds nothing else. Everything
 * shared lives in simulated memory.
 *
 * Related: `stack.ts` (stacks and the cache), `keys.ts` (thread-specific data), `../sync/`.
 */
import {
  Errno,
  MapFlags,
  mem,
  type ProcessStart,
  type ProgramMain,
  Prot,
  posixStubs as sys,
  type UserCode,
  type UserFunction,
} from "@osbricks/kernel";
import {
  AreaLayout as A,
  AREA_BYTES,
  AREA_MAGIC,
  type CreateResult,
  DEFAULT_GUARD_BYTES,
  DEFAULT_STACK_BYTES,
  type JoinResult,
  JoinState,
  PAGE_SIZE,
  PTHREAD_STACK_MIN,
  TcbLayout as T,
  TCB_BYTES,
  TCB_LIVE,
  type ThreadAttr,
} from "../api.js";
import { RuntimeArgumentError } from "../errors.js";
import { atomic } from "../sync/atomic.js";
import { futexWait } from "../sync/lll.js";
import { runKeyDestructors } from "./keys.js";
import { allocateStack, loadI64, releaseStack, storePtr } from "./stack.js";

/** A thread's start routine: gets its own context and the argument; its return value is the exit value. */
export type PthreadRoutine = (self: Pthread, arg: number) => UserCode<unknown>;

/** A thread-specific-data destructor: called with the value at thread exit (see `keys.ts`). */
export type KeyDestructor = (self: Pthread, value: number) => UserCode<void>;

/** What `main` of a threaded program is: the main thread's context and the process start. */
export type PthreadMain = (self: Pthread, start: ProcessStart) => UserCode<unknown>;

/**
 * The per-process "linker" of the library: code addresses of thread entries and destructors.
 * Code has no bytes in osbricks (text is a table of functions), so these JavaScript maps are the
 * text segment's symbol table, built the same way in a fork child's replay. Process state proper
 * (stacks, keys, locks) is in the runtime area at `area`.
 */
export class PthreadLibrary {
  private readonly entries = new Map<PthreadRoutine, number>();
  private readonly destructorAt = new Map<number, KeyDestructor>();

  constructor(
    /** The process start record: `addressOf` places functions in text. */
    readonly start: ProcessStart,
    /** Address of the runtime area (stack cache, key table, their lock). */
    readonly area: number,
  ) {}

  /** The code address of the entry trampoline that runs `routine` in a new thread. */
  entryFor(routine: PthreadRoutine): number {
    let a = this.entries.get(routine);
    if (a === undefined) {
      const lib = this;
      // What NPTL's start_thread does around the user's routine.
      const threadStart = function* threadStart(tcb: number): UserCode<never> {
        const self = new Pthread(lib, tcb, yield* mem.load32(tcb + T.TID), tcb);
        const arg = yield* loadI64(tcb + T.ARG);
        const v = yield* routine(self, arg);
        return yield* self.exit(typeof v === "number" ? v : 0);
      };
      a = this.start.addressOf(threadStart as UserFunction);
      this.entries.set(routine, a);
    }
    return a;
  }

  /** The code address of a destructor (0 for none), remembered for the exit path. */
  addressOfDestructor(fn: KeyDestructor | null): number {
    if (fn === null) return 0;
    const a = this.start.addressOf(fn as unknown as UserFunction);
    this.destructorAt.set(a, fn);
    return a;
  }

  /** The destructor at a code address, or null. */
  destructorAtAddress(a: number): KeyDestructor | null {
    return this.destructorAt.get(a) ?? null;
  }
}

/**
 * One thread's view of the library: its `pthread_t`, its kernel tid, its stack pointer.
 *
 * Every method is user code (`yield*` it); POSIX functions return 0 or a positive error number,
 * never throw, and never kill the caller except where C would fault too (a wild `pthread_t`).
 *
 * @example
 * ```ts
 * const programs = new ProgramRegistry().register({
 *   name: "init",
 *   main: pthreadMain(function* (self) {
 *     const { thread } = yield* self.create(function* (_t, n) { return n * 2; }, 21);
 *     const { value } = yield* self.join(thread);
 *     return value === 42 ? 0 : 1;
 *   }),
 * });
 * ```
 */
export class Pthread {
  /** The simulated stack pointer (rsp): where the next {@link Pthread.frame} goes. */
  sp: number;

  constructor(
    /** The process's library state. */
    readonly lib: PthreadLibrary,
    /** This thread's `pthread_t`: the address of its control block. */
    readonly id: number,
    /** The kernel's thread id (what mutexes record as owner). Updated in a fork child. */
    public tid: number,
    sp: number,
  ) {
    this.sp = sp;
  }

  /** `pthread_self()`. */
  self(): number {
    return this.id;
  }

  /** `pthread_equal(a, b)`: whether two `pthread_t` name the same thread. */
  equal(a: number, b: number): boolean {
    return a === b;
  }

  /**
   * `pthread_create`: start `routine(self', arg)` in a new thread of this process.
   *
   * @returns `{ error: 0, thread }`, or `error` EAGAIN (no memory for the stack, or the kernel's
   *   thread limit) / EINVAL (bad attribute: stack below PTHREAD_STACK_MIN or not page-sized).
   */
  *create(routine: PthreadRoutine, arg = 0, attr: ThreadAttr = {}): UserCode<CreateResult> {
    const stackBytes = attr.stackSize ?? DEFAULT_STACK_BYTES;
    const guardBytes = attr.guardSize ?? DEFAULT_GUARD_BYTES;
    if (
      !Number.isInteger(stackBytes) ||
      stackBytes < PTHREAD_STACK_MIN ||
      stackBytes % PAGE_SIZE !== 0 ||
      !Number.isInteger(guardBytes) ||
      guardBytes < 0 ||
      guardBytes % PAGE_SIZE !== 0
    ) {
      return { error: Errno.EINVAL, thread: 0 };
    }
    const detached = attr.detached ?? false;
    const tcb = yield* allocateStack(this.lib.area, stackBytes, guardBytes, arg, detached);
    if (tcb < 0) return { error: Errno.EAGAIN, thread: 0 };
    const entry = this.lib.entryFor(routine);
    const tid = yield* sys.thread_create(entry, tcb, tcb, tcb + T.TID);
    if (tid < 0) {
      yield* mem.store32(tcb + T.TID, 0); // never ran: reusable at once
      yield* releaseStack(this.lib.area, tcb);
      return { error: Errno.EAGAIN, thread: 0 };
    }
    return { error: 0, thread: tcb };
  }

  /**
   * `pthread_join`: wait for `thread` to end and collect its exit value; its stack is reclaimed.
   *
   * @returns `error` EDEADLK (joining oneself, or a thread that is joining the caller: glibc's
   *   check of the direct cycle), EINVAL (detached, or another thread is already joining it),
   *   ESRCH (already joined: its control block is dead).
   */
  *join(thread: number): UserCode<JoinResult> {
    if (thread === this.id) return { error: Errno.EDEADLK, value: 0 };
    if ((yield* mem.load32(thread + T.MAGIC)) !== TCB_LIVE) return { error: Errno.ESRCH, value: 0 };
    // Announce whom we wait for, then look whether they wait for us. With two threads joining
    // each other at once, at least one of them sees the other's announcement (Dekker's argument:
    // each stores before it loads, and memory here is sequentially consistent).
    const target = yield* mem.load32(thread + T.TID);
    if (target !== 0) {
      yield* mem.store32(this.id + T.WAITS_FOR, target);
      if ((yield* mem.load32(thread + T.WAITS_FOR)) === this.tid) {
        yield* mem.store32(this.id + T.WAITS_FOR, 0);
        return { error: Errno.EDEADLK, value: 0 };
      }
    }
    const r = yield* this.claimAndWait(thread);
    if (target !== 0) yield* mem.store32(this.id + T.WAITS_FOR, 0);
    return r;
  }

  /** The rest of join: claim the thread's join state, sleep until the kernel clears its tid. */
  private *claimAndWait(thread: number): UserCode<JoinResult> {
    let j = yield* mem.load32(thread + T.JOIN);
    for (;;) {
      if (j === JoinState.DETACHED || j === JoinState.JOINING) return { error: Errno.EINVAL, value: 0 };
      const seen = yield* atomic.cas32(thread + T.JOIN, j, JoinState.JOINING);
      if (seen === j) break;
      j = seen; // CMPXCHG leaves the current value: no reload needed
    }
    // The kernel zeroes the tid word and wakes it when the thread is gone (CLONE_CHILD_CLEARTID).
    for (;;) {
      const tid = yield* mem.load32(thread + T.TID);
      if (tid === 0) break;
      yield* futexWait(thread + T.TID, tid);
    }
    const value = yield* loadI64(thread + T.RETVAL);
    yield* releaseStack(this.lib.area, thread);
    return { error: 0, value };
  }

  /**
   * `pthread_detach`: the thread reclaims itself when it ends (now, if it already has).
   * @returns 0, EINVAL (already detached, or being joined), ESRCH (already joined).
   */
  *detach(thread: number): UserCode<number> {
    if ((yield* mem.load32(thread + T.MAGIC)) !== TCB_LIVE) return Errno.ESRCH;
    for (;;) {
      const j = yield* mem.load32(thread + T.JOIN);
      if (j === JoinState.DETACHED || j === JoinState.JOINING) return Errno.EINVAL;
      if ((yield* atomic.cas32(thread + T.JOIN, j, JoinState.DETACHED)) !== j) continue;
      // It had already exited: nobody else will reclaim it.
      if (j === JoinState.EXITED) yield* releaseStack(this.lib.area, thread);
      return 0;
    }
  }

  /**
   * `pthread_exit`: run the key destructors, publish `value`, end the calling thread. The process
   * ends when its last thread does (status 0); a detached thread reclaims its own stack.
   */
  *exit(value = 0): UserCode<never> {
    yield* runKeyDestructors(this);
    const tcb = this.id;
    yield* storePtr(tcb + T.RETVAL, value);
    let j = yield* mem.load32(tcb + T.JOIN);
    for (;;) {
      if (j === JoinState.DETACHED) {
        if ((yield* mem.load32(tcb + T.MAGIC)) === TCB_LIVE) yield* releaseStack(this.lib.area, tcb);
        break;
      }
      if (j === JoinState.JOINING) break; // the joiner waits on our tid word and reclaims
      j = yield* atomic.cas32(tcb + T.JOIN, JoinState.JOINABLE, JoinState.EXITED);
      if (j === JoinState.JOINABLE) break;
    }
    yield* sys.exit(0);
    throw new RuntimeArgumentError(`pthread_exit(tid=${this.tid}): the kernel's exit returned`);
  }

  /** `sched_yield()`: let another thread run. */
  *yield(): UserCode<void> {
    yield* sys.sched_yield();
  }

  /**
   * Call a function with a stack frame of `bytes` below the current stack pointer, as compiled
   * code does: the `call` pushes a word (here the saved frame pointer, linking the frames), and
   * the frame is *probed* one page at a time from the top down, then at its lowest word — GCC's
   * `-fstack-clash-protection`. Without the page probes a frame larger than the guard could jump
   * over it into whatever is mapped below (the "Stack Clash" attacks, Qualys 2017); with them the
   * first store below the stack lands in the guard page and the process takes SIGSEGV.
   *
   * ```
   *   saved sp ─▶ ┌──────────────┐
   *               │ saved fp     │ ◀ store at sp − 8
   *               │   … locals … │ ◀ probe every 4096 bytes below it
   *   fp ───────▶ └──────────────┘ ◀ probe the lowest word; body(fp) runs with sp = fp
   * ```
   *
   * @param body receives the frame's lowest address (the frame's locals are [fp, fp + bytes)).
   * @throws RuntimeArgumentError when `bytes` is not a non-negative integer (a bug in the program,
   *   which the kernel reports as a crash).
   * @example
   * ```ts
   * function* depth(self: Pthread, n: number): UserCode<number> {
   *   return yield* self.frame(256, function* () { return n === 0 ? 0 : 1 + (yield* depth(self, n - 1)); });
   * }
   * ```
   */
  *frame<R>(bytes: number, body: (fp: number) => UserCode<R>): UserCode<R> {
    if (!Number.isInteger(bytes) || bytes < 0)
      throw new RuntimeArgumentError(`frame(bytes=${bytes}): expected a byte count`);
    const saved = this.sp;
    const size = Math.ceil((bytes + 8) / 16) * 16; // the ABI keeps rsp 16-byte aligned at calls
    const fp = saved - size;
    yield* storePtr(saved - 8, saved); // `push rbp`
    for (let probe = saved - 8 - PAGE_SIZE; probe > fp; probe -= PAGE_SIZE) yield* mem.store64(probe, 0n);
    yield* mem.store64(fp, 0n); // the lowest word of the frame
    this.sp = fp;
    try {
      return yield* body(fp);
    } finally {
      this.sp = saved;
    }
  }

  /**
   * `fork()` as libc wraps it: in the child, the calling thread's control block gets its new tid
   * (glibc's fork does the same), so owner checks of mutexes keep working there.
   */
  *fork(): UserCode<number> {
    const pid = yield* sys.fork();
    if (pid === 0) {
      this.tid = yield* sys.gettid();
      yield* mem.store32(this.id + T.TID, this.tid);
    }
    return pid;
  }
}

/**
 * Set up the library in a fresh process (what the dynamic loader and libc's init do before
 * `main`): the runtime area and the main thread's control block, both fresh anonymous pages.
 * @returns the main thread's context.
 */
export function* initRuntime(start: ProcessStart): UserCode<Pthread> {
  const area = yield* sys.mmap(
    0,
    AREA_BYTES + TCB_BYTES,
    Prot.PROT_READ | Prot.PROT_WRITE,
    MapFlags.MAP_PRIVATE | MapFlags.MAP_ANONYMOUS,
    -1,
    0,
  );
  if (area < 0) throw new RuntimeArgumentError(`initRuntime: mmap of the runtime area failed (${area})`);
  yield* mem.store32(area + A.MAGIC, AREA_MAGIC);
  const tcb = area + AREA_BYTES;
  const tid = yield* sys.gettid();
  yield* mem.store32(tcb + T.TID, tid);
  yield* mem.store32(tcb + T.JOIN, JoinState.JOINABLE);
  yield* mem.store32(tcb + T.MAGIC, TCB_LIVE);
  // The main thread's stack is the loader's (guard page below it); rsp was at argc.
  return new Pthread(new PthreadLibrary(start, area), tcb, tid, start.argvPtr - 8);
}

/**
 * Turn a threaded `main(self, start)` into a program entry point: the library is initialised
 * first, then `main` runs as the main thread. Any kernel with the POSIX personality (the default) runs it.
 * @example
 * ```ts
 * new ProgramRegistry().register({ name: "init", main: pthreadMain(function* (self) { return 0; }) });
 * ```
 */
export function pthreadMain(main: PthreadMain): ProgramMain {
  return function* pthreadStartMain(start: ProcessStart): UserCode<number> {
    const self = yield* initRuntime(start);
    const r = yield* main(self, start);
    return typeof r === "number" ? r : 0;
  };
}
