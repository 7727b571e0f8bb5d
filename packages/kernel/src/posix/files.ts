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
 * **Status flags.** A description also carries its {@link StatusFlags} (`O_APPEND`, `O_NONBLOCK`),
 * which POSIX puts there and not on the file (XBD 3.258): `open` sets them, `fcntl(F_SETFL)`
 * changes them for every descriptor that shares the description, and each `write` tells the
 * operations the flags of the moment, so a file never decides O_APPEND for itself.
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
 * long write remembers its progress across restarts (`Thread.ioProgress`), and so does a read that
 * takes bytes while it waits (`takeWhileWaiting`).
 *
 * Invariants (`checkFileInvariants`): a description's `refs` equals the number of descriptor slots,
 * in all tables, that point at it, and none reachable is released; a pipe's `readers`/`writers`
 * equal its live read/write-end descriptions; a descriptor is the lowest free slot when allocated
 * (POSIX `open`/`dup`), below `MAX_FDS`.
 *
 * Related: `pipe.ts` (the pipe ends), `fd-table.ts` (descriptor tables and `checkFileInvariants`),
 * `file-calls.ts` (read, write, lseek, fstat, pipe, close, dup), `../kernel/lifecycle.ts` (fork,
 * exec, exit).
 */
import { KernelArgumentError, KernelError, KernelStateError } from "../errors.js";
import type { TerminalControl } from "./tty.js";

/** Access of an open file description (Linux's `f_mode` bits `FMODE_READ`, `FMODE_WRITE`). */
export const FileMode = { READ: 1, WRITE: 2, READ_WRITE: 3 } as const;

/**
 * File status flags of an open file description (POSIX `<fcntl.h>`; Linux x86-64 values, octal as
 * in `<asm-generic/fcntl.h>`): what `open` sets and `fcntl(F_SETFL)` changes, and every descriptor
 * duplicated from the description (dup, fork, spawn) shares. They are the description's, not the
 * file's: two opens of one file can differ, and a change through one descriptor shows in its dups.
 *
 * | flag         | octal   | hex    | effect                                                                      |
 * | ------------ | ------- | ------ | --------------------------------------------------------------------------- |
 * | `O_APPEND`   | 0o2000  | 0x400  | each write first sets the offset to the end (the file is told: `write`'s flags) |
 * | `O_NONBLOCK` | 0o4000  | 0x800  | a read or write that would wait returns EAGAIN (or a short count) instead (the kernel's) |
 */
export const StatusFlags = { O_APPEND: 0o2000, O_NONBLOCK: 0o4000 } as const;
/** Every status flag this kernel keeps (`O_APPEND | O_NONBLOCK` = 0o6000): what F_SETFL can change. */
export const STATUS_FLAGS_MASK = StatusFlags.O_APPEND | StatusFlags.O_NONBLOCK;

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
  /**
   * Make the waiter runnable; its system call restarts. With `completes` (the waker knows the call
   * now finds what it waited for: a waitpid whose child has exited), the restarted call runs before
   * any pending signal is delivered, as a Linux call whose condition came true returns first and
   * the handler runs on the way out; otherwise a pending handler runs first and the call after it.
   */
  wakeToRetry(completes?: boolean): void;
  /** A waitpid waiter: the pid it waits for, -1 for any child, 0 for a group (absent on other wait lists). */
  readonly forPid?: number;
  /** A waitpid waiter for any child of a process group (pid 0 or < -1): the group. */
  readonly forPgid?: number;
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
   * @param now the simulated time of this call, in cycles (the kernel passes it; a file that does
   *   not time its reads ignores it).
   * @param since when this read first began, in cycles: a read that waited runs again with the
   *   same `since` (a terminal's VTIME read timer counts from it).
   * @param done bytes this read already took while it waited ({@link FileOperations.takeWhileWaiting}),
   *   0 for a file that takes none: they count toward what it waits for (a terminal's MIN), and
   *   `max` is what is left of the caller's buffer.
   */
  read(max: number, now?: number, since?: number, done?: number): Uint8Array | number | null;
  /**
   * For a read that must wait (`read` returned null): the bytes it takes now and keeps while it
   * waits on, up to `max` (possibly none) — a terminal's non-canonical read with MIN > 0, which
   * Linux's `n_tty_read` copies to the caller as they come. The kernel copies them to the caller
   * at once and counts them (`Thread.ioProgress`); a signal that interrupts the wait then ends
   * the read with that count, as n_tty_read returns the bytes copied before -ERESTARTSYS, and an
   * O_NONBLOCK read returns them instead of EAGAIN. Absent: a waiting read takes nothing.
   */
  takeWhileWaiting?(max: number): Uint8Array;
  /**
   * For a read that must wait (`read` returned null with this `now` and `since`): the time at
   * which it should run again even if nothing wakes it (a terminal's VTIME), or +Infinity (the
   * default when absent): wait for a waker only. A finite deadline must be after `now` (the
   * kernel parks the read until then and runs it again: one not after `now` would run it again at
   * once, and again); `fileOperationsLaws` checks it, and the kernel's read throws a
   * {@link FileContractError} naming the file and the times when it meets one.
   */
  readDeadline?(now: number, since: number, done?: number): number;
  /**
   * Write `bytes`. Returns the count taken (possibly fewer: the kernel then waits on
   * `waiters("write")` for room, or returns a short count when there is no such list), `null`
   * when nothing fits yet, or `-errno` (`-EPIPE` also raises SIGPIPE, as Linux's `pipe_write`).
   *
   * `flags` are the open file description's {@link StatusFlags} at this call (Linux's
   * `iocb->ki_flags` from `file->f_flags`): with `O_APPEND` a seekable file first moves its
   * position to its end (POSIX `write`) — unless `bytes` is empty: a write of 0 bytes to a regular
   * file returns 0 and changes nothing, neither position nor size. The file is told at every call, since `fcntl(F_SETFL)`
   * can change them between two writes; it must not keep its own copy from the open. A file with
   * no position (a pipe, a device) may ignore them. `O_NONBLOCK` is the kernel's business: it
   * turns a `null` into EAGAIN instead of waiting.
   */
  write(bytes: Uint8Array, flags: number): number | null;
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
  /**
   * Present when the file is a terminal: its job-control state (`tty.ts`). `read` then obeys the
   * background rule (SIGTTIN), and `tcsetpgrp`/`tcgetpgrp` accept the descriptor.
   */
  readonly tty?: TerminalControl | undefined;
}

/**
 * A file's operations broke their contract with the kernel — a defect in the file (a driver, a
 * student's file kind), not in the program that called it: for example a waiting read given a
 * deadline (`readDeadline`) at or before the time it was asked, which would park the read until a
 * moment already past and run it again at once, forever. `fileOperationsLaws` finds the same
 * defects without a kernel; this is the kernel refusing to spin on one it meets.
 * @example
 * ```ts
 * try { kernel.run(); } catch (e) { if (e instanceof FileContractError) console.error(e.message); }
 * ```
 */
export class FileContractError extends KernelError {
  constructor(message: string) {
    super("E_FILE_CONTRACT", message);
  }
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
  private status: number;

  /**
   * @param mode {@link FileMode} bits: which of read and write are allowed.
   * @param flags its {@link StatusFlags} (`O_APPEND`, `O_NONBLOCK`), as `open` was given them.
   *   Default 0.
   * @throws KernelArgumentError for a bit outside {@link STATUS_FLAGS_MASK}.
   */
  constructor(
    readonly ops: Ops,
    readonly mode: number,
    flags = 0,
  ) {
    this.status = checkStatusFlags(`new OpenFile(${ops.kind})`, flags);
  }

  /**
   * The description's {@link StatusFlags} (Linux's `f_flags & SETFL_MASK`), shared by every
   * descriptor that refers to it. Set by `fcntl(F_SETFL)`.
   * @throws KernelArgumentError (on set) for a bit outside {@link STATUS_FLAGS_MASK}; nothing changes.
   */
  get flags(): number {
    return this.status;
  }
  set flags(flags: number) {
    this.status = checkStatusFlags(`OpenFile(${this.kind}).flags`, flags);
  }

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

function checkStatusFlags(call: string, flags: number): number {
  if (!Number.isInteger(flags) || (flags & ~STATUS_FLAGS_MASK) !== 0 || flags < 0)
    throw new KernelArgumentError(
      `${call}: status flags 0o${flags.toString(8)} have bits outside O_APPEND | O_NONBLOCK (0o6000)`,
    );
  return flags;
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
