// Planted bugs the FileOperations laws must catch: each mutant below is a file (or a pipe) a
// student could write that is right in every way but one. Every test here failed before the law
// it names was written (a mutation audit found them passing), and each expects the law's message
// to name the mistake.
import { describe, expect, it } from "vitest";
import { Errno, FileType, StatusFlags, Whence } from "../src/index.js";
import { fileOperationsLaws, pipeLaws } from "../src/laws/index.js";

/** The index of the law "a regular file is an array of bytes" in {@link fileOperationsLaws}. */
const REGULAR = 2;

interface RegularBug {
  /** A read that lands on data returns one byte fewer than it could. */
  readonly shortByOne?: boolean;
  /** Every write goes to the end of the file, as if O_APPEND, whatever the position. */
  readonly alwaysAppends?: boolean;
  /** Told O_APPEND, but writes land at the position. */
  readonly appendIgnored?: boolean;
  /**
   * Asks itself instead of being told: O_APPEND is what it was opened with (its own `append`
   * field), whatever the flags of the write say (an F_SETFL since the open goes unseen).
   */
  readonly ownAppend?: boolean;
  /** A read returns `null` ("would block"), with a wait list, every other call. */
  readonly blocks?: boolean;
}

/** A regular file in a byte array, right but for the planted {@link RegularBug}. */
class Mutant {
  readonly kind = "mutant";
  private readonly data: number[] = [];
  private pos = 0;
  private calls = 0;
  private readonly list: never[] = [];
  constructor(
    private readonly bug: RegularBug,
    /** Opened with O_APPEND: only the `ownAppend` bug looks at it (the laws never do). */
    readonly append = false,
  ) {}
  read(max: number): Uint8Array | null {
    if (this.bug.blocks && this.calls++ % 2 === 1) return null;
    let n = Math.max(0, Math.min(max, this.data.length - this.pos));
    if (this.bug.shortByOne && n > 0) n--;
    const out = Uint8Array.from(this.data.slice(this.pos, this.pos + n));
    this.pos += n;
    return out;
  }
  write(b: Uint8Array, flags = 0): number {
    if (b.length === 0) return 0; // POSIX write: 0 bytes to a regular file, no other results
    const told = (flags & StatusFlags.O_APPEND) !== 0;
    const toEnd = this.bug.ownAppend
      ? this.append
      : this.bug.alwaysAppends || (told && !this.bug.appendIgnored);
    if (toEnd) this.pos = this.data.length;
    for (let i = this.data.length; i < this.pos; i++) this.data[i] = 0;
    for (let i = 0; i < b.length; i++) this.data[this.pos + i] = b[i]!;
    this.pos += b.length;
    return b.length;
  }
  lseek(offset: number, whence: number): number {
    const base = whence === Whence.SEEK_SET ? 0 : whence === Whence.SEEK_CUR ? this.pos : this.data.length;
    if (base + offset < 0) return -Errno.EINVAL;
    this.pos = base + offset;
    return this.pos;
  }
  stat() {
    return { mode: FileType.S_IFREG | 0o644, size: this.data.length, ino: 1, nlink: 1 };
  }
  waiters(): never[] {
    return this.list;
  }
}

describe("the regular-file law catches a student's planted bug", () => {
  const regular = (make: () => Mutant) => fileOperationsLaws(make, { numRuns: 100 })[REGULAR]!;

  it("the unbroken mutant keeps every law: O_APPEND drawn per write, always on, always off", () => {
    for (const append of [undefined, true, false])
      for (const law of fileOperationsLaws(() => new Mutant({}), {
        numRuns: 100,
        ...(append === undefined ? {} : { append }),
      }))
        law.check();
  });

  it("finding 1: a read that returns one byte fewer than the file has, caught with few runs on every seed", () => {
    // The audit's point: with tiny files, reads rarely land on data. 30 runs (a student's quick
    // check) must be enough, whatever the seed.
    for (let seed = 1; seed <= 20; seed++) {
      const law = fileOperationsLaws(() => new Mutant({ shortByOne: true }), { numRuns: 30, seed })[REGULAR]!;
      expect(() => law.check(), `seed ${seed}`).toThrow(/read\(\d+\) returned \d+ bytes, expected \d+/);
    }
  });

  it("finding 2: a write that ignores the position and always appends", () => {
    expect(() => regular(() => new Mutant({ alwaysAppends: true })).check()).toThrow(
      /went to the end of the file, but this write was not told O_APPEND/,
    );
  });

  it("finding 2 (mirror): a write told O_APPEND that lands at the position", () => {
    expect(() => regular(() => new Mutant({ appendIgnored: true }, true)).check()).toThrow(
      /written with O_APPEND, but write\(\d+ bytes\) landed at \d+, not at the end/,
    );
  });

  it("finding 4: a file that keeps O_APPEND from its open instead of the write's flags (fcntl F_SETFL changes them)", () => {
    // It passed when the laws read O_APPEND from the file's own `append` field: they asked the file.
    for (const opened of [true, false])
      expect(
        () => regular(() => new Mutant({ ownAppend: true }, opened)).check(),
        `opened ${opened}`,
      ).toThrow(/O_APPEND/);
  });

  it("finding 4's messages name the call's flags, not the open: a file opened with O_APPEND that keeps it is told what this write carried; one that ignores the flags learns where they are", () => {
    // Before: the file opened with O_APPEND heard "it was not opened with O_APPEND" — false, and
    // the old contract's words: the laws open nothing, each write carries its flags.
    const kept = () => regular(() => new Mutant({ ownAppend: true }, true)).check();
    expect(kept).toThrow(/but this write was not told O_APPEND \(flags 0\)/);
    expect(kept).not.toThrow(/opened with O_APPEND/);
    // A file written to the one-argument write of before (no O_APPEND at all): told where the
    // flag is, and how to run the laws without it if its file system has none.
    expect(() => regular(() => new Mutant({ appendIgnored: true })).check()).toThrow(
      /write\(bytes, flags\) with flags & StatusFlags\.O_APPEND.*FileLawOptions\.append: false/,
    );
  });

  it("finding 3: a regular file whose read would block", () => {
    expect(() => regular(() => new Mutant({ blocks: true })).check()).toThrow(/a regular file never blocks/);
  });
});

interface PipeBug {
  /** A read of an empty pipe returns end of file while a writer is still open. */
  readonly eofWhileWriterOpen?: boolean;
  /** Closing the last write end throws the buffered bytes away (end of file before the pipe drained). */
  readonly closeDiscards?: boolean;
  /** A write with no reader left is taken instead of failing with EPIPE. */
  readonly noEpipe?: boolean;
  /** A write of at most PIPE_BUF bytes takes what fits (torn), instead of all or nothing. */
  readonly tornAtomic?: boolean;
  /** A read leaves its last byte in the pipe (it comes out twice). */
  readonly keepsLastByte?: boolean;
  /** A write does not wake the readers parked on the empty pipe. */
  readonly noWakeOnWrite?: boolean;
  /** Closing the last write end does not wake the parked readers (they sleep forever). */
  readonly noWakeOnClose?: boolean;
  /** A read does not wake the writers parked on the full pipe. */
  readonly noWakeOnRead?: boolean;
  /** Closing any write end forgets every writer (end of file while another writer is open). */
  readonly closeForgetsOthers?: boolean;
}

/** A pipe in a plain array, right but for the planted {@link PipeBug}; capacity 64, PIPE_BUF 16. */
class MutantPipe {
  static readonly CAPACITY = 64;
  static readonly ATOMIC = 16;
  readonly buf: number[] = [];
  readers = 0;
  writers = 0;
  readonly readWaiters: { wakeToRetry(): void }[] = [];
  readonly writeWaiters: { wakeToRetry(): void }[] = [];
  constructor(readonly bug: PipeBug) {}
  static wake(list: { wakeToRetry(): void }[]): void {
    for (const w of list.splice(0)) w.wakeToRetry();
  }
  read(max: number): Uint8Array | null {
    if (this.buf.length === 0)
      return this.writers > 0 && max > 0 && !this.bug.eofWhileWriterOpen ? null : new Uint8Array(0);
    const n = Math.min(max, this.buf.length);
    const out = Uint8Array.from(this.buf.slice(0, n));
    this.buf.splice(0, this.bug.keepsLastByte && n > 0 ? n - 1 : n);
    if (n > 0 && !this.bug.noWakeOnRead) MutantPipe.wake(this.writeWaiters);
    return out;
  }
  write(b: Uint8Array): number | null {
    if (b.length === 0) return 0;
    if (this.readers === 0 && !this.bug.noEpipe) return -Errno.EPIPE;
    const room = MutantPipe.CAPACITY - this.buf.length;
    if (room === 0 || (b.length <= MutantPipe.ATOMIC && room < b.length && !this.bug.tornAtomic)) return null;
    const n = Math.min(room, b.length);
    for (let i = 0; i < n; i++) this.buf.push(b[i]!);
    if (!this.bug.noWakeOnWrite) MutantPipe.wake(this.readWaiters);
    return n;
  }
  end(dir: "read" | "write") {
    const stat = () => ({ mode: FileType.S_IFIFO | 0o600, size: this.buf.length, ino: 0, nlink: 0 });
    if (dir === "read") {
      this.readers++;
      return {
        kind: "mutant-read",
        read: (max: number) => this.read(max),
        write: () => -Errno.EBADF,
        stat,
        waiters: () => this.readWaiters,
        release: () => {
          if (--this.readers === 0) MutantPipe.wake(this.writeWaiters);
        },
      };
    }
    this.writers++;
    return {
      kind: "mutant-write",
      read: () => -Errno.EBADF,
      write: (b: Uint8Array) => this.write(b),
      stat,
      waiters: () => this.writeWaiters,
      release: () => {
        this.writers = this.bug.closeForgetsOthers ? 0 : this.writers - 1;
        if (this.writers === 0) {
          if (this.bug.closeDiscards) this.buf.length = 0;
          if (!this.bug.noWakeOnClose) MutantPipe.wake(this.readWaiters);
        }
      },
    };
  }
}

/** A fresh {@link MutantPipe} as the pipe laws take it. */
const mutantPipe = (bug: PipeBug) => () => {
  const p = new MutantPipe(bug);
  return {
    reader: p.end("read"),
    writer: p.end("write"),
    capacity: MutantPipe.CAPACITY,
    atomic: MutantPipe.ATOMIC,
    openReader: () => p.end("read"),
    openWriter: () => p.end("write"),
  };
};

describe("the pipe law catches a student's planted bug (finding 4, and release and waking: finding 5)", () => {
  // 200 runs: the rarest of these (a torn write needs a nearly full pipe, then a write just over
  // its room) escaped 1 seed in 30 at 100.
  const check = (bug: PipeBug) => () => pipeLaws(mutantPipe(bug), { numRuns: 200 })[0]!.check();

  it("the unbroken mutant pipe keeps the law", () => {
    check({})();
  });

  const cases: [string, PipeBug, RegExp][] = [
    [
      "end of file while a writer is open",
      { eofWhileWriterOpen: true },
      /end of file \(0 bytes\) while a writer is still open/,
    ],
    [
      "closing the writer throws the buffered bytes away",
      { closeDiscards: true },
      // Seen at the next read, or by a new writer's write, which finds more room than the model.
      /returned 0 bytes, expected \d+|buffered bytes were lost/,
    ],
    [
      "no EPIPE after every reader closed",
      { noEpipe: true },
      /every reader closed, so it must fail with EPIPE/,
    ],
    ["a torn PIPE_BUF write", { tornAtomic: true }, /atomic, all of it or nothing/],
    [
      "a byte that comes out twice",
      { keepsLastByte: true },
      // Seen at the next read, or by the next write, which finds less room than the model.
      /in the order they went in, each once|bytes read must free their room/,
    ],
    [
      "a write that does not wake the parked reader",
      { noWakeOnWrite: true },
      /reader parked on the empty pipe was not woken/,
    ],
    [
      "a close (release) that does not wake the parked reader",
      { noWakeOnClose: true },
      /was not woken, though every writer closed/,
    ],
    [
      "a read that does not wake the parked writer",
      { noWakeOnRead: true },
      /writer parked for \d+ bytes was not woken/,
    ],
    [
      "a release that forgets the other writers",
      { closeForgetsOthers: true },
      /while a writer is still open/,
    ],
  ];
  for (const [what, bug, message] of cases)
    it(what, () => {
      expect(check(bug)).toThrow(message);
    });
});

/**
 * A file system that counts open files (Linux's inode `i_count`, the Lunaix example's open count):
 * opening takes one, `release` gives it back — except in the planted bug, where a file that was
 * written to keeps it (an unlinked file would then never be freed).
 */
class CountingFs {
  open = 0;
  file(leakIfWritten: boolean) {
    this.open++;
    let written = false;
    const data: number[] = [];
    return {
      kind: "counted",
      read: (max: number) => Uint8Array.from(data.slice(0, max)),
      write: (b: Uint8Array) => {
        written ||= b.length > 0;
        data.push(...b);
        return b.length;
      },
      stat: () => ({ mode: FileType.S_IFCHR | 0o600, size: 0, ino: 3, nlink: 1 }),
      release: () => {
        if (!(leakIfWritten && written)) this.open--;
      },
    };
  }
}

describe("the release law catches a student's planted bug (finding 5)", () => {
  const RELEASE = 3; // the law "release() gives back everything the file held"

  it("a release that gives everything back keeps the law", () => {
    const fs = new CountingFs();
    fileOperationsLaws(() => fs.file(false), { numRuns: 60, held: () => fs.open })[RELEASE]!.check();
  });

  it("a release that keeps the open count of a file written to", () => {
    const fs = new CountingFs();
    const law = fileOperationsLaws(() => fs.file(true), { numRuns: 60, held: () => fs.open })[RELEASE]!;
    expect(() => law.check()).toThrow(/release must give back everything the file took/);
  });
});

/**
 * A device whose read times out as a terminal's VTIME read timer does: it waits until `wait`
 * cycles after the read began, then returns 0 bytes. The planted bug gives the waiting read the
 * time it began as its deadline instead of the time it ends.
 */
function timedDevice(deadlineIsStart: boolean) {
  const wait = 100_000_000;
  const list: never[] = [];
  return {
    kind: deadlineIsStart ? "timed-mutant" : "timed",
    read: (_max: number, now = 0, since = now) => (now >= since + wait ? new Uint8Array(0) : null),
    readDeadline: (_now: number, since: number) => (deadlineIsStart ? since : since + wait),
    write: () => -Errno.EBADF,
    waiters: () => list,
    stat: () => ({ mode: FileType.S_IFCHR | 0o600, size: 0, ino: 4, nlink: 1 }),
  };
}

describe("the contract law catches a read deadline that is not after now (the kernel would run the read again at once, forever)", () => {
  const CONTRACT = 0; // "any sequence of read, write and lseek keeps the raw-syscall contract"

  it("a deadline at the end of the read timer keeps the law", () => {
    fileOperationsLaws(() => timedDevice(false), { numRuns: 60 })[CONTRACT]!.check();
  });

  it("a deadline at the read's start breaks it", () => {
    const law = fileOperationsLaws(() => timedDevice(true), { numRuns: 60 })[CONTRACT]!;
    expect(() => law.check()).toThrow(/readDeadline.*not after now/);
  });
});

interface TakeBug {
  /** takeWhileWaiting takes one byte more than the room it is given. */
  readonly takesTooMuch?: boolean;
  /** takeWhileWaiting hands out the bytes but leaves them queued: the next read returns them again. */
  readonly peeks?: boolean;
  /** The read that goes on returns up to the caller's whole buffer, forgetting what it took. */
  readonly forgetsTaken?: boolean;
  /** MIN is tested before the room: a read whose taken bytes filled the buffer waits for more. */
  readonly waitsWithNoRoom?: boolean;
}

/** Bytes a read waits for before it returns, in the planted MIN device (a terminal's VMIN). */
const MIN = 4;

/**
 * A device that reads as a terminal's non-canonical read with MIN 4 and no TIME does (n_tty_read):
 * a read returns once MIN bytes are there counting those it took while it waited, and a read that
 * waits takes the bytes as they come (takeWhileWaiting). Right but for the planted {@link TakeBug}.
 */
class MinDevice {
  readonly kind = "min-device";
  private queue: number[] = [];
  private readonly list: never[] = [];
  constructor(private readonly bug: TakeBug = {}) {}
  /** The host's input. */
  feed(bytes: Uint8Array): void {
    for (const b of bytes) this.queue.push(b);
  }
  read(max: number, _now = 0, _since = 0, done = 0): Uint8Array | null {
    if (this.bug.waitsWithNoRoom && this.queue.length + done < MIN) return null;
    if (max === 0) return new Uint8Array(0);
    if (this.queue.length + done < MIN) return null;
    return this.take(this.bug.forgetsTaken ? max + done : max);
  }
  takeWhileWaiting(max: number): Uint8Array {
    if (this.bug.peeks) return Uint8Array.from(this.queue.slice(0, max));
    return this.take(this.bug.takesTooMuch ? max + 1 : max);
  }
  private take(n: number): Uint8Array {
    return Uint8Array.from(this.queue.splice(0, n));
  }
  write(): number {
    return -Errno.EBADF;
  }
  waiters(): never[] {
    return this.list;
  }
  stat() {
    return { mode: FileType.S_IFCHR | 0o600, size: 0, ino: 5, nlink: 1 };
  }
}

describe("the takeWhileWaiting laws catch a student's planted bug (a waiting read's bytes as they come)", () => {
  const TAKE = 4; // "a waiting read's takeWhileWaiting takes at most the room left…"
  const STREAM = 5; // "(with feed): a reader gets the bytes fed in order, each once…"
  const laws = (bug: TakeBug, seed?: number) =>
    fileOperationsLaws(() => new MinDevice(bug), {
      numRuns: 100,
      feed: (f, bytes) => (f as MinDevice).feed(bytes),
      ...(seed === undefined ? {} : { seed }),
    });
  /** Each planted bug is caught in 100 runs on each of 20 seeds, not only on the suite's one. */
  const caughtOnEverySeed = (bug: TakeBug, law: number, message: RegExp) => {
    for (let seed = 1; seed <= 20; seed++)
      expect(() => laws(bug, seed)[law]!.check(), `seed ${seed}`).toThrow(message);
  };

  it("the unbroken device keeps every law", () => {
    for (const law of laws({})) law.check();
  });

  it("takeWhileWaiting that takes more than the room left", () => {
    caughtOnEverySeed(
      { takesTooMuch: true },
      TAKE,
      /takeWhileWaiting\(\d+\) returned \d+ bytes: more than the room left/,
    );
  });

  it("a read that goes on and returns up to the whole buffer, forgetting the bytes it took", () => {
    caughtOnEverySeed(
      { forgetsTaken: true },
      TAKE,
      /bytes: more than the room left \(\d+ asked, \d+ taken while it waited\)/,
    );
  });

  it("a read whose taken bytes filled the buffer, waiting for MIN anyway", () => {
    caughtOnEverySeed({ waitsWithNoRoom: true }, TAKE, /would block with no room left/);
  });

  it("takeWhileWaiting that peeks: the bytes are handed out twice", () => {
    // Every other law passes it: only the stream law, fed input, sees a byte come back.
    for (const [i, law] of laws({ peeks: true }).entries()) if (i !== STREAM) law.check();
    caughtOnEverySeed({ peeks: true }, STREAM, /bytes taken while a read waits are the caller's/);
  });

  it("without feed the stream law has nothing to compare and passes", () => {
    fileOperationsLaws(() => new MinDevice({ peeks: true }), { numRuns: 20 })[STREAM]!.check();
  });
});
