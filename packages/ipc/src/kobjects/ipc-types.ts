/**
 * The ipc object types of one machine, defined in its `@osbricks/objects` {@link ObjectSpace}, with
 * the rights and signals each one understands.
 *
 * | type           | rights used                                   | signals                                  |
 * |----------------|-----------------------------------------------|------------------------------------------|
 * | `channel`      | WRITE (send), READ (receive), WAIT, TRANSFER  | readable (bit 8), writable (bit 9), PEER_CLOSED (bit 1) |
 * | `endpoint`     | WRITE (send, call), READ (receive, reply)     | closed (bit 8)                           |
 * | `notification` | SIGNAL (signal), WAIT (wait)                  | pending (bit 8)                          |
 *
 * Generic rights keep their Zircon meaning (READ/WRITE for a channel's data), so the handle layer
 * checks them without knowing ipc. IRQ binding needs the kernel's system object with a right named
 * `bind_irq` (jsix's `j6_cap_system_bind_irq`), which the kernel defines with its system type.
 *
 * Related: `../channel/channel.ts`, `ipc-objects.ts`, `../notification/irq.ts`.
 */
import type { ObjectSpace, ObjectType } from "@osbricks/objects";
import type { ChannelEnd } from "../channel/channel.js";
import type { EndpointObject, NotificationObject } from "./ipc-objects.js";

/** The object types the ipc layer defines in a machine's object space. */
export interface IpcObjectTypes {
  /** One end of a channel. */
  readonly channel: ObjectType<ChannelEnd>;
  /** A synchronous endpoint. */
  readonly endpoint: ObjectType<EndpointObject>;
  /** A notification word. */
  readonly notification: ObjectType<NotificationObject>;
}

/** Name of the channel signal asserted while a message (or a byte) waits to be read. */
export const CHANNEL_READABLE = "readable";
/** Name of the channel signal asserted while the peer's inbound queue has room. */
export const CHANNEL_WRITABLE = "writable";

/**
 * Define the ipc types in `space` (once per machine).
 * @throws the objects layer's InvalidArgumentError when a type of the same name already exists.
 * @example
 * const space = new ObjectSpace();
 * const types = defineIpcTypes(space);
 * types.channel.signal("readable");   // 0x100
 */
export function defineIpcTypes(space: ObjectSpace): IpcObjectTypes {
  return {
    channel: space.defineType<ChannelEnd>({ name: "channel", signals: [CHANNEL_READABLE, CHANNEL_WRITABLE] }),
    endpoint: space.defineType<EndpointObject>({ name: "endpoint", signals: ["closed"] }),
    notification: space.defineType<NotificationObject>({ name: "notification", signals: ["pending"] }),
  };
}
