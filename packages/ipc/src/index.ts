/**
 * @osbricks/ipc: how threads talk. Channels (messages and byte streams), L4-style endpoints,
 * notifications and IRQ delivery, futexes, page transfer. Re-exports only.
 * @packageDocumentation
 */
export * from "./api.js";
export * from "./channel/byte-ring.js";
export * from "./channel/channel.js";
export * from "./channel/message-queue.js";
export * from "./core/sched-bridge.js";
export * from "./core/threads.js";
export * from "./core/wait-list.js";
export * from "./endpoint/endpoint.js";
export * from "./endpoint/tag.js";
export * from "./errors.js";
export * from "./explore/explorer.js";
export * from "./futex/futex.js";
export * from "./futex/futex-key.js";
export * from "./kobjects/ipc-objects.js";
export * from "./kobjects/ipc-types.js";
export * from "./notification/irq.js";
export * from "./notification/notification.js";
export * from "./transfer/page-transfer.js";
export * from "./transfer/space-transfer.js";
