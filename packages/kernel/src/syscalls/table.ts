/**
 * A system-call table: the declarations of one kernel personality, checked once and indexed by
 * number.
 *
 * ```
 *   defineSyscallTable("posix", { getpid: {nr: 39, ...}, write: {nr: 1, ...}, ... })
 *        │
 *        ├── makeStubs(table)            user side: sys.write(fd, buf, n) → yield* trap
 *        ├── new SyscallDispatcher(...)  kernel side: nr → checks → handler
 *        └── syscallReference(table)     docs: the markdown reference page
 * ```
 *
 * Invariants (checked by `defineSyscallTable`, which throws `SyscallTableError`): numbers are
 * unique non-negative integers below 1024; at most six arguments (the x86-64 syscall ABI has six
 * argument registers); argument names are unique per call; a pointer's `len`, when it names an
 * argument, names a `size` argument of the same call.
 *
 * Related: `decl.ts` (what a declaration holds).
 */
import { SyscallTableError } from "../errors.js";
import type { ArgSpec, SyscallDecl } from "./decl.js";

/** Largest system-call number a table may use, plus one (keeps the dispatch array dense). */
export const MAX_SYSCALL_NR = 1024;
/** The x86-64 syscall ABI passes at most six arguments (rdi, rsi, rdx, r10, r8, r9). */
export const MAX_SYSCALL_ARGS = 6;

/** A record of declarations keyed by call name. */
export type SyscallDecls = Readonly<Record<string, SyscallDecl<readonly ArgSpec<unknown>[]>>>;

/** One entry of the number-indexed view of a table. */
export interface SyscallEntry {
  readonly name: string;
  readonly decl: SyscallDecl<readonly ArgSpec<unknown>[]>;
  /** For each argument, the index of the argument holding its length (ptr with a named len), else -1. */
  readonly lenIndex: readonly number[];
}

/** A checked, number-indexed system-call table. */
export interface SyscallTable<D extends SyscallDecls = SyscallDecls> {
  /** The personality's name, e.g. `"posix"`; used in the reference page title. */
  readonly name: string;
  /** The declarations, as written. */
  readonly decls: D;
  /** Entries indexed by number (`undefined` where no call has that number). */
  readonly byNr: readonly (SyscallEntry | undefined)[];
  /** Entries sorted by number. */
  readonly entries: readonly SyscallEntry[];
}

/**
 * Check a set of declarations and index them by number.
 *
 * @throws SyscallTableError naming the call and the broken rule (see the banner).
 * @example
 * ```ts
 * const table = defineSyscallTable("tiny", {
 *   getpid: { nr: 39, args: [], result: "pid", doc: "The caller's process id." },
 * });
 * table.byNr[39]?.name; // "getpid"
 * ```
 */
export function defineSyscallTable<D extends SyscallDecls>(name: string, decls: D): SyscallTable<D> {
  const byNr: (SyscallEntry | undefined)[] = [];
  for (const [callName, decl] of Object.entries(decls)) {
    const where = `defineSyscallTable(${name}): ${callName}`;
    if (!Number.isInteger(decl.nr) || decl.nr < 0 || decl.nr >= MAX_SYSCALL_NR) {
      throw new SyscallTableError(`${where}: nr=${decl.nr} is not an integer in 0..${MAX_SYSCALL_NR - 1}`);
    }
    const clash = byNr[decl.nr];
    if (clash) throw new SyscallTableError(`${where}: nr=${decl.nr} is already used by ${clash.name}`);
    if (decl.args.length > MAX_SYSCALL_ARGS) {
      throw new SyscallTableError(`${where}: ${decl.args.length} arguments, the ABI has ${MAX_SYSCALL_ARGS}`);
    }
    const seen = new Set<string>();
    const lenIndex: number[] = [];
    for (const a of decl.args) {
      if (seen.has(a.name)) throw new SyscallTableError(`${where}: argument name ${a.name} repeated`);
      seen.add(a.name);
      let li = -1;
      if (a.kind === "ptr") {
        if (typeof a.len === "string") {
          li = decl.args.findIndex((b) => b.name === a.len);
          if (li < 0 || decl.args[li]?.kind !== "size") {
            throw new SyscallTableError(
              `${where}: pointer ${a.name} takes its length from ${a.len}, which is not a size argument`,
            );
          }
        } else if (!Number.isInteger(a.len) || (a.len ?? -1) < 0) {
          throw new SyscallTableError(`${where}: pointer ${a.name} has length ${a.len}, not a byte count`);
        }
      }
      lenIndex.push(li);
    }
    byNr[decl.nr] = { name: callName, decl, lenIndex };
  }
  const entries = byNr.filter((e): e is SyscallEntry => e !== undefined);
  // Dense array: holes would make every lookup a dictionary-mode access in V8.
  for (let i = 0; i < byNr.length; i++) if (byNr[i] === undefined) byNr[i] = undefined;
  return { name, decls, byNr, entries };
}
