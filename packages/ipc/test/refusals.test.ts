// Every public entry of the rendezvous objects refuses bad input with the package's typed error,
// naming the call, the value and what was expected, and a refused call changes nothing: the test
// builds a busy machine (a receiver queued, a caller waiting for its reply, a notification waiter,
// pending IRQ lines, a channel with a queued message), snapshots everything observable, makes the
// bad call, and compares the snapshot and runs every checkInvariants() afterwards.
import { ObjectSpace, Right, SlotHandleTable } from "@osbricks/objects";
import { describe, expect, it } from "vitest";
import {
  channelRead,
  createChannel,
  defineIpcTypes,
  Endpoint,
  IpcArgumentError,
  type IpcError,
  IpcStateError,
  IpcStatus,
  IpcThreads,
  MR_COUNT,
  makeTag,
  Notification,
} from "../src/index.js";

function machine() {
  const woken: Array<[number, number]> = [];
  const threads = new IpcThreads({ maxThreads: 8, waker: { wake: (t, s) => woken.push([t, s]) } });
  const ep = new Endpoint(threads, { order: "priority" });
  const irqEp = new Endpoint(threads, { name: "irq-endpoint" });
  const note = new Notification(threads);
  const space = new ObjectSpace();
  const types = defineIpcTypes(space);
  const [a, b] = createChannel(space, types, { maxMessages: 4 });
  const table = new SlotHandleTable(space, { capacity: 8 });
  const ha = table.create(a, Right.READ | Right.WRITE);
  const hb = table.create(b, Right.READ | Right.WRITE);
  if (ha.kind !== "ok" || hb.kind !== "ok") throw new Error("create");
  a.write(table, new Uint8Array([1, 2, 3]));
  // Thread 0 calls and waits for its reply (held by 1); 2 waits to receive; 3 waits on the
  // notification with a deadline; lines 1 and 3 are pending on irqEp; 4..7 are idle.
  threads.mr[0 * MR_COUNT] = makeTag({ label: 5, words: 1 });
  threads.mr[0 * MR_COUNT + 1] = 41;
  ep.receive(1);
  ep.call(0);
  ep.receive(2);
  note.wait(3, 100);
  irqEp.signalIrq(1);
  irqEp.signalIrq(3);
  woken.length = 0;
  const snapshot = () =>
    JSON.stringify({
      state: Array.from(threads.state),
      deadline: Array.from(threads.deadline),
      prio: Array.from(threads.prio),
      mr: Array.from(threads.mr.subarray(0, 4 * MR_COUNT)),
      replyCap: Array.from(threads.replyCap),
      replyGen: Array.from(threads.replyGen),
      now: threads.now,
      woken,
      senders: ep.queuedSenders(),
      receivers: ep.queuedReceivers(),
      irqs: irqEp.pendingIrqs,
      note: [note.pending, note.queuedWaiters()],
      channel: [a.pending, b.pending, a.signals, b.signals, table.size],
    });
  const check = () => {
    threads.checkInvariants();
    ep.checkInvariants();
    irqEp.checkInvariants();
    note.checkInvariants();
    a.checkInvariants();
    b.checkInvariants();
    space.checkInvariants();
  };
  return { threads, ep, irqEp, note, table, types, hb: hb.handle, b, snapshot, check };
}

type M = ReturnType<typeof machine>;

const refused: Array<[string, new (...args: never[]) => IpcError, RegExp, (m: M) => unknown]> = [
  [
    "signal a notification with a fraction of a bit",
    IpcArgumentError,
    /notification\.signal\(bits=0\.5\): expected an integer in 0\.\.0xFFFFFFFF/,
    (m) => m.note.signal(0.5),
  ],
  [
    "signal a notification with a 33-bit mask",
    IpcArgumentError,
    /notification\.signal\(bits=4294967296\)/,
    (m) => m.note.signal(2 ** 32),
  ],
  [
    "wait on a notification with a negative timeout",
    IpcArgumentError,
    /notification\.wait\(thread=4, timeout=-1\): expected ≥ 0/,
    (m) => m.note.wait(4, -1),
  ],
  [
    "wait on a notification with a NaN timeout",
    IpcArgumentError,
    /notification\.wait\(thread=4, timeout=NaN\)/,
    (m) => m.note.wait(4, Number.NaN),
  ],
  [
    "wait on a notification from a thread already waiting",
    IpcStateError,
    /notification\.wait\(thread=3\): thread is blocked in notification and cannot trap/,
    (m) => m.note.wait(3),
  ],
  [
    "signal an IRQ line above 31",
    IpcArgumentError,
    /irq-endpoint\.signalIrq\(line=32\): expected a line in 0\.\.31/,
    (m) => m.irqEp.signalIrq(32),
  ],
  [
    "signal a fractional IRQ line",
    IpcArgumentError,
    /irq-endpoint\.signalIrq\(line=1\.5\)/,
    (m) => m.irqEp.signalIrq(1.5),
  ],
  [
    "replyReceive with a negative timeout (the reply must not go out)",
    IpcArgumentError,
    /replyReceive\(thread=1, timeout=-1\): expected a timeout ≥ 0/,
    (m) => m.ep.replyReceive(1, m.threads.replyCap[1]!, -1),
  ],
  [
    "replyReceive from a thread out of range",
    IpcArgumentError,
    /replyReceive\(thread=8\): thread id out of range 0\.\.7/,
    (m) => m.ep.replyReceive(8, m.threads.replyCap[1]!),
  ],
  [
    "call with a negative reply timeout while a receiver waits",
    IpcArgumentError,
    /call\(thread=4, replyTimeout=-5\): expected a reply timeout ≥ 0/,
    (m) => m.ep.call(4, 10, 0, null, -5),
  ],
  [
    "send from a thread waiting for its reply",
    IpcStateError,
    /send\(thread=0\): thread is blocked in reply and cannot trap/,
    (m) => m.ep.send(0),
  ],
  [
    "reply from a fractional thread id",
    IpcArgumentError,
    /reply\(thread=1\.5\): thread id out of range/,
    (m) => m.ep.reply(1.5, m.threads.replyCap[1]!),
  ],
  [
    "precheck with a NaN timeout",
    IpcArgumentError,
    /precheck\(thread=4, timeout=NaN\): expected a timeout ≥ 0/,
    (m) => m.ep.precheck(4, Number.NaN, 0),
  ],
  [
    "set a priority that is not an int32 on a queued receiver",
    IpcArgumentError,
    /setPriority\(thread=2, priority=2147483648\): expected an int32/,
    (m) => m.threads.setPriority(2, 2 ** 31),
  ],
  [
    "move time backwards",
    IpcArgumentError,
    /advanceTo\(now=-1\): time cannot go back from 0/,
    (m) => m.threads.advanceTo(-1),
  ],
  [
    "cancel a thread out of range",
    IpcArgumentError,
    /cancel\(thread=-1\): thread id out of range/,
    (m) => m.threads.cancel(-1),
  ],
  // Rule 1 of the contract: a wake status is never Blocked. cancel took any number and woke the
  // thread with it (a kernel resumed it "blocked", or with an unknown code), after detaching it.
  [
    "cancel a waiting receiver with the status Blocked",
    IpcArgumentError,
    /cancel\(thread=2, status=1\): expected a wake status \(an IpcStatus other than Blocked\)/,
    (m) => m.threads.cancel(2, IpcStatus.Blocked),
  ],
  [
    "cancel a waiting receiver with an unknown status",
    IpcArgumentError,
    /cancel\(thread=2, status=42\): expected a wake status/,
    (m) => m.threads.cancel(2, 42 as IpcStatus),
  ],
  [
    "read a channel into a negative buffer",
    IpcArgumentError,
    /read\(maxBytes=-1, maxHandles=64\): expected integers ≥ 0/,
    (m) => channelRead(m.table, m.types, m.hb, -1),
  ],
  [
    "read a channel with a fractional handle buffer",
    IpcArgumentError,
    /read\(maxBytes=16, maxHandles=0\.5\): expected integers ≥ 0/,
    (m) => m.b.read(m.table, 16, 0.5),
  ],
];

describe("a refused call throws its typed error, names itself, and changes nothing", () => {
  for (const [what, ErrorClass, message, call] of refused) {
    it(what, () => {
      const m = machine();
      m.check();
      const before = m.snapshot();
      expect(() => call(m)).toThrow(ErrorClass);
      expect(() => call(m)).toThrow(message);
      expect(m.snapshot()).toBe(before);
      m.check();
    });
  }

  it("the machine the refusals run on is the busy one it claims (so 'nothing changed' means something)", () => {
    const m = machine();
    expect(m.ep.queuedReceivers()).toEqual([2]);
    expect(m.threads.state[0]).toBe(3); // ReplyBlocked
    expect(m.note.queuedWaiters()).toEqual([3]);
    expect(m.irqEp.pendingIrqs).toBe(0b1010);
    expect(m.b.pending).toBe(1);
  });
});
