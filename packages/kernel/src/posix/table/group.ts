/**
 * What the groups of the POSIX table share: {@link syscallGroup}, which types a group of
 * declarations as `defineSyscallTable` types a whole table (each call's argument tuple kept), and
 * the range of a 64-bit integer argument as a JavaScript number holds it exactly.
 */
import type { SyscallDecls } from "../../syscalls/table.js";

/** A signed 64-bit argument's range, kept to the integers a double holds exactly (±(2^53 − 1)). */
export const i64 = { min: -(2 ** 53) + 1, max: 2 ** 53 - 1 };

/**
 * A group of declarations, typed as `defineSyscallTable` types its `decls` (the identity: it only
 * gives the literal the same inference), so that spreading the groups into one table keeps every
 * call's argument types.
 */
export function syscallGroup<D extends SyscallDecls>(decls: D): D {
  return decls;
}
