// The jsix personality's calls, one rule at a time, made directly through the dispatcher by the
// bench's first process; every refusal is checked to change nothing (a snapshot of handle tables,
// areas, objects, VMA mappings and counters before and after).
import { Right } from "@osbricks/objects";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import {
  capBit,
  EVENT_SIGNAL_SHIFT,
  J6Cap,
  J6ObjectType,
  J6Status,
  j6StatusName,
  KOID_SERIAL_MASK,
  koidSerial,
  koidType,
  Msg,
  makeKoid,
} from "../src/jsix/abi.js";
import { benchEntry, jbench, PAGE, SCRATCH } from "./jsix-harness.js";

const TERMINATED = 1 << 8;

/** Expect `f()` to return `status` and change nothing the snapshot sees. */
function refused(b: ReturnType<typeof jbench>, status: number, f: () => number): void {
  const before = b.snapshot();
  expect(j6StatusName(f())).toBe(j6StatusName(-status));
  expect(b.snapshot()).toBe(before);
  b.state.checkInvariants();
}

describe("koids", () => {
  it("carry the type in bits 24..30 and the serial below (worked example)", () => {
    expect(makeKoid(J6ObjectType.mailbox, 0x2a)).toBe(0x0600_002a);
    expect(koidType(0x0600_002a)).toBe(J6ObjectType.mailbox);
    expect(koidSerial(0x0600_002a)).toBe(0x2a);
    expect(() => makeKoid(128, 1)).toThrow(RangeError);
    expect(() => makeKoid(1, KOID_SERIAL_MASK + 1)).toThrow(RangeError);
  });

  it("round-trip and stay positive int32 for every type and serial", () => {
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 127 }), fc.integer({ min: 0, max: KOID_SERIAL_MASK }), (t, s) => {
        const k = makeKoid(t, s);
        return k >= 0 && k === (k | 0) && koidType(k) === t && koidSerial(k) === s;
      }),
      { numRuns: 100 },
    );
  });

  it("j6_object_koid names the object's type and serial; koids are unique", () => {
    const b = jbench();
    const ev = b.call("j6_event_create", []);
    const mb = b.call("j6_mailbox_create", []);
    const kev = b.call("j6_object_koid", [ev]);
    const kmb = b.call("j6_object_koid", [mb]);
    expect(koidType(kev)).toBe(J6ObjectType.event);
    expect(koidType(kmb)).toBe(J6ObjectType.mailbox);
    expect(koidSerial(kev)).not.toBe(koidSerial(kmb));
    const self = b.root.handleTable.list().find((h) => h.type === "process")!.handle;
    expect(koidType(b.call("j6_object_koid", [self]))).toBe(J6ObjectType.process);
    refused(b, J6Status.err_invalid_arg, () => b.call("j6_object_koid", [0x1234]));
  });
});

describe("handles", () => {
  it("clone keeps caps & mask; a clone without clone cannot be cloned; close ends the last handle's object", () => {
    const b = jbench();
    const ev = b.call("j6_event_create", []);
    const weak = b.call("j6_handle_clone", [ev, Right.WAIT]);
    expect(weak).toBeGreaterThan(0);
    expect(b.root.handleTable.lookup(weak, null, 0)).toMatchObject({ kind: "ok", rights: Right.WAIT });
    refused(b, J6Status.err_denied, () => b.call("j6_handle_clone", [weak, Right.WAIT]));
    refused(b, J6Status.err_invalid_arg, () => b.call("j6_handle_clone", [0x7777, -1]));
    const obj = b.root.handleTable.lookup(ev, null, 0);
    expect(obj.kind).toBe("ok");
    const o = (obj as { object: { alive: boolean; handleCount: number } }).object;
    expect(b.call("j6_handle_close", [ev])).toBe(0);
    expect(o.alive).toBe(true); // the clone keeps it
    expect(b.call("j6_handle_close", [weak])).toBe(0);
    expect(o.alive).toBe(false);
    refused(b, J6Status.err_invalid_arg, () => b.call("j6_handle_close", [weak]));
  });

  it("handle_list writes (handle, type, caps) in slot order and returns the count", () => {
    const b = jbench();
    const n = b.call("j6_handle_list", [SCRATCH, 2]);
    const all = b.root.handleTable.list();
    expect(n).toBe(all.length);
    expect(b.peek(SCRATCH)).toBe(all[0]!.handle);
    expect(b.peek(SCRATCH + 4)).toBe(J6ObjectType.process);
    expect(b.peek(SCRATCH + 12)).toBe(all[1]!.handle);
    refused(b, J6Status.err_invalid_arg, () => b.call("j6_handle_list", [0, 4]));
    refused(b, J6Status.err_invalid_arg, () => b.call("j6_handle_list", [SCRATCH, -1]));
  });
});

describe("processes and threads", () => {
  it("a created process is empty; give_handle needs clone+transfer; thread_create starts a program", () => {
    const b = jbench();
    const p = b.call("j6_process_create", []);
    const proc = [...b.k.processes.values()].find((x) => x.pid !== b.root.pid && x.pid !== 0)!;
    expect(proc.threads.length).toBe(0);
    expect(proc.vm.areaList().length).toBe(0);
    expect(proc.handleTable.list().map((h) => h.type)).toEqual(["process"]);
    const ev = b.call("j6_event_create", []);
    const noTransfer = b.call("j6_handle_clone", [ev, Right.WAIT | Right.DUPLICATE]);
    refused(b, J6Status.err_denied, () => b.call("j6_process_give_handle", [p, noTransfer]));
    const weakP = b.call("j6_handle_clone", [p, Right.WAIT | Right.DUPLICATE]);
    refused(b, J6Status.err_denied, () => b.call("j6_process_give_handle", [weakP, ev]));
    refused(b, J6Status.err_denied, () => b.call("j6_thread_create", [weakP, benchEntry("sleeper"), 0]));
    refused(b, J6Status.err_invalid_arg, () => b.call("j6_thread_create", [p, 999, 0]));
    refused(b, J6Status.err_invalid_arg, () => b.call("j6_thread_create", [ev, 1, 0]));
    const given = b.call("j6_process_give_handle", [p, ev]);
    expect(proc.handleTable.lookup(given, null, 0).kind).toBe("ok");
    const th = b.call("j6_thread_create", [p, benchEntry("sleeper"), 0]);
    expect(th).toBeGreaterThan(0);
    expect(proc.threads.length).toBe(1);
    expect(proc.image).toBe("sleeper");
    refused(b, J6Status.err_invalid_arg, () => b.call("j6_thread_create", [p, benchEntry("cap-demo"), 0]));
    b.state.checkInvariants();
  });

  it("kill asserts terminated; the process object ends with its last handle", () => {
    const b = jbench();
    const p = b.call("j6_process_create", []);
    const proc = [...b.k.processes.values()].find((x) => x.pid !== b.root.pid && x.pid !== 0)!;
    b.call("j6_thread_create", [p, benchEntry("sleeper"), 0]);
    const weak = b.call("j6_handle_clone", [p, Right.WAIT]);
    refused(b, J6Status.err_denied, () => b.call("j6_process_kill", [weak]));
    expect(b.call("j6_process_kill", [p])).toBe(0);
    expect(proc.signals & TERMINATED).toBe(TERMINATED);
    expect(b.call("j6_object_wait", [p, TERMINATED, 0])).toBe(proc.signals);
    refused(b, J6Status.err_not_ready, () => b.call("j6_process_kill", [p]));
    b.call("j6_handle_close", [p]);
    expect(proc.alive).toBe(false); // exited: it was dead already; now no handle either
    b.call("j6_handle_close", [weak]);
    expect(proc.state).toBe("destroyed");
    b.state.checkInvariants();
  });
});

describe("VMAs", () => {
  it("one VMA in two spaces is the same frames; unmap from one leaves the other; resize reaches both", () => {
    const b = jbench();
    const v = b.call("j6_vma_create_map", [PAGE, 0x2100_0000, 1]);
    expect(v).toBeGreaterThan(0);
    const p = b.call("j6_process_create", []);
    const proc = [...b.k.processes.values()].find((x) => x.pid !== b.root.pid && x.pid !== 0)!;
    expect(b.call("j6_vma_map", [v, p, 0x3000_0000])).toBe(0);
    b.poke(0x2100_0000, [0x1234_5678]);
    const vma = [...b.state.vmas][0]!;
    expect(vma.mappings.map((m) => m.va)).toEqual([0x2100_0000, 0x3000_0000]);
    refused(b, J6Status.exists, () => b.call("j6_vma_map", [v, p, 0x3100_0000]));
    const noResize = b.call("j6_handle_clone", [v, ~capBit("vma", "resize")]);
    refused(b, J6Status.err_denied, () => b.call("j6_vma_resize", [noResize, 2 * PAGE]));
    const noMap = b.call("j6_handle_clone", [v, ~J6Cap.vma_map]);
    refused(b, J6Status.err_denied, () => b.call("j6_vma_map", [noMap, p, 0x3800_0000]));
    expect(b.call("j6_vma_resize", [v, 2 * PAGE])).toBe(2 * PAGE);
    expect(
      b.call("j6_vma_unmap", [v, b.call("j6_handle_clone", [b.root.handleTable.list()[0]!.handle, -1])]),
    ).toBe(0);
    expect(vma.mappings.map((m) => m.process.pid)).toEqual([proc.pid]); // pids: a failing diff of Process graphs runs out of memory
    // The child still sees the frame srv.init wrote, and its grown page.
    const childSpace = proc.vm;
    const area = childSpace.findArea(0x3000_0000 + PAGE);
    expect(area?.object).toBe(vma.vmObject);
    expect(childSpace.findArea(0x3000_0000)?.object).toBe(vma.vmObject);
    refused(b, J6Status.err_invalid_arg, () =>
      b.call("j6_vma_unmap", [v, b.root.handleTable.list()[0]!.handle]),
    );
    b.state.checkInvariants();
  });

  it("a growth that does not fit in one space happens in none", () => {
    const b = jbench();
    const v = b.call("j6_vma_create_map", [PAGE, 0x2100_0000, 1]);
    b.call("j6_vma_create_map", [PAGE, 0x2100_0000 + PAGE, 1]); // the page after it is taken
    refused(b, J6Status.exists, () => b.call("j6_vma_resize", [v, 2 * PAGE]));
  });

  it("a dead process leaves every VMA's mappings", () => {
    const b = jbench();
    const v = b.call("j6_vma_create", [PAGE, 1]);
    const p = b.call("j6_process_create", []);
    b.call("j6_vma_map", [v, p, 0x3000_0000]);
    b.call("j6_thread_create", [p, benchEntry("sleeper"), 0]);
    b.call("j6_process_kill", [p]);
    expect([...b.state.vmas][0]!.mappings).toEqual([]);
    b.state.checkInvariants();
  });
});

describe("events, the log, mailboxes, futexes", () => {
  it("event_signal raises bits; event_wait takes them; a poll of nothing would block", () => {
    const b = jbench();
    const ev = b.call("j6_event_create", []);
    expect(b.call("j6_event_signal", [ev, 0b101, 0])).toBe(0);
    expect(b.call("j6_object_wait", [ev, 1 << EVENT_SIGNAL_SHIFT, 0])).toBe(0b101 << EVENT_SIGNAL_SHIFT);
    expect(b.call("j6_event_wait", [ev, 0])).toBe(0b101);
    expect(b.call("j6_event_wait", [ev, 0])).toBe(-J6Status.would_block);
    const noSignal = b.call("j6_handle_clone", [ev, ~J6Cap.event_signal]);
    refused(b, J6Status.err_denied, () => b.call("j6_event_signal", [noSignal, 1, 0]));
    refused(b, J6Status.err_invalid_arg, () => b.call("j6_event_signal", [ev, 256, 0]));
    expect(b.state.counters.signalsRaised).toBe(2);
  });

  it("j6_log feeds the system log; get_log drains it and lowers has_log", () => {
    const b = jbench();
    const sys = b.root.handleTable.list().find((h) => h.type === "system")!.handle;
    b.poke(SCRATCH, [0x6c6c6568, 0x6f]); // "hello"
    expect(b.call("j6_log", [SCRATCH, 5])).toBe(0);
    expect(b.state.system.signals & (1 << 8)).toBe(1 << 8);
    refused(b, J6Status.err_insufficient, () => b.call("j6_system_get_log", [sys, SCRATCH + 64, 3]));
    const n = b.call("j6_system_get_log", [sys, SCRATCH + 64, 100]);
    expect(n).toBe(`[${b.root.pid}] hello`.length);
    expect(b.state.system.signals & (1 << 8)).toBe(0);
    expect(b.call("j6_system_get_log", [sys, SCRATCH + 64, 100])).toBe(0);
    const noLog = b.call("j6_handle_clone", [sys, ~capBit("system", "get_log")]);
    refused(b, J6Status.err_denied, () => b.call("j6_system_get_log", [noLog, SCRATCH, 100]));
  });

  it("a respond naming no call in flight is refused; a message's handle needs transfer", () => {
    const b = jbench();
    const mb = b.call("j6_mailbox_create", []);
    b.poke(SCRATCH, [1, 42, 0, -1, 0, 0, 0, 0, 0, 0]);
    refused(b, J6Status.err_invalid_arg, () => b.call("j6_mailbox_respond", [mb, SCRATCH, 0]));
    b.poke(SCRATCH, [1, 0, 0, -1, 0, 0, 0, 0, 0, 0]);
    expect(b.call("j6_mailbox_respond", [mb, SCRATCH, 0])).toBe(-J6Status.would_block);
    const sendOnly = b.call("j6_handle_clone", [mb, capBit("mailbox", "send")]);
    refused(b, J6Status.err_denied, () => b.call("j6_mailbox_respond", [sendOnly, SCRATCH, 0]));
    const ev = b.call("j6_event_create", []);
    const noTransfer = b.call("j6_handle_clone", [ev, Right.WAIT]);
    b.poke(SCRATCH + Msg.HANDLE, [noTransfer]);
    refused(b, J6Status.err_denied, () => b.call("j6_mailbox_call", [mb, SCRATCH]));
  });

  it("futex_wait on a changed word would block; futex_wake of nobody wakes 0", () => {
    const b = jbench();
    b.poke(SCRATCH, [7]);
    expect(b.call("j6_futex_wait", [SCRATCH, 8, -1])).toBe(-J6Status.would_block);
    expect(b.call("j6_futex_wake", [SCRATCH, 1])).toBe(0);
    refused(b, J6Status.err_invalid_arg, () => b.call("j6_futex_wait", [SCRATCH + 2, 7, -1]));
  });

  it("a poll (timeout 0) of a futex whose word still matches would block, and queues nothing", () => {
    const b = jbench();
    b.poke(SCRATCH, [7]);
    refused(b, J6Status.would_block, () => b.call("j6_futex_wait", [SCRATCH, 7, 0]));
    expect(b.state.counters.futexWaits).toBe(0);
    expect(b.call("j6_futex_wake", [SCRATCH, 0])).toBe(0);
  });

  it("unknown numbers and malformed arguments become j6 codes, never errno", () => {
    const b = jbench();
    expect(b.k.dispatcher.dispatch(b.rootThread, 99, [])).toBe(-J6Status.err_nyi);
    expect(b.call("j6_event_create", [1])).toBe(-J6Status.err_invalid_arg);
    expect(b.call("j6_log", [0x10, 4])).toBe(-J6Status.err_invalid_arg);
  });
});
