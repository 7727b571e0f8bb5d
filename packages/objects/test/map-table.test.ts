import { describe, expect, it } from "vitest";
import {
  InvalidArgumentError,
  KernelObject,
  MapHandleTable,
  ObjectSpace,
  Right,
  SlotHandleTable,
} from "../src/index.js";

describe("MapHandleTable", () => {
  const setup = () => {
    const space = new ObjectSpace();
    const port = space.defineType({ name: "port" });
    const table = new MapHandleTable(space, { capacity: 3 });
    return { space, port, table, obj: () => new KernelObject(space, port) };
  };

  it("issues 1, 2, 3, ... and never reuses a value", () => {
    const { table, obj } = setup();
    const a = table.create(obj(), Right.READ);
    const b = table.create(obj(), Right.READ);
    expect([a, b].map((r) => (r.kind === "ok" ? r.handle : 0))).toEqual([1, 2]);
    table.close(1);
    expect(table.create(obj(), Right.READ)).toEqual({ kind: "ok", handle: 3 });
    expect(table.lookup(1, null, 0)).toEqual({ kind: "bad-handle", handle: 1, reason: "stale" });
    expect(table.lookup(9, null, 0)).toMatchObject({ reason: "not-open" });
    expect(table.lookup(0.5, null, 0)).toMatchObject({ reason: "malformed" });
  });

  it("moves and shares with a slot table of the same machine, both ways", () => {
    const { space, table, obj } = setup();
    const slots = new SlotHandleTable(space, { capacity: 4 });
    const o = obj();
    const h = slots.create(o, Right.TRANSFER | Right.DUPLICATE | Right.READ);
    if (h.kind !== "ok") throw new Error("setup");
    const shared = slots.share(h.handle, table, Right.TRANSFER | Right.READ);
    if (shared.kind !== "ok") throw new Error(shared.kind);
    const back = table.moveTo(shared.handle, slots);
    if (back.kind !== "ok") throw new Error(back.kind);
    expect(o.handleCount).toBe(2);
    expect(slots.revoke(h.handle)).toEqual({ kind: "ok", revoked: 1 });
    expect(slots.lookup(back.handle, null, 0).kind).toBe("bad-handle");
    space.checkInvariants();
  });

  it("refuses a non-positive capacity", () => {
    expect(() => new MapHandleTable(new ObjectSpace(), { capacity: 0 })).toThrow(InvalidArgumentError);
  });
});
