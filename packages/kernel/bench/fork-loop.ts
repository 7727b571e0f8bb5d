// sysrate.c's fork loop alone (one parent forks N times; each child exits 7 at once; the parent
// waits and checks the status), the workload of baseline-sysrate.ts's fork_exit_wait, for
// profiling and for A/B runs of the replay: prints one JSON line with the wall and CPU rates of
// each round.
//
// Run: pnpm tsx --conditions=@osbricks/source packages/kernel/bench/fork-loop.ts
//      N=2000 ROUNDS=3 pnpm tsx ...   (rounds run in one process; the first is the cold one)
//      CHECKPOINT=1 pnpm tsx ...      (the loop with a checkpoint per turn: O(n), not O(n²))
import { forkLoopCheckpointed, forkLoopProgram } from "./fork-loop-program.js";
import { measure } from "./measure-program.js";

const N = Number(process.env.N ?? 5000);
const ROUNDS = Number(process.env.ROUNDS ?? 1);
const CHECKPOINT = process.env.CHECKPOINT === "1";

const rounds: { ops_per_s: number; cpu_ops_per_s: number; bad: number }[] = [];
for (let i = 0; i < ROUNDS; i++) {
  const m = measure(N, (CHECKPOINT ? forkLoopCheckpointed : forkLoopProgram)(N));
  rounds.push({ ops_per_s: m.ops_per_s, cpu_ops_per_s: m.cpu_ops_per_s, bad: m.status >> 8 });
}
console.log(JSON.stringify({ bench: "fork-loop", n: N, checkpoint: CHECKPOINT, rounds }));
