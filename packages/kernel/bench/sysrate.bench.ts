// vitest benches of the kernel's hot paths (pnpm bench --project kernel): a null system call, a
// memory access that hits the TLB, fork + exit + wait of a small process, and sysrate.c's fork
// loop in small (one parent forking 300 times: fork by replay, so O(n²) replayed values). The
// figures to compare with native Linux come from baseline-sysrate.ts.
import { bench, describe } from "vitest";
import {
  Kernel,
  libc,
  mem,
  type ProcessStart,
  ProgramRegistry,
  posixStubs as sys,
  type UserCode,
} from "../src/index.js";
import { forkLoopCheckpointed, forkLoopProgram } from "./fork-loop-program.js";

function boot(
  main: (s: ProcessStart) => UserCode<number>,
  extra: { name: string; main: (s: ProcessStart) => UserCode<number> }[] = [],
) {
  const programs = new ProgramRegistry().register({ name: "init", main });
  for (const e of extra) programs.register(e);
  const k = new Kernel({ programs });
  k.boot("init");
  return k;
}

describe("kernel hot paths", () => {
  bench("10 000 null system calls (getpid)", () => {
    boot(function* () {
      for (let i = 0; i < 10_000; i++) yield* sys.getpid();
      return 0;
    }).run();
  });

  bench("10 000 loads that hit the TLB", () => {
    boot(function* () {
      const va = yield* libc.sbrk(4096);
      for (let i = 0; i < 10_000; i++) yield* mem.load32(va);
      return 0;
    }).run();
  });

  bench("a parent that forks 300 times, each child exiting at once (replayed: 135k values)", () => {
    boot(forkLoopProgram(300)).run();
  });

  bench("the same 300 forks with a checkpoint per turn (replayed: 2 values a fork)", () => {
    boot(forkLoopCheckpointed(300)).run();
  });

  bench("100 × (spawn a small process that forks, exits and is waited for)", () => {
    boot(
      function* () {
        const path = yield* libc.cstring("forker");
        for (let i = 0; i < 100; i++) yield* sys.waitpid(yield* sys.spawn(path, 0, 0), 0, 0);
        return 0;
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
    ).run();
  });
});
