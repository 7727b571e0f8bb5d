// sysrate.c's fork loop alone (one parent forks N times; each child exits 7 at once; the parent
// waits and checks the status), the workload of baseline-sysrate.ts's fork_exit_wait, for
// profiling and for A/B runs of the replay: prints one JSON line with the wall and CPU rates of
// each round.
//
// Run: pnpm tsx --conditions=@osbricks/source packages/kernel/bench/fork-loop.ts
//      N=2000 ROUNDS=3 pnpm tsx ...   (rounds run in one process; the first is the cold one)
import { Kernel, ProgramRegistry } from "../src/index.js";
import { forkLoopProgram } from "./fork-loop-program.js";

const N = Number(process.env.N ?? 5000);
const ROUNDS = Number(process.env.ROUNDS ?? 1);

function forkLoop(n: number): { secs: number; cpuSecs: number; bad: number } {
  const programs = new ProgramRegistry().register({ name: "init", main: forkLoopProgram(n) });
  const k = new Kernel({ programs, memoryFrames: 16384, forkHistoryLimit: 1 << 24 });
  const p = k.boot("init");
  const c0 = process.cpuUsage();
  const t0 = performance.now();
  const r = k.run();
  const secs = (performance.now() - t0) / 1000;
  const c1 = process.cpuUsage(c0);
  if (r.outcome !== "all-exited") throw new Error(`run ended with ${r.outcome}`);
  const status = k.life.reapedByKernel.find((x) => x.pid === p.pid)?.status ?? -1;
  return { secs, cpuSecs: (c1.user + c1.system) / 1e6, bad: status >> 8 };
}

const rounds: { ops_per_s: number; cpu_ops_per_s: number; bad: number }[] = [];
for (let i = 0; i < ROUNDS; i++) {
  const m = forkLoop(N);
  rounds.push({ ops_per_s: Math.round(N / m.secs), cpu_ops_per_s: Math.round(N / m.cpuSecs), bad: m.bad });
}
console.log(JSON.stringify({ bench: "fork-loop", n: N, rounds }));
