/**
 * A one-trap stub as a hand-written iterator: the state machine that
 * `function* () { return yield trap; }` compiles to, written out.
 *
 * Every system-call stub and every `mem.*` access raises exactly one trap and returns what the
 * kernel resumes it with. As a generator function that costs a generator object per call and a
 * resume through it per trap; as this small iterator it costs one plain object, which `yield*`
 * drives through the ordinary iterator protocol (`yield*` accepts any iterator, ECMA-262
 * 14.4.14). The saving shows most in fork's replay (`replay.ts`), where the stub answers from
 * the history without yielding at all: 31–40 → 17–28 ns of CPU per replayed trap, and 63–78 →
 * 50–60 ns per trap resumed by the kernel (the two forms side by side in one process, load 4–6;
 * `../../bench/resume-floor.ts` measures the current form). `yield*` does not inline a
 * delegate's `next`, so a call per step remains.
 *
 * ```
 *   state       next(v)                                        gives
 *   ─────────   ────────────────────────────────────────────   ──────────────────────────────────
 *   FRESH       a recorded value waits (fork's replay) → DONE  REPLAYED: { value: recorded, done: true }
 *               otherwise                       → SUSPENDED    { value: the trap, done: false }
 *   SUSPENDED   → DONE                                         { value: v, done: true }
 *   DONE        → DONE                                         { value: undefined, done: true }
 * ```
 *
 * A trap answered from a replay returns one shared result object, `REPLAYED`, whose `value` is
 * rewritten at every replayed trap: `yield*` reads `done` and `value` at once and never keeps a
 * result, and the replay, the hot path of fork, then writes one field per value instead of
 * filling a result. Every other result is a fresh literal of the same two fields in the same
 * order, so the `yield*` that reads them sees one object shape whether its stub was replayed or
 * resumed; those never change afterwards, and `REPLAYED` is never the answer of a trap the kernel
 * resumes (`test/stub.test.ts`). Measured in sysrate.c's fork loop (N = 3000, the kernels side by
 * side in one process, both import orders): ×1.08 and ×1.11 over the stub that was its own first
 * result, which had itself saved an object per trap over a separate result (1.95k → 2.30k forks
 * per CPU-second, N = 4000, load 6).
 *
 * As with a generator, nothing happens when the stub is called: the trap is raised (or the
 * recorded value taken) at the first `next()`, so stubs created in one order and run in another
 * behave as their generators would. `return(v)` and `throw(e)` end it as they would end a
 * generator suspended at its `yield` with no `try` around it.
 *
 * The trap record is built only when it is yielded, from the stub's kind and operands:
 *
 * | kind         | `p`        | `q`             | `r`                | `value` (operand)    |
 * | ------------ | ---------- | --------------- | ------------------ | -------------------- |
 * | SYSCALL      | nr         | –               | –                  | args                 |
 * | LOAD         | va         | size            | 1: `asNumber`      | –                    |
 * | STORE        | va         | size            | –                  | value                |
 * | READ_BYTES   | va         | length          | –                  | –                    |
 * | WRITE_BYTES  | va         | –               | –                  | bytes                |
 * | ATOMIC       | va         | a               | b                  | "cmpxchg"/"xchg"/"xadd" |
 * | COMPUTE      | cycles     | –               | –                  | –                    |
 * | RECORD       | –          | –               | –                  | the trap itself      |
 * | SYSCALL1..3  | nr         | arg 0           | arg 1              | arg 2                |
 *
 * RECORD yields a record built once (traps are immutable): a system call without arguments
 * allocates no trap record. SYSCALL1..3 carry up to three arguments in the operand fields, so
 * the argument array is built only when the trap is raised — never in a replay, which answers
 * from the history.
 *
 * One class for every kind, not a subclass per kind: `next` then sees one object shape at every
 * call site and stays monomorphic, and the stub's construction is inlined into the program that
 * calls it (`next` itself is not: `yield*` calls it).
 *
 * Related: `user.ts` and `../syscalls/stubs.ts` (the stubs built on it), `replay.ts`, `trap.ts`.
 */
import { replayCursor } from "./replay.js";
import type { AccessSize, AtomicTrap, Trap, UserCode } from "./trap.js";

/** What a {@link TrapStub} raises. */
export const StubKind = {
  SYSCALL: 0,
  LOAD: 1,
  STORE: 2,
  READ_BYTES: 3,
  WRITE_BYTES: 4,
  ATOMIC: 5,
  COMPUTE: 6,
  RECORD: 7,
  SYSCALL1: 8,
  SYSCALL2: 9,
  SYSCALL3: 10,
} as const;
/** One of {@link StubKind}'s values. */
export type StubKind = (typeof StubKind)[keyof typeof StubKind];

const FRESH = 0;
const SUSPENDED = 1;
const DONE = 2;

// A module-local copy: an imported binding is a live cell V8 re-reads (and checks) at every use.
const replay = replayCursor;

/**
 * The result of every trap answered from a replay: one object, its `value` rewritten at each
 * replayed trap, never handed out by a trap the kernel resumes. A literal of the same two fields,
 * in the same order and kinds, as the results `next` builds, so that the `yield*` reading it sees
 * one object shape whether the stub was replayed or resumed.
 */
const REPLAYED: { value: unknown; done: true } = { value: undefined, done: true };

/**
 * One trap, raised at the first `next()` and answered by the second (see the file comment).
 *
 * @remarks Build one with the stubs (`mem.load32(va)`, `sys.getpid()`), not directly; it is
 *   exported for code that writes stubs of its own. `R` is what the trap's result is (number,
 *   bigint, bytes, or undefined); the kernel's resume value is passed through unchecked, as a
 *   generator's `yield` would.
 * @example
 * ```ts
 * const load = (va: number): UserCode<number> => new TrapStub(StubKind.LOAD, va, 4, 0, undefined);
 * function* main(): UserCode<number> { return yield* load(0x1000); }
 * ```
 */
export class TrapStub<R> implements UserCode<R> {
  private state = FRESH;

  /** @param kind what to raise; `p`, `q`, `r`, `value` its operands, as the file comment's table. */
  constructor(
    readonly kind: StubKind,
    readonly p: number,
    readonly q: number,
    readonly r: number,
    /** The fourth operand (see the file comment's table). */
    readonly value: unknown,
  ) {}

  /** The trap this stub raises, as a fresh record (the same record the generator stubs yielded). */
  trap(): Trap {
    switch (this.kind) {
      case StubKind.SYSCALL:
        return { kind: "syscall", nr: this.p, args: this.value as readonly number[] };
      case StubKind.LOAD:
        return this.r === 1
          ? { kind: "load", va: this.p, size: this.q as AccessSize, asNumber: true }
          : { kind: "load", va: this.p, size: this.q as AccessSize };
      case StubKind.STORE:
        return {
          kind: "store",
          va: this.p,
          size: this.q as AccessSize,
          value: this.value as number | bigint,
        };
      case StubKind.READ_BYTES:
        return { kind: "read-bytes", va: this.p, length: this.q };
      case StubKind.WRITE_BYTES:
        return { kind: "write-bytes", va: this.p, bytes: this.value as Uint8Array };
      case StubKind.ATOMIC:
        return { kind: "atomic", op: this.value as AtomicTrap["op"], va: this.p, a: this.q, b: this.r };
      case StubKind.COMPUTE:
        return { kind: "compute", cycles: this.p };
      case StubKind.SYSCALL1:
        return { kind: "syscall", nr: this.p, args: [this.q] };
      case StubKind.SYSCALL2:
        return { kind: "syscall", nr: this.p, args: [this.q, this.r] };
      case StubKind.SYSCALL3:
        return { kind: "syscall", nr: this.p, args: [this.q, this.r, this.value as number] };
      default:
        return this.value as Trap;
    }
  }

  /**
   * Raise the trap (or, in a replay, take its recorded result); then return what it was resumed
   * with. In a replay the result is one shared object, valid until the next replayed trap.
   */
  next(value?: unknown): IteratorResult<Trap, R> {
    if (this.state === FRESH) {
      if (replay.pending()) {
        this.state = DONE;
        REPLAYED.value = replay.take();
        return REPLAYED as IteratorResult<Trap, R>;
      }
      this.state = SUSPENDED;
      return { value: this.trap(), done: false };
    }
    const was = this.state;
    this.state = DONE;
    return { value: (was === SUSPENDED ? value : undefined) as R, done: true };
  }

  /** End the stub as `return` ends a generator: done, with `value`. */
  return(value: R): IteratorResult<Trap, R> {
    this.state = DONE;
    return { value, done: true };
  }

  /** End the stub by throwing `e` out of it, as a generator suspended at a bare `yield` would. */
  throw(e: unknown): IteratorResult<Trap, R> {
    this.state = DONE;
    throw e;
  }

  /** A stub is its own iterator (what `yield*` asks for first). */
  [Symbol.iterator](): TrapStub<R> {
    return this;
  }
}
