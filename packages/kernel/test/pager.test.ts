// Page faults forwarded to a user-space pager (L4's external pager), end to end.
import { describe, expect, it } from "vitest";
import {
  compute,
  Kernel,
  libc,
  mem,
  ProgramRegistry,
  Prot,
  Sig,
  posixStubs as sys,
  type UserCode,
  WEXITSTATUS,
  WTERMSIG,
} from "../src/index.js";

const PAGE = 4096;
const HOLE = 0x5000_0000; // no mapping here: vm cannot resolve a fault

function run(main: () => UserCode<number>) {
  const k = new Kernel({ programs: new ProgramRegistry().register({ name: "init", main }), paranoid: true });
  const p = k.boot("init");
  expect(k.run({ maxCycles: 1e8 }).outcome).toBe("all-exited");
  expect(k.resourceLeaks()).toEqual([]);
  return k.life.reapedByKernel.find((x) => x.pid === p.pid)!.status;
}

describe("external pager", () => {
  it("a fault in a hole is sent to the pager, which maps a filled page and replies; the access is retried", () => {
    const status = run(function* () {
      const pid = yield* sys.fork();
      if (pid === 0) {
        yield* compute(20_000); // let the parent attach first
        const v = yield* mem.load32(HOLE + 8);
        yield* mem.store32(HOLE + 12, v + 1);
        return (yield* mem.load32(HOLE + 12)) === 0xabababac ? 0 : 1;
      }
      yield* sys.pager_attach(pid);
      const src = yield* libc.mmapAnon(PAGE);
      yield* mem.write(src, new Uint8Array(PAGE).fill(0xab));
      const msg = yield* libc.sbrk(16);
      const cap = yield* sys.pager_recv(msg);
      const va = yield* mem.load32(msg);
      const access = yield* mem.load32(msg + 8);
      const from = yield* mem.load32(msg + 12);
      const ok = va === HOLE + 8 && access === 0 && from === pid;
      yield* sys.pager_map(pid, va & ~(PAGE - 1), Prot.PROT_READ | Prot.PROT_WRITE, src);
      yield* sys.pager_reply(cap, 1);
      const w = yield* libc.waitpid(pid);
      return ok && WEXITSTATUS(w.status) === 0 ? 0 : 2;
    });
    expect(status).toBe(0);
  });

  it("a pager that refuses (ok = 0) makes the faulting process take SIGSEGV", () => {
    const status = run(function* () {
      const pid = yield* sys.fork();
      if (pid === 0) {
        yield* compute(20_000);
        yield* mem.store8(HOLE, 1);
        return 0;
      }
      yield* sys.pager_attach(pid);
      const msg = yield* libc.sbrk(16);
      const cap = yield* sys.pager_recv(msg);
      yield* sys.pager_reply(cap, 0);
      const w = yield* libc.waitpid(pid);
      return WTERMSIG(w.status) === Sig.SIGSEGV ? 0 : 1;
    });
    expect(status).toBe(0);
  });

  it("a faulting thread whose pager dies gets SIGSEGV instead of hanging", () => {
    const status = run(function* () {
      const pid = yield* sys.fork();
      if (pid === 0) {
        const helper = yield* sys.fork();
        if (helper === 0) {
          yield* compute(50_000);
          yield* mem.store8(HOLE, 1); // faults to a pager that has exited
          return 0;
        }
        yield* sys.pager_attach(helper);
        return 0; // the pager exits without serving; the helper is re-parented to init
      }
      yield* libc.waitpid(pid);
      const w = yield* libc.waitpid(-1);
      return WTERMSIG(w.status) === Sig.SIGSEGV ? 0 : 1;
    });
    expect(status).toBe(0);
  });

  it("pager calls are refused with errno when misused", () => {
    const status = run(function* () {
      const msg = yield* libc.sbrk(16);
      if ((yield* sys.pager_recv(msg)) !== -22) return 1; // EINVAL: not a pager
      if ((yield* sys.pager_attach(1)) !== -1) return 2; // EPERM: not a child (itself)
      if ((yield* sys.pager_reply(5, 1)) !== -22) return 3;
      return 0;
    });
    expect(status).toBe(0);
  });
});
