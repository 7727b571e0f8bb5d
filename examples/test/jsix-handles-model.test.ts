// A model-based test of the jsix personality's handles: random sequences of event creation,
// handle clone / close / give, signal and wait polls, and process kills, run against a naive
// model of handles, rights and object lifetimes (fast-check's commands, as in its musicPlayer
// example). After every step the real handle tables must equal the model's, every object the
// model calls dead must be dead (and alive ones alive), and JsixState.checkInvariants and the
// object space's own checks must hold.
import type { Process, Thread } from "@osbricks/kernel";
import { Right } from "@osbricks/objects";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { EVENT_SIGNAL_SHIFT, J6Status } from "../src/jsix/abi.js";
import { benchEntry, type JBench, jbench } from "./jsix-harness.js";

const ALL = 0x7ff; // every generic right: what an event handle can hold

interface MHandle {
  readonly h: number;
  readonly obj: number;
  readonly rights: number;
}
interface MProc {
  alive: boolean;
  handles: MHandle[];
}
interface Model {
  readonly procs: MProc[]; // 0 = the bench's first process, 1..2 = children
  /** Event bits up, per object id; objects ever made. */
  readonly bits: number[];
}
interface Real {
  readonly b: JBench;
  readonly procs: Process[];
  readonly threads: Thread[];
  /** Process handles root holds for each child (index 1..2). */
  readonly procHandles: number[];
  /** Object id → the real event object. */
  readonly objects: { alive: boolean }[];
}

const aliveIn = (m: Model, obj: number) =>
  m.procs.some((p) => p.alive && p.handles.some((x) => x.obj === obj));

function eventHandles(r: Real, i: number): string {
  const p = r.procs[i]!;
  if (p.phase !== "live") return "dead";
  return p.handleTable
    .list()
    .filter((h) => h.type === "event")
    .map((h) => `${h.handle}:${h.rights}`)
    .sort()
    .join(" ");
}

function modelHandles(m: Model, i: number): string {
  const p = m.procs[i]!;
  if (!p.alive) return "dead";
  return p.handles
    .map((h) => `${h.h}:${h.rights}`)
    .sort()
    .join(" ");
}

function check(m: Model, r: Real): void {
  for (let i = 0; i < m.procs.length; i++)
    expect(eventHandles(r, i), `process ${i}'s event handles`).toBe(modelHandles(m, i));
  for (let o = 0; o < r.objects.length; o++)
    expect(r.objects[o]!.alive, `event ${o} alive`).toBe(aliveIn(m, o));
  r.b.state.checkInvariants();
  r.b.k.objects.checkInvariants();
}

type Cmd = fc.Command<Model, Real>;

class CreateEvent implements Cmd {
  constructor(readonly p: number) {}
  check = (m: Readonly<Model>) => m.procs[this.p]!.alive;
  run(m: Model, r: Real): void {
    const h = r.b.call("j6_event_create", [], r.threads[this.p]);
    expect(h).toBeGreaterThan(0);
    const obj = r.objects.length;
    const found = r.procs[this.p]!.handleTable.lookup(h, null, 0);
    if (found.kind !== "ok") throw new Error("created handle not found");
    r.objects.push(found.object);
    m.bits.push(0);
    m.procs[this.p]!.handles.push({ h, obj, rights: ALL });
    check(m, r);
  }
  toString = () => `create(${this.p})`;
}

class Clone implements Cmd {
  constructor(
    readonly p: number,
    readonly idx: number,
    readonly mask: number,
  ) {}
  check = (m: Readonly<Model>) => m.procs[this.p]!.alive && m.procs[this.p]!.handles.length > 0;
  run(m: Model, r: Real): void {
    const hs = m.procs[this.p]!.handles;
    const x = hs[this.idx % hs.length]!;
    const got = r.b.call("j6_handle_clone", [x.h, this.mask], r.threads[this.p]);
    if ((x.rights & Right.DUPLICATE) === 0) expect(got).toBe(-J6Status.err_denied);
    else {
      expect(got).toBeGreaterThan(0);
      hs.push({ h: got, obj: x.obj, rights: x.rights & this.mask });
    }
    check(m, r);
  }
  toString = () => `clone(${this.p}, #${this.idx}, 0x${this.mask.toString(16)})`;
}

class Close implements Cmd {
  constructor(
    readonly p: number,
    readonly idx: number,
  ) {}
  check = (m: Readonly<Model>) => m.procs[this.p]!.alive && m.procs[this.p]!.handles.length > 0;
  run(m: Model, r: Real): void {
    const hs = m.procs[this.p]!.handles;
    const i = this.idx % hs.length;
    expect(r.b.call("j6_handle_close", [hs[i]!.h], r.threads[this.p])).toBe(0);
    hs.splice(i, 1);
    check(m, r);
  }
  toString = () => `close(${this.p}, #${this.idx})`;
}

class Give implements Cmd {
  constructor(
    readonly to: number,
    readonly idx: number,
  ) {}
  check = (m: Readonly<Model>) => m.procs[this.to]!.alive && m.procs[0]!.handles.length > 0;
  run(m: Model, r: Real): void {
    const hs = m.procs[0]!.handles;
    const x = hs[this.idx % hs.length]!;
    const got = r.b.call("j6_process_give_handle", [r.procHandles[this.to]!, x.h]);
    const need = Right.DUPLICATE | Right.TRANSFER;
    if ((x.rights & need) !== need) expect(got).toBe(-J6Status.err_denied);
    else {
      expect(got).toBeGreaterThan(0);
      m.procs[this.to]!.handles.push({ h: got, obj: x.obj, rights: x.rights });
    }
    check(m, r);
  }
  toString = () => `give(→${this.to}, #${this.idx})`;
}

class SignalAndPoll implements Cmd {
  constructor(
    readonly p: number,
    readonly idx: number,
    readonly set: number,
  ) {}
  check = (m: Readonly<Model>) => m.procs[this.p]!.alive && m.procs[this.p]!.handles.length > 0;
  run(m: Model, r: Real): void {
    const hs = m.procs[this.p]!.handles;
    const x = hs[this.idx % hs.length]!;
    const t = r.threads[this.p];
    const s = r.b.call("j6_event_signal", [x.h, this.set, 0], t);
    if ((x.rights & Right.SIGNAL) === 0) expect(s).toBe(-J6Status.err_denied);
    else {
      expect(s).toBe(0);
      m.bits[x.obj] = m.bits[x.obj]! | this.set;
    }
    const w = r.b.call("j6_object_wait", [x.h, 0xff << EVENT_SIGNAL_SHIFT, 0], t);
    if ((x.rights & Right.WAIT) === 0) expect(w).toBe(-J6Status.err_denied);
    else if (m.bits[x.obj] === 0) expect(w).toBe(-J6Status.err_timed_out);
    else expect((w >>> EVENT_SIGNAL_SHIFT) & 0xff).toBe(m.bits[x.obj]);
    check(m, r);
  }
  toString = () => `signal+poll(${this.p}, #${this.idx}, ${this.set})`;
}

class Kill implements Cmd {
  constructor(readonly p: number) {}
  check = (m: Readonly<Model>) => m.procs[this.p]!.alive;
  run(m: Model, r: Real): void {
    expect(r.b.call("j6_process_kill", [r.procHandles[this.p]!])).toBe(0);
    m.procs[this.p]!.alive = false;
    m.procs[this.p]!.handles = [];
    check(m, r);
  }
  toString = () => `kill(${this.p})`;
}

const proc = fc.integer({ min: 0, max: 2 });
const child = fc.integer({ min: 1, max: 2 });
const idx = fc.nat(20);
const commands = [
  proc.map((p) => new CreateEvent(p)),
  fc.tuple(proc, idx, fc.integer({ min: 0, max: ALL })).map(([p, i, mask]) => new Clone(p, i, mask)),
  fc.tuple(proc, idx).map(([p, i]) => new Close(p, i)),
  fc.tuple(child, idx).map(([p, i]) => new Give(p, i)),
  fc.tuple(proc, idx, fc.integer({ min: 0, max: 255 })).map(([p, i, s]) => new SignalAndPoll(p, i, s)),
  child.map((p) => new Kill(p)),
];

function setup(): { model: Model; real: Real } {
  const b = jbench();
  const procHandles = [0];
  const procs: Process[] = [b.root];
  const threads: Thread[] = [b.rootThread];
  for (let i = 1; i <= 2; i++) {
    const h = b.call("j6_process_create", []);
    const p = [...b.k.processes.values()].find((x) => x.pid !== 0 && !procs.includes(x))!;
    expect(b.call("j6_thread_create", [h, benchEntry("t"), 0])).toBeGreaterThan(0);
    procHandles.push(h);
    procs.push(p);
    threads.push(p.threads[0]!);
  }
  return {
    model: { procs: [0, 1, 2].map(() => ({ alive: true, handles: [] })), bits: [] },
    real: { b, procs, threads, procHandles, objects: [] },
  };
}

describe("jsix handles against a model", () => {
  it("clone, close, give, signal, poll and kill keep tables, rights and lifetimes as the model says", () => {
    fc.assert(
      fc.property(fc.commands(commands, { maxCommands: 40 }), (cmds) => {
        fc.modelRun(setup, cmds);
      }),
      { numRuns: 60 },
    );
  });

  it("a handle given away outlives the giver's close, and the object dies with the receiver", () => {
    const { model, real } = setup();
    fc.modelRun(() => ({ model, real }), [new CreateEvent(0), new Give(1, 0), new Close(0, 0), new Kill(1)]);
    expect(real.objects[0]!.alive).toBe(false);
  });
});
