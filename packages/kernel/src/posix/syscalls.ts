/**
 * The POSIX personality: one handler per call of `posixSyscalls`, over the kernel core. This
 * file is the table of contents; the handlers live in one room per group of calls:
 *
 * | room                | calls                                                                 |
 * | ------------------- | --------------------------------------------------------------------- |
 * | `file-calls.ts`     | read, write, fstat, lseek, close, pipe, dup, dup2, fcntl              |
 * | `memory-calls.ts`   | mmap, mprotect, munmap, brk                                           |
 * | `process-calls.ts`  | fork, clone, execve, spawn, exit, exit_group, waitpid, getpid, getppid |
 * | `thread-calls.ts`   | thread_create, gettid, sched_yield, futex, clock_gettime, nanosleep   |
 * | `signal-calls.ts`   | sigaction, sigprocmask, kill                                          |
 * | `job-calls.ts`      | setpgid, getpgrp, setsid, getpgid, getsid, and the terminal calls     |
 * | `pager-calls.ts`    | pager_attach, pager_recv, pager_map, pager_reply                      |
 *
 * Every handler receives arguments that already passed the table's checks (see the generated
 * `docs/syscalls-posix.md`), validates what needs kernel state, and returns a result or `-errno`.
 * None throws for any input a program can produce. A call that must wait parks the thread
 * (`kernel.block`) and is either restarted when woken (pipe read/write, waitpid: the condition is
 * re-checked, as xv6's `sleep` loops do; `wait-list.ts`) or resumed with a result (futex).
 *
 * Related: `table.ts` (declarations), `files.ts`, `generate.ts`, `../kernel/lifecycle.ts`.
 */

import type { Kernel } from "../kernel/kernel.js";
import type { Thread } from "../process/thread.js";
import { SyscallDispatcher, type SyscallHandlers } from "../syscalls/dispatch.js";
import { kernelHandleResolver } from "../syscalls/handles.js";
import { fileCalls } from "./file-calls.js";
import { jobCalls } from "./job-calls.js";
import { memoryCalls } from "./memory-calls.js";
import { pagerCalls } from "./pager-calls.js";
import { processCalls } from "./process-calls.js";
import { signalCalls } from "./signal-calls.js";
import { posixSyscalls } from "./table.js";
import { threadCalls } from "./thread-calls.js";

export { encodeStat } from "./file-calls.js";
export { MMAP_BASE } from "./memory-calls.js";

/**
 * The POSIX personality: `new Kernel({ personality: posixPersonality, ... })` (the default).
 * @example
 * ```ts
 * const k = new Kernel({ programs, personality: posixPersonality });
 * ```
 */
export function posixPersonality(k: Kernel): SyscallDispatcher<Thread, typeof posixSyscalls.decls> {
  const handlers: SyscallHandlers<Thread, typeof posixSyscalls.decls> = {
    ...fileCalls(k),
    ...memoryCalls(),
    ...processCalls(k),
    ...threadCalls(k),
    ...signalCalls(k),
    ...jobCalls(k),
    ...pagerCalls(k),
  };
  return new SyscallDispatcher(posixSyscalls, handlers, { resolveHandle: kernelHandleResolver(k) });
}
