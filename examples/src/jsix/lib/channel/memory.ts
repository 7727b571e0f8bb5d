/**
 * The memory the channel library works on, as an interface of four generator functions, so that
 * one copy of each algorithm runs in two places:
 *
 * ```
 *   bip-buffer.ts, mutex.ts, condition.ts, channel.ts   (written once, over ChannelMemory)
 *            │                                   │
 *     userMemory = mem (@osbricks/kernel)     ArrayMemory (a plain Uint8Array)
 *     every access is a trap: the MMU         no trap at all: unit and model tests drive
 *     translates it, it may fault, the        the algorithm synchronously with runSync()
 *     scheduler may preempt between two
 * ```
 *
 * Words are little-endian and unsigned, as `mem.load32` returns them. Atomics (compare-and-swap,
 * exchange, add) are not part of this interface: a program gets them from the kernel's
 * `mem.cas32`/`xchg32`/`xadd32` (one trap each, so nothing runs between the compare and the
 * store); `ArrayMemory` implements the same three for single-threaded tests.
 *
 * Related: `@osbricks/kernel` `program/user.ts` (the `mem` primitives).
 */
import { mem, type UserCode } from "@osbricks/kernel";
import { ChannelArgumentError, ChannelStateError } from "./errors.js";

/** The four accesses the channel's data structures need, each a generator (a trap or nothing). */
export interface ChannelMemory {
  /** Load the little-endian 32-bit word at `va` (unsigned). */
  load32(va: number): UserCode<number>;
  /** Store the low 32 bits of `value` at `va`, little-endian. */
  store32(va: number, value: number): UserCode<void>;
  /** Copy `length` bytes out of memory at `va`. */
  read(va: number, length: number): UserCode<Uint8Array>;
  /** Copy `bytes` into memory at `va`. */
  write(va: number, bytes: Uint8Array): UserCode<void>;
}

/** The atomic read-modify-write operations of one 32-bit word, each returning the old value. */
export interface AtomicMemory extends ChannelMemory {
  /** `LOCK CMPXCHG`: if the word equals `expected`, store `desired`; returns the old word. */
  cas32(va: number, expected: number, desired: number): UserCode<number>;
  /** `XCHG`: store `value`; returns the old word. */
  xchg32(va: number, value: number): UserCode<number>;
  /** `LOCK XADD`: add `delta` modulo 2^32; returns the old word. */
  xadd32(va: number, delta: number): UserCode<number>;
}

/**
 * A simulated program's own memory: the kernel's `mem` primitives, every access one trap.
 * @example
 * ```ts
 * const r = yield* bipReserve(userMemory, base, 100); // loads and stores through the MMU
 * ```
 */
export const userMemory: AtomicMemory = mem;

/**
 * Memory backed by a plain `Uint8Array`, addressed from `origin`: the tests' stand-in for user
 * memory. Its generators never yield; drive them with {@link runSync}.
 *
 * @throws ChannelArgumentError on an access outside `[origin, origin + bytes.length)` or a
 *   misaligned word (a program would take SIGSEGV or SIGBUS).
 * @example
 * ```ts
 * const m = new ArrayMemory(new Uint8Array(4096), 0x1000);
 * runSync(m.store32(0x1000, 7)); runSync(m.load32(0x1000)); // 7
 * ```
 */
export class ArrayMemory implements AtomicMemory {
  private readonly view: DataView;

  /**
   * @param bytes the backing store (shared, not copied).
   * @param origin the address of `bytes[0]`.
   */
  constructor(
    readonly bytes: Uint8Array,
    readonly origin = 0,
  ) {
    this.view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  }

  private at(va: number, length: number, align: number): number {
    const off = va - this.origin;
    if (!Number.isInteger(off) || off < 0 || length < 0 || off + length > this.bytes.length)
      throw new ChannelArgumentError(
        `ArrayMemory(va=0x${va.toString(16)}, length=${length}): outside [0x${this.origin.toString(16)}, 0x${(this.origin + this.bytes.length).toString(16)})`,
      );
    if (off % align !== 0)
      throw new ChannelArgumentError(
        `ArrayMemory(va=0x${va.toString(16)}): a word must be ${align}-byte aligned`,
      );
    return off;
  }

  /** {@inheritDoc ChannelMemory.load32} */
  // biome-ignore lint/correctness/useYield: a plain array traps nothing
  *load32(va: number): UserCode<number> {
    return this.view.getUint32(this.at(va, 4, 4), true);
  }

  /** {@inheritDoc ChannelMemory.store32} */
  // biome-ignore lint/correctness/useYield: a plain array traps nothing
  *store32(va: number, value: number): UserCode<void> {
    this.view.setUint32(this.at(va, 4, 4), value >>> 0, true);
  }

  /** {@inheritDoc ChannelMemory.read} */
  // biome-ignore lint/correctness/useYield: a plain array traps nothing
  *read(va: number, length: number): UserCode<Uint8Array> {
    const off = this.at(va, length, 1);
    return this.bytes.slice(off, off + length);
  }

  /** {@inheritDoc ChannelMemory.write} */
  // biome-ignore lint/correctness/useYield: a plain array traps nothing
  *write(va: number, bytes: Uint8Array): UserCode<void> {
    this.bytes.set(bytes, this.at(va, bytes.length, 1));
  }

  /** {@inheritDoc AtomicMemory.cas32} */
  // biome-ignore lint/correctness/useYield: a plain array traps nothing
  *cas32(va: number, expected: number, desired: number): UserCode<number> {
    const off = this.at(va, 4, 4);
    const old = this.view.getUint32(off, true);
    if (old === expected >>> 0) this.view.setUint32(off, desired >>> 0, true);
    return old;
  }

  /** {@inheritDoc AtomicMemory.xchg32} */
  // biome-ignore lint/correctness/useYield: a plain array traps nothing
  *xchg32(va: number, value: number): UserCode<number> {
    const off = this.at(va, 4, 4);
    const old = this.view.getUint32(off, true);
    this.view.setUint32(off, value >>> 0, true);
    return old;
  }

  /** {@inheritDoc AtomicMemory.xadd32} */
  // biome-ignore lint/correctness/useYield: a plain array traps nothing
  *xadd32(va: number, delta: number): UserCode<number> {
    const off = this.at(va, 4, 4);
    const old = this.view.getUint32(off, true);
    this.view.setUint32(off, (old + delta) >>> 0, true);
    return old;
  }
}

/**
 * Run a generator that must not trap (one over {@link ArrayMemory}) to its end; return its value.
 * @throws ChannelStateError if it yields a trap: the code reached the kernel, which a plain
 *   array cannot serve (a futex wait under contention, say).
 * @example
 * ```ts
 * const block = runSync(bipGetBlock(new ArrayMemory(bytes), 0));
 * ```
 */
export function runSync<R>(code: UserCode<R>): R {
  const step = code.next();
  if (step.done) return step.value;
  throw new ChannelStateError(`runSync: the code trapped (${step.value.kind}); only a kernel can serve it`);
}
