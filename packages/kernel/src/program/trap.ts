/**
 * Traps: the only way simulated user code talks to the kernel.
 *
 * There is no instruction interpreter in osbricks. A thread's user code is a generator (a
 * continuation, as in the os2 design) and every `yield` hands the kernel one trap record:
 *
 * | trap          | what the CPU would do                         | resumed with               |
 * | ------------- | --------------------------------------------- | -------------------------- |
 * | `syscall`     | `syscall` instruction, args in registers      | the result register (rax)  |
 * | `load`        | `mov reg, [va]`, 1/2/4/8 bytes, little-endian | the value (bigint for 8, unless `asNumber`) |
 * | `store`       | `mov [va], reg`                               | `undefined`                |
 * | `read-bytes`  | `rep movsb` out of user memory                | a fresh `Uint8Array`       |
 * | `write-bytes` | `rep movsb` into user memory                  | `undefined`                |
 * | `atomic`      | `LOCK CMPXCHG` / `XCHG` / `LOCK XADD`, 32 bits | the old value             |
 * | `compute`     | n cycles of arithmetic that touch no memory   | `undefined`                |
 * | `checkpoint`  | (none: it tells the kernel how to rebuild the frame, `checkpoint.ts`) | `undefined` |
 *
 * A memory trap is translated by the MMU with the thread's address space at CPL 3. A fault that
 * the kernel cannot resolve never resumes the generator: the kernel raises SIGSEGV, and if a
 * handler returns the same trap is executed again, as the faulting instruction is on hardware.
 *
 * Invariant: a trap record is plain, immutable data; the kernel never keeps a reference to it
 * after the trap is handled, so user code may reuse one (the system-call stubs without arguments
 * share one frozen record each).
 *
 * Related: `user.ts` and `stub.ts` (the stubs that yield these), `../kernel/kernel.ts` (the
 * kernel side: `step` and `execute`).
 */

/** The width of a scalar memory access in bytes. */
export type AccessSize = 1 | 2 | 4 | 8;

/** `syscall`: number in rax, up to six arguments (rdi, rsi, rdx, r10, r8, r9 on x86-64 Linux). */
export interface SyscallTrap {
  readonly kind: "syscall";
  /** The system-call number, looked up in the kernel's table. */
  readonly nr: number;
  /** The raw argument registers; the kernel checks each against the table's declaration. */
  readonly args: readonly number[];
}

/** A scalar load from user memory. */
export interface LoadTrap {
  readonly kind: "load";
  readonly va: number;
  readonly size: AccessSize;
  /**
   * For `size` 8: resume with the word as a signed number (two's complement) instead of a bigint.
   * The same bytes are read and the same faults taken; only the host's representation of the
   * register differs: exact when |value| ≤ 2^53 (every user pointer, every `long` a program
   * keeps in a double), rounded to the nearest double beyond, as `Number(BigInt.asIntN(64, v))`
   * would. Ignored for other sizes. Default false.
   */
  readonly asNumber?: boolean;
}

/** A scalar store to user memory. `value` is truncated to `size` bytes (two's complement). */
export interface StoreTrap {
  readonly kind: "store";
  readonly va: number;
  readonly size: AccessSize;
  readonly value: number | bigint;
}

/** Copy `length` bytes out of user memory (a string instruction; may cross pages). */
export interface ReadBytesTrap {
  readonly kind: "read-bytes";
  readonly va: number;
  readonly length: number;
}

/** Copy `bytes` into user memory at `va` (may cross pages; all-or-nothing per page). */
export interface WriteBytesTrap {
  readonly kind: "write-bytes";
  readonly va: number;
  readonly bytes: Uint8Array;
}

/** A locked read-modify-write of an aligned 32-bit word (Intel SDM Vol. 3A 9.1.2.2). */
export interface AtomicTrap {
  readonly kind: "atomic";
  /** `cmpxchg`: if the word equals `a`, store `b`; `xchg`: store `a`; `xadd`: add `a` (mod 2^32). */
  readonly op: "cmpxchg" | "xchg" | "xadd";
  /** A 4-byte aligned address. */
  readonly va: number;
  readonly a: number;
  /** `cmpxchg`'s new value; ignored otherwise. */
  readonly b: number;
}

/** Burn `cycles` simulated cycles without touching memory, so time passes and preemption can happen. */
export interface ComputeTrap {
  readonly kind: "compute";
  readonly cycles: number;
}

/**
 * A restart point: from here on, the yielding frame continues as `fn(...args)` started afresh
 * would, so fork may rebuild it from there instead of from the frame's entry (see `checkpoint.ts`).
 */
export interface CheckpointTrap {
  readonly kind: "checkpoint";
  /** The generator function that continues the frame from this point. */
  readonly fn: (...args: never[]) => UserCode<unknown>;
  /** Its arguments: primitives only (numbers, bigints, strings, booleans, undefined, null). */
  readonly args: readonly unknown[];
}

/** Every trap a program can raise. */
export type Trap =
  | SyscallTrap
  | LoadTrap
  | StoreTrap
  | ReadBytesTrap
  | WriteBytesTrap
  | AtomicTrap
  | ComputeTrap
  | CheckpointTrap;

/**
 * A piece of user code: a generator that yields traps and is resumed with their results.
 * `R` is what the code returns (a thread's exit value, a stub's result).
 */
export type UserCode<R = void> = Generator<Trap, R, unknown>;
