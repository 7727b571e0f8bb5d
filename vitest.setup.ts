// Every property in the test suite runs from one fixed seed, so CI is a function of the commit:
// a red run can be replayed byte for byte, and a green one does not hide a lottery (DESIGN.md,
// "Determinism"). fast-check's own default is a fresh seed per run; on 2026-11-21 that made CI
// fail on a property that had passed every earlier run (an over-strong stride claim).
//
// Exploring is still one variable away, and worth doing before a release:
//   FC_SEED=random pnpm test   — a fresh seed per property; a failure prints its seed and path
//   FC_SEED=123 pnpm test      — replay the whole suite from seed 123
// A property that passes its own `seed` option keeps it: those seeds pin examples quoted in tests.
import fc from "fast-check";

const FIXED_SEED = 20261122;
const choice = process.env.FC_SEED;
if (choice !== "random") {
  const seed = choice === undefined || choice === "" ? FIXED_SEED : Number(choice);
  if (!Number.isSafeInteger(seed))
    throw new Error(`vitest.setup.ts: FC_SEED=${choice}: expected an integer or "random"`);
  fc.configureGlobal({ seed });
}
