/**
 * The POSIX personality's system-call table: the one declaration from which its user stubs
 * (`posixStubs`), its dispatch (`posix/syscalls.ts`) and its reference page
 * (`docs/syscalls-posix.md`) are derived.
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
import { arg } from "../syscalls/decl.js";
import { makeStubs } from "../syscalls/stubs.js";
import { defineSyscallTable } from "../syscalls/table.js";
import { TERMIOS_BYTES } from "./termios.js";

/** mmap/mprotect protection bits (`<sys/mman.h>`). PROT_NONE is 0. */
export const Prot = { PROT_READ: 1, PROT_WRITE: 2, PROT_EXEC: 4 } as const;
/** PROT_NONE: no access (a guard page). */
export const PROT_NONE = 0;
/** mmap flags (`<sys/mman.h>`, Linux values). */
export const MapFlags = {
  MAP_SHARED: 0x01,
  MAP_PRIVATE: 0x02,
  MAP_FIXED: 0x10,
  MAP_ANONYMOUS: 0x20,
} as const;
/** waitpid options (`<sys/wait.h>`). */
export const WaitOptions = { WNOHANG: 1, WUNTRACED: 2, WCONTINUED: 8 } as const;
/** sigprocmask `how` values (`<signal.h>`, Linux values). */
export const SigHow = { SIG_BLOCK: 0, SIG_UNBLOCK: 1, SIG_SETMASK: 2 } as const;
/** futex operations (Linux `FUTEX_WAIT`, `FUTEX_WAKE`). */
export const FutexOp = { FUTEX_WAIT: 0, FUTEX_WAKE: 1 } as const;
/** The "default action" and "ignore" handler values of sigaction. */
export const SIG_DFL = 0;
/** Ignore the signal. */
export const SIG_IGN = 1;
/** sigaction flags: SA_RESTART (restart a system call interrupted by the handler), SA_NODEFER. */
export const SaFlags = { SA_NODEFER: 0x4000_0000, SA_RESTART: 0x1000_0000 } as const;
/**
 * posix_spawn attribute flags (`<spawn.h>`; glibc's values but for TCSETPGROUP). TCSETPGROUP is
 * glibc 2.35's `posix_spawnattr_tcsetpgrp_np`: the child makes its group the foreground of a
 * terminal before its program runs, so a job a shell starts in the foreground cannot read the
 * terminal before it is the foreground (and take SIGTTIN). glibc names the terminal by a
 * descriptor; ours is always the caller's controlling terminal (spawn has no register left).
 */
export const SpawnFlags = {
  POSIX_SPAWN_SETPGROUP: 0x02,
  POSIX_SPAWN_SETSIGDEF: 0x04,
  POSIX_SPAWN_SETSID: 0x80,
  POSIX_SPAWN_TCSETPGROUP: 0x100,
} as const;
/**
 * `fcntl` commands (`<fcntl.h>`, Linux values): duplicating a descriptor at or above a number
 * (F_DUPFD, and F_DUPFD_CLOEXEC = F_LINUX_SPECIFIC_BASE 1024 + 6, which POSIX 2008 adopted), the
 * descriptor's flags (FD_CLOEXEC) and the open file description's status flags (`StatusFlags`:
 * O_APPEND, O_NONBLOCK). The locks are not provided.
 */
export const FcntlCmd = {
  F_DUPFD: 0,
  F_GETFD: 1,
  F_SETFD: 2,
  F_GETFL: 3,
  F_SETFL: 4,
  F_DUPFD_CLOEXEC: 1030,
} as const;
/** The one descriptor flag (`<fcntl.h>`): close the descriptor at exec. */
export const FD_CLOEXEC = 1;
/** `lseek` whence values (`<unistd.h>`). */
export const Whence = { SEEK_SET: 0, SEEK_CUR: 1, SEEK_END: 2 } as const;
/** Bytes of Linux x86-64's `struct stat` (what `fstat` writes; layout in `syscalls.ts`). */
export const STAT_BYTES = 144;
/** Bytes of one pointer in an argv/envp vector. */
export const PTR_BYTES = 8;

const i64 = { min: -(2 ** 53) + 1, max: 2 ** 53 - 1 };

/** The POSIX personality's system calls. */
export const posixSyscalls = defineSyscallTable("posix", {
  read: {
    nr: 0,
    args: [
      arg.fd("fd", { doc: "descriptor open for reading" }),
      arg.ptr("buf", { access: "out", len: "count", doc: "where the bytes go" }),
      arg.size("count", { doc: "most bytes to read" }),
    ],
    result: "size",
    blocks: true,
    doc: "Read up to `count` bytes through the open file's read operation. A pipe with no data blocks until a writer writes or the last writer closes (then 0, end of file). A file may also give a waiting read a deadline (FileOperations.readDeadline: a terminal's VTIME), when it runs again though nothing woke it, and may hand a waiting read its bytes as they come (FileOperations.takeWhileWaiting: a terminal's MIN, as Linux's n_tty_read): a signal then ends the read with the count so far. The console has no input and returns 0. A read of the caller's controlling terminal from a background process group sends SIGTTIN to the group and runs again after it (POSIX 11.1.4): the group stops, and reads once it is continued in the foreground.",
    errors: {
      EBADF: "fd not open for reading",
      EFAULT:
        "buf not writable (checked first: nothing is consumed; a buffer writable only in part gets a short read)",
      EINTR: "a handler ran before any data came",
      EAGAIN:
        "no data (none taken either), and the file has nowhere to wait (no read wait list) or is O_NONBLOCK",
      EIO: "a background read of the controlling terminal while SIGTTIN is blocked or ignored, or from an orphaned group",
    },
  },
  write: {
    nr: 1,
    args: [
      arg.fd("fd", { doc: "descriptor open for writing" }),
      arg.ptr("buf", { access: "in", len: "count", doc: "the bytes" }),
      arg.size("count", { doc: "bytes to write" }),
    ],
    result: "size",
    blocks: true,
    doc: "Write `count` bytes. A pipe write blocks until every byte is in (writes of at most PIPE_BUF = 4096 bytes are atomic: never interleaved with other writers); a signal ends it early with the count written so far, or EINTR if none. A pipe with no reader raises SIGPIPE and returns EPIPE (or the count already written). A terminal whose output is stopped (^S under IXON) takes what fits in its transmit buffer and the write waits for the rest until output restarts, as n_tty_write. With the terminal's TOSTOP mode set, a write of the caller's controlling terminal from a background process group sends SIGTTOU to the group and runs again after it (POSIX 11.1.4), unless the caller blocks or ignores SIGTTOU (then it writes).",
    errors: {
      EBADF: "fd not open for writing",
      EFAULT: "buf not readable",
      EIO: "TOSTOP is set and the caller's background group is orphaned (nobody would continue it)",
      EPIPE: "no reader left",
      EINTR: "a handler ran before any byte was written",
      EAGAIN: "no room, and the file has nowhere to wait (no write wait list) or is O_NONBLOCK",
    },
  },
  close: {
    nr: 3,
    args: [arg.fd("fd", { doc: "descriptor to close" })],
    result: "zero",
    doc: "Release a descriptor; the open file behind it is released (a pipe end closes, a file system lets go of its inode) when its last descriptor goes, by close, exit or exec of an FD_CLOEXEC descriptor.",
    errors: { EBADF: "fd not open" },
  },
  fstat: {
    nr: 5,
    args: [
      arg.fd("fd", { doc: "an open descriptor" }),
      arg.ptr("statbuf", { access: "out", len: STAT_BYTES, doc: "a Linux x86-64 struct stat (144 bytes)" }),
    ],
    result: "zero",
    doc: "Describe the open file: st_ino, st_nlink, st_mode (file type and permission bits), st_size, st_blksize and st_blocks of Linux's struct stat; the other fields are 0. What the file's own stat operation reports.",
    errors: { EBADF: "fd not open", EFAULT: "statbuf not writable" },
  },
  lseek: {
    nr: 8,
    args: [
      arg.fd("fd", { doc: "an open, seekable file" }),
      arg.int("offset", { ...i64, doc: "bytes (for a directory: entries)" }),
      arg.int("whence", { min: 0, max: 2, doc: "SEEK_SET, SEEK_CUR or SEEK_END" }),
    ],
    result: "int",
    doc: "Move the position of the open file description (shared by dup and fork); returns the new position. Pipes and the console are not seekable.",
    errors: {
      EBADF: "fd not open",
      ESPIPE: "fd is a pipe, the console or another unseekable file",
      EINVAL: "the position would be negative",
    },
  },
  mmap: {
    nr: 9,
    args: [
      arg.addr("addr", {
        hint: true,
        doc: "placement hint (any address, rounded up to a page), or with MAP_FIXED the exact, page-aligned address",
      }),
      arg.size("length", { doc: "bytes, rounded up to pages" }),
      arg.flags("prot", Prot, { doc: "PROT_ bits; 0 is PROT_NONE" }),
      arg.flags("flags", MapFlags, {
        doc: "exactly one of MAP_SHARED/MAP_PRIVATE, plus MAP_ANONYMOUS, MAP_FIXED",
      }),
      arg.int("fd", { min: -1, max: -1, doc: "must be -1: only anonymous memory" }),
      arg.size("offset", { doc: "must be 0" }),
    ],
    result: "addr",
    doc: "Map anonymous memory. MAP_PRIVATE pages are copied on write across fork; MAP_SHARED pages stay shared with children. MAP_FIXED replaces whatever was mapped there. Without MAP_FIXED the range starts at the hint if it is free there, else at the first free range above the hint, else at the lowest free range (Lunaix's hinted placement); with no hint (0, or outside user space) the search starts at MMAP_BASE (64 GiB).",
    errors: {
      EINVAL:
        "length 0, offset not 0, not MAP_ANONYMOUS, neither or both of SHARED/PRIVATE, MAP_FIXED with an address that is not page-aligned",
      ENOMEM: "no room for the range; MAP_FIXED with a range outside user space (page 0 included)",
    },
  },
  mprotect: {
    nr: 10,
    args: [
      arg.addr("addr", { aligned: true, doc: "first page" }),
      arg.size("length", { doc: "bytes, rounded up to pages" }),
      arg.flags("prot", Prot, { doc: "new protection" }),
    ],
    result: "zero",
    doc: "Change the protection of every page in the range; mappings are split at its edges.",
    errors: { ENOMEM: "part of the range is not mapped" },
  },
  munmap: {
    nr: 11,
    args: [
      arg.addr("addr", { aligned: true, doc: "first page" }),
      arg.size("length", { doc: "bytes, rounded up to pages" }),
    ],
    result: "zero",
    doc: "Remove mappings in the range (holes are fine); a mapping cut in the middle becomes two.",
    errors: { EINVAL: "length 0 or range outside user space" },
  },
  brk: {
    nr: 12,
    args: [arg.addr("addr", { doc: "new program break, or 0 to ask for the current one" })],
    result: "addr",
    doc: "Set the end of the heap. Returns the new break, or the old one unchanged when the request is refused (Linux's convention; sbrk in libc builds on it).",
  },
  sigaction: {
    nr: 13,
    args: [
      arg.signal("sig", { doc: "signal (not SIGKILL or SIGSTOP)" }),
      arg.addr("handler", { doc: "SIG_DFL (0), SIG_IGN (1), or a code address" }),
      arg.flags("mask", { ALL: 0xffff_fffe }, { doc: "signals blocked while the handler runs" }),
      arg.flags("flags", SaFlags, { doc: "SA_RESTART, SA_NODEFER" }),
    ],
    result: "addr",
    doc: "Install a signal disposition; returns the previous handler value.",
    errors: { EINVAL: "sig is 0, SIGKILL or SIGSTOP", EFAULT: "handler is not in executable memory" },
  },
  sigprocmask: {
    nr: 14,
    args: [
      arg.int("how", { min: 0, max: 2, doc: "SIG_BLOCK, SIG_UNBLOCK or SIG_SETMASK" }),
      arg.flags("set", { ALL: 0xffff_fffe }, { doc: "signal set, bit n = signal n" }),
    ],
    result: "int",
    doc: "Change the calling thread's blocked set; returns the old set. SIGKILL and SIGSTOP cannot be blocked.",
  },
  pipe: {
    nr: 22,
    args: [arg.ptr("fds", { access: "out", len: 8, doc: "two int32: read end, write end" })],
    result: "zero",
    doc: "Create a pipe (4 KiB buffer) and store its two descriptors.",
    errors: { EMFILE: "descriptor table full", EFAULT: "fds not writable (no descriptor is left open)" },
  },
  sched_yield: {
    nr: 24,
    args: [],
    result: "zero",
    doc: "Give up the CPU: the caller goes back to its run queue.",
  },
  dup: {
    nr: 32,
    args: [arg.fd("fd", { doc: "descriptor to copy" })],
    result: "fd",
    doc: "A new descriptor (the lowest free) for the same open file.",
    errors: { EBADF: "fd not open", EMFILE: "table full" },
  },
  dup2: {
    nr: 33,
    args: [
      arg.fd("oldfd", { doc: "descriptor to copy" }),
      arg.fd("newfd", { doc: "the descriptor number it gets" }),
    ],
    result: "fd",
    doc: "Make `newfd` refer to the open file of `oldfd`, closing what `newfd` held first (silently); FD_CLOEXEC of `newfd` is cleared. When `oldfd` equals `newfd` and is open, returns it and changes nothing. Returns `newfd`.",
    errors: { EBADF: "oldfd not open, or newfd outside 0..63 (the table's size)" },
  },
  fcntl: {
    nr: 72,
    args: [
      arg.fd("fd", { doc: "an open descriptor" }),
      arg.int("cmd", { doc: "F_DUPFD 0, F_GETFD 1, F_SETFD 2, F_GETFL 3, F_SETFL 4, F_DUPFD_CLOEXEC 1030" }),
      arg.int("arg", {
        doc: "F_DUPFD, F_DUPFD_CLOEXEC: the lowest descriptor wanted; F_SETFD: FD_CLOEXEC or 0; F_SETFL: O_APPEND and O_NONBLOCK (other bits ignored); else unused",
      }),
    ],
    result: "int",
    doc: "F_DUPFD returns a new descriptor for the same open file description, the lowest free one not below arg, with FD_CLOEXEC clear (F_DUPFD_CLOEXEC: set). F_GETFD/F_SETFD read and set the descriptor's FD_CLOEXEC (its own: dup clears it, fork copies it). F_GETFL returns the open file description's access mode (O_RDONLY 0, O_WRONLY 1, O_RDWR 2) ORed with its status flags; F_SETFL sets O_APPEND (each write goes to the end of the file) and O_NONBLOCK (a read or write that would wait returns EAGAIN, or the count moved so far), ignoring the access mode and other bits, as Linux. Status flags belong to the description: every descriptor dup'd from it, in this process or a forked one, sees the change (POSIX fcntl).",
    errors: {
      EBADF: "fd not open",
      EINVAL:
        "cmd is none of the six, or F_DUPFD/F_DUPFD_CLOEXEC's arg is negative or not below 64 (the table's size)",
      EMFILE: "F_DUPFD/F_DUPFD_CLOEXEC: every descriptor from arg to 63 is open",
    },
  },
  getpid: { nr: 39, args: [], result: "pid", doc: "The caller's process id." },
  thread_create: {
    nr: 56,
    args: [
      arg.code("entry", { doc: "start routine, called with arg" }),
      arg.int("arg", { ...i64, doc: "the routine's argument" }),
      arg.addr("stack", { doc: "initial stack pointer (top of a mapped stack), or 0 for none" }),
      arg.ptr("tidptr", {
        access: "out",
        len: 4,
        nullable: true,
        doc: "stores the tid here; cleared and futex-woken at exit",
      }),
    ],
    result: "int",
    doc: "Start a thread in the calling process (Linux clone with CLONE_VM|CLONE_THREAD|CLONE_PARENT_SETTID|CLONE_CHILD_CLEARTID). Returns the new thread id. When the thread exits, the kernel stores 0 at tidptr and wakes one futex waiter there, which is how pthread_join waits.",
    errors: {
      EAGAIN: "thread limit reached",
      EFAULT: "entry is not executable, or tidptr not writable",
      EINVAL: "tidptr not 4-byte aligned",
      ENOMEM: "no memory for a kernel stack",
    },
  },
  clone: {
    nr: 435,
    args: [
      arg.code("entry", { doc: "where the child starts: entry(arg)" }),
      arg.int("arg", { min: -(2 ** 53) + 1, max: 2 ** 53 - 1, doc: "the child's argument" }),
    ],
    result: "pid",
    doc: "fork, except that the child starts at entry(arg) instead of returning from the call (glibc's clone(fn, stack, SIGCHLD, arg) without CLONE_VM; Linux's clone3 number). Same copy-on-write copy of the address space, descriptors and dispositions; no replay of the caller's history, so it costs the same however long the caller has run. The child exits with entry's return value.",
    errors: {
      EAGAIN: "process limit reached",
      ENOMEM: "no memory for the child",
      EFAULT: "entry is not executable",
    },
  },
  fork: {
    nr: 57,
    args: [],
    result: "pid",
    doc: "Duplicate the calling process: private memory copy-on-write, shared mappings shared, descriptors duplicated, only the calling thread. Returns the child's pid in the parent and 0 in the child.",
    errors: {
      EAGAIN: "process limit reached",
      ENOMEM: "no memory for the child (address space or kernel stack)",
    },
  },
  execve: {
    nr: 59,
    args: [
      arg.ptr("path", { access: "in", len: 1, doc: "NUL-terminated program name" }),
      arg.ptr("argv", {
        access: "in",
        len: PTR_BYTES,
        nullable: true,
        doc: "NULL-terminated vector of string pointers",
      }),
      arg.ptr("envp", {
        access: "in",
        len: PTR_BYTES,
        nullable: true,
        doc: "NULL-terminated vector of string pointers",
      }),
    ],
    result: "noreturn",
    doc: "Replace the calling process's image with the named program. Other threads are ended, handled signals reset to default, the address space replaced; descriptors stay open.",
    errors: {
      ENOENT: "no such program",
      E2BIG: "arguments too long",
      EFAULT: "a string is unreadable",
      ENAMETOOLONG: "the program name is too long",
      ENOMEM: "no memory for the new image (the old one is kept)",
    },
  },
  exit: {
    nr: 60,
    args: [arg.int("status", { doc: "the thread's exit value" })],
    result: "noreturn",
    doc: "End the calling thread. The last thread's exit ends the process with this status.",
  },
  waitpid: {
    nr: 61,
    args: [
      arg.pid("pid", {
        doc: "a child's pid; -1 any child; 0 any child in the caller's group; < -1 any child in group -pid",
      }),
      arg.ptr("status", { access: "out", len: 4, nullable: true, doc: "where to store the wait status" }),
      arg.flags("options", WaitOptions, { doc: "WNOHANG, WUNTRACED, WCONTINUED" }),
    ],
    result: "pid",
    blocks: true,
    doc: "Wait for a child to terminate, reap it and return its pid. The status word is Linux's: exited = code << 8, killed = signal number (| 0x80 with a core dump). With WUNTRACED a stop is reported too ((sig << 8) | 0x7f), with WCONTINUED a continue (0xffff), each once, without reaping. With WNOHANG returns 0 when nothing is to report yet. A group (pid 0 or < -1) is matched by each child's group at the time of the call and of each wake-up; pid 0 names the caller's group at the call, kept while it waits even if the caller moves to another (Linux's kernel_wait4).",
    errors: {
      ECHILD: "no such child (in that group)",
      EINTR: "a handler ran",
      EFAULT: "status not writable (the child is not reaped)",
    },
  },
  kill: {
    nr: 62,
    args: [
      arg.pid("pid", {
        doc: "a process (> 0); 0 the caller's group; -1 every process but init and the caller; < -1 group -pid",
      }),
      arg.signal("sig", { doc: "signal, or 0 to probe" }),
    ],
    result: "zero",
    doc: "Send a signal to a process, to every member of a process group (a zombie member takes nothing), or to every process the caller may signal (pid -1: all but pid 0, init and the caller, as Linux). Signal 0 only checks that the target exists.",
    errors: { ESRCH: "no such process, or no process in the group (or none at all for -1)" },
  },
  setpgid: {
    nr: 109,
    args: [
      arg.pid("pid", { doc: "the caller (0) or a child of it" }),
      arg.pid("pgid", { doc: "group to join, or 0 for a new group named after pid" }),
    ],
    result: "zero",
    doc: "Move a process into a process group of the caller's session, or make it the leader of a new one (pgid 0 or pgid = pid). A shell puts each job in a group of its own this way (or with spawn's POSIX_SPAWN_SETPGROUP).",
    errors: {
      ESRCH: "pid is neither the caller nor a child of it",
      EPERM:
        "the target leads a session, is a child in another session, or pgid names no group of the caller's session",
      EACCES: "the target is a child that has exec'd (a spawned child counts: spawn is fork + exec)",
      EINVAL: "pgid < 0",
    },
  },
  getppid: { nr: 110, args: [], result: "pid", doc: "The parent's pid (1 once the parent has died)." },
  getpgrp: { nr: 111, args: [], result: "pid", doc: "The caller's process group id (getpgid(0))." },
  setsid: {
    nr: 112,
    args: [],
    result: "pid",
    doc: "Start a new session: the caller leads it and a new process group, both named by its pid, and has no controlling terminal until it opens one. Returns the session id.",
    errors: { EPERM: "the caller already leads a process group (its pid is some process's group id)" },
  },
  getpgid: {
    nr: 121,
    args: [arg.pid("pid", { doc: "a process, or 0 for the caller" })],
    result: "pid",
    doc: "The process group id of a process.",
    errors: { ESRCH: "no such process" },
  },
  getsid: {
    nr: 124,
    args: [arg.pid("pid", { doc: "a process, or 0 for the caller" })],
    result: "pid",
    doc: "The session id of a process: the pid of its session's leader. A process of another session answers too (Linux; POSIX allows EPERM there), as does getpgid.",
    errors: { ESRCH: "no such process" },
  },
  gettid: { nr: 186, args: [], result: "int", doc: "The calling thread's id." },
  futex: {
    nr: 202,
    args: [
      arg.ptr("uaddr", { access: "in", len: 4, doc: "4-byte aligned word" }),
      arg.int("op", { min: 0, max: 1, doc: "FUTEX_WAIT or FUTEX_WAKE" }),
      arg.int("val", {
        min: -(2 ** 31),
        max: 2 ** 32 - 1,
        doc: "WAIT: expected value; WAKE: most threads to wake",
      }),
      arg.int("timeout", {
        min: 0,
        max: 2 ** 53 - 1,
        doc: "WAIT: most cycles to sleep, 0 for no limit; ignored by WAKE",
      }),
    ],
    result: "int",
    blocks: true,
    doc: "FUTEX_WAIT: if the word still equals val, sleep until woken (returns 0) or until the timeout (ETIMEDOUT, at the first timer tick after it), else EAGAIN. FUTEX_WAKE: wake up to val waiters, return how many. Waiters are keyed by physical address, so a futex in a MAP_SHARED page works across processes.",
    errors: {
      EAGAIN: "the word changed",
      EINVAL: "uaddr not 4-byte aligned",
      EINTR: "a handler ran (an untimed wait whose handler has SA_RESTART is restarted instead)",
      ETIMEDOUT: "the timeout passed",
    },
  },
  nanosleep: {
    nr: 35,
    args: [arg.int("cycles", { min: 0, max: 2 ** 53 - 1, doc: "simulated cycles to sleep" })],
    result: "zero",
    blocks: true,
    doc: "Sleep for `cycles` simulated cycles (nanosleep with the simulator's unit of time); woken at the first timer tick after the deadline. 0 returns at once.",
    errors: { EINTR: "a handler ran before the time was up" },
  },
  clock_gettime: {
    nr: 228,
    args: [
      arg.int("clockid", {
        min: 0,
        max: 1,
        doc: "CLOCK_REALTIME (0) or CLOCK_MONOTONIC (1): the same clock here",
      }),
    ],
    result: "int",
    doc: "The calling CPU's simulated cycle counter (simplified ABI: the value in the result register instead of a struct timespec). Monotonic per CPU; CPUs run in lockstep, so readings across CPUs differ by less than one trap.",
  },
  exit_group: {
    nr: 231,
    args: [arg.int("status", { doc: "exit code; the low 8 bits are reported" })],
    result: "noreturn",
    doc: "End every thread of the process; the parent's waitpid sees `status & 0xff`.",
  },
  spawn: {
    nr: 500,
    args: [
      arg.ptr("path", { access: "in", len: 1, doc: "NUL-terminated program name" }),
      arg.ptr("argv", { access: "in", len: PTR_BYTES, nullable: true, doc: "NULL-terminated vector" }),
      arg.ptr("envp", { access: "in", len: PTR_BYTES, nullable: true, doc: "NULL-terminated vector" }),
      arg.flags("flags", SpawnFlags, {
        doc: "posix_spawnattr flags: POSIX_SPAWN_SETPGROUP, POSIX_SPAWN_SETSID, POSIX_SPAWN_SETSIGDEF, POSIX_SPAWN_TCSETPGROUP; 0 for none",
      }),
      arg.pid("pgroup", {
        doc: "with SETPGROUP: the group to join, or 0 for a new group led by the child",
      }),
      arg.flags(
        "sigdefault",
        { ALL: 0xffff_fffe },
        { doc: "with SETSIGDEF: signals whose action is reset to SIG_DFL" },
      ),
    ],
    result: "pid",
    doc: "posix_spawn as Lunaix does it: build a child from scratch with the named image, no copy of the caller's memory. As after a fork and an exec, the child inherits the descriptors except FD_CLOEXEC ones, the signal mask, the ignored signals (caught ones start at SIG_DFL), its process group and session. The attributes act in the child before its program starts, as glibc's child does between its clone and its exec: SETSIGDEF resets the signals in sigdefault to SIG_DFL (a shell that ignores SIGINT and SIGTSTP gives its jobs the defaults back), SETPGROUP puts it in group pgroup (0: a group of its own) with setpgid's rules, SETSID makes it the leader of a new session, TCSETPGROUP then makes its group the foreground group of the caller's controlling terminal (glibc's posix_spawnattr_tcsetpgrp_np), so a foreground job never reads the terminal from the background. Returns the child's pid.",
    errors: {
      ENOENT: "no such program",
      EAGAIN: "process limit reached",
      E2BIG: "arguments too long",
      EFAULT: "a string is unreadable",
      ENAMETOOLONG: "the program name is too long",
      ENOMEM: "no memory for the child",
      EPERM: "SETPGROUP with a pgroup that names no group of the caller's session (nothing is created)",
      EINVAL: "SETPGROUP with pgroup < 0, or SETSID with SETPGROUP or TCSETPGROUP",
      ENOTTY: "TCSETPGROUP, and the caller has no controlling terminal of its session",
    },
  },
  pager_attach: {
    nr: 510,
    args: [arg.pid("pid", { doc: "a child of the caller" })],
    result: "zero",
    doc: "Become the external pager of child `pid`: from now on its page faults that its address space cannot resolve (no mapping there) are sent to the caller's pager endpoint as messages, L4-style, instead of raising SIGSEGV.",
    errors: { ESRCH: "no such live process", EPERM: "not a child of the caller" },
  },
  pager_recv: {
    nr: 511,
    args: [
      arg.ptr("msg", {
        access: "out",
        len: 16,
        doc: "receives va (u64), access (u32: 0 read, 1 write, 2 exec), pid (u32)",
      }),
    ],
    result: "int",
    blocks: true,
    doc: "Wait for the next page fault sent to the caller's pager endpoint; store it at msg and return the reply capability to pass to pager_reply.",
    errors: {
      EINVAL: "the caller is no pager (no pager_attach yet)",
      EINTR: "a handler ran",
      EFAULT: "msg not writable (the message is lost)",
    },
  },
  pager_map: {
    nr: 512,
    args: [
      arg.pid("pid", { doc: "a process this pager serves" }),
      arg.addr("va", { aligned: true, doc: "page to map in that process" }),
      arg.flags("prot", Prot, { doc: "protection of the new page" }),
      arg.addr("src", { doc: "a page of the caller's memory to copy into it, or 0 for zeros" }),
    ],
    result: "zero",
    doc: "Map one fresh private page at va in process pid, filled from the caller's page at src (or zero-filled): how a pager resolves a fault before replying.",
    errors: {
      EPERM: "the caller is not pid's pager",
      EEXIST: "something is mapped at va",
      EFAULT: "src unreadable",
      EINVAL: "va outside user space",
    },
  },
  pager_reply: {
    nr: 513,
    args: [
      arg.int("cap", { min: 0, doc: "the reply capability pager_recv returned" }),
      arg.int("ok", { min: 0, max: 1, doc: "1: retry the faulting access; 0: deliver SIGSEGV" }),
    ],
    result: "zero",
    doc: "Answer a page fault: the faulting thread resumes and executes its access again (ok = 1) or takes SIGSEGV (ok = 0).",
    errors: { EINVAL: "the caller is no pager, or cap is unknown or already used" },
  },
  tcsetpgrp: {
    nr: 520,
    args: [
      arg.fd("fd", { doc: "a descriptor of the caller's controlling terminal" }),
      arg.pid("pgid", { doc: "a process group of the caller's session" }),
    ],
    result: "zero",
    doc: "Make pgid the terminal's foreground process group: the group whose reads go through, and which ^C (SIGINT) and ^Z (SIGTSTP) signal (POSIX tcsetpgrp; Linux's ioctl TIOCSPGRP). From a background group the caller's group gets SIGTTOU first and the call runs again after it, unless the caller blocks or ignores SIGTTOU (a shell taking the terminal back ignores it).",
    errors: {
      EBADF: "fd not open",
      ENOTTY:
        "fd is not a terminal, or not the caller's controlling terminal, or the caller is in an orphaned background group (Linux's TIOCSPGRP turns that EIO into ENOTTY; POSIX lists no EIO)",
      EPERM: "pgid names no process group of the caller's session",
      EINVAL: "pgid <= 0",
      EINTR: "SIGTTOU's handler ran (no SA_RESTART)",
    },
  },
  tcgetpgrp: {
    nr: 521,
    args: [arg.fd("fd", { doc: "a descriptor of the caller's controlling terminal" })],
    result: "pid",
    doc: "The terminal's foreground process group (POSIX tcgetpgrp; Linux's ioctl TIOCGPGRP); 0 when it has none. The group may have no member left.",
    errors: {
      EBADF: "fd not open",
      ENOTTY: "fd is not a terminal, or not the caller's controlling terminal",
    },
  },
  tiocsctty: {
    nr: 522,
    args: [
      arg.fd("fd", { doc: "a descriptor of a terminal" }),
      arg.int("steal", { doc: "1: take the terminal even from the session that controls it; else 0" }),
    ],
    result: "zero",
    doc: "Make the terminal the caller's controlling terminal, and the caller's group its foreground (Linux's ioctl TIOCSCTTY, as getty's login_tty does after setsid). The caller must lead its session and have no controlling terminal; a terminal another session controls is taken only with steal = 1, and that session's processes lose it (no signal). Every process counts as privileged (there are no user ids). Returns 0 at once when the terminal already is the caller's session's.",
    errors: {
      EBADF: "fd not open",
      ENOTTY: "fd is not a terminal",
      EPERM:
        "the caller leads no session, or has a controlling terminal, or the terminal is another session's and steal is not 1",
    },
  },
  tiocnotty: {
    nr: 523,
    args: [arg.fd("fd", { doc: "a descriptor of the caller's controlling terminal" })],
    result: "zero",
    doc: "Give up the controlling terminal (Linux's ioctl TIOCNOTTY). A process that is no session leader only forgets it; the session leader frees the terminal for its whole session, and the foreground process group gets SIGHUP then SIGCONT (the caller too if it is in that group).",
    errors: {
      EBADF: "fd not open",
      ENOTTY: "fd is not a terminal, or not the caller's controlling terminal",
    },
  },
  tcgetattr: {
    nr: 524,
    args: [
      arg.fd("fd", { doc: "a descriptor of a terminal" }),
      arg.ptr("termios", { access: "out", len: TERMIOS_BYTES, doc: "a Linux struct termios (36 bytes)" }),
    ],
    result: "zero",
    doc: "Read the terminal's modes into a Linux struct termios: c_iflag, c_oflag, c_cflag, c_lflag (u32 each), c_line, c_cc[19] (POSIX tcgetattr; Linux's ioctl TCGETS). Allowed from a background process group.",
    errors: {
      EBADF: "fd not open",
      ENOTTY: "fd is not a terminal",
      EFAULT: "termios not writable",
    },
  },
  tcsetattr: {
    nr: 525,
    args: [
      arg.fd("fd", { doc: "a descriptor of a terminal" }),
      arg.int("action", {
        doc: "TCSANOW (0), TCSADRAIN (1) or TCSAFLUSH (2: also discard the unread input)",
      }),
      arg.ptr("termios", {
        access: "in",
        len: TERMIOS_BYTES,
        doc: "the new modes, a Linux struct termios (36 bytes)",
      }),
    ],
    result: "zero",
    doc: "Set the terminal's modes from a Linux struct termios (POSIX tcsetattr; Linux's ioctls TCSETS, TCSETSW, TCSETSF). The line discipline acts on them from its next event: ICANON, ISIG, ECHO, the control characters, VMIN. Output is never queued, so TCSADRAIN acts at once; TCSAFLUSH first discards input received and not read. From a background process group the caller's group gets SIGTTOU first and the call runs again after it, whether TOSTOP is set or not (Linux's tty_check_change), unless the caller blocks or ignores SIGTTOU.",
    errors: {
      EBADF: "fd not open",
      ENOTTY: "fd is not a terminal",
      EINVAL: "action is not TCSANOW, TCSADRAIN or TCSAFLUSH",
      EFAULT: "termios not readable (the modes are unchanged)",
      EIO: "the caller is in an orphaned background process group",
      EINTR: "SIGTTOU's handler ran (no SA_RESTART)",
    },
  },
  tcgetsid: {
    nr: 526,
    args: [arg.fd("fd", { doc: "a descriptor of the caller's controlling terminal" })],
    result: "pid",
    doc: "The session the terminal is the controlling terminal of, the session leader's pid (POSIX tcgetsid; Linux's ioctl TIOCGSID). Only the caller's own controlling terminal answers, as Linux's TIOCGSID.",
    errors: {
      EBADF: "fd not open",
      ENOTTY: "fd is not a terminal, or not the caller's controlling terminal",
    },
  },
});

/** Typed user-side stubs of {@link posixSyscalls}: `yield* sys.write(1, buf, n)`. */
export const posixStubs = makeStubs(posixSyscalls);
