/**
 * User-side system-call stubs, derived from a table.
 *
 * A stub is what libc's `write()` is to the `syscall` instruction: it puts the number and the
 * arguments in registers and traps. Here it yields one `syscall` trap and returns the result
 * register. The stub's parameter list comes from the declaration, so `sys.write(1, buf)` (one
 * argument short) is a type error in the program, not a runtime surprise in the kernel.
 *
 * Results follow the raw convention: `>= 0` success, `-errno` failure (see `errno.ts`).
 *
 * While fork replays a child (`../program/replay.ts`), a stub answers with the recorded result
 * instead of yielding: the child's program runs on without being suspended.
 *
 * Related: `table.ts`, `../program/user.ts` (`syscall`, the untyped form).
 */
import { replayCursor } from "../program/replay.js";
import type { Trap, UserCode } from "../program/trap.js";
import type { StubArgs } from "./decl.js";
import type { SyscallDecls, SyscallTable } from "./table.js";

/** The typed stubs of a table: one generator function per call. */
export type SyscallStubs<D extends SyscallDecls> = {
  readonly [K in keyof D]: (...args: StubArgs<D[K]["args"]>) => UserCode<number>;
};

// A module-local copy: an imported binding is a live cell V8 re-reads (and checks) at every use.
const replay = replayCursor;

function stub(nr: number, arity: number): (...args: number[]) => UserCode<number> {
  if (arity === 0) {
    // Traps are immutable, so a call without arguments can yield one shared record: no
    // allocation but the generator itself (getpid is the null system call of the benchmarks).
    const trap: Trap = Object.freeze({ kind: "syscall", nr, args: Object.freeze([]) as readonly number[] });
    return function* syscallStub0(): Generator<Trap, number, unknown> {
      if (replay.pending()) return replay.take() as number;
      return (yield trap) as number;
    };
  }
  return function* syscallStub(...args: number[]): Generator<Trap, number, unknown> {
    if (replay.pending()) return replay.take() as number;
    return (yield { kind: "syscall", nr, args }) as number;
  };
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
  const out: Record<string, (...args: number[]) => UserCode<number>> = {};
  for (const e of table.entries) out[e.name] = stub(e.decl.nr, e.decl.args.length);
  return out as unknown as SyscallStubs<D>;
}
