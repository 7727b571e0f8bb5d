// The jsix-like kernel's demo (`pnpm run boot jsix`), run in-process: each demo's facts, the
// jsix state's invariants at the end, determinism per seed (bytes and trace), and the same program
// output whatever the seed, policy or CPU count.
import { readFileSync } from "node:fs";
import { beforeAll, describe, expect, it } from "vitest";
import { jsixConsole } from "../src/browser-check.js";
import { bootJsix, type JsixSystem } from "../src/jsix/boot.js";
import { JSIX_PROGRAMS, jsixPrograms } from "../src/jsix/kernel.js";
import { entryOf, INITRD } from "../src/jsix/programs/protocol.js";
import { ChromeTraceWriter, validateChromeTrace } from "../src/trace/chrome-trace.js";

const MEM = 256 * 2 ** 20;

interface Run {
  readonly system: JsixSystem;
  readonly out: string;
  readonly trace: ChromeTraceWriter;
}

function demo(seed: number, cpus: number, policy?: string): Run {
  let out = "";
  const trace = new ChromeTraceWriter();
  const system = bootJsix(
    { seed, cpus, mem: MEM, policy },
    (s) => {
      out += s;
    },
    trace,
  );
  return { system, out, trace };
}

/** The lines programs logged (through srv.logger), sorted per process: what the demo showed. */
function programLines(out: string): string[] {
  return out.split("\n").filter((l) => /^\[\d+\] /.test(l));
}

/**
 * The same, without pids, koids and handle values: those are names the kernel chose (a handle's
 * generation bits depend on how often its slot was used, which depends on the interleaving), not
 * what the programs showed.
 */
function byProgram(out: string): string[] {
  return programLines(out).map((l) =>
    l
      .replace(/^\[\d+\] /, "")
      .replace(/\b(koid|handle|VMA|mailbox|from|self) 0x[0-9a-f]+/g, "$1 ?")
      .replace(/\bhandle 0x[0-9a-f]+/g, "handle ?")
      // How often the channel's ends blocked depends on the interleaving (CPUs, policy); what
      // arrived does not (the consumer's and producer's lines).
      .replace(/^(channel-demo: data VMA: .*)$/, (l) => l.replace(/\d+/g, "N")),
  );
}

function checkFacts(r: Run): void {
  const { out } = r;
  const s = r.system.summary();
  expect(s.outcome).toBe("all-exited");
  expect(s.leaks).toEqual([]);
  // The boot log.
  expect(out).toMatch(/^jsix-like kernel booting: seed \d+, \d CPU\(s\), 256 MiB/m);
  expect(out).toMatch(/^kernel: 29 system calls: j6_log=0 .* j6_system_serial_write=28$/m);
  expect(out).toMatch(/^types: vma \(type 5\): caps unmap resize /m);
  expect(out).toMatch(
    /^srv\.init: process 1; handles: \d+ process koid 0x3[0-9a-f]{6}, \d+ thread .*, \d+ system koid 0x1[0-9a-f]{6}/m,
  );
  // The initrd line is INITRD, every program of the boot image, each demo built by srv.init and waited for once.
  expect(
    out
      .split("\n")
      .find((l) => l.includes("; initrd: "))
      ?.split("; initrd: ")[1],
  ).toBe(INITRD.join(" "));
  for (const name of INITRD.filter((n) => n !== "srv.init" && n !== "srv.logger" && n !== "sleeper"))
    expect(out.split(`srv.init: ${name} exited (`).length - 1, `${name} ran and exited once`).toBe(1);
  // The mailbox demo: found through the locator, every answer right.
  expect(out).toMatch(/^\[\d+\] echo-client: FIND 0xec40 -> handle 0x[0-9a-f]+$/m);
  // The locator's refusals (service_locator.cpp's rules): an unknown tag and a second REGISTER
  // are answered with a status and change nothing; an unknown id gets a RESULT without a handle.
  expect(out).toMatch(
    /echo-client: tag 0x7f at the locator -> j6_err_invalid_arg; FIND 0xdead -> no handle$/m,
  );
  expect(out).toMatch(/srv\.echo: registered protocol 0xec40 with the locator: j6_status_ok$/m);
  expect(out).toMatch(/srv\.echo: registering 0xec40 again: j6_status_exists$/m);
  expect(out).toMatch(/srv\.init\/locator: stopping \(1 service\(s\) forgotten/);
  expect(out).toMatch(/echo-client: 8 round trips with srv\.echo, every answer right/);
  expect(out).toMatch(/srv\.echo: served 8 calls; exiting/);
  // The VMA demo: the same frames both ways, the growth in both spaces, unmap from one only.
  expect(out).toMatch(
    /vma-demo: at 0x30000000 reads 0x600df00d written by srv\.init; .* resize to 8192 bytes/,
  );
  expect(out).toMatch(
    /srv\.init: through its own mapping reads 0xcafe0001 \(page 0\) and 0xcafe0002 \(page 1/,
  );
  expect(out).toMatch(/vma-demo: srv\.init unmapped it; here it is still mapped: reads 0xcafe0001/);
  // object_wait_many: the event first, then the child's exit.
  expect(out).toMatch(
    /wait-demo: object_wait_many\(\[child, event\]\) -> index 1 \(the event\), signals 0x800000/,
  );
  expect(out).toMatch(/wait-demo: again -> index 0 \(the child exited\), signals 0x100/);
  // The refused capability, and that the refusal changed nothing.
  expect(out).toMatch(/cap-demo: .* without resize: vma_resize -> j6_err_denied/);
  expect(out).toMatch(
    /cap-demo: vma_map through it -> j6_status_ok; vma_resize through the original -> 8192 bytes/,
  );
  // The channel library's demo (entry 8), built by srv.init like the others.
  expect(out).toMatch(/channel-demo consumer: received 64 messages, \d+ bytes, every byte right/);
  expect(out).toMatch(/channel-demo producer: sent 64 messages, .* the consumer's report matches/);
  expect(s.futexWaits).toBeGreaterThan(0);
  // The summary's figures agree with the demos.
  // 8 echoes + srv.echo's QUIT + 2 REGISTERs + the unknown tag + 2 FINDs + the locator's QUIT
  expect(s.roundTrips).toBe(15);
  expect(s.denied).toBe(1);
  expect(s.vmaUnmaps).toBe(1);
  for (const t of ["process", "thread", "vma", "mailbox", "event"])
    expect(s.live[t] ?? 0, `${t} objects alive at the end`).toBe(t === "process" ? 1 : 0); // pid 0's
  expect(s.created.process).toBe(10); // srv.init, logger, echo, client, vma-demo, wait-demo + sleeper, cap-demo, channel producer + consumer
  expect(s.handlesLive).toBe(0 + (s.live.process === 1 ? 1 : 0));
  r.system.state.checkInvariants();
  expect(validateChromeTrace(r.trace.toJSON({ kernel: "jsix", seed: 0, cpus: 1 }))).toEqual([]);
}

describe("the jsix demo", () => {
  let base: Run;
  beforeAll(() => {
    base = demo(1, 2);
  });

  it("shows every fact (seed 1, 2 CPUs)", () => checkFacts(base));

  it("has one boot image: the registry holds INITRD's programs in its order, entry = index", () => {
    const reg = jsixPrograms();
    expect(reg.names()).toEqual([...INITRD].sort()); // names() sorts; no program outside INITRD
    for (const name of INITRD) expect(reg.lookup(name)?.main).toBe(JSIX_PROGRAMS[name]);
    for (const [i, name] of INITRD.entries()) expect(entryOf(name)).toBe(i);
    expect(entryOf("channel-demo")).toBe(8);
  });

  it("is byte-identical, trace included, for the same options", () => {
    const again = demo(1, 2);
    expect(again.out).toBe(base.out);
    expect(JSON.stringify(again.trace.toJSON({ kernel: "jsix", seed: 1, cpus: 2 }))).toBe(
      JSON.stringify(base.trace.toJSON({ kernel: "jsix", seed: 1, cpus: 2 })),
    );
  });

  it.each([
    [7, 1, "rr"],
    [3, 4, "cfs"],
    [11, 2, "mlfq"],
  ])("shows the same program output with seed %i, %i CPU(s), policy %s", (seed, cpus, policy) => {
    const r = demo(seed, cpus, policy);
    checkFacts(r);
    expect(byProgram(r.out).sort()).toEqual(byProgram(base.out).sort());
  });

  it("every line of the tour's console excerpt is a line the demo prints, in order (… is a cut)", () => {
    const tour = readFileSync(new URL("../../docs/tour-jsix.md", import.meta.url), "utf8");
    const block = /What it prints[^\n]*\n[^\n]*\n\n```\n([\s\S]*?)```/.exec(tour);
    expect(block).not.toBeNull();
    const printed = base.out.split("\n");
    const lines = block![1]!.split("\n").filter((l) => l !== "" && l !== "…");
    expect(lines.length).toBeGreaterThan(20);
    // A line with a cut inside ("… ") matches any text there; an excerpt may skip lines, never reorder them.
    const asPattern = (l: string) =>
      new RegExp(
        `^${l
          .split("…")
          .map((part) => part.replace(/[.*+?^${}()|[\]\\]/g, "\\$&"))
          .join(".*")}$`,
      );
    let at = 0;
    for (const line of lines) {
      const re = asPattern(line);
      const i = printed.findIndex((p, j) => j >= at && re.test(p));
      expect(i, `${line} (printed, in this order, after line ${at})`).toBeGreaterThanOrEqual(0);
      at = i + 1;
    }
  });

  it("jsixConsole (the browser check's entry) prints what pnpm run boot jsix prints", () => {
    expect(jsixConsole()).toBe(base.out);
    expect(jsixConsole(["jsix", "--cpus", "1"])).toContain("1 CPU(s)");
  });

  it("keeps every invariant, the kernel's and the jsix state's, after every step (paranoid run)", () => {
    let out = "";
    let calls = 0;
    const system = bootJsix(
      { seed: 5, cpus: 2, mem: MEM },
      (t) => {
        out += t;
      },
      undefined,
      true,
    );
    const check = system.state.checkInvariants.bind(system.state);
    system.state.checkInvariants = () => {
      calls++;
      check();
    };
    system.kernel.checkInvariants();
    expect(calls).toBe(1); // the kernel's check includes the jsix state's
    expect(byProgram(out).sort()).toEqual(byProgram(base.out).sort());
  });
});
