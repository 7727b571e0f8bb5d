/**
 * `@osbricks/objects/laws`: the law suites of this package, runnable against any implementation
 * (see CONTRIBUTING.md, "Laws").
 *
 * @packageDocumentation
 */
export * from "./api.js";
export { type HandleCommand, handleCommands, rightsArb } from "./handle-commands.js";
export { HandleWorld, type ModelHandle, type ModelObject, type ModelTable } from "./handle-model.js";
export * from "./handle-table-laws.js";
export * from "./wait-laws.js";
