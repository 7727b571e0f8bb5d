// `pnpm run boot jsix` (bootMain in-process): its refusals, exit status 2 with a clear message and
// nothing booted, and a run that writes a valid trace.
import { mkdtempSync, readFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { bootMain } from "../src/boot.js";
import { KERNELS } from "../src/scripted.js";
import { validateChromeTrace } from "../src/trace/chrome-trace.js";
import { captureStdio } from "./capture-stdio.js";

const io = captureStdio();

describe("pnpm run boot jsix", () => {
  it("is a kernel the command line knows; lunaix stays the default", () => {
    expect(KERNELS[0]).toBe("lunaix");
    expect(KERNELS).toContain("jsix");
  });

  it.each([
    [["jsix", "--script", "x.sh"], /--script: the jsix kernel has no shell to type into/],
    [["jsix", "--policy", "edf"], /--policy "edf": expected one of rr, cfs/],
    [["jsix", "--mem", "2M"], /--mem 2097152 bytes: this kernel needs 4 MiB..4 GiB/],
    [["jsix", "--cpus", "0"], /--cpus 0: expected 1..32/],
    [
      ["jsix", "--trace", "/no/such/dir/t.json"],
      /--trace \/no\/such\/dir\/t.json: cannot write it \(ENOENT\)/,
    ],
  ])("refuses %j with status 2 and a clear message", async (argv, msg) => {
    expect(await bootMain(argv)).toBe(2);
    expect(io.err).toMatch(msg);
    expect(io.out).not.toContain("jsix-like kernel booting");
  });

  it("boots, runs the demo and writes a valid trace with --trace", async () => {
    const trace = join(mkdtempSync(join(tmpdir(), "jsix-")), "t.json");
    expect(await bootMain(["jsix", "--seed", "9", "--cpus", "3", "--trace", trace])).toBe(0);
    expect(io.out).toContain("jsix-like kernel booting: seed 9, 3 CPU(s), 256 MiB, policy rr");
    expect(io.out).toContain("srv.init: every demo done; stopping srv.logger");
    expect(io.out).toContain("leaks after the run:   none");
    const json = JSON.parse(readFileSync(trace, "utf8"));
    expect(validateChromeTrace(json)).toEqual([]);
    expect(json.otherData).toEqual({ kernel: "jsix", seed: 9, cpus: 3 });
  });
});
