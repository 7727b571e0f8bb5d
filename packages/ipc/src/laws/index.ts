/**
 * `@osbricks/ipc/laws`: the law suites of the ipc interfaces, runnable against any
 * implementation with any test runner. Re-exports only.
 * @packageDocumentation
 */

export * from "./channel-laws.js";
export * from "./endpoint-laws.js";
export { EndpointModel, type EndpointReal } from "./endpoint-model.js";
export * from "./futex-requeue-laws.js";
export * from "./law.js";
export * from "./sync-laws.js";
