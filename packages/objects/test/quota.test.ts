import { describe, expect, it } from "vitest";
import {
  InvalidArgumentError,
  KernelObject,
  ObjectSpace,
  QuotaError,
  QuotaPool,
  Right,
  SlotHandleTable,
} from "../src/index.js";

describe("QuotaPool", () => {
  it("limits how many objects of a type a holder creates, and refunds on destruction", () => {
    const space = new ObjectSpace();
    const thread = space.defineType({ name: "thread" });
    const table = new SlotHandleTable(space, { capacity: 8 });
    const pool = new QuotaPool("pager", { thread: 2 });
    const make = () => {
      const c = pool.tryCharge("thread");
      if (c.kind !== "ok") return c;
      const o = new KernelObject(space, thread, { charge: c.value });
      const h = table.create(o, Right.READ);
      return h;
    };
    const a = make();
    make();
    expect(make()).toEqual({
      kind: "quota-exceeded",
      pool: "pager",
      type: "thread",
      limit: 2,
      used: 2,
      requested: 1,
    });
    if (a.kind === "ok" && "handle" in a) table.close(a.handle);
    expect(pool.available("thread")).toBe(1);
    expect(make().kind).toBe("ok");
    pool.checkInvariants();
  });

  it("types not listed have limit 0", () => {
    expect(new QuotaPool("p", {}).tryCharge("vmo").kind).toBe("quota-exceeded");
  });

  it("split carves a child pool out of the free quota; the child cannot exceed it", () => {
    const root = new QuotaPool("root", { thread: 10 });
    root.tryCharge("thread");
    const child = root.split("thread", 4);
    if (child.kind !== "ok") throw new Error("split");
    expect(root.available("thread")).toBe(5);
    for (let i = 0; i < 4; i++) expect(child.value.tryCharge("thread").kind).toBe("ok");
    expect(child.value.tryCharge("thread").kind).toBe("quota-exceeded");
    expect(root.split("thread", 6)).toMatchObject({
      kind: "quota-exceeded",
      used: 5,
      limit: 10,
      requested: 6,
    });
    root.checkInvariants();
    expect(() => root.split("thread", 0)).toThrow(InvalidArgumentError);
  });

  it("a charge is bound once, to its own type, and refunded once", () => {
    const space = new ObjectSpace();
    const thread = space.defineType({ name: "thread" });
    const vmo = space.defineType({ name: "vmo" });
    const pool = new QuotaPool("p", { thread: 3 });
    const c = pool.tryCharge("thread");
    if (c.kind !== "ok") throw new Error("charge");
    expect(() => new KernelObject(space, vmo, { charge: c.value })).toThrow(QuotaError);
    new KernelObject(space, thread, { charge: c.value });
    expect(() => new KernelObject(space, thread, { charge: c.value })).toThrow(/already bound/);
    const d = pool.tryCharge("thread");
    if (d.kind !== "ok") throw new Error("charge");
    d.value.refund();
    expect(() => d.value.refund()).toThrow(/refunded twice/);
    expect(pool.used("thread")).toBe(1);
    expect(() => new QuotaPool("bad", { thread: -1 })).toThrow(InvalidArgumentError);
  });
});
