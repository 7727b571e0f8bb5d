// A kernel declares its own system-call table once; stubs, dispatch (with handle arguments
// resolved in the caller's handle table) and the reference page all come from it. This is how an
// example kernel (jsix-like, L4-like) brings its own personality on the same core.
import { Right } from "@osbricks/objects";
import { describe, expect, it } from "vitest";
import {
  arg,
  defineSyscallTable,
  Errno,
  Kernel,
  kernelHandleResolver,
  makeStubs,
  type Personality,
  type Process,
  ProgramRegistry,
  SYSCALL_NORETURN,
  SyscallDispatcher,
  syscallReference,
  type Thread,
} from "../src/index.js";

const tiny = defineSyscallTable("tiny", {
  self: { nr: 1, args: [], result: "handle", doc: "The caller's handle to its own process." },
  koid: {
    nr: 2,
    args: [arg.handle<Process>("proc", { type: "process", rights: Right.INSPECT, doc: "a process" })],
    result: "int",
    doc: "The koid of a process.",
  },
  kill_self: {
    nr: 3,
    args: [arg.handle<Thread>("thread", { type: "thread", rights: Right.MANAGE })],
    result: "noreturn",
    doc: "End a thread.",
  },
  exit: { nr: 4, args: [arg.int("code")], result: "noreturn", doc: "End the process." },
});
const sys = makeStubs(tiny);

const personality: Personality = (k) =>
  new SyscallDispatcher(
    tiny,
    {
      self: (t) => t.process.selfHandle,
      koid: (_t, p) => p.koid,
      kill_self: (t) => {
        k.life.exitThread(t, 0);
        return SYSCALL_NORETURN;
      },
      exit: (t, code) => {
        k.life.exitProcess(t.process, (code & 0xff) << 8);
        return SYSCALL_NORETURN;
      },
    },
    { resolveHandle: kernelHandleResolver(k) },
  ) as unknown as SyscallDispatcher<Thread>;

describe("a personality of one's own", () => {
  it("resolves handle arguments by type and rights; bad, stale and wrong-type handles get EBADF", () => {
    const results: number[] = [];
    const programs = new ProgramRegistry().register({
      name: "init",
      *main() {
        const h = yield* sys.self();
        results.push(yield* sys.koid(h));
        results.push(yield* sys.koid(h + 1)); // not a handle of this table
        results.push(yield* sys.koid(0));
        results.push(yield* sys.koid(-3)); // negative: refused by the declared check
        yield* sys.exit(0);
        return 0;
      },
    });
    const k = new Kernel({ programs, personality, paranoid: true });
    const p = k.boot("init");
    k.run();
    expect(results[0]).toBe(p.koid);
    expect(results.slice(1)).toEqual([-Errno.EBADF, -Errno.EBADF, -Errno.EBADF]);
    expect(k.resourceLeaks()).toEqual([]);
  });

  it("its reference page comes from the same declaration", () => {
    const md = syscallReference(tiny);
    expect(md).toContain("handle<process> proc");
    expect(md).toContain("rights 0x200");
  });
});
