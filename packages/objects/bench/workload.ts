/**
 * The handle-lookup workload shared by the vitest bench and the throughput script: one process
 * table with 256 open handles to objects of two types, and a pseudo-random sequence of lookups
 * (xorshift32, seed fixed) where 90 % ask for rights the handle holds, 5 % for a missing right,
 * and 5 % use a stale handle value — roughly the mix of a system-call path.
 */
import {
  type HandleTable,
  KernelObject,
  MapHandleTable,
  ObjectSpace,
  Right,
  SlotHandleTable,
} from "../src/index.js";

export function buildWorkload(ops: number, kind: "slot" | "map" = "slot") {
  const space = new ObjectSpace();
  const channel = space.defineType({ name: "channel", rights: ["send", "receive"] });
  const vmo = space.defineType({ name: "vmo" });
  const table: HandleTable =
    kind === "slot"
      ? new SlotHandleTable(space, { capacity: 1024 })
      : new MapHandleTable(space, { capacity: 1024 });
  const handles: number[] = [];
  const stale: number[] = [];
  for (let i = 0; i < 300; i++) {
    const type = i % 2 === 0 ? channel : vmo;
    const r = table.create(
      new KernelObject(space, type),
      Right.READ | Right.WRITE | Right.WAIT | Right.DUPLICATE,
    );
    if (r.kind !== "ok") throw new Error("setup: table full");
    if (i < 256) handles.push(r.handle);
    else {
      stale.push(r.handle);
      table.close(r.handle);
    }
  }
  const queryHandle = new Int32Array(ops);
  const queryRights = new Int32Array(ops);
  let x = 0x9e3779b9 | 0;
  for (let i = 0; i < ops; i++) {
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    const u = (x >>> 0) % 100;
    const h = handles[(x >>> 8) & 255]!;
    if (u < 90) {
      queryHandle[i] = h;
      queryRights[i] = Right.READ | Right.WAIT;
    } else if (u < 95) {
      queryHandle[i] = h;
      queryRights[i] = Right.EXECUTE;
    } else {
      queryHandle[i] = stale[(x >>> 8) % stale.length]!;
      queryRights[i] = Right.READ;
    }
  }
  return { space, table, channel, vmo, queryHandle, queryRights };
}
