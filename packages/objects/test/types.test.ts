// Type-level checks (run by `tsc -p packages/objects`; the runtime part only keeps vitest happy):
// lookup narrows to the class a type was defined with, and results are discriminated unions.
import { describe, expectTypeOf, it } from "vitest";
import {
  type Handle,
  KernelObject,
  type Koid,
  type LookupResult,
  ObjectSpace,
  Right,
  SlotHandleTable,
  type WaitResult,
} from "../src/index.js";

class Channel extends KernelObject {
  readonly bytes: number[] = [];
}

describe("types", () => {
  it("lookup returns the object type's class", () => {
    const space = new ObjectSpace();
    const channel = space.defineType<Channel>({ name: "channel" });
    const table = new SlotHandleTable(space);
    const r = table.lookup(1, channel, Right.READ);
    expectTypeOf(r).toEqualTypeOf<LookupResult<Channel>>();
    if (r.kind === "ok") expectTypeOf(r.object).toEqualTypeOf<Channel>();
    if (r.kind === "access-denied") expectTypeOf(r.missing).toEqualTypeOf<number>();
    const any = table.lookup(1, null, 0);
    if (any.kind === "ok") expectTypeOf(any.object).toEqualTypeOf<KernelObject>();
  });

  it("handles and koids are branded: a koid is not a handle", () => {
    expectTypeOf<Koid>().not.toEqualTypeOf<Handle>();
    expectTypeOf<Handle>().toMatchTypeOf<number>();
    // @ts-expect-error a plain number is not a Handle
    const h: Handle = 5;
    void h;
  });

  it("only satisfied and object-dead results carry an index", () => {
    const r = { kind: "timed-out", observed: [] } as WaitResult;
    if (r.kind === "satisfied" || r.kind === "object-dead") expectTypeOf(r.index).toEqualTypeOf<number>();
    // @ts-expect-error a timed-out result has no index
    if (r.kind === "timed-out") void r.index;
  });
});
