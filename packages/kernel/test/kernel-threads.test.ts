import { describe, expect, it } from "vitest";
import { compute, Kernel, type KernelEvent, ProgramRegistry, posixStubs as sys } from "../src/index.js";

function kernel(cpus = 1, events: KernelEvent[] = []) {
  return new Kernel({
    programs: new ProgramRegistry(),
    cpus,
    tracer: { emit: (e) => events.push(e) },
    paranoid: true,
  });
}

describe("kernel threads on the trap loop", () => {
  it("run to completion and the run reports all-exited", () => {
    const k = kernel();
    let done = 0;
    k.spawnKernelThread(function* () {
      yield* compute(5000);
      done++;
    });
    const r = k.run();
    expect(r.outcome).toBe("all-exited");
    expect(done).toBe(1);
    expect(r.cycles).toBeGreaterThanOrEqual(5000);
  });

  it("are preempted by the timer and interleave under round robin", () => {
    const events: KernelEvent[] = [];
    const k = kernel(1, events);
    const order: string[] = [];
    for (const name of ["a", "b"]) {
      k.spawnKernelThread(function* () {
        for (let i = 0; i < 5; i++) {
          order.push(name);
          yield* compute(6000);
        }
      });
    }
    k.run();
    expect(order.slice(0, 4)).not.toEqual(["a", "a", "a", "a"]);
    expect(order.filter((x) => x === "a")).toHaveLength(5);
    expect(events.filter((e) => e.type === "kernel.switch" && e.to !== null).length).toBeGreaterThan(2);
  });

  it("make system calls: getpid is 0 in the kernel process", () => {
    const k = kernel();
    let pid = -1;
    k.spawnKernelThread(function* () {
      pid = yield* sys.getpid();
    });
    k.run();
    expect(pid).toBe(0);
  });

  it("run in deterministic lockstep on several CPUs: two runs give the same trace", () => {
    const trace = () => {
      const events: KernelEvent[] = [];
      const k = kernel(3, events);
      for (let i = 0; i < 5; i++) {
        k.spawnKernelThread(function* () {
          for (let j = 0; j < 4; j++) {
            yield* compute(1000 + 300 * i);
            yield* sys.sched_yield();
          }
        });
      }
      k.run();
      return JSON.stringify(events);
    };
    expect(trace()).toBe(trace());
  });

  it("a kernel thread that throws is killed alone, with a crash report", () => {
    const k = kernel();
    let other = 0;
    k.spawnKernelThread(function* () {
      yield* compute(10);
      throw new Error("boom");
    });
    k.spawnKernelThread(function* () {
      yield* compute(20_000);
      other++;
    });
    expect(k.run().outcome).toBe("all-exited");
    expect(other).toBe(1);
    expect(k.crashes[0]?.message).toContain("boom");
  });

  it("a bad compute() argument is a crash (invalid opcode), not a kernel exception", () => {
    const k = kernel();
    k.spawnKernelThread(function* () {
      yield* compute(-5);
    });
    expect(k.run().outcome).toBe("all-exited");
    expect(k.crashes[0]?.message).toContain("compute(-5)");
  });
});

describe("the CPUs are hw-x86 CPUs", () => {
  it("CR3 holds the running process's root; an exited process's tables are in no CR3", () => {
    const programs = new ProgramRegistry().register({
      name: "init",
      *main() {
        const pid = yield* sys.fork();
        yield* compute(20_000);
        if (pid !== 0) yield* sys.waitpid(pid, 0, 0);
        return 0;
      },
    });
    const k = new Kernel({ programs, cpus: 2, paranoid: true });
    const init = k.boot("init");
    const roots = new Set<number>();
    for (let i = 0; i < 400 && k.run({ maxSteps: 1 }).outcome === "limit"; i++) {
      for (const c of k.cpus) {
        roots.add(c.hw.cr3);
        if (c.current !== null && c.current.process.addressSpace !== null)
          expect(c.hw.cr3).toBe(c.current.process.addressSpace.root);
      }
    }
    expect(roots.size).toBeGreaterThanOrEqual(3); // the kernel's tables, init's, the child's
    k.run();
    expect(init.phase).not.toBe("live");
    for (const c of k.cpus) expect(c.hw.cr3).toBe(k.kernelMapper.root); // every space destroyed
    expect(k.cpus[0]!.timer.mode).toBe("tsc-deadline");
  });
});
