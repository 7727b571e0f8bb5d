import { describe, expect, it } from "vitest";
import {
  InvariantError,
  KernelObject,
  ObjectSpace,
  objectWait,
  Right,
  SimulatedWaitHost,
  SlotHandleTable,
} from "../src/index.js";

// checkInvariants must not be vacuous: each case breaks one invariant from outside and expects the
// checker to name it.
describe("checkInvariants finds broken invariants", () => {
  const setup = () => {
    const space = new ObjectSpace();
    const type = space.defineType({ name: "event" });
    const table = new SlotHandleTable(space, { capacity: 4 });
    const o = new KernelObject(space, type);
    const r = table.create(o, Right.READ);
    if (r.kind !== "ok") throw new Error("setup");
    return { space, type, table, o, h: r.handle };
  };

  it("a handle count that no table backs", () => {
    const { space, o } = setup();
    o.acquireHandle();
    expect(() => space.checkInvariants()).toThrow(InvariantError);
    expect(() => space.checkInvariants()).toThrow(/counts 2 handles, the tables hold 1/);
  });

  it("a satisfied observer left waiting", () => {
    const { o } = setup();
    o.addObserver({ mask: 1, signalled: () => {}, died: () => {} }); // NO_HANDLES (bit 0) is clear now
    o.checkInvariants();
    const bad = new KernelObject(o.space, o.type); // no handles: NO_HANDLES is set
    bad.addObserver({ mask: 1, signalled: () => {}, died: () => {} });
    expect(() => bad.checkInvariants()).toThrow(/satisfied but still waiting/);
  });

  it("a derivation node removed behind the table's back", () => {
    const { space, table } = setup();
    const node = space.derivations.all()[0]!;
    space.derivations.remove(node);
    expect(() => space.checkInvariants()).toThrow(/1 open handles but 0 derivation nodes/);
    void table;
  });
});

describe("SlotHandleTable.replace on a slot at its last generation", () => {
  it("moves the handle to a fresh slot and retires the old one", () => {
    const space = new ObjectSpace();
    const type = space.defineType({ name: "event" });
    const big = new SlotHandleTable(space, { capacity: 1 << 16 }); // 15 generation bits: 1..32767
    const o = new KernelObject(space, type);
    const r = big.create(o, Right.READ);
    if (r.kind !== "ok") throw new Error("setup");
    let h: number = r.handle;
    for (let i = 1; i < 32767; i++) {
      const n = big.replace(h, Right.READ);
      if (n.kind !== "ok") throw new Error(n.kind);
      h = n.handle;
    }
    expect(h).toBe(32767 << 16); // slot 0, generation 32767: the last
    const moved = big.replace(h, Right.READ);
    expect(moved).toEqual({ kind: "ok", handle: (1 << 16) | 1 });
    expect(big.retiredSlots).toBe(1);
    expect(big.lookup(h, null, 0)).toMatchObject({ kind: "bad-handle", reason: "stale" });
    big.checkInvariants();
    space.checkInvariants();
  });

  it("a pending wait survives the waited object's handle being replaced", () => {
    const space = new ObjectSpace();
    const type = space.defineType({ name: "event" });
    const t = new SlotHandleTable(space, { capacity: 4 });
    const o = new KernelObject(space, type);
    const r = t.create(o, Right.WAIT);
    if (r.kind !== "ok") throw new Error("setup");
    const host = new SimulatedWaitHost();
    objectWait(host, 1, o, 1 << 23, null);
    t.replace(r.handle, Right.WAIT);
    o.assertSignals(1 << 23);
    expect(host.wakesOf(1)).toHaveLength(1);
  });
});
