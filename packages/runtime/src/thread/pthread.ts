/**
 * POSIX threads over the kernel's `thread_create`, `exit` and `futex`: create, join, detach, exit,
 * self, equal — the thread half of NPTL, written as user code that traps.
 *
 * ```
 *   creator                                   kernel                      new thread
 *   XCHG the spare → tcb (else the list or mmap), header [join word, arg] in one store
 *   thread_create(entry, tcb, sp=tcb, &tcb.tid) ──▶ stores tid at &tcb.tid ──▶ threadStart(tcb)
 *                                                                           routine(self, arg)
 *   join: CMPXCHG the join word: + JOINING, my tid                          exit(v): destructors,
 *         while tcb.tid != 0: futex_wait(&tcb.tid)  ◀── exit: tid = 0,        retval = v,
 *         read retval, stack to the spare               FUTEX_WAKE(&tid)     XADD join word +EXITED,
 *                                                                            exit(60)
 * ```
 *
 * **The join word** (`JoinState` in `../api.ts`: EXITED, DETACHED, JOINING bits and the joiner's
 * tid) changes only by one atomic instruction at a time, so a joiner, a detacher and the exiting
 * thread agree on exactly one of them reclaiming the stack:
 *
 * | event \ word has | neither JOINING nor DETACHED            | DETACHED                  | JOINING (by J)       |
 * | ---------------- | --------------------------------------- | ------------------------- | -------------------- |
 * | join by T        | + JOINING·T; wait unless EXITED         | EINVAL                    | EINVAL (one joiner)  |
 * | detach           | + DETACHED; reclaim if EXITED           | EINVAL                    | EINVAL               |
 * | the thread exits | + EXITED (a later join/detach reclaims) | + EXITED, reclaims itself | + EXITED; J reclaims |
 *
 * A reclaimed block's word is RECLAIMED: join and detach answer ESRCH.
 *
 * **Join cycles** (EDEADLK, glibc's check of the direct cycle): the joiner's CMPXCHG writes its
 * own tid into the target's word, then it loads its *own* word: if the target is joining it,
 * waiting would deadlock, so it takes its claim back and returns EDEADLK. With two threads
 * joining each other at once, at least one sees the other's claim (Dekker's argument: each
 * writes before it reads, and memory here is sequentially consistent).
 *
 * **Traps of a create + join** (default attributes, a stack in the spare, the thread not yet run
 * when the join starts): create 3 (XCHG spare, header store, `thread_create`); the new thread 6 (tid
 * and argument loads, `specific_used` load, retval store, XADD, `exit`); join 8 (CMPXCHG, tid
 * load, own join word, `futex` wait, tid load, retval load, RECLAIMED store, XCHG spare) — 17.
 *
 * **The thread pointer.** A C thread finds its own `struct pthread` through the `%fs` base
 * register. User code here has no registers, so each thread's code receives its {@link Pthread}
 * context explicitly: it *is* the thread-pointer register (the TCB address, the kernel tid, and
 * the stack pointer that {@link Pthread.frame} moves), and it holds nothing else. Everything
 * shared lives in simulated memory.
 *
 * Related: `init.ts` (the process's first thread: `initRuntime`, `pthreadMain`), `stack.ts` (stacks
 * and the caches), `keys.ts` (thread-specific data), `../sync/`.
 */
import {
  Errno,
  FutexOp,
  mem,
  memTrap,
  type ProcessStart,
  posixSyscalls,
  posixStubs as sys,
  syscallTrap,
  type Trap,
  type UserCode,
  type UserFunction,
} from "@osbricks/kernel";
import {
  type CreateResult,
  DEFAULT_GUARD_BYTES,
  DEFAULT_STACK_BYTES,
  JOINER_MASK,
  JOINER_SHIFT,
  type JoinResult,
  JoinState,
  PAGE_SIZE,
  PTHREAD_STACK_MIN,
  TcbLayout as T,
  type ThreadAttr,
} from "../api.js";
import { RuntimeArgumentError } from "../errors.js";
import { runKeyDestructors } from "./keys.js";
import {
  allocateStack,
  headerTrap,
  leaveSpareTrap,
  listStack,
  releaseStack,
  spareBlock,
  spareSlotFor,
  takeSpareTrap,
} from "./stack.js";

const { EXITED, DETACHED, JOINING, DEFAULT_STACK, RECLAIMED } = JoinState;

// The system calls of create, join and exit are yielded as trap records (`syscallTrap`), as
// their memory traps are (`memTrap`), rather than through the `yield* sys.…` stubs: one generator
// level less each (the stubs are `function* (...args) { return yield { kind: "syscall", nr, args } }`).
// The numbers come from the table the stubs are made of;
// the argument lists are those of the declarations (`posixSyscalls` in @osbricks/kernel).
const NR_THREAD_CREATE = posixSyscalls.decls.thread_create.nr;
const NR_FUTEX = posixSyscalls.decls.futex.nr;
/** `exit(0)`, the last trap of every thread: immutable, so one shared record. */
const EXIT_TRAP: Trap = syscallTrap(posixSyscalls.decls.exit.nr, [0]);
/** `create`'s attributes when none are given (shared: read only). */
const DEFAULT_ATTR: ThreadAttr = {};

/** The join word's JOINING bit with `tid` as the joiner (unsigned, as CMPXCHG returns words). */
function joiningBy(tid: number): number {
  return (JOINING | ((tid & JOINER_MASK) << JOINER_SHIFT)) >>> 0;
}

/** A thread's start routine: gets its own context and the argument; its return value is the exit value. */
export type PthreadRoutine = (self: Pthread, arg: number) => UserCode<unknown>;

/** A thread-specific-data destructor: called with the value at thread exit (see `keys.ts`). */
export type KeyDestructor = (self: Pthread, value: number) => UserCode<void>;

/**
 * The per-process "linker" of the library: code addresses of thread entries and destructors.
 * Code has no bytes in osbricks (text is a table of functions), so these JavaScript maps are the
 * text segment's symbol table, built the same way in a fork child's replay. Process state proper
 * (stacks, keys, locks) is in the runtime area at `area`.
 */
export class PthreadLibrary {
  private readonly entries = new Map<PthreadRoutine, number>();
  private readonly destructorAt = new Map<number, KeyDestructor>();
  /** The spare's `XCHG` (`stack.ts`), built once: every default-size create yields it. */
  readonly takeSpare: Trap;

  constructor(
    /** The process start record: `addressOf` places functions in text. */
    readonly start: ProcessStart,
    /** Address of the runtime area (stack cache, key table, their lock). */
    readonly area: number,
  ) {
    this.takeSpare = takeSpareTrap(area);
  }

  /** The code address of the entry trampoline that runs `routine` in a new thread. */
  entryFor(routine: PthreadRoutine): number {
    let a = this.entries.get(routine);
    if (a === undefined) {
      const lib = this;
      // What NPTL's start_thread does around the user's routine.
      const threadStart = function* threadStart(tcb: number): UserCode<never> {
        const self = new Pthread(lib, tcb, (yield memTrap.load32(tcb + T.TID)) as number, tcb);
        const v = yield* routine(self, (yield memTrap.loadI64(tcb + T.ARG)) as number);
        // Returning from the routine is pthread_exit(v) (POSIX). Its steps are yielded here, the
        // same traps in the same order as `Pthread.exit` (keep the two in step), rather than
        // through `yield* self.exit(v)`: one generator level less for the last four traps of
        // every thread, and no generator object (steady state of create + join: +7%).
        if (((yield memTrap.load32(tcb + T.SPECIFIC_USED)) as number) !== 0) yield* runKeyDestructors(self);
        yield memTrap.store64(tcb + T.RETVAL, typeof v === "number" ? v : 0);
        const j = (yield memTrap.xadd32(tcb + T.JOIN, EXITED)) as number;
        if ((j & DETACHED) !== 0) yield* releaseStack(lib.area, tcb);
        yield EXIT_TRAP;
        throw new RuntimeArgumentError(`pthread_exit(tid=${self.tid}): the kernel's exit returned`);
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
   * @param arg a safe integer (what C passes as `void *`: a pointer or a small number).
   * @returns `{ error: 0, thread }`, or `error` EAGAIN (no memory for the stack, or the kernel's
   *   thread limit) / EINVAL (bad attribute: stack below PTHREAD_STACK_MIN or not page-sized; an
   *   argument that is not a safe integer).
   */
  *create(routine: PthreadRoutine, arg = 0, attr: ThreadAttr = DEFAULT_ATTR): UserCode<CreateResult> {
    const stackBytes = attr.stackSize ?? DEFAULT_STACK_BYTES;
    const guardBytes = attr.guardSize ?? DEFAULT_GUARD_BYTES;
    if (
      !Number.isInteger(stackBytes) ||
      stackBytes < PTHREAD_STACK_MIN ||
      stackBytes % PAGE_SIZE !== 0 ||
      !Number.isInteger(guardBytes) ||
      guardBytes < 0 ||
      guardBytes % PAGE_SIZE !== 0 ||
      !Number.isSafeInteger(arg)
    ) {
      return { error: Errno.EINVAL, thread: 0 };
    }
    const lib = this.lib;
    const detached = attr.detached ?? false;
    // The spare first (`stack.ts`): one XCHG, then the header in one store.
    let tcb = 0;
    if (stackBytes === DEFAULT_STACK_BYTES && guardBytes === DEFAULT_GUARD_BYTES)
      tcb = spareBlock(lib.area, (yield lib.takeSpare) as number);
    if (tcb !== 0) yield headerTrap(tcb, detached, true, arg);
    else {
      tcb = yield* allocateStack(lib.area, stackBytes, guardBytes, arg, detached); // the list, or mmap
      if (tcb < 0) return { error: Errno.EAGAIN, thread: 0 };
    }
    // thread_create(entry, arg, stack, tidptr): the new thread starts at threadStart(tcb).
    const tid = (yield syscallTrap(NR_THREAD_CREATE, [
      lib.entryFor(routine),
      tcb,
      tcb,
      tcb + T.TID,
    ])) as number;
    if (tid < 0) {
      yield memTrap.store32(tcb + T.TID, 0); // never ran: reusable at once
      yield* releaseStack(lib.area, tcb);
      return { error: Errno.EAGAIN, thread: 0 };
    }
    return { error: 0, thread: tcb };
  }

  /**
   * `pthread_join`: wait for `thread` to end and collect its exit value; its stack is reclaimed.
   *
   * @returns `error` EDEADLK (joining oneself, or a thread that is joining the caller: glibc's
   *   check of the direct cycle), EINVAL (detached, or another thread is already joining it),
   *   ESRCH (already joined: its control block is reclaimed).
   */
  *join(thread: number): UserCode<JoinResult> {
    // POSIX pthread_join: EDEADLK when "the value of thread specifies the calling thread" (and
    // for a detected cycle, below); EINVAL when it "does not refer to a joinable thread" (Linux
    // adds: or another thread is already waiting to join it); ESRCH when no such thread exists.
    if (thread === this.id) return { error: Errno.EDEADLK, value: 0 };
    const word = thread + T.JOIN;
    const me = joiningBy(this.tid);
    // Claim it: the usual word is a default-stack thread still running; CMPXCHG returns the real
    // word when that guess is wrong, so the retry needs no load. (The traps of create, join and
    // exit are yielded directly, not through `yield* mem.…`: see `memTrap` in @osbricks/kernel.)
    let j: number = DEFAULT_STACK;
    for (;;) {
      const seen = (yield memTrap.cas32(word, j, (j | me) >>> 0)) as number;
      if (seen === j) break;
      j = seen;
      if (j === RECLAIMED) return { error: Errno.ESRCH, value: 0 };
      if ((j & (DETACHED | JOINING)) !== 0) return { error: Errno.EINVAL, value: 0 };
    }
    // The kernel zeroes the tid word and wakes it when the thread is gone (CLONE_CHILD_CLEARTID).
    let tid = (yield memTrap.load32(thread + T.TID)) as number;
    if (tid !== 0 && (j & EXITED) === 0) {
      const mine = (yield memTrap.load32(this.id + T.JOIN)) as number;
      if ((mine & JOINING) !== 0 && mine >>> JOINER_SHIFT === (tid & JOINER_MASK)) {
        yield* this.unclaim(word, j, (j | me) >>> 0);
        return { error: Errno.EDEADLK, value: 0 };
      }
    }
    while (tid !== 0) {
      // futex(uaddr, FUTEX_WAIT, val, timeout = none): returns at once if the word is no longer tid.
      yield syscallTrap(NR_FUTEX, [thread + T.TID, FutexOp.FUTEX_WAIT, tid, 0]);
      tid = (yield memTrap.load32(thread + T.TID)) as number;
    }
    const value = (yield memTrap.loadI64(thread + T.RETVAL)) as number;
    // The stack goes back: RECLAIMED, then a default-size block becomes the spare with one XCHG;
    // the spare it displaces, or a block of other sizes, goes on the list (`stack.ts`).
    const area = this.lib.area;
    yield memTrap.store32(thread + T.JOIN, RECLAIMED);
    const slot = (j & DEFAULT_STACK) !== 0 ? spareSlotFor(area, thread) : 0;
    const displaced = slot === 0 ? thread : spareBlock(area, (yield leaveSpareTrap(area, slot)) as number);
    if (displaced !== 0) yield* listStack(area, displaced);
    return { error: 0, value };
  }

  /**
   * Take back a join claim (a cycle was found): the word returns to `before`, plus EXITED if the
   * thread ended meanwhile — its own XADD is the only other change a claimed word can see — so a
   * later join or detach reclaims it.
   */
  private *unclaim(word: number, before: number, claimed: number): UserCode<void> {
    let cur = claimed;
    for (;;) {
      const seen = (yield memTrap.cas32(word, cur, (before | (cur & EXITED)) >>> 0)) as number;
      if (seen === cur) return;
      cur = seen;
    }
  }

  /**
   * `pthread_detach`: the thread reclaims itself when it ends (now, if it already has).
   * @returns 0, EINVAL (already detached, or being joined), ESRCH (already joined).
   */
  *detach(thread: number): UserCode<number> {
    const word = thread + T.JOIN;
    let j = (yield memTrap.load32(word)) as number;
    for (;;) {
      if (j === RECLAIMED) return Errno.ESRCH;
      if ((j & (DETACHED | JOINING)) !== 0) return Errno.EINVAL;
      const seen = (yield memTrap.cas32(word, j, (j | DETACHED) >>> 0)) as number;
      if (seen === j) break;
      j = seen;
    }
    // It had already exited: nobody else will reclaim it.
    if ((j & EXITED) !== 0) yield* releaseStack(this.lib.area, thread);
    return 0;
  }

  /**
   * `pthread_exit`: run the key destructors, publish `value`, end the calling thread. The process
   * ends when its last thread does (status 0); a detached thread reclaims its own stack.
   *
   * @param value the exit value, a safe integer (others are truncated as a 64-bit store does).
   * @remarks A start routine that returns takes the same steps, written out in the entry
   *   trampoline (`PthreadLibrary.entryFor`); a change to this protocol changes both.
   */
  *exit(value = 0): UserCode<never> {
    const tcb = this.id;
    // runKeyDestructors makes the same check; doing it here spares a call when no key was set.
    if (((yield memTrap.load32(tcb + T.SPECIFIC_USED)) as number) !== 0) yield* runKeyDestructors(this);
    yield memTrap.store64(tcb + T.RETVAL, value);
    // EXITED is clear until now, so adding it sets the bit, and the old word says who reclaims.
    const j = (yield memTrap.xadd32(tcb + T.JOIN, EXITED)) as number;
    if ((j & DETACHED) !== 0) yield* releaseStack(this.lib.area, tcb);
    yield EXIT_TRAP;
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
    yield* mem.store64(saved - 8, saved); // `push rbp`
    for (let probe = saved - 8 - PAGE_SIZE; probe > fp; probe -= PAGE_SIZE) yield* mem.store64(probe, 0);
    yield* mem.store64(fp, 0); // the lowest word of the frame
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
