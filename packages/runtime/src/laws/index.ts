// @osbricks/runtime/laws: the law suites of this package's interfaces. Re-exports only.

export * from "./condvar-laws.js";
export * from "./law.js";
export * from "./lock-laws.js";
export * from "./semaphore-laws.js";
export * from "./semaphore-scenarios.js";
