/**
 * The file-system system calls of the Lunaix-like kernel, and how open files share the POSIX
 * personality's descriptor tables.
 *
 * | call        | nr  | Linux's | what it does here                                              |
 * | ----------- | --- | ------- | -------------------------------------------------------------- |
 * | `open`      | 2   | same    | path, O_ flags; O_CREAT makes a regular file                    |
 * | `lseek`     | 8   | same    | SEEK_SET / SEEK_CUR / SEEK_END; ESPIPE on a device              |
 * | `mkdir`     | 83  | same    | mode ignored (no permissions)                                  |
 * | `rmdir`     | 84  | same    | only an empty directory                                        |
 * | `unlink`    | 87  | same    | the name goes; an open file lives on until its last close      |
 * | `getdents64`| 217 | same    | `linux_dirent64` records (see `file.ts`); `readdir` in libc     |
 * | `read`/`write` on a VFS descriptor: the file's bytes or the device's driver; other descriptors (pipes) go to POSIX |
 * | `execve`/`spawn`: the path must name an executable inode (a `/bin` entry); then POSIX loads the image |
 *
 * **Descriptors.** The POSIX personality's `FdTable` holds open file descriptions of the kinds it
 * knows (console, pipe ends) and does the lowest-free-slot allocation, dup, fork inheritance and
 * reference counting. A VFS open file goes into the same table as an opaque entry of kind
 * `"console"` bound to a private, never-read `Console`, and the `VfsFile` it stands for is found in
 * a `WeakMap` keyed by that entry — so dup, fork, spawn and close need no change, and the offset is
 * shared exactly as POSIX wants. The entry's reference count, which the kernel keeps, tells when
 * the last descriptor is gone — by `close` (released at once) or by exit or exec (released by the
 * next `Vfs.sweep`: the kworker/fput kernel thread's, or the one every name-changing call makes
 * first, so an `unlink` right after a child's exit frees the file at once). This is a shim: the kernel's `OpenFile` union is closed, and the
 * right fix is an extensible variant there (a `file_operations`-like `{ kind: "vfs", ops }`); see
 * docs/tour-lunaix.md, "Where the file system lives".
 *
 * Related: `vfs.ts`, `file.ts`, `../personality.ts` (where these join the other calls).
 */
import {
  arg,
  Console,
  copyIn,
  copyInString,
  copyOut,
  type Kernel,
  type OpenFile,
  type SyscallHandler,
  type Thread,
} from "@osbricks/kernel";
import { OpenFlags, VfsFile } from "./file.js";
import { type CharDevice, Errno, PATH_MAX, type Vfs } from "./vfs.js";

/** The file-system calls (declarations; the handlers are {@link fsHandlers}). */
export const fsSyscallDecls = {
  open: {
    nr: 2,
    args: [
      arg.ptr("path", { access: "in", len: 1, doc: "NUL-terminated absolute path" }),
      arg.flags("flags", OpenFlags, {
        doc: "O_RDONLY/O_WRONLY/O_RDWR plus O_CREAT, O_EXCL, O_TRUNC, O_APPEND, O_DIRECTORY",
      }),
      arg.int("mode", { min: 0, max: 0o7777, doc: "ignored: the file system keeps no permissions" }),
    ],
    result: "fd",
    doc: "Open (or with O_CREAT create) a file, directory or device; returns the lowest free descriptor. ENOTDIR (20) and EISDIR (21, writing a directory) as Linux.",
    errors: {
      ENOENT: "no such name (without O_CREAT), or a missing directory on the way",
      EEXIST: "O_CREAT|O_EXCL and the name exists",
      EMFILE: "descriptor table full",
      EINVAL: "O_ACCMODE is 3",
    },
  },
  lseek: {
    nr: 8,
    args: [
      arg.fd("fd", { doc: "an open file or directory" }),
      arg.int("offset", { min: -(2 ** 53) + 1, max: 2 ** 53 - 1, doc: "bytes (directory: entries)" }),
      arg.int("whence", { min: 0, max: 2, doc: "SEEK_SET, SEEK_CUR or SEEK_END" }),
    ],
    result: "int",
    doc: "Move the offset of the open file description (shared by dup and fork); returns the new offset.",
    errors: {
      EBADF: "fd not open",
      ESPIPE: "fd is a pipe or a device",
      EINVAL: "the offset would be negative",
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
    doc: "Remove an empty directory; ENOTEMPTY (39) when it has entries, ENOTDIR (20) for a file.",
    errors: { ENOENT: "no such directory", EBUSY: "the root" },
  },
  unlink: {
    nr: 87,
    args: [arg.ptr("path", { access: "in", len: 1, doc: "NUL-terminated absolute path" })],
    result: "zero",
    doc: "Remove a name; the file itself lives on while a descriptor has it open. EISDIR (21) for a directory.",
    errors: { ENOENT: "no such name" },
  },
  getdents64: {
    nr: 217,
    args: [
      arg.fd("fd", { doc: "an open directory" }),
      arg.ptr("dirp", { access: "out", len: "count", doc: "buffer for linux_dirent64 records" }),
      arg.size("count", { doc: "buffer bytes" }),
    ],
    result: "size",
    doc: "Read directory entries as linux_dirent64 records from the offset on; 0 at the end. ENOTDIR (20) for a file.",
    errors: { EBADF: "fd not open", EINVAL: "the buffer cannot hold the next record" },
  },
} as const;

/** The open file description behind each shim entry of a descriptor table. */
const vfsFiles = new WeakMap<OpenFile, VfsFile>();
/** The opaque console every shim entry points at: never read, never written (see the banner). */
const SHIM = new Console();

/** The VFS open file behind descriptor `fd` of `t`'s process, or `null` (not a VFS descriptor). */
export function vfsFileOf(t: Thread, fd: number): VfsFile | null {
  const f = t.process.files.get(fd);
  return f === null ? null : (vfsFiles.get(f) ?? null);
}

/** Install `file` in `t`'s descriptor table; the fd or -EMFILE. */
function install(fs: Vfs, t: Thread, file: VfsFile): number {
  const entry: OpenFile = { kind: "console", console: SHIM, refs: 0 };
  const fd = t.process.files.install(entry);
  if (fd < 0) return -Errno.EMFILE;
  vfsFiles.set(entry, file);
  // The kernel keeps `refs` right through dup, fork, spawn, close, exec and exit: at 0 the
  // description is gone, and the next sweep releases the inode.
  fs.track(file, () => entry.refs === 0);
  return fd;
}

/** Copy a path argument; -EFAULT / -ENAMETOOLONG on failure. */
export function pathArg(k: Kernel, t: Thread, va: number): string | number {
  const s = copyInString(k, t.process.vm, va, PATH_MAX - 1);
  if (s === null) return -Errno.EFAULT;
  if (typeof s !== "string") return -Errno.ENAMETOOLONG;
  return s;
}

/** Park `t` until `device` has input; the read restarts then. */
function waitForDevice(k: Kernel, t: Thread, device: CharDevice): number {
  const w = { wakeToRetry: () => k.wakeThread(t) };
  device.waiters.push(w);
  return k.block(t, {
    on: `${device.name} read`,
    restart: k.currentTrap,
    interruptible: true,
    cancel: () => {
      const i = device.waiters.indexOf(w);
      if (i >= 0) device.waiters.splice(i, 1);
    },
  });
}

type Handler = SyscallHandler<Thread, never>;

/**
 * The handlers of {@link fsSyscallDecls}, plus `read` and `write` for VFS descriptors (they
 * return `null` for any other descriptor: the caller hands those to POSIX).
 */
export function fsHandlers(
  k: Kernel,
  fs: Vfs,
): {
  calls: Record<keyof typeof fsSyscallDecls, Handler>;
  read(t: Thread, fd: number, buf: number, count: number): number | null;
  write(t: Thread, fd: number, buf: number, count: number): number | null;
  closing(t: Thread, fd: number): (() => void) | null;
} {
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
      if (node.kind === "dir" && acc !== OpenFlags.O_RDONLY) return -Errno.EISDIR;
      if ((flags & OpenFlags.O_TRUNC) !== 0 && node.kind === "file" && acc !== OpenFlags.O_RDONLY)
        fs.truncate(node);
      const file = new VfsFile(
        fs,
        node,
        acc !== OpenFlags.O_WRONLY,
        acc !== OpenFlags.O_RDONLY,
        (flags & OpenFlags.O_APPEND) !== 0,
      );
      const fd = install(fs, t, file);
      if (fd < 0) file.release();
      return fd;
    },
    lseek(t: Thread, fd: number, offset: number, whence: number): number {
      const f = vfsFileOf(t, fd);
      if (f !== null) return f.seek(offset, whence);
      return t.process.files.get(fd) === null ? -Errno.EBADF : -Errno.ESPIPE;
    },
    mkdir(t: Thread, path: number, _mode: number): number {
      const p = pathArg(k, t, path);
      if (typeof p === "number") return p;
      const r = fs.mkdir(p);
      return typeof r === "number" ? r : 0;
    },
    rmdir(t: Thread, path: number): number {
      fs.sweep(); // releases pending from exits first: unlink then frees at once
      const p = pathArg(k, t, path);
      return typeof p === "number" ? p : fs.rmdir(p);
    },
    unlink(t: Thread, path: number): number {
      fs.sweep(); // releases pending from exits first: unlink then frees at once
      const p = pathArg(k, t, path);
      return typeof p === "number" ? p : fs.unlink(p);
    },
    getdents64(t: Thread, fd: number, dirp: number, count: number): number {
      const f = vfsFileOf(t, fd);
      if (f === null) return t.process.files.get(fd) === null ? -Errno.EBADF : -Errno.ENOTDIR;
      const out = f.getdents(count);
      if (typeof out === "number") return out;
      return copyOut(k, t.process.vm, dirp, out) ? out.length : -Errno.EFAULT;
    },
  };
  return {
    calls: calls as unknown as Record<keyof typeof fsSyscallDecls, Handler>,
    read(t, fd, buf, count) {
      const f = vfsFileOf(t, fd);
      if (f === null) return null;
      const r = f.read(count);
      if (r === null) return waitForDevice(k, t, f.inode.device!);
      if (typeof r === "number") return r;
      return copyOut(k, t.process.vm, buf, r) ? r.length : -Errno.EFAULT;
    },
    write(t, fd, buf, count) {
      const f = vfsFileOf(t, fd);
      if (f === null) return null;
      const bytes = copyIn(k, t.process.vm, buf, count);
      if (bytes === null) return -Errno.EFAULT;
      return f.write(bytes);
    },
    closing(t, fd) {
      const entry = t.process.files.get(fd);
      // A VFS description: once POSIX has closed the descriptor, release it if that was the last.
      return entry !== null && vfsFiles.has(entry) ? () => fs.sweep() : null;
    },
  };
}
