// The microkernel's system calls, rule by rule: each refusal returns its L4 error and changes
// nothing (the snapshot of every handle table, every space's areas and the counters is equal
// before and after), and each accepted call does what its contract says.
import { IpcStatus, makeTag } from "@osbricks/ipc";
import { Right } from "@osbricks/objects";
import { describe, expect, it } from "vitest";
import {
  CapOp,
  codezeroSyscalls,
  IdOf,
  L4Error,
  l4ErrorName,
  MapProt,
  NIL,
  REPLY,
  ThreadOp,
  UTCB_BASE,
  utcbOf,
} from "../src/codezero/abi.js";
import { ENDPOINT_RIGHTS } from "../src/codezero/calls/cap.js";
import { l4Status } from "../src/codezero/calls/ipc.js";
import { l4 } from "../src/codezero/lib.js";
import { POOL_BASE } from "../src/codezero/servers/protocol.js";
import { type Bench, bench, PAGE } from "./codezero-harness.js";

const U = utcbOf(0);

/** Expect `run()` to return -code and leave the machine as it was. */
function refused(b: Bench, code: number, run: () => number): void {
  const before = b.snapshot();
  expect(l4ErrorName(run())).toBe(l4ErrorName(-code));
  expect(b.snapshot()).toBe(before);
}

function endpoint(b: Bench): number {
  const h = b.call("l4_capability_control", [CapOp.CREATE_ENDPOINT, 0, 0, 0]);
  expect(h).toBeGreaterThan(0);
  return h;
}

/** Create task `name` paged by `pager` (or NIL); returns its handle. */
function task(b: Bench, name: string, pager: number): number {
  const [p, n] = b.str(name);
  const h = b.call("l4_thread_control", [ThreadOp.CREATE, p, n, pager, 0]);
  expect(l4ErrorName(h)).toBe("ok");
  return h;
}

describe("the dispatcher speaks L4 codes", () => {
  it("an unknown number is ENOSYS, a wrong argument count EINVAL", () => {
    const b = bench();
    refused(b, L4Error.ENOSYS, () => b.k.dispatcher.dispatch(b.rootThread, 99, []));
    refused(b, L4Error.EINVAL, () =>
      b.k.dispatcher.dispatch(b.rootThread, codezeroSyscalls.decls.l4_getid.nr, []),
    );
    refused(b, L4Error.EINVAL, () => b.k.dispatcher.dispatch(b.rootThread, 5, [2 ** 40]));
  });

  it("every ipc status a wait can end with has an L4 code", () => {
    expect(l4Status(IpcStatus.Ok)).toBe(0);
    expect(l4Status(IpcStatus.TimedOut)).toBe(-L4Error.ETIMEOUT);
    expect(l4Status(IpcStatus.ReplyTimedOut)).toBe(-L4Error.ETIMEOUT);
    expect(l4Status(IpcStatus.Closed)).toBe(-L4Error.ENOPARTNER);
    expect(l4Status(IpcStatus.ReplyDropped)).toBe(-L4Error.ENOPARTNER);
    expect(l4Status(IpcStatus.Cancelled)).toBe(-L4Error.ECANCELLED);
    expect(l4Status(IpcStatus.InvalidReplyCap)).toBe(-L4Error.ECAP);
  });
});

describe("l4_ipc", () => {
  it("refuses shapes that are not send, call, receive or reply", () => {
    const b = bench();
    const ep = endpoint(b);
    const other = endpoint(b);
    refused(b, L4Error.EINVAL, () => b.call("l4_ipc", [NIL, NIL, -1, U]));
    refused(b, L4Error.EINVAL, () => b.call("l4_ipc", [ep, other, -1, U])); // send to one, receive on another
    refused(b, L4Error.EINVAL, () => b.call("l4_ipc", [-7, ep, -1, U]));
    refused(b, L4Error.EINVAL, () => b.call("l4_ipc", [ep, NIL, -2, U])); // timeout below -1
  });

  it("refuses a UTCB outside the caller's UTCB area, between UTCBs, or unmapped", () => {
    const b = bench();
    const ep = endpoint(b);
    refused(b, L4Error.EINVAL, () => b.call("l4_ipc", [ep, NIL, 0, 0x1000]));
    refused(b, L4Error.EINVAL, () => b.call("l4_ipc", [ep, NIL, 0, UTCB_BASE + 4]));
    b.root.vm.unmap(UTCB_BASE, PAGE);
    refused(b, L4Error.EFAULT, () => b.call("l4_ipc", [ep, NIL, 0, U]));
  });

  it("refuses a message of 16 words or with handle items", () => {
    const b = bench();
    const ep = endpoint(b);
    b.setMrs([makeTag({ label: 1, words: 16 })]);
    refused(b, L4Error.EINVAL, () => b.call("l4_ipc", [ep, NIL, 0, U]));
    b.setMrs([makeTag({ label: 1, words: 1, handles: 1 })]);
    refused(b, L4Error.EINVAL, () => b.call("l4_ipc", [ep, NIL, 0, U]));
  });

  it("needs a capability: ECAP for no handle, EPERM for one without the right", () => {
    const b = bench();
    const ep = endpoint(b);
    b.setMrs([makeTag({ label: 1, words: 0 })]);
    refused(b, L4Error.ECAP, () => b.call("l4_ipc", [0x7777, NIL, 0, U]));
    const readOnly = b.call("l4_capability_control", [CapOp.DERIVE, ep, Right.READ, 0]);
    const writeOnly = b.call("l4_capability_control", [CapOp.DERIVE, ep, Right.WRITE, 0]);
    refused(b, L4Error.EPERM, () => b.call("l4_ipc", [readOnly, NIL, 0, U]));
    refused(b, L4Error.EPERM, () => b.call("l4_ipc", [readOnly, readOnly, 0, U]));
    refused(b, L4Error.EPERM, () => b.call("l4_ipc", [NIL, writeOnly, 0, U]));
    // A task handle is a capability, but not to an endpoint.
    const t = task(b, "t", NIL);
    refused(b, L4Error.ECAP, () => b.call("l4_ipc", [t, NIL, 0, U]));
    expect(b.state.counters.capRefusals).toBe(5);
  });

  it("a poll with no partner times out at once, in both directions", () => {
    const b = bench();
    const ep = endpoint(b);
    b.setMrs([makeTag({ label: 1, words: 1 }), 5]);
    refused(b, L4Error.ETIMEOUT, () => b.call("l4_ipc", [ep, NIL, 0, U]));
    refused(b, L4Error.ETIMEOUT, () => b.call("l4_ipc", [NIL, ep, 0, U]));
    refused(b, L4Error.ETIMEOUT, () => b.call("l4_ipc", [ep, ep, 0, U]));
    expect(b.k.ipc.mrs(b.rootThread.ipcSlot)[1]).toBe(5); // the message was loaded, not sent
  });

  it("a reply needs a live one-shot capability", () => {
    const b = bench();
    const ep = endpoint(b);
    b.setMrs([makeTag({ label: 0, words: 0 })]);
    // UTCB.REPLY holds -1 (no caller) or a forged value.
    const reply = (cap: number) => {
      const w = new Array<number>(18).fill(0);
      w[0] = makeTag({ label: 0, words: 0 });
      w[17] = cap;
      b.setMrs(w);
    };
    reply(-1);
    refused(b, L4Error.ECAP, () => b.call("l4_ipc", [REPLY, NIL, -1, U]));
    reply(0x30005);
    refused(b, L4Error.ECAP, () => b.call("l4_ipc", [REPLY, NIL, -1, U]));
    refused(b, L4Error.ECAP, () => b.call("l4_ipc", [REPLY, ep, 0, U]));
  });
});

describe("l4_thread_control", () => {
  it("CREATE makes a suspended task with a UTCB, its pager set; the creator gets a MANAGE handle", () => {
    const b = bench();
    const ep = endpoint(b);
    const h = task(b, "kv", ep);
    const id = b.call("l4_thread_control", [ThreadOp.ID, h, 0, 0, 0]);
    const p = b.k.processes.get(id)!;
    expect(p.parent).toBe(b.root);
    expect(p.stopped).toBe(true);
    expect(p.threads.map((t) => t.runState)).toEqual(["suspended"]);
    expect(p.vm.findArea(UTCB_BASE)?.name).toBe("[utcb]");
    expect(p.pager).not.toBeNull();
    expect(b.call("l4_capability_control", [CapOp.RIGHTS, h, 0, 0])).toBe(Right.MANAGE | Right.INSPECT);
    expect(b.call("l4_thread_control", [ThreadOp.RUN, h, 0, 0, 0])).toBe(0);
    expect(p.stopped).toBe(false);
    expect(p.threads.map((t) => t.runState)).toEqual(["ready"]);
  });

  it("CREATE refuses a bad name, an unknown program, a bad pager, and changes nothing", () => {
    const b = bench();
    const ep = endpoint(b);
    const [p, n] = b.str("nosuch");
    refused(b, L4Error.ENOENT, () => b.call("l4_thread_control", [ThreadOp.CREATE, p, n, NIL, 0]));
    refused(b, L4Error.EINVAL, () => b.call("l4_thread_control", [ThreadOp.CREATE, p, 0, NIL, 0]));
    refused(b, L4Error.EINVAL, () => b.call("l4_thread_control", [ThreadOp.CREATE, p, 65, NIL, 0]));
    refused(b, L4Error.EFAULT, () => b.call("l4_thread_control", [ThreadOp.CREATE, 0x5000_0000, 2, NIL, 0]));
    const [q, m] = b.str("kv");
    refused(b, L4Error.ECAP, () => b.call("l4_thread_control", [ThreadOp.CREATE, q, m, 0x4321, 0]));
    const readOnly = b.call("l4_capability_control", [CapOp.DERIVE, ep, Right.READ, 0]);
    refused(b, L4Error.EPERM, () => b.call("l4_thread_control", [ThreadOp.CREATE, q, m, readOnly, 0]));
    refused(b, L4Error.EINVAL, () => b.call("l4_thread_control", [9, 0, 0, 0, 0]));
  });

  it("RUN, WAIT, DESTROY and ID need a task capability; a dead task is ENOENT", () => {
    const b = bench();
    const ep = endpoint(b);
    refused(b, L4Error.ECAP, () => b.call("l4_thread_control", [ThreadOp.RUN, ep, 0, 0, 0]));
    refused(b, L4Error.ECAP, () => b.call("l4_thread_control", [ThreadOp.DESTROY, 0x999, 0, 0, 0]));
    const h = task(b, "kv", NIL);
    expect(b.call("l4_thread_control", [ThreadOp.DESTROY, h, 0, 0, 0])).toBe(0);
    refused(b, L4Error.ENOENT, () => b.call("l4_thread_control", [ThreadOp.RUN, h, 0, 0, 0]));
    refused(b, L4Error.ENOENT, () => b.call("l4_thread_control", [ThreadOp.DESTROY, h, 0, 0, 0]));
    // WAIT reaps the zombie and closes the handle: the status says SIGKILL.
    expect(b.call("l4_thread_control", [ThreadOp.WAIT, h, 0, 0, 0]) & 0x7f).toBe(9);
    refused(b, L4Error.ECAP, () => b.call("l4_thread_control", [ThreadOp.WAIT, h, 0, 0, 0]));
  });

  it("SPAWN starts a thread in the caller's space at a code address, with its own UTCB", () => {
    const seen: number[][] = [];
    function* worker(arg: number, utcb: number) {
      seen.push([arg, utcb, yield* l4.l4_getid(IdOf.THREAD)]);
      return 0;
    }
    const b = bench();
    refused(b, L4Error.EFAULT, () => b.call("l4_thread_control", [ThreadOp.SPAWN, 0x5000_0000, 1, 0, 0]));
    const entry = b.root.text.addressOf(worker as never);
    const tid = b.call("l4_thread_control", [ThreadOp.SPAWN, entry, 41, 0, 0]);
    expect(tid).toBeGreaterThan(1);
    expect(b.k.threads.get(tid)?.process).toBe(b.root);
    b.k.run({ maxSteps: 100 });
    expect(seen).toEqual([[41, utcbOf(1), tid]]);
  });
});

describe("l4_map and l4_unmap", () => {
  it("the pager maps pages of its shared pool into a task it pages; the client sees the same frame", () => {
    const b = bench();
    const ep = endpoint(b);
    const h = task(b, "kv", ep);
    const id = b.call("l4_thread_control", [ThreadOp.ID, h, 0, 0, 0]);
    const rw = MapProt.READ | MapProt.WRITE;
    expect(b.call("l4_map", [id, POOL_BASE, 0x4000_0000, 2, rw])).toBe(0);
    expect(b.state.counters.pagesMapped).toBe(2);
    const client = b.k.processes.get(id)!;
    expect(client.vm.findArea(0x4000_0000)?.name).toBe("[paged]");
    expect(client.vm.findArea(0x4000_1000)?.sharing).toBe("shared");
    // Unmap takes back only [paged] pages.
    refused(b, L4Error.EPERM, () => b.call("l4_unmap", [id, UTCB_BASE, 1]));
    refused(b, L4Error.ENOENT, () => b.call("l4_unmap", [id, 0x5000_0000, 1]));
    expect(b.call("l4_unmap", [id, 0x4000_0000, 2])).toBe(2);
    expect(client.vm.findArea(0x4000_0000)).toBeUndefined();
    expect(b.state.counters.pagesUnmapped).toBe(2);
  });

  it("refuses: not the task's pager, a private or unmapped source, more rights, a taken destination, bad arguments", () => {
    const b = bench();
    const ep = endpoint(b);
    const other = endpoint(b);
    const rw = MapProt.READ | MapProt.WRITE;
    const paged = b.call("l4_thread_control", [ThreadOp.ID, task(b, "kv", ep), 0, 0, 0]);
    const unpaged = b.call("l4_thread_control", [ThreadOp.ID, task(b, "kv", other), 0, 0, 0]);
    const none = b.call("l4_thread_control", [ThreadOp.ID, task(b, "kv", NIL), 0, 0, 0]);
    // Only a READ holder of the task's pager endpoint is its pager: drop ours on `other`.
    expect(b.call("l4_capability_control", [CapOp.CLOSE, other, 0, 0])).toBe(0);
    refused(b, L4Error.EPERM, () => b.call("l4_map", [unpaged, POOL_BASE, 0x4000_0000, 1, rw]));
    refused(b, L4Error.EPERM, () => b.call("l4_map", [none, POOL_BASE, 0x4000_0000, 1, rw]));
    refused(b, L4Error.ENOENT, () => b.call("l4_map", [9999, POOL_BASE, 0x4000_0000, 1, rw]));
    // The root's UTCB page is private memory: never handed out by reference.
    refused(b, L4Error.EPERM, () => b.call("l4_map", [paged, UTCB_BASE, 0x4000_0000, 1, rw]));
    refused(b, L4Error.ENOENT, () => b.call("l4_map", [paged, 0x6000_0000, 0x4000_0000, 1, rw]));
    refused(b, L4Error.EINVAL, () => b.call("l4_map", [paged, POOL_BASE + 1, 0x4000_0000, 1, rw]));
    refused(b, L4Error.EINVAL, () => b.call("l4_map", [paged, POOL_BASE, 0x4000_0000, 0, rw]));
    refused(b, L4Error.EINVAL, () => b.call("l4_map", [paged, POOL_BASE, 0x4000_0000, 65, rw]));
    refused(b, L4Error.EINVAL, () => b.call("l4_map", [paged, POOL_BASE, 0x4000_0000, 1, MapProt.WRITE]));
    refused(b, L4Error.EINVAL, () => b.call("l4_map", [paged, POOL_BASE, 0, 1, rw]));
    // A read-only pool page cannot be mapped writable.
    b.root.vm.protect(POOL_BASE + 7 * PAGE, PAGE, MapProt.READ);
    refused(b, L4Error.EPERM, () => b.call("l4_map", [paged, POOL_BASE + 7 * PAGE, 0x4000_0000, 1, rw]));
    expect(b.call("l4_map", [paged, POOL_BASE + 7 * PAGE, 0x4000_0000, 1, MapProt.READ])).toBe(0);
    refused(b, L4Error.EEXIST, () => b.call("l4_map", [paged, POOL_BASE, 0x4000_0000, 1, rw]));
    refused(b, L4Error.EPERM, () => b.call("l4_unmap", [unpaged, 0x4000_0000, 1]));
    // WRITE on the pager endpoint (what every client of a pager holds) does not make one its pager.
    const w = endpoint(b);
    const wclient = b.call("l4_thread_control", [ThreadOp.ID, task(b, "kv", w), 0, 0, 0]);
    expect(b.call("l4_capability_control", [CapOp.DERIVE, w, Right.WRITE, 0])).toBeGreaterThan(0);
    expect(b.call("l4_capability_control", [CapOp.CLOSE, w, 0, 0])).toBe(0);
    refused(b, L4Error.EPERM, () => b.call("l4_map", [wclient, POOL_BASE, 0x4000_0000, 1, MapProt.READ]));
    refused(b, L4Error.EPERM, () => b.call("l4_unmap", [wclient, 0x4000_0000, 1]));
  });
});

describe("l4_capability_control", () => {
  it("derive and grant give fewer rights, never more; revoke closes what was derived, in every table", () => {
    const b = bench();
    const k = endpoint(b);
    expect(b.call("l4_capability_control", [CapOp.RIGHTS, k, 0, 0])).toBe(ENDPOINT_RIGHTS);
    const c = b.call("l4_capability_control", [
      CapOp.DERIVE,
      k,
      Right.WRITE | Right.DUPLICATE | Right.TRANSFER,
      0,
    ]);
    const t = task(b, "kv", NIL);
    const id = b.call("l4_thread_control", [ThreadOp.ID, t, 0, 0, 0]);
    const child = b.k.processes.get(id)!;
    const g = b.call("l4_capability_control", [CapOp.GRANT, c, t, Right.WRITE]);
    expect(g).toBeGreaterThan(0);
    expect(child.handleTable.lookup(g, b.state.endpointType, Right.WRITE).kind).toBe("ok");
    // More rights than held: refused; a grant needs TRANSFER.
    refused(b, L4Error.EPERM, () => b.call("l4_capability_control", [CapOp.DERIVE, c, Right.READ, 0]));
    const noTransfer = b.call("l4_capability_control", [CapOp.DERIVE, c, Right.WRITE | Right.DUPLICATE, 0]);
    refused(b, L4Error.EPERM, () =>
      b.call("l4_capability_control", [CapOp.GRANT, noTransfer, t, Right.WRITE]),
    );
    refused(b, L4Error.EINVAL, () => b.call("l4_capability_control", [CapOp.DERIVE, c, 0, 0]));
    refused(b, L4Error.EINVAL, () => b.call("l4_capability_control", [CapOp.DERIVE, c, Right.MANAGE, 0]));
    refused(b, L4Error.ECAP, () => b.call("l4_capability_control", [CapOp.GRANT, c, k, Right.WRITE]));
    refused(b, L4Error.ECAP, () => b.call("l4_capability_control", [CapOp.REVOKE, 0x1234, 0, 0]));
    refused(b, L4Error.ENOENT, () => b.call("l4_capability_control", [CapOp.FIND, 99, 0, 0]));
    refused(b, L4Error.EINVAL, () => b.call("l4_capability_control", [42, 0, 0, 0]));
    // REVOKE(c): the grant in the child's table and noTransfer go; c and k stay.
    expect(b.call("l4_capability_control", [CapOp.REVOKE, c, 0, 0])).toBe(2);
    expect(child.handleTable.lookup(g, null, 0).kind).toBe("bad-handle");
    expect(b.call("l4_capability_control", [CapOp.RIGHTS, c, 0, 0])).toBeGreaterThan(0);
    expect(b.call("l4_capability_control", [CapOp.RIGHTS, k, 0, 0])).toBe(ENDPOINT_RIGHTS);
    // FIND lists endpoint capabilities in slot order.
    expect(b.call("l4_capability_control", [CapOp.FIND, 0, 0, 0])).toBe(k);
    expect(b.call("l4_capability_control", [CapOp.FIND, 1, 0, 0])).toBe(c);
  });

  it("closing an endpoint's last handle destroys it: a task it paged then dies on a fault", () => {
    const b = bench();
    const ep = endpoint(b);
    const t = task(b, "wild", ep);
    const id = b.call("l4_thread_control", [ThreadOp.ID, t, 0, 0, 0]);
    expect(b.call("l4_capability_control", [CapOp.CLOSE, ep, 0, 0])).toBe(0);
    expect(b.k.processes.get(id)!.pager!.destroyed).toBe(true);
    b.call("l4_thread_control", [ThreadOp.RUN, t, 0, 0, 0]);
    b.k.run({ maxSteps: 10_000 });
    expect(b.k.processes.get(id)?.phase ?? "reaped").not.toBe("live");
    expect(b.lines).toContain(`[${id}] wild: storing to 0xdead0000, outside its paged area`);
  });
});

describe("l4_getid, l4_time, l4_kdebug", () => {
  it("answer from kernel state and refuse bad selectors and buffers", () => {
    const b = bench();
    expect(b.call("l4_getid", [IdOf.TASK])).toBe(1);
    expect(b.call("l4_getid", [IdOf.THREAD])).toBe(1);
    refused(b, L4Error.EINVAL, () => b.call("l4_getid", [2]));
    expect(b.call("l4_time", [])).toBeGreaterThanOrEqual(0);
    const [p, n] = b.str("hello");
    expect(b.call("l4_kdebug", [p, n])).toBe(0);
    expect(b.lines).toEqual(["[1] hello"]);
    refused(b, L4Error.EINVAL, () => b.call("l4_kdebug", [p, 129]));
    refused(b, L4Error.EFAULT, () => b.call("l4_kdebug", [0x5000_0000, 4]));
  });
});
