/**
 * Open files: the descriptor table, the open file description, and the operations behind it —
 * Linux's `struct file` + `struct file_operations`, so a personality or a driver can add a kind
 * of file (the Lunaix example's ramfs does) without the kernel knowing it.
 *
 * ```
 *   process A fd table        open file descriptions                 file operations (f_op)
 *   ┌────┬───────┐            (struct file: refs, mode)
 *   │ 0  │ ────────────────▶ OpenFile { refs 3, rw } ───────────────▶ Console     (output log)
 *   │ 1  │ ────────────────▶   (same description)
 *   │ 3  │ ────────────────▶ OpenFile { refs 1, r  } ───────────────▶ PipeReadEnd ─┐
 *   │ 4  │ ────────────────▶ OpenFile { refs 2, w  } ───────────────▶ PipeWriteEnd ┴▶ Pipe (4 KiB ring)
 *   └────┴───────┘                    ▲
 *   process B (forked) fd 4 ──────────┘   close-on-exec is per descriptor (FD_CLOEXEC), not here
 * ```
 *
 * **Life of a description.** `open`/`pipe` creates an {@link OpenFile} around a
 * {@link FileOperations} object; every descriptor that points at it holds one reference (`dup`,
 * `fork` and `spawn` take more). When the last reference goes — `close`, a process's exit, an
 * `exec` that closes FD_CLOEXEC descriptors — the description calls `ops.release()` exactly once,
 * at once, as Linux's `fput` does when `f_count` drops to zero (`fs/file_table.c`; our kernel has
 * no task_work to defer it to, and needs none: nothing here sleeps in release).
 *
 * **Blocking.** An operation never blocks: `read`/`write` return `null` ("would block") and the
 * system call parks the thread on `ops.waiters(...)`, restarting when a waker calls back, as xv6's
 * `piperead` sleeps in a loop. A blocking write returns only when every byte is in (POSIX), so a
 * long write remembers its progress across restarts (`Thread.ioProgress`).
 *
 * Invariants (`checkFileInvariants`): a description's `refs` equals the number of descriptor slots,
 * in all tables, that point at it, and none reachable is released; a pipe's `readers`/`writers`
 * equal its live read/write-end descriptions; a descriptor is the lowest free slot when allocated
 * (POSIX `open`/`dup`), below `MAX_FDS`.
 *
 * Related: `syscalls.ts` (read, write, lseek, fstat, pipe, close, dup), `../kernel/lifecycle.ts`
 * (fork, exec, exit).
 */
import { KernelInvariantError, KernelStateError } from "../errors.js";
import { Errno } from "../syscalls/errno.js";

/** Descriptors per process (Linux's default RLIMIT_NOFILE is 1024; ours is smaller). */
export const MAX_FDS = 64;
/** Bytes a pipe buffers (Linux: 16 pages; xv6: 512 bytes). */
export const PIPE_BUF_SIZE = 4096;
/** Writes up to this size are atomic (POSIX PIPE_BUF; Linux: 4096). */
export const PIPE_BUF = 4096;

/** Access of an open file description (Linux's `f_mode` bits `FMODE_READ`, `FMODE_WRITE`). */
export const FileMode = { READ: 1, WRITE: 2, READ_WRITE: 3 } as const;

/** `st_mode` file-type bits (`<sys/stat.h>`, Linux values). */
export const FileType = {
  S_IFIFO: 0o010000,
  S_IFCHR: 0o020000,
  S_IFDIR: 0o040000,
  S_IFREG: 0o100000,
} as const;

/** What `fstat` reports about an open file (the fields of `struct stat` this kernel keeps). */
export interface FileStat {
  /** File type bits ({@link FileType}) ORed with permission bits. */
  readonly mode: number;
  /** Size in bytes (regular files; bytes buffered for a pipe; 0 for a device). */
  readonly size: number;
  /** Inode number, 0 when the file has none. */
  readonly ino: number;
  /** Names that link to it (0 for an unlinked open file, or a pipe). */
  readonly nlink: number;
}

/** A parked thread, as the files layer sees it: something to wake. */
export interface Waiter {
  /** Make the waiter runnable; its system call restarts. */
  wakeToRetry(): void;
}

/**
 * The operations of one kind of open file: Linux's `struct file_operations` together with the
 * description's private data (an object of a class implementing this).
 *
 * Results follow the raw-syscall convention: a count or bytes on success, `-errno` on failure.
 * The kernel checks the description's {@link FileMode} before calling `read` or `write`.
 *
 * @example
 * ```ts
 * class Zero implements FileOperations {
 *   readonly kind = "zero";
 *   read = (max: number) => new Uint8Array(max);
 *   write = (bytes: Uint8Array) => bytes.length;
 *   stat = () => ({ mode: FileType.S_IFCHR | 0o666, size: 0, ino: 0, nlink: 1 });
 * }
 * const fd = process.files.install(new OpenFile(new Zero(), FileMode.READ_WRITE));
 * ```
 */
export interface FileOperations {
  /** Short name of the kind, for listings, traces and invariant messages (`"pipe-read"`). */
  readonly kind: string;
  /**
   * Read up to `max` bytes (`max` ≥ 0) at the file's position. Returns the bytes (empty at end of
   * file), `null` when the caller must wait on `waiters("read")`, or `-errno`.
   */
  read(max: number): Uint8Array | number | null;
  /**
   * Write `bytes`. Returns the count taken (possibly fewer: the kernel then waits on
   * `waiters("write")` for room, or returns a short count when there is no such list), `null`
   * when nothing fits yet, or `-errno` (`-EPIPE` also raises SIGPIPE, as Linux's `pipe_write`).
   */
  write(bytes: Uint8Array): number | null;
  /** Move the file position (`lseek`); absent: the file is not seekable (ESPIPE). */
  lseek?(offset: number, whence: number): number;
  /** What `fstat` reports. */
  stat(): FileStat;
  /**
   * The wait list for a `read` or `write` that returned `null` or a short count; absent, or
   * `undefined` for that direction: the call returns EAGAIN or the short count instead of waiting.
   */
  waiters?(dir: "read" | "write"): Waiter[] | undefined;
  /** The last descriptor referring to the description is gone (called exactly once). */
  release?(): void;
}

/**
 * An open file description (POSIX XBD 3.258; Linux's `struct file`): what `open` creates and every
 * descriptor duplicated from it shares. Reference counted by the descriptor tables.
 *
 * @example
 * ```ts
 * const f = new OpenFile(new Console(), FileMode.WRITE);
 * const t = new FdTable();
 * t.install(f); // fd 0, f.refs === 1
 * t.close(0);   // f.refs === 0, f.released === true
 * ```
 */
export class OpenFile<Ops extends FileOperations = FileOperations> {
  private count = 0;
  private done = false;

  /** @param mode {@link FileMode} bits: which of read and write are allowed. */
  constructor(
    readonly ops: Ops,
    readonly mode: number,
  ) {}

  /** The kind of the operations (`"console"`, `"pipe-read"`, …). */
  get kind(): string {
    return this.ops.kind;
  }
  /** Descriptors that refer to it. */
  get refs(): number {
    return this.count;
  }
  /** Whether its last reference went and `ops.release` ran. */
  get released(): boolean {
    return this.done;
  }

  /**
   * Take a reference (Linux `get_file`).
   * @throws KernelStateError when the description was already released.
   */
  get(): void {
    if (this.done) throw new KernelStateError(`OpenFile.get(${this.kind}): description already released`);
    this.count++;
  }

  /**
   * Drop a reference (Linux `fput`); the last one releases the description, at once.
   * @throws KernelStateError when no reference is held.
   */
  put(): void {
    if (this.count <= 0) throw new KernelStateError(`OpenFile.put(${this.kind}): refs is 0 (double close?)`);
    if (--this.count > 0) return;
    this.done = true;
    this.ops.release?.();
  }
}

/**
 * A unidirectional byte stream with a bounded ring buffer; its two ends are
 * {@link PipeReadEnd} and {@link PipeWriteEnd}.
 *
 * @example
 * ```ts
 * const p = new Pipe();
 * const r = new OpenFile(new PipeReadEnd(p), FileMode.READ);   // p.readers === 1
 * const w = new OpenFile(new PipeWriteEnd(p), FileMode.WRITE); // p.writers === 1
 * p.write(new Uint8Array([1, 2, 3]));   // 3
 * p.read(2);                            // Uint8Array [1, 2]
 * ```
 */
export class Pipe {
  private readonly buf = new Uint8Array(PIPE_BUF_SIZE);
  private head = 0;
  private count = 0;
  /** Live read-end descriptions. */
  readers = 0;
  /** Live write-end descriptions. */
  writers = 0;
  /** Threads waiting for data or for the last writer to go. */
  readonly readWaiters: Waiter[] = [];
  /** Threads waiting for room or for the last reader to go. */
  readonly writeWaiters: Waiter[] = [];

  /** Bytes buffered. */
  get buffered(): number {
    return this.count;
  }

  /**
   * Take up to `max` bytes. Returns `null` when the pipe is empty and a writer remains (the caller
   * should block), an empty array at end of file.
   */
  read(max: number): Uint8Array | null {
    if (this.count === 0) return this.writers > 0 && max > 0 ? null : new Uint8Array(0);
    const n = Math.min(max, this.count);
    const out = new Uint8Array(n);
    for (let i = 0; i < n; i++) out[i] = this.buf[(this.head + i) % PIPE_BUF_SIZE]!;
    this.head = (this.head + n) % PIPE_BUF_SIZE;
    this.count -= n;
    if (n > 0) wakeAll(this.writeWaiters);
    return out;
  }

  /**
   * Append bytes. A write of at most {@link PIPE_BUF} bytes is atomic: all of it or nothing
   * (POSIX: such writes are never interleaved with others); a longer one takes what fits.
   * Returns the count written, `null` when the caller must wait for room, or -1 when no reader is
   * left (EPIPE).
   */
  write(bytes: Uint8Array): number | null {
    if (this.readers === 0) return -1;
    if (bytes.length === 0) return 0;
    const room = PIPE_BUF_SIZE - this.count;
    if (room === 0 || (bytes.length <= PIPE_BUF && room < bytes.length)) return null;
    const n = Math.min(room, bytes.length);
    for (let i = 0; i < n; i++) this.buf[(this.head + this.count + i) % PIPE_BUF_SIZE] = bytes[i]!;
    this.count += n;
    wakeAll(this.readWaiters);
    return n;
  }

  /** One end's last description went: wake whoever waits for that. */
  closeEnd(end: "read" | "write"): void {
    if (end === "read") {
      this.readers--;
      if (this.readers === 0) wakeAll(this.writeWaiters);
    } else {
      this.writers--;
      if (this.writers === 0) wakeAll(this.readWaiters);
    }
  }
}

function wakeAll(list: Waiter[]): void {
  const ws = list.splice(0, list.length);
  for (const w of ws) w.wakeToRetry();
}

const pipeStat = (p: Pipe): FileStat => ({
  mode: FileType.S_IFIFO | 0o600,
  size: p.buffered,
  ino: 0,
  nlink: 0,
});

/** The read end of a pipe, as file operations; constructing one opens the end. */
export class PipeReadEnd implements FileOperations {
  readonly kind = "pipe-read";
  constructor(readonly pipe: Pipe) {
    pipe.readers++;
  }
  read(max: number): Uint8Array | null {
    return this.pipe.read(max);
  }
  write(): number {
    return -Errno.EBADF;
  }
  stat(): FileStat {
    return pipeStat(this.pipe);
  }
  waiters(): Waiter[] {
    return this.pipe.readWaiters;
  }
  release(): void {
    this.pipe.closeEnd("read");
  }
}

/** The write end of a pipe, as file operations; constructing one opens the end. */
export class PipeWriteEnd implements FileOperations {
  readonly kind = "pipe-write";
  constructor(readonly pipe: Pipe) {
    pipe.writers++;
  }
  read(): number {
    return -Errno.EBADF;
  }
  write(bytes: Uint8Array): number | null {
    const n = this.pipe.write(bytes);
    return n === -1 ? -Errno.EPIPE : n;
  }
  stat(): FileStat {
    return pipeStat(this.pipe);
  }
  waiters(): Waiter[] {
    return this.pipe.writeWaiters;
  }
  release(): void {
    this.pipe.closeEnd("write");
  }
}

/** The console: writes are appended to an output log (a serial line, in effect); reads see EOF. */
export class Console implements FileOperations {
  readonly kind = "console";
  private readonly chunks: Uint8Array[] = [];
  private total = 0;

  /** End of file: the console has no input. */
  read(): Uint8Array {
    return new Uint8Array(0);
  }

  /** Append bytes written by a program. */
  write(bytes: Uint8Array): number {
    this.chunks.push(bytes.slice());
    this.total += bytes.length;
    return bytes.length;
  }

  /** A character device (Linux's `/dev/console` is 5:1). */
  stat(): FileStat {
    return { mode: FileType.S_IFCHR | 0o600, size: 0, ino: 0, nlink: 1 };
  }

  /** Everything written so far, as text (UTF-8). */
  text(): string {
    const all = new Uint8Array(this.total);
    let off = 0;
    for (const c of this.chunks) {
      all.set(c, off);
      off += c.length;
    }
    return new TextDecoder().decode(all);
  }
}

/**
 * One process's descriptor table, with a close-on-exec flag per descriptor (POSIX `FD_CLOEXEC`:
 * it belongs to the descriptor, so `dup` clears it and `fork` copies it).
 *
 * @example
 * ```ts
 * const t = new FdTable();
 * const fd = t.install(new OpenFile(new Console(), FileMode.READ_WRITE)); // 0
 * t.get(fd)?.kind; // "console"
 * ```
 */
export class FdTable {
  // Grows up to MAX_FDS slots as descriptors are opened (most processes use three).
  private readonly slots: (OpenFile | null)[] = [];
  private readonly cloexec: boolean[] = [];

  /** The open file behind `fd`, or `null` (EBADF). Accepts any number. */
  get(fd: number): OpenFile | null {
    return Number.isInteger(fd) && fd >= 0 && fd < this.slots.length ? this.slots[fd]! : null;
  }

  /**
   * Put `f` in the lowest free slot, taking a reference. Returns the fd, or -1 when full (EMFILE).
   * @param closeOnExec the descriptor's FD_CLOEXEC flag (default false, as `dup` leaves it).
   */
  install(f: OpenFile, closeOnExec = false): number {
    let fd = this.slots.indexOf(null);
    if (fd < 0) {
      if (this.slots.length >= MAX_FDS) return -1;
      fd = this.slots.length;
      this.slots.push(null);
      this.cloexec.push(false);
    }
    f.get();
    this.slots[fd] = f;
    this.cloexec[fd] = closeOnExec;
    return fd;
  }

  /** Whether `fd` is open with FD_CLOEXEC. */
  isCloseOnExec(fd: number): boolean {
    return this.get(fd) !== null && this.cloexec[fd] === true;
  }

  /** Number of free slots. */
  free(): number {
    let used = 0;
    for (const s of this.slots) if (s !== null) used++;
    return MAX_FDS - used;
  }

  /** Close `fd` (its description is released if that was its last reference). Returns false when it was not open. */
  close(fd: number): boolean {
    const f = this.get(fd);
    if (!f) return false;
    this.slots[fd] = null;
    this.cloexec[fd] = false;
    f.put();
    return true;
  }

  /** A copy sharing every open file, FD_CLOEXEC flags included (fork). */
  clone(): FdTable {
    const t = new FdTable();
    for (let i = 0; i < this.slots.length; i++) {
      const f = this.slots[i]!;
      f?.get();
      t.slots.push(f);
      t.cloexec.push(this.cloexec[i]!);
    }
    return t;
  }

  /** Close every FD_CLOEXEC descriptor, lowest first (exec, after its point of no return). */
  closeOnExec(): void {
    for (let i = 0; i < this.slots.length; i++) if (this.cloexec[i] === true) this.close(i);
  }

  /** Close everything, lowest first (exit). */
  closeAll(): void {
    for (let i = 0; i < this.slots.length; i++) this.close(i);
  }

  /** Open files with their fds, for invariant checks and inspectors. */
  entries(): [number, OpenFile][] {
    const out: [number, OpenFile][] = [];
    this.slots.forEach((f, i) => {
      if (f) out.push([i, f]);
    });
    return out;
  }
}

/**
 * Check the reference counts of every open file and pipe reachable from `tables`.
 * @throws KernelInvariantError describing the first mismatch.
 */
export function checkFileInvariants(tables: readonly FdTable[]): void {
  const refs = new Map<OpenFile, number>();
  for (const t of tables) for (const [, f] of t.entries()) refs.set(f, (refs.get(f) ?? 0) + 1);
  const ends = new Map<Pipe, { r: number; w: number }>();
  for (const [f, n] of refs) {
    if (f.released)
      throw new KernelInvariantError(`open ${f.kind} file is released but ${n} descriptors point at it`);
    if (f.refs !== n)
      throw new KernelInvariantError(
        `open ${f.kind} file has refs=${f.refs} but ${n} descriptors point at it`,
      );
    const ops = f.ops;
    if (ops instanceof PipeReadEnd || ops instanceof PipeWriteEnd) {
      const e = ends.get(ops.pipe) ?? { r: 0, w: 0 };
      if (ops instanceof PipeReadEnd) e.r++;
      else e.w++;
      ends.set(ops.pipe, e);
    }
  }
  for (const [p, e] of ends) {
    if (p.readers !== e.r || p.writers !== e.w) {
      throw new KernelInvariantError(
        `pipe has readers=${p.readers} writers=${p.writers}, open ends are ${e.r}/${e.w}`,
      );
    }
  }
}
