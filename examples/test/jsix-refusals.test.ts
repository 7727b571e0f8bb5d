// Refusals change nothing, on a busy kernel: two processes besides the bench's first, live VMAs
// mapped in two spaces, mailboxes and events. For each call and each refusal class (no such
// handle, wrong type, missing capability, bad argument), snapshot every handle table, space,
// object state and counter, make the bad call, compare, and run JsixState.checkInvariants().
import { Right } from "@osbricks/objects";
import { describe, expect, it } from "vitest";
import { J6Status, j6StatusName, type jsixSyscalls } from "../src/jsix/abi.js";
import { benchEntry, jbench, PAGE, SCRATCH } from "./jsix-harness.js";

type Name = keyof typeof jsixSyscalls.decls;

function busy() {
  const b = jbench();
  const self = b.root.handleTable.list().find((h) => h.type === "process")!.handle;
  const child = b.call("j6_process_create", []);
  expect(b.call("j6_thread_create", [child, benchEntry("t"), 0])).toBeGreaterThan(0);
  const vma = b.call("j6_vma_create_map", [2 * PAGE, 0x2100_0000, 1]);
  expect(b.call("j6_vma_map", [vma, child, 0x2200_0000])).toBe(0);
  const mb = b.call("j6_mailbox_create", []);
  const ev = b.call("j6_event_create", []);
  expect(b.call("j6_event_signal", [ev, 0b11, 0])).toBe(0);
  const weakVma = b.call("j6_handle_clone", [vma, 0]); // no caps at all
  const weakProc = b.call("j6_handle_clone", [child, 0]);
  const weakMb = b.call("j6_handle_clone", [mb, 0]);
  const weakEv = b.call("j6_handle_clone", [ev, 0]);
  const closed = b.call("j6_handle_clone", [ev, Right.WAIT]);
  expect(b.call("j6_handle_close", [closed])).toBe(0);
  return { b, self, child, vma, mb, ev, weakVma, weakProc, weakMb, weakEv, closed };
}

/** Expect the call to be refused with `status` and to change nothing. */
function refused(b: ReturnType<typeof jbench>, status: number, name: Name, args: readonly number[]): void {
  const before = b.snapshot();
  expect(j6StatusName(b.call(name, args)), `${name}(${args.join(", ")})`).toBe(j6StatusName(-status));
  expect(b.snapshot(), `${name}(${args.join(", ")}) changed the kernel`).toBe(before);
  b.state.checkInvariants();
}

const INVALID = J6Status.err_invalid_arg;
const DENIED = J6Status.err_denied;

describe("refusals on a busy kernel change nothing", () => {
  it("no such handle (never made, or closed): j6_err_invalid_arg from every handle-taking call", () => {
    const w = busy();
    for (const bad of [0x7777, w.closed]) {
      refused(w.b, INVALID, "j6_object_koid", [bad]);
      refused(w.b, INVALID, "j6_object_wait", [bad, 1, 0]);
      refused(w.b, INVALID, "j6_handle_clone", [bad, -1]);
      refused(w.b, INVALID, "j6_handle_close", [bad]);
      refused(w.b, INVALID, "j6_process_kill", [bad]);
      refused(w.b, INVALID, "j6_process_give_handle", [bad, w.ev]);
      refused(w.b, INVALID, "j6_process_give_handle", [w.child, bad]);
      refused(w.b, INVALID, "j6_thread_create", [bad, benchEntry("t"), 0]);
      refused(w.b, INVALID, "j6_vma_map", [bad, w.child, 0x2400_0000]);
      refused(w.b, INVALID, "j6_vma_unmap", [bad, w.child]);
      refused(w.b, INVALID, "j6_vma_resize", [bad, PAGE]);
      refused(w.b, INVALID, "j6_mailbox_call", [bad, SCRATCH]);
      refused(w.b, INVALID, "j6_mailbox_respond", [bad, SCRATCH, 0]);
      refused(w.b, INVALID, "j6_event_signal", [bad, 1, 0]);
      refused(w.b, INVALID, "j6_event_wait", [bad, 0]);
    }
  });

  it("wrong type: j6_err_invalid_arg (jsix's get_handle checks the type before the caps)", () => {
    const w = busy();
    refused(w.b, INVALID, "j6_process_kill", [w.ev]);
    refused(w.b, INVALID, "j6_thread_create", [w.vma, benchEntry("t"), 0]);
    refused(w.b, INVALID, "j6_vma_map", [w.mb, w.child, 0x2400_0000]);
    refused(w.b, INVALID, "j6_vma_map", [w.vma, w.ev, 0x2400_0000]);
    refused(w.b, INVALID, "j6_vma_unmap", [w.ev, w.child]);
    refused(w.b, INVALID, "j6_vma_resize", [w.mb, PAGE]);
    refused(w.b, INVALID, "j6_mailbox_call", [w.ev, SCRATCH]);
    refused(w.b, INVALID, "j6_mailbox_respond", [w.vma, SCRATCH, 0]);
    refused(w.b, INVALID, "j6_event_signal", [w.mb, 1, 0]);
    refused(w.b, INVALID, "j6_event_wait", [w.vma, 0]);
    // wrong type and no caps: the type is reported, as jsix's get_handle does
    refused(w.b, INVALID, "j6_event_signal", [w.weakMb, 1, 0]);
  });

  it("missing capability: j6_err_denied", () => {
    const w = busy();
    refused(w.b, DENIED, "j6_object_wait", [w.weakEv, 1, 0]);
    refused(w.b, DENIED, "j6_handle_clone", [w.weakEv, -1]);
    refused(w.b, DENIED, "j6_process_kill", [w.weakProc]);
    refused(w.b, DENIED, "j6_process_give_handle", [w.weakProc, w.ev]);
    refused(w.b, DENIED, "j6_process_give_handle", [w.child, w.weakEv]);
    refused(w.b, DENIED, "j6_thread_create", [w.weakProc, benchEntry("t"), 0]);
    refused(w.b, DENIED, "j6_vma_map", [w.weakVma, w.child, 0x2400_0000]);
    refused(w.b, DENIED, "j6_vma_unmap", [w.weakVma, w.child]);
    refused(w.b, DENIED, "j6_vma_resize", [w.weakVma, PAGE]);
    refused(w.b, DENIED, "j6_mailbox_call", [w.weakMb, SCRATCH]);
    refused(w.b, DENIED, "j6_mailbox_respond", [w.weakMb, SCRATCH, 0]);
    refused(w.b, DENIED, "j6_event_signal", [w.weakEv, 1, 0]);
    refused(w.b, DENIED, "j6_event_wait", [w.weakEv, 0]);
  });

  it("give_handle needs clone and transfer on the handle given (a clone-only handle is refused)", () => {
    // Zircon's rule, which jsix's caps follow: a handle moves to another process only with
    // ZX_RIGHT_TRANSFER; duplicating it needs ZX_RIGHT_DUPLICATE. (Found by a surviving mutant.)
    const w = busy();
    const cloneOnly = w.b.call("j6_handle_clone", [w.ev, Right.DUPLICATE]);
    const transferOnly = w.b.call("j6_handle_clone", [w.ev, Right.TRANSFER]);
    refused(w.b, DENIED, "j6_process_give_handle", [w.child, cloneOnly]);
    refused(w.b, DENIED, "j6_process_give_handle", [w.child, transferOnly]);
    const both = w.b.call("j6_handle_clone", [w.ev, Right.DUPLICATE | Right.TRANSFER]);
    expect(w.b.call("j6_process_give_handle", [w.child, both])).toBeGreaterThan(0);
  });

  it("bad arguments: j6_err_invalid_arg (or exists / would_block), nothing changed", () => {
    const w = busy();
    refused(w.b, INVALID, "j6_vma_create", [0, 1]);
    refused(w.b, INVALID, "j6_vma_create", [PAGE, 0x80]);
    refused(w.b, INVALID, "j6_vma_create_map", [PAGE, 0x2100_0001, 1]);
    refused(w.b, J6Status.exists, "j6_vma_map", [w.vma, w.child, 0x2400_0000]); // already mapped there
    refused(w.b, INVALID, "j6_vma_resize", [w.vma, 0]);
    refused(w.b, INVALID, "j6_thread_create", [w.child, 999, 0]);
    refused(w.b, INVALID, "j6_futex_wait", [SCRATCH + 2, 0, 0]);
    expect(w.b.call("j6_event_wait", [w.ev, 0])).toBe(0b11); // takes the bits ...
    refused(w.b, J6Status.would_block, "j6_event_wait", [w.ev, 0]); // ... so a poll finds none
    refused(w.b, J6Status.would_block, "j6_object_wait", [w.ev, 1 << 30, 0]);
    refused(w.b, J6Status.exists, "j6_vma_create_map", [PAGE, 0x2100_0000, 1]); // taken: no VMA made
    refused(w.b, INVALID, "j6_handle_list", [0, 5]);
  });

  it("an address outside user space is a bad argument, not a kernel exception (found by the grinder)", () => {
    // Intel SDM 4.5 / our USER_START..USER_END: page 0 is never user memory; the VM layer's
    // AddressRangeError is a kernel-internal contract, so the call must check first.
    const w = busy();
    const other = w.b.call("j6_vma_create", [PAGE, 1]);
    refused(w.b, INVALID, "j6_vma_map", [other, w.child, 0]);
    refused(w.b, INVALID, "j6_vma_create_map", [PAGE, 0, 1]);
    refused(w.b, INVALID, "j6_vma_map", [other, w.child, 2 ** 47]);
  });
});
