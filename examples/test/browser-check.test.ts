// The browser check's entry (src/browser-check.ts), run in Node: `pnpm run check:browser` runs the
// same functions in headless Chromium and compares the demo's console with `pnpm start`'s.
import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { DEMO_SCRIPT } from "../src/boot.js";
import { codezeroConsole, demoConsole, lawSuites } from "../src/browser-check.js";
import { bootCodezero } from "../src/codezero/boot.js";
import { bootScripted, scriptLines } from "../src/scripted.js";

describe("the browser check's entry", () => {
  it("demoConsole boots as pnpm start does (the boot command's defaults) and runs the whole demo", () => {
    const text = readFileSync(DEMO_SCRIPT, "utf8");
    // The defaults written out, not parsed: what demoConsole must get from an empty command line.
    const defaults = {
      kernel: "lunaix",
      seed: 1,
      cpus: 2,
      mem: 256 * 2 ** 20,
      policy: undefined,
      trace: undefined,
    };
    let expected = "";
    bootScripted(defaults, scriptLines(text), (s) => {
      expected += s;
    });
    const got = demoConsole(text);
    expect(got).toBe(expected);
    expect(got.split("\n").length).toBeGreaterThan(100);
    expect(got).toContain("leaks after halt:    none");
  });

  it("codezeroConsole boots the second kernel as pnpm run boot codezero does and runs its whole demo", () => {
    let expected = "";
    bootCodezero({ seed: 1, cpus: 2, mem: 256 * 2 ** 20 }, (s) => {
      expected += s;
    });
    const got = codezeroConsole();
    expect(got).toBe(expected);
    expect(got).toContain("Codezero-like microkernel booting: seed 1, 2 CPU(s), 256 MiB");
    expect(got).toContain("leaks after the run:   none");
    expect(codezeroConsole(["codezero", "--cpus", "1"])).toContain("1 CPU(s)");
  });

  it("demoConsole refuses a kernel without a shell instead of booting the default one", () => {
    expect(() => demoConsole("echo hi", ["codezero"])).toThrow(
      /bootScripted: kernel "codezero" has no shell/,
    );
  });

  it("demoConsole takes the boot command line: another seed is another run", () => {
    const text = "echo hi\nps\nexit";
    expect(demoConsole(text, ["--seed", "2", "--cpus", "1"])).not.toBe(demoConsole(text));
  });

  it("lawSuites runs the law suites of every package (every suite), and each has laws", () => {
    const runs = lawSuites(3);
    expect(runs.map((r) => r.suite)).toEqual([
      "hw-x86 entry codec",
      "hw-x86 mapper",
      "hw-x86 interrupt controller (8259A)",
      "objects handle table",
      "objects waiting",
      "vm frame allocator (buddy)",
      "vm frame allocator (bitmap)",
      "vm object cache (slab)",
      "vm page tree",
      "vm virtual ranges (buddy)",
      "vm virtual ranges (first fit)",
      "vm copy-on-write (shadow chains)",
      "vm copy-on-write (page refcounts)",
      "sched round robin",
      "sched CFS",
      "ipc endpoint",
      "ipc channel",
      "ipc notification",
      "ipc futex",
      "ipc futex requeue",
      "kernel file operations (console)",
      "kernel system-call dispatch",
      "kernel grind",
      "runtime lock (futex)",
      "runtime condition variable (NPTL)",
      "runtime semaphore (NPTL)",
    ]);
    for (const r of runs) expect(r.laws).toBeGreaterThan(0);
  });
});
