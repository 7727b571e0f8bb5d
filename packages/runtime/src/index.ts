// @osbricks/runtime: POSIX threads as simulated user code. Re-exports only.
export * from "./api.js";
export * from "./errors.js";
export * from "./sync/atomic.js";
export * from "./sync/barrier.js";
export * from "./sync/cond.js";
export * from "./sync/condvar-api.js";
export * from "./sync/lll.js";
export * from "./sync/lock-api.js";
export * from "./sync/mutex.js";
export * from "./sync/once.js";
export * from "./sync/rwlock.js";
export * from "./sync/semaphore.js";
export * from "./sync/semaphore-api.js";
export * from "./thread/init.js";
export * from "./thread/keys.js";
export * from "./thread/pthread.js";
export * from "./thread/stack.js";
