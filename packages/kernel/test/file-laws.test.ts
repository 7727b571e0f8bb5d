// The FileOperations laws (exported from @osbricks/kernel/laws) against the kernel's own kinds of
// open file: the console, and each end of a pipe (the other end open, closed, or full).
import { describe, expect, it } from "vitest";
import {
  Console,
  Errno,
  FileType,
  PIPE_BUF,
  PIPE_BUF_SIZE,
  Pipe,
  PipeReadEnd,
  PipeWriteEnd,
  StatusFlags,
  Whence,
} from "../src/index.js";
import { fileOperationsLaws, pipeLaws } from "../src/laws/index.js";

const suites = {
  console: () => new Console(),
  "pipe read end, writer open": () => {
    const p = new Pipe();
    new PipeWriteEnd(p);
    return new PipeReadEnd(p);
  },
  "pipe read end, no writer": () => new PipeReadEnd(new Pipe()),
  "pipe write end, reader open": () => {
    const p = new Pipe();
    new PipeReadEnd(p);
    return new PipeWriteEnd(p);
  },
  "pipe write end, no reader (EPIPE)": () => new PipeWriteEnd(new Pipe()),
};

for (const [what, factory] of Object.entries(suites)) {
  describe(`FileOperations laws: ${what}`, () => {
    for (const law of fileOperationsLaws(factory, { numRuns: 60 })) it(law.name, () => law.check());
  });
}

describe("pipe laws: our pipe, its two ends driven together (more ends opened and closed at random)", () => {
  for (const law of pipeLaws(
    () => {
      const p = new Pipe();
      return {
        reader: new PipeReadEnd(p),
        writer: new PipeWriteEnd(p),
        capacity: PIPE_BUF_SIZE,
        atomic: PIPE_BUF,
        openReader: () => new PipeReadEnd(p),
        openWriter: () => new PipeWriteEnd(p),
      };
    },
    { numRuns: 100 },
  ))
    it(law.name, () => law.check());
});

describe("release law: a pipe end gives its reader or writer count back to the pipe", () => {
  const RELEASE = 3; // "release() … gives back everything the file held"
  for (const dir of ["read", "write"] as const)
    it(`${dir} end`, () => {
      const p = new Pipe();
      new PipeReadEnd(p); // the other end stays open throughout
      new PipeWriteEnd(p);
      const end = () => (dir === "read" ? new PipeReadEnd(p) : new PipeWriteEnd(p));
      fileOperationsLaws(end, { numRuns: 60, held: () => p.readers + p.writers })[RELEASE]!.check();
    });
});

describe("the FileOperations laws catch broken files", () => {
  const base = {
    write: (b: Uint8Array) => b.length,
    stat: () => ({ mode: 0o020000, size: 0, ino: 0, nlink: 1 }),
  };
  it("a read that returns more than asked", () => {
    const laws = fileOperationsLaws(
      () => ({ ...base, kind: "greedy", read: (max: number) => new Uint8Array(max + 1) }),
      {
        numRuns: 30,
      },
    );
    expect(() => laws[0]!.check()).toThrow(/more than asked/);
  });
  it("a read that would block with nowhere to wait", () => {
    const laws = fileOperationsLaws(() => ({ ...base, kind: "stuck", read: () => null }), { numRuns: 30 });
    expect(() => laws[1]!.check()).toThrow(/read\(0\) would block/);
  });
  it("an lseek that does not move the position it reports", () => {
    const laws = fileOperationsLaws(
      () => ({
        ...base,
        kind: "liar",
        read: () => new Uint8Array(0),
        lseek: (o: number) => (o < 0 ? -22 : o + 1),
      }),
      { numRuns: 60 },
    );
    expect(() => laws[0]!.check()).toThrow(/then SEEK_CUR says/);
  });
});

/**
 * A regular file in a byte array, right by default; each option plants one mistake a student's
 * file system might make.
 */
class MemFile {
  readonly kind = "memfile";
  private data: number[] = [];
  private pos = 0;
  constructor(
    private readonly bug: {
      garbagePastEnd?: boolean;
      holeGarbage?: boolean;
      staleSize?: boolean;
      seekEndFromStart?: boolean;
      readDoesNotAdvance?: boolean;
    } = {},
    initial: readonly number[] = [],
  ) {
    this.data = [...initial];
    this.statSize = this.data.length;
  }
  private statSize: number;
  read(max: number): Uint8Array {
    const n = this.bug.garbagePastEnd ? max : Math.max(0, Math.min(max, this.data.length - this.pos));
    const out = new Uint8Array(n);
    for (let i = 0; i < n; i++) out[i] = this.data[this.pos + i] ?? 0xcc;
    if (!this.bug.readDoesNotAdvance) this.pos += n;
    return out;
  }
  write(b: Uint8Array, flags = 0): number {
    // POSIX write: nbyte 0 on a regular file "shall return zero and have no other results" —
    // O_APPEND moves nothing (Linux's generic_write_checks returns before it sets ki_pos).
    if (b.length === 0) return 0;
    if ((flags & StatusFlags.O_APPEND) !== 0) this.pos = this.data.length; // told, at each write
    for (let i = this.data.length; i < this.pos; i++) this.data[i] = this.bug.holeGarbage ? 0xcc : 0;
    for (let i = 0; i < b.length; i++) this.data[this.pos + i] = b[i]!;
    this.pos += b.length;
    if (!this.bug.staleSize) this.statSize = this.data.length;
    return b.length;
  }
  lseek(offset: number, whence: number): number {
    const base =
      whence === Whence.SEEK_SET
        ? 0
        : whence === Whence.SEEK_CUR
          ? this.pos
          : this.bug.seekEndFromStart
            ? 0
            : this.data.length;
    if (base + offset < 0) return -Errno.EINVAL;
    this.pos = base + offset;
    return this.pos;
  }
  stat() {
    return { mode: FileType.S_IFREG | 0o644, size: this.statSize, ino: 1, nlink: 1 };
  }
}

describe("the FileOperations laws on regular files", () => {
  const REGULAR = 2; // the law "a regular file is an array of bytes"
  const laws = (make: () => MemFile, numRuns = 100) => fileOperationsLaws(make, { numRuns, seed: 7 });

  it("a correct regular file keeps every law, also one that starts with content", () => {
    for (const law of laws(() => new MemFile())) law.check();
    for (const law of laws(() => new MemFile({}, [1, 2, 3, 4, 5]))) law.check();
  });

  it("a 0-byte write has no other results (POSIX write): told O_APPEND the position stays, past the end the size stays, and the law wants both", () => {
    // Before: the law wanted every O_APPEND write to land at the end and a 0-byte write past the
    // end to grow the file, a 0-byte one included, so this file — POSIX's and Linux's behaviour
    // (generic_write_checks returns 0 first) — failed the law.
    const f = new MemFile({}, [1, 2, 3, 4, 5]);
    f.lseek(2, Whence.SEEK_SET);
    expect(f.write(new Uint8Array(0), StatusFlags.O_APPEND)).toBe(0);
    expect(f.lseek(0, Whence.SEEK_CUR)).toBe(2);
    f.lseek(9, Whence.SEEK_SET); // 0 bytes past the end: no hole, the size stays 5
    expect(f.write(new Uint8Array(0), 0)).toBe(0);
    expect(f.stat().size).toBe(5);
    for (const append of [true, undefined])
      fileOperationsLaws(() => new MemFile({}, [1, 2, 3, 4, 5]), {
        numRuns: 100,
        seed: 7,
        ...(append === undefined ? {} : { append }),
      })[REGULAR]!.check();
  });

  it("a read past the end that returns garbage instead of 0 bytes", () => {
    const l = laws(() => new MemFile({ garbagePastEnd: true }));
    expect(() => l[REGULAR]!.check()).toThrow(/returned \d+ bytes, expected/);
    l[0]!.check(); // the general law cannot see it: never more than asked
  });

  it("a hole (a write past the end) that reads as garbage instead of zeros", () => {
    expect(() => laws(() => new MemFile({ holeGarbage: true }))[REGULAR]!.check()).toThrow(
      /but 0 was written/,
    );
  });

  it("a write that extends the file but not the size stat reports", () => {
    expect(() => laws(() => new MemFile({ staleSize: true }))[REGULAR]!.check()).toThrow(
      /stat\(\) says size/,
    );
  });

  it("an lseek(SEEK_END) that counts from the start", () => {
    expect(() => laws(() => new MemFile({ seekEndFromStart: true }))[REGULAR]!.check()).toThrow(
      /lseek\(-?\d+, 2\) returned/,
    );
  });

  it("a read that does not advance the position", () => {
    expect(() => laws(() => new MemFile({ readDoesNotAdvance: true }))[REGULAR]!.check()).toThrow(
      /after reading \d+ bytes the position is/,
    );
  });
});
