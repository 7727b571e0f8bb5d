// Replays ../shared/baselines/c/sysrate.c through the simulated kernel and prints one JSON line
// with "impl":"ts": null system call (getpid), fork + _exit + waitpid of a small process, thread
// create + join (kernel level: thread_create with a clear-tid word and a futex join, which is what
// a pthread library does underneath), and a one-byte pipe round trip between two processes.
//
// Rates are host wall-clock operations per second of the simulator (the figure to compare with
// native Linux); simulated cycles per operation are in "info".
// Run: pnpm tsx --conditions=@osbricks/source packages/kernel/bench/baseline-sysrate.ts
import { libc, mem, posixStubs as sys, WEXITSTATUS } from "../src/index.js";
import { forkLoopCheckpointed, forkLoopProgram } from "./fork-loop-program.js";
import { type Metric, measure } from "./measure-program.js";

const N_NULL = 2_000_000;
const N_FORK = 5000;
const N_FORK_FRESH = 5000;
const N_THREAD = 50_000;
const N_PIPE = 200_000;

const nullSys = measure(N_NULL, function* () {
  for (let i = 0; i < N_NULL; i++) yield* sys.getpid();
  return 0;
});

// sysrate.c's loop: one parent forks N times. Fork replays the parent's history (see
// kernel/fork.ts), so this shape costs O(i) at the i-th fork.
const forkLoop = measure(N_FORK, forkLoopProgram(N_FORK));

// The same loop with a checkpoint at the top of each turn (program/checkpoint.ts): each fork
// replays the values since the checkpoint, so every turn costs the same.
const forkLoopCp = measure(N_FORK, forkLoopCheckpointed(N_FORK));

// The same loop with clone(fn): the child starts at a function, so nothing is replayed.
const cloneLoop = measure(N_FORK, function* (s) {
  const st = yield* libc.sbrk(8);
  const child = s.addressOf(function* () {
    yield* sys.exit_group(7);
  });
  let bad = 0;
  for (let i = 0; i < N_FORK; i++) {
    const pid = yield* sys.clone(child, 0);
    yield* sys.waitpid(pid, st, 0);
    if (WEXITSTATUS(yield* mem.load32(st)) !== 7) bad++;
  }
  return bad;
});

// A small process forking once: init spawns "forker" N times; each forks, its child exits 7,
// it waits. The metric counts the whole spawn + fork + exit + wait + exit + wait cycle.
const forkFresh = measure(
  N_FORK_FRESH,
  function* () {
    const path = yield* libc.cstring("forker");
    const st = yield* libc.sbrk(8);
    let bad = 0;
    for (let i = 0; i < N_FORK_FRESH; i++) {
      const pid = yield* sys.spawn(path, 0, 0);
      yield* sys.waitpid(pid, st, 0);
      if ((yield* mem.load32(st)) !== 0) bad++;
    }
    return bad;
  },
  [
    {
      name: "forker",
      *main() {
        const pid = yield* sys.fork();
        if (pid === 0) yield* sys.exit_group(7);
        yield* sys.waitpid(pid, 0, 0);
        return 0;
      },
    },
  ],
);

const threads = measure(N_THREAD, function* (s) {
  const word = yield* libc.sbrk(8);
  // biome-ignore lint/correctness/useYield: a thread body that returns at once is still user code
  const noop = s.addressOf(function* (a: number) {
    return a;
  });
  for (let i = 0; i < N_THREAD; i++) {
    yield* sys.thread_create(noop, 0, 0, word);
    for (;;) {
      const v = yield* mem.load32(word);
      if (v === 0) break;
      yield* sys.futex(word, 0, v, 0);
    }
  }
  return 0;
});

const pipe = measure(N_PIPE, function* () {
  const [a0, a1] = yield* libc.pipe();
  const [b0, b1] = yield* libc.pipe();
  const c = yield* libc.sbrk(8);
  yield* mem.store8(c, 120);
  const pid = yield* sys.fork();
  if (pid === 0) {
    for (let i = 0; i < N_PIPE; i++) {
      yield* sys.read(a0, c, 1);
      yield* sys.write(b1, c, 1);
    }
    yield* sys.exit_group(0);
  }
  for (let i = 0; i < N_PIPE; i++) {
    yield* sys.write(a1, c, 1);
    yield* sys.read(b0, c, 1);
  }
  yield* sys.waitpid(pid, 0, 0);
  return 0;
});

const strip = ({ status: _s, ...m }: Metric & { status: number }): Metric => m;
console.log(
  JSON.stringify({
    bench: "sysrate",
    impl: "ts",
    metrics: {
      null_syscall: strip(nullSys),
      fork_exit_wait: strip(forkLoop),
      fork_exit_wait_checkpointed: { ...strip(forkLoopCp), versus_c: "fork_exit_wait" },
      fork_exit_wait_fresh: strip(forkFresh),
      clone_exit_wait: strip(cloneLoop),
      thread_create_join: strip(threads),
      pipe_roundtrip: strip(pipe),
    },
    null_syscall_per_s: nullSys.ops_per_s,
    fork_exit_wait_per_s: forkLoop.ops_per_s,
    fork_exit_wait_checkpointed_per_s: forkLoopCp.ops_per_s,
    pthread_create_join_per_s: threads.ops_per_s,
    pipe_roundtrip_per_s: pipe.ops_per_s,
    check: {
      fork_bad_status: forkLoop.status >> 8,
      fork_checkpointed_bad_status: forkLoopCp.status >> 8,
      fork_fresh_bad: forkFresh.status >> 8,
      clone_bad: cloneLoop.status >> 8,
    },
    info: {
      note: "host wall-clock rates of the simulator; sim_cycles_per_op is simulated time; thread_create_join is kernel-level (thread_create + futex join), not @osbricks/runtime's pthread_create",
    },
  }),
);
