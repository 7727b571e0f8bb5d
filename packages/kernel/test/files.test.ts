// Descriptor tables, open files and pipes against a naive model (fast-check model-based testing,
// after fast-check's musicPlayer example): one command class per operation, targets chosen by
// index modulo the current size, a fresh model and system per run, checkFileInvariants after
// every command. Counting files (a FileOperations of the test's own) check that a description's
// release runs exactly once, at its last close, across dup, fork, exit and close-on-exec.
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import {
  checkFileInvariants,
  FdTable,
  FileMode,
  type FileOperations,
  type FileStat,
  FileType,
  MAX_FDS,
  OpenFile,
  PIPE_BUF,
  PIPE_BUF_SIZE,
  Pipe,
  PipeReadEnd,
  PipeWriteEnd,
} from "../src/index.js";

interface ModelPipe {
  buf: number[];
  readers: number;
  writers: number;
}
interface ModelFile {
  end: "read" | "write" | "counting";
  pipe: ModelPipe;
  refs: number;
}
interface Model {
  tables: Map<number, ModelFile>[];
  /** Per table: the descriptors with FD_CLOEXEC. */
  cloexec: Set<number>[];
}
interface Real {
  tables: FdTable[];
  /** Every counting file opened in the run, with its model twin. */
  counted: { model: ModelFile; ops: CountingFile }[];
}

/** A file of the test's own: counts its releases. */
class CountingFile implements FileOperations {
  readonly kind = "counting";
  releases = 0;
  read = (): Uint8Array => new Uint8Array(0);
  write = (b: Uint8Array): number => b.length;
  stat = (): FileStat => ({ mode: FileType.S_IFCHR, size: 0, ino: 0, nlink: 1 });
  release(): void {
    this.releases++;
  }
}

const openFds = (m: Model, t: number): number[] => [...m.tables[t]!.keys()].sort((a, b) => a - b);
const lowestFree = (m: Map<number, ModelFile>): number => {
  for (let i = 0; i < MAX_FDS; i++) if (!m.has(i)) return i;
  return -1;
};
const release = (f: ModelFile): void => {
  f.refs--;
  if (f.refs === 0) {
    if (f.end === "read") f.pipe.readers--;
    else if (f.end === "write") f.pipe.writers--;
  }
};
const noPipe = (): ModelPipe => ({ buf: [], readers: 0, writers: 0 });

class PipeCmd implements fc.Command<Model, Real> {
  constructor(readonly t: number) {}
  check = (m: Readonly<Model>) =>
    m.tables.length > 0 && m.tables[this.t % m.tables.length]!.size <= MAX_FDS - 2;
  run(m: Model, r: Real): void {
    const t = this.t % m.tables.length;
    const pipe = new Pipe();
    const fr = r.tables[t]!.install(new OpenFile(new PipeReadEnd(pipe), FileMode.READ));
    const fw = r.tables[t]!.install(new OpenFile(new PipeWriteEnd(pipe), FileMode.WRITE));
    const mp: ModelPipe = { buf: [], readers: 1, writers: 1 };
    const mt = m.tables[t]!;
    const er = lowestFree(mt);
    mt.set(er, { end: "read", pipe: mp, refs: 1 });
    const ew = lowestFree(mt);
    mt.set(ew, { end: "write", pipe: mp, refs: 1 });
    expect([fr, fw]).toEqual([er, ew]); // POSIX: the lowest free descriptors
  }
  toString = () => `pipe(table ${this.t})`;
}

class DupCmd implements fc.Command<Model, Real> {
  constructor(
    readonly t: number,
    readonly i: number,
  ) {}
  check = (m: Readonly<Model>) => m.tables.length > 0 && m.tables[this.t % m.tables.length]!.size > 0;
  run(m: Model, r: Real): void {
    const t = this.t % m.tables.length;
    const fds = openFds(m, t);
    const fd = fds[this.i % fds.length]!;
    const mt = m.tables[t]!;
    const expected = mt.size >= MAX_FDS ? -1 : lowestFree(mt);
    const f = r.tables[t]!.get(fd)!;
    expect(r.tables[t]!.install(f)).toBe(expected);
    if (expected >= 0) {
      const mf = mt.get(fd)!;
      mf.refs++;
      mt.set(expected, mf);
      m.cloexec[t]!.delete(expected); // FD_CLOEXEC belongs to the descriptor: dup clears it
    }
  }
  toString = () => `dup(table ${this.t}, #${this.i})`;
}

/** dup2's table step (FdTable.installAt): onto any slot, open or not, the same file included. */
class Dup2Cmd implements fc.Command<Model, Real> {
  constructor(
    readonly t: number,
    readonly i: number,
    readonly to: number,
  ) {}
  check = (m: Readonly<Model>) => m.tables.length > 0 && m.tables[this.t % m.tables.length]!.size > 0;
  run(m: Model, r: Real): void {
    const t = this.t % m.tables.length;
    const fds = openFds(m, t);
    const fd = fds[this.i % fds.length]!;
    const to = this.to % (MAX_FDS + 2); // sometimes past the table: refused
    const mt = m.tables[t]!;
    const f = r.tables[t]!.get(fd)!;
    const got = r.tables[t]!.installAt(to, f);
    if (to >= MAX_FDS) {
      expect(got).toBe(-1);
      return;
    }
    expect(got).toBe(to);
    const mf = mt.get(fd)!;
    mf.refs++; // the new reference first: a file moved onto its own slot is never released
    const old = mt.get(to);
    mt.set(to, mf);
    m.cloexec[t]!.delete(to);
    if (old) release(old);
  }
  toString = () => `dup2(table ${this.t}, #${this.i}, ${this.to})`;
}

class CloseCmd implements fc.Command<Model, Real> {
  constructor(
    readonly t: number,
    readonly i: number,
  ) {}
  check = (m: Readonly<Model>) => m.tables.length > 0;
  run(m: Model, r: Real): void {
    const t = this.t % m.tables.length;
    const fds = openFds(m, t);
    const fd = fds.length === 0 ? this.i % MAX_FDS : fds[this.i % fds.length]!;
    const mf = m.tables[t]!.get(fd);
    expect(r.tables[t]!.close(fd)).toBe(mf !== undefined);
    if (mf) {
      m.tables[t]!.delete(fd);
      m.cloexec[t]!.delete(fd);
      release(mf);
    }
  }
  toString = () => `close(table ${this.t}, #${this.i})`;
}

class ForkCmd implements fc.Command<Model, Real> {
  constructor(readonly t: number) {}
  check = (m: Readonly<Model>) => m.tables.length > 0 && m.tables.length < 6;
  run(m: Model, r: Real): void {
    const t = this.t % m.tables.length;
    r.tables.push(r.tables[t]!.clone());
    const copy = new Map(m.tables[t]!);
    for (const f of copy.values()) f.refs++;
    m.tables.push(copy);
    m.cloexec.push(new Set(m.cloexec[t]!)); // fork keeps FD_CLOEXEC
  }
  toString = () => `fork(table ${this.t})`;
}

class ExitCmd implements fc.Command<Model, Real> {
  constructor(readonly t: number) {}
  check = (m: Readonly<Model>) => m.tables.length > 1;
  run(m: Model, r: Real): void {
    const t = this.t % m.tables.length;
    r.tables[t]!.closeAll();
    r.tables.splice(t, 1);
    for (const f of m.tables[t]!.values()) release(f);
    m.tables.splice(t, 1);
    m.cloexec.splice(t, 1);
  }
  toString = () => `exit(table ${this.t})`;
}

class OpenCmd implements fc.Command<Model, Real> {
  constructor(
    readonly t: number,
    readonly cloexec: boolean,
  ) {}
  check = (m: Readonly<Model>) => m.tables.length > 0;
  run(m: Model, r: Real): void {
    const t = this.t % m.tables.length;
    const ops = new CountingFile();
    const file = new OpenFile(ops, FileMode.READ_WRITE);
    const fd = r.tables[t]!.install(file, this.cloexec);
    const mt = m.tables[t]!;
    const expected = mt.size >= MAX_FDS ? -1 : lowestFree(mt);
    expect(fd).toBe(expected);
    const mf: ModelFile = { end: "counting", pipe: noPipe(), refs: fd < 0 ? 0 : 1 };
    r.counted.push({ model: mf, ops });
    if (fd < 0) {
      // Never installed: the description was not referenced, so nothing released it either.
      expect(file.refs).toBe(0);
      r.counted.pop();
      return;
    }
    mt.set(fd, mf);
    if (this.cloexec) m.cloexec[t]!.add(fd);
  }
  toString = () => `open(table ${this.t}${this.cloexec ? ", O_CLOEXEC" : ""})`;
}

class ExecCmd implements fc.Command<Model, Real> {
  constructor(readonly t: number) {}
  check = (m: Readonly<Model>) => m.tables.length > 0;
  run(m: Model, r: Real): void {
    const t = this.t % m.tables.length;
    r.tables[t]!.closeOnExec();
    for (const fd of [...m.cloexec[t]!].sort((a, b) => a - b)) {
      release(m.tables[t]!.get(fd)!);
      m.tables[t]!.delete(fd);
    }
    m.cloexec[t]!.clear();
  }
  toString = () => `exec(table ${this.t})`;
}

class WriteCmd implements fc.Command<Model, Real> {
  constructor(
    readonly t: number,
    readonly i: number,
    readonly n: number,
  ) {}
  check = (m: Readonly<Model>) =>
    m.tables.length > 0 && [...m.tables[this.t % m.tables.length]!.values()].some((f) => f.end === "write");
  run(m: Model, r: Real): void {
    const t = this.t % m.tables.length;
    const fds = openFds(m, t).filter((fd) => m.tables[t]!.get(fd)!.end === "write");
    const fd = fds[this.i % fds.length]!;
    const mp = m.tables[t]!.get(fd)!.pipe;
    const bytes = Uint8Array.from({ length: this.n }, (_, k) => (mp.buf.length + k) & 0xff);
    const f = r.tables[t]!.get(fd)!.ops as PipeWriteEnd;
    const got = f.pipe.write(bytes);
    // A write of nothing succeeds before the readers are looked at (Linux's pipe_write, pipe.ts).
    if (this.n === 0) expect(got).toBe(0);
    else if (mp.readers === 0) expect(got).toBe(-1);
    else if (
      mp.buf.length === PIPE_BUF_SIZE ||
      (this.n <= PIPE_BUF && PIPE_BUF_SIZE - mp.buf.length < this.n)
    ) {
      expect(got).toBeNull(); // full, or a small write that would not be atomic
    } else {
      const k = Math.min(this.n, PIPE_BUF_SIZE - mp.buf.length);
      expect(got).toBe(k);
      mp.buf.push(...bytes.subarray(0, k));
    }
  }
  toString = () => `write(table ${this.t}, #${this.i}, ${this.n} bytes)`;
}

class ReadCmd implements fc.Command<Model, Real> {
  constructor(
    readonly t: number,
    readonly i: number,
    readonly n: number,
  ) {}
  check = (m: Readonly<Model>) =>
    m.tables.length > 0 && [...m.tables[this.t % m.tables.length]!.values()].some((f) => f.end === "read");
  run(m: Model, r: Real): void {
    const t = this.t % m.tables.length;
    const fds = openFds(m, t).filter((fd) => m.tables[t]!.get(fd)!.end === "read");
    const fd = fds[this.i % fds.length]!;
    const mp = m.tables[t]!.get(fd)!.pipe;
    const f = r.tables[t]!.get(fd)!.ops as PipeReadEnd;
    const got = f.pipe.read(this.n);
    if (mp.buf.length === 0 && mp.writers > 0 && this.n > 0) expect(got).toBeNull();
    else expect([...(got ?? [])]).toEqual(mp.buf.splice(0, this.n));
  }
  toString = () => `read(table ${this.t}, #${this.i}, ${this.n})`;
}

const commands = [
  fc.nat(5).map((t) => new PipeCmd(t)),
  fc.tuple(fc.nat(5), fc.nat(70)).map(([t, i]) => new DupCmd(t, i)),
  fc.tuple(fc.nat(5), fc.nat(70), fc.nat(80)).map(([t, i, to]) => new Dup2Cmd(t, i, to)),
  fc.tuple(fc.nat(5), fc.nat(70)).map(([t, i]) => new CloseCmd(t, i)),
  fc.nat(5).map((t) => new ForkCmd(t)),
  fc.nat(5).map((t) => new ExitCmd(t)),
  fc.tuple(fc.nat(5), fc.boolean()).map(([t, c]) => new OpenCmd(t, c)),
  fc.nat(5).map((t) => new ExecCmd(t)),
  fc
    .tuple(fc.nat(5), fc.nat(10), fc.oneof(fc.nat(8), fc.constantFrom(PIPE_BUF_SIZE, 3000, 5000)))
    .map(([t, i, n]) => new WriteCmd(t, i, n)),
  fc
    .tuple(fc.nat(5), fc.nat(10), fc.oneof(fc.nat(8), fc.constant(5000)))
    .map(([t, i, n]) => new ReadCmd(t, i, n)),
];

describe("descriptor tables and pipes against a model", () => {
  it("agree on descriptors, reference counts, pipe ends and bytes; invariants hold after every step", () => {
    fc.assert(
      fc.property(fc.commands(commands, { maxCommands: 60 }), (cmds) => {
        const model: Model = { tables: [new Map()], cloexec: [new Set()] };
        const real: Real = { tables: [new FdTable()], counted: [] };
        fc.modelRun(
          () => ({ model, real }),
          [...cmds].map((c) => withCheck(c)),
        );
      }),
      { numRuns: 60 },
    );
  });
});

function withCheck(c: fc.Command<Model, Real>): fc.Command<Model, Real> {
  return {
    check: (m) => c.check(m),
    run: (m, r) => {
      c.run(m, r);
      checkFileInvariants(r.tables);
      // Released exactly once, and exactly when the model's last reference went.
      for (const { model, ops } of r.counted) expect(ops.releases).toBe(model.refs === 0 ? 1 : 0);
      for (let t = 0; t < m.tables.length; t++)
        for (const fd of m.tables[t]!.keys())
          expect(r.tables[t]!.isCloseOnExec(fd)).toBe(m.cloexec[t]!.has(fd));
    },
    toString: () => c.toString(),
  };
}
