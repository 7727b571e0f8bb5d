// The personality's additions: atomic_rmw (CMPXCHG, XCHG, XADD) and clock_gettime, and what a
// bad word does (SIGSEGV, as the locked instruction would fault).
import { Errno, libc, mem, posixStubs, Sig, WTERMSIG } from "@osbricks/kernel";
import { describe, expect, it } from "vitest";
import { AtomicOp, atomic, now, pthreadStubs, pthreadSyscalls } from "../src/index.js";
import { boot } from "./boot.js";

describe("atomic_rmw and clock_gettime", () => {
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
      return 0;
    });
    expect(b.status).toBe(0);
    expect(out).toEqual([0, 0, 0, 5, 5, 0xffff_ffff, 1, 1, 0]);
  });

  it("the raw call refuses a misaligned word (EINVAL) and an unmapped one (EFAULT)", () => {
    const out: number[] = [];
    const b = boot(function* () {
      const w = yield* libc.sbrk(8);
      out.push(yield* pthreadStubs.atomic_rmw(w + 2, AtomicOp.XCHG, 1, 0));
      out.push(yield* pthreadStubs.atomic_rmw(0x1000, AtomicOp.XCHG, 1, 0));
      out.push(yield* pthreadStubs.atomic_rmw(w, 3, 1, 0)); // no such op
      return 0;
    });
    expect(b.status).toBe(0);
    expect(out).toEqual([-Errno.EINVAL, -Errno.EFAULT, -Errno.EINVAL]);
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

  it("clock_gettime is the CPU's cycle counter: it moves forward with work", () => {
    const out: number[] = [];
    const b = boot(function* () {
      const t0 = yield* now();
      yield* posixStubs.sched_yield();
      for (let i = 0; i < 10; i++) yield* mem.load32(0x40_0000);
      out.push(t0, yield* now());
      return 0;
    });
    expect(b.status).toBe(0);
    expect(out[1]!).toBeGreaterThan(out[0]!);
  });

  it("the table is POSIX's plus the two calls, with no number clash", () => {
    expect(pthreadSyscalls.byNr[520]?.name).toBe("atomic_rmw");
    expect(pthreadSyscalls.byNr[228]?.name).toBe("clock_gettime");
    expect(pthreadSyscalls.byNr[202]?.name).toBe("futex");
  });
});
