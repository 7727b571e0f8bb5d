// The grinder laws (grindLaws, exported from @osbricks/kernel/laws) must reject broken kernels,
// each for the law it breaks. Each kernel below is ours with one POSIX handler replaced by a
// plausible mistake: a leak, a kernel exception on garbage, a broken reference count, a run that
// depends on something besides its seed.
import { describe, expect, it } from "vitest";
import {
  Kernel,
  type Personality,
  posixPersonality,
  posixSyscalls,
  SyscallDispatcher,
  type SyscallHandlers,
  type Thread,
} from "../src/index.js";
import { grindLaws } from "../src/laws/index.js";

type Handler = (t: Thread, ...args: number[]) => number;

/** The POSIX personality with the handlers `over` returns put in place of ours. */
function tweaked(
  over: (k: Kernel, posix: (t: Thread, name: string, args: number[]) => number) => Record<string, Handler>,
): Personality {
  return (k) => {
    const base = posixPersonality(k);
    const posix = (t: Thread, name: string, args: number[]): number => {
      const e = posixSyscalls.entries.find((x) => x.name === name)!;
      return base.dispatch(t, e.decl.nr, args.slice(0, e.decl.args.length));
    };
    const handlers: Record<string, Handler> = {};
    for (const e of posixSyscalls.entries) handlers[e.name] = (t, ...args) => posix(t, e.name, args);
    Object.assign(handlers, over(k, posix));
    return new SyscallDispatcher(
      posixSyscalls,
      handlers as unknown as SyscallHandlers<Thread, typeof posixSyscalls.decls>,
    );
  };
}

/**
 * The grind laws for our kernel with `personality`, a few runs (each run is a whole machine), none
 * paranoid: the checks at the end of each run alone must see every mistake below.
 */
function laws(personality: Personality, runs = 4) {
  return grindLaws(
    (programs, seed, paranoid) =>
      new Kernel({ programs, paranoid, seed, memoryFrames: 2048, maxProcesses: 64, personality }),
    { runs, paranoidEvery: 0 },
  );
}

describe("the grind laws reject broken kernels", () => {
  it("our personality, passed through the same wrapper, keeps both laws", () => {
    for (const law of laws(tweaked(() => ({})))) law.check();
  });

  it("the grinder gets the job-control calls past their checks: setpgid and setsid succeed", () => {
    // Garbage alone never moved a process into a group (setpgid's pid and pgid are small pids).
    const ok = { setpgid: 0, setsid: 0 };
    const counting = tweaked((_k, posix) => ({
      setpgid: (t, ...args) => {
        const r = posix(t, "setpgid", args);
        if (r === 0) ok.setpgid++;
        return r;
      },
      setsid: (t, ...args) => {
        const r = posix(t, "setsid", args);
        if (r > 0) ok.setsid++;
        return r;
      },
    }));
    // Eight runs: the grinder picks among every call of the table, so four runs made only a couple
    // of setpgid calls — with tcgetsid (526) added to the table, two, neither with good arguments.
    laws(counting, 8)[0]!.check();
    expect(ok.setpgid).toBeGreaterThan(0);
    expect(ok.setsid).toBeGreaterThan(0);
  });

  it("a fork that takes a frame and never gives it back: a leak", () => {
    const leaky = tweaked((k, posix) => ({
      fork: (t) => {
        k.frames.alloc(0);
        return posix(t, "fork", []);
      },
    }));
    expect(() => laws(leaky)[0]!.check()).toThrow(/leaked .*frames?/);
  });

  it("a spawn that always fails: the grinders never run, which the law does not take for a pass", () => {
    const barren = tweaked(() => ({ spawn: () => -12 }));
    expect(() => laws(barren)[0]!.check()).toThrow(/could not start a grinder/);
  });

  it("a close that throws on a descriptor it does not know: a kernel exception", () => {
    const panicky = tweaked((_k, posix) => ({
      close: (t, fd) => {
        if (t.process.files.get(fd) === null) throw new Error(`close(${fd}): no such descriptor`);
        return posix(t, "close", [fd]);
      },
    }));
    expect(() => laws(panicky)[0]!.check()).toThrow(/no such descriptor/);
  });

  it("a dup that takes one reference too many on the open file: the invariants or the leak check see it", () => {
    const doubleRef = tweaked((_k, posix) => ({
      dup: (t, fd) => {
        const r = posix(t, "dup", [fd]);
        if (r >= 0) t.process.files.get(r)!.get();
        return r;
      },
    }));
    expect(() => laws(doubleRef)[0]!.check()).toThrow(/refs=|leaked/);
  });

  it("a spawn that depends on state outside the seed (a counter shared by every kernel): not reproducible", () => {
    let shared = 0;
    const drifting = tweaked((k, posix) => ({
      spawn: (t, ...args) => {
        shared++;
        k.cpus[t.cpu]!.time += shared; // the run's clock depends on what ran before it
        return posix(t, "spawn", args);
      },
    }));
    expect(() => laws(drifting)[1]!.check()).toThrow(/ran differently twice/);
  });
});
