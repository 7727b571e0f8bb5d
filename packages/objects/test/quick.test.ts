import { describe, expect, it } from "vitest";
import {
  KernelObject,
  ObjectSpace,
  objectWait,
  Right,
  Signal,
  SimulatedWaitHost,
  SlotHandleTable,
  userSignal,
} from "../src/index.js";

describe("smoke", () => {
  it("creates, looks up, waits and destroys", () => {
    const space = new ObjectSpace();
    const event = space.defineType({ name: "event" });
    const table = new SlotHandleTable(space, { capacity: 8 });
    const ev = new KernelObject(space, event);
    const r = table.create(ev, Right.WAIT | Right.DUPLICATE);
    expect(r.kind).toBe("ok");
    if (r.kind !== "ok") return;
    expect(table.lookup(r.handle, event, Right.WAIT)).toEqual({
      kind: "ok",
      object: ev,
      rights: Right.WAIT | Right.DUPLICATE,
    });
    const host = new SimulatedWaitHost();
    const w = objectWait(host, 1, ev, userSignal(0), 100);
    expect(w.kind).toBe("blocked");
    ev.assertSignals(userSignal(0));
    expect(host.wakesOf(1)).toEqual([{ kind: "satisfied", index: 0, observed: [userSignal(0)] }]);
    space.checkInvariants();
    table.close(r.handle);
    expect(ev.state).toBe("destroyed");
    expect(ev.signals & Signal.NO_HANDLES).toBe(Signal.NO_HANDLES);
    space.checkInvariants();
  });
});
