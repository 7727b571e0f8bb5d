/**
 * The per-process descriptor table, and the reference-count invariants of every open file and
 * pipe reachable from all tables.
 *
 * ```
 *   slots:   [ 0: OpenFile A | 1: OpenFile A | 2: null | 3: OpenFile B ]   grows up to MAX_FDS
 *   cloexec: [ false         | false         | false  | true          ]   FD_CLOEXEC per slot
 * ```
 *
 * A descriptor is the lowest free slot when allocated (POSIX `open`/`dup`); each slot holds one
 * reference on its description, so A above has refs = 2 if no other process shares it.
 *
 * Related: `files.ts` (`OpenFile` and its references), `pipe.ts`, `../kernel/lifecycle.ts` (fork
 * clones a table, exec closes FD_CLOEXEC slots, exit closes all).
 */
import { KernelInvariantError } from "../errors.js";
import type { OpenFile } from "./files.js";
import { type Pipe, PipeReadEnd, PipeWriteEnd } from "./pipe.js";

/** Descriptors per process (Linux's default RLIMIT_NOFILE is 1024; ours is smaller). */
export const MAX_FDS = 64;

/**
 * The open file descriptions that have entered a kernel's descriptor tables and are not released
 * yet: the leak check's view of open files (a reference count that never reaches 0 keeps a pipe
 * end open forever, with no frame or kernel object to show it). Released descriptions are
 * dropped lazily, when the ledger has doubled since the last sweep, so a long run holds
 * O(open descriptions) of them.
 *
 * @example
 * ```ts
 * const ledger = new OpenFileLedger();
 * const t = new FdTable(ledger);
 * t.install(new OpenFile(new Console(), FileMode.WRITE)); // fd 0
 * ledger.unreleased().length; // 1
 * t.close(0);
 * ledger.unreleased().length; // 0
 * ```
 */
export class OpenFileLedger {
  private readonly live = new Set<OpenFile>();
  private sweepAt = 64;

  /** `f` was installed in a table of this kernel (again: no effect). */
  note(f: OpenFile): void {
    if (this.live.has(f)) return;
    this.live.add(f);
    if (this.live.size >= this.sweepAt) this.sweep();
  }

  /** The descriptions not released yet, in the order they were first installed. */
  unreleased(): OpenFile[] {
    this.sweep();
    return [...this.live];
  }

  private sweep(): void {
    for (const f of this.live) if (f.released) this.live.delete(f);
    this.sweepAt = Math.max(64, 2 * this.live.size);
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

  /**
   * @param ledger where every description installed here (and in clones of this table) is noted,
   *   so the kernel's leak check can find one whose last reference never goes; `null`: none.
   */
  constructor(readonly ledger: OpenFileLedger | null = null) {}

  /** The open file behind `fd`, or `null` (EBADF). Accepts any number. */
  get(fd: number): OpenFile | null {
    return Number.isInteger(fd) && fd >= 0 && fd < this.slots.length ? this.slots[fd]! : null;
  }

  /**
   * Put `f` in the lowest free slot, taking a reference. Returns the fd, or -1 when full (EMFILE).
   * @param closeOnExec the descriptor's FD_CLOEXEC flag (default false, as `dup` leaves it).
   */
  install(f: OpenFile, closeOnExec = false): number {
    return this.installFrom(0, f, closeOnExec);
  }

  /**
   * Put `f` in the lowest free slot numbered `min` or more, taking a reference (`fcntl(F_DUPFD)`).
   * Returns the fd, or -1 when every slot from `min` to MAX_FDS-1 is taken (EMFILE).
   * @param min the lowest descriptor wanted, 0..MAX_FDS-1 (the caller has checked it: EINVAL).
   * @param closeOnExec the descriptor's FD_CLOEXEC flag (F_DUPFD_CLOEXEC sets it).
   */
  installFrom(min: number, f: OpenFile, closeOnExec = false): number {
    let fd = this.slots.indexOf(null, min);
    if (fd < 0) {
      fd = Math.max(min, this.slots.length);
      if (fd >= MAX_FDS) return -1;
      while (this.slots.length <= fd) {
        this.slots.push(null);
        this.cloexec.push(false);
      }
    }
    f.get();
    this.ledger?.note(f);
    this.slots[fd] = f;
    this.cloexec[fd] = closeOnExec;
    return fd;
  }

  /**
   * Put `f` at descriptor `fd` (dup2): whatever `fd` held is closed after `f` is in, so the same
   * description moved onto itself is never released on the way. FD_CLOEXEC is cleared, as dup2
   * leaves it. Returns `fd`, or -1 when `fd` is outside 0..MAX_FDS-1 (EBADF).
   */
  installAt(fd: number, f: OpenFile): number {
    if (!Number.isInteger(fd) || fd < 0 || fd >= MAX_FDS) return -1;
    f.get();
    this.ledger?.note(f);
    while (this.slots.length <= fd) {
      this.slots.push(null);
      this.cloexec.push(false);
    }
    const old = this.slots[fd]!;
    this.slots[fd] = f;
    this.cloexec[fd] = false;
    old?.put();
    return fd;
  }

  /** Whether `fd` is open with FD_CLOEXEC. */
  isCloseOnExec(fd: number): boolean {
    return this.get(fd) !== null && this.cloexec[fd] === true;
  }

  /**
   * Set or clear FD_CLOEXEC on `fd` (`fcntl(F_SETFD)`). Returns false when `fd` is not open.
   */
  setCloseOnExec(fd: number, on: boolean): boolean {
    if (this.get(fd) === null) return false;
    this.cloexec[fd] = on;
    return true;
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
    const t = new FdTable(this.ledger);
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
 * @param held references held outside any table, one entry per reference (a write blocked with its
 *   file: `Thread.ioFile`).
 * @throws KernelInvariantError describing the first mismatch.
 */
export function checkFileInvariants(tables: readonly FdTable[], held: readonly OpenFile[] = []): void {
  const refs = new Map<OpenFile, number>();
  for (const t of tables) for (const [, f] of t.entries()) refs.set(f, (refs.get(f) ?? 0) + 1);
  for (const f of held) refs.set(f, (refs.get(f) ?? 0) + 1);
  const ends = new Map<Pipe, { r: number; w: number }>();
  for (const [f, n] of refs) {
    if (f.released)
      throw new KernelInvariantError(`open ${f.kind} file is released but ${n} references point at it`);
    if (f.refs !== n)
      throw new KernelInvariantError(
        `open ${f.kind} file has refs=${f.refs} but ${n} descriptors and blocked writes point at it`,
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
