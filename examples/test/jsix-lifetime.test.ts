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

/**
 * Role 0 (the process's first thread: crt0's main) starts role 1 in its own process; role 1's
 * function returns at once. libj6's thread trampoline calls j6_thread_exit after the function,
 * so only that thread ends; crt0 calls j6_process_exit after main, so role 0's return ends the
 * process, with main's value.
 */
const order: string[] = [];
function* returner(start: ProcessStart): UserCode<number> {
  const role = Number(start.argv[1]);
  const buf = yield* scratch(role);
  if (role === 0) {
    const self = yield* findHandle(buf, J6ObjectType.process);
    yield* j6.j6_thread_create(self, ENTRY, 1);
    yield* j6.j6_thread_sleep(20_000);
    order.push("main still running after the thread returned");
    return 3;
  }
  order.push("thread returns");
  return 7;
}

describe("a thread's return", () => {
  it("ends only that thread (libj6's trampoline); main's return ends the process (crt0)", () => {
    const b = jbench({ returner });
    const p = b.call("j6_process_create", []);
    expect(b.call("j6_thread_create", [p, ENTRY, 0])).toBeGreaterThan(0);
    const proc = [...b.k.processes.values()].find((x) => x.pid !== b.root.pid && x.pid !== 0)!;
    order.length = 0;
    expect(b.k.run({ maxSteps: 200_000 }).outcome).toBe("all-exited");
    expect(order).toEqual(["thread returns", "main still running after the thread returned"]);
    expect(proc.phase).not.toBe("live");
    expect(b.k.crashes).toEqual([]);
    b.state.checkInvariants();
  });
});
