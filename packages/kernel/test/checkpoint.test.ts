// Checkpoints (src/program/checkpoint.ts, src/kernel/fork.ts): a frame that declares one is
// rebuilt at a fork from `fn(...args)` and the values since, not from its entry. The child must
// still continue with the parent's locals; a checkpoint that does not restart where it promised
// kills the child with a report; bad checkpoints kill the program that yields them; and a
// checkpoint bounds the history, so a program can fork after any number of traps.
// Run alone: pnpm vitest run packages/kernel/test/checkpoint.test.ts
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import {
  type CheckpointTrap,
  checkpoint,
  checkpointError,
  Errno,
  Kernel,
  type KernelOptions,
  libc,
  MAX_CHECKPOINT_ARGS,
  mem,
  type ProcessStart,
  ProgramRegistry,
  replayCursor,
  Sig,
  sameCheckpoint,
  posixStubs as sys,
  type UserCode,
  WEXITSTATUS,
  WIFSIGNALED,
  WTERMSIG,
} from "../src/index.js";

const PAGE = 4096;

function boot(init: (s: ProcessStart) => UserCode<number | undefined>, opts: Partial<KernelOptions> = {}) {
  const programs = new ProgramRegistry().register({ name: "init", main: init });
  const k = new Kernel({ programs, paranoid: true, ...opts });
  const p = k.boot("init");
  const r = k.run({ maxCycles: 5e8 });
  const status = k.life.reapedByKernel.find((x) => x.pid === p.pid)?.status ?? -1;
  return { k, outcome: r.outcome, status };
}

/**
 * sysrate.c's loop with a checkpoint per turn: fork, the child exits with 7, the parent waits and
 * counts wrong statuses in memory at `st + 4`. Returns the count.
 */
function* forkLoop(n: number, i: number, st: number): UserCode<number> {
  for (; i < n; i++) {
    yield* checkpoint(forkLoop, n, i, st);
    const pid = yield* sys.fork();
    if (pid < 0) return 100 + (-pid & 0xff); // fork refused: say why in the status
    if (pid === 0) yield* sys.exit_group(7);
    yield* sys.waitpid(pid, st, 0);
    if (WEXITSTATUS(yield* mem.load32(st)) !== 7) yield* mem.store32(st + 4, (yield* mem.load32(st + 4)) + 1);
  }
  return yield* mem.load32(st + 4);
}

describe("a checkpointed frame is rebuilt from its checkpoint", () => {
  it("a fork loop with a checkpoint per turn runs past a history limit that stops the same loop without one", () => {
    // 40 forks at about 6 values a turn is far beyond a 64-value history: without checkpoints
    // fork fails with ENOMEM once the history is full, with them each turn starts a new one.
    const limit = { forkHistoryLimit: 64 };
    const plain = boot(function* () {
      const st = yield* libc.sbrk(8);
      for (let i = 0; i < 40; i++) {
        const pid = yield* sys.fork();
        if (pid < 0) return 100 + (-pid & 0xff);
        if (pid === 0) yield* sys.exit_group(7);
        yield* sys.waitpid(pid, st, 0);
      }
      return 0;
    }, limit);
    expect(WEXITSTATUS(plain.status)).toBe(100 + Errno.ENOMEM);

    const withCheckpoints = boot(function* () {
      const st = yield* libc.sbrk(8);
      return yield* forkLoop(40, 0, st);
    }, limit);
    expect(withCheckpoints.k.crashes).toEqual([]);
    expect(withCheckpoints.outcome).toBe("all-exited");
    expect(withCheckpoints.status).toBe(0); // every child exited with 7
  });

  it("the frame's history restarts at each checkpoint: a fork replays only the values since", () => {
    const longest = { with: 0, without: 0 };
    function run(which: "with" | "without", main: () => UserCode<number>) {
      const programs = new ProgramRegistry().register({ name: "init", main });
      const k = new Kernel({
        programs,
        tracer: {
          emit(e) {
            // Each fork says how many values it replayed to rebuild its child.
            if (e.type === "kernel.process" && e.event === "fork") {
              longest[which] = Math.max(longest[which], e.replayed ?? -1);
            }
          },
        },
      });
      const p = k.boot("init");
      k.run({ maxCycles: 5e8 });
      expect(k.crashes).toEqual([]);
      expect(k.life.reapedByKernel.find((x) => x.pid === p.pid)?.status).toBe(0);
      return k.forkStats;
    }
    const withStats = run("with", function* () {
      return yield* forkLoop(25, 0, yield* libc.sbrk(8));
    });
    const withoutStats = run("without", function* () {
      const st = yield* libc.sbrk(8);
      for (let i = 0; i < 25; i++) {
        const pid = yield* sys.fork();
        if (pid === 0) yield* sys.exit_group(7);
        yield* sys.waitpid(pid, st, 0);
      }
      return 0;
    });
    // The start value and the checkpoint's result (the fork's own value is not yet recorded),
    // however many turns came before; without the checkpoint the 25th fork replays the whole past.
    expect(longest.with).toBe(2);
    expect(longest.without).toBeGreaterThanOrEqual(2 * 24); // fork and waitpid results of 24 turns
    // The kernel's running totals say the same: 25 forks each way, 2 values a fork with checkpoints.
    expect(withStats).toEqual({ forks: 25, replayed: 50, lastReplayed: 2 });
    expect(withoutStats.forks).toBe(25);
    expect(withoutStats.lastReplayed).toBe(longest.without);
    expect(withoutStats.replayed).toBeGreaterThan(25 * 24);
  });

  it("the child continues with the parent's locals, for random loop bounds and fork positions", () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 12 }), fc.integer({ min: 0, max: 5 }), (n, extra) => {
        // Before each fork the parent makes `extra` loads after its checkpoint; the child checks
        // that the locals it inherits (i, acc, the loaded sum) are the parent's.
        function* loop(i: number, acc: number, va: number): UserCode<number> {
          for (; i < n; i++) {
            yield* checkpoint(loop, i, acc, va);
            let sum = 0;
            for (let j = 0; j < extra; j++) sum += yield* mem.load32(va + 4 * j);
            acc += i;
            yield* mem.store32(va + 64, acc);
            yield* mem.store32(va + 68, sum);
            const pid = yield* sys.fork();
            if (pid === 0) {
              const ok = acc === (yield* mem.load32(va + 64)) && sum === (yield* mem.load32(va + 68));
              return ok && i < n ? 0 : 1;
            }
            const w = yield* libc.waitpid(pid);
            if (WEXITSTATUS(w.status) !== 0) return 2;
          }
          return acc === (n * (n - 1)) / 2 ? 0 : 3;
        }
        const { status, k } = boot(function* () {
          const va = yield* libc.sbrk(PAGE);
          for (let j = 0; j < 8; j++) yield* mem.store32(va + 4 * j, j * 13 + 1);
          return yield* loop(0, 0, va);
        });
        expect(k.crashes).toEqual([]);
        expect(status).toBe(0);
        expect(replayCursor.active).toBe(false);
      }),
      { numRuns: 30 },
    );
  });

  it("a child that checkpoints and forks again: the grandchild is rebuilt from the child's checkpoint", () => {
    function* child(depth: number, va: number): UserCode<number> {
      yield* checkpoint(child, depth, va);
      if (depth === 0) return 40;
      const pid = yield* sys.fork();
      if (pid === 0) return yield* child(depth - 1, va);
      const w = yield* libc.waitpid(pid);
      return WEXITSTATUS(w.status) + 1;
    }
    const { status, k } = boot(function* () {
      const va = yield* libc.sbrk(PAGE);
      return yield* child(3, va);
    });
    expect(k.crashes).toEqual([]);
    expect(WEXITSTATUS(status)).toBe(43); // 40 at depth 0, plus one per level above it
  });

  it("a checkpoint in a signal handler: the child replays the base frame whole and the handler from its checkpoint", () => {
    const { status, k } = boot(function* (s) {
      const va = yield* libc.sbrk(PAGE); // [va]: child flag, [va+4]: child pid
      function* onUsr1(sig: number): UserCode<void> {
        yield* checkpoint(onUsr1, sig);
        const pid = yield* sys.fork();
        if (pid === 0) {
          yield* mem.store32(va, sig === Sig.SIGUSR1 ? 1 : 2);
          return;
        }
        yield* mem.store32(va + 4, pid);
      }
      yield* sys.sigaction(Sig.SIGUSR1, s.addressOf(onUsr1), 0, 0);
      yield* sys.kill(yield* sys.getpid(), Sig.SIGUSR1);
      const flag = yield* mem.load32(va);
      if (flag !== 0) return flag === 1 ? 40 : 41;
      const w = yield* libc.waitpid(yield* mem.load32(va + 4));
      return WEXITSTATUS(w.status) === 40 ? 0 : 1;
    });
    expect(k.crashes).toEqual([]);
    expect(status).toBe(0);
  });
  it("a handler forks on top of a checkpointed base frame: the base is rebuilt from its checkpoint", () => {
    function* base(va: number, handler: number, before: number): UserCode<number> {
      yield* checkpoint(base, va, handler, before);
      yield* sys.sigaction(Sig.SIGUSR1, handler, 0, 0);
      yield* sys.kill(yield* sys.getpid(), Sig.SIGUSR1); // the handler forks here
      const flag = yield* mem.load32(va);
      if (flag !== 0) return flag === 1 && before === 3 ? 40 : 41; // the child, back in the base
      const w = yield* libc.waitpid(yield* mem.load32(va + 4));
      return WEXITSTATUS(w.status) === 40 ? 0 : 1;
    }
    const { status, k } = boot(function* (s) {
      const va = yield* libc.sbrk(PAGE); // [va]: child flag, [va+4]: child pid
      const handler = s.addressOf(function* (): UserCode<void> {
        const pid = yield* sys.fork();
        if (pid === 0) yield* mem.store32(va, 1);
        else yield* mem.store32(va + 4, pid);
      });
      let before = 0;
      for (let i = 0; i < 3; i++) before += (yield* sys.getpid()) > 0 ? 1 : 0;
      return yield* base(va, handler, before);
    });
    expect(k.crashes).toEqual([]);
    expect(status).toBe(0);
  });
});

describe("a checkpoint that breaks its promise", () => {
  it("a continuation that does not begin at its checkpoint: the child is killed with a report, the parent goes on", () => {
    // `liar` checkpoints as `elsewhere`, which traps (getpid) before it checkpoints.
    function* elsewhere(n: number): UserCode<number> {
      yield* sys.getpid();
      yield* checkpoint(elsewhere, n);
      return 0;
    }
    const { status, k } = boot(function* () {
      yield* checkpoint(elsewhere, 1);
      const pid = yield* sys.fork();
      if (pid === 0) return 5; // never reached: the child is killed at its rebuild
      const w = yield* libc.waitpid(pid);
      // The parent's later traps are answered by the kernel, not by a history.
      const me = yield* sys.getpid();
      return WIFSIGNALED(w.status) && WTERMSIG(w.status) === Sig.SIGILL && me > 0 ? 0 : 1;
    });
    expect(status).toBe(0);
    expect(k.crashes.map((c) => c.message)).toEqual([
      expect.stringMatching(
        /elsewhere\(1\) did not restart at its checkpoint \(it yielded .*"kind":"syscall"/,
      ),
    ]);
    expect(replayCursor.active).toBe(false);
  });

  it("a continuation that checkpoints with other arguments is caught the same way", () => {
    function* drifting(n: number): UserCode<number> {
      yield* checkpoint(drifting, n + 1); // restarted as drifting(1), it says drifting(2)
      const pid = yield* sys.fork();
      if (pid === 0) return 5;
      const w = yield* libc.waitpid(pid);
      return WTERMSIG(w.status) === Sig.SIGILL ? 0 : 1;
    }
    const { status, k } = boot(function* () {
      return yield* drifting(0); // checkpoints drifting(1)
    });
    expect(status).toBe(0);
    expect(k.crashes).toHaveLength(1);
    expect(k.crashes[0]!.message).toMatch(/drifting\(1\) did not restart at its checkpoint/);
  });
});

describe("checkpoints the kernel cannot keep kill the program (SIGILL) and nothing else", () => {
  const bad: { name: string; trap: () => CheckpointTrap; message: RegExp }[] = [
    {
      name: "an object argument",
      trap: () => ({ kind: "checkpoint", fn: forkLoop as never, args: [1, { i: 2 }] }),
      message: /checkpoint\(forkLoop, …\): argument 1 is an object; expected a primitive/,
    },
    {
      name: "a function argument",
      trap: () => ({ kind: "checkpoint", fn: forkLoop as never, args: [() => 1] }),
      message: /argument 0 is a function; expected a primitive/,
    },
    {
      name: "fn not a function",
      trap: () => ({ kind: "checkpoint", fn: 42 as never, args: [] }),
      message: /checkpoint\(fn=42\): fn is not a function/,
    },
    {
      name: "too many arguments",
      trap: () => ({
        kind: "checkpoint",
        fn: forkLoop as never,
        args: new Array(MAX_CHECKPOINT_ARGS + 1).fill(0),
      }),
      message: /not an array of at most 16 values/,
    },
    {
      name: "arguments not an array",
      trap: () => ({ kind: "checkpoint", fn: forkLoop as never, args: "abc" as never }),
      message: /not an array/,
    },
  ];
  for (const c of bad) {
    it(c.name, () => {
      const programs = new ProgramRegistry()
        .register({
          name: "init",
          *main() {
            const st = yield* libc.sbrk(8);
            const pid = yield* libc.spawnv("bad");
            yield* sys.waitpid(pid, st, 0);
            const w = yield* mem.load32(st);
            return WTERMSIG(w) === Sig.SIGILL ? 0 : 1;
          },
        })
        .register({
          name: "bad",
          *main() {
            yield c.trap();
            return 0;
          },
        });
      const k = new Kernel({ programs, paranoid: true });
      const p = k.boot("init");
      k.run({ maxCycles: 1e8 });
      expect(k.life.reapedByKernel.find((x) => x.pid === p.pid)?.status).toBe(0);
      expect(k.crashes.map((r) => r.message)).toEqual([expect.stringMatching(c.message)]);
    });
  }

  it("checkpointError accepts every primitive and names the first bad argument", () => {
    const fn = forkLoop as never;
    expect(
      checkpointError({ kind: "checkpoint", fn, args: [1, -0, 2n, "s", true, undefined, null] }),
    ).toBeNull();
    expect(checkpointError({ kind: "checkpoint", fn, args: [1, [2], {}] })).toMatch(
      /argument 1 is an object/,
    );
  });

  it("sameCheckpoint compares by Object.is: NaN equals NaN, 0 differs from -0", () => {
    const t: CheckpointTrap = { kind: "checkpoint", fn: forkLoop as never, args: [Number.NaN, 0] };
    expect(sameCheckpoint(t, forkLoop, [Number.NaN, 0])).toBe(true);
    expect(sameCheckpoint(t, forkLoop, [Number.NaN, -0])).toBe(false);
    expect(sameCheckpoint(t, forkLoop, [Number.NaN])).toBe(false);
    expect(sameCheckpoint(t, boot, [Number.NaN, 0])).toBe(false);
  });
});
