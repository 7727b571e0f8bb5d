/**
 * The POSIX personality plus the two kernel services a thread library needs and the kernel does
 * not offer yet: an atomic read-modify-write of a user word, and a clock.
 *
 * ```
 *   pthreadPersonality(k)
 *     ├── every call of posixSyscalls ─────────▶ posixPersonality(k).dispatch (unchanged)
 *     ├── atomic_rmw (nr 520)   LOCK CMPXCHG / XCHG / XADD on one 32-bit user word
 *     └── clock_gettime (228)   the calling CPU's cycle counter (simplified: no timespec)
 * ```
 *
 * **Why a system call for an atomic.** There is no instruction interpreter: a `load` trap and a
 * `store` trap are two instructions, and a timer interrupt or another CPU may run between them,
 * so `load; compare; store` is not a compare-and-swap. Real CPUs give `LOCK CMPXCHG` (Intel SDM
 * Vol. 3A 9.1.2.2, locked instructions are atomic with respect to all other processors); the
 * simulated kernel has no such trap kind. Linux faced the same gap on CPUs without atomic
 * instructions and answered with a system call: m68k's `atomic_cmpxchg_32` (nr 335) and ARM's
 * `__ARM_NR_cmpxchg` for pre-ARMv6 cores. We do the same until the kernel gains an atomic trap
 * (see README "Needs from the kernel"): everything above `atomic.ts` is unchanged when it does.
 *
 * The handler is atomic because a trap is: the translation, the read and the write happen inside
 * one kernel step, and nothing else runs in between (the same argument as futex's
 * compare-and-enqueue in `@osbricks/ipc`).
 *
 * Related: `../sync/atomic.ts` (the user side), `@osbricks/kernel` `posix/table.ts`.
 */
import type { PhysAddr } from "@osbricks/hw-x86";
import {
  arg,
  defineSyscallTable,
  Errno,
  type Kernel,
  makeStubs,
  type Personality,
  posixPersonality,
  posixSyscalls,
  SyscallDispatcher,
  type SyscallHandler,
  type SyscallHandlers,
  type Thread,
  translateOrFault,
} from "@osbricks/kernel";

/** Operations of `atomic_rmw`, each returning the word's old value. */
export const AtomicOp = {
  /** `LOCK CMPXCHG`: if `*uaddr === a`, store `b`. */
  CMPXCHG: 0,
  /** `XCHG`: store `a` (XCHG with a memory operand is always locked, SDM Vol. 2B "XCHG"). */
  XCHG: 1,
  /** `LOCK XADD`: store `*uaddr + a` (mod 2^32). */
  XADD: 2,
} as const;

/** Number of the `atomic_rmw` system call (above the POSIX table's 500-513 range). */
export const SYS_ATOMIC_RMW = 520;
/** Number of `clock_gettime` (Linux x86-64's number). */
export const SYS_CLOCK_GETTIME = 228;

const u32 = { min: -(2 ** 31), max: 2 ** 32 - 1 };

/** The calls this package adds to the POSIX table. */
export const pthreadExtraDecls = {
  atomic_rmw: {
    nr: SYS_ATOMIC_RMW,
    args: [
      arg.ptr("uaddr", { access: "in", len: 4, doc: "4-byte aligned word, must be writable" }),
      arg.int("op", { min: 0, max: 2, doc: "0 CMPXCHG, 1 XCHG, 2 XADD" }),
      arg.int("a", { ...u32, doc: "CMPXCHG: expected value; XCHG: new value; XADD: addend" }),
      arg.int("b", { ...u32, doc: "CMPXCHG: new value; otherwise ignored" }),
    ],
    result: "int",
    doc: "Atomically read-modify-write one 32-bit word of user memory and return its old value (unsigned). The stand-in for LOCK CMPXCHG / XCHG / LOCK XADD until the kernel has an atomic trap (m68k Linux's atomic_cmpxchg_32 did the same for CPUs without one).",
    errors: { EINVAL: "uaddr not 4-byte aligned", EFAULT: "uaddr not mapped writable" },
  },
  clock_gettime: {
    nr: SYS_CLOCK_GETTIME,
    args: [
      arg.int("clockid", {
        min: 0,
        max: 1,
        doc: "CLOCK_REALTIME (0) or CLOCK_MONOTONIC (1): the same clock here",
      }),
    ],
    result: "int",
    doc: "The calling CPU's simulated cycle counter (simplified ABI: the value in the result register instead of a struct timespec).",
  },
} as const;

/** The POSIX table plus {@link pthreadExtraDecls}: what {@link pthreadPersonality} dispatches. */
export const pthreadSyscalls = defineSyscallTable("posix+pthreads", {
  ...posixSyscalls.decls,
  ...pthreadExtraDecls,
});

/** Typed user stubs of {@link pthreadSyscalls}: `yield* rsys.atomic_rmw(va, AtomicOp.XCHG, 2, 0)`. */
export const pthreadStubs = makeStubs(pthreadSyscalls);

type Decls = typeof pthreadSyscalls.decls;

/**
 * A kernel personality: POSIX unchanged, plus `atomic_rmw` and `clock_gettime`. Boot kernels
 * that run this package's threads with it.
 *
 * @example
 * ```ts
 * const k = new Kernel({ programs, personality: pthreadPersonality, cpus: 2 });
 * ```
 */
export const pthreadPersonality: Personality = (k: Kernel) => new PthreadDispatcher(k);

/**
 * The dispatcher of {@link pthreadPersonality}: its own two calls go through the table's checks
 * and handlers; every other number goes straight to the POSIX dispatcher, untouched (one check,
 * no copy of the argument registers).
 */
class PthreadDispatcher extends SyscallDispatcher<Thread, Decls> {
  private readonly posix: SyscallDispatcher<Thread, typeof posixSyscalls.decls>;
  constructor(k: Kernel) {
    const posix = posixPersonality(k);
    super(pthreadSyscalls, pthreadHandlers(k, posix));
    this.posix = posix;
  }

  override dispatch(ctx: Thread, nr: unknown, args: readonly unknown[]): number {
    if (nr === SYS_ATOMIC_RMW || nr === SYS_CLOCK_GETTIME) return super.dispatch(ctx, nr, args);
    return this.posix.dispatch(ctx, nr, args);
  }
}

function pthreadHandlers(
  k: Kernel,
  posix: SyscallDispatcher<Thread, typeof posixSyscalls.decls>,
): SyscallHandlers<Thread, Decls> {
  const handlers: Record<string, SyscallHandler<Thread, never>> = {};
  for (const e of posixSyscalls.entries) {
    const nr = e.decl.nr;
    const arity = e.decl.args.length;
    // Not reached through PthreadDispatcher.dispatch (which forwards these numbers itself); kept
    // so the table's every call has a handler, as SyscallDispatcher requires.
    handlers[e.name] = ((t: Thread, ...args: number[]) =>
      posix.dispatch(t, nr, args.slice(0, arity))) as never;
  }
  handlers.atomic_rmw = ((t: Thread, uaddr: number, op: number, a: number, b: number): number => {
    if (uaddr % 4 !== 0) return -Errno.EINVAL;
    const space = t.process.addressSpace;
    if (space === null) return -Errno.EFAULT;
    // A write translation: breaks copy-on-write and refuses read-only pages, as LOCK CMPXCHG
    // does (it always writes, SDM Vol. 2A "CMPXCHG": the destination is written even on failure).
    const pa = translateOrFault(k, space, uaddr, "write", t);
    if (pa < 0) return -Errno.EFAULT;
    const mem = k.memory;
    const old = mem.read32(pa as PhysAddr) >>> 0;
    let next = old;
    if (op === AtomicOp.CMPXCHG) next = old === a >>> 0 ? b >>> 0 : old;
    else if (op === AtomicOp.XCHG) next = a >>> 0;
    else next = (old + a) >>> 0;
    mem.write32(pa as PhysAddr, next);
    return old;
  }) as never;
  handlers.clock_gettime = ((t: Thread): number => k.cpus[t.cpu]!.time) as never;
  return handlers as unknown as SyscallHandlers<Thread, Decls>;
}
