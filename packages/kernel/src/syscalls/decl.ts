/**
 * System calls as data: the one declaration a kernel writes for each call.
 *
 * jsix generates its syscall stubs, its kernel dispatch and its documentation from `.def` files;
 * we do the same from a TypeScript value. A declaration names the call, gives its number, and
 * describes every argument by kind:
 *
 * | kind     | register holds                 | checked by the dispatcher (before the handler runs)       |
 * | -------- | ------------------------------ | --------------------------------------------------------- |
 * | `int`    | a signed integer               | integer in [min, max] (default int32), else EINVAL        |
 * | `size`   | a byte count                   | integer in [0, SIZE_MAX_ARG], else EINVAL                 |
 * | `fd`     | a file descriptor              | integer in [0, 2^31), else EBADF (open-ness: the handler) |
 * | `pid`    | a process id                   | int32, else EINVAL (meaning of <= 0: the handler)         |
 * | `signal` | a signal number                | integer in [0, NSIG), else EINVAL                         |
 * | `flags`  | a bit set                      | no bit outside `mask`, else EINVAL                        |
 * | `ptr`    | a user pointer to `len` bytes  | [p, p+len) inside user space (or NULL when nullable), else EFAULT |
 * | `addr`   | a user virtual address (no deref) | inside user space; page-aligned when `aligned`, else EINVAL |
 * | `code`   | a user code address            | integer inside user space, else EFAULT                    |
 * | `handle` | a handle to a kernel object    | resolved by the kernel's resolver: type and rights, else EBADF/EPERM |
 *
 * A pointer that passes these checks can still point at unmapped memory: that is found when the
 * kernel copies through it (`copyIn`/`copyOut`), and also yields EFAULT, as Linux's
 * `copy_from_user` does.
 *
 * Related: `table.ts` (building a table), `stubs.ts`, `dispatch.ts`, `reference.ts` (what is
 * derived from it), `../posix/table.ts` (the POSIX personality's declaration).
 */
import type { ErrnoName } from "./errno.js";

/** Top of user space: x86-64 canonical lower half, addresses 0 .. 2^47 - 1 (Intel SDM 3.3.7.1). */
export const USER_TOP = 2 ** 47;
/** Largest byte count a `size` argument may carry (Linux caps reads and writes near 2^31 too). */
export const SIZE_MAX_ARG = 2 ** 31 - 1;
/** Signal numbers run 1..NSIG-1 (0 is the "does it exist" probe of kill). */
export const NSIG = 32;

/** Every argument kind (see the table in this file's banner). */
export type ArgKind = "int" | "size" | "fd" | "pid" | "signal" | "flags" | "ptr" | "addr" | "code" | "handle";

/** How a call uses the memory a pointer argument designates. */
export type PtrAccess = "in" | "out" | "inout";

/** The description of one argument. Built with the `arg` helpers below, never by hand. */
export interface ArgSpec<T = number> {
  /** Argument name, as it appears in stubs and the reference page. */
  readonly name: string;
  readonly kind: ArgKind;
  /** One-line meaning for the reference page. */
  readonly doc: string;
  /** `int`: smallest accepted value (default -2^31). */
  readonly min?: number;
  /** `int`: largest accepted value (default 2^31 - 1). */
  readonly max?: number;
  /** `flags`: the bits a caller may set. */
  readonly mask?: number;
  /** `flags`: names of the bits, for the reference page. */
  readonly flagNames?: Readonly<Record<string, number>>;
  /** `ptr`: whether the kernel reads, writes or both. */
  readonly access?: PtrAccess;
  /** `ptr`: the byte length: a constant, or the name of a `size` argument of the same call. */
  readonly len?: number | string;
  /** `ptr`: whether NULL (0) is accepted and means "none". */
  readonly nullable?: boolean;
  /** `addr`: whether the address must be 4 KiB aligned. */
  readonly aligned?: boolean;
  /**
   * `addr`: any integer is accepted, user space or not (mmap's placement hint: POSIX lets the
   * call ignore a hint it cannot use, and a MAP_FIXED range outside user space is its ENOMEM).
   */
  readonly hint?: boolean;
  /** `handle`: the object type required (the resolver's vocabulary, e.g. `"process"`). */
  readonly objectType?: string;
  /** `handle`: the rights the handle must carry (a bit set of the handle table's rights). */
  readonly rights?: number;
  /** Phantom: the type the handler receives for this argument (handles resolve to objects). */
  readonly __value?: T;
}

/** What a call returns on success, for the reference page and the stubs' documentation. */
export type ResultKind = "zero" | "int" | "size" | "fd" | "pid" | "addr" | "noreturn" | "handle";

/**
 * One system call. `A` is the tuple of its argument specs, which types both the user stub
 * (numbers in) and the kernel handler (checked values in).
 */
export interface SyscallDecl<A extends readonly ArgSpec<unknown>[] = readonly ArgSpec<unknown>[]> {
  /** The number in rax. Unique within a table. */
  readonly nr: number;
  readonly args: A;
  readonly result: ResultKind;
  /** The errors the call may return besides those of its argument checks, with their meaning. */
  readonly errors?: Readonly<Partial<Record<ErrnoName, string>>>;
  /** What the call does, a paragraph for the reference page. */
  readonly doc: string;
  /** Whether the call may block the calling thread (shown in the reference). */
  readonly blocks?: boolean;
}

/** What a user stub takes for each argument: always the raw register value. */
export type StubArgs<A extends readonly ArgSpec<unknown>[]> = { -readonly [I in keyof A]: number };

/** What a kernel handler receives for each argument: numbers, or resolved objects for handles. */
export type HandlerArgs<A extends readonly ArgSpec<unknown>[]> = {
  -readonly [I in keyof A]: A[I] extends ArgSpec<infer T> ? T : never;
};

/** Options every argument builder takes. */
export interface ArgOptions {
  /** One-line meaning for the reference page. Default: empty. */
  readonly doc?: string;
}

/**
 * Builders for argument specs, so a declaration reads like a C prototype.
 * @example
 * ```ts
 * const write = {
 *   nr: 1,
 *   args: [arg.fd("fd"), arg.ptr("buf", { access: "in", len: "count" }), arg.size("count")],
 *   result: "size",
 *   doc: "Write up to count bytes from buf to fd.",
 * } as const satisfies SyscallDecl;
 * ```
 */
export const arg = {
  /** A signed integer in [min, max] (default int32). */
  int: (name: string, o: ArgOptions & { min?: number; max?: number } = {}): ArgSpec<number> => ({
    name,
    kind: "int",
    doc: o.doc ?? "",
    min: o.min ?? -(2 ** 31),
    max: o.max ?? 2 ** 31 - 1,
  }),
  /** A byte count in [0, SIZE_MAX_ARG]. */
  size: (name: string, o: ArgOptions = {}): ArgSpec<number> => ({ name, kind: "size", doc: o.doc ?? "" }),
  /** A file descriptor number. */
  fd: (name: string, o: ArgOptions = {}): ArgSpec<number> => ({ name, kind: "fd", doc: o.doc ?? "" }),
  /** A process id (any int32; negative and zero values have call-specific meanings). */
  pid: (name: string, o: ArgOptions = {}): ArgSpec<number> => ({ name, kind: "pid", doc: o.doc ?? "" }),
  /** A signal number in [0, NSIG). */
  signal: (name: string, o: ArgOptions = {}): ArgSpec<number> => ({ name, kind: "signal", doc: o.doc ?? "" }),
  /** A bit set restricted to the named bits. */
  flags: (name: string, bits: Readonly<Record<string, number>>, o: ArgOptions = {}): ArgSpec<number> => ({
    name,
    kind: "flags",
    doc: o.doc ?? "",
    flagNames: bits,
    mask: Object.values(bits).reduce((m, b) => m | b, 0),
  }),
  /** A pointer to `len` bytes of user memory that the kernel reads (`in`), writes (`out`) or both. */
  ptr: (
    name: string,
    o: ArgOptions & { access: PtrAccess; len: number | string; nullable?: boolean },
  ): ArgSpec<number> => ({
    name,
    kind: "ptr",
    doc: o.doc ?? "",
    access: o.access,
    len: o.len,
    nullable: o.nullable ?? false,
  }),
  /** A user virtual address that is not dereferenced (mmap's hint, brk's break). */
  addr: (name: string, o: ArgOptions & { aligned?: boolean; hint?: boolean } = {}): ArgSpec<number> => ({
    name,
    kind: "addr",
    doc: o.doc ?? "",
    aligned: o.aligned ?? false,
    hint: o.hint ?? false,
  }),
  /** The address of user code (a signal handler, a thread's start routine). */
  code: (name: string, o: ArgOptions = {}): ArgSpec<number> => ({ name, kind: "code", doc: o.doc ?? "" }),
  /** A handle to a kernel object of `type` carrying `rights`; the handler receives the object. */
  handle: <T>(name: string, o: ArgOptions & { type: string; rights: number }): ArgSpec<T> => ({
    name,
    kind: "handle",
    doc: o.doc ?? "",
    objectType: o.type,
    rights: o.rights,
  }),
};
