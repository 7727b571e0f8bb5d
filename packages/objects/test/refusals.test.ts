// The first tier of failure (CONTRIBUTING.md, "Errors: two tiers"): every misuse of the library by
// kernel code throws the typed error for its kind, with a message naming the call, the value and
// the rule, and leaves every table, object, observer, timer and quota exactly as it was.
import { describe, expect, it } from "vitest";
import {
  InvalidArgumentError,
  KernelObject,
  LifeCycleError,
  MapHandleTable,
  ObjectSpace,
  type ObjectsError,
  objectWaitMany,
  QuotaError,
  QuotaPool,
  RefCountError,
  Right,
  Signal,
  SimulatedWaitHost,
  SlotHandleTable,
  UnknownRightError,
} from "../src/index.js";
import { snapshotSpace } from "../src/laws/index.js";

function machine() {
  const space = new ObjectSpace();
  const port = space.defineType({ name: "port", rights: ["send"], signals: ["readable"] });
  const a = new SlotHandleTable(space, { capacity: 4 });
  const b = new MapHandleTable(space, { capacity: 4 });
  const gone = new SlotHandleTable(space, { capacity: 4 });
  gone.dispose();
  const goneMap = new MapHandleTable(space, { capacity: 4 });
  goneMap.dispose();
  const o = new KernelObject(space, port);
  const h = a.create(o, Right.DUPLICATE | Right.TRANSFER | Right.WAIT);
  const mh = b.create(o, Right.TRANSFER);
  if (h.kind !== "ok" || mh.kind !== "ok") throw new Error("setup");
  const dead = new KernelObject(space, port);
  dead.retain();
  dead.kill();
  const destroyed = new KernelObject(space, port);
  destroyed.retain();
  destroyed.release();
  const host = new SimulatedWaitHost();
  const pool = new QuotaPool("p", { port: 2 });
  const charge = pool.tryCharge("port");
  if (charge.kind !== "ok") throw new Error("setup");
  new KernelObject(space, port, { charge: charge.value }).retain();
  const foreign = new ObjectSpace();
  const foreignType = foreign.defineType({ name: "port" });
  return {
    space,
    port,
    a,
    b,
    gone,
    goneMap,
    o,
    h: h.handle,
    mh: mh.handle,
    dead,
    destroyed,
    host,
    pool,
    charge: charge.value,
    foreign,
    foreignType,
  };
}
type Machine = ReturnType<typeof machine>;

/** Everything a refused call could have touched: tables, objects, observers, timers, quota, koids. */
function state(m: Machine): string {
  const observers = m.space.liveObjects().map((o) => o.observerCount);
  return JSON.stringify({
    space: snapshotSpace(m.space),
    observers,
    timers: m.host.pendingTimers,
    quota: [m.pool.used("port"), m.charge.live],
  });
}

const cases: [string, new (...a: never[]) => ObjectsError, RegExp, (m: Machine) => unknown][] = [
  [
    "kill a dead object",
    LifeCycleError,
    /port#\d+\.kill: cannot kill an object that is dead/,
    (m) => m.dead.kill(),
  ],
  ["release without retain", RefCountError, /port#\d+\.release: refCount is already 0/, (m) => m.o.release()],
  [
    "releaseHandle below 0",
    RefCountError,
    /port#\d+\.releaseHandle: handleCount is already 0/,
    (m) => m.dead.releaseHandle(),
  ],
  [
    "retain a destroyed object",
    LifeCycleError,
    /port#\d+\.retain: the object is destroyed/,
    (m) => m.destroyed.retain(),
  ],
  [
    "signal NO_HANDLES by hand",
    InvalidArgumentError,
    /updateSignals\(clear=0x0, set=0x1\): bits 0x1 are not signals this object may change/,
    (m) => m.o.assertSignals(Signal.NO_HANDLES),
  ],
  [
    "signal a bit the type does not define",
    InvalidArgumentError,
    /set=0x1000\): bits 0x1000/,
    (m) => m.o.assertSignals(1 << 12),
  ],
  ["signal a fraction", InvalidArgumentError, /set=0\.5 is not a bit set/, (m) => m.o.assertSignals(0.5)],
  [
    "create with a right the type does not define",
    UnknownRightError,
    /create\(port#\d+, rights=0x40000\): bits 0x40000 are not rights of type port/,
    (m) => m.a.create(m.o, 1 << 18),
  ],
  [
    "create for a destroyed object",
    LifeCycleError,
    /create.*the object is destroyed/,
    (m) => m.a.create(m.destroyed, 0),
  ],
  [
    "create for another machine's object",
    InvalidArgumentError,
    /another machine/,
    (m) => m.b.create(new KernelObject(m.foreign, m.foreignType), 0),
  ],
  ["create in a disposed table", LifeCycleError, /table \d+: create.*disposed/, (m) => m.gone.create(m.o, 0)],
  [
    "move into the same table",
    InvalidArgumentError,
    /moveTo: the destination is this table/,
    (m) => m.a.moveTo(m.h, m.a),
  ],
  [
    "move into a disposed table",
    LifeCycleError,
    /table \d+: moveTo: table \d+ is disposed/,
    (m) => m.a.moveTo(m.h, m.gone),
  ],
  [
    "share into a disposed table",
    LifeCycleError,
    /table \d+: share: table \d+ is disposed/,
    (m) => m.a.share(m.h, m.gone, 0),
  ],
  [
    "move from a map table into a disposed table",
    LifeCycleError,
    /table \d+: moveTo: table \d+ is disposed/,
    (m) => m.b.moveTo(m.mh, m.gone),
  ],
  [
    "create in a disposed map table",
    LifeCycleError,
    /table \d+: create\(port#\d+, rights=0x0\): the table is disposed/,
    (m) => m.goneMap.create(m.o, 0),
  ],
  [
    "wait on no object",
    InvalidArgumentError,
    /objectWaitMany\(waiter=1, 0 items, deadline=null\): expected 1\.\.64 items/,
    (m) => objectWaitMany(m.host, 1, [], null),
  ],
  [
    "wait on 65 objects",
    InvalidArgumentError,
    /65 items.*expected 1\.\.64 items/,
    (m) =>
      objectWaitMany(
        m.host,
        1,
        Array.from({ length: 65 }, () => ({ object: m.o, mask: 1 << 8 })),
        100,
      ),
  ],
  [
    "wait with a negative deadline",
    InvalidArgumentError,
    /deadline=-1\): the deadline is not a time/,
    (m) => objectWaitMany(m.host, 1, [{ object: m.o, mask: 1 << 8 }], -1),
  ],
  [
    "wait with a mask that is not a bit set",
    InvalidArgumentError,
    /mask=-2 is not a bit set/,
    (m) =>
      objectWaitMany(
        m.host,
        1,
        [
          { object: m.o, mask: 1 << 8 },
          { object: m.o, mask: -2 },
        ],
        100,
      ),
  ],
  [
    "wait on a destroyed object (after a good item)",
    LifeCycleError,
    /port#\d+ is destroyed/,
    (m) =>
      objectWaitMany(
        m.host,
        1,
        [
          { object: m.o, mask: 1 << 8 },
          { object: m.destroyed, mask: 1 << 8 },
        ],
        100,
      ),
  ],
  [
    "split a quota by zero",
    InvalidArgumentError,
    /QuotaPool\(p\)\.split\(port, 0\): expected a positive integer/,
    (m) => m.pool.split("port", 0),
  ],
  [
    "build a quota pool with a fractional limit",
    InvalidArgumentError,
    /QuotaPool\(q\): limit for port is 1\.5, expected an integer ≥ 0/,
    (m) => new QuotaPool("q", { thread: 2, port: 1.5 }, m.pool),
  ],
  [
    "define a type whose name is taken",
    InvalidArgumentError,
    /defineType\("port"\): a type of that name exists/,
    (m) => m.space.defineType({ name: "port", rights: ["other"] }),
  ],
  [
    "ask a type for a right it does not define",
    UnknownRightError,
    /port\.right\("bind_irq"\): no such right; defined: .*send/,
    (m) => m.port.right("bind_irq"),
  ],
  [
    "bind a quota charge twice",
    QuotaError,
    /QuotaCharge\(port\)\.bind: charge already bound/,
    (m) => new KernelObject(m.space, m.port, { charge: m.charge }),
  ],
];

describe("every misuse throws its typed error and changes nothing", () => {
  for (const [name, type, message, call] of cases) {
    it(name, () => {
      const m = machine();
      const before = state(m);
      expect(() => call(m)).toThrow(type);
      expect(() => call(m)).toThrow(message);
      expect(state(m)).toBe(before);
      m.space.checkInvariants();
      // No koid was consumed by a refused construction either: machine() made koids 1..4.
      expect(new KernelObject(m.space, m.port).koid).toBe(5);
    });
  }
});
