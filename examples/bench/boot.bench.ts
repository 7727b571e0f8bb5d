// Boot to the shell's first prompt (target < 100 ms) and the whole demo script (target < 2 s),
// host time, the same work `pnpm start` does (without printing). Run: pnpm bench --project examples
import { readFileSync } from "node:fs";
import { bench, describe } from "vitest";
import { DEMO_SCRIPT } from "../src/boot.js";
import { LunaixSystem } from "../src/lunaix/boot.js";
import { bootScripted, scriptLines } from "../src/scripted.js";

const DEMO = scriptLines(readFileSync(DEMO_SCRIPT, "utf8"));
const ARGS = { kernel: "lunaix", seed: 1, cpus: 2, mem: 256 * 2 ** 20, policy: undefined, trace: undefined };

describe("lunaix", () => {
  bench("boot to the first prompt (2 CPUs, 256 MiB)", () => {
    LunaixSystem.boot({ output: () => {} });
  });
  bench(
    "the whole demo script",
    () => {
      bootScripted(ARGS, DEMO, () => {});
    },
    { iterations: 10 },
  );
});
