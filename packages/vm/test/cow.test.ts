import { describe, it } from "vitest";
import { RefcountCow } from "../src/cow/refcount.js";
import { ShadowCow } from "../src/cow/shadow.js";
import { cowStrategyLaws } from "../src/laws/cow.js";

// 100 runs of up to 50 commands each, on two CPUs, invariants after every step. (A shared area
// given a fresh object at fork took 71 runs to show with fewer forks in the mix.)
const opts = { numRuns: 100, maxSteps: 50 };

describe("copy-on-write laws: shadow chains", () => {
  for (const law of cowStrategyLaws(() => new ShadowCow(), opts)) it(law.name, () => law.check());
});

describe("copy-on-write laws: page refcounts", () => {
  for (const law of cowStrategyLaws(() => new RefcountCow(), opts)) it(law.name, () => law.check());
});
