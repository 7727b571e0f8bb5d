/**
 * The file calls of the POSIX personality: read, write, fstat, lseek, close, pipe, dup, dup2
 * and fcntl, over the process's descriptor table (`fd-table.ts`) and open files (`files.ts`).
 *
 * A read or write that must wait holds its open file (`Thread.ioFile`), so another thread's
 * close(2) of the descriptor cannot take the file from under it, and runs again from where it
 * was (`Thread.ioProgress`, `Thread.ioSince`) when woken. A terminal read or write first passes
 * the job-control checks of `tty.ts` (SIGTTIN, SIGTTOU).
 *
 * Related: `syscalls.ts` (the table of contents), `wait-list.ts`, `pipe.ts`, `tty.ts`.
 */

import type { Kernel } from "../kernel/kernel.js";
import type { Thread } from "../process/thread.js";
import type { SyscallHandlers } from "../syscalls/dispatch.js";
import { Errno } from "../syscalls/errno.js";
import { copyIn, copyOut, writablePrefix, writeU32 } from "../trap/memory.js";
import { MAX_FDS } from "./fd-table.js";
import {
  FileContractError,
  FileMode,
  type FileStat,
  OpenFile,
  STATUS_FLAGS_MASK,
  StatusFlags,
} from "./files.js";
import { signalThread } from "./generate.js";
import { Pipe, PipeReadEnd, PipeWriteEnd } from "./pipe.js";
import { Sig } from "./signals.js";
import { FcntlCmd, FD_CLOEXEC, type posixSyscalls, STAT_BYTES } from "./table.js";
import { backgroundCheck, writeCheck } from "./tty.js";
import { ListWait, waitOn } from "./wait-list.js";

type PosixHandlers = SyscallHandlers<Thread, typeof posixSyscalls.decls>;
const PAGE = 4096;
const pagesOf = (len: number): number => Math.ceil(len / PAGE);

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
 * `fcntl(F_GETFL)`'s access mode of a description: O_RDONLY 0, O_WRONLY 1, O_RDWR 2 (`O_ACCMODE`
 * bits, POSIX `<fcntl.h>`), from its {@link FileMode}.
 */
function accessModeOf(mode: number): number {
  return mode === FileMode.READ_WRITE ? 2 : mode === FileMode.WRITE ? 1 : 0;
}

/** A read is over with `result`: the file a blocked read held (Thread.ioFile) is let go. */
function endRead(t: Thread, result: number): number {
  t.endIo();
  return result;
}

/** The file calls, for `posixPersonality`: each returns a result or `-errno`, never throws. */
export function fileCalls(
  k: Kernel,
): Pick<PosixHandlers, "read" | "write" | "fstat" | "lseek" | "close" | "pipe" | "dup" | "dup2" | "fcntl"> {
  return {
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
      // Bytes this read took while it waited (takeWhileWaiting) are in the buffer already.
      const done = t.ioProgress;
      const data = f.ops.read(room - done, now, t.ioSince, done);
      if (data === null) {
        const q = f.ops.waiters?.("read");
        // A file that hands a waiting read its bytes as they come (a terminal's MIN): taken now.
        const taken = f.ops.takeWhileWaiting?.(room - done);
        if (taken !== undefined && taken.length > 0) {
          if (!copyOut(k, t.process.vm, buf + done, taken))
            return endRead(t, done > 0 ? done : -Errno.EFAULT);
          t.ioProgress = done + taken.length;
        }
        const got = t.ioProgress;
        // O_NONBLOCK: "would block" is EAGAIN at once (POSIX read), as for a file with no wait
        // list — or the bytes taken, as n_tty_read returns what it copied before -EAGAIN.
        if (q === undefined || (f.flags & StatusFlags.O_NONBLOCK) !== 0)
          return endRead(t, got > 0 ? got : -Errno.EAGAIN);
        // Wait holding the file, as a blocked write does: another thread's close(2) of `fd`
        // removes the descriptor, not the open file, so a pipe keeps this reader.
        if (t.ioFile === null) {
          f.get();
          t.ioFile = f;
        }
        const deadline = f.ops.readDeadline?.(now, t.ioSince, got) ?? Number.POSITIVE_INFINITY;
        // A deadline not after now would park the read until a moment already past and run it
        // again at once, forever: a defect in the file, refused here rather than spun on.
        if (!(deadline > now)) {
          const since = t.ioSince;
          t.endIo(); // the file reference the wait would have held is let go
          throw new FileContractError(
            `read(fd ${fd}) of a ${f.kind} file at cycle ${now}, begun at ${since}: would block, and readDeadline(${now}, ${since}) returned ${deadline}, not after now (${now}) — the read would be parked until a moment already past and run again at once, forever; a deadline is a later time, or +Infinity for none`,
          );
        }
        if (deadline === Number.POSITIVE_INFINITY) return waitOn(k, t, q, `${f.kind} read`);
        const w = new ListWait(k, t, q, `${f.kind} read`, k.currentTrap);
        q.push(w);
        return k.blockUntil(t, w, deadline);
      }
      if (typeof data === "number") return endRead(t, done > 0 ? done : data);
      if (!copyOut(k, t.process.vm, buf + done, data)) return endRead(t, done > 0 ? done : -Errno.EFAULT);
      return endRead(t, done + data.length);
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
      // EIO (tty.ts). Checked once, as the call begins (not when it goes on after waiting for
      // room, t.ioFile held: a terminal whose output is stopped by ^S), as n_tty_write checks
      // only at its start; and after the copy: Linux's tty_write copies the buffer before
      // n_tty_write checks, so an unreadable buffer is EFAULT and sends no SIGTTOU.
      const tty = f.ops.tty;
      if (tty !== undefined && t.ioFile === null) {
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
  };
}
