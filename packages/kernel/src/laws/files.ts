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
 * | a seekable file's position is what lseek said | `lseek(0, SEEK_CUR)` reports, never moves |
 * | stat has a file type and a size ≥ 0 | fstat writes them into `struct stat` |
 * | a regular file is an array of bytes | POSIX `read`/`write`/`lseek`: bytes read back as written, holes as zeros, 0 bytes at the end |
 *
 * The last law applies to files whose stat says S_IFREG and that have an lseek. It checks them
 * against a model that learns the file's bytes as it reads them (a file may start with content):
 *
 * ```
 *   write n at pos:  lands at pos (or at the end with O_APPEND), position += n, size = max(size, at + n),
 *                    bytes between the old end and `at` read as zeros (a hole)
 *   read max at pos: exactly min(max, size - pos) bytes (0 at or past the end), those written there
 *   lseek(o, w):     SET → o, CUR → pos + o, END → size + o; a negative result is EINVAL and moves nothing
 * ```
 *
 * Related: `../posix/files.ts` (the interface and the console), `../posix/pipe.ts` (the pipe ends).
 */
import fc from "fast-check";
import type { FileOperations } from "../posix/files.js";
import { Whence } from "../posix/table.js";
import { MAX_ERRNO } from "../syscalls/errno.js";
import type { Law, LawOptions } from "./law.js";

/** `st_mode` bits that name the file type (S_IFMT). */
const S_IFMT = 0o170000;
/** `st_mode` type of a regular file (S_IFREG). */
const S_IFREG = 0o100000;

type Op =
  | { readonly kind: "read"; readonly max: number }
  | { readonly kind: "write"; readonly bytes: Uint8Array }
  | { readonly kind: "seek"; readonly offset: number; readonly whence: number };

const op: fc.Arbitrary<Op> = fc.oneof(
  fc.nat(9000).map((max) => ({ kind: "read" as const, max })),
  fc.uint8Array({ maxLength: 6000 }).map((bytes) => ({ kind: "write" as const, bytes })),
  fc
    .tuple(fc.integer({ min: -100, max: 10_000 }), fc.integer({ min: 0, max: 2 }))
    .map(([offset, whence]) => ({ kind: "seek" as const, offset, whence })),
);

const isErrno = (r: number): boolean => Number.isInteger(r) && r < 0 && r >= -MAX_ERRNO;

/** Run `op` on `f`, throwing at the first broken law. */
function apply(f: FileOperations, o: Op): void {
  const name = `${f.kind}.${o.kind}`;
  if (o.kind === "read") {
    const r = f.read(o.max);
    if (r === null) {
      if (f.waiters?.("read") === undefined)
        throw new Error(`${name}(${o.max}): would block, but has no read wait list`);
    } else if (typeof r === "number") {
      if (!isErrno(r)) throw new Error(`${name}(${o.max}) returned ${r}: not bytes, null or -errno`);
    } else if (!(r instanceof Uint8Array) || r.length > o.max) {
      throw new Error(`${name}(${o.max}) returned ${String(r?.length)} bytes: more than asked`);
    }
  } else if (o.kind === "write") {
    const r = f.write(o.bytes);
    if (r === null) {
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
}

/** What the regular-file law knows of a file: its size, position and the bytes seen or written. */
interface RegularModel {
  size: number;
  pos: number;
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
    if (r === null || typeof r === "number") return; // an error (EACCES, EBADF...) moves nothing
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
    const n = f.write(o.bytes);
    if (n === null || n < 0) return;
    const here = seek(0, Whence.SEEK_CUR);
    const at = here - n;
    if (at !== m.pos && at !== m.size)
      throw new Error(
        `${where}: write(${o.bytes.length} bytes) took ${n} and left the position at ${here}: neither at the position nor at the end (O_APPEND)`,
      );
    for (let i = m.size; i < at; i++) m.bytes[i] = 0; // a hole reads as zeros
    for (let i = 0; i < n; i++) m.bytes[at + i] = o.bytes[i]!;
    m.size = Math.max(m.size, at + n);
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

/**
 * The laws of a {@link FileOperations} implementation.
 *
 * @param factory makes a fresh file (and whatever it needs: a pipe, a file system) per run.
 * @example
 * ```ts
 * for (const law of fileOperationsLaws(() => new Console())) it(law.name, () => law.check());
 * ```
 */
export function fileOperationsLaws(factory: () => FileOperations, opts: LawOptions = {}): Law[] {
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
            for (const o of ops) apply(f, o);
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
            for (const o of ops) apply(f, o);
            const r = f.read(0);
            if (r === null) throw new Error(`${f.kind}.read(0) would block`);
            if (r instanceof Uint8Array && r.length !== 0)
              throw new Error(`${f.kind}.read(0) returned bytes`);
            const w = f.write(new Uint8Array(0));
            if (w !== null && w > 0) throw new Error(`${f.kind}.write(0 bytes) returned ${w}`);
            f.release?.();
          }),
          params,
        ),
    },
    {
      name: "file operations: a regular file is an array of bytes — reads return what was written there, zeros in holes and 0 bytes at the end; writes move the position by their count",
      check: () =>
        fc.assert(
          fc.property(fc.array(op, { maxLength: 30 }), (ops) => {
            const f = factory();
            if ((f.stat().mode & S_IFMT) !== S_IFREG || f.lseek === undefined) {
              f.release?.();
              return; // not a regular file: the law says nothing about it
            }
            const pos = f.lseek(0, Whence.SEEK_CUR);
            const m: RegularModel = { size: f.stat().size, pos, bytes: [] };
            for (const o of ops) applyRegular(f, m, o);
            f.release?.();
          }),
          params,
        ),
    },
  ];
}

/** Run every law of {@link fileOperationsLaws}; throws at the first violation. */
export function runFileOperationsLaws(factory: () => FileOperations, opts?: LawOptions): void {
  for (const law of fileOperationsLaws(factory, opts)) law.check();
}
