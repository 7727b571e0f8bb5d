/**
 * The commands of the handle-table model (`handle-model.ts`), one class per operation in the
 * style of fast-check's musicPlayer example: each picks its targets by index modulo what exists,
 * so a command stays meaningful while fast-check shrinks the sequence; each computes the result
 * the contract (`handles/api.ts`) demands from the model alone, runs the real call, compares the
 * result kind, updates the model, and has the world compare everything else. Calls that must be
 * refused (a release without retain, a second kill, a second close) run inside the same commands
 * as their `Err` twins.
 *
 * Related: `laws/handle-model.ts`, `laws/handle-table-laws.ts`.
 */
import fc from "fast-check";
import type { Rights } from "../api.js";
import { ALL_BITS } from "../api.js";
import { Right } from "../rights/rights.js";
import type { HandleWorld } from "./handle-model.js";

/** A command of the handle-table model (model and real system are one `HandleWorld`). */
export type HandleCommand = fc.Command<HandleWorld, HandleWorld>;
type Cmd = HandleCommand;

/** Expected refusal for a derivation (the order the contract in handles/api.ts fixes), or null. */
function expectDerive(world: HandleWorld, t: number, value: number, op: Rights, mask: Rights): string | null {
  const h = world.tables[t]!.handles.get(value);
  if (!h) return "bad-handle";
  if ((h.rights & op) !== op) return "access-denied";
  if ((mask & ~world.objects[h.object]!.real.type.validRights) !== 0) return "invalid-rights";
  if ((h.rights & mask) !== mask) return "access-denied";
  return null;
}

/** Whether `call` throws (for the `Err` twins: calls the contract says must be refused). */
function throws(call: () => void): boolean {
  try {
    call();
  } catch {
    return true;
  }
  return false;
}

function expectKind(call: string, actual: string, expected: string): void {
  if (actual !== expected) throw new Error(`${call}: got ${actual}, expected ${expected}`);
}

class NewObject implements Cmd {
  constructor(readonly type: number) {}
  check = (): boolean => true;
  run(world: HandleWorld): void {
    world.newObject(this.type);
    world.compare();
  }
  toString = (): string => `newObject(${this.type})`;
}

class Create implements Cmd {
  constructor(
    readonly t: number,
    readonly obj: number,
    readonly mask: Rights,
  ) {}
  check = (): boolean => true;
  run(world: HandleWorld): void {
    const live = world.liveObjects();
    if (live.length === 0) return;
    const t = this.t % world.tables.length;
    const o = live[this.obj % live.length]!;
    const object = world.objects[o]!;
    const rights = this.mask & object.real.type.validRights;
    const r = world.tables[t]!.real.create(object.real, rights);
    const full = world.tables[t]!.handles.size >= world.tables[t]!.capacity;
    expectKind("create", r.kind, full ? "table-full" : "ok");
    if (r.kind === "ok") {
      world.issue(t, r.handle, { object: o, rights, node: world.newNode(0) });
      object.touched = true;
    }
    world.compare();
  }
  toString = (): string => `create(t${this.t}, o${this.obj}, 0x${this.mask.toString(16)})`;
}

class Lookup implements Cmd {
  constructor(
    readonly t: number,
    readonly pick: number,
    readonly type: number | null,
    readonly required: Rights,
  ) {}
  check = (): boolean => true;
  run(world: HandleWorld): void {
    const t = this.t % world.tables.length;
    const value = world.pickHandle(t, this.pick);
    const type = this.type === null ? null : world.types[this.type % world.types.length]!;
    const h = world.tables[t]!.handles.get(value);
    const required = this.required & (h && this.required % 2 === 0 ? h.rights : ALL_BITS);
    const r = world.tables[t]!.real.lookup(value, type, required);
    let expected = "ok";
    if (!h) expected = "bad-handle";
    else if (type !== null && world.objects[h.object]!.real.type !== type) expected = "wrong-type";
    else if ((h.rights & required) !== required) expected = "access-denied";
    expectKind("lookup", r.kind, expected);
    if (r.kind === "ok" && (r.object !== world.objects[h!.object]!.real || r.rights !== h!.rights)) {
      throw new Error("lookup: resolved to the wrong object or rights");
    }
  }
  toString = (): string =>
    `lookup(t${this.t}, #${this.pick}, type ${this.type}, 0x${this.required.toString(16)})`;
}

class LookupForged implements Cmd {
  constructor(
    readonly t: number,
    readonly value: number,
  ) {}
  check = (): boolean => true;
  run(world: HandleWorld): void {
    const t = this.t % world.tables.length;
    const table = world.tables[t]!;
    if (table.handles.has(this.value)) return;
    const r = table.real.lookup(this.value, null, 0);
    expectKind(`lookup(forged ${this.value})`, r.kind, "bad-handle");
    // "stale" means issued by this table and gone since (handles/api.ts); anything else is not.
    const stale = r.kind === "bad-handle" && r.reason === "stale";
    if (stale !== table.issued.has(this.value))
      throw new Error(
        `lookup(forged ${this.value}): reason ${r.kind === "bad-handle" ? r.reason : r.kind}, but the table ${table.issued.has(this.value) ? "issued" : "never issued"} it`,
      );
  }
  toString = (): string => `lookupForged(t${this.t}, ${this.value})`;
}

const STALE_OPS = ["lookup", "close", "revoke", "duplicate", "replace", "moveTo", "share", "split"] as const;

/**
 * Every operation on a value this table issued and no longer holds must be `bad-handle` and change
 * nothing. The values come from the model's record of everything issued, so their slots have often
 * been reused: an implementation that finds the slot by its index alone would close, revoke or
 * derive from the handle that now sits there.
 */
class UseStale implements Cmd {
  constructor(
    readonly t: number,
    readonly pick: number,
    readonly op: number,
    readonly mask: Rights,
  ) {}
  check = (): boolean => true;
  run(world: HandleWorld): void {
    const t = this.t % world.tables.length;
    const table = world.tables[t]!;
    const gone = [...table.issued].filter((v) => !table.handles.has(v));
    if (gone.length === 0) return;
    const value = gone[this.pick % gone.length]!;
    const dest = world.tables[(t + 1) % world.tables.length]!.real;
    const op = STALE_OPS[this.op % STALE_OPS.length]!;
    const real = table.real;
    const r = {
      lookup: () => real.lookup(value, null, 0),
      close: () => real.close(value),
      revoke: () => real.revoke(value),
      duplicate: () => real.duplicate(value, this.mask),
      replace: () => real.replace(value, this.mask),
      moveTo: () => real.moveTo(value, dest, this.mask),
      share: () => real.share(value, dest, this.mask),
      split: () => real.split(value, this.mask),
    }[op]();
    expectKind(`${op}(t${t}, stale 0x${value.toString(16)})`, r.kind, "bad-handle");
    world.compare();
  }
  toString = (): string => `useStale(t${this.t}, #${this.pick}, ${STALE_OPS[this.op % STALE_OPS.length]})`;
}

/** duplicate, replace, moveTo, share and split share one shape: a source handle and a mask. */
class Derive implements Cmd {
  constructor(
    readonly op: "duplicate" | "replace" | "moveTo" | "share" | "split",
    readonly t: number,
    readonly pick: number,
    readonly dest: number,
    readonly mask: Rights,
    /** Use `mask & held` (a legal request) rather than the raw mask (often an amplification). */
    readonly subset: boolean,
  ) {}
  check = (): boolean => true;
  run(world: HandleWorld): void {
    const n = world.tables.length;
    const t = this.t % n;
    const d = (t + 1 + (this.dest % (n - 1))) % n; // another table
    const src = world.tables[t]!;
    const dst = world.tables[d]!;
    const value = world.pickHandle(t, this.pick);
    const h = src.handles.get(value);
    const mask = this.subset && h ? this.mask & h.rights : this.mask;
    const opRight = {
      duplicate: Right.DUPLICATE,
      replace: 0,
      moveTo: Right.TRANSFER,
      share: Right.DUPLICATE | Right.TRANSFER,
      split: Right.DUPLICATE,
    }[this.op];
    let expected = expectDerive(world, t, value, opRight, mask) ?? "ok";
    if (expected === "ok" && this.op === "split" && (mask === 0 || mask === h!.rights))
      expected = "invalid-rights";
    const target = this.op === "moveTo" || this.op === "share" ? dst : src;
    const needsSlot = this.op !== "replace";
    if (expected === "ok" && needsSlot && target.handles.size >= target.capacity) expected = "table-full";
    const call = `${this.op}(t${t}, 0x${value.toString(16)}, 0x${mask.toString(16)})`;
    switch (this.op) {
      case "duplicate":
      case "replace": {
        const r = this.op === "duplicate" ? src.real.duplicate(value, mask) : src.real.replace(value, mask);
        // A replace may need a free slot (the slot table's, when the old slot's generations are
        // exhausted), so a full table may refuse it; a table with room may not.
        const noRoom = src.handles.size >= src.capacity;
        if (!(this.op === "replace" && r.kind === "table-full" && expected === "ok" && noRoom))
          expectKind(call, r.kind, expected);
        if (r.kind !== "ok") break;
        if (this.op === "duplicate")
          world.issue(t, r.handle, { object: h!.object, rights: mask, node: world.newNode(h!.node) });
        else {
          src.handles.delete(value);
          world.issue(t, r.handle, { object: h!.object, rights: mask, node: h!.node });
        }
        break;
      }
      case "moveTo": {
        const r = src.real.moveTo(value, dst.real, mask);
        expectKind(call, r.kind, expected);
        if (r.kind !== "ok") break;
        src.handles.delete(value);
        world.issue(d, r.handle, { object: h!.object, rights: mask, node: h!.node });
        break;
      }
      case "share": {
        const r = src.real.share(value, dst.real, mask);
        expectKind(call, r.kind, expected);
        if (r.kind === "ok")
          world.issue(d, r.handle, { object: h!.object, rights: mask, node: world.newNode(h!.node) });
        break;
      }
      case "split": {
        const r = src.real.split(value, mask);
        expectKind(call, r.kind, expected);
        if (r.kind !== "ok") break;
        if (r.kept !== value) throw new Error(`${call}: the kept handle changed value`);
        src.handles.set(value, { ...h!, rights: h!.rights & ~mask });
        world.issue(t, r.split, {
          object: h!.object,
          rights: mask,
          node: world.newNode(world.parent.get(h!.node)!),
        });
        break;
      }
    }
    world.compare();
  }
  toString = (): string =>
    `${this.op}(t${this.t}, #${this.pick}, dest ${this.dest}, 0x${this.mask.toString(16)})`;
}

class Close implements Cmd {
  constructor(
    readonly t: number,
    readonly pick: number,
  ) {}
  check = (): boolean => true;
  run(world: HandleWorld): void {
    const t = this.t % world.tables.length;
    const value = world.pickHandle(t, this.pick);
    const known = world.tables[t]!.handles.has(value);
    const r = world.tables[t]!.real.close(value);
    expectKind(`close(0x${value.toString(16)})`, r.kind, known ? "ok" : "bad-handle");
    if (known) world.drop(t, value);
    world.compare();
    // Closing again is refused and changes nothing.
    expectKind("close again", world.tables[t]!.real.close(value).kind, "bad-handle");
    world.compare();
  }
  toString = (): string => `close(t${this.t}, #${this.pick})`;
}

class Revoke implements Cmd {
  constructor(
    readonly t: number,
    readonly pick: number,
  ) {}
  check = (): boolean => true;
  run(world: HandleWorld): void {
    const t = this.t % world.tables.length;
    const value = world.pickHandle(t, this.pick);
    const h = world.tables[t]!.handles.get(value);
    const r = world.tables[t]!.real.revoke(value);
    expectKind("revoke", r.kind, h ? "ok" : "bad-handle");
    if (r.kind === "ok" && h) {
      const victims = world.descendants(h.node);
      if (r.revoked !== victims.size)
        throw new Error(`revoke: closed ${r.revoked}, model expects ${victims.size}`);
      world.tables.forEach((table, ti) => {
        for (const [v, mh] of [...table.handles]) if (victims.has(mh.node)) world.drop(ti, v);
      });
      if (!world.tables[t]!.handles.has(value))
        throw new Error("revoke: the revoking handle itself was closed");
    }
    world.compare();
  }
  toString = (): string => `revoke(t${this.t}, #${this.pick})`;
}

class Retain implements Cmd {
  constructor(readonly obj: number) {}
  check = (): boolean => true;
  run(world: HandleWorld): void {
    const o = world.pickObject(this.obj);
    if (o === null) return;
    o.real.retain();
    o.refs++;
    o.touched = true;
    world.compare();
  }
  toString = (): string => `retain(o${this.obj})`;
}

class Release implements Cmd {
  constructor(readonly obj: number) {}
  check = (): boolean => true;
  run(world: HandleWorld): void {
    const o = world.pickObject(this.obj);
    if (o === null) return;
    if (o.refs === 0) {
      // The Err twin: a release without a retain throws and changes nothing.
      if (!throws(() => o.real.release())) throw new Error(`${o.real}: release without retain did not throw`);
    } else {
      o.real.release();
      o.refs--;
    }
    world.compare();
  }
  toString = (): string => `release(o${this.obj})`;
}

class Kill implements Cmd {
  constructor(readonly obj: number) {}
  check = (): boolean => true;
  run(world: HandleWorld): void {
    const o = world.pickObject(this.obj);
    if (o === null) return;
    const threw = throws(() => o.real.kill());
    if (threw !== o.dead)
      throw new Error(`${o.real}.kill: ${threw ? "threw on a live object" : "accepted on a dead object"}`);
    o.dead = true;
    world.compare();
  }
  toString = (): string => `kill(o${this.obj})`;
}

/** Rights masks: mostly within the defined rights (so operations succeed), sometimes anything. */
export function rightsArb(): fc.Arbitrary<Rights> {
  const defined =
    Right.DUPLICATE | Right.TRANSFER | Right.READ | Right.WRITE | Right.MAP | Right.WAIT | 0x3_0000;
  return fc.oneof(
    { weight: 8, arbitrary: fc.integer({ min: 0, max: ALL_BITS }).map((x) => x & defined) },
    { weight: 4, arbitrary: fc.constant(defined) },
    { weight: 1, arbitrary: fc.integer({ min: 0, max: ALL_BITS }) },
  );
}

/** Every command of the handle-table model. */
export function handleCommands(): fc.Arbitrary<Iterable<HandleCommand>> {
  const idx = fc.nat(50);
  const derive = (op: Derive["op"]) =>
    fc
      .tuple(idx, idx, idx, rightsArb(), fc.boolean())
      .map(([t, p, d, m, subset]) => new Derive(op, t, p, d, m, subset) as Cmd);
  // Creations carry DUPLICATE and TRANSFER most of the time, so that derivations can succeed.
  const createRights = fc.oneof(
    { weight: 3, arbitrary: rightsArb().map((r) => r | Right.DUPLICATE | Right.TRANSFER) },
    { weight: 1, arbitrary: rightsArb() },
  );
  const create = fc.tuple(idx, idx, createRights).map(([t, o, m]) => new Create(t, o, m) as Cmd);
  return fc.commands(
    [
      fc.nat(3).map((t) => new NewObject(t) as Cmd),
      create,
      create,
      create,
      fc
        .tuple(idx, idx, fc.option(fc.nat(3), { nil: null }), rightsArb())
        .map(([t, p, ty, r]) => new Lookup(t, p, ty, r)),
      fc.tuple(idx, fc.integer({ min: -5, max: ALL_BITS })).map(([t, v]) => new LookupForged(t, v)),
      fc
        .tuple(idx, idx, fc.nat(STALE_OPS.length - 1), rightsArb())
        .map(([t, p, op, m]) => new UseStale(t, p, op, m)),
      derive("duplicate"),
      derive("replace"),
      derive("moveTo"),
      derive("share"),
      derive("split"),
      fc.tuple(idx, idx).map(([t, p]) => new Close(t, p)),
      fc.tuple(idx, idx).map(([t, p]) => new Revoke(t, p)),
      idx.map((o) => new Retain(o)),
      idx.map((o) => new Release(o)),
      idx.map((o) => new Kill(o)),
    ],
    { size: "+1", maxCommands: 80 },
  );
}
