// @osbricks/kernel: the shared kernel machinery. Re-exports only.
export * from "./errors.js";
export * from "./posix/table.js";
export * from "./program/image.js";
export * from "./program/registry.js";
export * from "./program/trap.js";
export * from "./program/user.js";
export * from "./syscalls/decl.js";
export * from "./syscalls/dispatch.js";
export * from "./syscalls/errno.js";
export * from "./syscalls/reference.js";
export * from "./syscalls/stubs.js";
export * from "./syscalls/table.js";
