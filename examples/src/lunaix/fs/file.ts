/**
 * Open files of the in-memory file system: the file operations (Linux's `file_operations` and
 * the description's private data) behind the kernel's `OpenFile`, which `open` creates and every
 * descriptor duplicated from it (dup, fork, spawn) shares — the inode, the offset and the access
 * mode, as POSIX specifies (XBD 3.258 "Open File Description").
 *
 * ```
 *   fd 3 ─┐                     kernel                      this file
 *         ├─▶ OpenFile { refs 2, mode, flags } ─ops─▶ VfsFile { inode, offset } ─▶ Inode (bytes, or a driver)
 *   fd 5 ─┘  (dup: one offset and one set of status flags for both; a second open() gets its own)
 * ```
 *
 * The status flags (O_APPEND, O_NONBLOCK) are the kernel's `OpenFile.flags`, which `open` sets
 * and `fcntl(F_SETFL)` changes; each `write` is told them, so O_APPEND is decided at every write
 * from the description's flag of the moment, never from what the file remembers of its open.
 *
 * The kernel reads, writes, seeks and stats through these operations, and calls `release` once,
 * when the description's last descriptor goes (close, exit, exec of an O_CLOEXEC descriptor):
 * that drops the inode's open count, which frees an unlinked file at once.
 *
 * Regular files keep their bytes in RAM frames (`Vfs.readAt`/`writeAt`); a write past the end
 * leaves a hole that reads as zeros (POSIX `lseek`) and takes no frame for whole pages it skips;
 * a read at or past the end returns 0. Directories are read with `getdents64`, whose records are Linux's
 * `struct linux_dirent64`:
 *
 * ```
 *   +0 d_ino u64 | +8 d_off s64 (cookie of the next entry) | +16 d_reclen u16 | +18 d_type u8 | +19 d_name…NUL
 *   d_reclen = 19 + name bytes + 1, rounded up to 8:  "sh" → 19 + 2 + 1 = 22 → 24
 * ```
 *
 * Related: `vfs.ts` (inodes), `syscalls.ts` (the calls that use these).
 */
import {
  Errno,
  type FileOperations,
  type FileStat,
  FileType,
  StatusFlags,
  type TerminalControl,
  type Waiter,
  Whence,
} from "@osbricks/kernel";
import type { Inode, Vfs } from "./vfs.js";

/** `open(2)` flags (Linux x86-64 values, `<asm-generic/fcntl.h>`). */
export const OpenFlags = {
  O_RDONLY: 0,
  O_WRONLY: 1,
  O_RDWR: 2,
  O_CREAT: 0o100,
  O_EXCL: 0o200,
  O_NOCTTY: 0o400,
  O_TRUNC: 0o1000,
  O_APPEND: StatusFlags.O_APPEND,
  O_NONBLOCK: StatusFlags.O_NONBLOCK,
  O_DIRECTORY: 0o200000,
  O_CLOEXEC: 0o2000000,
} as const;

const utf8 = new TextEncoder();

/** Byte length of one `linux_dirent64` record for a name of `nameBytes` bytes. */
export function direntLength(nameBytes: number): number {
  return Math.ceil((19 + nameBytes + 1) / 8) * 8;
}

/** `st_mode` type bits of each inode kind (a program image is a regular, executable file). */
const MODE_OF = {
  dir: FileType.S_IFDIR | 0o755,
  file: FileType.S_IFREG | 0o644,
  exec: FileType.S_IFREG | 0o755,
  char: FileType.S_IFCHR | 0o666,
} as const;

/** The file operations of one open file description of the file system. */
export class VfsFile implements FileOperations {
  /** The kind the kernel lists it under (`"vfs"`). */
  readonly kind = "vfs";
  /** Byte offset of the next read or write (for a directory: index of the next entry). */
  offset = 0;
  private released = false;

  /** Open `inode` of `fs` (counts as an open of the inode until {@link VfsFile.release}). */
  constructor(
    readonly fs: Vfs,
    readonly inode: Inode,
    readonly readable: boolean,
    readonly writable: boolean,
  ) {
    fs.opened(inode);
  }

  /** A terminal device's job-control state (the kernel's `FileOperations.tty`); undefined for the rest. */
  get tty(): TerminalControl | undefined {
    return this.inode.device?.tty;
  }

  /** The kernel's last descriptor of it is gone: let go of the inode (idempotent). */
  release(): void {
    if (this.released) return;
    this.released = true;
    this.fs.released(this.inode);
  }

  /**
   * Read up to `max` bytes at the offset and advance it. Returns the bytes (empty at end of file),
   * `null` when a device asks the caller to wait, or -errno.
   */
  read(max: number, now = 0, since = now, done = 0): Uint8Array | null | number {
    if (!this.readable) return -Errno.EBADF;
    const n = this.inode;
    if (n.kind === "dir") return -Errno.EISDIR;
    if (n.kind === "char") return n.device!.read(max, now, since, done);
    if (n.kind === "exec") return -Errno.EACCES; // no bytes behind a program image
    const out = this.fs.readAt(n, this.offset, max);
    this.offset += out.length;
    return out;
  }

  /**
   * Write `bytes` at the offset — at the end when `flags` (the description's status flags at this
   * call) has O_APPEND — and advance it. Returns the count or -errno. A write of 0 bytes to a
   * regular file returns 0 and changes nothing (POSIX `write`).
   */
  write(bytes: Uint8Array, flags = 0): number {
    if (!this.writable) return -Errno.EBADF;
    const n = this.inode;
    if (n.kind === "char") return n.device!.write(bytes);
    if (n.kind !== "file") return -Errno.EBADF;
    // POSIX write: 0 bytes to a regular file "shall return zero and have no other results" — no
    // move to the end for O_APPEND, no hole past the end (Linux's generic_write_checks returns 0 first).
    if (bytes.length === 0) return 0;
    if ((flags & StatusFlags.O_APPEND) !== 0) this.offset = n.size; // POSIX write: to the end first
    const done = this.fs.writeAt(n, this.offset, bytes);
    if (done > 0) this.offset += done;
    return done;
  }

  /** `fstat`: the inode's type, size, number and links. */
  stat(): FileStat {
    const n = this.inode;
    return { mode: MODE_OF[n.kind], size: n.kind === "file" ? n.size : 0, ino: n.ino, nlink: n.links };
  }

  /**
   * A device read that must wait runs again at its driver's deadline (a terminal's VTIME), if it
   * has one; anything else waits for a waker only.
   */
  readDeadline(now: number, since: number, done = 0): number {
    const d = this.inode.kind === "char" ? this.inode.device : null;
    return d?.readDeadline?.(now, since, done) ?? Number.POSITIVE_INFINITY;
  }

  /** A device read that waits takes the bytes its driver hands over meanwhile (a terminal's MIN). */
  takeWhileWaiting(max: number): Uint8Array {
    const d = this.inode.kind === "char" ? this.inode.device : null;
    return d?.takeWhileWaiting?.(max) ?? new Uint8Array(0);
  }

  /**
   * A device's readers wait on its driver's list, and its writers on its write list if it has one
   * (a terminal with output stopped); nothing else waits (a file's writes are short only at ENOSPC).
   */
  waiters(dir: "read" | "write"): Waiter[] | undefined {
    const d = this.inode.device;
    if (d === null) return undefined;
    return dir === "read" ? d.waiters : d.writeWaiters;
  }

  /** Move the offset (`lseek`); returns the new offset or -EINVAL / -ESPIPE. */
  lseek(offset: number, whence: number): number {
    return this.seek(offset, whence);
  }

  /** Move the offset; returns the new offset or -EINVAL / -ESPIPE. */
  seek(offset: number, whence: number): number {
    if (this.inode.kind === "char") return -Errno.ESPIPE;
    const base =
      whence === Whence.SEEK_SET
        ? 0
        : whence === Whence.SEEK_CUR
          ? this.offset
          : whence === Whence.SEEK_END
            ? this.inode.kind === "dir"
              ? this.inode.entries.size + 2
              : this.inode.size
            : -1;
    if (base < 0) return -Errno.EINVAL;
    const next = base + offset;
    if (!Number.isSafeInteger(next) || next < 0) return -Errno.EINVAL;
    this.offset = next;
    return next;
  }

  /**
   * Fill up to `count` bytes with `linux_dirent64` records from the offset on and advance it.
   * Returns the bytes (empty at the end of the directory), or -ENOTDIR / -EINVAL (buffer too
   * small for the next record, as Linux answers).
   */
  getdents(count: number): Uint8Array | number {
    const dir = this.inode;
    if (dir.kind !== "dir") return -Errno.ENOTDIR;
    const list = this.fs.readdir(dir);
    const out = new Uint8Array(count);
    const dv = new DataView(out.buffer);
    let at = 0;
    while (this.offset < list.length) {
      const e = list[this.offset]!;
      const name = utf8.encode(e.name);
      const len = direntLength(name.length);
      if (at + len > count) {
        if (at === 0) return -Errno.EINVAL;
        break;
      }
      dv.setBigUint64(at, BigInt(e.node.ino), true);
      dv.setBigInt64(at + 8, BigInt(this.offset + 1), true);
      dv.setUint16(at + 16, len, true);
      out[at + 18] = e.node.dtype;
      out.set(name, at + 19); // the NUL and padding are the zeros already there
      at += len;
      this.offset++;
    }
    return out.subarray(0, at);
  }
}
