import { describe, expect, it } from "vitest";
import {
  arg,
  defineSyscallTable,
  Errno,
  errnoName,
  makeStubs,
  posixSyscalls,
  SyscallDispatcher,
  SyscallTableError,
  syscallReference,
  USER_TOP,
} from "../src/index.js";

const tiny = defineSyscallTable("tiny", {
  getpid: { nr: 39, args: [], result: "pid", doc: "pid" },
  write: {
    nr: 1,
    args: [arg.fd("fd"), arg.ptr("buf", { access: "in", len: "count" }), arg.size("count")],
    result: "size",
    doc: "write",
  },
  mprot: {
    nr: 10,
    args: [arg.addr("a", { aligned: true }), arg.flags("prot", { R: 1, W: 2 })],
    result: "zero",
    doc: "",
  },
});

describe("defineSyscallTable", () => {
  it("indexes calls by number", () => {
    expect(tiny.byNr[39]?.name).toBe("getpid");
    expect(tiny.entries.map((e) => e.decl.nr)).toEqual([1, 10, 39]);
  });
  it("rejects a duplicate number", () => {
    expect(() =>
      defineSyscallTable("bad", {
        a: { nr: 1, args: [], result: "zero", doc: "" },
        b: { nr: 1, args: [], result: "zero", doc: "" },
      }),
    ).toThrow(SyscallTableError);
  });
  it("rejects a pointer whose length names no size argument", () => {
    expect(() =>
      defineSyscallTable("bad", {
        a: { nr: 1, args: [arg.ptr("p", { access: "in", len: "n" }), arg.fd("n")], result: "zero", doc: "" },
      }),
    ).toThrow(/not a size argument/);
  });
  it("rejects more than six arguments", () => {
    const seven = ["a", "b", "c", "d", "e", "f", "g"].map((n) => arg.int(n));
    expect(() => defineSyscallTable("bad", { a: { nr: 1, args: seven, result: "zero", doc: "" } })).toThrow(
      /ABI/,
    );
  });
});

describe("SyscallDispatcher argument checks", () => {
  const calls: unknown[][] = [];
  const d = new SyscallDispatcher<{ pid: number }, typeof tiny.decls>(tiny, {
    getpid: (c) => c.pid,
    write: (_c, fd, buf, n) => {
      calls.push([fd, buf, n]);
      return n;
    },
    mprot: () => 0,
  });
  const ctx = { pid: 7 };
  it("runs a handler with checked arguments", () => {
    expect(d.dispatch(ctx, 39, [])).toBe(7);
    expect(d.dispatch(ctx, 1, [1, 0x1000, 5])).toBe(5);
  });
  it("returns ENOSYS for unknown numbers and garbage numbers", () => {
    for (const nr of [2, 1000, -1, 1.5, "1", null]) expect(d.dispatch(ctx, nr, [])).toBe(-Errno.ENOSYS);
  });
  it("returns EINVAL for a wrong argument count", () => {
    expect(d.dispatch(ctx, 1, [1, 0x1000])).toBe(-Errno.EINVAL);
  });
  it("returns EBADF for a negative or non-integer fd", () => {
    expect(d.dispatch(ctx, 1, [-1, 0x1000, 5])).toBe(-Errno.EBADF);
    expect(d.dispatch(ctx, 1, [0.5, 0x1000, 5])).toBe(-Errno.EBADF);
  });
  it("returns EFAULT for NULL or a range leaving user space, judged with the named length", () => {
    expect(d.dispatch(ctx, 1, [1, 0, 5])).toBe(-Errno.EFAULT);
    expect(d.dispatch(ctx, 1, [1, USER_TOP - 4, 5])).toBe(-Errno.EFAULT);
    expect(d.dispatch(ctx, 1, [1, USER_TOP - 5, 5])).toBe(5);
  });
  it("returns EINVAL for unknown flag bits and misaligned addresses", () => {
    expect(d.dispatch(ctx, 10, [0x1000, 4])).toBe(-Errno.EINVAL);
    expect(d.dispatch(ctx, 10, [0x1001, 1])).toBe(-Errno.EINVAL);
    expect(d.dispatch(ctx, 10, [0x1000, 3])).toBe(0);
  });
  it("never calls the handler when a check fails", () => {
    calls.length = 0;
    d.dispatch(ctx, 1, [1, 0, 5]);
    expect(calls).toEqual([]);
  });
});

describe("stubs", () => {
  it("yield one syscall trap with the declared number and return the result", () => {
    const sys = makeStubs(tiny);
    const g = sys.write(1, 0x2000, 3);
    const t = g.next();
    expect(t.value).toEqual({ kind: "syscall", nr: 1, args: [1, 0x2000, 3] });
    expect(g.next(3)).toEqual({ done: true, value: 3 });
  });
});

describe("errno", () => {
  it("names errors and only errors", () => {
    expect(errnoName(-Errno.EFAULT)).toBe("EFAULT");
    expect(errnoName(0)).toBeNull();
    expect(errnoName(-5000)).toBeNull();
  });
});

describe("syscallReference", () => {
  it("lists every POSIX call with its number", () => {
    const md = syscallReference(posixSyscalls);
    for (const e of posixSyscalls.entries) expect(md).toContain(`## ${e.name}`);
    expect(md).toContain("| 57 | [`fork`](#fork) |");
  });
});

describe("dispatch laws", () => {
  it("hold for the POSIX table with counting handlers", async () => {
    const { countingDispatch, syscallDispatchLaws } = await import("../src/laws/index.js");
    for (const law of syscallDispatchLaws(posixSyscalls, () => countingDispatch(posixSyscalls), {
      numRuns: 100,
    }))
      law.check();
  });

  it("countingDispatch counts exactly the calls that reach a handler", async () => {
    const { countingDispatch } = await import("../src/laws/index.js");
    const probe = countingDispatch(posixSyscalls);
    const getpid = posixSyscalls.decls.getpid.nr; // 39, as Linux x86-64
    expect(probe.dispatch(getpid, [])).toBe(0);
    expect(probe.dispatch(9999, [])).toBeLessThan(0); // ENOSYS: no handler runs
    const write = posixSyscalls.decls.write.nr;
    expect(probe.dispatch(write, [-1, 4096, 1])).toBeLessThan(0); // fd -1 fails its check: no handler
    expect(probe.handlerCalls()).toBe(1);
  });
});

describe("docs/syscalls-posix.md", () => {
  it("is up to date with the POSIX table (regenerate: pnpm tsx --conditions=@osbricks/source packages/kernel/scripts/gen-syscall-docs.ts)", async () => {
    const { readFileSync } = await import("node:fs");
    const file = readFileSync(new URL("../../../docs/syscalls-posix.md", import.meta.url), "utf8");
    expect(file).toBe(`${syscallReference(posixSyscalls, "System calls: the POSIX personality")}\n`);
  });
});
