/**
 * The process calls of the POSIX personality: fork, clone, execve, spawn, exit, exit_group,
 * waitpid, getpid and getppid. The life cycle itself (copying, loading, reaping) is the kernel's
 * (`../kernel/lifecycle.ts`); these handlers check the arguments and the caller's rights.
 *
 * ```
 *   fork/clone/spawn ──▶ live ──exit_group / last exit──▶ zombie ──waitpid (parent)──▶ reaped
 *                         │ ▲ SIGSTOP / SIGCONT: reported once each to waitpid(WUNTRACED / WCONTINUED)
 * ```
 *
 * Related: `syscalls.ts` (the table of contents), `wait-list.ts`, `wait-status.ts`, `jobs.ts`.
 */

import type { Kernel } from "../kernel/kernel.js";
import { ARG_MAX, MAX_ARGS } from "../process/loader.js";
import type { Thread } from "../process/thread.js";
import { MAX_PROGRAM_NAME } from "../program/registry.js";
import type { Trap } from "../program/trap.js";
import { SYSCALL_NORETURN, type SyscallHandlers } from "../syscalls/dispatch.js";
import { Errno } from "../syscalls/errno.js";
import { codeAt } from "../trap/code.js";
import { copyInString, copyInStringVector, writeU32 } from "../trap/memory.js";
import { sessionOfGroup } from "./jobs.js";
import { SIGACTION_DEFAULT, sigbit } from "./signals.js";
import { posixSyscalls, SpawnFlags, WaitOptions } from "./table.js";
import { waitOn } from "./wait-list.js";
import { CONTINUED_STATUS, exitedStatus, stoppedStatus } from "./wait-status.js";

type PosixHandlers = SyscallHandlers<Thread, typeof posixSyscalls.decls>;
const WAITPID_NR = posixSyscalls.decls.waitpid.nr;

/** Copy a program path and its vectors for exec/spawn; -errno on failure. */
function copyExecArgs(
  k: Kernel,
  t: Thread,
  path: number,
  argv: number,
  envp: number,
): { name: string; argv: string[]; envp: string[] } | number {
  const space = t.process.vm;
  const name = copyInString(k, space, path, MAX_PROGRAM_NAME);
  if (name === null) return -Errno.EFAULT;
  if (typeof name !== "string") return -Errno.ENAMETOOLONG;
  const a = argv === 0 ? [name] : copyInStringVector(k, space, argv, MAX_ARGS, ARG_MAX);
  if (a === null) return -Errno.EFAULT;
  if (a === "too-big") return -Errno.E2BIG;
  const e = envp === 0 ? [] : copyInStringVector(k, space, envp, MAX_ARGS, ARG_MAX);
  if (e === null) return -Errno.EFAULT;
  if (e === "too-big") return -Errno.E2BIG;
  return { name, argv: a, envp: e };
}

/** The process calls, for `posixPersonality`: each returns a result or `-errno`, never throws. */
export function processCalls(
  k: Kernel,
): Pick<
  PosixHandlers,
  "fork" | "clone" | "execve" | "spawn" | "exit" | "exit_group" | "waitpid" | "getpid" | "getppid"
> {
  return {
    fork: (t) => k.life.fork(t),
    clone(t, entry, a) {
      const fn = codeAt(k, t, entry);
      if (fn === null) return -Errno.EFAULT;
      return k.life.fork(t, { fn, entry, arg: a });
    },
    execve(t, path, argv, envp) {
      const a = copyExecArgs(k, t, path, argv, envp);
      if (typeof a === "number") return a;
      const image = k.programs.lookup(a.name);
      if (!image) return -Errno.ENOENT;
      return k.life.exec(t, image, a.argv, a.envp);
    },
    spawn(t, path, argv, envp, flags, pgroup, sigdefault) {
      const setPgroup = (flags & SpawnFlags.POSIX_SPAWN_SETPGROUP) !== 0;
      const setSid = (flags & SpawnFlags.POSIX_SPAWN_SETSID) !== 0;
      const foreground = (flags & SpawnFlags.POSIX_SPAWN_TCSETPGROUP) !== 0;
      if (setPgroup && (pgroup < 0 || setSid)) return -Errno.EINVAL;
      if (foreground && setSid) return -Errno.EINVAL;
      const ctty = t.process.ctty;
      if (foreground && (ctty === null || ctty.session !== t.process.sid)) return -Errno.ENOTTY;
      // setpgid's rule for joining a group, checked before anything is created.
      if (setPgroup && pgroup !== 0 && sessionOfGroup(k, pgroup) !== t.process.sid) return -Errno.EPERM;
      const a = copyExecArgs(k, t, path, argv, envp);
      if (typeof a === "number") return a;
      const image = k.programs.lookup(a.name);
      if (!image) return -Errno.ENOENT;
      const child = k.life.spawn(t.process, image, a.argv, a.envp, t.process.files, t.sigBlocked);
      if (typeof child === "number") return child;
      // The attributes, as glibc's child applies them before its exec: it has not run yet.
      if ((flags & SpawnFlags.POSIX_SPAWN_SETSIGDEF) !== 0)
        for (let sig = 1; sig < 32; sig++)
          if ((sigdefault & sigbit(sig)) !== 0) child.sigActions[sig] = SIGACTION_DEFAULT;
      if (setSid) {
        child.sid = child.pgid = child.pid;
        child.ctty = null;
      } else if (setPgroup) child.pgid = pgroup === 0 ? child.pid : pgroup;
      if (foreground && ctty !== null) ctty.pgrp = child.pgid;
      return child.pid;
    },
    exit(t, status) {
      // `status` is a checked int32, but optimized dispatch code may hand it over boxed as a
      // heap number (0.0: argument arrays of doubles and of small integers meet there). Stored
      // as such, it would turn the thread's exitValue field from small-integer to double, which
      // changes the map of every Thread and deoptimizes the trap loop (run, step, execute and
      // the memory path) early in every run. `| 0` is the same value as a small integer.
      k.life.exitThread(t, status | 0);
      return SYSCALL_NORETURN;
    },
    exit_group(t, status) {
      k.life.exitProcess(t.process, exitedStatus(status));
      return SYSCALL_NORETURN;
    },
    waitpid(t, pid, status, options) {
      const p = t.process;
      // pid 0: the caller's group at the call (see the restart below); < -1: group -pid.
      const pgid = pid === 0 ? p.pgid : pid < -1 ? -pid : 0;
      const mine =
        pid === -1 ? p.children : p.children.filter((c) => (pgid !== 0 ? c.pgid === pgid : c.pid === pid));
      if (mine.length === 0) return -Errno.ECHILD;
      const z = mine.find((c) => c.phase === "zombie");
      if (z !== undefined) {
        if (status !== 0 && !writeU32(k, p.vm, status, z.exitStatus)) return -Errno.EFAULT;
        k.life.reap(p, z);
        return z.pid;
      }
      // Stops and continues are reported once each, and the child is not reaped.
      const untraced = (options & WaitOptions.WUNTRACED) !== 0;
      const continued = (options & WaitOptions.WCONTINUED) !== 0;
      const changed = mine.find((c) => (untraced && c.stopReport !== 0) || (continued && c.continueReport));
      if (changed !== undefined) {
        const st =
          untraced && changed.stopReport !== 0 ? stoppedStatus(changed.stopReport) : CONTINUED_STATUS;
        if (status !== 0 && !writeU32(k, p.vm, status, st)) return -Errno.EFAULT;
        if (st === CONTINUED_STATUS) changed.continueReport = false;
        else changed.stopReport = 0;
        return changed.pid;
      }
      if ((options & WaitOptions.WNOHANG) !== 0) return 0;
      if (pgid === 0) return waitOn(k, t, p.childWaiters, "waitpid", pid);
      // Linux's kernel_wait4 takes waitpid(0)'s group once, at the call: a caller moved to
      // another group while it waits (by another of its threads, or by its parent's setpgid)
      // still waits for the old one. So the restart names the group: waitpid(-pgid). Group 1
      // cannot be named so (-1 is any child): a member of init's group that leaves it while it
      // waits then waits for its new group (init itself, leading session 1, never leaves).
      const again: Trap | null =
        pid === 0 && pgid > 1
          ? { kind: "syscall", nr: WAITPID_NR, args: [-pgid, status, options] }
          : k.currentTrap;
      return waitOn(k, t, p.childWaiters, "waitpid", 0, pgid, again);
    },
    getpid: (t) => t.process.pid,
    getppid: (t) => t.process.parent?.pid ?? 0,
  };
}
