// Threads and fork: the child of a threaded process is rebuilt by replay (see @osbricks/kernel's
// lifecycle.ts), so the library must keep no state outside simulated memory and the thread's
// context; `self.fork()` gives the calling thread its new tid in the child, as glibc's fork does.
import { compute, Errno, libc, posixStubs as sys, WEXITSTATUS } from "@osbricks/kernel";
import { describe, expect, it } from "vitest";
import { MutexKind, mutexInit, mutexLock, mutexUnlock, type Pthread } from "../src/index.js";
import { boot } from "./boot.js";

function* twice(_t: Pthread, n: number) {
  yield* compute(10);
  return n * 2;
}

describe("fork in a threaded process", () => {
  it("the child runs with its own tid, creates and joins threads, uses checked mutexes; the parent is unaffected", () => {
    const seen: number[] = [];
    const b = boot(function* (self) {
      const before = yield* self.create(twice, 5);
      const first = (yield* self.join(before.thread)).value; // locals, not `seen`: fork replays this part
      const m = yield* libc.sbrk(16);
      yield* mutexInit(m, MutexKind.ERRORCHECK);
      const parentTid = self.tid;
      const pid = yield* self.fork();
      if (pid === 0) {
        const ok1 = self.tid === (yield* sys.gettid()) && self.tid !== parentTid;
        const r = yield* self.create(twice, 21);
        const j = yield* self.join(r.thread);
        const l = yield* mutexLock(self, m);
        const again = yield* mutexLock(self, m);
        const u = yield* mutexUnlock(self, m);
        const ok = ok1 && j.value === 42 && l === 0 && again === Errno.EDEADLK && u === 0;
        return yield* sys.exit_group(ok ? 3 : 4);
      }
      const { status } = yield* libc.waitpid(pid);
      seen.push(first, WEXITSTATUS(status));
      const after = yield* self.create(twice, 7);
      seen.push((yield* self.join(after.thread)).value);
      return 0;
    });
    expect(b.kernel.crashes).toEqual([]);
    expect(b.status).toBe(0);
    expect(seen).toEqual([10, 3, 14]);
  });
});
