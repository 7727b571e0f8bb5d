/**
 * User-side system-call stubs, derived from a table.
 *
 * A stub is what libc's `write()` is to the `syscall` instruction: it puts the number and the
 * arguments in registers and traps. Here it yields one `syscall` trap and returns the result
 * register (a `TrapStub`, `../program/stub.ts`: one trap as an iterator, for `yield*`). The
 * stub's parameter list comes from the declaration, so `sys.write(1, buf)` (one argument short)
 * is a type error in the program, not a runtime surprise in the kernel.
 *
 * Results follow the raw convention: `>= 0` success, `-errno` failure (see `errno.ts`).
 *
 * While fork replays a child (`../program/replay.ts`), a stub answers with the recorded result
 * instead of yielding: the child's program runs on without being suspended.
 *
 * Related: `table.ts`, `../program/user.ts` (`syscall`, the untyped form).
 */
import { StubKind, TrapStub } from "../program/stub.js";
import type { Trap, UserCode } from "../program/trap.js";
import type { StubArgs } from "./decl.js";
import type { SyscallDecls, SyscallTable } from "./table.js";

/** The typed stubs of a table: one function per call, returning the call's one-trap stub. */
export type SyscallStubs<D extends SyscallDecls> = {
  readonly [K in keyof D]: (...args: StubArgs<D[K]["args"]>) => UserCode<number>;
};

const NO_ARGS: readonly number[] = Object.freeze([]);

function stub(nr: number, arity: number): (...args: number[]) => UserCode<number> {
  if (arity === 0) {
    // Traps are immutable, so a call without arguments can yield one shared record: no
    // allocation but the stub itself (getpid is the null system call of the benchmarks).
    const trap: Trap = Object.freeze({ kind: "syscall", nr, args: NO_ARGS });
    return () => new TrapStub<number>(StubKind.RECORD, 0, 0, 0, trap);
  }
  if (arity <= 3) {
    // Up to three arguments travel in the stub's operand fields: no array until the trap is
    // raised, none at all when a fork's replay answers the call.
    const kind = arity === 1 ? StubKind.SYSCALL1 : arity === 2 ? StubKind.SYSCALL2 : StubKind.SYSCALL3;
    return function syscallStub(a: number, b: number, c: number): UserCode<number> {
      // Untyped code may pass another count: then the general form, so that the kernel sees
      // exactly the arguments passed (and refuses a wrong count with EINVAL, as before).
      // biome-ignore lint/complexity/noArguments: the count is the point, without an array per call
      if (arguments.length !== arity) return general(nr, Array.prototype.slice.call(arguments));
      return new TrapStub<number>(kind, nr, a, b, c);
    } as (...args: number[]) => UserCode<number>;
  }
  return (...args: number[]) => general(nr, args);
}

function general(nr: number, args: number[]): UserCode<number> {
  return new TrapStub<number>(StubKind.SYSCALL, nr, 0, 0, args);
}

/**
 * Build the user-side stubs of a table.
 *
 * @example
 * ```ts
 * const sys = makeStubs(posixSyscalls);
 * function* main(): UserCode<number> {
 *   const pid = yield* sys.getpid();
 *   return pid > 0 ? 0 : 1;
 * }
 * ```
 */
export function makeStubs<D extends SyscallDecls>(table: SyscallTable<D>): SyscallStubs<D> {
  // Built in one go and frozen, not by a store per name: V8 turns an object that receives more
  // than a dozen properties through computed-name stores into a hash table, and then every
  // `sys.getpid` is a hash lookup that the compiler cannot fold. From `fromEntries` the object
  // keeps fixed slots, and frozen, each stub is a constant the compiler can inline.
  const out = Object.fromEntries(table.entries.map((e) => [e.name, stub(e.decl.nr, e.decl.args.length)]));
  return Object.freeze(out) as unknown as SyscallStubs<D>;
}
