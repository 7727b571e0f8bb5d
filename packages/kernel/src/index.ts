// @osbricks/kernel: the shared kernel machinery. Re-exports only.
export * from "./errors.js";
// The kernel core.
export * from "./kernel/api.js";
export * from "./kernel/cpu.js";
export * from "./kernel/fork.js";
export * from "./kernel/invariants.js";
export * from "./kernel/kernel.js";
export * from "./kernel/lifecycle.js";
export * from "./kernel/shootdown.js";
export * from "./posix/deliver.js";
export * from "./posix/files.js";
export * from "./posix/libc.js";
export * from "./posix/signals.js";
export * from "./posix/syscalls.js";
// The POSIX personality.
export * from "./posix/table.js";
export * from "./posix/wait-status.js";
export * from "./process/history.js";
export * from "./process/loader.js";
export * from "./process/process.js";
export * from "./process/thread.js";
export * from "./program/image.js";
export * from "./program/registry.js";
// The program model (what user code is written with; @osbricks/runtime builds on it).
export * from "./program/trap.js";
export * from "./program/user.js";
export * from "./syscalls/decl.js";
export * from "./syscalls/dispatch.js";
// System calls as data.
export * from "./syscalls/errno.js";
export * from "./syscalls/handles.js";
export * from "./syscalls/reference.js";
export * from "./syscalls/stubs.js";
export * from "./syscalls/table.js";
export * from "./trap/memory.js";
export * from "./trap/pager.js";
