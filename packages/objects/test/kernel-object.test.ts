import { describe, expect, it } from "vitest";
import {
  InvalidArgumentError,
  KernelObject,
  LifeCycleError,
  type ObjectEvent,
  ObjectSpace,
  RefCountError,
  Right,
  Signal,
  SlotHandleTable,
  userSignal,
} from "../src/index.js";

function setup() {
  const events: ObjectEvent[] = [];
  const space = new ObjectSpace({ tracer: { emit: (e) => events.push(e) } });
  const type = space.defineType({ name: "thread", signals: ["terminated"] });
  const table = new SlotHandleTable(space, { capacity: 8 });
  return { space, type, table, events };
}

describe("KernelObject", () => {
  it("hands out koids from 1, increasing, never reused after destruction", () => {
    const { space, type, table } = setup();
    const a = new KernelObject(space, type);
    const h = table.create(a, Right.READ);
    if (h.kind === "ok") table.close(h.handle);
    expect(a.state).toBe("destroyed");
    const b = new KernelObject(space, type);
    expect([a.koid, b.koid]).toEqual([1, 2]);
    expect(space.objectByKoid(1)).toBeUndefined();
    expect(space.objectByKoid(2)).toBe(b);
  });

  it("asserts NO_HANDLES exactly while it has no handles, and tells onNoHandles on each 1 → 0", () => {
    const { space, type, table } = setup();
    let told = 0;
    const o = new KernelObject(space, type, { hooks: { onNoHandles: () => void told++ } });
    o.retain(); // keep it alive across handle closes
    expect(o.signals & Signal.NO_HANDLES).toBe(Signal.NO_HANDLES);
    const h1 = table.create(o, Right.READ);
    const h2 = table.create(o, Right.READ);
    expect(o.signals & Signal.NO_HANDLES).toBe(0);
    if (h1.kind !== "ok" || h2.kind !== "ok") throw new Error("setup");
    table.close(h1.handle);
    expect(told).toBe(0);
    table.close(h2.handle);
    expect(told).toBe(1);
    expect(o.signals & Signal.NO_HANDLES).toBe(Signal.NO_HANDLES);
    expect(o.state).toBe("alive");
    o.release();
    expect(o.state).toBe("destroyed");
  });

  it("is destroyed exactly once, only after its last handle and its last reference are gone", () => {
    const { space, type, table, events } = setup();
    let destroyed = 0;
    const o = new KernelObject(space, type, { hooks: { onDestroy: () => void destroyed++ } });
    o.retain();
    const h = table.create(o, Right.READ);
    if (h.kind !== "ok") throw new Error("setup");
    o.release();
    expect(destroyed).toBe(0);
    table.close(h.handle);
    expect(destroyed).toBe(1);
    expect(() => o.retain()).toThrow(LifeCycleError);
    expect(() => o.release()).toThrow(RefCountError);
    expect(destroyed).toBe(1);
    expect(events.map((e) => e.type)).toEqual([
      "object.created",
      "signals.changed",
      "handle.created",
      "handle.closed",
      "signals.changed",
      "object.no-handles",
      "object.dead",
      "object.destroyed",
    ]);
  });

  it("kill: alive → dead keeps handles working; a second kill is refused", () => {
    const { space, type, table } = setup();
    const o = new KernelObject(space, type);
    const h = table.create(o, Right.READ);
    o.kill();
    expect(o.state).toBe("dead");
    if (h.kind === "ok") expect(table.lookup(h.handle, type, Right.READ).kind).toBe("ok");
    expect(() => o.kill()).toThrow("thread#1.kill: cannot kill an object that is dead");
  });

  it("subclass hooks: onDead may assert a final signal", () => {
    const { space, type } = setup();
    class Thread extends KernelObject {
      protected override onDead(): void {
        this.assertSignals(type.signal("terminated"));
      }
    }
    const t = new Thread(space, type);
    t.retain();
    t.kill();
    expect(t.signals & type.signal("terminated")).toBe(0x100);
  });

  it("refuses signals outside the type, and NO_HANDLES, leaving the set unchanged", () => {
    const { space, type } = setup();
    const o = new KernelObject(space, type, { signals: userSignal(2) });
    const before = o.signals;
    expect(() => o.assertSignals(1 << 12)).toThrow(InvalidArgumentError);
    expect(() => o.clearSignals(Signal.NO_HANDLES)).toThrow(/not signals this object may change/);
    expect(() => o.assertSignals(-1)).toThrow(/not a bit set/);
    expect(o.signals).toBe(before);
    expect(() => new KernelObject(space, type, { signals: Signal.NO_HANDLES })).toThrow(InvalidArgumentError);
    expect(() => new KernelObject(new ObjectSpace(), type)).toThrow(/not defined in this space/);
  });

  it("a handle to a destroyed object cannot be created", () => {
    const { space, type, table } = setup();
    const o = new KernelObject(space, type);
    o.retain();
    o.release();
    expect(o.state).toBe("destroyed");
    expect(() => table.create(o, Right.READ)).toThrow(LifeCycleError);
    expect(table.size).toBe(0);
    space.checkInvariants();
  });
});
