import { describe, expect, it } from "vitest";
import {
  cancelWait,
  InvalidArgumentError,
  KernelObject,
  LifeCycleError,
  MAX_WAIT_ITEMS,
  ObjectSpace,
  objectWait,
  objectWaitMany,
  Right,
  Signal,
  SimulatedWaitHost,
  SlotHandleTable,
  userSignal,
} from "../src/index.js";

function setup() {
  const space = new ObjectSpace();
  const channel = space.defineType({ name: "channel", signals: ["readable", "writable"] });
  const table = new SlotHandleTable(space, { capacity: 16 });
  const host = new SimulatedWaitHost(1000);
  const READABLE = channel.signal("readable");
  const open = () => {
    const o = new KernelObject(space, channel);
    const r = table.create(o, Right.WAIT);
    if (r.kind !== "ok") throw new Error("setup");
    return { o, h: r.handle };
  };
  return { space, channel, table, host, READABLE, open };
}

describe("objectWait", () => {
  it("blocks, then wakes exactly once when the mask is satisfied", () => {
    const { host, READABLE, open } = setup();
    const { o } = open();
    const start = objectWait(host, 7, o, READABLE, null);
    expect(start.kind).toBe("blocked");
    o.assertSignals(userSignal(1)); // not in the mask: nothing
    expect(host.wakes).toEqual([]);
    o.assertSignals(READABLE);
    o.clearSignals(READABLE);
    o.assertSignals(READABLE); // asserting again wakes nobody: the wait already completed
    expect(host.wakesOf(7)).toEqual([{ kind: "satisfied", index: 0, observed: [READABLE | userSignal(1)] }]);
    expect(o.observerCount).toBe(0);
  });

  it("times out at the deadline and then ignores signals", () => {
    const { host, READABLE, open } = setup();
    const { o } = open();
    const start = objectWait(host, 1, o, READABLE, 1500);
    expect(start.kind).toBe("blocked");
    host.advanceTo(1499);
    expect(host.wakes).toEqual([]);
    host.advanceTo(2000);
    expect(host.wakes).toEqual([{ waiter: 1, result: { kind: "timed-out", observed: [0] }, at: 1500 }]);
    o.assertSignals(READABLE);
    expect(host.wakes.length).toBe(1);
    expect(host.pendingTimers).toBe(0);
  });

  it("a satisfied wait cancels its timer", () => {
    const { host, READABLE, open } = setup();
    const { o } = open();
    objectWait(host, 1, o, READABLE, 5000);
    expect(host.pendingTimers).toBe(1);
    o.assertSignals(READABLE);
    expect(host.pendingTimers).toBe(0);
  });

  it("a dead object: satisfied if the mask already is, else object-dead; blocked waiters end object-dead", () => {
    const { host, READABLE, open, channel } = setup();
    const { o } = open();
    const blocked = objectWait(host, 1, o, READABLE, null);
    const { o: o2 } = open();
    o2.assertSignals(channel.signal("writable"));
    o.kill();
    expect(blocked.kind === "blocked" && blocked.ticket.result?.kind).toBe("object-dead");
    expect(objectWait(host, 2, o, READABLE, null)).toMatchObject({ kind: "object-dead", index: 0 });
    o2.kill();
    expect(objectWait(host, 3, o2, channel.signal("writable"), null).kind).toBe("satisfied");
  });

  it("onDead asserting the awaited signal satisfies the waiter instead of object-dead", () => {
    const { space, host } = setup();
    const thread = space.defineType({ name: "thread", signals: ["terminated"] });
    const TERMINATED = thread.signal("terminated");
    const t = new KernelObject(space, thread, { hooks: { onDead: (o) => o.assertSignals(TERMINATED) } });
    t.retain();
    objectWait(host, 9, t, TERMINATED, null);
    t.kill();
    expect(host.wakesOf(9)).toEqual([
      { kind: "satisfied", index: 0, observed: [TERMINATED | Signal.NO_HANDLES] },
    ]);
  });

  it("a pending wait keeps the object alive after its last handle closes", () => {
    const { host, table, open, READABLE } = setup();
    const { o, h } = open();
    const start = objectWait(host, 1, o, READABLE | Signal.NO_HANDLES, null);
    expect(start.kind).toBe("blocked");
    table.close(h); // NO_HANDLES satisfies the wait, which then releases the last reference
    expect(host.wakesOf(1)).toEqual([{ kind: "satisfied", index: 0, observed: [Signal.NO_HANDLES] }]);
    expect(o.state).toBe("destroyed");
  });

  it("cancelWait returns the result once and never calls wake", () => {
    const { host, open, READABLE } = setup();
    const { o } = open();
    const start = objectWait(host, 1, o, READABLE, 3000);
    if (start.kind !== "blocked") throw new Error("setup");
    expect(cancelWait(start.ticket)).toEqual({ kind: "cancelled", observed: [0] });
    expect(cancelWait(start.ticket)).toBeNull();
    o.assertSignals(READABLE);
    host.advanceTo(5000);
    expect(host.wakes).toEqual([]);
    expect(o.refCount).toBe(0);
  });

  it("refuses bad arguments by throwing, without registering anything", () => {
    const { host, open, READABLE } = setup();
    const { o } = open();
    expect(() => objectWait(host, 1, o, -1, null)).toThrow(InvalidArgumentError);
    expect(() => objectWait(host, 1, o, READABLE, -5)).toThrow(/deadline/);
    expect(() => objectWaitMany(host, 1, [], null)).toThrow(/1\.\.64 items/);
    const many = Array.from({ length: MAX_WAIT_ITEMS + 1 }, () => ({ object: o, mask: READABLE }));
    expect(() => objectWaitMany(host, 1, many, null)).toThrow(InvalidArgumentError);
    expect(o.observerCount).toBe(0);
    expect(o.refCount).toBe(0);
    const gone = new KernelObject(o.space, o.type);
    gone.retain();
    gone.release();
    expect(() => objectWait(host, 1, gone, READABLE, null)).toThrow(LifeCycleError);
  });
});

describe("objectWaitMany", () => {
  it("returns the first satisfied item at once", () => {
    const { host, open, READABLE } = setup();
    const a = open().o;
    const b = open().o;
    b.assertSignals(READABLE);
    const r = objectWaitMany(
      host,
      1,
      [
        { object: a, mask: READABLE },
        { object: b, mask: READABLE },
      ],
      null,
    );
    expect(r).toEqual({ kind: "satisfied", index: 1, observed: [0, READABLE] });
  });

  it("wakes once with the index of the object that fired, and unregisters from the others", () => {
    const { host, open, READABLE } = setup();
    const a = open().o;
    const b = open().o;
    objectWaitMany(
      host,
      4,
      [
        { object: a, mask: READABLE },
        { object: b, mask: userSignal(0) },
      ],
      9999,
    );
    b.assertSignals(userSignal(0));
    a.assertSignals(READABLE);
    expect(host.wakesOf(4)).toEqual([{ kind: "satisfied", index: 1, observed: [0, userSignal(0)] }]);
    expect(a.observerCount + b.observerCount).toBe(0);
    expect(host.pendingTimers).toBe(0);
  });

  it("wakes several waiters of one object in registration order", () => {
    const { host, open, READABLE } = setup();
    const a = open().o;
    for (const w of [3, 1, 2]) objectWait(host, w, a, READABLE, null);
    a.assertSignals(READABLE);
    expect(host.wakes.map((x) => x.waiter)).toEqual([3, 1, 2]);
  });
});

describe("regressions", () => {
  it("onNoHandles runs before the object can be destroyed by the waiters NO_HANDLES wakes", () => {
    const { space, host, table } = setup();
    const type = space.defineType({ name: "port", signals: ["closed"] });
    const states: string[] = [];
    const o = new KernelObject(space, type, {
      hooks: {
        onNoHandles: (x) => {
          states.push(x.state);
          x.assertSignals(type.signal("closed")); // threw "destroyed (use after free?)" before the fix
        },
      },
    });
    const h = table.create(o, Right.WAIT);
    if (h.kind !== "ok") throw new Error("setup");
    objectWait(host, 1, o, Signal.NO_HANDLES, null); // the wait's reference is the last one
    table.close(h.handle);
    expect(states).toEqual(["alive"]);
    expect(host.wakesOf(1)).toHaveLength(1);
    expect(o.state).toBe("destroyed");
  });
});
