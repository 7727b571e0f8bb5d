// The condition-variable laws run against our two condition variables, and catch a broken one
// (a signal that wakes without changing the word: a waiter between its unlock and its sleep
// misses it).
import { mem } from "@osbricks/kernel";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import {
  type CondVar,
  futexWait,
  futexWake,
  mutexLock,
  mutexUnlock,
  nptlCondVar,
  seqCondVar,
  WAKE_ALL,
} from "../src/index.js";
import { bufferScenarioArb, condVarLaws, runBufferScenario } from "../src/laws/index.js";

describe("condition-variable laws", () => {
  for (const cv of [nptlCondVar, seqCondVar]) {
    for (const law of condVarLaws(() => cv, { numRuns: 50 })) it(law.name, () => law.check());
  }

  it("catch a condition variable whose signal does not change the word (a lost wakeup → deadlock)", () => {
    const lossy: CondVar = {
      name: "wake without a sequence bump",
      size: 4,
      *wait(self, c, m) {
        const seq = yield* mem.load32(c);
        yield* mutexUnlock(self, m);
        yield* futexWait(c, seq);
        yield* mutexLock(self, m);
      },
      *signal(_self, c) {
        yield* futexWake(c, 1);
      },
      *broadcast(_self, c) {
        yield* futexWake(c, WAKE_ALL);
      },
    };
    const noLost = condVarLaws(() => lossy, { numRuns: 200, seed: 11 })[0]!;
    expect(() => noLost.check()).toThrow(/Property failed/);
    // The evidence: fast-check's shrunk scenario, rerun, strands a sleeper.
    const out = fc.check(
      fc.property(bufferScenarioArb(), (s) => runBufferScenario(lossy, s).outcome === "all-exited"),
      { numRuns: 200, seed: 11 },
    );
    expect(out.counterexample).not.toBeNull();
    expect(runBufferScenario(lossy, out.counterexample![0]).outcome).toBe("deadlock");
  });
});
