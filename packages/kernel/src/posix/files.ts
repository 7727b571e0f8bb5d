/**
 * File descriptors, open files, the console and pipes: the POSIX I/O the personality models.
 *
 * ```
 *   process A fd table            open files (shared by dup and fork)      objects
 *   ┌────┬────────────┐
 *   │ 0  │ ──────────────────────▶ { console, refs 2 } ───────────────────▶ console (output log)
 *   │ 1  │ ──────────────────────▶   (same open file)
 *   │ 3  │ ──────────────────────▶ { pipe read end, refs 1 } ─┐
 *   │ 4  │ ──────────────────────▶ { pipe write end, refs 2 } ┴──────────▶ Pipe (4 KiB ring, readers 1, writers 1)
 *   └────┴────────────┘                 ▲
 *   process B (forked) fd 4 ────────────┘
 * ```
 *
 * Invariants: an open file's `refs` equals the number of fd slots, in all tables, that point at
 * it; a pipe's `readers`/`writers` equal the number of open read/write ends; a descriptor number
 * is the lowest free slot when allocated (POSIX `open`/`dup`), below `MAX_FDS`.
 *
 * Blocking is the caller's: `read` and `write` return "would block", and the system call parks
 * the thread on the pipe's wait list and restarts when woken, as xv6's `piperead` sleeps in a loop.
 * A blocking write returns only when every byte is in (POSIX), so a long write remembers its
 * progress across restarts (`Thread.ioProgress`).
 *
 * Related: `syscalls.ts` (read, write, pipe, close, dup).
 */
import { KernelInvariantError } from "../errors.js";

/** Descriptors per process (Linux's default RLIMIT_NOFILE is 1024; ours is smaller). */
export const MAX_FDS = 64;
/** Bytes a pipe buffers (Linux: 16 pages; xv6: 512 bytes). */
export const PIPE_BUF_SIZE = 4096;
/** Writes up to this size are atomic (POSIX PIPE_BUF; Linux: 4096). */
export const PIPE_BUF = 4096;

/** A parked thread, as the files layer sees it: something to wake. */
export interface Waiter {
  /** Make the waiter runnable; its system call restarts. */
  wakeToRetry(): void;
}

/**
 * A unidirectional byte stream with a bounded ring buffer.
 *
 * @example
 * ```ts
 * const p = new Pipe();
 * p.write(new Uint8Array([1, 2, 3]));   // 3
 * p.read(2);                            // Uint8Array [1, 2]
 * ```
 */
export class Pipe {
  private readonly buf = new Uint8Array(PIPE_BUF_SIZE);
  private head = 0;
  private count = 0;
  /** Open read ends. */
  readers = 0;
  /** Open write ends. */
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

  /** One end closed: wake whoever waits for that. */
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

/** The console: writes are appended to an output log (a serial line, in effect); reads see EOF. */
export class Console {
  private readonly chunks: Uint8Array[] = [];
  private total = 0;

  /** Append bytes written by a program. */
  write(bytes: Uint8Array): number {
    this.chunks.push(bytes.slice());
    this.total += bytes.length;
    return bytes.length;
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

/** What a descriptor designates: an open file description (shared by dup and fork). */
export type OpenFile =
  | { readonly kind: "console"; readonly console: Console; refs: number }
  | { readonly kind: "pipe-read"; readonly pipe: Pipe; refs: number }
  | { readonly kind: "pipe-write"; readonly pipe: Pipe; refs: number };

/** Drop one reference to an open file; the last one closes the pipe end behind it. */
export function releaseFile(f: OpenFile): void {
  f.refs--;
  if (f.refs > 0) return;
  if (f.kind === "pipe-read") f.pipe.closeEnd("read");
  else if (f.kind === "pipe-write") f.pipe.closeEnd("write");
}

/**
 * One process's descriptor table.
 *
 * @example
 * ```ts
 * const t = new FdTable();
 * const fd = t.install({ kind: "console", console: new Console(), refs: 0 }); // 0
 * t.get(fd)?.kind; // "console"
 * ```
 */
export class FdTable {
  // Grows up to MAX_FDS slots as descriptors are opened (most processes use three).
  private readonly slots: (OpenFile | null)[] = [];

  /** The open file behind `fd`, or `null` (EBADF). Accepts any number. */
  get(fd: number): OpenFile | null {
    return Number.isInteger(fd) && fd >= 0 && fd < this.slots.length ? this.slots[fd]! : null;
  }

  /** Put `f` in the lowest free slot, taking a reference. Returns the fd, or -1 when full (EMFILE). */
  install(f: OpenFile): number {
    let fd = this.slots.indexOf(null);
    if (fd < 0) {
      if (this.slots.length >= MAX_FDS) return -1;
      fd = this.slots.length;
      this.slots.push(null);
    }
    this.slots[fd] = f;
    f.refs++;
    return fd;
  }

  /** Number of free slots. */
  free(): number {
    return MAX_FDS - this.slots.filter((s) => s !== null).length;
  }

  /** Close `fd`. Returns false when it was not open. */
  close(fd: number): boolean {
    const f = this.get(fd);
    if (!f) return false;
    this.slots[fd] = null;
    releaseFile(f);
    return true;
  }

  /** A copy sharing every open file (fork). */
  clone(): FdTable {
    const t = new FdTable();
    for (let i = 0; i < this.slots.length; i++) {
      const f = this.slots[i]!;
      t.slots.push(f);
      if (f) f.refs++;
    }
    return t;
  }

  /** Close everything (exit). */
  closeAll(): void {
    for (let i = 0; i < this.slots.length; i++) this.close(i);
  }

  /** Open files with their fds, for invariant checks. */
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
    if (f.refs !== n)
      throw new KernelInvariantError(
        `open ${f.kind} file has refs=${f.refs} but ${n} descriptors point at it`,
      );
    if (f.kind !== "console") {
      const e = ends.get(f.pipe) ?? { r: 0, w: 0 };
      if (f.kind === "pipe-read") e.r++;
      else e.w++;
      ends.set(f.pipe, e);
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
