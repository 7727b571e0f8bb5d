/**
 * The user-side primitives every simulated program is written with: memory accesses through the
 * MMU, `compute(n)`, and the raw `syscall` instruction.
 *
 * Each primitive raises one trap (see `trap.ts`) and returns what the kernel resumes it with, so
 * user code composes them with `yield*` and gets typed results. A one-trap primitive is a
 * `TrapStub` (`stub.ts`: the state machine of `function* () { return yield trap; }`, written
 * out); the string helpers, which trap more than once, are generators:
 *
 * ```
 *   const v = yield* mem.load32(va);       // one "load" trap, resumed with a number
 *   yield* mem.store32(va, v + 1);         // one "store" trap
 *   yield* compute(1_000);                 // let 1000 cycles pass
 *   const pid = yield* syscall(39);        // raw system call; typed stubs are in ../syscalls/stubs.ts
 * ```
 *
 * Strings are NUL-terminated UTF-8 in user memory, as C passes them to the kernel.
 *
 * Every trap first asks the replay cursor (`replay.ts`): while fork replays a child, the
 * recorded result is returned without yielding, so the child runs on without being suspended.
 *
 * Related: `trap.ts` (the records), `stub.ts` (one trap as an iterator), `replay.ts` (silent
 * replay), `../syscalls/stubs.ts` (typed stubs built on `syscall`).
 */
import { replayCursor } from "./replay.js";
import { StubKind, TrapStub } from "./stub.js";
import type { AccessSize, Trap, UserCode } from "./trap.js";

// A module-local copy: an imported binding is a live cell V8 re-reads (and checks) at every use.
const replay = replayCursor;

function load(va: number, size: AccessSize): UserCode<number> {
  return new TrapStub<number>(StubKind.LOAD, va, size, 0, undefined);
}

function store(va: number, size: AccessSize, value: number | bigint): UserCode<void> {
  return new TrapStub<void>(StubKind.STORE, va, size, 0, value);
}

/**
 * Scalar and byte-range accesses to the calling thread's address space, as a CPU at CPL 3 does
 * them: little-endian, translated by the MMU, faulting like hardware.
 *
 * @remarks A load returns the unsigned value (`load32` of 0xFFFFFFFF is 4294967295). Stores take
 *   any number and keep the low `size` bytes (two's complement), so `store32(va, -1)` writes
 *   FF FF FF FF. 64-bit accesses use `bigint`, because a double holds only 53 bits.
 *   A bad access never returns: the kernel delivers SIGSEGV. The object is frozen, so the
 *   compiler can take `mem.load32` for a constant and inline the stub into the program.
 * @example
 * ```ts
 * function* bump(va: number): UserCode<number> {
 *   const v = yield* mem.load32(va);
 *   yield* mem.store32(va, v + 1);
 *   return v + 1;
 * }
 * ```
 */
export const mem = {
  /** Load one byte. */
  load8: (va: number): UserCode<number> => load(va, 1),
  /** Load a little-endian 16-bit word. */
  load16: (va: number): UserCode<number> => load(va, 2),
  /** Load a little-endian 32-bit word (unsigned). */
  load32: (va: number): UserCode<number> => load(va, 4),
  /** Load a little-endian 64-bit word (unsigned). */
  load64: (va: number): UserCode<bigint> => new TrapStub<bigint>(StubKind.LOAD, va, 8, 0, undefined),
  /**
   * Load a little-endian 64-bit word as a signed number: what a pointer or a C `long` is in a
   * register, without a bigint. Exact when |value| ≤ 2^53 (user pointers are below 2^47);
   * beyond that rounded to the nearest double. One trap, like {@link mem.load64}.
   * @example
   * ```ts
   * yield* mem.store64(va, -5);
   * yield* mem.loadI64(va); // -5 (load64 would give 18446744073709551611n)
   * ```
   */
  loadI64: (va: number): UserCode<number> => new TrapStub<number>(StubKind.LOAD, va, 8, 1, undefined),
  /** Store the low byte of `value`. */
  store8: (va: number, value: number): UserCode<void> => store(va, 1, value),
  /** Store the low 16 bits of `value`, little-endian. */
  store16: (va: number, value: number): UserCode<void> => store(va, 2, value),
  /** Store the low 32 bits of `value`, little-endian. */
  store32: (va: number, value: number): UserCode<void> => store(va, 4, value),
  /**
   * Store the low 64 bits of `value`, little-endian (a negative number as two's complement; a
   * number that is not an integer is truncated toward zero first, NaN and ±Infinity store 0, as
   * the narrower stores do).
   */
  store64: (va: number, value: bigint | number): UserCode<void> => store(va, 8, value),
  /**
   * `LOCK CMPXCHG`: if the 32-bit word at `va` equals `expected`, store `desired`. Returns the old
   * value (unsigned): the swap happened when it equals `expected >>> 0`. One trap, so nothing can
   * run between the compare and the store, on any CPU. `va` must be 4-byte aligned (else SIGBUS).
   */
  cas32: (va: number, expected: number, desired: number): UserCode<number> =>
    new TrapStub<number>(StubKind.ATOMIC, va, expected, desired, "cmpxchg"),
  /** `XCHG`: store `value`, return the old word (unsigned). */
  xchg32: (va: number, value: number): UserCode<number> =>
    new TrapStub<number>(StubKind.ATOMIC, va, value, 0, "xchg"),
  /** `LOCK XADD`: add `delta` (mod 2^32), return the old word (unsigned). */
  xadd32: (va: number, delta: number): UserCode<number> =>
    new TrapStub<number>(StubKind.ATOMIC, va, delta, 0, "xadd"),
  /** Copy `length` bytes out of memory at `va`. */
  read: (va: number, length: number): UserCode<Uint8Array> =>
    new TrapStub<Uint8Array>(StubKind.READ_BYTES, va, length, 0, undefined),
  /** Copy `bytes` into memory at `va`. */
  write: (va: number, bytes: Uint8Array): UserCode<void> =>
    new TrapStub<void>(StubKind.WRITE_BYTES, va, 0, 0, bytes),
  /** Store `s` as NUL-terminated UTF-8 at `va`; returns the number of bytes written (with the NUL). */
  *storeString(va: number, s: string): UserCode<number> {
    const bytes = encodeCString(s);
    if (replay.pending()) replay.take();
    else yield { kind: "write-bytes", va, bytes };
    return bytes.length;
  },
  /**
   * Load a NUL-terminated string at `va`, reading at most `max` bytes (default 4096).
   * Reads byte by byte, so it never touches memory past the terminator (as `strlen` must not).
   */
  *loadString(va: number, max = 4096): UserCode<string> {
    const bytes: number[] = [];
    for (let i = 0; i < max; i++) {
      const b = (replay.pending() ? replay.take() : yield { kind: "load", va: va + i, size: 1 }) as number;
      if (b === 0) break;
      bytes.push(b);
    }
    return utf8.decode(Uint8Array.from(bytes));
  },
} as const;
// Frozen (a statement, so the documented type stays the literal's): V8 then takes `mem.load32`
// for a constant and inlines the stub into the program.
Object.freeze(mem);

/**
 * Burn `cycles` simulated cycles: the stand-in for computation that touches no memory.
 *
 * @remarks Time only passes through traps, so a program that never computes, accesses memory or
 *   calls the kernel cannot be preempted. `cycles` must be a non-negative integer; the kernel kills
 *   a program that passes anything else (a broken program, like an invalid opcode).
 * @example
 * ```ts
 * function* spin(): UserCode<void> { for (;;) yield* compute(10_000); }
 * ```
 */
export function compute(cycles: number): UserCode<void> {
  return new TrapStub<void>(StubKind.COMPUTE, cycles, 0, 0, undefined);
}

/**
 * The raw `syscall` instruction: number and up to six integer arguments; returns the kernel's
 * result register. A negative result is `-errno` (the Linux raw-syscall convention).
 *
 * @example
 * ```ts
 * function* main(): UserCode<number> { return yield* syscall(39); } // getpid in the POSIX table
 * ```
 */
export function syscall(nr: number, ...args: number[]): UserCode<number> {
  return new TrapStub<number>(StubKind.SYSCALL, nr, 0, 0, args);
}

/** Build a syscall trap without a generator (for hand-written hot loops that `yield` it directly). */
export function syscallTrap(nr: number, args: readonly number[]): Trap {
  return { kind: "syscall", nr, args };
}

/**
 * The memory trap records of {@link mem}, built without a stub, for hot paths that `yield` them
 * directly: `(yield memTrap.load32(va)) as number` is the same trap as `yield* mem.load32(va)`,
 * one level of delegation less. A trap the kernel resumes costs about 28 ns of host time as a raw
 * `yield` and about 67 ns through `yield*` and a stub (CPU time, one process, load 4.4), which
 * shows in code that traps a dozen times per operation, such as a thread library's create and
 * join. During fork's replay the stub is the cheaper one: it answers from the history without
 * yielding (16–21 ns a value, `../../bench/resume-floor.ts`, load 6), while a raw `yield` is
 * resumed by the replay loop, a full generator resume per value.
 *
 * The result comes back untyped (`unknown`): cast it to what the matching {@link mem} stub
 * returns (number; bigint for `load64`; undefined for stores and `write`).
 * @example
 * ```ts
 * function* bump(va: number): UserCode<number> {
 *   const v = (yield memTrap.load32(va)) as number;
 *   yield memTrap.store32(va, v + 1);
 *   return v + 1;
 * }
 * ```
 */
export const memTrap = {
  /** {@link mem.load32}'s trap. */
  load32: (va: number): Trap => ({ kind: "load", va, size: 4 }),
  /** {@link mem.loadI64}'s trap (resumed with a number). */
  loadI64: (va: number): Trap => ({ kind: "load", va, size: 8, asNumber: true }),
  /** {@link mem.store32}'s trap. */
  store32: (va: number, value: number): Trap => ({ kind: "store", va, size: 4, value }),
  /** {@link mem.store64}'s trap. */
  store64: (va: number, value: number | bigint): Trap => ({ kind: "store", va, size: 8, value }),
  /** {@link mem.write}'s trap. */
  write: (va: number, bytes: Uint8Array): Trap => ({ kind: "write-bytes", va, bytes }),
  /** {@link mem.cas32}'s trap. */
  cas32: (va: number, expected: number, desired: number): Trap => ({
    kind: "atomic",
    op: "cmpxchg",
    va,
    a: expected,
    b: desired,
  }),
  /** {@link mem.xchg32}'s trap. */
  xchg32: (va: number, value: number): Trap => ({ kind: "atomic", op: "xchg", va, a: value, b: 0 }),
  /** {@link mem.xadd32}'s trap. */
  xadd32: (va: number, delta: number): Trap => ({ kind: "atomic", op: "xadd", va, a: delta, b: 0 }),
} as const;
Object.freeze(memTrap);

const utf8 = new TextDecoder();
const utf8e = new TextEncoder();

/** UTF-8 bytes of `s` followed by a NUL, as a C string sits in memory. */
export function encodeCString(s: string): Uint8Array {
  const body = utf8e.encode(s);
  const out = new Uint8Array(body.length + 1);
  out.set(body);
  return out;
}

/** Decode UTF-8 bytes up to the first NUL (or the end). */
export function decodeCString(bytes: Uint8Array): string {
  const nul = bytes.indexOf(0);
  return utf8.decode(nul < 0 ? bytes : bytes.subarray(0, nul));
}
