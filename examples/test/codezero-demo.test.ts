// The Codezero-like kernel's demo (`pnpm run boot codezero`), run in-process: each demo's facts,
// determinism per seed, the same results whatever the seed, policy or CPU count, and a valid
// Chrome trace that agrees with the kernel's own counters.
import { readFileSync } from "node:fs";
import { beforeAll, describe, expect, it } from "vitest";
import { bootCodezero, type CodezeroSystem, CodezeroSystem as System } from "../src/codezero/boot.js";
import { ChromeTraceWriter, validateChromeTrace } from "../src/trace/chrome-trace.js";

const MEM = 256 * 2 ** 20;

interface Run {
  readonly system: CodezeroSystem;
  readonly out: string;
  readonly trace: ChromeTraceWriter;
}

function demo(seed: number, cpus: number, policy?: string): Run {
  let out = "";
  const trace = new ChromeTraceWriter();
  const system = bootCodezero(
    { seed, cpus, mem: MEM, policy },
    (s) => {
      out += s;
    },
    trace,
  );
  return { system, out, trace };
}

/** The lines tasks printed (kdebug), without the kernel's: what the demo *showed*. */
function taskLines(out: string): string[] {
  return out.split("\n").filter((l) => /^\[\d+\] /.test(l));
}

/** Every fact the demo must show, whatever the seed, policy or CPU count. */
function checkFacts(r: Run): void {
  const { out } = r;
  const s = r.system.summary();
  expect(s.outcome).toBe("all-exited");
  // The boot log says what the kernel set up.
  expect(out).toMatch(/^Codezero-like microkernel booting: seed \d+, \d+ CPU\(s\), 256 MiB, policy \w+$/m);
  expect(out).toMatch(
    /^memory: 65520 frames in the buddy allocator, 98 reserved by the firmware map, \d+ free$/m,
  );
  expect(out).toContain(
    "kernel: 8 system calls: l4_ipc=0 l4_thread_control=1 l4_map=2 l4_unmap=3 l4_capability_control=4 l4_getid=5 l4_time=6 l4_kdebug=7",
  );
  expect(out).toContain(
    "sigma0: 64 pages of shared memory at 0x20000000 and a UTCB page given to the root task (task 1)",
  );
  // The servers and their capabilities.
  expect(out).toContain(
    "[1] root: mm0 is task 2: 32 pool pages mapped (ok), pager endpoint granted, sigma0 closed",
  );
  expect(out).toContain("[2] mm0: paging from a 32-page pool at 0x20000000");
  expect(out).toContain("[1] root: kv is task 3, paged by mm0");
  // kv's own store is paged by mm0: its first request faults, mm0 maps pool page 0.
  expect(out).toContain("[2] mm0: task 3 faulted at 0x40000000 (read): mapped pool page 0");
  // IPC round trips, counted by the client and checked.
  expect(out).toContain("[4] client: 16 round trips with kv, every answer right");
  expect(out).toContain(
    "[4] client: receive on a silent endpoint, timeout 5000 cycles: -ETIMEOUT after >=5000 cycles",
  );
  // Demand paging by the user-level pager: fault -> IPC -> map -> retry, three times.
  for (const [va, n] of [
    ["0x40000000", 1],
    ["0x40001008", 2],
    ["0x40002010", 3],
  ])
    expect(out).toContain(`[2] mm0: task 5 faulted at ${va} (read): mapped pool page ${n}`);
  expect(out).toContain("[5] pagedemo: 3 of 3 pages demand-zeroed by mm0, written and read back");
  // A capability refused, granted, revoked.
  expect(out).toContain("[6] capdemo: GET through a capability without WRITE: -EPERM (refused)");
  expect(out).toMatch(/\[6\] capdemo: granted WRITE \(handle 0x[0-9a-f]+\): GET 3 -> ok, value 16/);
  expect(out).toContain("[1] root: revoked everything derived from capdemo's kv capability: 2 closed");
  expect(out).toContain("[6] capdemo: after the revoke: GET 3 -> -ECAP (the handle is gone)");
  expect(out).toContain("[1] root: capdemo exited with status 0");
  // The pager refuses a fault outside the paged area: the kernel kills the task.
  expect(out).toContain("[2] mm0: task 7 faulted at 0xdead0000 (write) outside its paged area: refused");
  expect(out).toContain("kernel: task 7 (wild): SIGSEGV killed (core)");
  expect(out).toContain("[1] root: wild killed by SIGSEGV");
  expect(out).not.toContain("wild: still alive");
  for (const name of ["client", "pagedemo"]) expect(out).toContain(`[1] root: ${name} exited with status 0`);
  // fork with copy-on-write done by mm0: task 8 forks tasks 9, 10, 11 in turn.
  expect(out).toContain("[2] mm0: task 8 faulted at 0x40000000 (write): mapped pool page 1");
  expect(out).toContain("[2] mm0: task 8 faulted at 0x40001000 (write): mapped pool page 2");
  for (const [r, kid] of [
    [0, 9],
    [1, 10],
    [2, 11],
  ] as const) {
    // Both pages shared read-only; the child's write copies page 0 into a fresh pool page.
    expect(out).toContain(
      `[2] mm0: fork: task 8 -> task ${kid} (forkkid): 2 pages shared read-only, chain 2 objects`,
    );
    expect(out).toContain(
      `[2] mm0: task ${kid} wrote shared 0x40000000: copied pool page 1 to 3, mapped writable`,
    );
    expect(out).toContain(
      `[${kid}] forkkid: round ${r}: read ${100 + r} and 200 from my parent's pages, wrote ${1000 + r} to page 0, read back ${1000 + r}`,
    );
    // Its exit frees its copy and merges the parent's chain back to one object.
    expect(out).toContain(
      `[2] mm0: task ${kid} exited (0): 1 pool pages back, task 8's chain now 1 object(s)`,
    );
    expect(out).toContain(
      `[8] forkdemo: round ${r}: child ${kid} exited with 0; page 0 still ${100 + r} (not ${1000 + r}); wrote ${101 + r}; my chain 1 object(s)`,
    );
  }
  // The parent's write after the merge: a protection fault resolved without a copy.
  expect(
    out
      .split("\n")
      .filter((l) => l === "[2] mm0: task 8 wrote 0x40000000, no longer shared: pool page 1 now writable"),
  ).toHaveLength(3);
  expect(out).toContain("[8] forkdemo: 3 forks, page 1 still 200: every value right");
  expect(out).toContain("[1] root: forkdemo exited with status 0");
  // Every task gone: the pool is whole again and no VM object is left.
  expect(out).toContain(
    "[1] root: mm0 reports 6 COW faults, 3 pages copied, 3 forks, 6 tasks reclaimed; pool 32/32 free, 0 VM objects left, longest chain 2",
  );
  // The summary's figures.
  expect(s.tasks).toBe(10); // root's 7, mm0's 3 forked children
  expect(s.kills).toBe(1);
  // kv 1, pagedemo 3, wild 1; forkdemo 2 demand-zero + 3 after each merge; 3 children's copies
  expect(s.faultsForwarded).toBe(13);
  expect(s.protectionFaults).toBe(6);
  expect(s.faultsToPager).toBe(13);
  // The root's 32 into mm0; mm0's 4 into the first clients, forkdemo's 2, and per round the
  // parent's writable pages again read-only (2, then 1), the child's 2, its copy, the parent's write.
  expect(s.pagesMapped).toBe(32 + 4 + 2 + (2 + 2 + 1 + 1) + 2 * (1 + 2 + 1 + 1));
  expect(s.pagesUnmapped).toBe(2 + 1 + 1 + 2 * (1 + 1 + 1));
  expect(s.capRefusals).toBe(2); // capdemo's EPERM, then its ECAP
  expect(s.mm0).toEqual({
    cowFaults: 6,
    pagesCopied: 3,
    forks: 3,
    reclaimed: 6,
    poolFree: 32,
    objects: 0,
    longestChain: 2,
  });
  // Two messages per round trip: the client's 16, capdemo's one call that reached kv (the refused
  // two never left), its 2 calls on ctl, the 5 fault messages with their replies; then forkdemo's
  // 8 faults, 3 FORK, 3 WAIT, 3 STATS round trips, 3 EXIT requests (never answered), and the
  // root's 6 DEATH notices and its STATS.
  expect(s.ipcMessages).toBe(2 * 16 + 2 * 1 + 2 * 2 + 2 * 5 + 2 * 8 + 2 * 9 + 3 + 2 * 7);
  expect(s.leaks).toEqual([]);
  expect(out).toMatch(/^---- summary ----$/m);
  expect(out).toMatch(/^IPC messages: +99 /m);
  expect(out).toMatch(/^faults forwarded: +13 /m);
  expect(out).toMatch(/^pages mapped: +54 /m);
  expect(out).toMatch(
    /^copy-on-write: +6 protection faults forwarded; mm0: 6 COW faults, 3 pages copied, 3 forks, pool 32 free at the end$/m,
  );
  expect(out).toMatch(/^context switches: +\d+$/m);
}

describe("codezero demo", () => {
  let base: Run;
  beforeAll(() => {
    base = demo(1, 2);
  });

  it("shows every fact on the default machine", () => checkFacts(base));

  it("the same seed gives the same console and the same trace, byte for byte", () => {
    const again = demo(1, 2);
    expect(again.out).toBe(base.out);
    expect(JSON.stringify(again.trace.toJSON())).toBe(JSON.stringify(base.trace.toJSON()));
  });

  it("other seeds, policies and CPU counts change timing, never results", () => {
    for (const [seed, cpus, policy] of [
      [7, 2, "cfs"],
      [42, 1, undefined],
      [3, 4, "lottery"],
    ] as const) {
      const r = demo(seed, cpus, policy);
      checkFacts(r);
      expect(taskLines(r.out)).toEqual(taskLines(base.out));
    }
  });

  it("the trace is valid Chrome trace JSON and agrees with the kernel's counters", () => {
    const json = JSON.parse(JSON.stringify(base.trace.toJSON({ kernel: "codezero" })));
    expect(validateChromeTrace(json)).toEqual([]);
    const o = base.system.observer.counters;
    expect(base.trace.count("X")).toBe(o.switches);
    const events = json.traceEvents as { ph: string; cat?: string; name: string }[];
    expect(events.filter((e) => e.ph === "i" && e.cat === "syscall").length).toBe(o.syscalls);
    expect(events.filter((e) => e.ph === "i" && e.name === "fault to pager").length).toBe(o.faultsToPager);
    expect(o.faultsToPager).toBe(base.system.state.counters.faultsForwarded);
    expect(events.some((e) => e.ph === "M" && e.name === "process_name")).toBe(true);
  });

  it("every line of the tour's console excerpt is a line the demo prints", () => {
    const tour = readFileSync(new URL("../../docs/tour-codezero.md", import.meta.url), "utf8");
    const block = /What it prints[^\n]*\n\n```\n([\s\S]*?)```/.exec(tour);
    expect(block).not.toBeNull();
    const printed = base.out.split("\n");
    const lines = block![1]!.split("\n").filter((l) => l !== "");
    expect(lines.length).toBeGreaterThan(10);
    // In the order printed (an excerpt may skip lines, never reorder them).
    let at = 0;
    for (const line of lines) {
      const i = printed.indexOf(line, at);
      expect(i, `${line} (printed, in this order, after line ${at})`).toBeGreaterThanOrEqual(0);
      at = i + 1;
    }
  });

  it("runs with every invariant checked after every trap (paranoid)", () => {
    let out = "";
    const sys = System.boot({ mem: MEM, cpus: 2, seed: 5, paranoid: true, output: (t) => (out += t) });
    expect(sys.run()).toBe("all-exited");
    sys.state.checkInvariants();
    expect(out).toContain("[1] root: servers stopped; the root task exits");
  });
});
