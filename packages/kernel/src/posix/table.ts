/**
 * The POSIX personality's system-call table: the one declaration from which its user stubs
 * (`posixStubs`), its dispatch (`posix/syscalls.ts`) and its reference page
 * (`docs/syscalls-posix.md`) are derived. It is assembled here from one room per group of calls,
 * each with the constants its calls take (as the handlers are grouped, `*-calls.ts`):
 * `table/files.ts`, `table/memory.ts`, `table/process.ts`, `table/threads.ts`,
 * `table/signals.ts`, `table/jobs.ts` (job control and the terminal), `table/pager.ts`; a call's
 * number, not its place, orders the table.
 *
 * Numbers are Linux x86-64's where Linux has the call (`arch/x86/entry/syscalls/syscall_64.tbl`),
 * so a trace reads like strace. Where we simplify an ABI the doc says so:
 *
 * | call            | simplification                                                                   |
 * | --------------- | -------------------------------------------------------------------------------- |
 * | `waitpid` (61)  | wait4 without the rusage pointer                                                 |
 * | `sigaction`(13) | handler, mask and flags in registers instead of a `struct sigaction` in memory   |
 * | `sigprocmask`   | the new set in a register, the old set returned                                  |
 * | `thread_create` | clone(CLONE_VM\|CLONE_THREAD\|CLONE_PARENT_SETTID\|CLONE_CHILD_CLEARTID) with an entry |
 * | `spawn` (500)   | posix_spawn as a system call, as Lunaix has it (no copy of the parent), with the |
 * |                 | attributes POSIX_SPAWN_SETPGROUP, SETSID and SETSIGDEF in registers              |
 * | `tcsetpgrp`(520)| Linux's ioctl(fd, TIOCSPGRP, &pgid) as a call of its own; `tcgetpgrp` (521) too  |
 * | `tiocsctty`(522)| Linux's ioctl(fd, TIOCSCTTY, steal) as a call of its own; `tiocnotty` (523) too  |
 * | `tcgetattr`(524)| Linux's ioctl(fd, TCGETS, &termios) as a call of its own                          |
 * | `tcsetattr`(525)| Linux's ioctl(fd, TCSETS/TCSETSW/TCSETSF, &termios) as one call with the action  |
 * | `tcgetsid`(526) | Linux's ioctl(fd, TIOCGSID, &sid) as a call of its own                           |
 *
 * Threads follow Linux: `exit` (60) ends the calling thread, `exit_group` (231) the process; a
 * program's `main` returning is `exit_group(status)`, a thread's start routine returning is
 * `exit(value)`.
 *
 * Related: `../syscalls/decl.ts` (argument kinds), `syscalls.ts` (the handlers).
 */
import { makeStubs } from "../syscalls/stubs.js";
import { defineSyscallTable } from "../syscalls/table.js";
import { fileDecls } from "./table/files.js";
import { jobDecls } from "./table/jobs.js";
import { memoryDecls } from "./table/memory.js";
import { pagerDecls } from "./table/pager.js";
import { processDecls } from "./table/process.js";
import { signalDecls } from "./table/signals.js";
import { threadDecls } from "./table/threads.js";

export { FcntlCmd, FD_CLOEXEC, STAT_BYTES, Whence } from "./table/files.js";
export { MapFlags, PROT_NONE, Prot } from "./table/memory.js";
export { PTR_BYTES, SpawnFlags, WaitOptions } from "./table/process.js";
export { SaFlags, SIG_DFL, SIG_IGN, SigHow } from "./table/signals.js";
export { FutexOp } from "./table/threads.js";

/** The POSIX personality's system calls: the groups of `table/`, one per concept. */
export const posixSyscalls = defineSyscallTable("posix", {
  ...fileDecls,
  ...memoryDecls,
  ...processDecls,
  ...threadDecls,
  ...signalDecls,
  ...jobDecls,
  ...pagerDecls,
});

/** Typed user-side stubs of {@link posixSyscalls}: `yield* sys.write(1, buf, n)`. */
export const posixStubs = makeStubs(posixSyscalls);
