import { describe, expect, it } from "vitest";
import { parseBootArgs, UsageError, usage } from "../src/cli/args.js";
import { formatSize, parseSize, SizeError } from "../src/cli/size.js";

const choices = { kernels: ["lunaix", "l4"], policies: ["rr", "cfs"] };

describe("parseBootArgs", () => {
  it("defaults to the first kernel, seed 1, 2 CPUs and 256 MiB", () => {
    expect(parseBootArgs([], choices)).toEqual({
      kernel: "lunaix",
      seed: 1,
      cpus: 2,
      mem: 256 * 2 ** 20,
      policy: undefined,
      trace: undefined,
      script: undefined,
      help: false,
    });
  });

  it("reads every flag, in both --flag value and --flag=value forms", () => {
    const a = parseBootArgs(
      [
        "l4",
        "--seed",
        "7",
        "--cpus=4",
        "--mem",
        "1G",
        "--policy",
        "cfs",
        "--trace=t.json",
        "--script",
        "s.sh",
      ],
      choices,
    );
    expect(a).toMatchObject({ kernel: "l4", seed: 7, cpus: 4, mem: 2 ** 30, policy: "cfs" });
    expect(a.trace).toBe("t.json");
    expect(a.script).toBe("s.sh");
  });

  it.each([
    [["minix"], /unknown kernel "minix": expected one of lunaix, l4/],
    [["--policy", "lottery"], /--policy "lottery": expected one of rr, cfs/],
    [["--cpus", "0"], /--cpus 0: expected 1..32/],
    [["--cpus", "33"], /--cpus 33: expected 1..32/], // the same words as for 0 (it said 1..64, then the kernel 1..32)
    [["--cpus", "two"], /--cpus "two": expected a whole number/],
    [["--seed"], /--seed: missing value/],
    [["--color"], /unknown option --color/],
    [["lunaix", "l4"], /kernel already given/],
  ])("refuses %j with a clear message", (argv, message) => {
    expect(() => parseBootArgs(argv, choices)).toThrow(UsageError);
    expect(() => parseBootArgs(argv, choices)).toThrow(message);
  });

  it("names every kernel and policy in the usage text", () => {
    const text = usage(choices);
    for (const name of [...choices.kernels, ...choices.policies]) expect(text).toContain(name);
  });
});

describe("parseSize", () => {
  it.each([
    ["512M", 512 * 2 ** 20],
    ["1G", 2 ** 30],
    ["4GiB", 4 * 2 ** 30],
    ["65536K", 64 * 2 ** 20],
    ["1.5G", 1.5 * 2 ** 30],
    ["16777216", 16 * 2 ** 20],
  ])("reads %s", (text, bytes) => {
    expect(parseSize(text, "--mem")).toBe(bytes);
  });

  it.each([
    ["lots", /not a size/],
    ["1000001", /not a whole number of 4 KiB frames/],
    ["4K", /expected between 1 MiB and 64 TiB/],
    ["128T", /expected between/],
  ])("refuses %s", (text, message) => {
    expect(() => parseSize(text, "--mem")).toThrow(SizeError);
    expect(() => parseSize(text, "--mem")).toThrow(message);
  });

  it("formats with the largest unit that divides evenly", () => {
    expect(formatSize(512 * 2 ** 20)).toBe("512 MiB");
    expect(formatSize(1536 * 2 ** 20)).toBe("1536 MiB");
    expect(formatSize(4096)).toBe("4 KiB");
    expect(formatSize(100)).toBe("100 B");
  });
});
