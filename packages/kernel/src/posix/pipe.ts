/**
 * Pipes: a 4 KiB ring buffer shared by a read end and a write end, each an open file's
 * operations (xv6's `pipe.c`; Linux's `fs/pipe.c` with one page-sized buffer).
 *
 * ```
 *   head ─┐        count bytes          write appends at (head + count) mod 4096
 *   buf: [ ......XXXXXXXXXXXX........ ]  read takes from head
 *   readers / writers = live read-end / write-end descriptions
 * ```
 *
 * Worked: with head = 4000 and count = 90, the next byte written lands at (4000 + 90) mod 4096 =
 * 4090 and the one after at 4091, … 4095, 0, 1; a read of 100 returns the 90 bytes and leaves head
 * at (4000 + 90) mod 4096 = 4090.
 *
 * Rules (POSIX `read`/`write` on a pipe): a read of an empty pipe would block while a writer
 * remains and returns end of file (0 bytes) once none does; a write of at most {@link PIPE_BUF}
 * bytes is atomic — all of it or nothing — and a longer one takes what fits; a write with no
 * reader left fails with EPIPE (the system call raises SIGPIPE). Waiters are woken to retry, never
 * handed data.
 *
 * Related: `files.ts` (`FileOperations`, `OpenFile`), `fd-table.ts` (reader/writer counts are
 * checked there), `file-calls.ts` (`pipe`, `read`, `write`).
 */
import { Errno } from "../syscalls/errno.js";
import { type FileOperations, type FileStat, FileType, type Waiter } from "./files.js";

/** Bytes a pipe buffers (Linux: 16 pages; xv6: 512 bytes). */
export const PIPE_BUF_SIZE = 4096;
/** Writes up to this size are atomic (POSIX PIPE_BUF; Linux: 4096). */
export const PIPE_BUF = 4096;

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
    // A write of nothing succeeds before anything else is looked at, readers or not (POSIX leaves
    // a 0-byte write to a FIFO unspecified; Linux's pipe_write returns 0 first: no EPIPE, no SIGPIPE).
    if (bytes.length === 0) return 0;
    if (this.readers === 0) return -1;
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

/**
 * What fstat reports for either end. `st_size` is the bytes buffered: POSIX leaves it unspecified
 * for a FIFO, the BSDs report this, Linux reports 0; the buffered count is the one a student can
 * watch change.
 */
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
