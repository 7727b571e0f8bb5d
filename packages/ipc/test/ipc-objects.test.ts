// The handle-checked system calls on endpoints, and every way a peer can die.
import {
  type Handle,
  KernelObject,
  ObjectSpace,
  objectWait,
  Right,
  Signal,
  SimulatedWaitHost,
  SlotHandleTable,
} from "@osbricks/objects";
import { describe, expect, it } from "vitest";
import {
  channelRead,
  collectHandles,
  createChannel,
  defineIpcTypes,
  EndpointObject,
  endpointReceive,
  endpointSend,
  FOREVER,
  IpcArgumentError,
  IpcStatus,
  IpcThreads,
  LONG_BUFFER_MAX,
  MR_COUNT,
  makeTag,
  NO_WAIT,
  NotificationObject,
  TAG_FLAG_LONG,
} from "../src/index.js";

const EP_RIGHTS = Right.READ | Right.WRITE | Right.WAIT | Right.TRANSFER | Right.DUPLICATE;

function ok(r: { readonly kind: string }): Handle {
  if (r.kind !== "ok") throw new Error(`expected ok, got ${JSON.stringify(r)}`);
  return (r as unknown as { readonly handle: Handle }).handle;
}

function machine() {
  const space = new ObjectSpace();
  const types = defineIpcTypes(space);
  const eventType = space.defineType({ name: "event" });
  const woken: Array<[number, number]> = [];
  const threads = new IpcThreads({ maxThreads: 4, waker: { wake: (t, s) => woken.push([t, s]) } });
  const epObj = new EndpointObject(space, types.endpoint, threads);
  const client = new SlotHandleTable(space, { capacity: 8 });
  const server = new SlotHandleTable(space, { capacity: 8 });
  const hc = ok(client.create(epObj, EP_RIGHTS));
  const hs = ok(server.create(epObj, EP_RIGHTS));
  const event = (t: SlotHandleTable, rights = Right.TRANSFER) =>
    ok(t.create(new KernelObject(space, eventType), rights));
  const put = (t: number, ...words: number[]) => {
    threads.mr[t * MR_COUNT] = makeTag({ label: 1, words: words.length });
    words.forEach((w, i) => {
      threads.mr[t * MR_COUNT + 1 + i] = w;
    });
  };
  return { space, types, threads, woken, epObj, client, server, hc, hs, event, put };
}

describe("endpoint system calls", () => {
  it("a call carries handles from the client's table to the server's, exactly once", () => {
    const { types, threads, epObj, client, server, hc, hs, event, put, space } = machine();
    const e = event(client);
    const koid = (client.lookup(e, null, 0) as { object: KernelObject }).object.koid;
    expect(endpointReceive(server, types, hs, 1)).toEqual({ kind: "status", status: IpcStatus.Blocked });
    put(0, 42);
    expect(endpointSend(client, types, hc, 0, "call", [e])).toEqual({
      kind: "status",
      status: IpcStatus.Blocked,
    });
    expect(client.lookup(e, null, 0).kind).toBe("bad-handle");
    const got = collectHandles(threads, epObj, 1, server);
    expect(got.dropped).toBe(0);
    const l = server.lookup(got.handles[0]!, null, 0);
    expect(l.kind === "ok" && l.object.koid).toBe(koid);
    expect(threads.badge[1]).toBe(epObj.koid);
    expect(epObj.transit.size).toBe(0);
    space.checkInvariants();
  });

  it("a bad timeout or reply timeout is refused before any handle moves (it used to throw after the move)", () => {
    const { types, threads, epObj, client, hc, hs, server, event, put, space, woken: wakes } = machine();
    const good = event(client);
    put(0, 7);
    const before = () => JSON.stringify([client.size, epObj.transit.size, Array.from(threads.state)]);
    const was = before();
    const bad: Array<[() => unknown, string]> = [
      [() => endpointSend(client, types, hc, 0, "send", [good], -1), "endpointSend(thread=0, timeout=-1)"],
      [
        () => endpointSend(client, types, hc, 0, "call", [good], Number.NaN),
        "endpointSend(thread=0, timeout=NaN)",
      ],
      [
        () => endpointSend(client, types, hc, 0, "call", [good], FOREVER, -5),
        "endpointSend(thread=0, replyTimeout=-5)",
      ],
    ];
    for (const [f, message] of bad) {
      expect(f).toThrow(IpcArgumentError);
      expect(f).toThrow(message);
      expect(before()).toBe(was);
      expect(client.lookup(good, null, 0).kind).toBe("ok");
    }
    space.checkInvariants();
    // The reply timeout reaches the endpoint: the server receives, the call times out in phase 2.
    expect(endpointReceive(server, types, hs, 1)).toEqual({ kind: "status", status: IpcStatus.Blocked });
    expect(endpointSend(client, types, hc, 0, "call", [good], FOREVER, 25)).toEqual({
      kind: "status",
      status: IpcStatus.Blocked,
    });
    expect(threads.advanceTo(25)).toEqual([0]);
    expect(wakes.at(-1)).toEqual([0, IpcStatus.ReplyTimedOut]);
  });

  it("bad input is refused with the message and every handle left with the sender", () => {
    const { types, threads, client, hc, event, put, space } = machine();
    const good = event(client);
    const noTransfer = event(client, Right.WAIT);
    const readOnly = ok(client.duplicate(hc, Right.READ));
    put(0, 7);
    const snapshot = () => [client.size, threads.mr[0], threads.mr[1]];
    const before = snapshot();
    const closed = ok(client.duplicate(hc, EP_RIGHTS));
    client.close(closed);
    const cases: Array<[ReturnType<typeof endpointSend>, object]> = [
      [endpointSend(client, types, closed, 0, "send", [good]), { kind: "bad-handle" }],
      [endpointSend(client, types, 0x3333, 0, "send", [good]), { kind: "bad-handle" }],
      [endpointSend(client, types, good, 0, "send", []), { kind: "wrong-type", expected: "endpoint" }],
      [
        endpointSend(client, types, readOnly, 0, "send", [good]),
        { kind: "access-denied", missing: Right.WRITE },
      ],
      [
        endpointSend(client, types, hc, 0, "send", [good, noTransfer]),
        { kind: "bad-transfer", index: 1, reason: "access-denied" },
      ],
      [
        endpointSend(client, types, hc, 0, "send", [good, hc]),
        { kind: "bad-transfer", index: 1, reason: "self" },
      ],
      [
        endpointSend(client, types, hc, 0, "send", [good, good]),
        { kind: "bad-transfer", reason: "duplicate" },
      ],
      [
        endpointSend(client, types, hc, 0, "send", [good], NO_WAIT),
        { kind: "status", status: IpcStatus.WouldBlock },
      ],
      [
        endpointSend(
          client,
          types,
          hc,
          0,
          "send",
          Array.from({ length: 16 }, () => good),
        ),
        { kind: "status", status: IpcStatus.TooLarge },
      ],
    ];
    for (const [got, want] of cases) expect(got).toMatchObject(want);
    threads.mr[0] = makeTag({ label: 1, words: 1, long: true });
    threads.longLen[0] = LONG_BUFFER_MAX + 1;
    expect(threads.mr[0]! & TAG_FLAG_LONG).toBeTruthy();
    expect(endpointSend(client, types, hc, 0, "send", [good])).toEqual({
      kind: "status",
      status: IpcStatus.TooLarge,
    });
    threads.mr[0] = makeTag({ label: 1, words: 1 });
    expect(snapshot()).toEqual(before);
    expect(client.lookup(good, null, Right.TRANSFER).kind).toBe("ok");
    space.checkInvariants();
  });

  it("a send that times out gets its handles back into its own table", () => {
    const { types, threads, epObj, client, hc, event, put } = machine();
    const e = event(client);
    put(0, 1);
    expect(endpointSend(client, types, hc, 0, "send", [e], 5)).toEqual({
      kind: "status",
      status: IpcStatus.Blocked,
    });
    threads.advanceTo(5);
    const back = collectHandles(threads, epObj, 0, client);
    expect(back.handles).toHaveLength(1);
    expect(client.lookup(back.handles[0]!, null, Right.TRANSFER).kind).toBe("ok");
  });
});

describe("every way a peer can die wakes every waiter with the right status", () => {
  it("endpoint: its last handle closes → queued senders and receivers wake Closed, `closed` signal set", () => {
    const { types, woken, epObj, client, server, hc, hs, put } = machine();
    put(0, 1);
    endpointSend(client, types, hc, 0, "send");
    put(2, 1);
    endpointSend(client, types, hc, 2, "call");
    const host = new SimulatedWaitHost();
    expect(objectWait(host, 9, epObj, types.endpoint.signal("closed"), null).kind).toBe("blocked");
    client.close(hc);
    expect(woken).toEqual([]);
    epObj.retain();
    server.close(hs);
    expect(woken).toEqual([
      [0, IpcStatus.Closed],
      [2, IpcStatus.Closed],
    ]);
    expect(host.wakes.map((w) => w.result.kind)).toEqual(["satisfied"]);
    expect(epObj.endpoint.receive(1)).toBe(IpcStatus.Closed);
    epObj.release();
  });

  it("endpoint: a receiver blocked when the endpoint is killed wakes Closed", () => {
    const { types, woken, epObj, server, hs } = machine();
    endpointReceive(server, types, hs, 1);
    epObj.kill();
    expect(woken).toEqual([[1, IpcStatus.Closed]]);
  });

  it("server thread exits holding reply capabilities → each caller wakes ReplyDropped", () => {
    const { threads, woken, epObj, put } = machine();
    const ep = epObj.endpoint;
    put(0, 1);
    put(2, 2);
    ep.call(0);
    ep.call(2);
    ep.receive(1);
    ep.receive(1);
    expect(threads.threadExit(1)).toEqual([0, 2]);
    expect(woken).toEqual([
      [0, IpcStatus.ReplyDropped],
      [2, IpcStatus.ReplyDropped],
    ]);
  });

  // A queued sender's handles wait in the endpoint's transit table; a thread that exits will never
  // collect them. They used to stay there (handed back to the dead thread's inItems), so the
  // object they named outlived its last owner: nothing could close them until the endpoint died.
  // seL4 moves capabilities only at the rendezvous and Zircon closes the handles of an unread
  // message, so the exiting thread's in-flight handles are closed.
  it("a sender that exits while queued with handles: they are closed, and an object left without handles dies", () => {
    const { space, types, threads, woken, epObj, client, hc, event, put } = machine();
    const e = event(client);
    const obj = (client.lookup(e, null, 0) as { object: KernelObject }).object;
    put(0, 1);
    expect(endpointSend(client, types, hc, 0, "send", [e])).toEqual({
      kind: "status",
      status: IpcStatus.Blocked,
    });
    put(2, 1);
    endpointSend(client, types, hc, 2, "call", [event(client)]);
    expect(epObj.transit.size).toBe(2);
    expect(threads.threadExit(0)).toEqual([]);
    expect(woken).toEqual([]);
    expect(threads.inItems[0]).toBeNull();
    expect(epObj.transit.size).toBe(1); // thread 2's handle still waits with its call
    expect(obj.state).toBe("destroyed");
    expect(epObj.endpoint.queuedSenders()).toEqual([2]);
    threads.checkInvariants();
    epObj.endpoint.checkInvariants();
    space.checkInvariants();
  });

  it("a caller killed while waiting for its reply wakes Cancelled; the reply is then refused", () => {
    const { threads, woken, epObj, put } = machine();
    const ep = epObj.endpoint;
    ep.receive(1);
    put(0, 1);
    ep.call(0);
    threads.cancel(0);
    expect(woken.at(-1)).toEqual([0, IpcStatus.Cancelled]);
    expect(ep.reply(1, threads.replyCap[1]!)).toBe(IpcStatus.InvalidReplyCap);
  });

  it("notification: destroyed with its object → waiters wake Closed", () => {
    const { space, types, threads, woken } = machine();
    const n = new NotificationObject(space, types.notification, threads);
    n.notification.wait(1);
    n.notification.wait(3);
    n.kill();
    expect(woken).toEqual([
      [1, IpcStatus.Closed],
      [3, IpcStatus.Closed],
    ]);
  });

  it("channel: one end closed or killed → waiters on the other see PEER_CLOSED, reads then say peer-closed", () => {
    for (const how of ["close", "kill"] as const) {
      const space = new ObjectSpace();
      const types = defineIpcTypes(space);
      const [a, b] = createChannel(space, types);
      const ta = new SlotHandleTable(space);
      const tb = new SlotHandleTable(space);
      const ha = ok(ta.create(a, EP_RIGHTS));
      const hb = ok(tb.create(b, EP_RIGHTS));
      const host = new SimulatedWaitHost();
      const readable = types.channel.signal("readable");
      for (const waiter of [1, 2])
        expect(objectWait(host, waiter, b, readable | Signal.PEER_CLOSED, null).kind).toBe("blocked");
      if (how === "close") ta.close(ha);
      else a.kill();
      expect(host.wakes.map((w) => [w.waiter, w.result.kind])).toEqual([
        [1, "satisfied"],
        [2, "satisfied"],
      ]);
      expect(host.wakes.every((w) => (w.result.observed[0]! & Signal.PEER_CLOSED) !== 0)).toBe(true);
      expect(channelRead(tb, types, hb, 8)).toEqual({ kind: "peer-closed" });
    }
  });
});
