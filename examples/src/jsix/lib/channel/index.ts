// libj6's user-space channel for the jsix-like kernel: a bip buffer, a futex mutex and condition,
// and the channel built on them. Re-exports only.
export * from "./bip-buffer.js";
export * from "./channel.js";
export * from "./condition.js";
export * from "./errors.js";
export * from "./futex.js";
export * from "./memory.js";
export * from "./mutex.js";
