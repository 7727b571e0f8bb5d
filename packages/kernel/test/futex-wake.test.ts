// FUTEX_WAKE's count as Linux reads it: futex_wake(uaddr, flags, int nr_wake, bitset) wakes a
// waiter and only then tests `++ret >= nr_wake`, so nr_wake 0 — or a u32 val of 2^31 and more,
// negative as an int — wakes one waiter, not none.
import { describe, expect, it } from "vitest";
import {
  compute,
  FutexOp,
  Kernel,
  libc,
  ProgramRegistry,
  posixStubs as sys,
  type UserCode,
  WEXITSTATUS,
} from "../src/index.js";

const PAGE = 4096;

function run(main: () => UserCode<number>): number {
  const k = new Kernel({ programs: new ProgramRegistry().register({ name: "init", main }), paranoid: true });
  const p = k.boot("init");
  expect(k.run({ maxCycles: 1e8 }).outcome).toBe("all-exited");
  expect(k.resourceLeaks()).toEqual([]);
  return k.life.reapedByKernel.find((x) => x.pid === p.pid)!.status;
}

describe("futex FUTEX_WAKE count (Linux futex_wake)", () => {
  it("wakes one for val 0, for 2^32 − 1 and 2^31 (negative ints), as many as asked otherwise, none with no waiter", () => {
    // The parent checks what each wake returned, in the program: a forked child replays the
    // parent's generator, so nothing outside it may record a result. A mismatch exits with
    // 10 × (its index + 1) + the count returned.
    const status = run(function* () {
      const woken: number[] = [];
      const word = yield* libc.mmapAnon(PAGE, { shared: true }); // 0: every wait blocks
      woken.push(yield* sys.futex(word, FutexOp.FUTEX_WAKE, 0, 0)); // nobody waits yet
      const kids: number[] = [];
      for (let i = 0; i < 5; i++) {
        const pid = yield* sys.fork();
        if (pid === 0) return (yield* sys.futex(word, FutexOp.FUTEX_WAIT, 0, 0)) === 0 ? 0 : 1;
        kids.push(pid);
      }
      yield* compute(50_000); // every child blocks in FUTEX_WAIT meanwhile
      for (const val of [0, 2 ** 32 - 1, 2 ** 31, 2]) {
        woken.push(yield* sys.futex(word, FutexOp.FUTEX_WAKE, val, 0));
        yield* compute(5_000);
      }
      let bad = 0;
      for (const pid of kids) bad += (yield* libc.waitpid(pid)).status;
      if (bad !== 0) return 99;
      const want = [0, 1, 1, 1, 2];
      for (let i = 0; i < want.length; i++)
        if (woken[i] !== want[i]) return 10 * (i + 1) + Math.min(9, woken[i]!);
      return 0;
    });
    expect(WEXITSTATUS(status)).toBe(0);
  });
});
