/**
 * The laws every handle table must keep, as a suite any implementation can run with one call.
 *
 * | law | what it rules out |
 * |-----|-------------------|
 * | model | any divergence from the naive model over random operation sequences (`handle-model.ts`) |
 * | fresh handles resolve | a create whose handle does not resolve to its object with exactly its rights |
 * | closed never resolves | a stale value naming the slot's next occupant (missing generations), or not reported `stale` |
 * | no amplification | duplicate/replace/move/share/split granting a right that was not held |
 * | full table | a move into a full table that loses or duplicates the handle |
 * | revoke | a derived handle, in any table, that still resolves after its ancestor was revoked |
 * | dispose | a process exit that leaves handles counted on their objects (a leak), or closes another table's |
 * | refusals change nothing | a refused call with a side effect (snapshot before = after), or an operation that acts on a stale value's reused slot |
 *
 * Related: `laws/handle-model.ts`, `handles/api.ts`.
 */
import fc from "fast-check";
import { ALL_BITS } from "../api.js";
import type { HandleTable } from "../handles/api.js";
import { KernelObject } from "../object/kernel-object.js";
import { ObjectSpace } from "../object/space.js";
import { Right } from "../rights/rights.js";
import { type HandleTableFactory, type Law, type LawOptions, runLaws } from "./api.js";
import { handleCommands, rightsArb } from "./handle-commands.js";
import { HandleWorld } from "./handle-model.js";

function params(opts: LawOptions, numRuns: number): fc.Parameters<unknown> {
  return { numRuns: opts.numRuns ?? numRuns, ...(opts.seed === undefined ? {} : { seed: opts.seed }) };
}

/** A printable snapshot of every table and object of a space: equal before and after a refused call. */
export function snapshotSpace(space: ObjectSpace): string {
  const tables = space.tables().map((t) => ({
    id: t.id,
    size: t.size,
    handles: t.list().map((i) => [i.handle, i.koid, i.rights]),
  }));
  const objects = space.liveObjects().map((o) => [o.koid, o.state, o.handleCount, o.refCount, o.signals]);
  return JSON.stringify({ tables, objects, nodes: space.derivations.size });
}

function fixture(factory: HandleTableFactory, capacities: number[]) {
  const space = new ObjectSpace();
  const port = space.defineType({ name: "port", rights: ["send", "receive"] });
  const other = space.defineType({ name: "other" });
  const tables = capacities.map((c) => factory(space, c));
  const obj = (type = port): KernelObject => new KernelObject(space, type);
  return { space, port, other, tables, obj };
}

function ok<T extends { kind: string }>(r: T, what: string): Extract<T, { kind: "ok" }> {
  if (r.kind !== "ok") throw new Error(`${what}: expected ok, got ${JSON.stringify(r)}`);
  return r as Extract<T, { kind: "ok" }>;
}

/**
 * The handle-table laws (see the file banner) for tables built by `factory`.
 * @example
 * ```ts
 * for (const law of handleTableLaws((space, capacity) => new SlotHandleTable(space, { capacity })))
 *   it(law.name, () => law.check());
 * ```
 */
export function handleTableLaws(factory: HandleTableFactory, opts: LawOptions = {}): Law[] {
  return [
    {
      name: "model: random operation sequences match the naive model (rights, copies, closes, destruction)",
      check: () =>
        fc.assert(
          fc.property(handleCommands(), fc.constantFrom([3, 3, 2], [4, 5, 1], [2, 6, 3]), (cmds, caps) => {
            fc.modelRun(() => {
              const world = new HandleWorld(factory, caps);
              return { model: world, real: world };
            }, cmds);
          }),
          params(opts, 100),
        ),
    },
    {
      name: "a created handle resolves to its object with exactly the rights given",
      check: () =>
        fc.assert(
          fc.property(
            fc.nat().map((x) => x & 0x3_07ff),
            fc.nat().map((x) => x & 0x3_07ff),
            (rights, required) => {
              const f = fixture(factory, [8]);
              const o = f.obj();
              const h = ok(f.tables[0]!.create(o, rights), "create").handle;
              const r = f.tables[0]!.lookup(h, f.port, required);
              const granted = (rights & required) === required;
              if (granted !== (r.kind === "ok"))
                throw new Error(`lookup: ${r.kind} with held 0x${rights.toString(16)}`);
              if (r.kind === "ok" && (r.object !== o || r.rights !== rights))
                throw new Error("lookup: wrong object or rights");
              if (f.tables[0]!.lookup(h, f.other, 0).kind !== "wrong-type")
                throw new Error("lookup: type not checked");
            },
          ),
          params(opts, 100),
        ),
    },
    {
      name: "a closed handle never resolves again, however often its slot is reused",
      check: () =>
        fc.assert(
          fc.property(fc.integer({ min: 1, max: 4 }), fc.integer({ min: 1, max: 40 }), (capacity, rounds) => {
            const f = fixture(factory, [capacity]);
            const t = f.tables[0]!;
            const closed: number[] = [];
            for (let i = 0; i < rounds; i++) {
              const h = ok(t.create(f.obj(), Right.READ), "create").handle;
              ok(t.close(h), "close");
              closed.push(h);
              const keep = ok(t.create(f.obj(), Right.READ), "create").handle; // likely lands in the same slot
              for (const c of closed) {
                const r = t.lookup(c, null, 0);
                if (c === keep || r.kind !== "bad-handle") {
                  throw new Error(`closed handle 0x${c.toString(16)} resolves again`);
                }
                // handles/api.ts: a value this table issued and closed since is "stale".
                if (r.reason !== "stale")
                  throw new Error(`closed handle 0x${c.toString(16)}: reason ${r.reason}, expected stale`);
              }
              ok(t.close(keep), "close");
              closed.push(keep);
            }
          }),
          params(opts, 50),
        ),
    },
    {
      name: "no operation amplifies rights: a mask beyond the held rights is access-denied and changes nothing",
      check: () =>
        fc.assert(
          fc.property(rightsArb(), rightsArb(), fc.nat(4), (held0, extra, op) => {
            const f = fixture(factory, [4, 4]);
            const held = held0 | Right.DUPLICATE | Right.TRANSFER;
            const [a, b] = f.tables as [HandleTable, HandleTable];
            const h = ok(a.create(f.obj(), held & f.port.validRights), "create").handle;
            const mask = (extra | held) & f.port.validRights;
            fc.pre((mask & ~(held & f.port.validRights)) !== 0);
            const before = snapshotSpace(f.space);
            const r = [
              () => a.duplicate(h, mask),
              () => a.replace(h, mask),
              () => a.moveTo(h, b, mask),
              () => a.share(h, b, mask),
              () => a.split(h, mask),
            ][op]!();
            if (r.kind !== "access-denied") throw new Error(`op ${op}: amplification gave ${r.kind}`);
            if (snapshotSpace(f.space) !== before) throw new Error(`op ${op}: a refused call changed state`);
          }),
          params(opts, 100),
        ),
    },
    {
      name: "moving into a full table is table-full and leaves both tables as they were",
      check: () =>
        fc.assert(
          fc.property(fc.integer({ min: 1, max: 5 }), (capacity) => {
            const f = fixture(factory, [2, capacity]);
            const [a, b] = f.tables as [HandleTable, HandleTable];
            for (let i = 0; i < capacity; i++) ok(b.create(f.obj(), Right.READ), "fill");
            const h = ok(a.create(f.obj(), Right.TRANSFER | Right.READ), "create").handle;
            const before = snapshotSpace(f.space);
            const r = a.moveTo(h, b);
            if (r.kind !== "table-full") throw new Error(`moveTo into a full table: ${r.kind}`);
            if (snapshotSpace(f.space) !== before) throw new Error("moveTo into a full table changed state");
            ok(b.close(b.list()[0]!.handle), "close");
            const moved = ok(a.moveTo(h, b), "moveTo").handle;
            if (a.lookup(h, null, 0).kind !== "bad-handle")
              throw new Error("moveTo left a copy in the source");
            if (b.lookup(moved, f.port, Right.READ).kind !== "ok") throw new Error("moveTo lost the handle");
          }),
          params(opts, 50),
        ),
    },
    {
      name: "after revoke, no handle derived from the revoked one resolves in any table; the others do",
      check: () =>
        fc.assert(
          fc.property(
            fc.array(fc.tuple(fc.nat(), fc.nat(2), fc.boolean()), { minLength: 1, maxLength: 25 }),
            fc.nat(),
            (steps, victimPick) => {
              const f = fixture(factory, [32, 32, 32]);
              const all = Right.DUPLICATE | Right.TRANSFER | Right.READ;
              const made: { table: HandleTable; handle: number; parent: number }[] = [];
              const root = ok(f.tables[0]!.create(f.obj(), all), "create").handle;
              made.push({ table: f.tables[0]!, handle: root, parent: -1 });
              for (const [pick, to, sameTable] of steps) {
                const from = pick % made.length;
                const src = made[from]!;
                const dest = f.tables[to]!;
                const r =
                  sameTable || dest === src.table
                    ? src.table.duplicate(src.handle, all)
                    : src.table.share(src.handle, dest, all);
                const h = ok(r, "derive").handle;
                made.push({
                  table: sameTable || dest === src.table ? src.table : dest,
                  handle: h,
                  parent: from,
                });
              }
              const victim = victimPick % made.length;
              const below = new Set<number>();
              made.forEach((m, i) => {
                for (let p = m.parent; p >= 0; p = made[p]!.parent) if (p === victim) below.add(i);
              });
              const r = ok(made[victim]!.table.revoke(made[victim]!.handle), "revoke");
              if (r.revoked !== below.size)
                throw new Error(`revoke closed ${r.revoked}, ${below.size} were derived`);
              made.forEach((m, i) => {
                const resolves = m.table.lookup(m.handle, null, 0).kind === "ok";
                if (resolves === below.has(i)) {
                  throw new Error(
                    `handle #${i} ${below.has(i) ? "derived from the revoked one still resolves" : "was closed"}`,
                  );
                }
              });
              f.space.checkInvariants();
            },
          ),
          params(opts, 100),
        ),
    },
    {
      name: "dispose closes every handle of the table: an object left with no handle is destroyed, other tables keep theirs",
      check: () =>
        fc.assert(
          fc.property(
            fc.array(fc.tuple(fc.nat(), fc.nat(2)), { minLength: 1, maxLength: 12 }),
            fc.integer({ min: 1, max: 4 }),
            (steps, nObjects) => {
              const f = fixture(factory, [16, 16]);
              const [a, b] = f.tables as [HandleTable, HandleTable];
              const all = Right.DUPLICATE | Right.TRANSFER | Right.READ;
              const objects = Array.from({ length: nObjects }, () => f.obj());
              const made: { table: HandleTable; handle: number }[] = [];
              for (const [pick, kind] of steps) {
                if (kind < 2 || made.length === 0) {
                  const table = kind === 1 ? b : a;
                  made.push({
                    table,
                    handle: ok(table.create(objects[pick % nObjects]!, all), "create").handle,
                  });
                } else {
                  const src = made[pick % made.length]!; // a handle shared into the other table
                  const dest = src.table === a ? b : a;
                  made.push({
                    table: dest,
                    handle: ok(src.table.share(src.handle, dest, all), "share").handle,
                  });
                }
              }
              const hadHandle = new Set(a.list().map((i) => i.object));
              const keptInB = new Map<KernelObject, number>();
              for (const i of b.list()) keptInB.set(i.object, (keptInB.get(i.object) ?? 0) + 1);
              a.dispose();
              if (a.size !== 0) throw new Error(`dispose left ${a.size} handles in the table`);
              if (f.space.tables().includes(a))
                throw new Error("dispose left the table registered with its machine");
              for (const o of objects) {
                const kept = keptInB.get(o) ?? 0;
                if (hadHandle.has(o) && kept === 0 && o.state !== "destroyed")
                  throw new Error(
                    `${o}: its last handle was disposed, but it is ${o.state} with ${o.handleCount} handles`,
                  );
                if (kept > 0 && (o.state !== "alive" || o.handleCount !== kept))
                  throw new Error(
                    `${o}: ${kept} handles in the other table, but it counts ${o.handleCount} (${o.state})`,
                  );
              }
              for (const m of made)
                if (m.table === b && b.lookup(m.handle, null, 0).kind !== "ok")
                  throw new Error(`handle 0x${m.handle.toString(16)} of the other table no longer resolves`);
              f.space.checkInvariants();
            },
          ),
          params(opts, 100),
        ),
    },
    {
      name: "refused calls (bad, stale, forged handles, invalid rights, wrong type) change nothing",
      check: () =>
        fc.assert(
          fc.property(
            fc.integer({ min: -10, max: ALL_BITS }),
            fc.boolean(),
            rightsArb(),
            fc.nat(9),
            (forged, useStale, mask, op) => {
              const f = fixture(factory, [4, 4]);
              const [a, b] = f.tables as [HandleTable, HandleTable];
              const all = Right.DUPLICATE | Right.TRANSFER | Right.READ;
              const h = ok(a.create(f.obj(), all), "create").handle;
              const stale = ok(a.create(f.obj(), Right.READ), "create").handle;
              ok(a.close(stale), "close");
              // Most tables put the next handle in the slot just freed: the stale value's old
              // slot then holds a live handle that a generation-blind operation would act on.
              const fresh = ok(a.create(f.obj(), all), "create").handle;
              fc.pre(forged !== h && forged !== fresh);
              const value = useStale ? stale : forged;
              const what = useStale ? "a stale handle" : "a forged handle";
              const before = snapshotSpace(f.space);
              const calls: (() => { kind: string })[] = [
                () => a.lookup(value, null, 0),
                () => a.duplicate(value, mask),
                () => a.close(value),
                () => a.moveTo(value, b),
                () => a.revoke(value),
                () => a.replace(value, mask),
                () => a.share(value, b, mask),
                () => a.split(value, mask),
                () => a.duplicate(h, mask | 0x4000_0000), // a right the type does not define
                () => a.lookup(h, f.other, 0),
              ];
              const r = calls[op]!();
              const expected = op === 8 ? "invalid-rights" : op === 9 ? "wrong-type" : "bad-handle";
              const on = op >= 8 ? "a good handle" : what;
              if (r.kind !== expected)
                throw new Error(`call ${op} on ${on}: got ${r.kind}, expected ${expected}`);
              if (snapshotSpace(f.space) !== before)
                throw new Error(`call ${op} on ${on}: a refused call changed state`);
            },
          ),
          params(opts, 100),
        ),
    },
  ];
}

/**
 * Run every handle-table law; throws on the first violation.
 * @throws Error `law "<name>" violated:` followed by fast-check's report; the law's own error
 * (the check that broke) is its `cause`.
 */
export function runHandleTableLaws(factory: HandleTableFactory, opts: LawOptions = {}): void {
  runLaws(handleTableLaws(factory, opts));
}
