/**
 * User-side atomics and the clock: the few operations a thread library needs beyond plain loads
 * and stores, as generators that trap.
 *
 * | operation         | x86-64 instruction   | here                                                      |
 * | ----------------- | -------------------- | --------------------------------------------------------- |
 * | `cas32(va, e, n)` | `LOCK CMPXCHG [va]`  | `atomic_rmw(va, CMPXCHG, e, n)` system call               |
 * | `xchg32(va, v)`   | `XCHG [va], reg`     | `atomic_rmw(va, XCHG, v, 0)` system call                  |
 * | `add32(va, d)`    | `LOCK XADD [va]`     | `atomic_rmw(va, XADD, d, 0)` system call                  |
 * | `mem.load32(va)`  | `MOV reg, [va]`      | a `load` trap (aligned loads are atomic, SDM Vol. 3A 9.1.1) |
 * | `now()`           | `RDTSC`              | `clock_gettime` system call                               |
 *
 * Each atomic returns the word's *old* value as an unsigned 32-bit number, as the instruction
 * leaves it in a register. A bad word (unmapped, read-only) faults as the instruction would: the
 * kernel refuses with EFAULT, and we then touch the word with a plain load and store so the
 * process takes the very SIGSEGV the locked instruction would have raised.
 *
 * Related: `../kernel-ext/personality.ts` (why an atomic is a system call for now), `lll.ts`.
 */
import { mem, type Trap, type UserCode } from "@osbricks/kernel";
import { AtomicOp, pthreadStubs as rsys, SYS_ATOMIC_RMW } from "../kernel-ext/personality.js";

/** Re-execute a refused atomic as the plain read and write it consists of, so it faults for real. */
function* fault(va: number, where: string): UserCode<never> {
  const v = yield* mem.load32(va);
  yield* mem.store32(va, v);
  throw new Error(
    `${where}(va=0x${va.toString(16)}): the kernel refused the atomic but the word is accessible`,
  );
}

/**
 * Atomic read-modify-write operations on 32-bit words of user memory.
 *
 * @remarks Values are taken modulo 2^32 and the old value comes back unsigned (−1 is stored as
 *   0xFFFFFFFF). A misaligned or inaccessible word kills the calling process with SIGSEGV.
 * @example
 * ```ts
 * function* tryLock(va: number): UserCode<boolean> {
 *   return (yield* atomic.cas32(va, 0, 1)) === 0; // we saw 0 and stored 1
 * }
 * ```
 */
export const atomic = {
  /** `LOCK CMPXCHG`: if the word equals `expected`, store `desired`. Returns the old value. */
  *cas32(va: number, expected: number, desired: number): UserCode<number> {
    // The trap is yielded here rather than through the typed stub: one generator less per
    // atomic, on the hottest path of every lock.
    const r = (yield rmw(va, AtomicOp.CMPXCHG, expected >>> 0, desired >>> 0)) as number;
    return r < 0 ? yield* fault(va, "cas32") : r;
  },
  /** `XCHG`: store `value`, return the old value. */
  *xchg32(va: number, value: number): UserCode<number> {
    const r = (yield rmw(va, AtomicOp.XCHG, value >>> 0, 0)) as number;
    return r < 0 ? yield* fault(va, "xchg32") : r;
  },
  /** `LOCK XADD`: add `delta` (may be negative), return the old value. */
  *add32(va: number, delta: number): UserCode<number> {
    const r = (yield rmw(va, AtomicOp.XADD, delta >>> 0, 0)) as number;
    return r < 0 ? yield* fault(va, "add32") : r;
  },
};

/** The `atomic_rmw` system-call trap (the same record `pthreadStubs.atomic_rmw` yields). */
function rmw(va: number, op: number, a: number, b: number): Trap {
  return { kind: "syscall", nr: SYS_ATOMIC_RMW, args: [va, op, a, b] };
}

/**
 * The calling CPU's cycle counter: the clock timed waits measure their deadline on.
 * @example
 * ```ts
 * const deadline = (yield* now()) + 50_000; // 50 000 simulated cycles from now
 * ```
 */
export function* now(): UserCode<number> {
  return yield* rsys.clock_gettime(1);
}
