// Planted bugs the FileOperations laws must catch: each mutant below is a file (or a pipe) a
// student could write that is right in every way but one. Every test here failed before the law
// it names was written (a mutation audit found them passing), and each expects the law's message
// to name the mistake.
import { describe, expect, it } from "vitest";
import { Errno, FileType, Whence } from "../src/index.js";
import { fileOperationsLaws } from "../src/laws/index.js";

/** The index of the law "a regular file is an array of bytes" in {@link fileOperationsLaws}. */
const REGULAR = 2;

interface RegularBug {
  /** A read that lands on data returns one byte fewer than it could. */
  readonly shortByOne?: boolean;
  /** Every write goes to the end of the file, as if O_APPEND, whatever the position. */
  readonly alwaysAppends?: boolean;
  /** Opened with O_APPEND, but writes land at the position. */
  readonly appendIgnored?: boolean;
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
    /** Opened with O_APPEND (the laws read this field, as they read the Lunaix example's `VfsFile.append`). */
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
  write(b: Uint8Array): number {
    const toEnd = this.bug.alwaysAppends || (this.append && !this.bug.appendIgnored);
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

  it("the unbroken mutant keeps every law, with and without O_APPEND", () => {
    for (const law of fileOperationsLaws(() => new Mutant({}), { numRuns: 100 })) law.check();
    for (const law of fileOperationsLaws(() => new Mutant({}, true), { numRuns: 100 })) law.check();
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
      /went to the end of the file, but it was not opened with O_APPEND/,
    );
  });

  it("finding 2 (mirror): a file opened with O_APPEND whose write lands at the position", () => {
    expect(() => regular(() => new Mutant({ appendIgnored: true }, true)).check()).toThrow(
      /opened with O_APPEND, but write\(\d+ bytes\) landed at \d+, not at the end/,
    );
  });

  it("finding 3: a regular file whose read would block", () => {
    expect(() => regular(() => new Mutant({ blocks: true })).check()).toThrow(/a regular file never blocks/);
  });
});
