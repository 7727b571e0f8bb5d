// Replays the pthread part of ../shared/baselines/c/sysrate.c through @osbricks/runtime:
//   for (i = 0; i < 50000; i++) { pthread_create(&th, 0, noop, 0); pthread_join(th, 0); }
// and prints one JSON line with "impl":"ts" and sysrate's metric name. The rate is host
// wall-clock operations per second of the simulator (what to compare with native Linux); the
// simulated cycles and traps per create + join are in "info".
// On a shared machine the wall-clock rate moves with the load; the rate per CPU-second of this
// process ("pthread_create_join_cpu") is steadier.
// The measured run is the first code this process runs, so it includes the JIT's warm-up (sysrate.c
// has none; packages/kernel/bench/baseline-sysrate.ts reaches its thread loop after millions of
// other traps). WARMUP=n first runs the same loop n times on kernels of their own, unmeasured, to
// show the steady state; the default (0), and what the READMEs compare with C, is without it.
// "info.after_first_10pct_ops_per_s" is the wall-clock rate of the same run from iteration N/10 on
// (the host clock read by the bench's own program, outside the simulation): the warm-up's share.
// Run: pnpm tsx --conditions=@osbricks/source packages/runtime/bench/baseline-sysrate-threads.ts
import { Kernel, ProgramRegistry } from "@osbricks/kernel";
import { type Pthread, pthreadMain } from "../src/index.js";

const N = Number(process.env.N ?? 50_000);

// biome-ignore lint/correctness/useYield: sysrate's noop thread does nothing: `return a;`
function* noop(_self: Pthread, a: number) {
  return a;
}

let bad = 0;
const TENTH = Math.floor(N / 10);
let tenthAt = 0; // host time when iteration N/10 starts
const programs = new ProgramRegistry().register({
  name: "init",
  main: pthreadMain(function* (self) {
    for (let i = 0; i < N; i++) {
      // Read at i = 0 too (overwritten at N/10): the call site then has type feedback before the
      // loop is optimized, so taking it at N/10 does not deoptimize the loop (it did, mid-run).
      if (i === 0 || i === TENTH) tenthAt = performance.now();
      const c = yield* self.create(noop, i);
      const j = yield* self.join(c.thread);
      if (c.error !== 0 || j.error !== 0 || j.value !== i) bad++;
    }
    return 0;
  }),
});
const WARMUP = Number(process.env.WARMUP ?? 0);
for (let w = 0; w < WARMUP; w++) {
  const warm = new Kernel({ programs, memoryFrames: 16384 });
  warm.boot("init");
  if (warm.run().outcome !== "all-exited") throw new Error("warm-up run did not finish");
}
bad = 0;
const k = new Kernel({ programs, memoryFrames: 16384 });
k.boot("init");
const t0 = performance.now();
const c0 = process.cpuUsage();
const r = k.run();
const t1 = performance.now();
const secs = (t1 - t0) / 1000;
const cpu = process.cpuUsage(c0);
const cpuSecs = (cpu.user + cpu.system) / 1e6;
if (r.outcome !== "all-exited") throw new Error(`run ended with ${r.outcome}`);
const ops = Math.round(N / secs);
console.log(
  JSON.stringify({
    bench: "sysrate",
    impl: "ts",
    metrics: {
      pthread_create_join: { n: N, secs, ops_per_s: ops, sim_cycles_per_op: Math.round(r.cycles / N) },
      pthread_create_join_cpu: { n: N, secs: cpuSecs, ops_per_s: Math.round(N / cpuSecs) },
    },
    pthread_create_join_per_s: ops,
    check: { bad },
    info: {
      traps_per_op: Math.round(r.steps / N),
      after_first_10pct_ops_per_s: Math.round((N - TENTH) / ((t1 - tenthAt) / 1000)),
      note: `@osbricks/runtime pthread create + join (spare stack, CMPXCHG join claim, CLONE_CHILD_CLEARTID futex join) on 1 simulated CPU${WARMUP > 0 ? `, after ${WARMUP} unmeasured warm-up run(s)` : ""}`,
    },
  }),
);
