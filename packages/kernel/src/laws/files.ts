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
 *
 * Related: `../posix/files.ts` (the interface and the console), `../posix/pipe.ts` (the pipe ends).
 */
import fc from "fast-check";
import type { FileOperations } from "../posix/files.js";
import { Whence } from "../posix/table.js";
import { MAX_ERRNO } from "../syscalls/errno.js";
import type { LawOptions } from "./index.js";
import type { Law } from "./law.js";

/** `st_mode` bits that name the file type (S_IFMT). */
const S_IFMT = 0o170000;

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
  ];
}

/** Run every law of {@link fileOperationsLaws}; throws at the first violation. */
export function runFileOperationsLaws(factory: () => FileOperations, opts?: LawOptions): void {
  for (const law of fileOperationsLaws(factory, opts)) law.check();
}
