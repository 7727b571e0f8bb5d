/**
 * The file-system system calls of the Lunaix-like kernel, and how open files share the POSIX
 * personality's descriptor tables.
 *
 * | call        | nr  | Linux's | what it does here                                              |
 * | ----------- | --- | ------- | -------------------------------------------------------------- |
 * | `open`      | 2   | same    | path, O_ flags; O_CREAT makes a regular file                    |
 * | `mkdir`     | 83  | same    | mode ignored (no permissions)                                  |
 * | `rmdir`     | 84  | same    | only an empty directory                                        |
 * | `unlink`    | 87  | same    | the name goes; an open file lives on until its last close      |
 * | `getdents64`| 217 | same    | `linux_dirent64` records (see `file.ts`); `readdir` in libc     |
 * | `read`/`write`/`lseek`/`fstat`/`close`: POSIX's, through the open file's operations (`file.ts`) |
 * | `execve`/`spawn`: the path must name an executable inode (a `/bin` entry); then POSIX loads the image |
 *
 * **Descriptors.** `open` wraps a {@link VfsFile} (the file system's file operations) in the
 * kernel's `OpenFile` and installs it in the POSIX personality's descriptor table, which does the
 * lowest-free-slot allocation, dup, fork inheritance, close-on-exec and reference counting. When
 * the last descriptor goes — close, exit, or exec — the kernel calls `VfsFile.release` at once,
 * so an unlinked file is freed the moment its last descriptor closes, as Linux's `fput` does.
 *
 * Related: `vfs.ts`, `file.ts`, `../personality.ts` (where these join the other calls).
 */
import {
  acquireControllingTerminal,
  arg,
  copyInString,
  copyOut,
  Errno,
  FileMode,
  type Kernel,
  OpenFile,
  STATUS_FLAGS_MASK,
  type SyscallHandler,
  type Thread,
  writablePrefix,
} from "@osbricks/kernel";
import { OpenFlags, VfsFile } from "./file.js";
import { PATH_MAX, type Vfs } from "./vfs.js";

/** The file-system calls (declarations; the handlers are {@link fsHandlers}). */
export const fsSyscallDecls = {
  open: {
    nr: 2,
    args: [
      arg.ptr("path", { access: "in", len: 1, doc: "NUL-terminated absolute path" }),
      arg.flags("flags", OpenFlags, {
        doc: "O_RDONLY/O_WRONLY/O_RDWR plus O_CREAT, O_EXCL, O_NOCTTY, O_TRUNC, O_APPEND, O_NONBLOCK, O_DIRECTORY, O_CLOEXEC",
      }),
      arg.int("mode", { min: 0, max: 0o7777, doc: "ignored: the file system keeps no permissions" }),
    ],
    result: "fd",
    doc: "Open (or with O_CREAT create) a file, directory or device; returns the lowest free descriptor, with FD_CLOEXEC if O_CLOEXEC. A session leader with no controlling terminal that opens a terminal no session controls acquires it, unless O_NOCTTY.",
    errors: {
      ENOTDIR: "O_DIRECTORY on a non-directory, or a non-directory on the way",
      EISDIR: "a directory opened for writing, or with O_CREAT but not O_DIRECTORY",
      ENOSPC: "no memory left for a new inode",
      ENOENT: "no such name (without O_CREAT), or a missing directory on the way",
      EEXIST: "O_CREAT|O_EXCL and the name exists",
      EMFILE: "descriptor table full",
      EINVAL: "O_ACCMODE is 3",
    },
  },
  mkdir: {
    nr: 83,
    args: [
      arg.ptr("path", { access: "in", len: 1, doc: "NUL-terminated absolute path" }),
      arg.int("mode", { min: 0, max: 0o7777, doc: "ignored" }),
    ],
    result: "zero",
    doc: "Create an empty directory.",
    errors: { EEXIST: "the name exists", ENOENT: "a directory on the way is missing" },
  },
  rmdir: {
    nr: 84,
    args: [arg.ptr("path", { access: "in", len: 1, doc: "NUL-terminated absolute path" })],
    result: "zero",
    doc: "Remove an empty directory.",
    errors: {
      ENOENT: "no such directory",
      EBUSY: "the root",
      ENOTEMPTY: "it has entries, or the last component is `..`",
      ENOTDIR: "the path names a file",
      EINVAL: "the last component is `.`",
    },
  },
  unlink: {
    nr: 87,
    args: [arg.ptr("path", { access: "in", len: 1, doc: "NUL-terminated absolute path" })],
    result: "zero",
    doc: "Remove a name; the file itself lives on while a descriptor has it open, and is freed at its last close.",
    errors: {
      ENOENT: "no such name",
      EISDIR: "the path names a directory (use rmdir)",
      ENOTDIR: "a trailing slash after a file's name",
    },
  },
  getdents64: {
    nr: 217,
    args: [
      arg.fd("fd", { doc: "an open directory" }),
      arg.ptr("dirp", { access: "out", len: "count", doc: "buffer for linux_dirent64 records" }),
      arg.size("count", { doc: "buffer bytes" }),
    ],
    result: "size",
    doc: "Read directory entries as linux_dirent64 records from the offset on; 0 at the end.",
    errors: {
      EBADF: "fd not open",
      EFAULT: "dirp not writable (checked first: no entry is skipped)",
      EINVAL: "the buffer cannot hold the next record",
      ENOTDIR: "fd is not an open directory",
    },
  },
} as const;

/** The file-system open file behind descriptor `fd` of `t`'s process, or `null` (none, or another kind). */
export function vfsFileOf(t: Thread, fd: number): VfsFile | null {
  const ops = t.process.files.get(fd)?.ops;
  return ops instanceof VfsFile ? ops : null;
}

/** Copy a path argument; -EFAULT / -ENAMETOOLONG on failure. */
export function pathArg(k: Kernel, t: Thread, va: number): string | number {
  const s = copyInString(k, t.process.vm, va, PATH_MAX - 1);
  if (s === null) return -Errno.EFAULT;
  if (typeof s !== "string") return -Errno.ENAMETOOLONG;
  return s;
}

type Handler = SyscallHandler<Thread, never>;

/** The handlers of {@link fsSyscallDecls} (read, write, lseek, fstat and close are POSIX's). */
export function fsHandlers(k: Kernel, fs: Vfs): Record<keyof typeof fsSyscallDecls, Handler> {
  const calls = {
    open(t: Thread, path: number, flags: number, _mode: number): number {
      const p = pathArg(k, t, path);
      if (typeof p === "number") return p;
      const acc = flags & 3;
      if (acc === 3) return -Errno.EINVAL;
      // A descriptor first, as Linux's get_unused_fd_flags: a full table creates or truncates nothing.
      if (t.process.files.free() === 0) return -Errno.EMFILE;
      let node = fs.lookup(p);
      if (node === -Errno.ENOENT && (flags & OpenFlags.O_CREAT) !== 0) node = fs.create(p);
      else if (
        typeof node !== "number" &&
        (flags & (OpenFlags.O_CREAT | OpenFlags.O_EXCL)) === (OpenFlags.O_CREAT | OpenFlags.O_EXCL)
      )
        return -Errno.EEXIST;
      if (typeof node === "number") return node;
      if ((flags & OpenFlags.O_DIRECTORY) !== 0 && node.kind !== "dir") return -Errno.ENOTDIR;
      // POSIX open: EISDIR for a directory opened for writing, or with O_CREAT without O_DIRECTORY.
      const creatNoDir = (flags & (OpenFlags.O_CREAT | OpenFlags.O_DIRECTORY)) === OpenFlags.O_CREAT;
      if (node.kind === "dir" && (acc !== OpenFlags.O_RDONLY || creatNoDir)) return -Errno.EISDIR;
      if ((flags & OpenFlags.O_TRUNC) !== 0 && node.kind === "file" && acc !== OpenFlags.O_RDONLY)
        fs.truncate(node);
      const file = new VfsFile(fs, node, acc !== OpenFlags.O_WRONLY, acc !== OpenFlags.O_RDONLY);
      const mode = (file.readable ? FileMode.READ : 0) | (file.writable ? FileMode.WRITE : 0);
      // O_APPEND and O_NONBLOCK go to the description (fcntl F_GETFL/F_SETFL), not to the file.
      const description = new OpenFile(file, mode, flags & STATUS_FLAGS_MASK);
      const fd = t.process.files.install(description, (flags & OpenFlags.O_CLOEXEC) !== 0);
      if (fd < 0) file.release(); // not reachable (checked above), but never leak the inode's open
      if (fd < 0) return -Errno.EMFILE;
      // A session leader without a controlling terminal that opens one acquires it (System V and
      // Linux), unless it says O_NOCTTY (init opens the console that way).
      const tty = file.tty;
      if (tty !== undefined && (flags & OpenFlags.O_NOCTTY) === 0) acquireControllingTerminal(t.process, tty);
      return fd;
    },
    mkdir(t: Thread, path: number, _mode: number): number {
      const p = pathArg(k, t, path);
      if (typeof p === "number") return p;
      const r = fs.mkdir(p);
      return typeof r === "number" ? r : 0;
    },
    rmdir(t: Thread, path: number): number {
      const p = pathArg(k, t, path);
      return typeof p === "number" ? p : fs.rmdir(p);
    },
    unlink(t: Thread, path: number): number {
      const p = pathArg(k, t, path);
      return typeof p === "number" ? p : fs.unlink(p);
    },
    getdents64(t: Thread, fd: number, dirp: number, count: number): number {
      const f = vfsFileOf(t, fd);
      if (f === null) return t.process.files.get(fd) === null ? -Errno.EBADF : -Errno.ENOTDIR;
      // Records taken move the directory offset: fill no more than the buffer can hold, so a bad
      // buffer is EFAULT with no entry skipped (as for read, kernel's writablePrefix).
      const room = writablePrefix(t.process.vm, dirp, count);
      if (room === 0 && count > 0) return -Errno.EFAULT;
      const out = f.getdents(room);
      if (typeof out === "number") return out === -Errno.EINVAL && room < count ? -Errno.EFAULT : out;
      return copyOut(k, t.process.vm, dirp, out) ? out.length : -Errno.EFAULT;
    },
  };
  return calls as unknown as Record<keyof typeof fsSyscallDecls, Handler>;
}
