// The mailbox between two threads of one process, on the running kernel: a handle a message
// carries stays in the one table both threads share, and its value is what the receiver reads,
// in both directions (call → server, reply → caller), whether the server was already waiting
// (delivered by the call) or the call was queued (delivered by the server's respond). Moving it
// "to this table" would throw the handle table's InvalidArgumentError out of the kernel.
import type { ProcessStart, UserCode } from "@osbricks/kernel";
import { describe, expect, it } from "vitest";
import { J6ObjectType, j6StatusName, Msg } from "../src/jsix/abi.js";
import { call, field, findHandle, j6, log, receive, respond, scratch, word } from "../src/jsix/lib.js";
import { BENCH_PROGRAMS, jbench } from "./jsix-harness.js";

const ENTRY = BENCH_PROGRAMS.length; // the extra program's entry

/**
 * argv[1] = role + 2 × serverFirst. Role 0 makes the mailbox and two events, starts role 1 in its
 * own process, then calls with the first event; role 1 receives, checks the value it got, and
 * answers with the second event. `serverFirst` decides who arrives at the mailbox first.
 */
function* pair(start: ProcessStart): UserCode<number> {
  const arg = Number(start.argv[1]);
  const role = arg & 1;
  const serverFirst = (arg & 2) !== 0;
  const buf = yield* scratch(role);
  if (role === 0) {
    yield* j6.j6_mailbox_create();
    const sent = yield* j6.j6_event_create();
    yield* j6.j6_event_create();
    const self = yield* findHandle(buf, J6ObjectType.process);
    yield* j6.j6_thread_create(self, ENTRY, arg | 1);
    if (serverFirst) yield* j6.j6_thread_sleep(5_000);
    const mb = yield* findHandle(buf, J6ObjectType.mailbox);
    const r = yield* call(buf, mb, 1, [11], sent);
    const got = yield* field(buf, Msg.HANDLE);
    const reply = yield* findHandle(buf, J6ObjectType.event, 1);
    yield* log(
      buf,
      `caller: ${j6StatusName(r)} handle ${got === reply ? "reply" : got} word ${yield* word(buf, 0)}`,
    );
    yield* j6.j6_thread_sleep(5_000); // let the server log its last answer
    return 0;
  }
  if (!serverFirst) yield* j6.j6_thread_sleep(5_000);
  const mb = yield* findHandle(buf, J6ObjectType.mailbox);
  const r = yield* receive(buf, mb);
  const got = yield* field(buf, Msg.HANDLE);
  const sent = yield* findHandle(buf, J6ObjectType.event, 0);
  yield* log(
    buf,
    `server: ${j6StatusName(r)} handle ${got === sent ? "sent" : got} word ${yield* word(buf, 0)}`,
  );
  const reply = yield* findHandle(buf, J6ObjectType.event, 1);
  const r2 = yield* respond(buf, mb, 2, [22], reply, 0);
  yield* log(buf, `answered: ${j6StatusName(r2)}`);
  return yield* j6.j6_thread_exit();
}

describe("jsix mailbox within one process", () => {
  for (const serverFirst of [false, true]) {
    it(`a carried handle stays where it is, call and reply (${serverFirst ? "server" : "caller"} first)`, () => {
      const b = jbench({ pair });
      const p = b.call("j6_process_create", []);
      expect(b.call("j6_thread_create", [p, ENTRY, serverFirst ? 2 : 0])).toBeGreaterThan(0);
      const r = b.k.run({ maxSteps: 200_000 });
      expect(b.k.crashes.map((c) => c.message)).toEqual([]);
      expect(r.outcome).toBe("all-exited");
      const lines = b.state.system.log.map((l) => l.replace(/^\[\d+\] /, ""));
      expect(lines).toEqual([
        "server: j6_status_ok handle sent word 11",
        "answered: j6_status_would_block",
        "caller: j6_status_ok handle reply word 22",
      ]);
      expect(b.k.resourceLeaks()).toEqual([]);
      b.state.checkInvariants();
    });
  }
});
