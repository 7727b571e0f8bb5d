// The grinder (after xv6's grind.c): random system calls from several processes at once — handle
// operations, waits, signals, kills, revokes, process exits, time — with every invariant checked
// after every step, and a teardown that must leave nothing alive: each object destroyed exactly
// once, no wait completed twice, no timer or reference left behind.
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import {
  cancelWait,
  type HandleTable,
  KernelObject,
  MapHandleTable,
  ObjectSpace,
  Right,
  Signal,
  SimulatedWaitHost,
  SlotHandleTable,
  sysObjectSignal,
  sysObjectWait,
  userSignal,
  type WaitTicket,
} from "../src/index.js";

const ALL = Right.DUPLICATE | Right.TRANSFER | Right.READ | Right.WAIT | Right.SIGNAL;

type Op =
  | { op: "new"; t: number }
  | { op: "dup" | "close" | "revoke" | "replace"; t: number; pick: number; mask: number }
  | { op: "move" | "share"; t: number; pick: number; to: number; mask: number }
  | { op: "wait"; t: number; pick: number; sig: number; delay: number | null }
  | { op: "signal"; t: number; pick: number; sig: number; set: boolean }
  | { op: "kill"; t: number; pick: number }
  | { op: "cancel"; pick: number }
  | { op: "exit"; t: number }
  | { op: "advance"; by: number };

const n = fc.nat(40);
const opArb: fc.Arbitrary<Op> = fc.oneof(
  n.map((t) => ({ op: "new", t }) as Op),
  fc
    .tuple(fc.constantFrom("dup", "close", "revoke", "replace"), n, n, fc.nat())
    .map(([op, t, pick, mask]) => ({ op, t, pick, mask }) as Op),
  fc
    .tuple(fc.constantFrom("move", "share"), n, n, n, fc.nat())
    .map(([op, t, pick, to, mask]) => ({ op, t, pick, to, mask }) as Op),
  fc
    .tuple(n, n, fc.nat(3), fc.option(fc.nat(50), { nil: null }))
    .map(([t, pick, sig, delay]) => ({ op: "wait", t, pick, sig, delay }) as Op),
  fc
    .tuple(n, n, fc.nat(2), fc.boolean())
    .map(([t, pick, sig, set]) => ({ op: "signal", t, pick, sig, set }) as Op),
  fc.tuple(n, n).map(([t, pick]) => ({ op: "kill", t, pick }) as Op),
  n.map((pick) => ({ op: "cancel", pick }) as Op),
  n.map((t) => ({ op: "exit", t }) as Op),
  fc.nat(40).map((by) => ({ op: "advance", by }) as Op),
);

function grind(ops: readonly Op[]): void {
  const space = new ObjectSpace();
  const type = space.defineType({ name: "event" });
  const host = new SimulatedWaitHost();
  let tables: HandleTable[] = [0, 1, 2].map((i) =>
    i % 2 === 0 ? new SlotHandleTable(space, { capacity: 6 }) : new MapHandleTable(space, { capacity: 6 }),
  );
  const destroyed = new Map<KernelObject, number>();
  const all: KernelObject[] = [];
  const tickets: WaitTicket[] = [];
  let waiter = 1;
  const pick = (t: HandleTable, i: number): number => {
    const l = t.list();
    return l.length === 0 ? 12345 : l[i % l.length]!.handle;
  };
  for (const o of ops) {
    const t = "t" in o ? tables[o.t % tables.length]! : tables[0]!;
    switch (o.op) {
      case "new": {
        const obj = new KernelObject(space, type, {
          hooks: {
            // Hooks that touch the object, as real types do (a channel asserts peer-closed, a
            // thread terminated): they must never run on a destroyed object.
            onNoHandles: (x) => x.assertSignals(userSignal(7)),
            onDead: (x) => x.assertSignals(userSignal(6)),
            onDestroy: (x) => void destroyed.set(x, (destroyed.get(x) ?? 0) + 1),
          },
        });
        all.push(obj);
        if (t.create(obj, ALL).kind !== "ok") {
          obj.retain(); // nobody holds it: take and drop a reference so it is destroyed now
          obj.release();
        }
        break;
      }
      case "dup":
        t.duplicate(pick(t, o.pick), o.mask & ALL);
        break;
      case "replace":
        t.replace(pick(t, o.pick), o.mask & ALL);
        break;
      case "close":
        t.close(pick(t, o.pick));
        break;
      case "revoke":
        t.revoke(pick(t, o.pick));
        break;
      case "move":
      case "share": {
        const dest = tables[o.to % tables.length]!;
        if (dest === t) break;
        if (o.op === "move") t.moveTo(pick(t, o.pick), dest, o.mask & ALL);
        else t.share(pick(t, o.pick), dest, o.mask & ALL);
        break;
      }
      case "wait": {
        const r = sysObjectWait(
          host,
          waiter++,
          t,
          pick(t, o.pick),
          o.sig === 3 ? Signal.NO_HANDLES : userSignal(o.sig),
          o.delay === null ? null : host.now() + o.delay,
        );
        if (r.kind === "blocked") tickets.push(r.ticket);
        break;
      }
      case "signal":
        sysObjectSignal(t, pick(t, o.pick), o.set ? 0 : userSignal(o.sig), o.set ? userSignal(o.sig) : 0);
        break;
      case "kill": {
        const r = t.lookup(pick(t, o.pick), null, 0);
        if (r.kind === "ok" && r.object.alive) r.object.kill();
        break;
      }
      case "cancel": {
        const tk = tickets[o.pick % Math.max(1, tickets.length)];
        if (tk) cancelWait(tk);
        break;
      }
      case "exit": {
        if (tables.length === 1) break;
        t.dispose();
        tables = tables.filter((x) => x !== t);
        break;
      }
      case "advance":
        host.advanceBy(o.by);
        break;
    }
    space.checkInvariants();
  }
  // Teardown: every process exits and every wait ends; then nothing may be left.
  for (const tk of tickets) cancelWait(tk);
  for (const t of tables) t.dispose();
  host.advanceBy(1000);
  expect(space.liveObjects()).toEqual([]);
  for (const obj of all) {
    expect(obj.state).toBe("destroyed");
    expect(destroyed.get(obj)).toBe(1);
  }
  const woken = host.wakes.map((w) => w.waiter);
  expect(new Set(woken).size).toBe(woken.length);
  expect(host.pendingTimers).toBe(0);
  expect(space.derivations.size).toBe(0);
}

describe("grinder", () => {
  it("random system calls from three processes leave no object, wait or timer behind", () => {
    fc.assert(fc.property(fc.array(opArb, { minLength: 10, maxLength: 100, size: "max" }), grind), {
      numRuns: 100,
    });
  });
});
