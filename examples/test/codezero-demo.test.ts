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
  // The summary's figures.
  expect(s.tasks).toBe(6);
  expect(s.kills).toBe(1);
  expect(s.faultsForwarded).toBe(5); // kv 1, pagedemo 3, wild 1
  expect(s.faultsToPager).toBe(5);
  expect(s.pagesMapped).toBe(32 + 4); // the root's 32 into mm0, mm0's 4 into clients
  expect(s.capRefusals).toBe(2); // capdemo's EPERM, then its ECAP
  // Two messages per round trip: the client's 16, capdemo's one call that reached kv (the refused
  // two never left), its 2 calls on ctl, and the 5 fault messages with their replies.
  expect(s.ipcMessages).toBe(2 * 16 + 2 * 1 + 2 * 2 + 2 * 5);
  expect(s.leaks).toEqual([]);
  expect(out).toMatch(/^---- summary ----$/m);
  expect(out).toMatch(/^IPC messages: +48 /m);
  expect(out).toMatch(/^faults forwarded: +5 /m);
  expect(out).toMatch(/^pages mapped: +36 /m);
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
    const printed = new Set(base.out.split("\n"));
    const lines = block![1]!.split("\n").filter((l) => l !== "");
    expect(lines.length).toBeGreaterThan(10);
    for (const line of lines) expect(printed.has(line), line).toBe(true);
  });

  it("runs with every invariant checked after every trap (paranoid)", () => {
    let out = "";
    const sys = System.boot({ mem: MEM, cpus: 2, seed: 5, paranoid: true, output: (t) => (out += t) });
    expect(sys.run()).toBe("all-exited");
    sys.state.checkInvariants();
    expect(out).toContain("[1] root: servers stopped; the root task exits");
  });
});
