// Protection faults and the external pager: forwarded only when the process asks for L4's rule
// (Process.pagerProtectionFaults), with the x86 error code in MR5; a POSIX process keeps SIGSEGV.
import { describe, expect, it } from "vitest";
import {
  compute,
  Kernel,
  libc,
  mem,
  PAGE_FAULT_WORDS,
  PfErr,
  ProgramRegistry,
  Prot,
  pageFaultErrorCode,
  Sig,
  posixStubs as sys,
  type UserCode,
  WTERMSIG,
} from "../src/index.js";

const HOLE = 0x5000_0000;

function run(main: () => UserCode<number>) {
  const k = new Kernel({ programs: new ProgramRegistry().register({ name: "init", main }), paranoid: true });
  const p = k.boot("init");
  expect(k.run({ maxCycles: 1e8 }).outcome).toBe("all-exited");
  expect(k.resourceLeaks()).toEqual([]);
  return k.life.reapedByKernel.find((x) => x.pid === p.pid)!.status;
}

describe("protection faults and the external pager", () => {
  it("the error code: P for a protection fault, W for a write, U always, I for a fetch (Intel SDM 4.7)", () => {
    expect(pageFaultErrorCode("read", false)).toBe(PfErr.U); // 4
    expect(pageFaultErrorCode("write", false)).toBe(PfErr.W | PfErr.U); // 6
    expect(pageFaultErrorCode("write", true)).toBe(7);
    expect(pageFaultErrorCode("exec", false)).toBe(PfErr.I | PfErr.U); // 20
    expect(PAGE_FAULT_WORDS).toBe(5);
  });

  it("a POSIX process's write to a page its pager mapped read-only is SIGSEGV, not a message", () => {
    const status = run(function* () {
      const pid = yield* sys.fork();
      if (pid === 0) {
        yield* compute(20_000); // let the parent attach first
        const v = yield* mem.load32(HOLE); // not present: forwarded
        yield* mem.store32(HOLE, v + 1); // read-only: SIGSEGV, as before pagers learned of P
        return 0;
      }
      yield* sys.pager_attach(pid);
      const msg = yield* libc.sbrk(16);
      const cap = yield* sys.pager_recv(msg);
      yield* sys.pager_map(pid, HOLE, Prot.PROT_READ, 0);
      yield* sys.pager_reply(cap, 1);
      // Were the write forwarded, the child would wait for a reply forever and the run deadlock.
      const w = yield* libc.waitpid(pid);
      return WTERMSIG(w.status) === Sig.SIGSEGV ? 0 : 1;
    });
    expect(status).toBe(0);
  });
});
