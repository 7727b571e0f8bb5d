// Docs that run: the README's example is this file's EXAMPLE block, byte for byte (checked
// below), and it is executed here.
import { readFileSync } from "node:fs";
import { expect, it, vi } from "vitest";

it("the README example is the code below and runs", async () => {
  const readme = readFileSync(new URL("../README.md", import.meta.url), "utf8");
  const self = readFileSync(new URL(import.meta.url), "utf8");
  const block = self
    .slice(self.indexOf("// EXAMPLE START\n") + 17, self.indexOf("  // EXAMPLE END"))
    .replace(/^ {2}/gm, "");
  expect(readme).toContain(block.replace('"../src/index.js"', '"@osbricks/sched"'));
  const log = vi.spyOn(console, "log").mockImplementation(() => {});
  await example();
  expect(log.mock.calls[0]![0]).toMatch(/^rr: average turnaround \d/);
  expect(log.mock.calls.at(-1)![0]).toContain("CPU0  |");
  log.mockRestore();
});

async function example(): Promise<void> {
  const { CfsPolicy, MlfqPolicy, RoundRobinPolicy, renderGantt, simulate } = await import("../src/index.js");
  // EXAMPLE START
  // OSTEP's three jobs plus an interactive one (CPU 2, I/O 8, CPU 2, I/O 8, CPU 2) arriving at 5.
  const jobs = [
    { name: "A", length: 100 },
    { name: "B", length: 10 },
    { name: "C", length: 10 },
    { name: "D", arrival: 5, bursts: [2, 8, 2, 8, 2] },
  ];
  const policies = {
    rr: () => new RoundRobinPolicy({ quantum: 4 }),
    mlfq: () => new MlfqPolicy({ levels: 3, quantum: [4, 8, 16], boostPeriod: 50 }),
    cfs: () => new CfsPolicy(),
  };
  for (const [name, policy] of Object.entries(policies)) {
    const r = simulate(jobs, { policy, cpus: 1 });
    console.log(`${name}: average turnaround ${r.average.turnaround}, response ${r.average.response}`);
  }
  console.log(renderGantt(simulate(jobs, { policy: policies.mlfq, cpus: 2 }), { width: 70 }));
  // EXAMPLE END
}
