// futex_wait's value check and its queueing are one step. Two threads of one process share a
// word; the interleaving is fixed by sleeps (the kernel is deterministic):
//
//   lost wake avoided:  A loads 0 … B stores 1, futex_wake (nobody queued) … A futex_wait(w, 0)
//                       → j6_status_would_block at once (never asleep with no waker left)
//   wake delivered:     A futex_wait(w, 0) queues … B stores 1, futex_wake → 1 woken, A → ok
import type { ProcessStart, UserCode } from "@osbricks/kernel";
import { mem } from "@osbricks/kernel";
import { describe, expect, it } from "vitest";
import { J6_FOREVER, J6ObjectType, j6StatusName } from "../src/jsix/abi.js";
import { findHandle, j6, log, scratch } from "../src/jsix/lib.js";
import { BENCH_PROGRAMS, jbench } from "./jsix-harness.js";

const ENTRY = BENCH_PROGRAMS.length; // the extra program's entry

/** argv[1] = role + 2 × wakerFirst. Role 0 waits on word 0 of its scratch page; role 1 changes it. */
function* racer(start: ProcessStart): UserCode<number> {
  const arg = Number(start.argv[1]);
  const role = arg & 1;
  const wakerFirst = (arg & 2) !== 0;
  const word = 0x2000_0000 + 8 * 4096; // a page both threads see (their process's)
  if (role === 0) {
    const buf = yield* scratch(0);
    yield* j6.j6_vma_create_map(4096, word, 1);
    yield* mem.store32(word, 0);
    const self = yield* findHandle(buf, J6ObjectType.process);
    yield* j6.j6_thread_create(self, ENTRY, arg | 1);
    const seen = (yield* mem.load32(word)) | 0; // the user's check…
    if (wakerFirst) yield* j6.j6_thread_sleep(5_000); // …the waker runs in between…
    const r = yield* j6.j6_futex_wait(word, seen, J6_FOREVER); // …and the wait must see it
    yield* log(buf, `waiter: saw ${seen}, ${j6StatusName(r)}, word now ${(yield* mem.load32(word)) | 0}`);
    yield* j6.j6_thread_sleep(5_000); // let the waker log
    return 0;
  }
  const buf = yield* scratch(1);
  if (!wakerFirst) yield* j6.j6_thread_sleep(2_000);
  yield* mem.store32(word, 1);
  const n = yield* j6.j6_futex_wake(word, 1);
  yield* log(buf, `waker: woke ${n}`);
  return yield* j6.j6_thread_exit();
}

function run(wakerFirst: boolean): string[] {
  const b = jbench({ racer });
  const p = b.call("j6_process_create", []);
  expect(b.call("j6_thread_create", [p, ENTRY, wakerFirst ? 2 : 0])).toBeGreaterThan(0);
  const r = b.k.run({ maxSteps: 200_000 });
  expect(b.k.crashes.map((c) => c.message)).toEqual([]);
  expect(r.outcome).toBe("all-exited"); // a wait that slept forever would leave the waiter blocked
  expect(b.k.resourceLeaks()).toEqual([]);
  b.state.checkInvariants();
  return b.state.system.log.map((l) => l.replace(/^\[\d+\] /, ""));
}

describe("futex_wait: check and queue in one step", () => {
  it("a change and wake between the waiter's load and its wait makes the wait return at once", () => {
    expect(run(true)).toEqual(["waker: woke 0", "waiter: saw 0, j6_status_would_block, word now 1"]);
  });

  it("a wait queued before the change is woken by it", () => {
    expect(run(false)).toEqual(["waker: woke 1", "waiter: saw 0, j6_status_ok, word now 1"]);
  });
});
