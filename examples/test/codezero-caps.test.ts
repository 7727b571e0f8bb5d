// Model-based test of l4_capability_control: random sequences of create, derive, grant, revoke,
// close and stale use, made by the root task and two tasks through the system call, against a
// naive model of the derivation tree (a list of capabilities with parent links). After every
// step each task's endpoint capabilities must equal the model's, handle by handle and right by
// right, and every invariant (handle tables, derivation tree, the microkernel's state) must hold.

import type { Thread } from "@osbricks/kernel";
import { Right } from "@osbricks/objects";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { CapOp, L4Error, l4ErrorName, NIL, ThreadOp } from "../src/codezero/abi.js";
import { ENDPOINT_RIGHTS } from "../src/codezero/calls/cap.js";
import { type Bench, bench } from "./codezero-harness.js";

/** One capability in the model. */
interface MCap {
  readonly owner: number;
  parent: MCap | null;
  readonly rights: number;
  alive: boolean;
  readonly handle: number;
}

interface Model {
  readonly caps: MCap[];
}

interface Real {
  readonly b: Bench;
  /** The calling thread of owner 0 (root), 1 and 2. */
  readonly threads: readonly Thread[];
  /** The root's task capabilities of owners 1 and 2 (index 0 unused). */
  readonly tasks: readonly number[];
}

const BITS = [Right.READ, Right.WRITE, Right.DUPLICATE, Right.TRANSFER];
const rightsOf = (n: number) => BITS.reduce((r, bit, i) => ((n >> i) & 1 ? r | bit : r), 0);
const alive = (m: Model, owner: number) => m.caps.filter((c) => c.alive && c.owner === owner);
const pick = <T>(xs: readonly T[], i: number): T | undefined =>
  xs.length === 0 ? undefined : xs[i % xs.length];
const has = (held: number, want: number) => (held & want) === want;

function cap(r: Real, owner: number, op: number, h: number, a = 0, b = 0): number {
  return r.b.call("l4_capability_control", [op, h, a, b], r.threads[owner]);
}

function check(m: Model, r: Real): void {
  const k = r.b.k;
  for (let owner = 0; owner < 3; owner++) {
    const t = r.threads[owner]!.process.handleTable;
    const real = t
      .list()
      .filter((i) => i.type === "endpoint")
      .map((i) => `${i.handle}:${i.rights}`)
      .sort();
    const model = alive(m, owner)
      .map((c) => `${c.handle}:${c.rights}`)
      .sort();
    expect(real).toEqual(model);
    t.checkInvariants();
  }
  k.objects.derivations.checkInvariants();
  k.objects.checkInvariants();
  r.b.state.checkInvariants();
}

type Cmd = fc.Command<Model, Real>;

class CreateEndpoint implements Cmd {
  constructor(readonly owner: number) {}
  check = () => true;
  run(m: Model, r: Real): void {
    const h = cap(r, this.owner, CapOp.CREATE_ENDPOINT, 0);
    expect(h).toBeGreaterThan(0);
    m.caps.push({ owner: this.owner, parent: null, rights: ENDPOINT_RIGHTS, alive: true, handle: h });
    check(m, r);
  }
  toString = () => `create(${this.owner})`;
}

class Derive implements Cmd {
  constructor(
    readonly owner: number,
    readonly i: number,
    readonly rights: number,
  ) {}
  check = (m: Readonly<Model>) => alive(m as Model, this.owner).length > 0;
  run(m: Model, r: Real): void {
    const c = pick(alive(m, this.owner), this.i)!;
    const got = cap(r, this.owner, CapOp.DERIVE, c.handle, this.rights);
    if (!has(c.rights, Right.DUPLICATE) || !has(c.rights, this.rights)) {
      expect(l4ErrorName(got)).toBe("-EPERM");
    } else {
      expect(got).toBeGreaterThan(0);
      m.caps.push({ owner: this.owner, parent: c, rights: this.rights, alive: true, handle: got });
    }
    check(m, r);
  }
  toString = () => `derive(${this.owner}, #${this.i}, ${this.rights})`;
}

class Grant implements Cmd {
  constructor(
    readonly i: number,
    readonly to: number,
    readonly rights: number,
  ) {}
  check = (m: Readonly<Model>) => alive(m as Model, 0).length > 0;
  run(m: Model, r: Real): void {
    const c = pick(alive(m, 0), this.i)!;
    const got = cap(r, 0, CapOp.GRANT, c.handle, r.tasks[this.to]!, this.rights);
    if (!has(c.rights, Right.DUPLICATE | Right.TRANSFER) || !has(c.rights, this.rights)) {
      expect(l4ErrorName(got)).toBe("-EPERM");
    } else {
      expect(got).toBeGreaterThan(0);
      m.caps.push({ owner: this.to, parent: c, rights: this.rights, alive: true, handle: got });
    }
    check(m, r);
  }
  toString = () => `grant(#${this.i} -> ${this.to}, ${this.rights})`;
}

/** The …Err twin of Grant: a task holds no task capability, so its grants are ECAP. */
class GrantByTaskErr implements Cmd {
  constructor(
    readonly owner: number,
    readonly i: number,
  ) {}
  check = (m: Readonly<Model>) => alive(m as Model, this.owner).length > 0;
  run(m: Model, r: Real): void {
    const c = pick(alive(m, this.owner), this.i)!;
    const got = cap(r, this.owner, CapOp.GRANT, c.handle, 0x7fff_0000, Right.WRITE);
    expect(l4ErrorName(got)).toBe(l4ErrorName(-L4Error.ECAP));
    check(m, r);
  }
  toString = () => `grantByTask(${this.owner}, #${this.i})`;
}

class Revoke implements Cmd {
  constructor(
    readonly owner: number,
    readonly i: number,
  ) {}
  check = (m: Readonly<Model>) => alive(m as Model, this.owner).length > 0;
  run(m: Model, r: Real): void {
    const c = pick(alive(m, this.owner), this.i)!;
    const below = (x: MCap): boolean => x.parent !== null && (x.parent === c || below(x.parent));
    const gone = m.caps.filter((x) => x.alive && below(x));
    expect(cap(r, this.owner, CapOp.REVOKE, c.handle)).toBe(gone.length);
    for (const x of gone) x.alive = false;
    check(m, r);
  }
  toString = () => `revoke(${this.owner}, #${this.i})`;
}

class Close implements Cmd {
  constructor(
    readonly owner: number,
    readonly i: number,
  ) {}
  check = (m: Readonly<Model>) => alive(m as Model, this.owner).length > 0;
  run(m: Model, r: Real): void {
    const c = pick(alive(m, this.owner), this.i)!;
    expect(cap(r, this.owner, CapOp.CLOSE, c.handle)).toBe(0);
    c.alive = false;
    for (const x of m.caps) if (x.parent === c) x.parent = c.parent; // seL4's delete: children move up
    check(m, r);
  }
  toString = () => `close(${this.owner}, #${this.i})`;
}

/** A closed or revoked capability names nothing any more: ECAP, nothing changes. */
class UseStaleErr implements Cmd {
  constructor(readonly i: number) {}
  check = (m: Readonly<Model>) => m.caps.some((c) => !c.alive);
  run(m: Model, r: Real): void {
    const c = pick(
      m.caps.filter((x) => !x.alive),
      this.i,
    )!;
    expect(l4ErrorName(cap(r, c.owner, CapOp.RIGHTS, c.handle))).toBe("-ECAP");
    check(m, r);
  }
  toString = () => `useStale(#${this.i})`;
}

function setup(): { model: Model; real: Real } {
  const b = bench();
  const tasks = [0];
  const threads: Thread[] = [b.rootThread];
  for (let i = 0; i < 2; i++) {
    const [p, n] = b.str("kv");
    const h = b.call("l4_thread_control", [ThreadOp.CREATE, p, n, NIL, 0]);
    tasks.push(h);
    const id = b.call("l4_thread_control", [ThreadOp.ID, h, 0, 0, 0]);
    threads.push(b.k.processes.get(id)!.threads[0]!);
  }
  return { model: { caps: [] }, real: { b, threads, tasks } };
}

const owner = fc.integer({ min: 0, max: 2 });
const index = fc.nat(63);
const rights = fc.integer({ min: 1, max: 15 }).map(rightsOf);
const commands = fc.commands(
  [
    owner.map((o) => new CreateEndpoint(o)),
    fc.tuple(owner, index, rights).map(([o, i, r]) => new Derive(o, i, r)),
    fc.tuple(index, fc.integer({ min: 1, max: 2 }), rights).map(([i, t, r]) => new Grant(i, t, r)),
    fc.tuple(fc.integer({ min: 1, max: 2 }), index).map(([o, i]) => new GrantByTaskErr(o, i)),
    fc.tuple(owner, index).map(([o, i]) => new Revoke(o, i)),
    fc.tuple(owner, index).map(([o, i]) => new Close(o, i)),
    index.map((i) => new UseStaleErr(i)),
  ],
  { maxCommands: 40 },
);

describe("l4_capability_control against a model of the derivation tree", () => {
  it("random create/derive/grant/revoke/close sequences keep tables, tree and model in step", () => {
    fc.assert(
      fc.property(commands, (cmds) => {
        fc.modelRun(setup, cmds);
      }),
      { numRuns: 60 },
    );
  });

  it("revoking a root capability closes grants two levels down, in other tasks' tables", () => {
    const { model, real } = setup();
    new CreateEndpoint(0).run(model, real);
    new Derive(0, 0, Right.WRITE | Right.DUPLICATE | Right.TRANSFER).run(model, real);
    new Grant(1, 1, Right.WRITE | Right.DUPLICATE).run(model, real);
    new Derive(1, 0, Right.WRITE).run(model, real);
    new Revoke(0, 0).run(model, real);
    expect(model.caps.filter((c) => c.alive).length).toBe(1);
  });
});
