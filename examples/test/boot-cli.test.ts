// The boot command line itself (bootMain, called in-process): refusals with exit status 2 and a
// clear message, a script file, and a trace file that validates.
import { existsSync, mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { bootMain, DEMO_SCRIPT } from "../src/boot.js";
import { validateChromeTrace } from "../src/trace/chrome-trace.js";
import { captureStdio } from "./capture-stdio.js";

const io = captureStdio();

describe("pnpm run boot", () => {
  it.each([
    [["minix"], /unknown kernel "minix": expected one of lunaix/],
    [["--policy", "edf"], /--policy "edf": expected one of rr, cfs, mlfq, fifo, stride, lottery/],
    [["--mem", "12Q"], /--mem "12Q": not a size/],
    [["--mem", "2M"], /--mem 2097152 bytes: this kernel needs 4 MiB..4 GiB/],
    [["--cpus", "40"], /--cpus 40: expected 1..32/],
    [["--script", "/no/such/script.sh"], /--script \/no\/such\/script.sh: cannot read it \(ENOENT\)/],
    [
      ["--script", DEMO_SCRIPT, "--trace", "/no/such/dir/t.json"],
      /--trace \/no\/such\/dir\/t.json: cannot write it \(ENOENT\)/,
    ],
  ])("refuses %j with status 2 and a clear message", async (argv, msg) => {
    expect(await bootMain(argv)).toBe(2);
    expect(io.err).toMatch(msg);
    expect(io.out).not.toContain("Run /bin/init");
  });

  it("runs a script file and writes a valid trace", async () => {
    const dir = mkdtempSync(join(tmpdir(), "lunaix-"));
    const script = join(dir, "s.sh");
    const trace = join(dir, "t.json");
    writeFileSync(script, "echo from a file | upper\nps\n");
    expect(
      await bootMain(["lunaix", "--script", script, "--trace", trace, "--cpus", "1", "--seed", "3"]),
    ).toBe(0);
    expect(io.out).toContain("$ echo from a file | upper\nFROM A FILE\n");
    expect(io.out).toContain("leaks after halt:    none");
    expect(io.err).toMatch(/ms to the first prompt/);
    const json = JSON.parse(readFileSync(trace, "utf8")) as { otherData: Record<string, unknown> };
    expect(validateChromeTrace(json)).toEqual([]);
    expect(json.otherData).toEqual({ kernel: "lunaix", seed: 3, cpus: 1 });
  });

  it("relative --script and --trace paths are the user's: pnpm's INIT_CWD, not the package folder", async () => {
    const dir = mkdtempSync(join(tmpdir(), "lunaix-"));
    writeFileSync(join(dir, "s.sh"), "echo relative\n");
    const saved = process.env.INIT_CWD;
    process.env.INIT_CWD = dir;
    try {
      expect(await bootMain(["--script", "s.sh", "--trace", "t.json", "--cpus", "1"])).toBe(0);
    } finally {
      if (saved === undefined) delete process.env.INIT_CWD;
      else process.env.INIT_CWD = saved;
    }
    expect(io.out).toContain("$ echo relative\nrelative\n");
    expect(validateChromeTrace(JSON.parse(readFileSync(join(dir, "t.json"), "utf8")))).toEqual([]);
  });

  it("a script it cannot read leaves no empty trace file behind", async () => {
    const dir = mkdtempSync(join(tmpdir(), "lunaix-"));
    const trace = join(dir, "t.json");
    expect(await bootMain(["--script", join(dir, "none.sh"), "--trace", trace])).toBe(2);
    expect(existsSync(trace)).toBe(false);
  });

  it("--help prints the usage and boots nothing", async () => {
    expect(await bootMain(["--help"])).toBe(0);
    expect(io.out).toMatch(/^usage: pnpm run boot/);
    expect(io.out).not.toContain("BIOS-e820");
  });
});
