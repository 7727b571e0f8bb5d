/**
 * Laws of {@link FileOperations}: what any kind of open file — the console, a pipe end, a file
 * system's file, a student's device — must keep so the kernel's read, write, lseek and fstat can
 * drive it without knowing it. Each law builds fresh files from the factory and drives them with
 * random call sequences (fast-check).
 *
 * | law | why the kernel needs it |
 * | --- | --- |
 * | results are in the raw-syscall convention | a count/bytes, `null` (would block) or -1..-4095 |
 * | a read returns at most `max` bytes | the kernel copies what it gets into a buffer of `max` |
 * | a write takes at most what it was given | the kernel advances a blocked write's progress by it |
 * | "would block" comes with a wait list | the kernel parks the thread there; no list: EAGAIN |
 * | a waiting read's deadline (`readDeadline`) is after now | the kernel parks the read until then and runs it again (a terminal's VTIME): one not after now would run it again at once, forever |
 * | a seekable file's position is what lseek said | `lseek(0, SEEK_CUR)` reports, never moves |
 * | stat has a file type and a size ≥ 0 | fstat writes them into `struct stat` |
 * | a regular file is an array of bytes | POSIX `read`/`write`/`lseek`: bytes read back as written, holes as zeros, 0 bytes at the end; O_APPEND as each write's flags say |
 * | release gives back what the file held | the last close (Linux `fput` → `->release`); nothing is called on the file after it |
 * | a waiting read's `takeWhileWaiting` takes at most the room left, and the read that goes on is told them (`done`) and returns at most the room still left | the kernel copies what it takes into the caller's buffer at once and calls read again with `max − done` and `done`; a read with no room left returns at once |
 * | with {@link FileLawOptions.feed}: the bytes a reader gets — taken while waiting and returned — are the bytes fed, in order, each once | the kernel counts the taken bytes as the caller's (`Thread.ioProgress`): a signal ends the read with them, so a file that peeks instead of taking hands them out twice |
 *
 * The last law applies to files whose stat says S_IFREG and that have an lseek. It checks them
 * against a model that learns the file's bytes as it reads them (a file may start with content):
 *
 * ```
 *   write n at pos:  lands at pos — at the end if and only if told O_APPEND and n > 0 (a 0-byte
 *                    write has no other results, POSIX write) — position = at + n,
 *                    size = max(size, at + n), bytes between the old end and `at` read as zeros (a
 *                    hole; none for n = 0: nothing is written, the size stays)
 *   read max at pos: exactly min(max, size - pos) bytes (0 at or past the end), those written there
 *   lseek(o, w):     SET → o, CUR → pos + o, END → size + o; a negative result is EINVAL and moves nothing
 *   never:           null or EAGAIN — a regular file is always ready (POSIX read, select)
 * ```
 *
 * Reads are called as the kernel calls them, told the time and when the read began (a clock of the
 * laws' own that moves on by up to 0.3 s before each read, and a read up to 0.3 s old), so a file
 * that times its reads is driven across its timers; a file that ignores both arguments is unaffected.
 *
 * Its calls are drawn so that reads land on data (writes of 1..600 bytes, seeks inside a file of a
 * few KiB or just past its end): a read one byte short is found within 30 runs.
 *
 * O_APPEND is a status flag of the open file description (POSIX XBD 3.258, `fcntl` F_SETFL), not
 * of the file: the kernel tells `write` the flags of each call, and the laws do the same. Unless
 * {@link FileLawOptions.append} fixes it, each write draws O_APPEND afresh, as a program that sets
 * and clears it with `fcntl(F_SETFL)` between writes would; a file that decides from what it was
 * opened with, rather than from the flags it is given, is caught.
 *
 * The last two laws drive reads as the kernel's read(2) does (`posix/file-calls.ts`): a read that
 * returns null is handed what `takeWhileWaiting` takes (when the file has it), its deadline is
 * asked with that count, and it runs again later with the same start, `max − done` and `done`,
 * until it returns, or a signal ends it with the bytes taken:
 *
 * ```
 *   read(room − done, now, since, done) ── null ──▶ takeWhileWaiting(room − done) → k bytes (k ≤ room − done)
 *        ▲                                          done += k; readDeadline(now, since, done) > now
 *        └──── runs again later (a waker, the deadline) ◀──┘        signal: the read ends with done
 * ```
 *
 * Related: `../posix/files.ts` (the interface and the console), `../posix/pipe.ts` (the pipe ends).
 */
import fc from "fast-check";
import { type FileOperations, StatusFlags, type Waiter } from "../posix/files.js";
import { Whence } from "../posix/table.js";
import { Errno, MAX_ERRNO } from "../syscalls/errno.js";
import type { Law, LawOptions } from "./law.js";

/** `st_mode` bits that name the file type (S_IFMT). */
const S_IFMT = 0o170000;
/** `st_mode` type of a regular file (S_IFREG). */
const S_IFREG = 0o100000;

type Op =
  /**
   * `after`: cycles the law's clock moves on before the call; `waited`: how long the read has been
   * under way (the kernel tells a read the time and when it first began, `FileOperations.read`).
   */
  | { readonly kind: "read"; readonly max: number; readonly after?: number; readonly waited?: number }
  /** `append`: the write is told O_APPEND (its description's flag at the call). */
  | { readonly kind: "write"; readonly bytes: Uint8Array; readonly append: boolean }
  | { readonly kind: "seek"; readonly offset: number; readonly whence: number };

/**
 * The largest step of the laws' clock and of a read's age, in cycles: 0.3 s at the nominal 1 GHz,
 * three tenths (VTIME's unit) — a terminal's read timer both runs out and does not.
 */
const READ_CLOCK_STEP = 300_000_000;

const op: fc.Arbitrary<Op> = fc.oneof(
  fc
    .tuple(fc.nat(9000), fc.nat(READ_CLOCK_STEP), fc.nat(READ_CLOCK_STEP))
    .map(([max, after, waited]) => ({ kind: "read" as const, max, after, waited })),
  fc
    .tuple(fc.uint8Array({ maxLength: 6000 }), fc.boolean())
    .map(([bytes, append]) => ({ kind: "write" as const, bytes, append })),
  fc
    .tuple(fc.integer({ min: -100, max: 10_000 }), fc.integer({ min: 0, max: 2 }))
    .map(([offset, whence]) => ({ kind: "seek" as const, offset, whence })),
);

/**
 * `n` bytes that differ from their neighbours (`seed`, then steps of 37 mod 256: a byte dropped,
 * duplicated or moved shows). Drawn from two numbers rather than as an array of `n` random bytes,
 * so that shrinking a failure takes a moment, not minutes.
 */
const pattern = ([n, seed]: [number, number]): Uint8Array => {
  const out = new Uint8Array(n);
  for (let i = 0; i < n; i++) out[i] = (seed + 37 * i) & 0xff;
  return out;
};

/**
 * Calls for the regular-file law, drawn so that reads land on data: writes of 1..600 bytes (a few
 * empty ones), seeks that mostly stay inside a file of a few KiB or go a little past its end (a
 * following write leaves a hole), reads of up to 1200 bytes. fast-check's default sizes draw
 * files of a few bytes, where a read that drops a byte is rarely seen; 6000-byte writes find it
 * too but shrink for minutes.
 */
const regularOp: fc.Arbitrary<Op> = fc.oneof(
  { weight: 3, arbitrary: fc.nat(1200).map((max) => ({ kind: "read" as const, max })) },
  {
    weight: 3,
    arbitrary: fc
      .tuple(
        fc.oneof(
          { weight: 9, arbitrary: fc.tuple(fc.integer({ min: 1, max: 600 }), fc.nat(255)).map(pattern) },
          { weight: 1, arbitrary: fc.constant(new Uint8Array(0)) },
        ),
        fc.boolean(),
      )
      .map(([bytes, append]) => ({ kind: "write" as const, bytes, append })),
  },
  {
    weight: 3,
    arbitrary: fc.oneof(
      fc.nat(2000).map((offset) => ({ kind: "seek" as const, offset, whence: Whence.SEEK_SET })),
      fc
        .integer({ min: -700, max: 700 })
        .map((offset) => ({ kind: "seek" as const, offset, whence: Whence.SEEK_CUR })),
      fc
        .integer({ min: -900, max: 300 })
        .map((offset) => ({ kind: "seek" as const, offset, whence: Whence.SEEK_END })),
    ),
  },
);

const isErrno = (r: number): boolean => Number.isInteger(r) && r < 0 && r >= -MAX_ERRNO;
/** EAGAIN (= EWOULDBLOCK on Linux): the non-blocking spelling of "would block". */
const EAGAIN = Errno.EAGAIN;

/** The laws' simulated clock (cycles), one per run: reads are told the time as the kernel tells them. */
interface LawClock {
  now: number;
}

/**
 * Run `op` on `f`, throwing at the first broken law. Returns the direction the call would block
 * in (it returned `null`, and `f` has that wait list), or `null`. A read is called as the kernel
 * calls it, with the time and when it began; one that would block must have a read wait list
 * and, when the file gives waiting reads a deadline, a deadline after now.
 */
function apply(f: FileOperations, o: Op, clock: LawClock): "read" | "write" | null {
  const name = `${f.kind}.${o.kind}`;
  let blocked: "read" | "write" | null = null;
  if (o.kind === "read") {
    clock.now += o.after ?? 0;
    const now = clock.now;
    const since = Math.max(0, now - (o.waited ?? 0));
    const r = f.read(o.max, now, since);
    if (r === null) {
      blocked = "read";
      if (f.waiters?.("read") === undefined)
        throw new Error(`${name}(${o.max}): would block, but has no read wait list`);
      const d = f.readDeadline?.(now, since) ?? Number.POSITIVE_INFINITY;
      if (!(d > now))
        throw new Error(
          `${name}(${o.max}) at cycle ${now}, begun at ${since}: would block, and readDeadline(${now}, ${since}) returned ${d}, not after now — the kernel parks the read until then and runs it again, so it would run again at once, and again; a deadline is a later time, or +Infinity for none`,
        );
    } else if (typeof r === "number") {
      if (!isErrno(r)) throw new Error(`${name}(${o.max}) returned ${r}: not bytes, null or -errno`);
    } else if (!(r instanceof Uint8Array) || r.length > o.max) {
      throw new Error(`${name}(${o.max}) returned ${String(r?.length)} bytes: more than asked`);
    }
  } else if (o.kind === "write") {
    const r = f.write(o.bytes, o.append ? StatusFlags.O_APPEND : 0);
    if (r === null) {
      blocked = "write";
      if (f.waiters?.("write") === undefined)
        throw new Error(`${name}(${o.bytes.length} bytes): would block, but has no write wait list`);
    } else if (!(Number.isInteger(r) && (isErrno(r) || (r >= 0 && r <= o.bytes.length)))) {
      throw new Error(`${name}(${o.bytes.length} bytes) returned ${r}: not a count of them or -errno`);
    }
  } else if (f.lseek !== undefined) {
    const r = f.lseek(o.offset, o.whence);
    if (!Number.isSafeInteger(r) || (r < 0 && !isErrno(r)))
      throw new Error(`${name}(${o.offset}, ${o.whence}) returned ${r}: not a position or -errno`);
    if (r >= 0) {
      const here = f.lseek(0, Whence.SEEK_CUR);
      if (here !== r) throw new Error(`${name}: lseek said ${r}, then SEEK_CUR says ${here}`);
    }
  }
  const st = f.stat();
  if ((st.mode & S_IFMT) === 0)
    throw new Error(`${f.kind}.stat(): mode 0o${st.mode.toString(8)} has no file type`);
  if (!Number.isSafeInteger(st.size) || st.size < 0) throw new Error(`${f.kind}.stat(): size ${st.size}`);
  return blocked;
}

/** A read the kernel keeps going (it waited): its buffer, start and the bytes it took while waiting. */
interface PendingRead {
  readonly room: number;
  readonly since: number;
  done: number;
}

/** One step of the read-as-the-kernel-does laws. */
type ReaderOp =
  /** A read(2) of `max` bytes, or the waiting read running again (then `max` is not used). */
  | { readonly kind: "read"; readonly max: number; readonly after: number }
  /** The host delivers `bytes` to the file ({@link FileLawOptions.feed}). */
  | { readonly kind: "feed"; readonly bytes: Uint8Array }
  /** A signal ends the waiting read with the bytes it took (Kernel.endPartialCall) or EINTR. */
  | { readonly kind: "signal" };

/** What the laws feed: lowercase letters and newlines, input a terminal passes on unchanged. */
const fedByte = fc.oneof({ weight: 8, arbitrary: fc.integer({ min: 0x61, max: 0x7a }) }, fc.constant(0x0a));

/**
 * Steps of the reader laws: mostly small reads and a few bytes fed at a time, so that a read waits
 * with some bytes taken and its buffer is smaller than what comes next (where a read that forgets
 * what it took returns too much).
 */
const readerOp = (feeds: boolean): fc.Arbitrary<ReaderOp> =>
  fc.oneof(
    {
      weight: 4,
      arbitrary: fc
        .tuple(fc.oneof({ weight: 3, arbitrary: fc.nat(8) }, fc.nat(40)), fc.nat(READ_CLOCK_STEP / 2))
        .map(([max, after]) => ({ kind: "read" as const, max, after })),
    },
    { weight: 1, arbitrary: fc.constant({ kind: "signal" as const }) },
    {
      weight: feeds ? 4 : 0,
      arbitrary: fc
        .oneof(
          { weight: 3, arbitrary: fc.array(fedByte, { minLength: 1, maxLength: 3 }) },
          fc.array(fedByte, { minLength: 1, maxLength: 16 }),
        )
        .map((b) => ({ kind: "feed" as const, bytes: Uint8Array.from(b) })),
    },
  );

/** A reader as the kernel drives one: what it got so far, and the read that waits, if any. */
interface Reader {
  pending: PendingRead | null;
  /** Every byte handed to the caller: taken while waiting, or returned. */
  readonly got: number[];
}

/**
 * One read step, as `posix/file-calls.ts` makes it: a read told the room left and the bytes taken
 * so far; when it would block, `takeWhileWaiting` of the room left, then `readDeadline` with the
 * new count. Throws at the first broken rule.
 */
function kernelRead(f: FileOperations, o: { max: number; after: number }, r: Reader, clock: LawClock): void {
  clock.now += o.after;
  const now = clock.now;
  const p = r.pending;
  const room = p?.room ?? o.max;
  const since = p?.since ?? now;
  const done = p?.done ?? 0;
  const left = room - done;
  const call = `${f.kind}.read(${left}, now ${now}, since ${since}, done ${done})`;
  const res = f.read(left, now, since, done);
  if (res === null) {
    if (left === 0)
      throw new Error(
        `${call}: would block with no room left — the read took ${done} bytes while it waited and they fill the caller's buffer (${room}), so it must return now (a read of 0 bytes never waits)`,
      );
    if (f.waiters?.("read") === undefined) throw new Error(`${call}: would block, but has no read wait list`);
    const taken = f.takeWhileWaiting?.(left);
    let total = done;
    if (taken !== undefined) {
      if (!(taken instanceof Uint8Array) || taken.length > left)
        throw new Error(
          `${f.kind}.takeWhileWaiting(${left}) returned ${String(taken?.length)} bytes: more than the room left in the caller's buffer (${room} asked, ${done} taken already) — the kernel copies them into it at once`,
        );
      for (const b of taken) r.got.push(b);
      total += taken.length;
    }
    const d = f.readDeadline?.(now, since, total) ?? Number.POSITIVE_INFINITY;
    if (!(d > now))
      throw new Error(
        `${call}: would block, and readDeadline(${now}, ${since}, ${total}) returned ${d}, not after now`,
      );
    r.pending = { room, since, done: total };
    return;
  }
  r.pending = null;
  if (typeof res === "number") {
    if (!isErrno(res)) throw new Error(`${call} returned ${res}: not bytes, null or -errno`);
    return;
  }
  if (!(res instanceof Uint8Array) || res.length > left)
    throw new Error(
      `${call} returned ${String(res?.length)} bytes: more than the room left (${room} asked, ${done} taken while it waited) — the kernel copies them after the ${done}`,
    );
  for (const b of res) r.got.push(b);
}

/** A stand-in for a thread the kernel parked on a file's wait list: waking it does nothing. */
const parkedProbe = (): Waiter => ({ wakeToRetry: () => {} });

/** What the regular-file law knows of a file: its size, position and the bytes seen or written. */
interface RegularModel {
  size: number;
  pos: number;
  /** O_APPEND for every write (true), for none (false), or as each write draws it (undefined). */
  readonly append: boolean | undefined;
  /** Byte at each offset, or -1 when not known yet (content the file started with). */
  readonly bytes: number[];
}

/** The byte at `i` in the model (-1: not known yet). */
const byteAt = (m: RegularModel, i: number): number => m.bytes[i] ?? -1;

/** Run `o` on regular file `f` and compare with model `m`, throwing at the first difference. */
function applyRegular(f: FileOperations, m: RegularModel, o: Op): void {
  const where = `${f.kind} (size ${m.size}, position ${m.pos})`;
  const seek = f.lseek!.bind(f);
  if (o.kind === "read") {
    const r = f.read(o.max);
    // POSIX read/select: a regular file is always ready; only pipes, FIFOs and devices wait.
    if (r === null || r === -EAGAIN)
      throw new Error(
        `${where}: read(${o.max}) returned ${r === null ? 'null ("would block")' : "-EAGAIN"}, but a regular file never blocks (POSIX read: regular files are always ready)`,
      );
    if (typeof r === "number") return; // an error (EACCES, EBADF...) moves nothing
    const want = Math.max(0, Math.min(o.max, m.size - m.pos));
    if (r.length !== want)
      throw new Error(`${where}: read(${o.max}) returned ${r.length} bytes, expected ${want}`);
    for (let i = 0; i < r.length; i++) {
      const known = byteAt(m, m.pos + i);
      if (known >= 0 && r[i] !== known)
        throw new Error(
          `${where}: read(${o.max}) byte ${i} is ${r[i]}, but ${known} was written at ${m.pos + i}`,
        );
      m.bytes[m.pos + i] = r[i]!;
    }
    m.pos += r.length;
    const here = seek(0, Whence.SEEK_CUR);
    if (here !== m.pos) throw new Error(`${where}: after reading ${r.length} bytes the position is ${here}`);
  } else if (o.kind === "write") {
    const append = m.append ?? o.append;
    const n = f.write(o.bytes, append ? StatusFlags.O_APPEND : 0);
    if (n === null || n === -EAGAIN)
      throw new Error(
        `${where}: write(${o.bytes.length} bytes) returned ${n === null ? 'null ("would block")' : "-EAGAIN"}, but a regular file never blocks (POSIX write)`,
      );
    if (n < 0) return; // an error (EBADF, ENOSPC...) moves nothing
    const here = seek(0, Whence.SEEK_CUR);
    const at = here - n;
    // POSIX write: the bytes land at the position, or — O_APPEND — the position is first set to
    // the end of the file; either way it ends just past them. A write of 0 bytes to a regular file
    // "shall return zero and have no other results": O_APPEND moves nothing (Linux's
    // generic_write_checks returns before it sets the position to the end).
    const want = append && o.bytes.length > 0 ? m.size : m.pos;
    if (at !== want) {
      const wrote = `write(${o.bytes.length} bytes) took ${n} and left the position at ${here}`;
      throw new Error(
        append
          ? `${where}: written with O_APPEND, but write(${o.bytes.length} bytes) landed at ${at}, not at the end (${m.size}) (POSIX write: O_APPEND sets the offset to the end before each write; the flag is write's argument, not the file's: fcntl F_SETFL changes it — write(bytes, flags) with flags & StatusFlags.O_APPEND; a file system without O_APPEND runs the laws with FileLawOptions.append: false)`
          : at === m.size
            ? `${where}: ${wrote}: it went to the end of the file, but this write was not told O_APPEND (flags 0): it must land at the position ${m.pos} (POSIX write; the flags argument says whether the description has O_APPEND now, whatever the file was opened with: fcntl F_SETFL changes it)`
            : `${where}: ${wrote}: it landed at ${at}, not at the position ${m.pos} (POSIX write)`,
      );
    }
    if (o.bytes.length > 0) {
      for (let i = m.size; i < at; i++) m.bytes[i] = 0; // a hole reads as zeros
      for (let i = 0; i < n; i++) m.bytes[at + i] = o.bytes[i]!;
      m.size = Math.max(m.size, at + n);
    } // else 0 bytes past the end make no hole: the size stays (no other results)
    m.pos = here;
  } else {
    const base = o.whence === Whence.SEEK_SET ? 0 : o.whence === Whence.SEEK_CUR ? m.pos : m.size;
    const want = base + o.offset;
    const r = seek(o.offset, o.whence);
    if (want < 0) {
      if (r >= 0) throw new Error(`${where}: lseek(${o.offset}, ${o.whence}) returned ${r}, expected EINVAL`);
    } else if (r !== want) {
      throw new Error(`${where}: lseek(${o.offset}, ${o.whence}) returned ${r}, expected ${want}`);
    } else m.pos = r;
    const here = seek(0, Whence.SEEK_CUR);
    if (here !== m.pos)
      throw new Error(`${where}: lseek(${o.offset}, ${o.whence}) left the position at ${here}`);
  }
  const size = f.stat().size;
  if (size !== m.size) throw new Error(`${where}: stat() says size ${size} after ${o.kind}`);
}

/** Options of {@link fileOperationsLaws}: the shared {@link LawOptions} and how the files were opened. */
export interface FileLawOptions extends LawOptions {
  /**
   * Whether the laws' writes carry O_APPEND (`write(bytes, StatusFlags.O_APPEND)`: every write
   * lands at the end, POSIX `write`): `true` for every write, `false` for none. Default: drawn
   * afresh for each write, as `fcntl(F_SETFL)` may set and clear it between two writes, so a file
   * that decides O_APPEND from anything but the flags it is given fails. (Before the flag moved
   * to the open file description, the default read the file's own `append` field; the laws no
   * longer ask the file.)
   */
  readonly append?: boolean;
  /**
   * How much of a shared resource the files hold, as a number the laws can compare: open counts
   * of inodes, frames in use, bytes buffered (`() => fs.openCount`). With it, the release law
   * checks that `release()` gives back everything the factory's file took: the value after is the
   * value before the factory ran. Default: none, and that law only checks that `release()` runs,
   * once, after any calls (with threads parked on the file's wait lists), without throwing.
   */
  readonly held?: () => number;
  /**
   * How the host delivers input to a file the factory made (`(file, bytes) => tty.hostInput(…)`:
   * a terminal's typing). With it, the stream law feeds lowercase letters and newlines between
   * reads driven as the kernel drives them and checks that the reader gets them in order, each
   * once, whether returned by a read or taken while it waited (`takeWhileWaiting`). Default: none,
   * and that law is skipped.
   */
  readonly feed?: (file: FileOperations, bytes: Uint8Array) => void;
}

/**
 * The laws of a {@link FileOperations} implementation.
 *
 * @param factory makes a fresh file (and whatever it needs: a pipe, a file system) per run; the
 * laws call its `release()` (when it has one) once at the end of each run, as the kernel does when
 * the last descriptor goes. For the two ends of a pipe driven together, see {@link pipeLaws}.
 * @param opts runs, seed, and whether every write carries O_APPEND ({@link FileLawOptions}).
 * @example
 * ```ts
 * for (const law of fileOperationsLaws(() => new Console())) it(law.name, () => law.check());
 * // A file system's file; its writes are told O_APPEND or not, as drawn:
 * for (const law of fileOperationsLaws(() => openMyFile("/log"))) it(law.name, () => law.check());
 * ```
 */
export function fileOperationsLaws(factory: () => FileOperations, opts: FileLawOptions = {}): Law[] {
  // includeErrorInReport: the broken law's own message shows in the failure, not only the counterexample.
  const params = {
    numRuns: opts.numRuns ?? 100,
    includeErrorInReport: true,
    ...(opts.seed === undefined ? {} : { seed: opts.seed }),
  };
  return [
    {
      name: "file operations: any sequence of read, write and lseek keeps the raw-syscall contract, and stat stays well formed",
      check: () =>
        fc.assert(
          fc.property(fc.array(op, { maxLength: 30 }), (ops) => {
            const f = factory();
            const clock: LawClock = { now: 0 };
            for (const o of ops) apply(f, o, clock);
            f.release?.();
          }),
          params,
        ),
    },
    {
      name: "file operations: a read of 0 bytes never blocks, and a write of 0 bytes takes 0 (or fails)",
      check: () =>
        fc.assert(
          fc.property(fc.array(op, { maxLength: 10 }), (ops) => {
            const f = factory();
            const clock: LawClock = { now: 0 };
            for (const o of ops) apply(f, o, clock);
            const r = f.read(0);
            if (r === null) throw new Error(`${f.kind}.read(0) would block`);
            if (r instanceof Uint8Array && r.length !== 0)
              throw new Error(`${f.kind}.read(0) returned bytes`);
            const w = f.write(new Uint8Array(0), 0);
            if (w !== null && w > 0) throw new Error(`${f.kind}.write(0 bytes) returned ${w}`);
            f.release?.();
          }),
          params,
        ),
    },
    {
      name: "file operations: a regular file is an array of bytes — reads return what was written there, zeros in holes and 0 bytes at the end, and never block; writes land at the position (at the end when told O_APPEND) and move it by their count",
      check: () =>
        fc.assert(
          fc.property(fc.array(regularOp, { minLength: 1, maxLength: 30, size: "max" }), (ops) => {
            const f = factory();
            if ((f.stat().mode & S_IFMT) !== S_IFREG || f.lseek === undefined) {
              f.release?.();
              return; // not a regular file: the law says nothing about it
            }
            const pos = f.lseek(0, Whence.SEEK_CUR);
            const m: RegularModel = { size: f.stat().size, pos, append: opts.append, bytes: [] };
            for (const o of ops) applyRegular(f, m, o);
            f.release?.();
          }),
          params,
        ),
    },
    {
      name: "file operations: release() — the last close — runs once after any calls, threads parked or not, and gives back everything the file held",
      check: () =>
        fc.assert(
          fc.property(fc.array(op, { maxLength: 20 }), (ops) => {
            const before = opts.held?.();
            const f = factory();
            const clock: LawClock = { now: 0 };
            for (const o of ops) {
              // Park a stand-in thread where the kernel would park the caller.
              const blocked = apply(f, o, clock);
              if (blocked !== null) f.waiters?.(blocked)?.push(parkedProbe());
            }
            const during = opts.held?.();
            f.release?.();
            const after = opts.held?.();
            // Linux: the last fput calls ->release, which frees the file's private data; the
            // kernel calls nothing on the file after it (OpenFile refuses get() once released).
            if (after !== before)
              throw new Error(
                `${f.kind}.release(): held() is ${after} after it, ${before} before the file was made (${during} while open): release must give back everything the file took`,
              );
          }),
          params,
        ),
    },
    {
      name: "file operations: a waiting read's takeWhileWaiting takes at most the room left, and the read that goes on, told the bytes taken, returns at most the room still left (none left: at once)",
      check: () =>
        fc.assert(
          fc.property(fc.array(readerOp(opts.feed !== undefined), { maxLength: 30, size: "max" }), (ops) => {
            const f = factory();
            const clock: LawClock = { now: 0 };
            const r: Reader = { pending: null, got: [] };
            for (const o of ops) {
              if (o.kind === "read") kernelRead(f, o, r, clock);
              else if (o.kind === "signal") r.pending = null;
              else opts.feed?.(f, o.bytes);
            }
            f.release?.();
          }),
          params,
        ),
    },
    {
      name: "file operations (with feed): a reader gets the bytes fed in order, each once — returned by a read or taken while it waited, a signal between or not",
      check: () => {
        const feed = opts.feed;
        if (feed === undefined) return; // no way to give the file input: nothing to compare
        fc.assert(
          fc.property(fc.array(readerOp(true), { maxLength: 40, size: "max" }), (ops) => {
            const f = factory();
            const clock: LawClock = { now: 0 };
            const r: Reader = { pending: null, got: [] };
            const fed: number[] = [];
            for (const o of ops) {
              if (o.kind === "read") kernelRead(f, o, r, clock);
              else if (o.kind === "signal") r.pending = null;
              else {
                feed(f, o.bytes);
                for (const b of o.bytes) fed.push(b);
              }
              const n = r.got.length;
              const bad = n > fed.length ? fed.length : r.got.findIndex((b, i) => b !== fed[i]);
              if (bad >= 0)
                throw new Error(
                  `${f.kind}: the reader got [${r.got.join(",")}] but was fed [${fed.join(",")}]: byte ${bad} ${bad >= fed.length ? "was never fed (one handed out twice?)" : `is ${r.got[bad]}, fed ${fed[bad]}`} — bytes taken while a read waits are the caller's (the kernel copied them out), so a later read must not return them again`,
                );
            }
            f.release?.();
          }),
          params,
        );
      },
    },
  ];
}

/** Run every law of {@link fileOperationsLaws}; throws at the first violation. */
export function runFileOperationsLaws(factory: () => FileOperations, opts?: FileLawOptions): void {
  for (const law of fileOperationsLaws(factory, opts)) law.check();
}
