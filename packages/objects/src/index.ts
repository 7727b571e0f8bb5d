/**
 * `@osbricks/objects`: kernel objects, handles with rights, per-process handle tables,
 * capability derivation and revocation, quotas, signals and waiting.
 *
 * Start with {@link ObjectSpace} (one per machine), define types with `defineType`, build
 * {@link KernelObject}s, give processes {@link SlotHandleTable}s, and wait with
 * {@link objectWait} through a {@link WaitHost} the scheduler implements.
 *
 * @packageDocumentation
 */
export * from "./api.js";
export * from "./caps/derivation.js";
export * from "./caps/quota.js";
export * from "./errors.js";
export * from "./handles/api.js";
export * from "./handles/checks.js";
export * from "./handles/map-table.js";
export * from "./handles/slot-table.js";
export * from "./object/kernel-object.js";
export * from "./object/lifecycle.js";
export * from "./object/object-type.js";
export * from "./object/space.js";
export * from "./rights/rights.js";
export * from "./signals/signals.js";
export * from "./wait/api.js";
export * from "./wait/simulated-host.js";
export * from "./wait/syscalls.js";
export * from "./wait/wait.js";
