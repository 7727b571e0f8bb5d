// l4_ipc in motion, between running tasks: a call and its reply (with the sender's id and a
// one-shot reply capability), a send-phase timeout, a receive that a later sender satisfies, and
// a caller whose server dies before replying.
import { mem, type UserCode } from "@osbricks/kernel";
import { describe, expect, it } from "vitest";
import {
  CapOp,
  L4Error,
  l4ErrorName,
  NIL,
  REPLY,
  ThreadOp,
  UTCB_REPLY,
  UTCB_SENDER,
  utcbOf,
} from "../src/codezero/abi.js";
import { call, findEndpoint, l4, putMessage, receive, replyWait, word } from "../src/codezero/lib.js";
import { type Bench, bench } from "./codezero-harness.js";

const U = utcbOf(0);

/** Create tasks `names` (no pager), grant each the bench's endpoint with `rights`, run them. */
function start(b: Bench, grants: readonly (readonly [string, number])[]): number[] {
  const ep = b.call("l4_capability_control", [CapOp.CREATE_ENDPOINT, 0, 0, 0]);
  const ids: number[] = [];
  for (const [name, rights] of grants) {
    const [p, n] = b.str(name);
    const h = b.call("l4_thread_control", [ThreadOp.CREATE, p, n, NIL, 0]);
    expect(b.call("l4_capability_control", [CapOp.GRANT, ep, h, rights])).toBeGreaterThan(0);
    ids.push(b.call("l4_thread_control", [ThreadOp.ID, h, 0, 0, 0]));
    b.call("l4_thread_control", [ThreadOp.RUN, h, 0, 0, 0]);
  }
  return ids;
}

const READ = 4;
const WRITE = 8;

describe("l4_ipc between running tasks", () => {
  it("call and replyWait: the server sees the caller's id; a reply capability works once", () => {
    const log: string[] = [];
    function* server(): UserCode<number> {
      const ep = yield* findEndpoint(0);
      yield* receive(U, ep);
      const from = (yield* mem.load32(U + UTCB_SENDER)) | 0;
      const cap = (yield* mem.load32(U + UTCB_REPLY)) | 0;
      const x = yield* word(U, 1);
      log.push(`server got ${x} from ${from}`);
      yield* putMessage(U, 0, [x * 2]);
      log.push(`reply ${l4ErrorName(yield* l4.l4_ipc(REPLY, NIL, -1, U))}`);
      yield* mem.store32(U + UTCB_REPLY, cap); // the same capability again
      log.push(`reply again ${l4ErrorName(yield* l4.l4_ipc(REPLY, NIL, -1, U))}`);
      return 0;
    }
    function* client(): UserCode<number> {
      const ep = yield* findEndpoint(0);
      const r = yield* call(U, ep, 7, [21]);
      log.push(`client ${l4ErrorName(r)} ${yield* word(U, 1)}`);
      return 0;
    }
    const b = bench({ server, client });
    const [, clientId] = start(b, [
      ["server", READ],
      ["client", WRITE],
    ]);
    b.k.run({ maxSteps: 10_000 });
    // The client's line may come before or after the server's second reply (one CPU, who runs first).
    expect(log.filter((l) => !l.startsWith("client"))).toEqual([
      `server got 21 from ${clientId}`,
      "reply ok",
      "reply again -ECAP",
    ]);
    expect(log).toContain("client ok 42");
    expect(b.state.counters.ipcMessages).toBe(2);
  });

  it("a call with no receiver times out in its send phase after the timeout", () => {
    let result = 0;
    let waited = 0;
    function* client(): UserCode<number> {
      const ep = yield* findEndpoint(0);
      const t0 = yield* l4.l4_time();
      yield* putMessage(U, 1, []);
      result = yield* l4.l4_ipc(ep, ep, 3000, U);
      waited = (yield* l4.l4_time()) - t0;
      return 0;
    }
    const b = bench({ client });
    start(b, [["client", WRITE]]);
    b.k.run({ maxSteps: 10_000 });
    expect(l4ErrorName(result)).toBe(l4ErrorName(-L4Error.ETIMEOUT));
    expect(waited).toBeGreaterThanOrEqual(3000);
  });

  it("a waiting receiver gets a later send; a plain send carries no reply capability", () => {
    const seen: number[] = [];
    function* server(): UserCode<number> {
      const ep = yield* findEndpoint(0);
      seen.push(yield* receive(U, ep), yield* word(U, 1), (yield* mem.load32(U + UTCB_REPLY)) | 0);
      return 0;
    }
    function* sender(): UserCode<number> {
      const ep = yield* findEndpoint(0);
      yield* l4.l4_time();
      yield* putMessage(U, 3, [99]);
      seen.push(yield* l4.l4_ipc(ep, NIL, -1, U));
      return 0;
    }
    const b = bench({ server, sender });
    start(b, [
      ["server", READ],
      ["sender", WRITE],
    ]);
    b.k.run({ maxSteps: 10_000 });
    expect([...seen].sort()).toEqual([-1, 0, 0, 99].sort());
  });

  it("a caller whose server dies before replying gets ENOPARTNER", () => {
    let result = 0;
    function* server(): UserCode<number> {
      const ep = yield* findEndpoint(0);
      yield* receive(U, ep);
      return 0; // exits holding the caller's reply capability
    }
    function* client(): UserCode<number> {
      const ep = yield* findEndpoint(0);
      result = yield* call(U, ep, 1, []);
      return 0;
    }
    const b = bench({ server, client });
    start(b, [
      ["server", READ],
      ["client", WRITE],
    ]);
    b.k.run({ maxSteps: 10_000 });
    expect(l4ErrorName(result)).toBe(l4ErrorName(-L4Error.ENOPARTNER));
  });

  it("replyWait serves one caller after another in one kernel entry each", () => {
    const answers: number[] = [];
    function* server(): UserCode<number> {
      const ep = yield* findEndpoint(0);
      let r = yield* receive(U, ep);
      while (r === 0) r = yield* replyWait(U, ep, 0, [(yield* word(U, 1)) + 1]);
      return 0;
    }
    function* client(): UserCode<number> {
      const ep = yield* findEndpoint(0);
      for (let i = 0; i < 5; i++) {
        yield* call(U, ep, 1, [i * 10]);
        answers.push(yield* word(U, 1));
      }
      return 0;
    }
    const b = bench({ server, client });
    start(b, [
      ["server", READ],
      ["client", WRITE],
    ]);
    b.k.run({ maxSteps: 20_000 });
    expect(answers).toEqual([1, 11, 21, 31, 41]);
    expect(b.state.counters.ipcMessages).toBe(10);
  });

  it("a server may call another server mid-request and still reply to its own caller", () => {
    const answers: number[] = [];
    function* back(): UserCode<number> {
      const ep = yield* findEndpoint(0);
      let r = yield* receive(U, ep);
      while (r === 0) r = yield* replyWait(U, ep, 0, [(yield* word(U, 1)) * 3]);
      return 0;
    }
    function* mid(): UserCode<number> {
      const front = yield* findEndpoint(0);
      const backEp = yield* findEndpoint(1);
      yield* receive(U, front);
      const x = yield* word(U, 1);
      yield* call(U, backEp, 1, [x]); // the client's capability stays in UTCB.REPLY
      const y = yield* word(U, 1);
      yield* putMessage(U, 0, [y + 1]);
      answers.push(yield* l4.l4_ipc(REPLY, NIL, -1, U));
      return 0;
    }
    function* client(): UserCode<number> {
      const ep = yield* findEndpoint(0);
      answers.push(yield* call(U, ep, 1, [5]), yield* word(U, 1));
      return 0;
    }
    const b = bench({ back, mid, client });
    const front = b.call("l4_capability_control", [CapOp.CREATE_ENDPOINT, 0, 0, 0]);
    const backEp = b.call("l4_capability_control", [CapOp.CREATE_ENDPOINT, 0, 0, 0]);
    const tasks: [string, [number, number][]][] = [
      ["back", [[backEp, READ]]],
      [
        "mid",
        [
          [front, READ],
          [backEp, WRITE],
        ],
      ],
      ["client", [[front, WRITE]]],
    ];
    for (const [name, grants] of tasks) {
      const [p, n] = b.str(name);
      const h = b.call("l4_thread_control", [ThreadOp.CREATE, p, n, NIL, 0]);
      for (const [ep, rights] of grants) b.call("l4_capability_control", [CapOp.GRANT, ep, h, rights]);
      b.call("l4_thread_control", [ThreadOp.RUN, h, 0, 0, 0]);
    }
    b.k.run({ maxSteps: 20_000 });
    expect([...answers].sort((x, y) => x - y)).toEqual([0, 0, 16]); // mid's reply ok, client ok, 5·3 + 1
  });
});
