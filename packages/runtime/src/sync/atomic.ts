/**
 * User-side atomics and the clock: the few operations a thread library needs beyond plain loads
 * and stores, each one trap.
 *
 * | operation         | x86-64 instruction   | trap                                                      |
 * | ----------------- | -------------------- | --------------------------------------------------------- |
 * | `cas32(va, e, n)` | `LOCK CMPXCHG [va]`  | `{ kind: "atomic", op: "cmpxchg", va, a: e, b: n }`       |
 * | `xchg32(va, v)`   | `XCHG [va], reg`     | `{ kind: "atomic", op: "xchg", va, a: v }`                |
 * | `add32(va, d)`    | `LOCK XADD [va]`     | `{ kind: "atomic", op: "xadd", va, a: d }`                |
 * | `mem.load32(va)`  | `MOV reg, [va]`      | `load` (aligned loads are atomic, SDM Vol. 3A 9.1.1)      |
 * | `now()`           | `RDTSC`              | the `clock_gettime` system call                           |
 *
 * Why a trap of its own: there is no instruction interpreter, so a `load` trap and a `store`
 * trap are two instructions, and a timer interrupt or another CPU may run between them —
 * `load; compare; store` is not a compare-and-swap. The kernel executes an atomic trap in one step
 * with a *write* translation, as a locked instruction always writes (SDM Vol. 2A "CMPXCHG"): a
 * read-only or unmapped word takes SIGSEGV, a misaligned one SIGBUS (a split lock, refused as
 * Linux's `split_lock_detect=fatal` does).
 *
 * Each returns the word's *old* value as an unsigned 32-bit number, as the instruction leaves it
 * in a register.
 *
 * Related: `lll.ts` (the lock built on these), `@osbricks/kernel` `trap/memory.ts` (the kernel side).
 */
import { posixStubs as sys, type Trap, type UserCode } from "@osbricks/kernel";

/**
 * Atomic read-modify-write operations on 32-bit words of user memory.
 *
 * @remarks Values are taken modulo 2^32 and the old value comes back unsigned (−1 is stored as
 *   0xFFFFFFFF). These yield their trap directly (as `mem.cas32` and friends of
 *   `@osbricks/kernel` do) under the names this library's protocols are written with.
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
    return (yield {
      kind: "atomic",
      op: "cmpxchg",
      va,
      a: expected >>> 0,
      b: desired >>> 0,
    } as Trap) as number;
  },
  /** `XCHG`: store `value`, return the old value. */
  *xchg32(va: number, value: number): UserCode<number> {
    return (yield { kind: "atomic", op: "xchg", va, a: value >>> 0, b: 0 } as Trap) as number;
  },
  /** `LOCK XADD`: add `delta` (may be negative), return the old value. */
  *add32(va: number, delta: number): UserCode<number> {
    return (yield { kind: "atomic", op: "xadd", va, a: delta >>> 0, b: 0 } as Trap) as number;
  },
};

/** `CLOCK_MONOTONIC` (Linux's value). */
export const CLOCK_MONOTONIC = 1;

/**
 * The calling CPU's cycle counter: the clock timed waits measure their deadline on.
 * @example
 * ```ts
 * const deadline = (yield* now()) + 50_000; // 50 000 simulated cycles from now
 * ```
 */
export function* now(): UserCode<number> {
  return yield* sys.clock_gettime(CLOCK_MONOTONIC);
}
