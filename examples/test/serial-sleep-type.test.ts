// The kind of sleep (Linux 2.6.17–2.6.22's sleep_type) that the console's wakes name: the host's
// typing reaches a reader through the UART's receive interrupt, so its wake is "interrupted";
// a hangup's and a system call's wakes keep the default.
import type { SleepType, ThreadId } from "@osbricks/sched";
import { describe, expect, it } from "vitest";
import { bootCaptured } from "./session.js";

describe("serial console wakes and the kinds of sleep", () => {
  it("typing wakes the shell's read from the receive interrupt (interrupted); a hangup from process context (default)", () => {
    const { sys } = bootCaptured();
    const k = sys.kernel;
    const wakes: { tid: ThreadId; sleep: SleepType | undefined }[] = [];
    const wake = k.sched.wake.bind(k.sched);
    k.sched.wake = (tid: ThreadId, sleep?: SleepType) => {
      wakes.push({ tid, sleep });
      return wake(tid, sleep);
    };
    expect(sys.runUntilIdle()).toBe("input");
    expect(sys.console.readerWaiting).toBe(true);
    wakes.length = 0;
    sys.type("echo hi");
    // The shell's read was the one waiter: woken inside hostInput, from the handler.
    expect(wakes).toHaveLength(1);
    expect(wakes[0]!.sleep).toBe("interrupted");
    const shell = wakes[0]!.tid;
    expect(sys.runUntilIdle()).toBe("input");
    // Every wake while the command ran came from a system call (fork, waitpid, pipes): default.
    for (const w of wakes.slice(1)) expect(w.sleep).toBeUndefined();
    wakes.length = 0;
    sys.hangup(); // Linux: tty_hangup defers do_tty_hangup to a work queue, process context
    expect(wakes.filter((w) => w.tid === shell).map((w) => w.sleep)).toEqual([undefined]);
  });
});
