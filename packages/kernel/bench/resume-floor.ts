// The host cost of one trap when the kernel does nothing: how fast can a JavaScript generator be
// resumed through the `yield*` system-call stubs a program is written with?
//
// The loop below has the shape of sysrate.c's fork loop (fork, waitpid, load of the status word:
// three stubs per iteration) and is driven by a bare `next(value)` loop — no kernel, no trap
// decoding, no history — so what it measures is the floor under every trap of the simulator:
// a generator resume, the `yield*` delegation through the stub, and the trap record the stub
// allocates.
//
// Why it matters: fork by replay (src/kernel/fork.ts) rebuilds a child by resuming a fresh
// generator once per value the parent was resumed with. sysrate.c's loop forks n = 5000 times in
// one parent at about 3 traps per iteration, so fork i replays about 3i resumes and the whole loop
// about 3 · n² / 2 = 37.5M resumes. At the floor measured here that alone bounds the loop's rate,
// whatever the kernel does; the script prints the bound.
//
// The second variant is the floor of silent replay (src/program/replay.ts), which is how fork
// replays now: the same generator, driven as replayFrames drives a child — the replay cursor
// over a history of the same length, so every stub returns its recorded value without yielding
// and the whole replay runs inside one next(). The two variants alternate, round by round, in
// this one process; the script prints both floors and the bound each puts on the fork loop.
//
// The third variant replays sysrate.c's fork loop itself (bench/fork-loop-program.ts, the program
// baseline-sysrate.ts and fork-loop.ts run): its history is recorded by driving the program with
// the answers the kernel gives (brk, fork → the child's pid, waitpid → the pid, the status word
// 0x700), and then replayed fork by fork as the kernel does — fork i replays the 3i + 3 values
// before it — so what it prints is the per-value cost of the fork loop's replay with everything
// the kernel does around it taken away.
//
// Times are the process's CPU time (user + system), which another tenant's load moves far less
// than wall-clock time on this 2-core machine.
//
// Run: pnpm tsx --conditions=@osbricks/source packages/kernel/bench/resume-floor.ts
import {
  History,
  type HistoryView,
  mem,
  type ReplaySource,
  replayCursor,
  posixStubs as sys,
  type Trap,
  type UserCode,
} from "../src/index.js";
import { forkLoopProgram } from "./fork-loop-program.js";

const RESUMES = Number(process.env.RESUMES ?? 3_000_000);
const ROUNDS = 5;
const FORKS = 5000; // sysrate.c's fork loop
const TRAPS_PER_ITERATION = 3;
const LOOP_FORKS = Number(process.env.LOOP_FORKS ?? 3000); // the fork-loop variant's forks per round

/** CPU nanoseconds since `c0` (a `process.cpuUsage()` sample). */
function cpuNsSince(c0: NodeJS.CpuUsage): number {
  const c = process.cpuUsage(c0);
  return (c.user + c.system) * 1e3;
}

/** sysrate.c's fork loop body as stubs: fork, waitpid, load the status. Never ends by itself. */
function* forkLoopShape(st: number): UserCode<number> {
  for (;;) {
    const pid = yield* sys.fork();
    yield* sys.waitpid(pid, st, 0);
    const status = yield* mem.load32(st);
    if (status === 0xdead) return status; // the driver never resumes with it: a real branch, never taken
  }
}

/** Resume a fresh generator `n` times with a number, as the trap loop does; returns ns per resume. */
function measure(n: number): number {
  const g = forkLoopShape(0x1000);
  let sink = 0;
  const c0 = process.cpuUsage();
  let r = g.next();
  for (let i = 1; i < n; i++) {
    sink ^= (r.value as Trap).kind.length;
    r = g.next(0);
  }
  const ns = cpuNsSince(c0) / n;
  if (sink === -1) console.log("unreachable"); // keeps the loop's work observable
  return ns;
}

/**
 * Start `g` with `first` and feed it the rest of `source` as `replayFrames` does: the cursor
 * answers the stubs, the loop feeds what they leave (raw yields). Returns the last result.
 */
function replaySilently(
  g: UserCode<number>,
  first: unknown,
  source: ReplaySource,
): IteratorResult<Trap, number> {
  replayCursor.begin(source, 1);
  try {
    let r = g.next(first);
    while (r.done !== true && replayCursor.pending()) r = g.next(replayCursor.take());
    return r;
  } finally {
    replayCursor.finish();
  }
}

/**
 * Replay `n` recorded values into a fresh generator as `replayFrames` does (the cursor feeds the
 * stubs, the loop feeds raw yields: none here); returns ns per replayed value.
 */
function measureSilent(h: History): number {
  const g = forkLoopShape(0x1000);
  const c0 = process.cpuUsage();
  const r = replaySilently(g, h.at(0), h);
  const ns = cpuNsSince(c0) / h.length;
  if (r.done === true) console.log("unreachable"); // the shape never returns: the last stub yields
  return ns;
}

const BRK = 12; // the POSIX table's numbers (src/posix/table.ts), as Linux's
const FORK = 57;

/** The first `end` values of a history's run, as a replay source (no copy). */
function prefixOf(view: HistoryView, end: number): ReplaySource {
  return { length: end, view: () => ({ codes: view.codes, others: view.others, length: end }) };
}

/**
 * forkLoopProgram(forks)'s history up to its last fork, recorded by answering its traps as the
 * kernel does (the heap starts at 0x1000_0000; children get pids 2, 3, …; each exits with 7).
 */
function forkLoopHistory(forks: number): History {
  const h = new History(1 << 24);
  const g = forkLoopProgram(forks)();
  let value: unknown;
  let brk = 0x1000_0000;
  let pid = 1;
  for (;;) {
    h.push(value);
    const r = g.next(value);
    if (r.done === true) throw new Error("the fork loop returned while its history was recorded");
    const t = r.value;
    if (t.kind === "load") value = 7 << 8;
    else if (t.kind !== "syscall") throw new Error(`unexpected trap ${t.kind}`);
    else if (t.nr === BRK) value = (t.args[0] ?? 0) === 0 ? brk : (brk = t.args[0]!);
    else if (t.nr === FORK) {
      if (pid === forks) return h; // the last fork: its history is complete
      value = ++pid;
    } else value = pid; // waitpid
  }
}

/**
 * Replay `h` fork by fork, as the kernel does at each of the loop's forks: a fresh generator of
 * forkLoopProgram(forks) is replayed through the cursor over the first 3i + 3 values and must stop
 * at the fork trap. Returns ns per replayed value.
 */
function measureForkLoop(h: History, forks: number): number {
  const program = forkLoopProgram(forks);
  const view = h.view();
  let values = 0;
  const c0 = process.cpuUsage();
  for (let i = 0; i < forks; i++) {
    const end = 3 + 3 * i;
    const r = replaySilently(program(), h.at(0), prefixOf(view, end));
    if (r.done === true || r.value.kind !== "syscall" || r.value.nr !== FORK) throw new Error("diverged");
    values += end;
  }
  return cpuNsSince(c0) / values;
}

function historyOf(n: number): History {
  const h = new History(n);
  for (let i = 0; i < n; i++) h.push(i === 0 ? undefined : 0);
  return h;
}

const stats = (xs: number[]) => {
  const s = [...xs].sort((a, b) => a - b);
  return {
    median: +s[Math.floor(s.length / 2)]!.toFixed(1),
    min: +s[0]!.toFixed(1),
    max: +s[s.length - 1]!.toFixed(1),
  };
};

const replayResumes = (TRAPS_PER_ITERATION * FORKS * FORKS) / 2;
const bound = (ns: number) => {
  const secs = (replayResumes * ns) / 1e9;
  return { replay_secs_at_floor: +secs.toFixed(2), forks_per_s_bound: Math.round(FORKS / secs) };
};

measure(200_000); // warm up: let the JIT compile the generator and the stubs
const history = historyOf(RESUMES);
measureSilent(historyOf(200_000));
const loopHistory = forkLoopHistory(LOOP_FORKS);
measureForkLoop(forkLoopHistory(300), 300);
const resumed: number[] = [];
const silent: number[] = [];
const loop: number[] = [];
for (let i = 0; i < ROUNDS; i++) {
  resumed.push(measure(RESUMES));
  silent.push(measureSilent(history));
  loop.push(measureForkLoop(loopHistory, LOOP_FORKS));
}
const r = stats(resumed);
const q = stats(silent);
const l = stats(loop);
console.log(
  JSON.stringify({
    bench: "resume-floor",
    resumes_per_round: RESUMES,
    ns_per_resume: r,
    ns_per_silent_value: q,
    fork_loop_program: { forks_per_round: LOOP_FORKS, ns_per_replayed_value: l },
    fork_loop: {
      forks: FORKS,
      replayed_values: replayResumes,
      resumed: bound(r.median),
      silent: bound(q.median),
      fork_loop_program: bound(l.median),
    },
  }),
);
