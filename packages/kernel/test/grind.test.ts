// The random-system-call grinder (xv6's user/grind.c) on our kernel: many seeded runs of programs
// that call every system call with garbage (bad pointers, unmapped buffers, huge lengths, closed
// descriptors, fractional and non-numeric registers), poke random memory, fork, exec, spawn,
// signal and crash. Afterwards the kernel never threw, every invariant holds, and once every
// process is gone every frame, kernel object and ipc slot is free again. The suite itself is
// exported from @osbricks/kernel/laws (src/laws/grind.ts) so any kernel assembly can run it.
import { describe, it } from "vitest";
import { Kernel } from "../src/index.js";
import { grindLaws } from "../src/laws/index.js";

describe("grind", () => {
  const laws = grindLaws(
    (programs, seed, paranoid) =>
      new Kernel({ programs, paranoid, cpus: 1 + (seed % 3), seed, memoryFrames: 2048, maxProcesses: 64 }),
  );
  for (const law of laws) it(law.name, () => law.check());
});

describe("grind with the refcount COW strategy and the bitmap allocator", () => {
  const laws = grindLaws(
    (programs, seed, paranoid) =>
      new Kernel({
        programs,
        paranoid,
        seed,
        cow: "refcount",
        allocator: "bitmap",
        memoryFrames: 2048,
        maxProcesses: 64,
      }),
    { runs: 10, paranoidEvery: 5 },
  );
  it(laws[0]!.name, () => laws[0]!.check());
});
