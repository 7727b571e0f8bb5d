/**
 * The process calls: getpid, getppid, fork, clone, execve, exit, exit_group, waitpid, spawn; waitpid's options, posix_spawn's attribute flags and the size of a vector's pointer.
 *
 * Part of the POSIX personality's table (`../table.ts`, which assembles the groups and states
 * where we simplify an ABI); the handlers of these calls are in `../process-calls.ts`.
 */
import { arg } from "../../syscalls/decl.js";
import { syscallGroup } from "./group.js";

/** waitpid options (`<sys/wait.h>`). */
export const WaitOptions = { WNOHANG: 1, WUNTRACED: 2, WCONTINUED: 8 } as const;
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
/** Bytes of one pointer in an argv/envp vector. */
export const PTR_BYTES = 8;

/** The declarations of this group, for `posixSyscalls`. */
export const processDecls = syscallGroup({
  getpid: { nr: 39, args: [], result: "pid", doc: "The caller's process id." },
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
  getppid: { nr: 110, args: [], result: "pid", doc: "The parent's pid (1 once the parent has died)." },
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
});
