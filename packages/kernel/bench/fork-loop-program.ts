// sysrate.c's fork loop as a program, shared by the benchmarks that run it (baseline-sysrate.ts,
// fork-loop.ts, sysrate.bench.ts): one parent forks n times, each child exits with 7 at once, and
// the parent waits for it and checks the status it reads back from memory.
//
//   C:   for (i = 0; i < n; i++) { p = fork(); if (p == 0) _exit(7); waitpid(p, &st, 0); }
//
// Two versions of the same loop:
// - forkLoopProgram, written as in C. Fork rebuilds the child by replaying the parent's history
//   (src/kernel/fork.ts), so the i-th fork replays about 3i values and the whole loop is O(n²).
// - forkLoopCheckpointed, which declares a checkpoint at the top of each turn
//   (src/program/checkpoint.ts): the turn's state is n, i, the status word's address and the
//   count of bad statuses, so each fork replays the 2 values since the checkpoint and the loop is
//   O(n). The same system calls in the same order, plus one checkpoint trap per turn.
import { checkpoint, libc, mem, posixStubs as sys, type UserCode, WEXITSTATUS } from "../src/index.js";

/** The loop for `n` forks; the program returns how many children reported a wrong status. */
export function forkLoopProgram(n: number): () => UserCode<number> {
  return function* forkLoop() {
    const st = yield* libc.sbrk(8); // sysrate.c's `int st` on the stack
    let bad = 0;
    for (let i = 0; i < n; i++) {
      const pid = yield* sys.fork();
      if (pid === 0) yield* sys.exit_group(7);
      yield* sys.waitpid(pid, st, 0);
      if (WEXITSTATUS(yield* mem.load32(st)) !== 7) bad++;
    }
    return bad;
  };
}

/** The same loop with a checkpoint per turn; returns how many children reported a wrong status. */
export function forkLoopCheckpointed(n: number): () => UserCode<number> {
  function* turns(i: number, st: number, bad: number): UserCode<number> {
    for (; i < n; i++) {
      yield* checkpoint(turns, i, st, bad);
      const pid = yield* sys.fork();
      if (pid === 0) yield* sys.exit_group(7);
      yield* sys.waitpid(pid, st, 0);
      if (WEXITSTATUS(yield* mem.load32(st)) !== 7) bad++;
    }
    return bad;
  }
  return function* forkLoop() {
    return yield* turns(0, yield* libc.sbrk(8), 0);
  };
}
