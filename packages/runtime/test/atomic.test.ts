// The atomics this library is built on (the kernel's atomic trap) and the clock, including what a
// bad word does: SIGSEGV on a read-only page, SIGBUS on a split lock, as the CPU would.
import { libc, mem, Sig, WTERMSIG } from "@osbricks/kernel";
import { describe, expect, it } from "vitest";
import { atomic, now } from "../src/index.js";
import { boot } from "./boot.js";

describe("atomics and the clock", () => {
  it("CMPXCHG stores only on a match and returns the old value; XCHG swaps; XADD adds mod 2^32", () => {
    const out: number[] = [];
    const b = boot(function* () {
      const w = yield* libc.sbrk(8);
      out.push(yield* atomic.cas32(w, 1, 5)); // no match: stays 0
      out.push(yield* mem.load32(w));
      out.push(yield* atomic.cas32(w, 0, 5)); // match
      out.push(yield* mem.load32(w));
      out.push(yield* atomic.xchg32(w, 0xffff_ffff));
      out.push(yield* atomic.add32(w, 2)); // 0xFFFFFFFF + 2 wraps to 1
      out.push(yield* mem.load32(w));
      out.push(yield* atomic.add32(w, -1));
      out.push(yield* mem.load32(w));
      out.push(yield* atomic.cas32(w, -1, 3)); // −1 and 0xFFFFFFFF are the same word
      return 0;
    });
    expect(b.status).toBe(0);
    expect(out).toEqual([0, 0, 0, 5, 5, 0xffff_ffff, 1, 1, 0, 0]);
  });

  it("an atomic on a read-only page kills the process with SIGSEGV, as LOCK CMPXCHG would", () => {
    const b = boot(function* () {
      const ro = yield* libc.mmapAnon(4096, { prot: 1 }); // PROT_READ
      yield* atomic.cas32(ro, 0, 1);
      return 0;
    });
    expect(b.kernel.crashes).toEqual([]);
    expect(WTERMSIG(b.status)).toBe(Sig.SIGSEGV);
  });

  it("a misaligned atomic is a split lock: SIGBUS", () => {
    const b = boot(function* () {
      const w = yield* libc.sbrk(8);
      yield* atomic.xchg32(w + 2, 1);
      return 0;
    });
    expect(WTERMSIG(b.status)).toBe(Sig.SIGBUS);
  });

  it("the clock is the CPU's cycle counter: it moves forward with work", () => {
    const out: number[] = [];
    const b = boot(function* (self) {
      const t0 = yield* now();
      yield* self.yield();
      for (let i = 0; i < 10; i++) yield* mem.load32(0x40_0000);
      out.push(t0, yield* now());
      return 0;
    });
    expect(b.status).toBe(0);
    expect(out[1]!).toBeGreaterThan(out[0]!);
  });
});
