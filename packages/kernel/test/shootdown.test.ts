// TLB shootdown by IPI (kernel/shootdown.ts): a page-table change on one CPU reaches a CPU that
// runs the same space through hw-x86's protocol, taken at that CPU's next trap boundary.
import { describe, expect, it } from "vitest";
import {
  compute,
  Kernel,
  libc,
  mem,
  ProgramRegistry,
  Sig,
  posixStubs as sys,
  WIFSIGNALED,
  WTERMSIG,
} from "../src/index.js";
import { boot, check } from "./boot-init.js";

const PAGE = 4096;

describe("TLB shootdown by IPI", () => {
  it("munmap on one CPU while a sibling thread reads the page on the other: an IPI, and the sibling's next read faults", () => {
    const { k, status, outcome } = boot(
      function* (s) {
        const a = yield* sys.fork();
        if (a === 0) {
          const va = yield* libc.mmapAnon(PAGE);
          yield* mem.store32(va, 7);
          const reader = s.addressOf(function* () {
            // Caches the translation, then keeps using it: only the shootdown can make it fault.
            for (;;) {
              if ((yield* mem.load32(va)) !== 7) return 1;
              yield* compute(200);
            }
          });
          yield* sys.thread_create(reader, 0, 0, 0);
          yield* compute(20_000); // both threads run, one per CPU
          yield* sys.munmap(va, PAGE);
          yield* compute(200_000); // the reader's SIGSEGV ends the process long before this
          return 3;
        }
        const st = (yield* libc.waitpid(a)).status;
        yield* check(WIFSIGNALED(st) && WTERMSIG(st) === Sig.SIGSEGV, 1);
        return 0;
      },
      [],
      { cpus: 2 },
    );
    expect(outcome).toBe("all-exited");
    expect(status).toBe(0);
    expect(k.shootdown.ipisSent).toBeGreaterThan(0);
    expect(k.shootdown.bus.stats.delivered).toBeGreaterThanOrEqual(k.shootdown.ipisSent);
    expect(k.shootdown.target.pending()).toEqual([]); // every request acknowledged
    expect(k.resourceLeaks()).toEqual([]);
  });

  it("runs cut at every trap (outcome 'limit') lose no IPI: a request waits only on a CPU running a thread, and the frames come back in a later run", () => {
    // SDM 4.10.5: a frame freed by the change is reused only after every target acknowledged.
    // A run that returns mid-shootdown leaves the request in the target's IRR (ipiPending); the
    // next run takes it at that CPU's next trap boundary. Paranoid mode checks after each trap
    // that IF=1 exactly on idle CPUs and that no IPI sits in an IRR unmarked.
    const programs = new ProgramRegistry().register({
      name: "init",
      *main(st) {
        const a = yield* sys.fork();
        if (a === 0) {
          const va = yield* libc.mmapAnon(8 * PAGE);
          for (let i = 0; i < 8; i++) yield* mem.store32(va + i * PAGE, i);
          const flag = yield* libc.mmapAnon(PAGE);
          const sibling = st.addressOf(function* () {
            while ((yield* mem.load32(flag)) === 0) yield* compute(200); // runs the space on the other CPU
            return 0;
          });
          yield* sys.thread_create(sibling, 0, 0, 0);
          yield* compute(5_000);
          for (let i = 0; i < 8; i++) {
            yield* sys.munmap(va + i * PAGE, PAGE);
            yield* compute(500);
          }
          yield* mem.store32(flag, 1);
          yield* compute(5_000);
          return 0;
        }
        yield* libc.waitpid(a);
        return 0;
      },
    });
    const k = new Kernel({ programs, paranoid: true, cpus: 2 });
    k.boot("init");
    let runs = 0;
    let waited = 0;
    for (;;) {
      const r = k.run({ maxSteps: 1 });
      runs++;
      for (const c of k.cpus) {
        if (c.ipiPending) {
          waited++;
          expect(c.current, `cpu ${c.id} waits on an IPI while idle`).not.toBeNull();
        }
      }
      if (r.outcome !== "limit") {
        expect(r.outcome).toBe("all-exited");
        break;
      }
    }
    expect(runs).toBeGreaterThan(100);
    expect(waited).toBeGreaterThan(0); // some run did end with an IPI outstanding
    expect(k.shootdown.ipisSent).toBeGreaterThanOrEqual(8);
    expect(k.shootdown.target.pending()).toEqual([]);
    expect(k.shootdown.target.waitingCallbacks).toBe(0);
    expect(k.resourceLeaks()).toEqual([]);
  });

  it("kernel stacks released beyond the cache are INVLPG'd on every CPU by IPI, and their frames wait for the acknowledgement", () => {
    // Kernel mappings are global (G=1): any CPU may cache them whatever it runs, so each released
    // stack page costs one IPI per other CPU (Linux: flush_tlb_kernel_range → on_each_cpu).
    const programs = new ProgramRegistry().register({
      name: "init",
      *main(st) {
        const worker = st.addressOf(function* () {
          yield* compute(3_000);
          return 0;
        });
        for (let i = 0; i < 14; i++) yield* sys.thread_create(worker, 0, 0, 0);
        yield* compute(400_000); // every worker has exited and been reaped by then
        return 0;
      },
    });
    const k = new Kernel({ programs, paranoid: true, cpus: 2 });
    const target = k.shootdown.target;
    const invalidate = target.invalidateKernelPage.bind(target);
    const ipisPerPage: number[] = [];
    target.invalidateKernelPage = (va: number) => {
      const before = target.ipisSent;
      invalidate(va);
      ipisPerPage.push(target.ipisSent - before);
    };
    k.boot("init");
    expect(k.run({ maxCycles: 5e8 }).outcome).toBe("all-exited");
    // 15 stacks (init and its workers), 8 kept by the cache, 4 pages each for the others.
    expect(ipisPerPage.length).toBeGreaterThanOrEqual(4 * (15 - 8));
    expect(ipisPerPage.every((n) => n === 1)).toBe(true);
    expect(target.pending()).toEqual([]);
    expect(target.waitingCallbacks).toBe(0);
    expect(k.resourceLeaks()).toEqual([]);
  });

  it("one CPU sends no IPIs; the same program on 2 CPUs is as deterministic as on 1", () => {
    const run = (cpus: number) =>
      boot(
        function* () {
          const va = yield* libc.mmapAnon(4 * PAGE);
          for (let i = 0; i < 4; i++) yield* mem.store32(va + i * PAGE, i);
          const a = yield* sys.fork(); // COW: the parent's writes below fault and copy
          if (a === 0) {
            for (let i = 0; i < 4; i++) yield* mem.store32(va + i * PAGE, 10 + i);
            return 0;
          }
          for (let i = 0; i < 4; i++) yield* mem.store32(va + i * PAGE, 20 + i);
          yield* libc.waitpid(a);
          return 0;
        },
        [],
        { cpus },
      );
    expect(run(1).k.shootdown.ipisSent).toBe(0);
    const a = run(2);
    const b = run(2);
    expect(a.status).toBe(0);
    expect(a.k.shootdown.ipisSent).toBe(b.k.shootdown.ipisSent);
    expect(a.k.now).toBe(b.k.now);
  });
});
