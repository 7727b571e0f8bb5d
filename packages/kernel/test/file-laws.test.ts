// The FileOperations laws (exported from @osbricks/kernel/laws) against the kernel's own kinds of
// open file: the console, and each end of a pipe (the other end open, closed, or full).
import { describe, expect, it } from "vitest";
import { Console, Pipe, PipeReadEnd, PipeWriteEnd } from "../src/index.js";
import { fileOperationsLaws } from "../src/laws/index.js";

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
