// Per-thread CPU time: cycles on a CPU (traps, the kernel's work for them, the switch onto the
// CPU), not time spent blocked; every CPU cycle goes to exactly one thread or to idling (the
// paranoid invariant checks the sum after every trap).
import { describe, expect, it } from "vitest";
import { compute, Kernel, libc, ProgramRegistry, posixStubs as sys, type UserCode } from "../src/index.js";

function kernelWith(init: () => UserCode<number>, cpus = 1) {
  const k = new Kernel({
    programs: new ProgramRegistry().register({ name: "init", main: init }),
    cpus,
    paranoid: true,
  });
  return { k, init: k.boot("init") };
}

describe("CPU time per thread", () => {
  it("counts computing and the kernel's work for the thread, not time asleep", () => {
    const { k, init } = kernelWith(function* () {
      yield* compute(200_000);
      yield* sys.nanosleep(5_000_000); // 5M cycles of wall time, nearly none on a CPU
      yield* compute(100_000);
      return 0;
    });
    const main = init.threads[0]!;
    k.run({ maxSteps: 2 }); // past the first compute
    const early = k.cpuTimeOf(main);
    expect(early).toBeGreaterThanOrEqual(200_000);
    k.run();
    const total = k.processCpuTimeOf(init);
    expect(total).toBeGreaterThanOrEqual(300_000);
    expect(total).toBeLessThan(310_000); // a few syscalls, faults and switches on top
    expect(k.now).toBeGreaterThan(5_000_000);
    expect(k.exitedCpuTime).toBeGreaterThanOrEqual(total);
  });

  it("two CPU-bound processes on one CPU under round robin get about the same time", () => {
    const { k, init } = kernelWith(function* () {
      const pid = yield* sys.fork();
      for (let i = 0; i < 200; i++) yield* compute(5_000); // both: 1M cycles in 5k steps
      if (pid === 0) return 0;
      yield* libc.waitpid(pid);
      return 0;
    });
    k.run({ maxCycles: 1_200_000 }); // both still running
    const child = [...k.processes.values()].find((p) => p.parent === init)!;
    const a = k.processCpuTimeOf(init);
    const b = k.processCpuTimeOf(child);
    expect(a + b).toBeGreaterThan(1_100_000);
    expect(Math.abs(a - b)).toBeLessThan(30_000); // within a few quanta
    k.run();
    expect(k.life.reapedByKernel).toEqual([{ pid: 1, status: 0 }]);
  });

  it("on two CPUs the threads' time and the idle time add up to the CPUs' clocks", () => {
    const { k } = kernelWith(function* () {
      const pid = yield* sys.fork();
      yield* compute(pid === 0 ? 300_000 : 100_000);
      if (pid !== 0) yield* libc.waitpid(pid);
      return 0;
    }, 2);
    k.run();
    const elapsed = k.cpus.reduce((s, c) => s + c.time, 0);
    const idle = k.cpus.reduce((s, c) => s + c.idleCycles, 0);
    expect(k.exitedCpuTime + idle).toBe(elapsed);
    expect(idle).toBeGreaterThan(150_000); // one CPU waited while the child computed
  });
});
