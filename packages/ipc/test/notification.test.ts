import { Pic8259 } from "@osbricks/hw-x86";
import { KernelObject, ObjectSpace, Right, SlotHandleTable } from "@osbricks/objects";
import { describe, expect, it } from "vitest";
import {
  decodeTag,
  defineIpcTypes,
  EndpointObject,
  IpcArgumentError,
  IpcStateError,
  IpcStatus,
  IpcThreads,
  IRQ_LABEL,
  IrqRouter,
  MR_COUNT,
  NO_WAIT,
  Notification,
  NotificationObject,
} from "../src/index.js";

function rig(n = 4) {
  const woken: Array<[number, number]> = [];
  const threads = new IpcThreads({ maxThreads: n, waker: { wake: (t, s) => woken.push([t, s]) } });
  return { threads, woken, note: new Notification(threads) };
}

describe("Notification", () => {
  it("merges signals that arrive while nobody waits (the TSDoc example)", () => {
    const { threads, note } = rig();
    note.signal(0b0100);
    note.signal(0b0001);
    note.signal(0b0001);
    expect(note.pending).toBe(0b0101);
    expect(note.wait(0)).toBe(IpcStatus.Ok);
    expect(threads.word[0]).toBe(0b0101);
    expect(note.pending).toBe(0);
    expect(note.wait(0, NO_WAIT)).toBe(IpcStatus.WouldBlock);
  });

  it("a signal wakes the first waiter only, with the collected bits", () => {
    const { threads, woken, note } = rig();
    note.wait(1);
    note.wait(2);
    expect(note.signal(0x8000_0000)).toBe(1);
    expect(woken).toEqual([[1, IpcStatus.Ok]]);
    expect(threads.word[1]! >>> 0).toBe(0x8000_0000);
    expect(note.queuedWaiters()).toEqual([2]);
    note.checkInvariants();
  });

  it("destroy wakes every waiter with Closed; later waits return Closed, signals are dropped", () => {
    const { woken, note } = rig();
    note.wait(0);
    note.wait(3);
    expect(note.destroy()).toEqual([0, 3]);
    expect(woken).toEqual([
      [0, IpcStatus.Closed],
      [3, IpcStatus.Closed],
    ]);
    expect(note.signal(1)).toBe(-1);
    expect(note.wait(1)).toBe(IpcStatus.Closed);
  });

  it("times out and cancels", () => {
    const { threads, woken, note } = rig();
    note.wait(0, 10);
    note.wait(1);
    threads.advanceTo(10);
    threads.cancel(1);
    expect(woken).toEqual([
      [0, IpcStatus.TimedOut],
      [1, IpcStatus.Cancelled],
    ]);
    expect(note.queuedWaiters()).toEqual([]);
  });

  it("a priority-ordered notification serves its waiters by priority, and follows a priority change", () => {
    const { threads, woken } = rig();
    const note = new Notification(threads, { order: "priority" });
    for (const t of [0, 1, 2]) note.wait(t);
    expect(note.queuedWaiters()).toEqual([0, 1, 2]);
    threads.setPriority(2, 3);
    expect(note.queuedWaiters()).toEqual([2, 0, 1]);
    note.checkInvariants();
    note.signal(0b100);
    expect(woken).toEqual([[2, IpcStatus.Ok]]);
  });

  it("rejects bit masks that are not 32-bit", () => {
    const { note } = rig();
    expect(() => note.signal(-1)).toThrow(IpcArgumentError);
    expect(() => note.signal(2 ** 32)).toThrow(IpcArgumentError);
  });
});

describe("IRQ delivery (bind_irq)", () => {
  function machine() {
    const space = new ObjectSpace();
    const types = defineIpcTypes(space);
    const systemType = space.defineType({ name: "system", rights: ["bind_irq"] });
    const woken: Array<[number, number]> = [];
    const threads = new IpcThreads({ maxThreads: 4, waker: { wake: (t, s) => woken.push([t, s]) } });
    const table = new SlotHandleTable(space, { capacity: 16 });
    const pic = new Pic8259({ levelLines: [5] });
    const router = new IrqRouter(pic);
    return { space, types, systemType, threads, woken, table, pic, router };
  }

  it("delivers an edge line to a bound notification and sends the EOI", () => {
    const { threads, woken, pic, router } = machine();
    const note = new Notification(threads);
    router.bind(4, { kind: "notification", notification: note, bits: 1 << 4 });
    note.wait(2);
    pic.raise(4);
    pic.lower(4);
    expect(router.dispatch(pic.acknowledge()!)).toBe(2);
    expect(woken).toEqual([[2, IpcStatus.Ok]]);
    expect(threads.word[2]).toBe(1 << 4);
    expect(pic.isInService(4)).toBe(false);
    router.checkInvariants();
  });

  it("delivers to an endpoint as a kernel message, pending until a receive if nobody waits", () => {
    const { space, types, threads, pic, router } = machine();
    const epObj = new EndpointObject(space, types.endpoint, threads);
    router.bind(3, { kind: "endpoint", endpoint: epObj.endpoint });
    pic.raise(3);
    pic.lower(3);
    expect(router.dispatch(pic.acknowledge()!)).toBe(-1);
    expect(epObj.endpoint.pendingIrqs).toBe(1 << 3);
    expect(epObj.endpoint.receive(1)).toBe(IpcStatus.Ok);
    expect(decodeTag(threads.mr[1 * MR_COUNT]!).label).toBe(IRQ_LABEL);
    expect(threads.mr[1 * MR_COUNT + 1]).toBe(3);
    expect(threads.replyCap[1]).toBe(-1);
    expect(epObj.endpoint.receive(1)).toBe(IpcStatus.Blocked);
    pic.raise(3);
    pic.lower(3);
    expect(router.dispatch(pic.acknowledge()!)).toBe(1);
  });

  it("masks a level line until the driver acks, so a still-high line does not storm", () => {
    const { threads, pic, router } = machine();
    const note = new Notification(threads);
    router.bind(5, { kind: "notification", notification: note, bits: 1 });
    pic.raise(5);
    router.dispatch(pic.acknowledge()!);
    expect(pic.isMasked(5)).toBe(true);
    expect(pic.acknowledge()).toBeNull();
    expect(router.stats(5)).toEqual({ delivered: 1, awaitingAck: true });
    router.checkInvariants();
    pic.lower(5);
    router.ack(5);
    expect(pic.isMasked(5)).toBe(false);
    expect(() => router.ack(6)).toThrow(IpcStateError);
  });

  it("a notification binding must carry at least one bit of a 32-bit word: refused at bind, not at the interrupt", () => {
    // Before: bits 0 was accepted and every interrupt was delivered as nothing (lost, and a level
    // line stayed masked for an ack nobody knew to send); bits 2^32 or 1.5 were accepted and the
    // interrupt path threw from signal() after masking the line, before the EOI.
    const { space, types, systemType, threads, table, pic, router } = machine();
    const note = new Notification(threads);
    const masked = pic.isMasked(5);
    for (const bits of [0, 2 ** 32, -1, 1.5, Number.NaN]) {
      expect(() => router.bind(5, { kind: "notification", notification: note, bits })).toThrow(
        `bind(line=5, bits=${bits}): expected an integer in 1..0xFFFFFFFF`,
      );
      expect(router.stats(5)).toBeUndefined();
      expect(pic.isMasked(5)).toBe(masked);
    }
    const system = new KernelObject(space, systemType);
    const sys = table.create(system, systemType.right("bind_irq"));
    const noteObj = new NotificationObject(space, types.notification, threads);
    const target = table.create(noteObj, Right.WRITE | Right.WAIT);
    if (sys.kind !== "ok" || target.kind !== "ok") throw new Error("setup");
    expect(() => router.bindWithHandles(table, types, systemType, sys.handle, 5, target.handle, 0)).toThrow(
      "bindWithHandles(line=5, bits=0): expected an integer in 1..0xFFFFFFFF",
    );
    // A bad line is refused by name too, before the handles are looked at.
    expect(() => router.bindWithHandles(table, types, systemType, sys.handle, 40, target.handle)).toThrow(
      "bindWithHandles(line=40): expected a line in 0..7",
    );
    expect(router.stats(5)).toBeUndefined();
    router.checkInvariants();
    // The default bits of bindWithHandles is the line's own bit, and it is delivered.
    expect(router.bindWithHandles(table, types, systemType, sys.handle, 5, target.handle)).toEqual({
      kind: "ok",
    });
    noteObj.notification.wait(1);
    pic.raise(5);
    expect(router.dispatch(pic.acknowledge()!)).toBe(1);
    expect(threads.word[1]).toBe(1 << 5);
  });

  it("bind_irq needs the system object's bind_irq right and a writable target", () => {
    const { space, types, systemType, threads, table, router } = machine();
    const system = new KernelObject(space, systemType);
    const sysAll = table.create(system, systemType.right("bind_irq") | Right.DUPLICATE);
    const sysNone = table.create(system, Right.DUPLICATE);
    const noteObj = new NotificationObject(space, types.notification, threads);
    const target = table.create(noteObj, Right.WRITE | Right.WAIT);
    const readOnly = table.create(noteObj, Right.WAIT);
    if (sysAll.kind !== "ok" || sysNone.kind !== "ok" || target.kind !== "ok" || readOnly.kind !== "ok")
      throw new Error("setup");
    expect(router.bindWithHandles(table, types, systemType, sysNone.handle, 2, target.handle)).toMatchObject({
      kind: "access-denied",
    });
    expect(router.bindWithHandles(table, types, systemType, target.handle, 2, target.handle)).toMatchObject({
      kind: "wrong-type",
    });
    expect(router.bindWithHandles(table, types, systemType, sysAll.handle, 2, readOnly.handle)).toMatchObject(
      { kind: "access-denied" },
    );
    expect(router.bindWithHandles(table, types, systemType, sysAll.handle, 2, sysAll.handle)).toMatchObject({
      kind: "access-denied",
    });
    expect(router.bindWithHandles(table, types, systemType, sysAll.handle, 2, target.handle)).toEqual({
      kind: "ok",
    });
    expect(router.bindWithHandles(table, types, systemType, sysAll.handle, 2, target.handle)).toEqual({
      kind: "already-bound",
      line: 2,
    });
    expect(() =>
      router.bind(9, { kind: "notification", notification: noteObj.notification, bits: 1 }),
    ).toThrow(IpcArgumentError);
  });
});
