/**
 * A small user-side C library over the POSIX stubs: the helpers a program would get from libc
 * (`sbrk`, `execv`, `waitpid` with a status word, strings in memory). Everything here runs in
 * user mode: it only yields traps, so it costs simulated time like any program code.
 *
 * Scratch memory (status words, strings, argv vectors) comes from the heap through `sbrk`, as
 * glibc's `malloc` would provide it; nothing is kept in JavaScript variables between calls, so
 * the helpers are safe under fork's replay (see `../kernel/fork.ts`).
 *
 * Related: `table.ts` (the stubs), `@osbricks/runtime` (pthreads on top of the same stubs).
 */

import type { UserCode } from "../program/trap.js";
import { encodeCString, mem } from "../program/user.js";
import { Errno } from "../syscalls/errno.js";
import { MapFlags, Prot, SpawnFlags, posixStubs as sys } from "./table.js";
import { TERMIOS_BYTES, Termios } from "./termios.js";

/** The spawn attributes {@link libc.spawnv} takes (`posix_spawnattr_t`); every field optional. */
export interface SpawnAttr {
  /** POSIX_SPAWN_SETPGROUP: the group to put the child in, 0 for a new one it leads. Default: the caller's group. */
  readonly pgroup?: number;
  /** POSIX_SPAWN_SETSID: the child leads a new session. Default false. */
  readonly setsid?: boolean;
  /** POSIX_SPAWN_SETSIGDEF: signals (bit n = signal n) whose action the child starts with at SIG_DFL. Default none. */
  readonly sigdefault?: number;
  /** POSIX_SPAWN_TCSETPGROUP: the child's group becomes the foreground of the caller's terminal. Default false. */
  readonly foreground?: boolean;
}

/** What {@link libc.waitpid} returns: the reaped pid (or -errno / 0 with WNOHANG) and the status word. */
export interface WaitResult {
  readonly pid: number;
  readonly status: number;
}

/** Round up to 8 bytes, so words allocated by sbrk stay aligned. */
const align8 = (n: number): number => Math.ceil(n / 8) * 8;

/**
 * User-side helpers. Each returns a negative errno on failure, as the raw calls do.
 * @example
 * ```ts
 * function* main(): UserCode<number> {
 *   const pid = yield* sys.fork();
 *   if (pid === 0) return 7;
 *   const { status } = yield* libc.waitpid(pid);
 *   return WEXITSTATUS(status); // 7
 * }
 * ```
 */
export const libc = {
  /** Grow the heap by `incr` bytes; returns the old break (the new memory's start) or -ENOMEM. */
  *sbrk(incr: number): UserCode<number> {
    const cur = yield* sys.brk(0);
    if (incr === 0) return cur;
    const next = yield* sys.brk(cur + incr);
    return next === cur + incr ? cur : -Errno.ENOMEM;
  },
  /** Copy `s` into fresh heap memory as a C string; returns its address. */
  *cstring(s: string): UserCode<number> {
    const bytes = encodeCString(s);
    const va = yield* libc.sbrk(align8(bytes.length));
    if (va < 0) return va;
    yield* mem.write(va, bytes);
    return va;
  },
  /** Build a NULL-terminated vector of C strings in the heap; returns its address. */
  *vector(strings: readonly string[]): UserCode<number> {
    const ptrs: number[] = [];
    for (const s of strings) {
      const p = yield* libc.cstring(s);
      if (p < 0) return p;
      ptrs.push(p);
    }
    const va = yield* libc.sbrk(8 * (ptrs.length + 1));
    if (va < 0) return va;
    for (let i = 0; i <= ptrs.length; i++) yield* mem.store64(va + 8 * i, BigInt(ptrs[i] ?? 0));
    return va;
  },
  /** execv(path, argv): only returns on failure (-errno). */
  *execv(path: string, argv: readonly string[] = [path]): UserCode<number> {
    const p = yield* libc.cstring(path);
    const v = yield* libc.vector(argv);
    if (p < 0 || v < 0) return -Errno.ENOMEM;
    return yield* sys.execve(p, v, 0);
  },
  /**
   * posix_spawn of `path` with `argv`; returns the child's pid or -errno. `attr` sets the spawn
   * attributes: `pgroup` (POSIX_SPAWN_SETPGROUP: 0 for a group of the child's own), `setsid`
   * (POSIX_SPAWN_SETSID), `sigdefault` (POSIX_SPAWN_SETSIGDEF: a set of signals reset to SIG_DFL).
   */
  *spawnv(path: string, argv: readonly string[] = [path], attr: SpawnAttr = {}): UserCode<number> {
    const p = yield* libc.cstring(path);
    const v = yield* libc.vector(argv);
    if (p < 0 || v < 0) return -Errno.ENOMEM;
    const flags =
      (attr.pgroup !== undefined ? SpawnFlags.POSIX_SPAWN_SETPGROUP : 0) |
      (attr.setsid === true ? SpawnFlags.POSIX_SPAWN_SETSID : 0) |
      (attr.sigdefault !== undefined ? SpawnFlags.POSIX_SPAWN_SETSIGDEF : 0) |
      (attr.foreground === true ? SpawnFlags.POSIX_SPAWN_TCSETPGROUP : 0);
    return yield* sys.spawn(p, v, 0, flags, attr.pgroup ?? 0, attr.sigdefault ?? 0);
  },
  /** waitpid with the status word read back from memory. */
  *waitpid(pid: number, options = 0): UserCode<WaitResult> {
    const st = yield* libc.sbrk(8);
    if (st < 0) return { pid: st, status: 0 };
    const r = yield* sys.waitpid(pid, st, options);
    const status = r > 0 ? yield* mem.load32(st) : 0;
    return { pid: r, status };
  },
  /** pipe(): the two descriptors, or -errno in both. */
  *pipe(): UserCode<readonly [number, number]> {
    const fds = yield* libc.sbrk(8);
    if (fds < 0) return [fds, fds];
    const r = yield* sys.pipe(fds);
    if (r < 0) return [r, r];
    return [yield* mem.load32(fds), yield* mem.load32(fds + 4)];
  },
  /** tcgetattr(fd): the terminal's modes, or -errno. */
  *tcgetattr(fd: number): UserCode<Termios | number> {
    const va = yield* libc.sbrk(align8(TERMIOS_BYTES));
    if (va < 0) return va;
    const r = yield* sys.tcgetattr(fd, va);
    if (r < 0) return r;
    return Termios.decode(yield* mem.read(va, TERMIOS_BYTES));
  },
  /** tcsetattr(fd, action, modes): 0 or -errno (a {@link TcsaAction} for `action`). */
  *tcsetattr(fd: number, action: number, modes: Termios): UserCode<number> {
    const va = yield* libc.sbrk(align8(TERMIOS_BYTES));
    if (va < 0) return va;
    yield* mem.write(va, modes.encode());
    return yield* sys.tcsetattr(fd, action, va);
  },
  /** Write a string (UTF-8) or bytes to `fd`; returns the count written or -errno. */
  *write(fd: number, data: string | Uint8Array): UserCode<number> {
    const bytes = typeof data === "string" ? new TextEncoder().encode(data) : data;
    const va = yield* libc.sbrk(align8(Math.max(1, bytes.length)));
    if (va < 0) return va;
    yield* mem.write(va, bytes);
    return yield* sys.write(fd, va, bytes.length);
  },
  /** Read up to `n` bytes from `fd`; the bytes, or -errno. */
  *read(fd: number, n: number): UserCode<Uint8Array | number> {
    const va = yield* libc.sbrk(align8(Math.max(1, n)));
    if (va < 0) return va;
    const r = yield* sys.read(fd, va, n);
    if (r < 0) return r;
    return yield* mem.read(va, r);
  },
  /** Anonymous private (or shared) memory, read-write by default; the address or -errno. */
  *mmapAnon(
    length: number,
    opts: { shared?: boolean; prot?: number; at?: number; fixed?: boolean } = {},
  ): UserCode<number> {
    const flags =
      MapFlags.MAP_ANONYMOUS |
      (opts.shared ? MapFlags.MAP_SHARED : MapFlags.MAP_PRIVATE) |
      (opts.fixed ? MapFlags.MAP_FIXED : 0);
    return yield* sys.mmap(opts.at ?? 0, length, opts.prot ?? Prot.PROT_READ | Prot.PROT_WRITE, flags, -1, 0);
  },
};
