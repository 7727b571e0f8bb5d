/**
 * Kernel-side system-call dispatch, derived from a table: number → argument checks → handler.
 *
 * ```
 *   syscall trap {nr, args}
 *      │ byNr[nr]                  unknown number            → -ENOSYS
 *      │ args.length == declared   wrong count               → -EINVAL
 *      │ scalar checks (int, size, fd, pid, signal, flags, addr, code)   → -EINVAL / -EBADF / -EFAULT
 *      │ pointer ranges [p, p+len) inside user space (len may be another argument) → -EFAULT
 *      │ handles resolved to objects, type and rights checked           → -EBADF / -EPERM
 *      ▼
 *   handler(ctx, ...checked args) → result >= 0, -errno, SYSCALL_BLOCKED or SYSCALL_NORETURN
 * ```
 *
 * The checks are everything that can be decided from the registers alone. What needs kernel
 * state (is this fd open, is this page mapped) is the handler's job, and it answers with an errno
 * too: no input a program can produce makes the dispatcher or a correct handler throw.
 *
 * Two results never reach user code, like Linux's internal ERESTARTSYS (512): `SYSCALL_BLOCKED`
 * (the handler parked the thread; it is resumed later with a result or re-dispatched) and
 * `SYSCALL_NORETURN` (the calling continuation is gone: exit, exec, a fatal signal).
 *
 * Related: `table.ts`, `decl.ts`, `../kernel/kernel.ts` (the caller, `Kernel.execute`).
 */
import type { ArgSpec, HandlerArgs } from "./decl.js";
import { NSIG, SIZE_MAX_ARG, USER_TOP } from "./decl.js";
import { Errno } from "./errno.js";
import type { SyscallDecls, SyscallEntry, SyscallTable } from "./table.js";

/** A handler's result meaning "the thread is parked; do not resume it now". Never seen by user code. */
export const SYSCALL_BLOCKED = -0x10000;
/** A handler's result meaning "the calling continuation no longer exists" (exit, exec, killed). */
export const SYSCALL_NORETURN = -0x10001;

/** A kernel-side implementation of one call: checked arguments in, raw result out. */
export type SyscallHandler<C, A extends readonly ArgSpec<unknown>[]> = (
  ctx: C,
  ...args: HandlerArgs<A>
) => number;

/** One handler per call of a table. */
export type SyscallHandlers<C, D extends SyscallDecls> = {
  readonly [K in keyof D]: SyscallHandler<C, D[K]["args"]>;
};

/** Outcome of resolving a handle argument: the object, or the errno to return. */
export type HandleResolution = { readonly object: unknown } | { readonly errno: number };

/**
 * Turns a handle number into a kernel object, checking its type and rights against the
 * argument's declaration (`spec.objectType`, `spec.rights`). Supplied by the kernel, which owns
 * the handle tables.
 */
export type HandleResolver<C> = (ctx: C, handle: number, spec: ArgSpec<unknown>) => HandleResolution;

/** Options of {@link SyscallDispatcher}. */
export interface SyscallDispatcherOptions<C> {
  /** Resolves `handle` arguments. Default: none, and any call with a handle argument returns -EBADF. */
  readonly resolveHandle?: HandleResolver<C>;
}

type RawHandler<C> = (
  ctx: C,
  a0: unknown,
  a1: unknown,
  a2: unknown,
  a3: unknown,
  a4: unknown,
  a5: unknown,
) => number;

const isInt = Number.isInteger;

/**
 * Check every scalar and pointer argument of a call against its declaration.
 *
 * @returns 0 when all pass, else the negative errno of the first failing argument.
 */
export function checkSyscallArgs(entry: SyscallEntry, args: readonly unknown[]): number {
  const specs = entry.decl.args;
  if (args.length !== specs.length) return -Errno.EINVAL;
  for (let i = 0; i < specs.length; i++) {
    const s = specs[i]!;
    const v = args[i];
    if (typeof v !== "number" || !isInt(v))
      return s.kind === "fd" || s.kind === "handle" ? -Errno.EBADF : -Errno.EINVAL;
    switch (s.kind) {
      case "int":
        if (v < (s.min ?? -(2 ** 31)) || v > (s.max ?? 2 ** 31 - 1)) return -Errno.EINVAL;
        break;
      case "size":
        if (v < 0 || v > SIZE_MAX_ARG) return -Errno.EINVAL;
        break;
      case "fd":
      case "handle":
        if (v < 0 || v > 2 ** 31 - 1) return -Errno.EBADF;
        break;
      case "pid":
        if (v < -(2 ** 31) || v > 2 ** 31 - 1) return -Errno.EINVAL;
        break;
      case "signal":
        if (v < 0 || v >= NSIG) return -Errno.EINVAL;
        break;
      case "flags":
        if (v < 0 || v > 0xffffffff || (v & ~(s.mask ?? 0)) >>> 0 !== 0) return -Errno.EINVAL;
        break;
      case "addr":
        if ((v < 0 || v > USER_TOP) && s.hint !== true) return -Errno.EINVAL;
        if (s.aligned && v % 4096 !== 0) return -Errno.EINVAL;
        break;
      case "code":
        if (v <= 0 || v >= USER_TOP) return -Errno.EFAULT;
        break;
      case "ptr":
        break; // after all sizes are known to be valid
    }
  }
  for (let i = 0; i < specs.length; i++) {
    const s = specs[i]!;
    if (s.kind !== "ptr") continue;
    const p = args[i] as number;
    if (p === 0 && s.nullable) continue;
    const li = entry.lenIndex[i]!;
    const len = li >= 0 ? (args[li] as number) : (s.len as number);
    if (p <= 0 || p + len > USER_TOP) return -Errno.EFAULT;
  }
  return 0;
}

/**
 * The kernel side of a system-call table: checks a trap's arguments and calls the handler.
 *
 * @example
 * ```ts
 * const d = new SyscallDispatcher(table, { getpid: (t: MyThread) => t.pid });
 * d.dispatch(thread, 39, []);     // the pid
 * d.dispatch(thread, 999, []);    // -Errno.ENOSYS
 * ```
 */
export class SyscallDispatcher<C, D extends SyscallDecls = SyscallDecls> {
  readonly table: SyscallTable<D>;
  private readonly handlers: (RawHandler<C> | undefined)[] = [];
  private readonly hasHandle: boolean[] = [];
  private readonly resolveHandle: HandleResolver<C> | undefined;

  /**
   * @param table the declarations.
   * @param handlers one handler per declared call (the type requires all of them).
   */
  constructor(
    table: SyscallTable<D>,
    handlers: SyscallHandlers<C, D>,
    options: SyscallDispatcherOptions<C> = {},
  ) {
    this.table = table;
    this.resolveHandle = options.resolveHandle;
    for (let nr = 0; nr < table.byNr.length; nr++) {
      const e = table.byNr[nr];
      this.handlers.push(e ? (handlers[e.name as keyof D] as unknown as RawHandler<C>) : undefined);
      this.hasHandle.push(e ? e.decl.args.some((a) => a.kind === "handle") : false);
    }
  }

  /** The name of call `nr`, or `null` (for traces). */
  nameOf(nr: number): string | null {
    return this.table.byNr[nr]?.name ?? null;
  }

  /**
   * Run call `nr` with raw register values `args` on behalf of `ctx`.
   *
   * @returns the handler's result, or the negative errno of a failed check (ENOSYS for an
   *   unknown number). Never throws on any `nr`/`args`; a throwing handler is a kernel bug and
   *   its exception propagates.
   */
  dispatch(ctx: C, nr: unknown, args: readonly unknown[]): number {
    if (typeof nr !== "number" || !isInt(nr) || nr < 0 || nr >= this.handlers.length) return -Errno.ENOSYS;
    const h = this.handlers[nr];
    if (h === undefined) return -Errno.ENOSYS;
    const entry = this.table.byNr[nr]!;
    const n = args.length;
    if (n !== 0 || entry.decl.args.length !== 0) {
      const bad = checkSyscallArgs(entry, args);
      if (bad !== 0) return bad;
      if (this.hasHandle[nr]) {
        const resolved = this.resolveHandles(ctx, entry, args);
        if (typeof resolved === "number") return resolved;
        args = resolved;
      }
    }
    // Call with exactly the declared arity: reading past the end of a short array is a slow path.
    switch (n) {
      case 0:
        return (h as (c: C) => number)(ctx);
      case 1:
        return (h as (c: C, a: unknown) => number)(ctx, args[0]);
      case 2:
        return (h as (c: C, a: unknown, b: unknown) => number)(ctx, args[0], args[1]);
      case 3:
        return (h as (c: C, a: unknown, b: unknown, d: unknown) => number)(ctx, args[0], args[1], args[2]);
      default:
        return h(ctx, args[0], args[1], args[2], args[3], args[4], args[5]);
    }
  }

  private resolveHandles(ctx: C, entry: SyscallEntry, args: readonly unknown[]): unknown[] | number {
    const out = args.slice();
    const specs = entry.decl.args;
    for (let i = 0; i < specs.length; i++) {
      const s = specs[i]!;
      if (s.kind !== "handle") continue;
      if (!this.resolveHandle) return -Errno.EBADF;
      const r = this.resolveHandle(ctx, args[i] as number, s);
      if ("errno" in r) return r.errno;
      out[i] = r.object;
    }
    return out;
  }
}
