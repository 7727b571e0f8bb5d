import { describe, expect, it } from "vitest";
import {
  InvalidArgumentError,
  KernelObject,
  LifeCycleError,
  MapHandleTable,
  ObjectSpace,
  Right,
  SlotHandleTable,
  UnknownRightError,
} from "../src/index.js";
import { snapshotSpace } from "../src/laws/index.js";

function setup(capacity = 1024) {
  const space = new ObjectSpace();
  const port = space.defineType({ name: "port", rights: ["send"] });
  const vmo = space.defineType({ name: "vmo" });
  const table = new SlotHandleTable(space, { capacity });
  const other = new SlotHandleTable(space, { capacity: 2 });
  const obj = (t = port) => new KernelObject(space, t);
  const create = (o: KernelObject, rights: number, t = table) => {
    const r = t.create(o, rights);
    if (r.kind !== "ok") throw new Error(`create: ${r.kind}`);
    return r.handle;
  };
  return { space, port, vmo, table, other, obj, create };
}

describe("handle values: generation in the high bits", () => {
  it("capacity 1024 → 10 index bits; the first handle is generation 1, slot 0 = 1024", () => {
    const { table, obj, create } = setup();
    expect(table.indexBits).toBe(10);
    expect(create(obj(), Right.READ)).toBe((1 << 10) | 0);
    expect(create(obj(), Right.READ)).toBe((1 << 10) | 1);
  });

  it("a closed slot is reused at the next generation, and the old value is stale", () => {
    const { table, obj, create } = setup();
    const a = create(obj(), Right.READ); // slot 0, gen 1 = 0x400
    table.close(a);
    const b = create(obj(), Right.READ); // slot 0 again (LIFO free list), gen 2 = 0x800
    expect(b).toBe(0x800);
    expect(table.lookup(a, null, 0)).toEqual({ kind: "bad-handle", handle: a, reason: "stale" });
  });

  it("the README's worked example: slot 5 at generation 3 is 3077, its successor 4101", () => {
    const { table, obj, create } = setup();
    for (let i = 0; i < 5; i++) create(obj(), Right.READ); // slots 0..4
    let h = create(obj(), Right.READ); // slot 5, generation 1 = 1029
    for (const expected of [2053, 3077]) {
      table.close(h);
      h = create(obj(), Right.READ);
      expect(h).toBe(expected);
    }
    table.close(3077);
    expect(create(obj(), Right.READ)).toBe(4101);
    expect(table.lookup(3077, null, 0)).toEqual({ kind: "bad-handle", handle: 3077, reason: "stale" });
  });

  it("reports malformed and never-opened values", () => {
    const { table, obj, create } = setup(4);
    create(obj(), Right.READ);
    for (const v of [0, -1, 3, 1.5, Number.NaN, 2 ** 31, 2 ** 40])
      expect(table.lookup(v, null, 0)).toMatchObject({ kind: "bad-handle", reason: "malformed" });
    expect(table.lookup((7 << 2) | 1, null, 0)).toMatchObject({ kind: "bad-handle", reason: "not-open" });
  });

  it("retires a slot whose generations are exhausted instead of reusing a value", () => {
    const { table: _t, space, port } = setup();
    const big = new SlotHandleTable(space, { capacity: 1 << 16 }); // 16 index bits → 15 generation bits
    const seen = new Set<number>();
    const o = new KernelObject(space, port);
    o.retain();
    let h = 0;
    for (let i = 0; i < 32767; i++) {
      const r = big.create(o, Right.READ);
      if (r.kind !== "ok") throw new Error("create");
      h = r.handle;
      expect(h & 0xffff).toBe(0);
      seen.add(h);
      big.close(h);
    }
    expect(seen.size).toBe(32767);
    expect(big.retiredSlots).toBe(1);
    const next = big.create(o, Right.READ);
    expect(next.kind === "ok" && (next.handle & 0xffff) === 1).toBe(true);
    big.checkInvariants();
  });
});

describe("lookup checks handle, type and rights in one call", () => {
  it("returns typed results with evidence", () => {
    const { table, port, vmo, obj, create } = setup();
    const o = obj();
    const h = create(o, Right.READ | port.right("send"));
    expect(table.lookup(h, port, Right.READ)).toEqual({
      kind: "ok",
      object: o,
      rights: Right.READ | 0x1_0000,
    });
    expect(table.lookup(h, vmo, Right.READ)).toEqual({
      kind: "wrong-type",
      handle: h,
      expected: "vmo",
      actual: "port",
    });
    expect(table.lookup(h, port, Right.READ | Right.WRITE)).toEqual({
      kind: "access-denied",
      handle: h,
      held: Right.READ | 0x1_0000,
      required: Right.READ | Right.WRITE,
      missing: Right.WRITE,
    });
  });
});

describe("operations and their refusals", () => {
  it("create refuses undefined rights by throwing, and changes nothing", () => {
    const { space, table, obj } = setup();
    const o = obj();
    const before = snapshotSpace(space);
    expect(() => table.create(o, 1 << 20)).toThrow(UnknownRightError);
    expect(() => table.create(o, -1)).toThrow(InvalidArgumentError);
    expect(snapshotSpace(space)).toBe(before);
  });

  it("create refuses an object of another machine, for both tables", () => {
    const { table } = setup();
    const elsewhere = new ObjectSpace();
    const o = new KernelObject(elsewhere, elsewhere.defineType({ name: "port" }));
    expect(() => table.create(o, 0)).toThrow(/another machine/);
    expect(() => new MapHandleTable(table.space).create(o, 0)).toThrow(/another machine/);
    expect(o.handleCount).toBe(0);
  });

  it("create refusals name the call, the object and the rule; bad rights are reported before disposal", () => {
    const { table, obj } = setup();
    const o = obj();
    expect(() => table.create(o, 1 << 20)).toThrow(
      new RegExp(
        `^table ${table.id}: create\\(${String(o)}, rights=0x100000\\): bits 0x100000 are not rights`,
      ),
    );
    table.dispose();
    expect(() => table.create(o, 1 << 20)).toThrow(UnknownRightError);
    expect(() => table.create(o, 0)).toThrow(
      `table ${table.id}: create(${String(o)}, rights=0x0): the table is disposed`,
    );
    expect(o.handleCount).toBe(0);
  });

  it("create into a full table is table-full", () => {
    const { other, obj, create } = setup();
    create(obj(), 0, other);
    create(obj(), 0, other);
    expect(other.create(obj(), 0)).toEqual({ kind: "table-full", table: other.id, capacity: 2 });
  });

  it("duplicate needs DUPLICATE and a mask within the held rights", () => {
    const { table, obj, create } = setup();
    const h = create(obj(), Right.READ | Right.WRITE);
    expect(table.duplicate(h, Right.READ).kind).toBe("access-denied");
    const d = create(obj(), Right.DUPLICATE | Right.READ);
    expect(table.duplicate(d, Right.READ | Right.WRITE)).toMatchObject({
      kind: "access-denied",
      missing: Right.WRITE,
    });
    expect(table.duplicate(d, 1 << 30)).toMatchObject({ kind: "invalid-rights", requested: 1 << 30 });
    const r = table.duplicate(d, Right.READ);
    expect(r.kind).toBe("ok");
    if (r.kind === "ok") expect(table.lookup(r.handle, null, 0)).toMatchObject({ rights: Right.READ });
  });

  it("replace gives a new value with fewer rights and makes the old one stale", () => {
    const { table, obj, create } = setup();
    const h = create(obj(), Right.READ | Right.WRITE);
    const r = table.replace(h, Right.READ);
    if (r.kind !== "ok") throw new Error(r.kind);
    expect(r.handle).not.toBe(h);
    expect(table.lookup(h, null, 0)).toMatchObject({ reason: "stale" });
    expect(table.lookup(r.handle, null, 0)).toMatchObject({ kind: "ok", rights: Right.READ });
    expect(table.size).toBe(1);
  });

  it("moveTo needs TRANSFER, moves atomically, and refuses its own table or a foreign machine", () => {
    const { space, table, other, obj, create, port } = setup();
    const o = obj();
    const h = create(o, Right.TRANSFER | Right.READ);
    const foreign = new SlotHandleTable(new ObjectSpace());
    expect(() => table.moveTo(h, table)).toThrow(/destination is this table/);
    expect(() => table.moveTo(h, foreign)).toThrow(/another machine/);
    const r = table.moveTo(h, other, Right.READ);
    if (r.kind !== "ok") throw new Error(r.kind);
    expect(table.lookup(h, null, 0).kind).toBe("bad-handle");
    expect(other.lookup(r.handle, port, Right.READ)).toMatchObject({ kind: "ok", object: o });
    expect(o.handleCount).toBe(1);
    space.checkInvariants();
  });

  it("split keeps the handle value with the rest of the rights; the piece is a sibling", () => {
    const { space, table, obj, create } = setup();
    const h = create(obj(), Right.DUPLICATE | Right.READ | Right.WRITE);
    expect(table.split(h, 0).kind).toBe("invalid-rights");
    expect(table.split(h, Right.DUPLICATE | Right.READ | Right.WRITE).kind).toBe("invalid-rights");
    const r = table.split(h, Right.WRITE);
    if (r.kind !== "ok") throw new Error(r.kind);
    expect(r.kept).toBe(h);
    expect(table.lookup(h, null, 0)).toMatchObject({ rights: Right.DUPLICATE | Right.READ });
    expect(table.lookup(r.split, null, 0)).toMatchObject({ rights: Right.WRITE });
    expect(table.revoke(h)).toEqual({ kind: "ok", revoked: 0 }); // a sibling is not derived from h
    space.checkInvariants();
  });

  it("revoke closes derived handles in every table; closing a middle handle keeps its children revocable", () => {
    const { space, table, other, obj, create } = setup();
    const all = Right.DUPLICATE | Right.TRANSFER | Right.READ;
    const a = create(obj(), all);
    const b = table.duplicate(a, all);
    if (b.kind !== "ok") throw new Error("dup");
    const c = table.share(b.handle, other, Right.READ);
    if (c.kind !== "ok") throw new Error("share");
    table.close(b.handle);
    expect(other.lookup(c.handle, null, 0).kind).toBe("ok");
    expect(table.revoke(a)).toEqual({ kind: "ok", revoked: 1 });
    expect(other.lookup(c.handle, null, 0).kind).toBe("bad-handle");
    expect(table.lookup(a, null, 0).kind).toBe("ok");
    space.checkInvariants();
  });

  it("dispose closes every handle, destroying objects it held the last handle to", () => {
    const { space, table, other, obj, create } = setup();
    const o1 = obj();
    const o2 = obj();
    create(o1, Right.READ);
    create(o2, Right.READ);
    create(o2, Right.READ, other);
    table.dispose();
    expect(o1.state).toBe("destroyed");
    expect(o2.state).toBe("alive");
    expect(space.tables()).toEqual([other]);
    expect(() => table.create(obj(), 0)).toThrow(LifeCycleError);
    space.checkInvariants();
  });

  it("list reports open handles in slot order", () => {
    const { table, obj, create } = setup();
    const o = obj();
    const h1 = create(o, Right.READ);
    const h2 = create(o, Right.WRITE);
    expect(table.list().map((i) => [i.handle, i.koid, i.type, i.rights])).toEqual([
      [h1, o.koid, "port", Right.READ],
      [h2, o.koid, "port", Right.WRITE],
    ]);
  });

  it("refuses capacities outside 1..65536", () => {
    const space = new ObjectSpace();
    for (const capacity of [0, 65537, 1.5])
      expect(() => new SlotHandleTable(space, { capacity })).toThrow(InvalidArgumentError);
  });
});

describe("revoke and object hooks", () => {
  it("revoke never drops an object to zero handles: every victim names the revoked handle's object", () => {
    const space = new ObjectSpace();
    const event = space.defineType({ name: "event" });
    let noHandles = 0;
    const o = new KernelObject(space, event, { hooks: { onNoHandles: () => void noHandles++ } });
    const a = new SlotHandleTable(space, { capacity: 8 });
    const b = new SlotHandleTable(space, { capacity: 8 });
    const all = Right.DUPLICATE | Right.TRANSFER | Right.READ;
    const root = a.create(o, all);
    if (root.kind !== "ok") throw new Error("setup");
    let h: number = root.handle;
    for (let i = 0; i < 5; i++) {
      const r = i % 2 === 0 ? a.share(h, b, all) : b.share(h, a, all);
      if (r.kind !== "ok") throw new Error(r.kind);
      h = r.handle;
    }
    expect(o.handleCount).toBe(6);
    expect(a.revoke(root.handle)).toEqual({ kind: "ok", revoked: 5 });
    expect(o.handleCount).toBe(1);
    expect(noHandles).toBe(0);
    space.checkInvariants();
  });
});

describe("slot arrays grow on demand", () => {
  it("a 65536-slot table starts small, grows by doubling, and keeps every handle valid", () => {
    const space = new ObjectSpace();
    const type = space.defineType({ name: "event" });
    const t = new SlotHandleTable(space, { capacity: 1000 });
    const o = new KernelObject(space, type);
    const handles: number[] = [];
    for (let i = 0; i < 1000; i++) {
      const r = t.create(o, Right.READ);
      if (r.kind !== "ok") throw new Error(`create ${i}: ${r.kind}`);
      handles.push(r.handle);
      if (i % 97 === 0) t.checkInvariants();
    }
    expect(t.create(o, Right.READ).kind).toBe("table-full");
    expect(new Set(handles.map((h) => h & 1023)).size).toBe(1000);
    for (const h of handles) expect(t.lookup(h, type, Right.READ).kind).toBe("ok");
    // A value whose index lies beyond the arrays of a young table is not-open, not an error.
    const young = new SlotHandleTable(space, { capacity: 1 << 16 });
    expect(young.lookup((1 << 16) | 5000, null, 0)).toMatchObject({ kind: "bad-handle", reason: "not-open" });
    t.checkInvariants();
    space.checkInvariants();
  });
});

describe("resolve, the allocation-free lookup", () => {
  it("agrees with lookup on every handle value, type and rights", () => {
    const { table, port, vmo, obj, create } = setup(8);
    const live = [create(obj(), Right.READ | Right.WAIT), create(obj(vmo), Right.WRITE)];
    table.close(create(obj(), Right.READ));
    for (const h of [...live, 0, -1, 1.5, 2 ** 31, live[0]! + 8, 12345]) {
      for (const type of [null, port, vmo]) {
        for (const required of [0, Right.READ, Right.WRITE, Right.READ | Right.WAIT]) {
          const r = table.lookup(h, type, required);
          expect(table.resolve(h, type, required)).toBe(r.kind === "ok" ? r.object : null);
        }
      }
    }
  });
});
