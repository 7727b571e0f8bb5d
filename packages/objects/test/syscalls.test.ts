import { describe, expect, it } from "vitest";
import {
  KernelObject,
  ObjectSpace,
  Right,
  SimulatedWaitHost,
  SlotHandleTable,
  sysObjectInfo,
  sysObjectSignal,
  sysObjectWait,
  sysObjectWaitMany,
  USER_SIGNALS_MASK,
  userSignal,
} from "../src/index.js";
import { snapshotSpace } from "../src/laws/index.js";

function setup() {
  const space = new ObjectSpace();
  const event = space.defineType({ name: "event" });
  const table = new SlotHandleTable(space, { capacity: 8 });
  const host = new SimulatedWaitHost();
  const ev = new KernelObject(space, event);
  const r = table.create(ev, Right.WAIT | Right.SIGNAL);
  const noWait = table.create(ev, Right.SIGNAL);
  if (r.kind !== "ok" || noWait.kind !== "ok") throw new Error("setup");
  return { space, table, host, ev, h: r.handle, noWait: noWait.handle };
}

describe("system-call helpers", () => {
  it("object_wait blocks, object_signal wakes", () => {
    const { table, host, h } = setup();
    expect(sysObjectWait(host, 1, table, h, userSignal(0), null).kind).toBe("blocked");
    expect(sysObjectSignal(table, h, 0, userSignal(0))).toEqual({ kind: "ok", signals: userSignal(0) });
    expect(host.wakesOf(1)).toMatchObject([{ kind: "satisfied", index: 0 }]);
  });

  it("object_info reports koid, type, state and counts, with INSPECT only", () => {
    const { space, table, ev } = setup();
    const h = table.create(ev, Right.INSPECT);
    if (h.kind !== "ok") throw new Error("setup");
    expect(sysObjectInfo(table, h.handle)).toEqual({
      kind: "ok",
      koid: ev.koid,
      type: "event",
      state: "alive",
      rights: Right.INSPECT,
      handleCount: 3,
      signals: 0,
    });
    const before = snapshotSpace(space);
    expect(sysObjectInfo(table, table.list()[0]!.handle)).toMatchObject({
      kind: "access-denied",
      missing: Right.INSPECT,
    });
    expect(snapshotSpace(space)).toBe(before);
  });

  it("every program mistake is a result, and registers nothing", () => {
    const { space, table, host, h, noWait } = setup();
    const before = snapshotSpace(space);
    expect(sysObjectWait(host, 1, table, 12345, 1, null)).toMatchObject({ kind: "bad-handle" });
    expect(sysObjectWait(host, 1, table, noWait, 1, null)).toMatchObject({
      kind: "access-denied",
      missing: Right.WAIT,
    });
    expect(sysObjectWait(host, 1, table, h, -3, null)).toMatchObject({ kind: "invalid-signals" });
    expect(sysObjectWait(host, 1, table, h, 1, -1)).toMatchObject({ kind: "invalid-args" });
    expect(sysObjectWaitMany(host, 1, table, [], null)).toMatchObject({ kind: "invalid-args" });
    expect(
      sysObjectWaitMany(
        host,
        1,
        table,
        [
          { handle: h, mask: 1 },
          { handle: 7, mask: 1 },
        ],
        null,
      ),
    ).toMatchObject({
      kind: "bad-handle",
    });
    expect(sysObjectSignal(table, h, 0, 0x100)).toEqual({
      kind: "invalid-signals",
      requested: 0x100,
      allowed: USER_SIGNALS_MASK,
    });
    expect(snapshotSpace(space)).toBe(before);
    expect(host.pendingTimers).toBe(0);
  });
});
