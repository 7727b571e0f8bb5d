// @osbricks/runtime/laws: the law suites of this package's interfaces. Re-exports only.

export * from "./condvar-laws.js";
// Named one by one: bootCondVarScenario is shared with condvar-signal-window.ts, not exported.
export {
  type BufferRun,
  type BufferScenario,
  bufferScenarioArb,
  expectedBufferSum,
  runBufferScenario,
  runSleepers,
  type SleepersRun,
} from "./condvar-scenarios.js";
export * from "./condvar-signal-window.js";
export * from "./law.js";
export * from "./lock-laws.js";
export * from "./semaphore-laws.js";
export * from "./semaphore-scenarios.js";
