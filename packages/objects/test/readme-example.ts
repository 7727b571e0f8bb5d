import {
  KernelObject,
  ObjectSpace,
  objectWait,
  Right,
  SimulatedWaitHost,
  SlotHandleTable,
} from "@osbricks/objects";

const space = new ObjectSpace(); // one machine
const channel = space.defineType({ name: "channel", rights: ["send"], signals: ["readable"] });
const READABLE = channel.signal("readable");
const server = new SlotHandleTable(space, { capacity: 64 }); // one table per process
const client = new SlotHandleTable(space, { capacity: 64 });

const ch = new KernelObject(space, channel);
const created = server.create(ch, Right.DUPLICATE | Right.TRANSFER | Right.WAIT | channel.right("send"));
if (created.kind !== "ok") throw new Error("server table full");
const sent = server.share(created.handle, client, Right.WAIT); // client may wait, not send
if (sent.kind !== "ok") throw new Error(sent.kind);

export const denied = client.lookup(sent.handle, channel, channel.right("send")); // access-denied
const host = new SimulatedWaitHost(); // the scheduler's role
const lookup = client.lookup(sent.handle, channel, Right.WAIT);
if (lookup.kind !== "ok") throw new Error(lookup.kind);
export const start = objectWait(host, /* thread */ 1, lookup.object, READABLE, /* deadline */ 5_000);
ch.assertSignals(READABLE); // a message arrived: thread 1 wakes, exactly once
export const wakes = host.wakesOf(1);
export const revoked = server.revoke(created.handle); // the client's handle is gone
export const after = client.lookup(sent.handle, null, 0);
