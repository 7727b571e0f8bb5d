/**
 * Law suites of `@osbricks/kernel`, runnable against any implementation (fast-check, no test
 * runner needed).
 *
 * - {@link syscallDispatchLaws}: a system-call dispatcher (ours, or a student's) keeps the
 *   contract of a table declaration: garbage in, an integer out, never an exception; an argument
 *   that breaks its declared check, or a wrong argument count, gets that check's errno and the
 *   handler never runs; a call that passes its checks reaches its own handler once, with its
 *   arguments, and returns its result.
 * - {@link grindLaws} (`grind.ts`): xv6's grinder on a whole kernel: random programs, then every
 *   invariant intact and every resource free.
 * - {@link fileOperationsLaws} (`files.ts`): any kind of open file keeps the contract the
 *   kernel's read, write, lseek and fstat rely on.
 */
import fc from "fast-check";
import type { ArgSpec } from "../syscalls/decl.js";
import { NSIG, SIZE_MAX_ARG, USER_TOP } from "../syscalls/decl.js";
import { checkSyscallArgs, SyscallDispatcher, type SyscallHandlers } from "../syscalls/dispatch.js";
import { Errno } from "../syscalls/errno.js";
import type { SyscallDecls, SyscallTable } from "../syscalls/table.js";
import type { Law, LawOptions } from "./law.js";

export { type FileLawOptions, fileOperationsLaws, runFileOperationsLaws } from "./files.js";
export {
  GRIND_STEPS,
  GRIND_WORKERS,
  type GrindLawOptions,
  grindInit,
  grindLaws,
  grindOnce,
  grindProgram,
  grindPrograms,
} from "./grind.js";
export type { Law, LawOptions } from "./law.js";
export { type PipeUnderTest, pipeLaws, runPipeLaws } from "./pipe.js";

/** The last call that reached a handler, as a {@link DispatchUnderTest} reports it. */
export interface DispatchedCall {
  /** The name of the handler that ran (the table's name of its call). */
  readonly name: string;
  /** The arguments the handler received, in order (the declared ones; extra trailing `undefined`s are ignored). */
  readonly args: readonly unknown[];
  /** What the handler returned. */
  readonly result: number;
}

/**
 * What the dispatch laws drive: a dispatcher over `table`, plus a way to know whether the last
 * call reached a handler, and which.
 */
export interface DispatchUnderTest {
  /** Dispatch `nr` with raw `args`; must never throw. */
  dispatch(nr: unknown, args: readonly unknown[]): number;
  /** How many handler invocations happened so far (the laws compare before and after). */
  handlerCalls(): number;
  /**
   * The last call that reached a handler: which handler, with what, returning what; `null` before
   * any. Optional, but without it the routing law only sees that some handler ran, not that it
   * was the right one with the right arguments.
   */
  lastCall?(): DispatchedCall | null;
}

/**
 * The dispatch laws' probe for our own {@link SyscallDispatcher}: a dispatcher over `table` whose
 * every handler only records its call and returns 0, so that the laws see whether a call got past
 * the argument checks, and to which handler, without running anything real.
 */
export function countingDispatch(table: SyscallTable): DispatchUnderTest {
  let calls = 0;
  let last: DispatchedCall | null = null;
  const recorder =
    (name: string) =>
    (_ctx: null, ...args: unknown[]): number => {
      calls++;
      last = { name, args, result: 0 };
      return 0;
    };
  const handlers = Object.fromEntries(
    table.entries.map((e) => [e.name, recorder(e.name)]),
  ) as SyscallHandlers<null, SyscallDecls>;
  const dispatcher = new SyscallDispatcher<null>(table, handlers);
  return {
    dispatch: (nr, args) => dispatcher.dispatch(null, nr, args),
    handlerCalls: () => calls,
    lastCall: () => last,
  };
}

/** A raw register value that is valid for `spec` (so the other arguments' checks decide). */
function validValue(spec: ArgSpec<unknown>): fc.Arbitrary<number> {
  switch (spec.kind) {
    case "int":
      return fc.integer({
        min: Math.max(spec.min ?? -(2 ** 31), -(2 ** 31)),
        max: Math.min(spec.max ?? 2 ** 31 - 1, 2 ** 31 - 1),
      });
    case "size":
      return fc.integer({ min: 0, max: 64 });
    case "fd":
    case "handle":
      return fc.integer({ min: 0, max: 8 });
    case "pid":
      return fc.integer({ min: -1, max: 8 });
    case "signal":
      return fc.integer({ min: 0, max: NSIG - 1 });
    case "flags":
      return fc.constant(0);
    case "ptr":
    case "code":
      return fc.integer({ min: 1, max: 2 ** 20 }).map((p) => p * 16);
    case "addr":
      return fc.integer({ min: 0, max: 2 ** 20 }).map((p) => p * 4096);
  }
}

/** A raw register value that breaks `spec`'s check, whatever the other arguments are. */
function invalidValue(spec: ArgSpec<unknown>): fc.Arbitrary<number> | null {
  switch (spec.kind) {
    case "int":
      return fc.oneof(fc.constant((spec.max ?? 0) + 1), fc.constant(0.5));
    case "size":
      return fc.constantFrom(-1, SIZE_MAX_ARG + 1, 1.5);
    case "fd":
      return fc.constantFrom(-1, 2 ** 31, 0.25);
    case "signal":
      return fc.constantFrom(-1, NSIG, 3.5);
    case "pid":
      return fc.constantFrom(2 ** 31, -(2 ** 31) - 1, 0.5);
    case "flags":
      return spec.mask === 0xffff_ffff ? null : fc.constant(0x8000_0000);
    case "ptr":
      return spec.nullable ? fc.constant(USER_TOP) : fc.constantFrom(0, -4096, USER_TOP);
    case "addr":
      return spec.hint === true ? null : fc.constantFrom(-4096, USER_TOP + 4096);
    case "code":
      return fc.constantFrom(0, USER_TOP);
    default:
      return null;
  }
}

/**
 * The laws every dispatcher of `table` must keep.
 *
 * @example
 * ```ts
 * // Our dispatcher over the POSIX table, its handlers replaced by counters:
 * runSyscallDispatchLaws(posixSyscalls, () => countingDispatch(posixSyscalls));
 * // A dispatcher of one's own: record in its handlers which ran, with what, returning what.
 * let n = 0;
 * let last: DispatchedCall | null = null;
 * const getpid = (...args: unknown[]) => {
 *   n++;
 *   last = { name: "getpid", args, result: 1 };
 *   return 1;
 * };
 * const mine = new MyDispatcher(table, { getpid, ... });
 * const probe = { dispatch: (nr, a) => mine.dispatch(nr, a), handlerCalls: () => n, lastCall: () => last };
 * for (const law of syscallDispatchLaws(table, () => probe)) law.check();
 * ```
 */
export function syscallDispatchLaws(
  table: SyscallTable,
  make: () => DispatchUnderTest,
  opts: LawOptions = {},
): Law[] {
  // includeErrorInReport: the broken law's own message shows in the failure, not only the counterexample.
  const params = {
    numRuns: opts.numRuns ?? 100,
    includeErrorInReport: true,
    ...(opts.seed === undefined ? {} : { seed: opts.seed }),
  };
  const garbage = fc.oneof(
    fc.integer(),
    fc.double(),
    fc.constantFrom(Number.NaN, Number.POSITIVE_INFINITY, -0, 2 ** 53, USER_TOP),
    fc.string(),
    fc.constant(undefined),
    fc.constant(null),
    fc.bigInt(),
  );
  return [
    {
      name: `${table.name}: garbage system calls return an integer and never throw`,
      check: () =>
        fc.assert(
          fc.property(
            fc.oneof(fc.constantFrom(...table.entries.map((e) => e.decl.nr)), garbage),
            fc.array(garbage, { maxLength: 7 }),
            (nr, args) => {
              const d = make();
              const r = d.dispatch(nr, args);
              if (typeof r !== "number" || !Number.isInteger(r))
                throw new Error(`dispatch returned ${String(r)}`);
            },
          ),
          params,
        ),
    },
    {
      name: `${table.name}: an argument breaking its declared check gets that check's errno, no handler runs`,
      check: () => {
        const cases = table.entries.flatMap((e) =>
          e.decl.args.map((_, i) => ({ e, i })).filter(({ e, i }) => invalidValue(e.decl.args[i]!) !== null),
        );
        if (cases.length === 0) return;
        fc.assert(
          fc.property(
            fc
              .constantFrom(...cases)
              .chain(({ e, i }) =>
                fc.tuple(
                  fc.constant(e),
                  fc.tuple(...e.decl.args.map((s, j) => (j === i ? invalidValue(s)! : validValue(s)))),
                ),
              ),
            ([e, args]) => {
              const expected = checkSyscallArgs(e, args);
              if (expected === 0) return; // another valid draw happened to repair it (e.g. a length of 0)
              const d = make();
              const before = d.handlerCalls();
              const r = d.dispatch(e.decl.nr, args);
              if (r !== expected)
                throw new Error(`${e.name}(${args.join(", ")}) returned ${r}, expected ${expected}`);
              if (d.handlerCalls() !== before)
                throw new Error(`${e.name}(${args.join(", ")}) reached its handler`);
            },
          ),
          params,
        );
      },
    },
    {
      name: `${table.name}: a call with one argument too many or too few gets EINVAL, no handler runs`,
      check: () =>
        fc.assert(
          fc.property(
            fc
              .constantFrom(...table.entries)
              .chain((e) =>
                fc.tuple(fc.constant(e), fc.tuple(...e.decl.args.map(validValue)), fc.boolean(), fc.nat(64)),
              ),
            ([e, valid, more, extra]) => {
              const args: unknown[] = valid.slice();
              if (more || args.length === 0) args.push(extra);
              else args.pop();
              const d = make();
              const before = d.handlerCalls();
              const r = d.dispatch(e.decl.nr, args);
              const call = `${e.name}(${args.join(", ")}) with ${args.length} of ${e.decl.args.length} arguments`;
              if (r !== -Errno.EINVAL) throw new Error(`${call} returned ${r}, expected ${-Errno.EINVAL}`);
              if (d.handlerCalls() !== before) throw new Error(`${call} reached its handler`);
            },
          ),
          params,
        ),
    },
    {
      name: `${table.name}: a call whose arguments pass every check reaches its own handler, once, with those arguments, and returns its result`,
      check: () =>
        fc.assert(
          fc.property(
            fc
              .constantFrom(...table.entries)
              .chain((e) => fc.tuple(fc.constant(e), fc.tuple(...e.decl.args.map(validValue)))),
            ([e, args]) => {
              if (checkSyscallArgs(e, args) !== 0) return; // cannot happen with validValue; be safe
              const d = make();
              const before = d.handlerCalls();
              const r = d.dispatch(e.decl.nr, args);
              const call = `${e.name}(${args.join(", ")})`;
              const ran = d.handlerCalls() - before;
              // A handle is valid or not by the kernel's tables: an unresolved one may stop the call.
              const handles = e.decl.args.some((a) => a.kind === "handle");
              if (handles && ran === 0 && (r === -Errno.EBADF || r === -Errno.EPERM)) return;
              if (ran !== 1) throw new Error(`${call} ran ${ran} handlers, expected exactly 1`);
              const last = d.lastCall?.();
              if (last === undefined) return; // the probe cannot say which handler ran
              if (last === null) throw new Error(`${call}: a handler ran but lastCall() is null`);
              if (last.name !== e.name) throw new Error(`${call} reached the handler of ${last.name}`);
              for (let i = 0; i < args.length; i++) {
                if (e.decl.args[i]!.kind === "handle") continue; // the handler gets the object
                if (!Object.is(last.args[i], args[i]))
                  throw new Error(
                    `${call}: its handler got (${last.args.slice(0, args.length).join(", ")}): argument ${i} differs`,
                  );
              }
              for (let i = args.length; i < last.args.length; i++)
                if (last.args[i] !== undefined)
                  throw new Error(`${call}: its handler got ${last.args.length} arguments`);
              if (r !== last.result)
                throw new Error(`${call} returned ${r}, but its handler returned ${last.result}`);
            },
          ),
          params,
        ),
    },
  ];
}

/** Run {@link syscallDispatchLaws}; throws on the first violation. */
export function runSyscallDispatchLaws(
  table: SyscallTable,
  make: () => DispatchUnderTest,
  opts?: LawOptions,
): void {
  for (const law of syscallDispatchLaws(table, make, opts)) law.check();
}
