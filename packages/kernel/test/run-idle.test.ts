// Kernel.run's "idle" outcome: user space is idle (every user thread blocked or stopped, no timer
// of its own) although a kernel thread's periodic timer keeps the machine alive — the moment a
// host feeds input. Timed waits and sleeps are not idle; a host that acts resumes the run.
import { describe, expect, it } from "vitest";
import {
  compute,
  FileMode,
  type FileOperations,
  type FileStat,
  FileType,
  Kernel,
  libc,
  OpenFile,
  ProgramRegistry,
  posixStubs as sys,
  type UserCode,
  type Waiter,
} from "../src/index.js";

/** A keyboard: reads wait until the host types. */
class Keyboard implements FileOperations {
  readonly kind = "keyboard";
  private queue: number[] = [];
  readonly readers: Waiter[] = [];
  read(max: number): Uint8Array | null {
    if (this.queue.length === 0) return max === 0 ? new Uint8Array(0) : null;
    return Uint8Array.from(this.queue.splice(0, max));
  }
  write = (): number => -9;
  stat = (): FileStat => ({ mode: FileType.S_IFCHR, size: 0, ino: 0, nlink: 1 });
  waiters = (dir: "read" | "write"): Waiter[] | undefined => (dir === "read" ? this.readers : undefined);
  type(text: string): void {
    this.queue.push(...new TextEncoder().encode(text));
    for (const w of this.readers.splice(0)) w.wakeToRetry();
  }
}

/** A kernel daemon (like a kstatd): a timer of pid 0 is pending for as long as init lives. */
const daemon = (k: Kernel) =>
  function* (): UserCode<void> {
    while (k.processes.get(1)?.phase === "live") yield* sys.nanosleep(50_000);
  };

function machine(init: () => UserCode<number>, cpus = 1) {
  const k = new Kernel({
    programs: new ProgramRegistry().register({ name: "init", main: init }),
    cpus,
    paranoid: true,
  });
  const p = k.boot("init");
  const kbd = new Keyboard();
  expect(p.files.install(new OpenFile(kbd, FileMode.READ))).toBe(3);
  k.spawnKernelThread(daemon(k));
  return { k, kbd };
}

describe("run({ stopWhenIdle })", () => {
  it("stops when user threads wait for input although a kernel timer is pending; input resumes them", () => {
    const { k, kbd } = machine(function* () {
      let total = 0;
      for (;;) {
        const got = yield* libc.read(3, 16);
        if (typeof got === "number" || got.length === 0 || got[0] === 0x71 /* q */) return total;
        total += got.length;
      }
    }, 2);
    let r = k.run({ stopWhenIdle: true, maxCycles: 1e9 });
    expect(r.outcome).toBe("idle");
    expect(k.userIdle()).toBe(true);
    const when = k.now;
    kbd.type("abc");
    expect(k.userIdle()).toBe(false); // the reader is ready again
    r = k.run({ stopWhenIdle: true, maxCycles: 1e9 });
    expect(r.outcome).toBe("idle");
    expect(k.now).toBeGreaterThan(when);
    kbd.type("q");
    r = k.run({ stopWhenIdle: true, maxCycles: 1e9 });
    expect(r.outcome).toBe("all-exited");
    expect(k.life.reapedByKernel).toEqual([{ pid: 1, status: 3 << 8 }]); // exited 3: "abc"
  });

  it("without stopWhenIdle the same machine runs on to the limit (the daemon's timer goes on)", () => {
    const { k } = machine(function* () {
      yield* libc.read(3, 1);
      return 0;
    });
    expect(k.run({ maxCycles: 2e6 }).outcome).toBe("limit");
  });

  it("a sleeping or timed-waiting user thread is not idle; a blocked pipe pair with no timer is", () => {
    const { k } = machine(function* () {
      yield* sys.nanosleep(300_000); // a user timer: not idle while it runs
      const [r] = yield* libc.pipe();
      const pid = yield* sys.fork();
      if (pid === 0) {
        yield* libc.read(r, 1); // blocks for good: the parent holds the write end and waits
        return 0;
      }
      yield* compute(10);
      yield* libc.waitpid(pid);
      return 0;
    });
    const r = k.run({ stopWhenIdle: true, maxCycles: 1e9 });
    expect(r.outcome).toBe("idle");
    expect(k.now).toBeGreaterThanOrEqual(300_000); // not before the sleep ended
    expect([...k.threads.values()].filter((t) => t.process.pid !== 0).map((t) => t.wait?.on)).toEqual([
      "waitpid",
      "pipe-read read",
    ]);
  });

  it("userIdle is false when no user thread exists", () => {
    const { k } = machine(function* () {
      yield* compute(10);
      return 0;
    });
    expect(k.userIdle()).toBe(false); // init is ready, not blocked
    k.run({ stopWhenIdle: true, maxCycles: 1e9 });
    expect(k.userIdle()).toBe(false);
  });
});
