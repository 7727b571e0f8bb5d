/**
 * Laws of a pipe as a pair: its read ends and write ends, each a {@link FileOperations}, driven
 * together against a model of the byte stream (fast-check `fc.commands`). `fileOperationsLaws`
 * checks one end at a time and cannot see what crosses between them; these laws can.
 *
 * ```
 *   write ends ──write(bytes)──▶ [ queue: bytes in order, at most `capacity` ] ──read(max)──▶ read ends
 *       ▲ parked writers: woken when room frees or the last reader goes
 *                                         parked readers: woken when data comes or the last writer goes ▲
 * ```
 *
 * | rule | source |
 * | --- | --- |
 * | bytes come out in the order they went in, each exactly once; a read takes min(max, buffered) | POSIX `read`; Linux `fs/pipe.c` `pipe_read` copies until the request or the pipe is exhausted |
 * | an empty pipe with a writer open blocks the reader (null with a wait list, or EAGAIN) | POSIX `read`: "If some process has the pipe open for writing… block" / O_NONBLOCK: EAGAIN |
 * | end of file (0 bytes) only after every writer closed and the pipe drained | POSIX `read`: "If no process has the pipe open for writing, read() shall return 0 to indicate end-of-file" |
 * | a write with no reader left fails with EPIPE (the kernel then raises SIGPIPE) | POSIX `write`; Linux `pipe_write`: `send_sig(SIGPIPE)`, `-EPIPE` |
 * | a write of at most PIPE_BUF bytes is all or nothing: it blocks (or EAGAIN) while it does not fit | POSIX `write`: such writes "shall not be interleaved"; with O_NONBLOCK "shall transfer all … or none" |
 * | a longer write takes all that fits, then waits for the rest | POSIX `write`: may be partial; Linux `pipe_write` fills every free slot before it sleeps |
 * | a parked reader is woken by data or by the last writer's close; a parked writer by room or the last reader's close | Linux `pipe_write`/`pipe_read`/`pipe_release`: `wake_up_interruptible` on `pipe->rd_wait`/`wr_wait` |
 * | closing an end (`release`) is seen by the other side at once; fstat says S_IFIFO | POSIX `close`, `<sys/stat.h>` S_ISFIFO |
 *
 * Model, per run: the queue of bytes written and not yet read, the counts of open read and write
 * ends, and probe waiters standing for the threads the kernel parked (a call that returned `null`,
 * or a write that took less than it was given, parks its caller on the end's `waiters` list, as
 * the kernel's read and write do). Bytes written follow a running counter, so a byte lost,
 * repeated or out of order shows at the next read.
 *
 * Related: `files.ts` (laws of one end at a time), `../posix/pipe.ts` (our pipe).
 */
import fc from "fast-check";
import type { FileOperations, Waiter } from "../posix/files.js";
import { Errno } from "../syscalls/errno.js";
import type { Law, LawOptions } from "./law.js";

/** `st_mode` bits that name the file type (S_IFMT). */
const S_IFMT = 0o170000;
/** `st_mode` type of a FIFO or pipe (S_IFIFO). */
const S_IFIFO = 0o010000;

/**
 * A fresh pipe for {@link pipeLaws}: one read end and one write end (what `pipe()` creates), its
 * sizes, and optionally a way to open more ends of it (a FIFO opened again: a new description,
 * which counts as another reader or writer until its own `release`).
 */
export interface PipeUnderTest {
  /** The read end's operations. */
  readonly reader: FileOperations;
  /** The write end's operations. */
  readonly writer: FileOperations;
  /** Bytes the pipe buffers before a writer must wait (ours: `PIPE_BUF_SIZE`, 4096; Linux: 65536). */
  readonly capacity: number;
  /** PIPE_BUF: writes of at most this many bytes are atomic (ours and Linux: 4096; POSIX: ≥ 512). */
  readonly atomic: number;
  /** Open another read end of the same pipe; absent: the laws use the one `reader` only. */
  openReader?(): FileOperations;
  /** Open another write end of the same pipe; absent: the laws use the one `writer` only. */
  openWriter?(): FileOperations;
}

/** A thread the kernel would have parked, as the laws see it: woken or not. */
class ProbeWaiter implements Waiter {
  woken = false;
  constructor(readonly len: number) {}
  wakeToRetry(): void {
    this.woken = true;
  }
}

/** What the laws know of the pipe. */
interface PipeModel {
  readonly capacity: number;
  readonly atomic: number;
  /** Bytes written and not yet read, oldest first. */
  readonly queue: number[];
  /** Value of the next byte written (a running counter, mod 256). */
  next: number;
  readers: number;
  writers: number;
  /** Parked readers not woken yet. */
  readonly parkedReaders: ProbeWaiter[];
  /** Parked writers not woken yet (`len`: the bytes they still want to write). */
  readonly parkedWriters: ProbeWaiter[];
  /** Whether more ends can be opened. */
  readonly canOpen: { readonly read: boolean; readonly write: boolean };
}

/** The pipe's open ends. */
interface PipeReal {
  readonly pipe: PipeUnderTest;
  readonly readEnds: FileOperations[];
  readonly writeEnds: FileOperations[];
}

/** One step of the model run: its own call, then the checks every step ends with. */
abstract class PipeCommand implements fc.Command<PipeModel, PipeReal> {
  abstract check(m: Readonly<PipeModel>): boolean;
  /** The call itself, checked against the model. */
  protected abstract act(m: PipeModel, r: PipeReal): void;
  abstract toString(): string;
  run(m: PipeModel, r: PipeReal): void {
    this.act(m, r);
    checkAfterStep(m, r, this.toString());
  }
}

const describeResult = (r: unknown): string =>
  r === null ? 'null ("would block")' : r instanceof Uint8Array ? `${r.length} bytes` : String(r);

/**
 * How long a write is: a fixed size, relative to the room left (to fill the pipe exactly, or miss
 * by one), or relative to PIPE_BUF (either side of the atomic limit).
 */
type WriteSize =
  | { readonly fixed: number }
  | { readonly roomPlus: number }
  | { readonly atomicPlus: number }
  | { readonly leaveSixteenths: number };

/**
 * The length of a write of size `s`. `leaveSixteenths` fills the pipe but for that many
 * sixteenths of PIPE_BUF, so that a following write of `roomPlus` bytes is one that does not fit
 * but is atomic: all or nothing. Worked, with PIPE_BUF 4096 and 4000 bytes of room:
 * `leaveSixteenths: 3` writes 4000 - 768 = 3232 bytes, then `roomPlus: 5` asks for 773 > 768.
 */
const sizeOf = (s: WriteSize, room: number, atomic: number): number =>
  "fixed" in s
    ? s.fixed
    : "roomPlus" in s
      ? Math.max(1, room + s.roomPlus)
      : "atomicPlus" in s
        ? Math.max(1, atomic + s.atomicPlus)
        : Math.max(1, room - Math.ceil((atomic * s.leaveSixteenths) / 16));

const showSize = (s: WriteSize): string =>
  "fixed" in s
    ? `${s.fixed} bytes`
    : "roomPlus" in s
      ? `room${s.roomPlus >= 0 ? "+" : ""}${s.roomPlus} bytes`
      : "atomicPlus" in s
        ? `PIPE_BUF${s.atomicPlus >= 0 ? "+" : ""}${s.atomicPlus} bytes`
        : `room-${s.leaveSixteenths}/16 PIPE_BUF bytes`;

/** write(n bytes) on write end `end` (modulo the open ones). */
class WriteCommand extends PipeCommand {
  constructor(
    readonly end: number,
    readonly size: WriteSize,
  ) {
    super();
  }
  check(m: Readonly<PipeModel>): boolean {
    return m.writers > 0;
  }
  protected act(m: PipeModel, r: PipeReal): void {
    const w = r.writeEnds[this.end % r.writeEnds.length]!;
    const room = m.capacity - m.queue.length;
    const len = sizeOf(this.size, room, m.atomic);
    const bytes = new Uint8Array(len);
    for (let i = 0; i < len; i++) bytes[i] = (m.next + i) & 0xff;
    const got = w.write(bytes, 0); // a pipe has no position: O_APPEND would change nothing
    const call = `${w.kind}.write(${len} bytes) with ${m.queue.length} of ${m.capacity} buffered, ${m.readers} reader(s)`;
    if (len === 0) {
      // Linux returns 0 before looking at readers; POSIX leaves a 0-byte write to a FIFO open.
      if (got !== 0 && !(m.readers === 0 && got === -Errno.EPIPE))
        throw new Error(`${call} returned ${describeResult(got)}: a write of nothing takes 0`);
      return;
    }
    if (m.readers === 0) {
      if (got !== -Errno.EPIPE)
        throw new Error(
          `${call} returned ${describeResult(got)}: every reader closed, so it must fail with EPIPE (POSIX write; the kernel raises SIGPIPE)`,
        );
      return;
    }
    const fits = len <= m.atomic ? room >= len : room > 0;
    if (got === null || got === -Errno.EAGAIN) {
      if (fits)
        throw new Error(
          `${call} returned ${describeResult(got)}, but ${room} bytes of room ${len <= m.atomic ? "hold it whole" : "take part of it"}: a writer waits only for a full pipe, and bytes read must free their room`,
        );
      park(w, "write", got, new ProbeWaiter(len), m.parkedWriters, call);
      return;
    }
    if (typeof got !== "number" || !Number.isInteger(got) || got < 0)
      throw new Error(`${call} returned ${describeResult(got)}: not a count, null or EAGAIN`);
    if (len <= m.atomic && got !== len)
      throw new Error(
        `${call} took ${got}: a write of at most PIPE_BUF (${m.atomic}) bytes is atomic, all of it or nothing (POSIX write)`,
      );
    if (got > room)
      throw new Error(
        `${call} took ${got}, with room for only ${room}: buffered bytes were lost (they stay until read), or the pipe holds more than its capacity`,
      );
    if (got !== Math.min(room, len))
      throw new Error(
        `${call} took ${got}, but ${room} bytes of room were free: a write takes all that fits before it waits (Linux pipe_write), and bytes read must free their room`,
      );
    for (let i = 0; i < got; i++) m.queue.push(bytes[i]!);
    m.next = (m.next + got) & 0xff;
    if (got < len) {
      // The kernel parks a writer that is not done on the write list (posix/file-calls.ts write).
      const q = w.waiters?.("write");
      if (q !== undefined) park(w, "write", null, new ProbeWaiter(len - got), m.parkedWriters, call);
    }
  }
  toString(): string {
    return `write(end ${this.end}, ${showSize(this.size)})`;
  }
}

/** Park `probe` on `end`'s wait list for `dir` as the kernel would, or accept EAGAIN when it has none. */
function park(
  end: FileOperations,
  dir: "read" | "write",
  got: unknown,
  probe: ProbeWaiter,
  parked: ProbeWaiter[],
  call: string,
): void {
  const q = end.waiters?.(dir);
  if (got === -Errno.EAGAIN) return; // non-blocking: the caller does not wait
  if (q === undefined) throw new Error(`${call} would block, but ${end.kind} has no ${dir} wait list`);
  q.push(probe);
  parked.push(probe);
}

/** read(max) on read end `end` (modulo the open ones). */
class ReadCommand extends PipeCommand {
  constructor(
    readonly end: number,
    readonly max: number,
  ) {
    super();
  }
  check(m: Readonly<PipeModel>): boolean {
    return m.readers > 0;
  }
  protected act(m: PipeModel, r: PipeReal): void {
    const rd = r.readEnds[this.end % r.readEnds.length]!;
    const got = rd.read(this.max);
    const queued = m.queue.length;
    const call = `${rd.kind}.read(${this.max}) with ${queued} buffered, ${m.writers} writer(s)`;
    if (got === null || got === -Errno.EAGAIN) {
      if (this.max === 0) throw new Error(`${call} returned ${describeResult(got)}: a read of 0 never waits`);
      if (queued > 0) throw new Error(`${call} returned ${describeResult(got)}, but bytes are buffered`);
      if (m.writers === 0)
        throw new Error(
          `${call} returned ${describeResult(got)}: every writer closed and the pipe is drained, so it must return end of file (0 bytes), or its reader sleeps forever`,
        );
      park(rd, "read", got, new ProbeWaiter(this.max), m.parkedReaders, call);
      return;
    }
    if (!(got instanceof Uint8Array)) throw new Error(`${call} returned ${describeResult(got)}`);
    const want = Math.min(this.max, queued);
    if (got.length === 0 && want === 0 && this.max > 0 && m.writers > 0)
      throw new Error(
        `${call} returned end of file (0 bytes) while a writer is still open: it must wait (POSIX read)`,
      );
    if (got.length > queued)
      throw new Error(
        `${call} returned ${got.length} bytes, but only ${queued} were written and not read yet: bytes come out in the order they went in, each once`,
      );
    if (got.length !== want)
      throw new Error(
        `${call} returned ${got.length} bytes, expected ${want} (${queued === 0 ? "end of file" : "min(max, buffered): Linux pipe_read"})`,
      );
    for (let i = 0; i < want; i++)
      if (got[i] !== m.queue[i])
        throw new Error(
          `${call}: byte ${i} is ${got[i]}, expected ${m.queue[i]}: bytes come out in the order they went in, each once`,
        );
    m.queue.splice(0, want);
  }
  toString(): string {
    return `read(end ${this.end}, ${this.max})`;
  }
}

/** release() of a read or write end (the last descriptor of that description closed). */
class CloseCommand extends PipeCommand {
  constructor(
    readonly dir: "read" | "write",
    readonly end: number,
  ) {
    super();
  }
  check(m: Readonly<PipeModel>): boolean {
    return (this.dir === "read" ? m.readers : m.writers) > 0;
  }
  protected act(m: PipeModel, r: PipeReal): void {
    const ends = this.dir === "read" ? r.readEnds : r.writeEnds;
    const [e] = ends.splice(this.end % ends.length, 1);
    if (e!.release === undefined)
      throw new Error(`${e!.kind} has no release(): the other end could never see it close`);
    e!.release();
    if (this.dir === "read") m.readers--;
    else m.writers--;
  }
  toString(): string {
    return `close(${this.dir} end ${this.end})`;
  }
}

/** Open one more read or write end of the pipe (a FIFO opened again). */
class OpenCommand extends PipeCommand {
  constructor(readonly dir: "read" | "write") {
    super();
  }
  check(m: Readonly<PipeModel>): boolean {
    return m.canOpen[this.dir];
  }
  protected act(m: PipeModel, r: PipeReal): void {
    if (this.dir === "read") {
      r.readEnds.push(r.pipe.openReader!());
      m.readers++;
    } else {
      r.writeEnds.push(r.pipe.openWriter!());
      m.writers++;
    }
  }
  toString(): string {
    return `open(${this.dir} end)`;
  }
}

/**
 * After every step: every parked thread whose call can now go on has been woken (a reader by data
 * or the last writer's close; a writer by room for it or the last reader's close), and every end
 * still says S_IFIFO.
 */
function checkAfterStep(m: PipeModel, r: PipeReal, step: string): void {
  const room = m.capacity - m.queue.length;
  for (const p of m.parkedReaders)
    if (!p.woken && (m.queue.length > 0 || m.writers === 0))
      throw new Error(
        `after ${step}: a reader parked on the empty pipe was not woken, though ${m.writers === 0 ? "every writer closed" : `${m.queue.length} bytes came`} (Linux wakes pipe->rd_wait)`,
      );
  for (const p of m.parkedWriters)
    if (!p.woken && (m.readers === 0 || (p.len <= m.atomic ? room >= p.len : room > 0)))
      throw new Error(
        `after ${step}: a writer parked for ${p.len} bytes was not woken, though ${m.readers === 0 ? "every reader closed (it must see EPIPE)" : `${room} bytes of room are free`} (Linux wakes pipe->wr_wait)`,
      );
  removeWoken(m.parkedReaders);
  removeWoken(m.parkedWriters);
  for (const e of [...r.readEnds, ...r.writeEnds]) {
    const mode = e.stat().mode;
    if ((mode & S_IFMT) !== S_IFIFO)
      throw new Error(`after ${step}: ${e.kind}.stat() mode 0o${mode.toString(8)} is not S_IFIFO`);
  }
}

function removeWoken(list: ProbeWaiter[]): void {
  for (let i = list.length - 1; i >= 0; i--) if (list[i]!.woken) list.splice(i, 1);
}

/**
 * The laws of a pipe driven from both ends: FIFO order, exactly once; end of file only after every
 * writer closed and the pipe drained; EPIPE after every reader closed; a full pipe blocks its
 * writer and PIPE_BUF-sized writes are atomic; parked readers and writers are woken; closing an
 * end (`release`) is seen at once by the other side.
 *
 * @param factory makes a fresh pipe per run ({@link PipeUnderTest}); every end still open at the
 * end of a run is released.
 * @param opts runs (default 100 model runs of up to 40 steps) and seed.
 * @throws Error (from `check()`) naming the broken rule, the call and the state it found, with
 * fast-check's shrunk command sequence.
 * @example
 * ```ts
 * for (const law of pipeLaws(() => {
 *   const p = new Pipe();
 *   return {
 *     reader: new PipeReadEnd(p), writer: new PipeWriteEnd(p), capacity: PIPE_BUF_SIZE, atomic: PIPE_BUF,
 *     openReader: () => new PipeReadEnd(p), openWriter: () => new PipeWriteEnd(p),
 *   };
 * })) it(law.name, () => law.check());
 * ```
 */
export function pipeLaws(factory: () => PipeUnderTest, opts: LawOptions = {}): Law[] {
  const params = {
    numRuns: opts.numRuns ?? 100,
    includeErrorInReport: true,
    ...(opts.seed === undefined ? {} : { seed: opts.seed }),
  };
  const end = fc.nat(3);
  const size: fc.Arbitrary<WriteSize> = fc.oneof(
    { weight: 4, arbitrary: fc.integer({ min: 1, max: 600 }).map((fixed) => ({ fixed })) },
    { weight: 1, arbitrary: fc.constant({ fixed: 0 }) },
    { weight: 3, arbitrary: fc.integer({ min: -1, max: 8 }).map((roomPlus) => ({ roomPlus })) },
    { weight: 2, arbitrary: fc.integer({ min: 1, max: 15 }).map((leaveSixteenths) => ({ leaveSixteenths })) },
    { weight: 2, arbitrary: fc.integer({ min: -8, max: 8 }).map((atomicPlus) => ({ atomicPlus })) },
    { weight: 1, arbitrary: fc.integer({ min: 9, max: 300 }).map((atomicPlus) => ({ atomicPlus })) },
  );
  const commands = [
    fc.tuple(end, size).map(([e, s]) => new WriteCommand(e, s)),
    fc
      .tuple(end, fc.oneof(fc.nat(32), fc.nat(700), fc.constantFrom(0, 4096, 5000)))
      .map(([e, n]) => new ReadCommand(e, n)),
    fc.tuple(fc.constantFrom("read" as const, "write" as const), end).map(([d, e]) => new CloseCommand(d, e)),
    fc.constantFrom("read" as const, "write" as const).map((d) => new OpenCommand(d)),
  ];
  return [
    {
      name: "pipe: bytes arrive in order exactly once; end of file only after every writer closed and the pipe drained; EPIPE after every reader closed; a full pipe blocks its writer, PIPE_BUF writes are atomic; parked readers and writers are woken; release is seen at once",
      check: () =>
        fc.assert(
          fc.property(fc.commands(commands, { maxCommands: 40, size: "max" }), (cmds) => {
            const pipe = factory();
            const real: PipeReal = { pipe, readEnds: [pipe.reader], writeEnds: [pipe.writer] };
            const model: PipeModel = {
              capacity: pipe.capacity,
              atomic: pipe.atomic,
              queue: [],
              next: 0,
              readers: 1,
              writers: 1,
              parkedReaders: [],
              parkedWriters: [],
              canOpen: { read: pipe.openReader !== undefined, write: pipe.openWriter !== undefined },
            };
            try {
              fc.modelRun(() => ({ model, real }), cmds);
            } finally {
              for (const e of [...real.readEnds, ...real.writeEnds]) e.release?.();
            }
          }),
          params,
        ),
    },
  ];
}

/** Run every law of {@link pipeLaws}; throws at the first violation. */
export function runPipeLaws(factory: () => PipeUnderTest, opts?: LawOptions): void {
  for (const law of pipeLaws(factory, opts)) law.check();
}
