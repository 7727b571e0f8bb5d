// Object lifetime on the running kernel: an object dies when its last handle closes, and the
// threads blocked on it are woken with the status that says so (a mailbox's callers with
// j6_status_closed, an event's waiters with j6_status_destroyed); nothing leaks.
import type { ProcessStart, UserCode } from "@osbricks/kernel";
import { describe, expect, it } from "vitest";
import { J6_FOREVER, J6ObjectType, j6StatusName } from "../src/jsix/abi.js";
import { call, findHandle, j6, log, scratch } from "../src/jsix/lib.js";
import { BENCH_PROGRAMS, jbench } from "./jsix-harness.js";

const ENTRY = BENCH_PROGRAMS.length; // the extra program's entry

/** Role 0 makes a mailbox and an event, starts role 1 (which blocks on both), then closes them. */
function* closer(start: ProcessStart): UserCode<number> {
  const role = Number(start.argv[1]);
  const buf = yield* scratch(role);
  if (role === 0) {
    yield* j6.j6_mailbox_create();
    yield* j6.j6_event_create();
    const self = yield* findHandle(buf, J6ObjectType.process);
    yield* j6.j6_thread_create(self, ENTRY, 1);
    yield* j6.j6_thread_create(self, ENTRY, 2);
    yield* j6.j6_thread_sleep(5_000); // both block meanwhile
    yield* j6.j6_handle_close(yield* findHandle(buf, J6ObjectType.mailbox));
    yield* j6.j6_handle_close(yield* findHandle(buf, J6ObjectType.event));
    return yield* j6.j6_thread_exit(); // returning from main would end the whole process
  }
  if (role === 1) {
    const r = yield* call(buf, yield* findHandle(buf, J6ObjectType.mailbox), 1, []);
    yield* log(buf, `caller: ${j6StatusName(r)}`);
  } else {
    const r = yield* j6.j6_event_wait(yield* findHandle(buf, J6ObjectType.event), J6_FOREVER);
    yield* log(buf, `waiter: ${j6StatusName(r)}`);
  }
  return yield* j6.j6_thread_exit();
}

describe("object lifetime", () => {
  it("closing the last handle ends the object and wakes its waiters with closed / destroyed", () => {
    const b = jbench({ closer });
    const p = b.call("j6_process_create", []);
    expect(b.call("j6_thread_create", [p, ENTRY, 0])).toBeGreaterThan(0);
    const r = b.k.run({ maxSteps: 200_000 });
    expect(r.outcome).toBe("all-exited");
    expect(b.k.crashes.map((c) => c.message)).toEqual([]);
    const lines = b.state.system.log.map((l) => l.replace(/^\[\d+\] /, "")).sort();
    expect(lines).toEqual(["caller: j6_status_closed", "waiter: j6_status_destroyed"]);
    expect(b.state.mailboxes.size).toBe(0);
    expect(b.state.counters.destroyed.mailbox).toBe(1);
    expect(b.k.resourceLeaks()).toEqual([]);
    b.state.checkInvariants();
  });
});
