// End-to-end tests of thread life cycles (create, join, detach, exit, self, equal) and of user
// stacks with guard pages. Each test boots a small kernel; run one alone with
//   pnpm vitest run packages/runtime/test/pthread.test.ts -t "<name>"
import {
  compute,
  copyIn,
  Errno,
  Kernel,
  type KernelEvent,
  libc,
  mem,
  ProgramRegistry,
  Sig,
  type UserCode,
  WIFSIGNALED,
  WTERMSIG,
} from "@osbricks/kernel";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import {
  AREA_MAGIC,
  AreaLayout,
  checkThreadLibrary,
  DEFAULT_GUARD_BYTES,
  DEFAULT_STACK_BYTES,
  JoinState,
  keyCreate,
  PTHREAD_STACK_MIN,
  type Pthread,
  pthreadMain,
  setSpecific,
  TCB_BYTES,
  TcbLayout,
} from "../src/index.js";
import { boot } from "./boot.js";

const ok = (b: ReturnType<typeof boot>): void => {
  expect(b.kernel.crashes).toEqual([]);
  expect(b.run.outcome).toBe("all-exited");
  expect(b.status).toBe(0);
};

function* double(_self: Pthread, n: number) {
  yield* compute(100);
  return n * 2;
}

describe("pthread_create / pthread_join", () => {
  it("join returns each thread's value (8 threads, 2 CPUs)", () => {
    const values: number[] = [];
    const b = boot(
      function* (self) {
        const ts: number[] = [];
        for (let i = 0; i < 8; i++) ts.push((yield* self.create(double, i)).thread);
        for (const t of ts) values.push((yield* self.join(t)).value);
        return 0;
      },
      { cpus: 2 },
    );
    ok(b);
    expect(values).toEqual([0, 2, 4, 6, 8, 10, 12, 14]);
  });

  it("pthread_exit from a nested call ends the thread with its value; negative values survive", () => {
    let got = 0;
    const b = boot(function* (self) {
      const { thread } = yield* self.create(function* (t) {
        function* deep(n: number): UserCode<number> {
          if (n === 0) return yield* t.exit(-7);
          return yield* deep(n - 1);
        }
        yield* deep(5);
        return 99; // never reached
      });
      got = (yield* self.join(thread)).value;
      return 0;
    });
    ok(b);
    expect(got).toBe(-7);
  });

  it("returning from the start routine and calling pthread_exit are the same steps (joined, detached, with keys)", () => {
    // The entry trampoline writes pthread_exit's steps out instead of calling Pthread.exit (one
    // generator level less): both ends must give the same values, the same traps, the same memory.
    const run = (viaExit: boolean) => {
      const values: number[] = [];
      const end = function* (t: Pthread, v: number): UserCode<number> {
        if (viaExit) return yield* t.exit(v);
        return v;
      };
      const b = boot(function* (self) {
        const { key } = yield* keyCreate(self, function* (_t, v) {
          values.push(1000 + v);
          yield* compute(1);
        });
        for (let i = 0; i < 3; i++) {
          const j = yield* self.create(function* (t, n) {
            return yield* end(t, n - 10);
          }, i);
          values.push((yield* self.join(j.thread)).value);
          yield* self.create(
            function* (t, n) {
              yield* setSpecific(t, key, n + 1); // non-NULL: the destructor runs
              return yield* end(t, n);
            },
            i,
            { detached: true },
          );
          for (let y = 0; y < 3; y++) yield* self.yield(); // the detached thread ends, reclaims itself
        }
        return 0;
      });
      ok(b);
      return { values, steps: b.kernel.steps, cycles: b.run.cycles };
    };
    const returned = run(false);
    const exited = run(true);
    expect(returned.values).toEqual([-10, 1001, -9, 1002, -8, 1003]);
    expect(exited).toEqual(returned);
  });

  it("joining oneself is EDEADLK", () => {
    let err = -1;
    ok(
      boot(function* (self) {
        err = (yield* self.join(self.self())).error;
        return 0;
      }),
    );
    expect(err).toBe(Errno.EDEADLK);
  });

  it("joining a detached thread is EINVAL (created detached, or detached later)", () => {
    const errs: number[] = [];
    ok(
      boot(function* (self) {
        const a = yield* self.create(double, 1, { detached: true });
        errs.push((yield* self.join(a.thread)).error);
        const c = yield* self.create(double, 2);
        errs.push(yield* self.detach(c.thread));
        errs.push((yield* self.join(c.thread)).error);
        errs.push(yield* self.detach(c.thread)); // detaching twice
        for (let i = 0; i < 10; i++) yield* self.yield();
        return 0;
      }),
    );
    expect(errs).toEqual([Errno.EINVAL, 0, Errno.EINVAL, Errno.EINVAL]);
  });

  it("a second joiner gets EINVAL; joining an already joined thread is ESRCH", () => {
    const errs: number[] = [];
    ok(
      boot(
        function* (self) {
          const slow = yield* self.create(function* () {
            yield* compute(50_000);
            return 5;
          });
          const rival = yield* self.create(function* (t, target) {
            yield* compute(1000); // let main claim the join first
            return (yield* t.join(target)).error;
          }, slow.thread);
          errs.push((yield* self.join(slow.thread)).value);
          errs.push((yield* self.join(rival.thread)).value);
          errs.push((yield* self.join(slow.thread)).error);
          return 0;
        },
        { cpus: 2 },
      ),
    );
    expect(errs).toEqual([5, Errno.EINVAL, Errno.ESRCH]);
  });

  it("a thread that exited before join is still joinable (EXITED state), and detach after exit reclaims it", () => {
    const out: number[] = [];
    ok(
      boot(function* (self) {
        const a = yield* self.create(double, 4);
        const c = yield* self.create(double, 5);
        yield* compute(10_000);
        for (let i = 0; i < 5; i++) yield* self.yield(); // both have finished
        out.push(yield* mem.load32(a.thread + TcbLayout.TID)); // the kernel cleared it
        out.push((yield* self.join(a.thread)).value);
        out.push(yield* self.detach(c.thread));
        // Both stacks cached: the joined one as the spare, the detached one on the list.
        const area = self.lib.area;
        out.push(area + ((yield* mem.load32(area + AreaLayout.SPARE)) | 0) * 4096 === a.thread ? 1 : 0);
        out.push(yield* mem.load32(area + AreaLayout.CACHE_COUNT));
        out.push((yield* mem.loadI64(area + AreaLayout.CACHE_HEAD)) === c.thread ? 1 : 0);
        return 0;
      }),
    );
    expect(out).toEqual([0, 8, 0, 1, 1, 1]);
  });

  it("stacks are reused from the cache: create, join, create again gives the same pthread_t", () => {
    const ids: number[] = [];
    ok(
      boot(function* (self) {
        for (let i = 0; i < 3; i++) {
          const r = yield* self.create(double, i);
          ids.push(r.thread);
          yield* self.join(r.thread);
        }
        return 0;
      }),
    );
    expect(new Set(ids).size).toBe(1);
  });

  it("bad attributes are EINVAL: a stack below PTHREAD_STACK_MIN, a guard not page-sized", () => {
    const errs: number[] = [];
    ok(
      boot(function* (self) {
        errs.push((yield* self.create(double, 0, { stackSize: PTHREAD_STACK_MIN - 4096 })).error);
        errs.push((yield* self.create(double, 0, { guardSize: 100 })).error);
        return 0;
      }),
    );
    expect(errs).toEqual([Errno.EINVAL, Errno.EINVAL]);
  });

  it("creating past the kernel's thread limit is EAGAIN; every created thread still joins", () => {
    const out: number[] = [];
    const b = boot(
      function* (self) {
        // The threads wait for main's word, so none ends (and frees its slot) before the limit.
        const go = yield* libc.sbrk(8);
        const ts: number[] = [];
        for (;;) {
          const r = yield* self.create(function* () {
            while ((yield* mem.load32(go)) === 0) yield* compute(1000);
            return 1;
          });
          if (r.error !== 0) {
            out.push(r.error);
            break;
          }
          ts.push(r.thread);
        }
        yield* mem.store32(go, 1);
        let sum = 0;
        for (const t of ts) sum += (yield* self.join(t)).value;
        out.push(ts.length, sum);
        return 0;
      },
      { maxThreads: 6 },
    );
    ok(b);
    expect(out).toEqual([Errno.EAGAIN, 5, 5]); // main + 5 = the kernel's 6
  });

  it("pthread_self and pthread_equal: each thread sees its own control block", () => {
    const seen: number[] = [];
    let created = 0;
    let equal = false;
    ok(
      boot(function* (self) {
        const r = yield* self.create(function* (t) {
          seen.push(t.self());
          yield* compute(1);
          return 0;
        });
        created = r.thread;
        equal = self.equal(self.self(), self.self()) && !self.equal(self.self(), r.thread);
        yield* self.join(r.thread);
        return 0;
      }),
    );
    expect(seen).toEqual([created]);
    expect(equal).toBe(true);
  });

  it("pthread_exit in main ends only the main thread; the process lives until the last thread ends", () => {
    let finished = false;
    const b = boot(function* (self) {
      yield* self.create(
        function* () {
          yield* compute(20_000);
          finished = true;
          return 0;
        },
        0,
        { detached: true },
      );
      return yield* self.exit(0);
    });
    ok(b);
    expect(finished).toBe(true);
  });
});

describe("user stacks with guard pages", () => {
  /** Recurse with 512-byte frames until something stops us; returns the depth reached. */
  function* recurse(self: Pthread, depth: { n: number }): UserCode<never> {
    return yield* self.frame(512, function* () {
      depth.n++;
      return yield* recurse(self, depth);
    });
  }

  it("a runaway recursion in a thread stores into its guard page and the process takes SIGSEGV", () => {
    const faults: KernelEvent[] = [];
    const depth = { n: 0 };
    let tcb = 0;
    const b = boot(
      function* (self) {
        const r = yield* self.create(function* (t) {
          return yield* recurse(t, depth);
        });
        tcb = r.thread;
        yield* self.join(r.thread);
        return 0; // never: the whole process dies
      },
      { tracer: { emit: (e) => e.type === "kernel.fault" && faults.push(e) } },
    );
    expect(b.kernel.crashes).toEqual([]);
    expect(WIFSIGNALED(b.status)).toBe(true);
    expect(WTERMSIG(b.status)).toBe(Sig.SIGSEGV);
    // The faulting store hit the guard page right below the stack, not some other hole.
    const stackBottom = tcb - DEFAULT_STACK_BYTES;
    const last = faults.at(-1) as Extract<KernelEvent, { type: "kernel.fault" }>;
    expect(last.va).toBeGreaterThanOrEqual(stackBottom - DEFAULT_GUARD_BYTES);
    expect(last.va).toBeLessThan(stackBottom);
    expect(last.outcome).not.toBe("resolved");
    // 512 + 8 bytes round to 528 per frame: 65536 / 528 = 124 frames fit, the 125th probes the guard.
    expect(depth.n).toBe(Math.floor(DEFAULT_STACK_BYTES / 528));
  });

  it("a bigger stack attribute allows a deeper recursion before the fault", () => {
    const depth = { n: 0 };
    const b = boot(function* (self) {
      const r = yield* self.create(
        function* (t) {
          return yield* recurse(t, depth);
        },
        0,
        { stackSize: 4 * DEFAULT_STACK_BYTES },
      );
      yield* self.join(r.thread);
      return 0;
    });
    expect(WTERMSIG(b.status)).toBe(Sig.SIGSEGV);
    expect(depth.n).toBe(Math.floor((4 * DEFAULT_STACK_BYTES) / 528));
  });

  it("the main thread's recursion hits the loader's guard page below the main stack", () => {
    const depth = { n: 0 };
    const b = boot(function* (self) {
      return yield* recurse(self, depth);
    });
    expect(WTERMSIG(b.status)).toBe(Sig.SIGSEGV);
    expect(depth.n).toBeGreaterThan(10);
    expect(depth.n).toBeLessThan(8 * 4096); // the default main stack is 8 pages
  });

  it("the control block sits on top of the stack: one mapping of guard + stack + TCB", () => {
    let base = 0;
    let bytes = 0;
    let tcb = 0;
    ok(
      boot(function* (self) {
        const r = yield* self.create(double, 1);
        tcb = r.thread;
        base = Number(yield* mem.load64(tcb + TcbLayout.MAP_BASE));
        bytes = yield* mem.load32(tcb + TcbLayout.MAP_BYTES);
        yield* self.join(r.thread);
        return 0;
      }),
    );
    expect(bytes).toBe(DEFAULT_GUARD_BYTES + DEFAULT_STACK_BYTES + TCB_BYTES);
    expect(tcb).toBe(base + DEFAULT_GUARD_BYTES + DEFAULT_STACK_BYTES);
  });
});

describe("the library's process-wide state", () => {
  it("checkThreadLibrary holds between every 3 kernel steps of a create/join/detach workload, and catches a corrupted count", () => {
    let area = 0;
    const programs = new ProgramRegistry().register({
      name: "init",
      main: pthreadMain(function* (self) {
        area = self.lib.area;
        for (let i = 0; i < 6; i++) {
          const a = yield* self.create(double, i);
          const d = yield* self.create(double, i, { detached: true });
          void d;
          yield* self.join(a.thread);
        }
        yield* compute(50_000);
        return 0;
      }),
    });
    const k = new Kernel({ programs, cpus: 2 });
    const p = k.boot("init");
    let checked = 0;
    for (;;) {
      const r = k.run({ maxSteps: 3 });
      if (r.outcome !== "limit" || p.addressSpace === null) break;
      const space = p.addressSpace;
      if (area !== 0 && checkThreadLibrary((va, n) => copyIn(k, space, va, n), area)) checked++;
    }
    expect(checked).toBeGreaterThan(20);
    // A corrupted snapshot: the count says one more than the list holds.
    const fake = new Map<number, number>([
      [0x1000 + AreaLayout.MAGIC, AREA_MAGIC],
      [0x1000 + AreaLayout.CACHE_COUNT, 1],
    ]);
    const read = (va: number, n: number): Uint8Array => {
      const b = new Uint8Array(n);
      new DataView(b.buffer).setUint32(0, fake.get(va) ?? 0, true);
      return b;
    };
    expect(() => checkThreadLibrary(read, 0x1000)).toThrow(/count=1 but 0 entries/);
    // Another: the spare names a block two pages up whose join word is not RECLAIMED.
    fake.set(0x1000 + AreaLayout.CACHE_COUNT, 0);
    fake.set(0x1000 + AreaLayout.SPARE, 2);
    fake.set(0x3000 + TcbLayout.JOIN, JoinState.DEFAULT_STACK);
    expect(() => checkThreadLibrary(read, 0x1000)).toThrow(/spare TCB 0x3000 is not reclaimed/);
  });
});

describe("stack clash protection", () => {
  it("a frame larger than the guard cannot jump over it: the page probes fault in the guard page", () => {
    const faults: Extract<KernelEvent, { type: "kernel.fault" }>[] = [];
    let tcb = 0;
    const b = boot(
      function* (self) {
        const r = yield* self.create(function* (t) {
          // Use most of the stack, then ask for a 3-page frame: its lowest word would be two
          // pages below the guard, in memory that may well be mapped.
          return yield* t.frame(DEFAULT_STACK_BYTES - 512, function* () {
            return yield* t.frame(3 * 4096, function* () {
              yield* compute(1);
              return 1;
            });
          });
        });
        tcb = r.thread;
        yield* self.join(r.thread);
        return 0;
      },
      { tracer: { emit: (e) => e.type === "kernel.fault" && faults.push(e) } },
    );
    expect(WTERMSIG(b.status)).toBe(Sig.SIGSEGV);
    const stackBottom = tcb - DEFAULT_STACK_BYTES;
    const last = faults.at(-1)!;
    expect(last.va).toBeGreaterThanOrEqual(stackBottom - DEFAULT_GUARD_BYTES);
    expect(last.va).toBeLessThan(stackBottom);
  });
});

describe("join cycles", () => {
  it("two threads joining each other: EDEADLK instead of a deadlock (at least one sees the cycle)", () => {
    const results: number[] = [];
    const b = boot(
      function* (self) {
        const base = yield* libc.sbrk(16);
        // Each thread learns the other's pthread_t through memory, then joins it.
        const body = function* (t: Pthread, slot: number) {
          yield* mem.store64(base + 8 * slot, BigInt(t.self()));
          let other = 0;
          while ((other = Number(yield* mem.load64(base + 8 * (1 - slot)))) === 0) yield* t.yield();
          const r = yield* t.join(other);
          results.push(r.error);
          return slot;
        };
        const a = yield* self.create(body, 0);
        const c = yield* self.create(body, 1);
        // Main must not claim either before they have tried each other (it would make one EINVAL).
        while (results.length < 2) yield* self.yield();
        // Exactly one was joined by its peer (ESRCH now); main joins the other.
        for (const t of [a.thread, c.thread]) yield* self.join(t);
        return 0;
      },
      { cpus: 2 },
    );
    expect(b.kernel.crashes).toEqual([]);
    expect(b.run.outcome).toBe("all-exited");
    // At least one sees the cycle (both may, if each announced before the other looked).
    expect(results).toContain(Errno.EDEADLK);
    expect(results.every((e) => e === 0 || e === Errno.EDEADLK)).toBe(true);
  });

  it("property: under any interleaving, a join cycle ends with one EDEADLK or two, claims taken back, each stack reclaimed once", () => {
    fc.assert(
      fc.property(
        fc.record({
          seed: fc.integer({ min: 1, max: 10_000 }),
          cpus: fc.integer({ min: 1, max: 3 }),
          tick: fc.integer({ min: 10, max: 400 }),
          jitter: fc.tuple(fc.nat(3000), fc.nat(3000)),
        }),
        ({ seed, cpus, tick, jitter }) => {
          const peer: number[] = [-1, -1]; // each thread's join of the other
          const byMain: number[] = [];
          let cached = -1;
          const b = boot(
            function* (self) {
              const base = yield* libc.sbrk(16);
              const body = function* (t: Pthread, slot: number) {
                yield* mem.store64(base + 8 * slot, t.self());
                let other = 0;
                while ((other = yield* mem.loadI64(base + 8 * (1 - slot))) === 0) yield* t.yield();
                yield* compute(jitter[slot]!);
                peer[slot] = (yield* t.join(other)).error;
                return slot + 10;
              };
              const ts = [(yield* self.create(body, 0)).thread, (yield* self.create(body, 1)).thread];
              while (peer[0] === -1 || peer[1] === -1) yield* self.yield();
              for (const t of ts) byMain.push((yield* self.join(t)).error);
              // Both stacks are back: one as the spare, the other on the list.
              const area = self.lib.area;
              const spare = (yield* mem.load32(area + AreaLayout.SPARE)) !== 0 ? 1 : 0;
              cached = spare + (yield* mem.load32(area + AreaLayout.CACHE_COUNT));
              return 0;
            },
            { cpus, tick, seed },
          );
          expect(b.kernel.crashes).toEqual([]);
          expect(b.run.outcome).toBe("all-exited");
          expect(peer).toContain(Errno.EDEADLK);
          for (let i = 0; i < 2; i++) {
            expect([0, Errno.EDEADLK]).toContain(peer[i]);
            // A thread its peer joined is gone (ESRCH); one whose peer backed off is main's to join.
            expect(byMain[i]).toBe(peer[1 - i] === 0 ? Errno.ESRCH : 0);
          }
          expect(cached).toBe(2);
        },
      ),
      { numRuns: 60 },
    );
  });
});
