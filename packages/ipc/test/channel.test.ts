import {
  GENERIC_RIGHTS,
  type Handle,
  KernelObject,
  ObjectSpace,
  objectWait,
  Right,
  Signal,
  SimulatedWaitHost,
  SlotHandleTable,
} from "@osbricks/objects";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import {
  channelRead,
  channelWrite,
  createChannel,
  defineIpcTypes,
  IpcArgumentError,
  MAX_CHANNEL_HANDLES,
  MAX_CHANNEL_MESSAGE_BYTES,
} from "../src/index.js";
import { channelLaws } from "../src/laws/index.js";
import { failureOf } from "./law-failure.js";

const RW = Right.READ | Right.WRITE | Right.WAIT | Right.TRANSFER | Right.DUPLICATE;

function rig(options: Parameters<typeof createChannel>[2] = {}) {
  const space = new ObjectSpace();
  const types = defineIpcTypes(space);
  const eventType = space.defineType({ name: "event" });
  const [a, b] = createChannel(space, types, options);
  const ta = new SlotHandleTable(space, { capacity: 16 });
  const tb = new SlotHandleTable(space, { capacity: 16 });
  const ha = ok(ta.create(a, RW));
  const hb = ok(tb.create(b, RW));
  const event = (table: SlotHandleTable, rights = Right.TRANSFER | Right.WAIT) =>
    ok(table.create(new KernelObject(space, eventType), rights));
  const check = () => {
    space.checkInvariants();
    if (a.state !== "destroyed") a.checkInvariants();
    if (b.state !== "destroyed") b.checkInvariants();
  };
  return { space, types, a, b, ta, tb, ha, hb, event, check };
}

function ok(r: { readonly kind: string }): Handle {
  if (r.kind !== "ok") throw new Error(`expected ok, got ${JSON.stringify(r)}`);
  return (r as unknown as { readonly handle: Handle }).handle;
}

const bytes = (...v: number[]) => Uint8Array.from(v);

describe("channel, message mode", () => {
  it("delivers whole messages in order and keeps readable/writable signals true to the queues", () => {
    const { types, a, b, ta, tb, ha, hb, check } = rig({ maxMessages: 2 });
    const readable = types.channel.signal("readable");
    const writable = types.channel.signal("writable");
    expect(a.signals & writable).toBeTruthy();
    expect(channelWrite(ta, types, ha, bytes(1, 2))).toEqual({ kind: "ok", bytes: 2, handles: 0 });
    expect(b.signals & readable).toBeTruthy();
    expect(channelWrite(ta, types, ha, bytes(3))).toMatchObject({ kind: "ok" });
    expect(a.signals & writable).toBe(0);
    expect(channelWrite(ta, types, ha, bytes(4))).toEqual({
      kind: "would-block",
      waitFor: writable | Signal.PEER_CLOSED,
    });
    const r1 = channelRead(tb, types, hb, 16);
    expect(r1.kind === "ok" && [...r1.bytes]).toEqual([1, 2]);
    expect(a.signals & writable).toBeTruthy();
    const r2 = channelRead(tb, types, hb, 16);
    expect(r2.kind === "ok" && [...r2.bytes]).toEqual([3]);
    expect(b.signals & readable).toBe(0);
    expect(channelRead(tb, types, hb, 16).kind).toBe("would-block");
    check();
  });

  it("moves handles out of the writer's table and into the reader's, exactly once", () => {
    const { types, ta, tb, ha, hb, event, check } = rig();
    const e1 = event(ta);
    const e2 = event(ta);
    const obj1 = ta.lookup(e1, null, 0);
    expect(channelWrite(ta, types, ha, bytes(9), [e1, e2])).toEqual({ kind: "ok", bytes: 1, handles: 2 });
    expect(ta.lookup(e1, null, 0).kind).toBe("bad-handle");
    expect(ta.size).toBe(1);
    check();
    const r = channelRead(tb, types, hb, 16);
    if (r.kind !== "ok") throw new Error(r.kind);
    expect(r.handles).toHaveLength(2);
    const got = tb.lookup(r.handles[0]!, null, 0);
    expect(got.kind === "ok" && obj1.kind === "ok" && got.object === obj1.object).toBe(true);
    expect(tb.size).toBe(3);
    check();
  });

  it("refuses untransferable handles and leaves message and every handle with the writer", () => {
    const { types, ta, tb, ha, hb, event, check } = rig();
    const good = event(ta);
    const noTransfer = event(ta, Right.WAIT);
    const cases: Array<[number[], string]> = [
      [[good, noTransfer], "access-denied"],
      [[good, 0x7777], "bad-handle"],
      [[good, ha], "self"],
      [[good, good], "duplicate"],
    ];
    for (const [list, reason] of cases) {
      const before = ta.size;
      expect(channelWrite(ta, types, ha, bytes(1), list)).toMatchObject({
        kind: "bad-transfer",
        reason,
        index: 1,
      });
      expect(ta.size).toBe(before);
      expect(ta.lookup(good, null, Right.TRANSFER).kind).toBe("ok");
    }
    // The peer end cannot travel through its own channel either.
    const peerInA = ok(tb.moveTo(hb, ta));
    expect(channelWrite(ta, types, ha, bytes(1), [peerInA])).toMatchObject({
      kind: "bad-transfer",
      reason: "self",
    });
    expect(channelRead(ta, types, ha, 16).kind).toBe("would-block");
    check();
  });

  it("refuses wrong-type and closed handles, missing rights, oversize messages, too many handles", () => {
    const { types, ta, ha, event, a } = rig({ maxBytes: 8 });
    const ev = event(ta);
    expect(channelWrite(ta, types, ev, bytes(1))).toMatchObject({ kind: "wrong-type", expected: "channel" });
    expect(channelWrite(ta, types, 0x5555, bytes(1))).toMatchObject({ kind: "bad-handle" });
    const closed = ok(ta.duplicate(ha, Right.WRITE));
    ta.close(closed);
    expect(channelWrite(ta, types, closed, bytes(1))).toMatchObject({ kind: "bad-handle" });
    const readOnly = ok(ta.duplicate(ha, Right.READ));
    expect(channelWrite(ta, types, readOnly, bytes(1))).toMatchObject({
      kind: "access-denied",
      missing: Right.WRITE,
    });
    expect(channelWrite(ta, types, ha, new Uint8Array(9))).toEqual({ kind: "too-large", bytes: 9, limit: 8 });
    const many = Array.from({ length: MAX_CHANNEL_HANDLES + 1 }, () => ev);
    expect(channelWrite(ta, types, ha, bytes(1), many)).toMatchObject({ kind: "too-many-handles" });
    expect(a.peer!.pending).toBe(0);
  });

  // Zircon's ZX_CHANNEL_MAX_MSG_BYTES is 65536 whatever a channel's queue holds: a channel built
  // with a 1 MiB queue used to take a 100 KiB message whole.
  it("refuses a message over 65536 bytes (ZX_CHANNEL_MAX_MSG_BYTES) even when the queue could hold it", () => {
    const { types, ta, ha, a } = rig({ maxBytes: 1 << 20 });
    expect(MAX_CHANNEL_MESSAGE_BYTES).toBe(65536);
    expect(channelWrite(ta, types, ha, new Uint8Array(65537))).toEqual({
      kind: "too-large",
      bytes: 65537,
      limit: 65536,
    });
    expect(a.peer!.pending).toBe(0);
    expect(channelWrite(ta, types, ha, new Uint8Array(65536))).toMatchObject({ kind: "ok", bytes: 65536 });
    // A stream channel is a byte pipe: no message, no message limit (it moves what fits).
    const s = rig({ mode: "stream", maxBytes: 1 << 17 });
    expect(channelWrite(s.ta, s.types, s.ha, new Uint8Array(100_000))).toMatchObject({
      kind: "ok",
      bytes: 100_000,
    });
  });

  it("leaves a message queued when the reader's buffer or table is too small", () => {
    const { types, ta, tb, ha, hb, event } = rig();
    const e = event(ta);
    channelWrite(ta, types, ha, bytes(1, 2, 3), [e]);
    expect(channelRead(tb, types, hb, 2)).toEqual({ kind: "buffer-too-small", bytes: 3, handles: 1 });
    expect(channelRead(tb, types, hb, 8, 0)).toEqual({ kind: "buffer-too-small", bytes: 3, handles: 1 });
    for (let i = tb.size; i < tb.capacity; i++) event(tb);
    expect(channelRead(tb, types, hb, 8)).toMatchObject({ kind: "table-full" });
    expect(channelRead(tb, types, hb, 8, 1).kind).toBe("table-full");
  });

  it("closing one end wakes the other's waiters with PEER_CLOSED; reads drain then report peer-closed", () => {
    const { types, b, ta, tb, ha, hb, event, space, check } = rig();
    channelWrite(ta, types, ha, bytes(5), [event(ta)]);
    channelRead(tb, types, hb, 8);
    channelWrite(ta, types, ha, bytes(6));
    const host = new SimulatedWaitHost();
    // A thread of B's process waits for writable-or-peer-closed on a full queue; another waits
    // for readable on an empty one.
    const r = channelRead(tb, types, hb, 8);
    expect(r.kind).toBe("ok");
    const wr = objectWait(host, 7, b, types.channel.signal("readable") | Signal.PEER_CLOSED, null);
    expect(wr.kind).toBe("blocked");
    expect(ta.close(ha).kind).toBe("ok");
    expect(host.wakes).toHaveLength(1);
    expect(host.wakes[0]!.result.kind).toBe("satisfied");
    expect(host.wakes[0]!.result.observed[0]! & Signal.PEER_CLOSED).toBeTruthy();
    expect(channelRead(tb, types, hb, 8)).toEqual({ kind: "peer-closed" });
    expect(channelWrite(tb, types, hb, bytes(1))).toEqual({ kind: "peer-closed" });
    check();
    space.checkInvariants();
  });

  it("handles in messages never read are closed with the reader's end (no leak)", () => {
    const { types, ta, tb, ha, hb, event, space } = rig();
    const e = event(ta);
    const obj = ta.lookup(e, null, 0);
    channelWrite(ta, types, ha, bytes(1), [e]);
    tb.close(hb);
    expect(obj.kind === "ok" && obj.object.state).toBe("destroyed");
    space.checkInvariants();
  });
});

describe("channel, stream mode", () => {
  it("moves what fits (partial write) and what is there (partial read)", () => {
    const { types, ta, tb, ha, hb, check } = rig({ mode: "stream", maxBytes: 4 });
    expect(channelWrite(ta, types, ha, bytes(1, 2, 3, 4, 5, 6))).toEqual({
      kind: "ok",
      bytes: 4,
      handles: 0,
    });
    expect(channelWrite(ta, types, ha, bytes(7)).kind).toBe("would-block");
    const r = channelRead(tb, types, hb, 3);
    expect(r.kind === "ok" && [...r.bytes]).toEqual([1, 2, 3]);
    expect(channelWrite(ta, types, ha, bytes(5, 6, 7))).toEqual({ kind: "ok", bytes: 3, handles: 0 });
    const r2 = channelRead(tb, types, hb, 10);
    expect(r2.kind === "ok" && [...r2.bytes]).toEqual([4, 5, 6, 7]);
    check();
  });

  it("carries no handles", () => {
    const { types, ta, ha, event } = rig({ mode: "stream" });
    expect(channelWrite(ta, types, ha, bytes(1), [event(ta)])).toMatchObject({
      kind: "bad-transfer",
      reason: "stream",
    });
  });

  it("a stream read of all written bytes, in any chunking, returns the bytes in order (property)", () => {
    fc.assert(
      fc.property(
        fc.array(fc.oneof(fc.record({ w: fc.uint8Array({ maxLength: 12 }) }), fc.record({ r: fc.nat(12) })), {
          maxLength: 40,
        }),
        (ops) => {
          const { types, ta, tb, ha, hb, check } = rig({ mode: "stream", maxBytes: 16 });
          const sent: number[] = [];
          const got: number[] = [];
          for (const op of ops) {
            if ("w" in op) {
              const res = channelWrite(ta, types, ha, op.w);
              if (res.kind === "ok") sent.push(...op.w.subarray(0, res.bytes));
              else expect(res.kind).toBe(op.w.length === 0 ? "ok" : "would-block");
            } else {
              const res = channelRead(tb, types, hb, op.r);
              if (res.kind === "ok") got.push(...res.bytes);
            }
            check();
          }
          expect(sent.slice(0, got.length)).toEqual(got);
        },
      ),
      { numRuns: 60 },
    );
  });
});

describe("channel passes the channel laws", () => {
  const impl = { create: createChannel, write: channelWrite, read: channelRead };
  for (const law of channelLaws(impl, { numRuns: 60 })) it(law.name, () => law.check());
});

describe("the channel laws reject broken channels", () => {
  type Impl = Parameters<typeof channelLaws>[0];
  const real: Impl = { create: createChannel, write: channelWrite, read: channelRead };
  /** The first of the channel laws that `impl` fails, as {@link failureOf} reads it. */
  const failureOfLaws = (impl: Impl): string =>
    failureOf({
      check: () => {
        for (const law of channelLaws(impl, { numRuns: 100, seed: 11 })) law.check();
      },
    });

  it("one that ignores the bound it was created with", () => {
    const unbounded: Impl = { ...real, create: (s, t, o) => createChannel(s, t, { ...o, maxMessages: 64 }) };
    expect(failureOfLaws(unbounded)).toMatch(/write to a full channel gave ok/);
  });

  it("one that clamps a message to 64 KiB instead of refusing it (the directed limits law)", () => {
    const clamping: Impl = {
      ...real,
      write: (tb, ty, h, b, hs) => channelWrite(tb, ty, h, b.subarray(0, MAX_CHANNEL_MESSAGE_BYTES), hs),
    };
    expect(failureOfLaws(clamping)).toMatch(
      /a 65537-byte message on a 1 MiB queue gave ok, expected too-large/,
    );
  });

  it("one that moves the handles it can and drops the rest past 64 (the directed limits law)", () => {
    const dropping: Impl = {
      ...real,
      write: (tb, ty, h, b, hs) => channelWrite(tb, ty, h, b, hs.slice(0, MAX_CHANNEL_HANDLES)),
    };
    expect(failureOfLaws(dropping)).toMatch(/a message with 65 handles gave ok, expected too-many-handles/);
  });

  it("one that truncates messages to their first two bytes", () => {
    const truncating: Impl = {
      ...real,
      write: (tb, ty, h, b, hs) => channelWrite(tb, ty, h, b.subarray(0, 2), hs),
    };
    expect(failureOfLaws(truncating)).toMatch(/read \[[\d,]*\], model expects|reported 2 bytes/);
  });

  it("one that reads the newest queued message first", () => {
    const stash = new Map<object, Array<ReturnType<typeof channelRead>>>();
    const lifo: Impl = {
      ...real,
      read: (table, types, h, max) => {
        const mine = stash.get(table) ?? [];
        stash.set(table, mine);
        for (
          let r = channelRead(table, types, h, max);
          r.kind === "ok";
          r = channelRead(table, types, h, max)
        )
          mine.push(r);
        return mine.pop() ?? channelRead(table, types, h, max);
      },
    };
    expect(failureOfLaws(lifo)).toMatch(/model expects writer|write refused|gave ok/);
  });

  // The seven below passed the law while messages carried at most one handle, always with
  // TRANSFER alone, and were never shorter than 2 bytes.
  it("one that hands the reader every right of a sent handle (privilege escalation)", () => {
    const escalating: Impl = {
      ...real,
      read: (table, types, h, max) => {
        const r = channelRead(table, types, h, max);
        if (r.kind !== "ok") return r;
        const handles = r.handles.map((x) => {
          const l = table.lookup(x, null, 0);
          const c = l.kind === "ok" ? table.create(l.object, GENERIC_RIGHTS) : null;
          table.close(x);
          return c?.kind === "ok" ? c.handle : x;
        });
        return { ...r, handles };
      },
    };
    expect(failureOfLaws(escalating)).toMatch(/keeps exactly its rights/);
  });

  it("one that moves only the first handle of a message", () => {
    const firstOnly: Impl = {
      ...real,
      write: (tb, ty, h, b, hs) => channelWrite(tb, ty, h, b, hs.slice(0, 1)),
    };
    // Seen either way: a second handle stays behind, or a second one without TRANSFER goes unchecked.
    expect(failureOfLaws(firstOnly)).toMatch(
      /handle 1 of \d sent is still in the writer's table|listing handle 1 without the TRANSFER right gave ok/,
    );
  });

  it("one that delivers a message's handles in reverse order", () => {
    const reversing: Impl = {
      ...real,
      read: (tb, ty, h, max) => {
        const r = channelRead(tb, ty, h, max);
        return r.kind === "ok" ? { ...r, handles: [...r.handles].reverse() } : r;
      },
    };
    expect(failureOfLaws(reversing)).toMatch(/out of order/);
  });

  it("one that sends a handle its holder may not transfer", () => {
    const ignoresRight: Impl = {
      ...real,
      write: (tb, ty, h, b, hs) => {
        const granted = hs.map((x) => {
          const l = tb.lookup(x, null, 0);
          if (l.kind !== "ok" || (l.rights & Right.TRANSFER) !== 0) return x;
          const c = tb.create(l.object, l.rights | Right.TRANSFER);
          tb.close(x);
          return c.kind === "ok" ? c.handle : x;
        });
        return channelWrite(tb, ty, h, b, granted);
      },
    };
    expect(failureOfLaws(ignoresRight)).toMatch(/without the TRANSFER right gave ok/);
  });

  it("one that moves the handles before a bad one and keeps them moved when it refuses", () => {
    const noRollback: Impl = {
      ...real,
      write: (tb, ty, h, b, hs) => {
        const r = channelWrite(tb, ty, h, b, hs);
        if (r.kind === "bad-transfer") for (let i = 0; i < r.index; i++) tb.close(hs[i]!);
        return r;
      },
    };
    expect(failureOfLaws(noRollback)).toMatch(/a write refused bad-transfer took handle 0/);
  });

  it("one that reports an empty message as written without queueing it", () => {
    const dropsEmpty: Impl = {
      ...real,
      write: (tb, ty, h, b, hs) =>
        b.length === 0 && hs.length === 0
          ? { kind: "ok", bytes: 0, handles: 0 }
          : channelWrite(tb, ty, h, b, hs),
    };
    expect(failureOfLaws(dropsEmpty)).toMatch(/read gave would-block, model has writer 0 #0/);
  });

  it("one whose read takes an empty message for an empty queue", () => {
    const emptyIsNothing: Impl = {
      ...real,
      read: (tb, ty, h, max) => {
        const r = channelRead(tb, ty, h, max);
        return r.kind === "ok" && r.bytes.length === 0 && r.handles.length === 0
          ? { kind: "would-block", waitFor: 0 }
          : r;
      },
    };
    expect(failureOfLaws(emptyIsNothing)).toMatch(/read gave would-block, model has writer 0 #0/);
  });

  it("one that drops queued messages when the writing end closes", () => {
    const dropping: Impl = {
      ...real,
      read: (table, types, h, max) => {
        const l = table.lookup(h, types.channel, Right.READ);
        if (l.kind === "ok" && l.object.peer === null) return { kind: "peer-closed" };
        return channelRead(table, types, h, max);
      },
    };
    expect(failureOfLaws(dropping)).toMatch(/read gave peer-closed, model has writer/);
  });
});

describe("createChannel refuses bad options before creating anything", () => {
  const bad: Array<[string, Parameters<typeof createChannel>[2], RegExp]> = [
    ["maxMessages 0", { maxMessages: 0 }, /createChannel\(maxMessages=0\).*positive integer/],
    ["maxMessages 1.5", { maxMessages: 1.5 }, /createChannel\(maxMessages=1\.5\).*positive integer/],
    ["maxBytes 0", { maxBytes: 0 }, /createChannel\(maxBytes=0\).*positive integer/],
    ["a stream of 0 bytes", { mode: "stream", maxBytes: 0 }, /createChannel\(maxBytes=0\).*positive integer/],
    ["an unknown mode", { mode: "bogus" as never }, /createChannel\(mode=bogus\).*"message" or "stream"/],
  ];
  for (const [what, options, message] of bad) {
    it(what, () => {
      const space = new ObjectSpace();
      const types = defineIpcTypes(space);
      expect(() => createChannel(space, types, options)).toThrow(IpcArgumentError);
      expect(() => createChannel(space, types, options)).toThrow(message);
      expect(space.liveObjects()).toEqual([]);
      expect(space.tables()).toEqual([]);
      space.checkInvariants();
    });
  }
});
