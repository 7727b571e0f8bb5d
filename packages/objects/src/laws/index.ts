/**
 * `@osbricks/objects/laws`: the law suites of this package, runnable against any implementation
 * (see CONTRIBUTING.md, "Laws").
 *
 * @packageDocumentation
 */
export * from "./api.js";
export {
  type HandleCommand,
  HandleWorld,
  handleCommands,
  type ModelHandle,
  type ModelObject,
  type ModelTable,
  rightsArb,
} from "./handle-model.js";
export * from "./handle-table-laws.js";
export * from "./wait-laws.js";
