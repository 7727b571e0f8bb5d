import { describe, it } from "vitest";
import { RefcountCow } from "../src/cow/refcount.js";
import { ShadowCow } from "../src/cow/shadow.js";
import { cowStrategyLaws } from "../src/laws/cow.js";

// 40 model runs of up to 50 commands each, on two CPUs, invariants after every step.
const opts = { numRuns: 40, maxSteps: 50 };

describe("copy-on-write laws: shadow chains", () => {
  for (const law of cowStrategyLaws(() => new ShadowCow(), opts)) it(law.name, () => law.check());
});

describe("copy-on-write laws: page refcounts", () => {
  for (const law of cowStrategyLaws(() => new RefcountCow(), opts)) it(law.name, () => law.check());
});
