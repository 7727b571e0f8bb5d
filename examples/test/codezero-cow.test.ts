// Copy-on-write by a user-level pager. Step one: protection faults reach the pager, with the x86
// page-fault error code in MR5 (packages/kernel trap/pager.ts), so a pager that mapped a page
// read-only learns of the first write to it.
import { mem, PAGE_FAULT_LABEL, PfErr, type UserCode } from "@osbricks/kernel";
import { Right } from "@osbricks/objects";
import { describe, expect, it } from "vitest";
import { CapOp, MapProt, NIL, ThreadOp, utcbOf } from "../src/codezero/abi.js";
import { call, findEndpoint, l4, label, receive, replyWait, word } from "../src/codezero/lib.js";
import { mm0Fork, mm0Wait } from "../src/codezero/programs/fork.js";
import { Mm0Label, PAGED_BASE, POOL_BASE } from "../src/codezero/servers/protocol.js";
import { type Bench, bench, withMm0 } from "./codezero-harness.js";

const U = utcbOf(0);

/** Root makes `pagerName` a pager with 2 pool pages and `clientName` its client; runs both. */
function pagerAndClient(b: Bench, pagerName: string, clientName: string): { pager: number; client: number } {
  const sigma0 = b.call("l4_capability_control", [CapOp.CREATE_ENDPOINT, 0, 0, 0]);
  const ep = b.call("l4_capability_control", [CapOp.CREATE_ENDPOINT, 0, 0, 0]);
  const [p1, n1] = b.str(pagerName);
  const ph = b.call("l4_thread_control", [ThreadOp.CREATE, p1, n1, sigma0, 0]);
  const pager = b.call("l4_thread_control", [ThreadOp.ID, ph, 0, 0, 0]);
  expect(b.call("l4_map", [pager, POOL_BASE, POOL_BASE, 2, MapProt.READ | MapProt.WRITE])).toBe(0);
  expect(b.call("l4_capability_control", [CapOp.GRANT, ep, ph, Right.READ])).toBeGreaterThan(0);
  const [p2, n2] = b.str(clientName);
  const ch = b.call("l4_thread_control", [ThreadOp.CREATE, p2, n2, ep, 0]);
  const client = b.call("l4_thread_control", [ThreadOp.ID, ch, 0, 0, 0]);
  b.call("l4_thread_control", [ThreadOp.RUN, ph, 0, 0, 0]);
  b.call("l4_thread_control", [ThreadOp.RUN, ch, 0, 0, 0]);
  return { pager, client };
}

describe("protection faults reach the pager (MR5 = the x86 #PF error code)", () => {
  it("read of nothing: U; write to a page mapped read-only: P|W|U; the pager upgrades it and the write lands", () => {
    const log: string[] = [];
    function* tpager(): UserCode<number> {
      const ep = yield* findEndpoint(0);
      let r = yield* receive(U, ep);
      for (let n = 0; n < 3 && r === 0; n++) {
        expect(yield* label(U)).toBe(PAGE_FAULT_LABEL);
        const va = (yield* word(U, 1)) >>> 0;
        const access = yield* word(U, 3);
        const task = yield* word(U, 4);
        const err = yield* word(U, 5);
        log.push(`fault ${va.toString(16)} access ${access} err ${err}`);
        if ((err & PfErr.P) === 0) {
          // Not present: map the pool page read-only, whatever the access.
          yield* mem.store32(POOL_BASE, 41);
          yield* l4.l4_map(task, POOL_BASE, PAGED_BASE, 1, MapProt.READ);
        } else {
          // A write to the read-only page: take it back, map it writable.
          log.push(`unmap ${yield* l4.l4_unmap(task, PAGED_BASE, 1)}`);
          yield* l4.l4_map(task, POOL_BASE, PAGED_BASE, 1, MapProt.READ | MapProt.WRITE);
        }
        r = yield* replyWait(U, ep, PAGE_FAULT_LABEL, [1]);
      }
      return 0;
    }
    function* tclient(): UserCode<number> {
      log.push(`read ${yield* mem.load32(PAGED_BASE)}`);
      yield* mem.store32(PAGED_BASE, 42);
      log.push(`read ${yield* mem.load32(PAGED_BASE)}`);
      return 0;
    }
    const b = bench({ tpager, tclient });
    pagerAndClient(b, "tpager", "tclient");
    b.k.run({ maxSteps: 20_000 });
    const base = PAGED_BASE.toString(16);
    expect(log).toEqual([
      `fault ${base} access 0 err ${PfErr.U}`,
      "read 41",
      `fault ${base} access 1 err ${PfErr.P | PfErr.W | PfErr.U}`,
      "unmap 1",
      "read 42",
    ]);
    expect(b.state.counters.faultsForwarded).toBe(2);
  });

  it("a pager that refuses a protection fault: the task dies of SIGSEGV as before", () => {
    function* rpager(): UserCode<number> {
      const ep = yield* findEndpoint(0);
      let r = yield* receive(U, ep);
      while (r === 0) {
        const task = yield* word(U, 4);
        const err = yield* word(U, 5);
        let ok = 0;
        if ((err & PfErr.P) === 0) {
          yield* l4.l4_map(task, POOL_BASE, PAGED_BASE, 1, MapProt.READ);
          ok = 1;
        }
        r = yield* replyWait(U, ep, PAGE_FAULT_LABEL, [ok]);
      }
      return 0;
    }
    let after = false;
    function* rclient(): UserCode<number> {
      yield* mem.store32(PAGED_BASE, 1);
      after = true;
      return 0;
    }
    const b = bench({ rpager, rclient });
    const { client } = pagerAndClient(b, "rpager", "rclient");
    b.k.run({ maxSteps: 20_000 });
    expect(after).toBe(false);
    expect(b.k.processes.get(client)?.phase).not.toBe("live");
    expect(b.state.counters.faultsForwarded).toBe(2);
  });

  it("a task with no pager takes SIGSEGV on a write to a read-only page; nothing is forwarded", () => {
    function* ro(): UserCode<number> {
      yield* mem.store32(U - 4096, 1); // below the UTCB page: nothing there, no pager
      return 0;
    }
    const b = bench({ ro });
    const [p, n] = b.str("ro");
    const h = b.call("l4_thread_control", [ThreadOp.CREATE, p, n, NIL, 0]);
    const id = b.call("l4_thread_control", [ThreadOp.ID, h, 0, 0, 0]);
    expect(b.k.processes.get(id)?.pagerProtectionFaults).toBe(false);
    b.call("l4_thread_control", [ThreadOp.RUN, h, 0, 0, 0]);
    b.k.run({ maxSteps: 5_000 });
    expect(b.state.counters.faultsForwarded).toBe(0);
  });
});

describe("fork through mm0 with a small pool", () => {
  it("a child's copy refused for want of pool: the child dies, the parent's WAIT says SIGSEGV, nothing leaks", () => {
    const log: string[] = [];
    function* hog(): UserCode<number> {
      const ep = yield* findEndpoint(0);
      for (let i = 0; i < 3; i++) yield* mem.store32(PAGED_BASE + i * 4096, 10 + i);
      const kid = yield* mm0Fork(U, ep, "hogkid", 0);
      const status = yield* mm0Wait(U, ep, kid);
      let sum = 0;
      for (let i = 0; i < 3; i++) sum += (yield* mem.load32(PAGED_BASE + i * 4096)) | 0;
      yield* call(U, ep, Mm0Label.STATS, []);
      log.push(`status ${status} sum ${sum} free ${yield* word(U, 5)} objects ${yield* word(U, 6)}`);
      return 0;
    }
    function* hogkid(): UserCode<number> {
      for (let i = 0; i < 3; i++) {
        yield* mem.store32(PAGED_BASE + i * 4096, 99);
        log.push(`kid wrote page ${i}`);
      }
      return 0;
    }
    const b = bench({ hog, hogkid });
    withMm0(b, 4, ["hog"]);
    b.k.run({ maxSteps: 200_000 });
    // 3 pages for the parent, 1 left: the child's first copy fits, its second is refused.
    expect(log).toEqual(["kid wrote page 0", "status 11 sum 33 free 1 objects 1"]);
    expect(b.lines).toContain("[2] mm0: task 4 faulted at 0x40001000: pool exhausted, refused");
  });
});
