/**
 * The POSIX personality: one handler per call of `posixSyscalls`, over the kernel core.
 *
 * Every handler receives arguments that already passed the table's checks (see the generated
 * `docs/syscalls-posix.md`), validates what needs kernel state, and returns a result or `-errno`.
 * None throws for any input a program can produce. A call that must wait parks the thread
 * (`kernel.block`) and is either restarted when woken (pipe read/write, waitpid: the condition is
 * re-checked, as xv6's `sleep` loops do) or resumed with a result (futex).
 *
 * Related: `table.ts` (declarations), `files.ts`, `generate.ts`, `../kernel/lifecycle.ts`.
 */

import { Endpoint, FOREVER, IpcStatus, makeTag } from "@osbricks/ipc";
import { type Placement, USER_END, USER_START } from "@osbricks/vm";
import type { Kernel } from "../kernel/kernel.js";
import { ARG_MAX, MAX_ARGS } from "../process/loader.js";
import type { Thread, WaitRecord } from "../process/thread.js";
import { MAX_PROGRAM_NAME } from "../program/registry.js";
import type { Trap } from "../program/trap.js";
import { SYSCALL_NORETURN, SyscallDispatcher, type SyscallHandlers } from "../syscalls/dispatch.js";
import { Errno } from "../syscalls/errno.js";
import { kernelHandleResolver } from "../syscalls/handles.js";
import { codeAt } from "../trap/code.js";
import {
  copyIn,
  copyInString,
  copyInStringVector,
  copyOut,
  translateOrFault,
  writablePrefix,
  writeU32,
} from "../trap/memory.js";
import { PAGE_FAULT_LABEL } from "../trap/pager.js";
import { MAX_FDS } from "./fd-table.js";
import { FileMode, type FileStat, OpenFile, STATUS_FLAGS_MASK, StatusFlags, type Waiter } from "./files.js";
import { postSignal, signalThread } from "./generate.js";
import { getpgid, getsid, sessionOfGroup, setpgid, setsid, signalAll, signalGroup } from "./jobs.js";
import { Pipe, PipeReadEnd, PipeWriteEnd } from "./pipe.js";
import { SIGACTION_DEFAULT, Sig, sigbit, UNBLOCKABLE } from "./signals.js";
import {
  FcntlCmd,
  FD_CLOEXEC,
  FutexOp,
  MapFlags,
  Prot,
  posixSyscalls,
  SIG_IGN,
  SigHow,
  SpawnFlags,
  STAT_BYTES,
  WaitOptions,
} from "./table.js";
import {
  backgroundCheck,
  getAttributes,
  getForeground,
  getSession,
  giveUpControllingTerminal,
  setAttributes,
  setControllingTerminal,
  setForeground,
  type TerminalControl,
  writeCheck,
} from "./tty.js";
import { CONTINUED_STATUS, exitedStatus, stoppedStatus } from "./wait-status.js";

const PAGE = 4096;
const WAITPID_NR = posixSyscalls.decls.waitpid.nr;
const pagesOf = (len: number): number => Math.ceil(len / PAGE);
/** Where mmap starts looking when given no usable hint (64 GiB: far above any heap here). */
export const MMAP_BASE = 0x10_0000_0000;

/**
 * Linux x86-64's `struct stat` (`arch/x86/include/uapi/asm/stat.h`), the fields we fill:
 *
 * ```
 *   +0 st_dev u64 | +8 st_ino u64 | +16 st_nlink u64 | +24 st_mode u32 | +28 uid | +32 gid | +36 pad
 *   +40 st_rdev u64 | +48 st_size s64 | +56 st_blksize s64 | +64 st_blocks s64 (512-byte units)
 *   +72 atime, mtime, ctime (16 bytes each) | +120 reserved (24)            = 144 bytes
 *   a 5000-byte file: st_blocks = ceil(5000 / 4096) pages * 8 = 16
 * ```
 */
export function encodeStat(st: FileStat): Uint8Array {
  const out = new Uint8Array(STAT_BYTES);
  const dv = new DataView(out.buffer);
  dv.setBigUint64(8, BigInt(st.ino), true);
  dv.setBigUint64(16, BigInt(st.nlink), true);
  dv.setUint32(24, st.mode >>> 0, true);
  dv.setBigInt64(48, BigInt(st.size), true);
  dv.setBigInt64(56, BigInt(PAGE), true);
  dv.setBigInt64(64, BigInt(pagesOf(st.size) * (PAGE / 512)), true);
  return out;
}

/**
 * A futex wait: cancelled by taking the thread's ipc slot off the futex queue. A class rather than
 * an object literal with an arrow function, since a thread library waits on every join: one small
 * object per wait, no closure.
 */
class FutexWait implements WaitRecord {
  readonly on = "futex";
  readonly interruptible = true;
  /**
   * @param restart the futex trap, run again when a handler with SA_RESTART interrupts an untimed
   *   wait (Linux restarts it: the word is compared again); `null` for a timed wait, which returns
   *   EINTR instead of starting its timeout over.
   */
  constructor(
    private readonly k: Kernel,
    private readonly slot: number,
    readonly restart: Trap | null,
  ) {}
  cancel(): void {
    this.k.ipc.threadExit(this.slot);
  }
}

/**
 * A thread parked on a wait list: the list's waiter and the thread's wait record in one object
 * with methods, so a wait (each waitpid that finds no zombie yet, each blocking pipe call)
 * creates no closures.
 */
class ListWait implements Waiter, WaitRecord {
  readonly interruptible = true;

  /** For a waitpid: the pid waited for, -1 for any child, 0 for a group (see forPgid). */
  readonly forPid?: number;
  /** For a waitpid on a process group (pid 0 or < -1): the group. */
  readonly forPgid?: number;

  constructor(
    private readonly k: Kernel,
    private readonly t: Thread,
    private readonly list: Waiter[],
    readonly on: string,
    readonly restart: Trap | null,
    forPid?: number,
    forPgid?: number,
  ) {
    if (forPid !== undefined) this.forPid = forPid;
    if (forPgid !== undefined) this.forPgid = forPgid;
  }

  wakeToRetry(completes = false): void {
    if (completes && this.t.runState === "blocked") this.t.retryFirst = true;
    this.k.wakeThread(this.t);
  }

  cancel(): void {
    const i = this.list.indexOf(this);
    if (i >= 0) this.list.splice(i, 1);
  }

  /** A timed wait's deadline passed (`Kernel.blockUntil`): off the list; the call runs again. */
  timedOut(): void {
    this.cancel();
  }
}

/** Park `t` on `list` until a waker calls back; the call restarts (`restart`: the trap to run again). */
function waitOn(
  k: Kernel,
  t: Thread,
  list: Waiter[],
  on: string,
  forPid?: number,
  forPgid?: number,
  restart: Trap | null = k.currentTrap,
): number {
  const w = new ListWait(k, t, list, on, restart, forPid, forPgid);
  list.push(w);
  return k.block(t, w);
}

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

/**
 * `fcntl(F_GETFL)`'s access mode of a description: O_RDONLY 0, O_WRONLY 1, O_RDWR 2 (`O_ACCMODE`
 * bits, POSIX `<fcntl.h>`), from its {@link FileMode}.
 */
function accessModeOf(mode: number): number {
  return mode === FileMode.READ_WRITE ? 2 : mode === FileMode.WRITE ? 1 : 0;
}

/**
 * The terminal behind `fd` for a terminal call (tcsetpgrp, tcgetattr, TIOCSCTTY, …), or the
 * first two errors every such call shares: -EBADF (not open), -ENOTTY (not a terminal).
 */
function terminalOf(t: Thread, fd: number): TerminalControl | number {
  const f = t.process.files.get(fd);
  if (!f) return -Errno.EBADF;
  return f.ops.tty ?? -Errno.ENOTTY;
}

/** A read is over with `result`: the file a blocked read held (Thread.ioFile) is let go. */
function endRead(t: Thread, result: number): number {
  t.endIo();
  return result;
}

/**
 * The POSIX personality: `new Kernel({ personality: posixPersonality, ... })` (the default).
 * @example
 * ```ts
 * const k = new Kernel({ programs, personality: posixPersonality });
 * ```
 */
export function posixPersonality(k: Kernel): SyscallDispatcher<Thread, typeof posixSyscalls.decls> {
  const handlers: SyscallHandlers<Thread, typeof posixSyscalls.decls> = {
    read(t, fd, buf, count) {
      // A read going on after a wait uses the file it holds, not the descriptor (see ioFile).
      const f = t.ioFile ?? t.process.files.get(fd);
      if (!f || (f.mode & FileMode.READ) === 0) return endRead(t, -Errno.EBADF);
      // A background read of the controlling terminal: SIGTTIN to the group, or EIO (tty.ts).
      // Its restart after the stop starts afresh from the descriptor (Linux's -ERESTARTSYS).
      const tty = f.ops.tty;
      if (tty !== undefined) {
        const bg = backgroundCheck(k, t, tty, Sig.SIGTTIN);
        if (bg !== 0) return endRead(t, bg);
      }
      // Take no more than the buffer can hold: bytes read from a file cannot be put back, so a
      // bad buffer is EFAULT (or a short count) before anything is consumed.
      const room = writablePrefix(t.process.vm, buf, count);
      if (room === 0 && count > 0) return endRead(t, -Errno.EFAULT);
      const now = k.now;
      if (t.ioSince < 0) t.ioSince = now;
      const data = f.ops.read(room, now, t.ioSince);
      if (data === null) {
        const q = f.ops.waiters?.("read");
        // O_NONBLOCK: "would block" is EAGAIN at once (POSIX read), as for a file with no wait list.
        if (q === undefined || (f.flags & StatusFlags.O_NONBLOCK) !== 0) return endRead(t, -Errno.EAGAIN);
        // Wait holding the file, as a blocked write does: another thread's close(2) of `fd`
        // removes the descriptor, not the open file, so a pipe keeps this reader.
        if (t.ioFile === null) {
          f.get();
          t.ioFile = f;
        }
        const deadline = f.ops.readDeadline?.(now, t.ioSince) ?? Number.POSITIVE_INFINITY;
        if (deadline === Number.POSITIVE_INFINITY) return waitOn(k, t, q, `${f.kind} read`);
        const w = new ListWait(k, t, q, `${f.kind} read`, k.currentTrap);
        q.push(w);
        return k.blockUntil(t, w, deadline);
      }
      if (typeof data === "number") return endRead(t, data);
      return endRead(t, copyOut(k, t.process.vm, buf, data) ? data.length : -Errno.EFAULT);
    },
    write(t, fd, buf, count) {
      // A write going on after a wait uses the file it holds, not the descriptor (see ioFile).
      const f = t.ioFile ?? t.process.files.get(fd);
      if (!f || (f.mode & FileMode.WRITE) === 0) {
        t.endIo();
        return -Errno.EBADF;
      }
      const done = t.ioProgress; // bytes moved before a restart
      const bytes = copyIn(k, t.process.vm, buf + done, count - done);
      if (bytes === null) {
        t.endIo();
        return done > 0 ? done : -Errno.EFAULT;
      }
      // A background write of the controlling terminal with TOSTOP set: SIGTTOU to the group, or
      // EIO (tty.ts). Checked once, before any byte moves (a terminal write never waits for room),
      // and after the copy: Linux's tty_write copies the buffer before n_tty_write checks, so an
      // unreadable buffer is EFAULT and sends no SIGTTOU.
      const tty = f.ops.tty;
      if (tty !== undefined && done === 0) {
        const bg = writeCheck(k, t, tty);
        if (bg !== 0) {
          t.endIo();
          return bg;
        }
      }
      const n = f.ops.write(bytes, f.flags); // the description's flags of this call (O_APPEND)
      if (n !== null && n < 0) {
        t.endIo();
        if (n === -Errno.EPIPE) signalThread(k, t, Sig.SIGPIPE);
        return done > 0 ? done : n;
      }
      const moved = done + (n ?? 0);
      const q = f.ops.waiters?.("write");
      if (moved === count || q === undefined || (f.flags & StatusFlags.O_NONBLOCK) !== 0) {
        // All in, or a file with nowhere to wait for room, or O_NONBLOCK: a short count (EAGAIN
        // if none; POSIX write: a PIPE_BUF write that does not fit moves nothing, as the pipe says).
        t.endIo();
        return moved > 0 || count === 0 ? moved : -Errno.EAGAIN;
      }
      // Not all in yet: wait for room, then go on from where we are (POSIX: a blocking write
      // returns only when every byte is written, or with the count so far if a signal comes).
      t.ioProgress = moved;
      if (t.ioFile === null) {
        f.get();
        t.ioFile = f;
      }
      return waitOn(k, t, q, `${f.kind} write`);
    },
    fstat(t, fd, statbuf) {
      const f = t.process.files.get(fd);
      if (!f) return -Errno.EBADF;
      return copyOut(k, t.process.vm, statbuf, encodeStat(f.ops.stat())) ? 0 : -Errno.EFAULT;
    },
    lseek(t, fd, offset, whence) {
      const f = t.process.files.get(fd);
      if (!f) return -Errno.EBADF;
      return f.ops.lseek === undefined ? -Errno.ESPIPE : f.ops.lseek(offset, whence);
    },
    close: (t, fd) => (t.process.files.close(fd) ? 0 : -Errno.EBADF),
    mmap(t, addr, length, p, flags, _fd, offset) {
      if (length === 0 || offset !== 0 || (flags & MapFlags.MAP_ANONYMOUS) === 0) return -Errno.EINVAL;
      const shared = (flags & MapFlags.MAP_SHARED) !== 0;
      if (shared === ((flags & MapFlags.MAP_PRIVATE) !== 0)) return -Errno.EINVAL;
      const len = pagesOf(length) * PAGE;
      let placement: Placement;
      if ((flags & MapFlags.MAP_FIXED) !== 0) {
        // POSIX mmap: EINVAL when "the addr argument (if MAP_FIXED was specified) ... [is] not a
        // multiple of the page size"; ENOMEM when "MAP_FIXED was specified, and the range
        // [addr,addr+len) exceeds that allowed for the address space" (page 0 included here).
        // Without MAP_FIXED any address is a hint.
        if (addr % PAGE !== 0) return -Errno.EINVAL;
        if (addr < USER_START || addr + len > USER_END) return -Errno.ENOMEM;
        placement = { kind: "fixed", va: addr };
      } else {
        // Lunaix's hinted placement: the hint's page (rounded up, as Linux's PAGE_ALIGN) if free,
        // else the first fit above it, else the lowest fit.
        const hint = pagesOf(addr) * PAGE;
        const inUser = hint >= USER_START && hint + len <= USER_END;
        placement = { kind: "hint", va: inUser ? hint : MMAP_BASE };
      }
      const out = t.process.vm.map({
        length: len,
        prot: p,
        placement,
        sharing: shared ? "shared" : "private",
        name: "[mmap]",
      });
      return out.kind === "mapped" ? out.va : -Errno.ENOMEM;
    },
    mprotect(t, addr, length, p) {
      if (length === 0) return 0;
      const len = pagesOf(length) * PAGE;
      if (addr < USER_START || addr + len > USER_END) return -Errno.ENOMEM;
      return t.process.vm.protect(addr, len, p).kind === "protected" ? 0 : -Errno.ENOMEM;
    },
    munmap(t, addr, length) {
      const len = pagesOf(length) * PAGE;
      if (length === 0 || addr < USER_START || addr + len > USER_END) return -Errno.EINVAL;
      t.process.vm.unmap(addr, len);
      return 0;
    },
    brk(t, addr) {
      const p = t.process;
      if (addr < p.heapStart || addr > MMAP_BASE) return p.brk;
      const oldEnd = pagesOf(p.brk) * PAGE;
      const newEnd = pagesOf(addr) * PAGE;
      if (newEnd > oldEnd) {
        const out = p.vm.map({
          length: newEnd - oldEnd,
          prot: Prot.PROT_READ | Prot.PROT_WRITE,
          placement: { kind: "fixed", va: oldEnd, replace: false },
          name: "[heap]",
        });
        if (out.kind !== "mapped") return p.brk;
      } else if (newEnd < oldEnd) {
        p.vm.unmap(newEnd, oldEnd - newEnd);
      }
      p.brk = addr;
      return addr;
    },
    sigaction(t, sig, handler, mask, flags) {
      if (sig === 0 || sig === Sig.SIGKILL || sig === Sig.SIGSTOP) return -Errno.EINVAL;
      if (handler > SIG_IGN && codeAt(k, t, handler) === null) return -Errno.EFAULT;
      const p = t.process;
      const old = p.sigActions[sig]!.handler;
      p.sigActions[sig] = { handler, mask: (mask & ~UNBLOCKABLE) >>> 0, flags };
      if (handler === SIG_IGN) {
        p.sigPending &= ~sigbit(sig);
        for (const o of p.threads) o.sigPending &= ~sigbit(sig);
      }
      return old;
    },
    sigprocmask(t, how, set) {
      const old = t.sigBlocked >>> 0;
      const s = set & ~UNBLOCKABLE;
      if (how === SigHow.SIG_BLOCK) t.sigBlocked |= s;
      else if (how === SigHow.SIG_UNBLOCK) t.sigBlocked &= ~s;
      else t.sigBlocked = s;
      return old;
    },
    pipe(t, fds) {
      const files = t.process.files;
      if (files.free() < 2) return -Errno.EMFILE;
      const pipe = new Pipe();
      const fr = files.install(new OpenFile(new PipeReadEnd(pipe), FileMode.READ));
      const fw = files.install(new OpenFile(new PipeWriteEnd(pipe), FileMode.WRITE));
      if (!writeU32(k, t.process.vm, fds, fr) || !writeU32(k, t.process.vm, fds + 4, fw)) {
        files.close(fr);
        files.close(fw);
        return -Errno.EFAULT;
      }
      return 0;
    },
    sched_yield(t) {
      k.yieldThread(t);
      return 0;
    },
    dup(t, fd) {
      const f = t.process.files.get(fd);
      if (!f) return -Errno.EBADF;
      const nfd = t.process.files.install(f);
      return nfd < 0 ? -Errno.EMFILE : nfd;
    },
    dup2(t, oldfd, newfd) {
      const files = t.process.files;
      const f = files.get(oldfd);
      if (!f) return -Errno.EBADF; // POSIX: and newfd is not closed
      if (oldfd === newfd) return newfd; // POSIX: returns fildes2 without closing it
      return files.installAt(newfd, f) < 0 ? -Errno.EBADF : newfd;
    },
    fcntl(t, fd, cmd, a) {
      const files = t.process.files;
      const f = files.get(fd);
      if (!f) return -Errno.EBADF;
      switch (cmd) {
        case FcntlCmd.F_DUPFD:
        case FcntlCmd.F_DUPFD_CLOEXEC: {
          // Linux's f_dupfd: the argument is unsigned, so a negative one is as out of range.
          if (!Number.isInteger(a) || a < 0 || a >= MAX_FDS) return -Errno.EINVAL;
          const nfd = files.installFrom(a, f, cmd === FcntlCmd.F_DUPFD_CLOEXEC);
          return nfd < 0 ? -Errno.EMFILE : nfd;
        }
        case FcntlCmd.F_GETFD:
          return files.isCloseOnExec(fd) ? FD_CLOEXEC : 0;
        case FcntlCmd.F_SETFD:
          files.setCloseOnExec(fd, (a & FD_CLOEXEC) !== 0);
          return 0;
        case FcntlCmd.F_GETFL:
          return accessModeOf(f.mode) | f.flags;
        case FcntlCmd.F_SETFL:
          // Linux's setfl: only the SETFL_MASK bits change; the access mode and the creation
          // flags in `a` are ignored, as POSIX lets them be.
          f.flags = a & STATUS_FLAGS_MASK;
          return 0;
        default:
          return -Errno.EINVAL;
      }
    },
    getpid: (t) => t.process.pid,
    thread_create(t, entry, arg, stack, tidptr) {
      const fn = codeAt(k, t, entry);
      if (fn === null) return -Errno.EFAULT;
      if (k.threads.size >= k.ipc.maxThreads) return -Errno.EAGAIN;
      if (tidptr % 4 !== 0) return -Errno.EINVAL; // a futex word must be aligned
      // The tid word is translated for writing first, so a bad pointer fails before anything is
      // created; nothing runs between here and the store, so the translation stays valid.
      let tidPa = -1;
      if (tidptr !== 0) {
        tidPa = translateOrFault(k, t.process.vm, tidptr, "write", null);
        if (tidPa < 0) return -Errno.EFAULT;
      }
      const kstack = k.stacks.alloc();
      if (kstack === null) return -Errno.ENOMEM;
      const nt = k.life.createThread(t.process, fn, [arg], entry, stack, kstack);
      nt.sigBlocked = t.sigBlocked;
      if (tidptr !== 0) {
        k.memory.write32(tidPa, nt.tid); // CLONE_PARENT_SETTID
        nt.clearTid = tidptr; // CLONE_CHILD_CLEARTID
      }
      return nt.tid;
    },
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
    exit(t, status) {
      // `status` is a checked int32, but optimized dispatch code may hand it over boxed as a
      // heap number (0.0: argument arrays of doubles and of small integers meet there). Stored
      // as such, it would turn the thread's exitValue field from small-integer to double, which
      // changes the map of every Thread and deoptimizes the trap loop (run, step, execute and
      // the memory path) early in every run. `| 0` is the same value as a small integer.
      k.life.exitThread(t, status | 0);
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
    kill(t, pid, sig) {
      if (pid === -1) return signalAll(k, t.process, sig) ? 0 : -Errno.ESRCH;
      if (pid <= 0) return signalGroup(k, pid === 0 ? t.process.pgid : -pid, sig) ? 0 : -Errno.ESRCH;
      const target = k.processes.get(pid);
      if (target === undefined || target.phase === "reaped") return -Errno.ESRCH;
      if (target.phase === "live") postSignal(k, target, sig);
      return 0;
    },
    setpgid: (t, pid, pgid) => setpgid(k, t.process, pid, pgid),
    getpgrp: (t) => t.process.pgid,
    setsid: (t) => setsid(k, t.process),
    getpgid: (t, pid) => getpgid(k, t.process, pid),
    getsid: (t, pid) => getsid(k, t.process, pid),
    tcsetpgrp(t, fd, pgid) {
      const tty = terminalOf(t, fd);
      return typeof tty === "number" ? tty : setForeground(k, t, tty, pgid);
    },
    tcgetpgrp(t, fd) {
      const tty = terminalOf(t, fd);
      return typeof tty === "number" ? tty : getForeground(t.process, tty);
    },
    tiocsctty(t, fd, steal) {
      const tty = terminalOf(t, fd);
      return typeof tty === "number" ? tty : setControllingTerminal(k, t.process, tty, steal);
    },
    tiocnotty(t, fd) {
      const tty = terminalOf(t, fd);
      return typeof tty === "number" ? tty : giveUpControllingTerminal(k, t.process, tty);
    },
    tcgetattr(t, fd, termios) {
      const tty = terminalOf(t, fd);
      if (typeof tty === "number") return tty;
      return copyOut(k, t.process.vm, termios, getAttributes(tty)) ? 0 : -Errno.EFAULT;
    },
    tcsetattr(t, fd, action, termios) {
      const tty = terminalOf(t, fd);
      if (typeof tty === "number") return tty;
      return setAttributes(k, t, tty, action, (len) => copyIn(k, t.process.vm, termios, len));
    },
    tcgetsid(t, fd) {
      const tty = terminalOf(t, fd);
      return typeof tty === "number" ? tty : getSession(t.process, tty);
    },
    getppid: (t) => t.process.parent?.pid ?? 0,
    gettid: (t) => t.tid,
    futex(t, uaddr, op, val, timeout) {
      if (uaddr % 4 !== 0) return -Errno.EINVAL;
      const pa = translateOrFault(k, t.process.vm, uaddr, "read", t);
      if (pa < 0) return -Errno.EFAULT;
      if (op === FutexOp.FUTEX_WAKE) return k.futex.wake(pa, Math.max(0, val));
      const slot = k.ipcSlotFor(t);
      if (slot < 0) return -Errno.EAGAIN;
      // A timed wait's deadline counts from now, so ipc's clock is brought up to date first. An
      // untimed wait (every join) needs no clock: the tick expires others' deadlines (kernel.ts).
      if (timeout !== 0 && k.now > k.ipc.now) k.ipc.advanceTo(k.now);
      const st = k.futex.wait(slot, pa, val >>> 0, timeout === 0 ? FOREVER : timeout);
      if (st === IpcStatus.ValueMismatch) return -Errno.EAGAIN;
      return k.block(t, new FutexWait(k, slot, timeout === 0 ? k.currentTrap : null));
    },
    clock_gettime: (t) => k.cpus[t.cpu]!.time,
    nanosleep(t, cycles) {
      return cycles === 0 ? 0 : k.sleepThread(t, cycles);
    },
    exit_group(t, status) {
      k.life.exitProcess(t.process, exitedStatus(status));
      return SYSCALL_NORETURN;
    },
    pager_attach(t, pid) {
      const target = k.processes.get(pid);
      if (target === undefined || target.phase !== "live") return -Errno.ESRCH;
      if (target.parent !== t.process) return -Errno.EPERM;
      const p = t.process;
      p.pagerEndpoint ??= new Endpoint(k.ipc, { name: `pager#${p.pid}` });
      target.pager = p.pagerEndpoint;
      return 0;
    },
    pager_recv(t, msg) {
      const ep = t.process.pagerEndpoint;
      if (ep === null) return -Errno.EINVAL;
      const slot = k.ipcSlotFor(t);
      if (slot < 0) return -Errno.EAGAIN;
      const deliver = (): number => {
        const mr = k.ipc.mrs(slot);
        const out = new Uint8Array(16);
        const dv = new DataView(out.buffer);
        dv.setUint32(0, mr[1]! >>> 0, true);
        dv.setUint32(4, mr[2]! >>> 0, true);
        dv.setUint32(8, mr[3]! >>> 0, true);
        dv.setUint32(12, mr[4]! >>> 0, true);
        if (!copyOut(k, t.process.vm, msg, out)) return -Errno.EFAULT;
        return k.ipc.replyCap[slot]!;
      };
      const st = ep.receive(slot);
      if (st === IpcStatus.Ok) return deliver();
      if (st !== IpcStatus.Blocked) return -Errno.EINVAL;
      return k.block(t, {
        on: "pager_recv",
        restart: null,
        interruptible: true,
        cancel: () => k.ipc.threadExit(slot),
        complete: (status) => (status === IpcStatus.Ok ? deliver() : -Errno.EINTR),
      });
    },
    pager_map(t, pid, va, p, src) {
      const target = k.processes.get(pid);
      if (target === undefined || target.phase !== "live") return -Errno.ESRCH;
      if (target.pager === null || target.pager !== t.process.pagerEndpoint) return -Errno.EPERM;
      if (va < USER_START || va + PAGE > USER_END) return -Errno.EINVAL;
      const bytes = src === 0 ? null : copyIn(k, t.process.vm, src, PAGE);
      if (src !== 0 && bytes === null) return -Errno.EFAULT;
      const space = target.vm;
      // Map writable to fill it through the user's rights, then set the protection asked for.
      const rw = Prot.PROT_READ | Prot.PROT_WRITE;
      const out = space.map({
        length: PAGE,
        prot: rw,
        placement: { kind: "fixed", va, replace: false },
        name: "[paged]",
      });
      if (out.kind !== "mapped") return -Errno.EEXIST;
      if (bytes !== null) copyOut(k, space, va, bytes);
      if (p !== rw) space.protect(va, PAGE, p);
      return 0;
    },
    pager_reply(t, cap, ok) {
      const ep = t.process.pagerEndpoint;
      if (ep === null) return -Errno.EINVAL;
      const slot = k.ipcSlotFor(t);
      if (slot < 0) return -Errno.EAGAIN;
      const mr = k.ipc.mrs(slot);
      mr[0] = makeTag({ label: PAGE_FAULT_LABEL, words: 1 });
      mr[1] = ok;
      return ep.reply(slot, cap) === IpcStatus.Ok ? 0 : -Errno.EINVAL;
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
  };
  return new SyscallDispatcher(posixSyscalls, handlers, { resolveHandle: kernelHandleResolver(k) });
}
