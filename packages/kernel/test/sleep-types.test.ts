// Which kind of sleep (Linux 2.6.17–2.6.22's sleep_type, @osbricks/sched's SleepType) each of the
// kernel's wakes names, and what it means end to end under the O(1) policy.
import { interactiveSleep, O1Policy, type ReadyReason, type SleepType, type ThreadId } from "@osbricks/sched";
import { describe, expect, it } from "vitest";
import {
  compute,
  FutexOp,
  Kernel,
  libc,
  mem,
  ProgramRegistry,
  Prot,
  posixStubs as sys,
  type UserCode,
  WEXITSTATUS,
} from "../src/index.js";

const PAGE = 4096;
const HOLE = 0x5000_0000; // nothing mapped: the fault goes to the pager
const MS = 10; // cycles per O(1) millisecond: the default 1000-cycle tick is 100 ms

/** O(1) that writes down the kind of sleep every wake names, by scheduler thread id. */
class RecordingO1 extends O1Policy {
  readonly wakes: { tid: ThreadId; sleep: SleepType | undefined }[] = [];
  override enqueue(tid: ThreadId, reason: ReadyReason, sleep?: SleepType): void {
    if (reason === "wake") this.wakes.push({ tid, sleep });
    super.enqueue(tid, reason, sleep);
  }
}

function boot(main: () => UserCode<number>) {
  const policy = new RecordingO1({ msCycles: MS });
  const k = new Kernel({
    programs: new ProgramRegistry().register({ name: "init", main }),
    policy: () => policy,
    paranoid: true,
  });
  return { k, policy };
}

function runToExit(k: Kernel): number {
  const p = k.boot("init");
  expect(k.run({ maxCycles: 1e8 }).outcome).toBe("all-exited");
  expect(k.resourceLeaks()).toEqual([]);
  return k.life.reapedByKernel.find((x) => x.pid === p.pid)!.status;
}

/** The scheduler id of the thread whose POSIX tid is `tid`. */
function schedIdOf(k: Kernel, tid: number): ThreadId {
  for (const t of k.threads.values()) if (t.tid === tid) return t.schedId;
  throw new Error(`no thread ${tid}`);
}

/** The kinds named by the wakes of scheduler thread `sid`, in order. */
function kindsOf(policy: RecordingO1, sid: ThreadId): (SleepType | undefined)[] {
  return policy.wakes.filter((w) => w.tid === sid).map((w) => w.sleep);
}

describe("kinds of sleep the kernel names (Linux's sleep_type)", () => {
  it("a pager wait is uninterruptible: its wake is noninteractive, and O(1) never lifts the thread past just interactive", () => {
    // The child faults on FAULTS pages; the pager (its parent) computes 400 ms before each reply,
    // so each wait is a sleep shorter than INTERACTIVE_SLEEP (799 ms) that, credited in full as an
    // interactive sleep, would take sleep_avg to the 1000 ms maximum after the third.
    const FAULTS = 5;
    const ceiling = interactiveSleep(0, MS);
    const seen: number[] = [];
    let childSid = -1 as ThreadId; // set by the child before it is read
    const { k, policy } = boot(function* () {
      const pid = yield* sys.fork();
      if (pid === 0) {
        childSid = schedIdOf(k, yield* sys.gettid());
        yield* compute(20_000); // let the parent attach first
        for (let i = 0; i < FAULTS; i++) {
          yield* mem.store32(HOLE + i * PAGE, i); // faults, waits for the pager, runs again
          seen.push(policy.sleepAvg(childSid));
        }
        return 0;
      }
      yield* sys.pager_attach(pid);
      const src = yield* libc.mmapAnon(PAGE);
      const msg = yield* libc.sbrk(16);
      for (let i = 0; i < FAULTS; i++) {
        const cap = yield* sys.pager_recv(msg);
        const va = yield* mem.load32(msg);
        yield* compute(400 * MS);
        yield* sys.pager_map(pid, va & ~(PAGE - 1), Prot.PROT_READ | Prot.PROT_WRITE, src);
        yield* sys.pager_reply(cap, 1);
      }
      return WEXITSTATUS((yield* libc.waitpid(pid)).status);
    });
    expect(runToExit(k)).toBe(0);
    expect(seen).toHaveLength(FAULTS);
    for (const s of seen) expect(s).toBeLessThanOrEqual(ceiling);
    const pagerWakes = kindsOf(policy, childSid).slice(-FAULTS);
    expect(pagerWakes).toEqual(Array(FAULTS).fill("noninteractive"));
  });

  it("a sleep ended by the timer tick is interrupted; a futex wake from a system call keeps the default", () => {
    let sleeperSid = -1 as ThreadId;
    let waiterSid = -1 as ThreadId;
    const { k, policy } = boot(function* () {
      sleeperSid = schedIdOf(k, yield* sys.gettid());
      yield* sys.nanosleep(3000); // woken by the timer queue at a tick
      const word = yield* libc.mmapAnon(PAGE, { shared: true }); // one futex word for both
      const pid = yield* sys.fork();
      if (pid === 0) {
        waiterSid = schedIdOf(k, yield* sys.gettid());
        yield* sys.futex(word, FutexOp.FUTEX_WAIT, 0, 0); // woken by the parent's FUTEX_WAKE
        yield* sys.futex(word, FutexOp.FUTEX_WAIT, 0, 2500); // times out at a tick
        return 0;
      }
      while ((yield* sys.futex(word, FutexOp.FUTEX_WAKE, 1, 0)) === 0) yield* compute(500);
      return WEXITSTATUS((yield* libc.waitpid(pid)).status);
    });
    expect(runToExit(k)).toBe(0);
    expect(kindsOf(policy, sleeperSid)[0]).toBe("interrupted");
    const waiter = kindsOf(policy, waiterSid);
    expect(waiter.slice(0, 2)).toEqual([undefined, "interrupted"]);
  });
});
