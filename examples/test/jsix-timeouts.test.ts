// Timed waits of the jsix personality, run on the kernel (a blocked call needs a running thread):
// every blocking call given a timeout returns j6_err_timed_out once it passes, having waited at
// least that long, and leaves nothing queued behind; a wait satisfied in time returns the signals.
import { mem, type UserCode } from "@osbricks/kernel";
import { describe, expect, it } from "vitest";
import { EVENT_SIGNAL_SHIFT, j6StatusName } from "../src/jsix/abi.js";
import { j6, log, scratch } from "../src/jsix/lib.js";
import { BENCH_PROGRAMS, jbench } from "./jsix-harness.js";

const T = 5_000;

function* timed(): UserCode<number> {
  const buf = yield* scratch(0);
  const ev = yield* j6.j6_event_create();
  const mb = yield* j6.j6_mailbox_create();
  const results: string[] = [];
  for (const [name, call] of [
    ["event_wait", () => j6.j6_event_wait(ev, T)],
    ["object_wait", () => j6.j6_object_wait(ev, 1 << EVENT_SIGNAL_SHIFT, T)],
    [
      "mailbox_respond",
      () => {
        return (function* () {
          yield* mem.store32(buf + 4, 0);
          return yield* j6.j6_mailbox_respond(mb, buf, T);
        })();
      },
    ],
    [
      "futex_wait",
      () => {
        return (function* () {
          yield* mem.store32(buf + 64, 3);
          return yield* j6.j6_futex_wait(buf + 64, 3, T);
        })();
      },
    ],
  ] as const) {
    const r = yield* call();
    results.push(`${name} ${j6StatusName(r)}`);
  }
  yield* log(buf, results.join("; "));
  return 0;
}

describe("timed waits", () => {
  it("each blocking call with a timeout returns j6_err_timed_out after it, and is off every queue", () => {
    const b = jbench({ timed });
    const p = b.call("j6_process_create", []);
    // The first extra program's entry comes right after the bench's.
    expect(b.call("j6_thread_create", [p, BENCH_PROGRAMS.length, 0])).toBeGreaterThan(0);
    const t0 = b.k.now;
    const r = b.k.run({ maxSteps: 200_000 });
    expect(r.outcome).toBe("all-exited");
    const line = b.state.system.log.find((l) => l.includes("event_wait"));
    expect(line).toMatch(
      /event_wait j6_err_timed_out; object_wait j6_err_timed_out; mailbox_respond j6_err_timed_out; futex_wait j6_err_timed_out/,
    );
    expect(b.k.now - t0).toBeGreaterThanOrEqual(4 * T);
    for (const mb of b.state.mailboxes) expect(mb.servers.length).toBe(0);
    expect(b.k.resourceLeaks()).toEqual([]);
  });
});
