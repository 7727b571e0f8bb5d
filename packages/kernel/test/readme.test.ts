// The README's example, run: it must keep working as written.
import { describe, expect, it } from "vitest";
import { Kernel, libc, mem, ProgramRegistry, posixStubs as sys, WEXITSTATUS } from "../src/index.js";

describe("README", () => {
  it("the example program forks, copies on write and exits 0", () => {
    const programs = new ProgramRegistry().register({
      name: "init",
      *main() {
        const va = yield* libc.sbrk(4096); // brk: grow the heap
        yield* mem.store32(va, 1); // a store trap: #PF → demand-zero page → retry
        const pid = yield* sys.fork(); // returns twice (see "fork by replay")
        if (pid === 0) {
          yield* mem.store32(va, 2); // copy-on-write: the parent still sees 1
          return 7; // main returning is exit_group(7)
        }
        const { status } = yield* libc.waitpid(pid);
        return WEXITSTATUS(status) === 7 && (yield* mem.load32(va)) === 1 ? 0 : 1;
      },
    });
    const k = new Kernel({ programs, cpus: 2, cow: "shadow", allocator: "buddy", paranoid: true });
    k.boot("init");
    expect(k.run().outcome).toBe("all-exited");
    expect(k.life.reapedByKernel).toEqual([{ pid: 1, status: 0 }]);
  });
});
