/**
 * The Lunaix-like kernel's system-call personality: POSIX (`@osbricks/kernel`, which also has what
 * `@osbricks/runtime`'s pthreads need: futexes, atomics, `clock_gettime`), the in-memory file
 * system's calls, and `lunadbg`, the kernel inspector the shell's `ps`/`free`/`pte`/…
 * commands ask (in the spirit of LunaDBG's `mm` and `sched` commands, but from the shell).
 *
 * ```
 *   trap {nr, args}
 *     ├── open mkdir rmdir unlink getdents64 ──────────────────▶ fs/syscalls.ts over the Vfs
 *     ├── read write lseek fstat close dup (POSIX) ─────────────▶ the open file's operations:
 *     │                                                            a VfsFile (bytes or a driver), a pipe, …
 *     ├── execve / spawn: the path must be an executable inode ─▶ then POSIX loads the image
 *     ├── lunadbg(cmd, buf, len) ───────────────────────────────▶ inspect.ts
 *     └── everything else ──────────────────────────────────────▶ posixPersonality
 * ```
 *
 * One table declares it all (`lunaixSyscalls`), so the typed user stubs (`lunaixStubs`), the
 * argument checks and the reference come from one place, as for every personality.
 *
 * Related: `fs/syscalls.ts`, `inspect.ts`, `kernel.ts` (where it is chosen).
 */
import {
  arg,
  copyOut,
  defineSyscallTable,
  Errno,
  type Kernel,
  makeStubs,
  type Personality,
  posixPersonality,
  posixSyscalls,
  SyscallDispatcher,
  type SyscallHandlers,
  type Thread,
} from "@osbricks/kernel";
import { fsHandlers, fsSyscallDecls, pathArg } from "./fs/syscalls.js";
import type { Vfs } from "./fs/vfs.js";

/** Number of the `lunadbg` inspector call (Lunaix-specific, above the other tables' numbers). */
export const SYS_LUNADBG = 600;

/** The calls only this kernel has. */
export const lunaixExtraDecls = {
  lunadbg: {
    nr: SYS_LUNADBG,
    args: [
      arg.ptr("cmd", {
        access: "in",
        len: 1,
        doc: "NUL-terminated inspector command, e.g. `pte 3 0x400000`",
      }),
      arg.ptr("buf", { access: "out", len: "len", doc: "where the report goes" }),
      arg.size("len", { doc: "buffer bytes" }),
    ],
    result: "size",
    doc: "Run a kernel inspector (ps, free, buddyinfo, vmrs, pte, sched, handles, forks) and copy its text report into buf, truncated to len; returns the report's full length (as snprintf does), so a caller can retry with a bigger buffer.",
    errors: { EFAULT: "cmd unreadable or buf unwritable" },
  },
} as const;

/** Every call of the Lunaix-like kernel. */
export const lunaixSyscalls = defineSyscallTable("lunaix", {
  ...posixSyscalls.decls,
  ...fsSyscallDecls,
  ...lunaixExtraDecls,
});

/** Typed user stubs of {@link lunaixSyscalls}: `yield* sys.open(path, O_RDONLY, 0)`. */
export const lunaixStubs = makeStubs(lunaixSyscalls);

/** What `lunadbg` runs: an inspector command for the calling thread; returns the report text. */
export type Inspector = (command: string, caller: Thread) => string;

type Decls = typeof lunaixSyscalls.decls;
/** A handler with its arguments as raw numbers (each is cast to its typed slot at the end). */
type Handler = (t: Thread, ...args: number[]) => number;

/**
 * Build the personality over a file system and an inspector.
 *
 * @example
 * ```ts
 * const k = new Kernel({ programs, personality: lunaixPersonality(fs, (cmd) => `no ${cmd}`) });
 * ```
 */
export function lunaixPersonality(fs: Vfs, inspect: Inspector): Personality {
  return (k: Kernel) => {
    const base = posixPersonality(k);
    const vfs = fsHandlers(k, fs);
    const handlers: Record<string, Handler> = {};
    for (const e of posixSyscalls.entries) {
      const nr = e.decl.nr;
      const arity = e.decl.args.length;
      // Arguments already passed our checks against the same declaration; the base dispatcher
      // checks them again (cheap). The dispatcher passes six argument registers.
      handlers[e.name] = ((t: Thread, ...args: number[]) =>
        base.dispatch(t, nr, args.length === arity ? args : args.slice(0, arity))) as Handler;
    }
    const posixExecve = handlers.execve!;
    const posixSpawn = handlers.spawn!;
    // exec and spawn find programs by path: the name must be an executable inode of the tree.
    const checkExec = (t: Thread, path: number): number => {
      const p = pathArg(k, t, path);
      if (typeof p === "number") return p;
      const node = fs.lookup(p);
      if (typeof node === "number") return node;
      if (node.kind === "exec") return 0;
      return node.kind === "file" ? -Errno.ENOEXEC : -Errno.EACCES;
    };
    handlers.execve = ((t: Thread, path: number, argv: number, envp: number) => {
      const bad = checkExec(t, path);
      return bad !== 0 ? bad : posixExecve(t, path, argv, envp);
    }) as Handler;
    handlers.spawn = ((t: Thread, path: number, ...rest: number[]) => {
      const bad = checkExec(t, path);
      return bad !== 0 ? bad : posixSpawn(t, path, ...rest); // argv, envp and the attributes
    }) as Handler;
    Object.assign(handlers, vfs);
    handlers.lunadbg = ((t: Thread, cmd: number, buf: number, len: number) => {
      const c = pathArg(k, t, cmd);
      if (typeof c === "number") return c;
      const report = new TextEncoder().encode(inspect(c, t));
      const n = Math.min(len, report.length);
      if (n > 0 && !copyOut(k, t.process.vm, buf, report.subarray(0, n))) return -Errno.EFAULT;
      return report.length;
    }) as Handler;
    return new SyscallDispatcher(lunaixSyscalls, handlers as unknown as SyscallHandlers<Thread, Decls>);
  };
}
