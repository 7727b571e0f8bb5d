// Boot a kernel on one program, run it to the end and time it: the scaffold of the kernel's
// baseline replays (baseline-sysrate.ts, fork-loop.ts). Wall and CPU time of the run, simulated
// cycles, and the init program's exit status (a replay reports its own errors through it).
import { Kernel, type ProcessStart, ProgramRegistry, type UserCode } from "../src/index.js";

/** One measured workload: n operations and their rates. */
export interface Metric {
  n: number;
  secs: number;
  ops_per_s: number;
  /** Rate over the process's CPU time (user + system): less sensitive to other tenants' load. */
  cpu_ops_per_s: number;
  sim_cycles_per_op: number;
}

/** Run `main` as init (with `extra` programs registered) on a fresh kernel; n = operations done. */
export function measure(
  n: number,
  main: (s: ProcessStart) => UserCode<number>,
  extra: { name: string; main: (s: ProcessStart) => UserCode<number> }[] = [],
): Metric & { status: number } {
  const programs = new ProgramRegistry().register({ name: "init", main });
  for (const e of extra) programs.register(e);
  const k = new Kernel({ programs, memoryFrames: 16384, forkHistoryLimit: 1 << 24 });
  const p = k.boot("init");
  const c0 = process.cpuUsage();
  const t0 = performance.now();
  const r = k.run();
  const secs = (performance.now() - t0) / 1000;
  const c1 = process.cpuUsage(c0);
  const cpuSecs = (c1.user + c1.system) / 1e6;
  if (r.outcome !== "all-exited") throw new Error(`run ended with ${r.outcome}`);
  const status = k.life.reapedByKernel.find((x) => x.pid === p.pid)?.status ?? -1;
  return {
    n,
    secs,
    ops_per_s: Math.round(n / secs),
    cpu_ops_per_s: Math.round(n / cpuSecs),
    sim_cycles_per_op: Math.round(r.cycles / n),
    status,
  };
}
