// The condition-variable laws run against our two condition variables, and catch a broken one
// (a signal that wakes without changing the word: a waiter between its unlock and its sleep
// misses it).
import { mem } from "@osbricks/kernel";
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
import { type BufferScenario, condVarLaws, runBufferScenario } from "../src/laws/index.js";
import { counterexampleOf } from "./counterexample.js";

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
    // The law fails; its shrunk scenario, rerun, strands a sleeper.
    const sc = counterexampleOf<BufferScenario>(condVarLaws(() => lossy, { numRuns: 200, seed: 11 })[0]!);
    expect(runBufferScenario(lossy, sc).outcome).toBe("deadlock");
  });
});
