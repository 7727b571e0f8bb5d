// fork by replay, and silent replay in particular (src/kernel/fork.ts, src/program/replay.ts):
// while a child is rebuilt the stubs answer from the parent's history without yielding, raw
// `yield`s are fed by the replay loop, and the child must end up with the parent's locals at the
// parent's fork — whatever mix of stubs, raw yields, nested frames and value kinds led there. The
// cursor must be empty again after every replay, whichever way it ended.
// Run alone: pnpm vitest run packages/kernel/test/fork-replay.test.ts
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import {
  compute,
  History,
  Kernel,
  type KernelOptions,
  KernelStateError,
  libc,
  mem,
  memTrap,
  type ProcessStart,
  ProgramRegistry,
  replayCursor,
  Sig,
  posixStubs as sys,
  syscallTrap,
  type UserCode,
  WEXITSTATUS,
  WTERMSIG,
} from "../src/index.js";

const PAGE = 4096;
const NR_GETPID = 39;

/**
 * Boot `init`, run it to the end; counts the traced kernel events (every system call, switch and
 * fault) that happened while a replay cursor was active: none may.
 */
function boot(init: (s: ProcessStart) => UserCode<number | undefined>, opts: Partial<KernelOptions> = {}) {
  let leaks = 0;
  const programs = new ProgramRegistry().register({ name: "init", main: init });
  const k = new Kernel({
    programs,
    paranoid: true,
    // System calls, switches and faults are traced: none may happen while a replay's cursor is set.
    tracer: {
      emit() {
        if (replayCursor.active || replayCursor.pending()) leaks++;
      },
    },
    ...opts,
  });
  const p = k.boot("init");
  const r = k.run({ maxCycles: 5e8 });
  const status = k.life.reapedByKernel.find((x) => x.pid === p.pid)?.status ?? -1;
  return { k, outcome: r.outcome, status, leaks };
}

describe("silent replay: the child of a fork continues with the parent's locals", () => {
  it("a fork's child gets a start whose addressOf works detached, in its own text, at the parent's addresses", () => {
    function* handler(): UserCode<void> {}
    function* other(): UserCode<void> {}
    const { status, leaks } = boot(function* (s) {
      const { addressOf } = s; // a closure, not a method: usable detached
      const h = addressOf(handler);
      const pid = yield* sys.fork();
      if (pid === 0) {
        const { addressOf: childAddressOf } = s; // the child's start, rebound to its text
        // The same function keeps its address; a new one goes into the child's text only.
        return childAddressOf(handler) === h && addressOf(other) !== h ? 7 : 1;
      }
      const st = yield* libc.sbrk(8);
      yield* sys.waitpid(pid, st, 0);
      return WEXITSTATUS(yield* mem.load32(st));
    });
    expect([status, leaks]).toEqual([7 << 8, 0]);
  });

  it("a loop mixing stubs and raw yields forks at every turn; every child (and a grandchild) sees the right locals", () => {
    const { status, k, leaks, outcome } = boot(function* () {
      const va = yield* libc.sbrk(PAGE);
      const me = yield* sys.getpid();
      let acc = 0;
      let raw = 0;
      let big = 0n;
      let text = "";
      let bad = 0;
      for (let i = 0; i < 12; i++) {
        yield* mem.store32(va + 4 * (i % 8), i * 7 + 1); // stub store (resumed with undefined)
        acc += yield* mem.load32(va + 4 * (i % 8)); // stub load
        raw += (yield memTrap.load32(va + 4 * (i % 8))) as number; // raw yield of a load
        acc += ((yield syscallTrap(NR_GETPID, [])) as number) === me ? 1 : 1000; // raw system call
        big += yield* mem.load64(va); // a bigint in the history
        yield* compute(10);
        if (i % 3 === 0) {
          yield* mem.storeString(va + 64, `s${i}`);
          text = yield* mem.loadString(va + 64); // one load trap per byte
        }
        const bytes = yield* mem.read(va, 4); // a byte array in the history
        // What the locals are now, in memory: the child's copy-on-write copy has them too.
        yield* mem.store32(va + 128, acc);
        yield* mem.store32(va + 132, raw);
        yield* mem.store64(va + 136, big);
        yield* mem.store32(va + 144, i);
        const pid = yield* sys.fork();
        if (pid === 0) {
          let ok =
            acc === (yield* mem.load32(va + 128)) &&
            raw === (yield* mem.load32(va + 132)) &&
            big === (yield* mem.load64(va + 136)) &&
            i === (yield* mem.load32(va + 144)) &&
            text === (yield* mem.loadString(va + 64)) &&
            bytes[0] === (yield* mem.load8(va)) &&
            me === (yield* sys.getppid());
          if (i === 5) {
            // The child forks again: its history is the parent's, replayed, plus its own.
            const g = yield* sys.fork();
            if (g === 0) return acc === (yield* mem.load32(va + 128)) && i === 5 ? 0 : 9;
            ok = ok && WEXITSTATUS((yield* libc.waitpid(g)).status) === 0;
          }
          return ok ? 0 : 1;
        }
        if (WEXITSTATUS((yield* libc.waitpid(pid)).status) !== 0) bad++;
      }
      return bad;
    });
    expect(k.crashes).toEqual([]);
    expect(outcome).toBe("all-exited");
    expect(status).toBe(0);
    expect(leaks).toBe(0);
  });

  it("a signal handler frame on top forks: the child replays both frames, returns from the handler and goes on in the base frame", () => {
    const { status, k, leaks } = boot(function* (s) {
      const va = yield* libc.sbrk(PAGE); // [va]: child flag, [va+4]: child pid, [va+8]: handler's sum
      let before = 0;
      for (let i = 0; i < 5; i++) before += yield* sys.getpid();
      const onUsr1 = s.addressOf(function* () {
        let inHandler = 0;
        for (let i = 0; i < 3; i++) inHandler += (yield* mem.load32(va + 8)) + 1;
        const pid = yield* sys.fork();
        if (pid === 0) {
          yield* mem.store32(va, inHandler === 3 ? 1 : 2); // the handler's locals, seen by the child
          return;
        }
        yield* mem.store32(va + 4, pid);
      });
      yield* sys.sigaction(Sig.SIGUSR1, onUsr1, 0, 0);
      yield* sys.kill(yield* sys.getpid(), Sig.SIGUSR1);
      // Parent and child both come back here once the handler has returned.
      const flag = yield* mem.load32(va);
      if (flag !== 0) {
        const ppid = yield* sys.getppid();
        return flag === 1 && before === 5 * ppid ? 40 : 41;
      }
      const child = yield* mem.load32(va + 4);
      const w = yield* libc.waitpid(child);
      return before === 5 * (yield* sys.getpid()) && WEXITSTATUS(w.status) === 40 ? 0 : 1;
    });
    expect(k.crashes).toEqual([]);
    expect(status).toBe(0);
    expect(leaks).toBe(0);
  });

  it("a read's bytes are the child's own: the parent writing to its array after fork does not change the child's", () => {
    const { status, k } = boot(function* () {
      const va = yield* libc.sbrk(PAGE);
      yield* mem.write(va, Uint8Array.of(1, 2, 3, 4));
      const bytes = yield* mem.read(va, 4);
      bytes[0] = 42; // before the fork: the child's replay does the same
      const pid = yield* sys.fork();
      if (pid === 0) {
        yield* compute(50_000); // the parent runs on meanwhile
        return bytes[0] === 42 && bytes[1] === 2 ? 0 : 1;
      }
      bytes[1] = 77; // after the fork: the parent's alone
      const w = yield* libc.waitpid(pid);
      return WEXITSTATUS(w.status) === 0 && bytes[1] === 77 ? 0 : 2;
    });
    expect(k.crashes).toEqual([]);
    expect(status).toBe(0);
  });
});

describe("a replay that diverges kills the child with a report and leaves no cursor behind", () => {
  // Each program keeps state outside its locals (`outside`), so the child's replay runs another
  // path than the parent did. The parent then goes on trapping: its results must come from the
  // kernel, not from a history (getpid thrice, a load of a value it stored).
  const cases: { name: string; diverge: () => UserCode<number>; report: RegExp }[] = [
    {
      name: "arrives at another trap",
      *diverge() {
        for (;;) yield* sys.getppid(); // takes every recorded value, then yields a getppid trap
      },
      report: /did not arrive at the fork \(it yielded .*"nr":110/,
    },
    {
      name: "returns during the replay",
      // biome-ignore lint/correctness/useYield: returning at once is the divergence under test
      *diverge() {
        return 5;
      },
      report: /returned during replay at step 0/,
    },
    {
      name: "throws during the replay",
      // biome-ignore lint/correctness/useYield: throwing at once is the divergence under test
      *diverge() {
        throw new Error("boom in the child");
      },
      report: /frame threw during replay: boom in the child/,
    },
  ];
  for (const c of cases) {
    it(`the child's replay ${c.name}`, () => {
      let outside = 0;
      const { status, k, leaks } = boot(function* () {
        outside++;
        if (outside > 1) return yield* c.diverge(); // only in the child's replay
        const va = yield* libc.sbrk(PAGE);
        yield* mem.store32(va, 1234);
        yield* sys.getppid();
        const pid = yield* sys.fork();
        if (pid === 0) return 0;
        // The parent is resumed from the fork right after the child's replay: no cursor may be left.
        if (replayCursor.active || replayCursor.pending()) return 2;
        const killed = WTERMSIG((yield* libc.waitpid(pid)).status) === Sig.SIGILL;
        const me = yield* sys.getpid();
        const again = (yield* sys.getpid()) === me && (yield* sys.getpid()) === me;
        return killed && again && me === 1 && (yield* mem.load32(va)) === 1234 ? 0 : 1;
      });
      expect(status).toBe(0);
      expect(k.crashes).toHaveLength(1);
      expect(k.crashes[0]!.message).toContain("fork replay diverged");
      expect(k.crashes[0]!.message).toMatch(c.report);
      expect(replayCursor.active).toBe(false);
      expect(leaks).toBe(0);
    });
  }
});

describe("ReplayCursor", () => {
  /** An iterator result as plain data (a stub is its own first result, with more fields). */
  const res = (r: IteratorResult<unknown, unknown>) => ({ value: r.value, done: r.done });

  function history(values: unknown[]): History {
    const h = new History(64);
    for (const v of values) h.push(v);
    return h;
  }

  it("a stub answers from the cursor without yielding while a value waits, and yields its trap once none is left", () => {
    const h = history([undefined, 41, 7n]);
    replayCursor.begin(h, 1);
    try {
      expect(res(sys.getpid().next())).toEqual({ value: 41, done: true });
      expect(res(mem.load64(0x1000).next())).toEqual({ value: 7n, done: true });
      const g = sys.getpid();
      expect(g.next().value).toEqual({ kind: "syscall", nr: NR_GETPID, args: [] });
      expect(res(g.next(3))).toEqual({ value: 3, done: true });
      replayCursor.checkInvariants();
    } finally {
      replayCursor.finish();
    }
    expect(mem.load32(0x1000).next().value).toEqual({ kind: "load", va: 0x1000, size: 4 });
    replayCursor.checkInvariants();
  });

  it("every stub consumes exactly one value per trap it would have yielded (loadString: one per byte)", () => {
    const h = history([undefined, 0x68, 0x69, 0, undefined, undefined, 9]);
    replayCursor.begin(h, 1);
    try {
      expect(mem.loadString(0x2000).next()).toEqual({ value: "hi", done: true });
      expect(replayCursor.position).toBe(4);
      expect(mem.store32(0x2000, 1).next().done).toBe(true);
      expect(compute(5).next().done).toBe(true);
      expect(res(sys.write(1, 0x2000, 3).next())).toEqual({ value: 9, done: true });
      expect(replayCursor.pending()).toBe(false);
    } finally {
      replayCursor.finish();
    }
  });

  it("refuses to nest or to start outside the history, and leaves the active replay as it was", () => {
    const h = history([undefined, 1, 2]);
    expect(() => replayCursor.begin(h, 4)).toThrow(KernelStateError);
    expect(replayCursor.active).toBe(false);
    replayCursor.begin(h, 1);
    try {
      expect(() => replayCursor.begin(h, 1)).toThrow(/already active/);
      expect(replayCursor.position).toBe(1);
      expect(replayCursor.take()).toBe(1);
    } finally {
      replayCursor.finish();
      replayCursor.finish(); // idempotent
    }
    expect([replayCursor.active, replayCursor.pending(), replayCursor.position]).toEqual([false, false, 0]);
  });
});

// One step of a random program before the fork. Each is written either with a stub or as a raw
// yield, so the property mixes both ways of trapping.
type Op =
  | { kind: "getpid"; raw: boolean }
  | { kind: "store"; slot: number; value: number; raw: boolean }
  | { kind: "load"; slot: number; raw: boolean }
  | { kind: "load64"; slot: number }
  | { kind: "read"; slot: number }
  | { kind: "compute"; cycles: number };

const op: fc.Arbitrary<Op> = fc.oneof(
  fc.record({ kind: fc.constant("getpid" as const), raw: fc.boolean() }),
  fc.record({
    kind: fc.constant("store" as const),
    slot: fc.nat(15),
    value: fc.nat(0xffff_ffff),
    raw: fc.boolean(),
  }),
  fc.record({ kind: fc.constant("load" as const), slot: fc.nat(15), raw: fc.boolean() }),
  fc.record({ kind: fc.constant("load64" as const), slot: fc.nat(7) }),
  fc.record({ kind: fc.constant("read" as const), slot: fc.nat(15) }),
  fc.record({ kind: fc.constant("compute" as const), cycles: fc.nat(5000) }),
);

/** Run `o`, returning what the program saw as a number (what it keeps in its locals). */
function* runOp(o: Op, va: number): UserCode<number> {
  switch (o.kind) {
    case "getpid":
      return o.raw ? ((yield syscallTrap(NR_GETPID, [])) as number) : yield* sys.getpid();
    case "store":
      if (o.raw) yield memTrap.store32(va + 4 * o.slot, o.value);
      else yield* mem.store32(va + 4 * o.slot, o.value);
      return o.value;
    case "load":
      return o.raw ? ((yield memTrap.load32(va + 4 * o.slot)) as number) : yield* mem.load32(va + 4 * o.slot);
    case "load64":
      return Number((yield* mem.load64(va + 8 * o.slot)) & 0xffffn);
    case "read": {
      const b = yield* mem.read(va + 4 * o.slot, 4);
      return b[0]! + 256 * b[3]!;
    }
    case "compute":
      yield* compute(o.cycles);
      return o.cycles;
  }
}

describe("property: random traps, then fork", () => {
  it("the child's locals and its later trap results equal what the parent sees after the fork", () => {
    fc.assert(
      fc.property(fc.array(op, { maxLength: 40 }), fc.array(op, { maxLength: 10 }), (before, after) => {
        const { status, k, leaks } = boot(function* () {
          const va = yield* libc.sbrk(PAGE); // the words the ops touch
          const out = yield* libc.mmapAnon(PAGE, { shared: true }); // what the child reports
          const seen: number[] = []; // a local: the child's replay rebuilds it
          for (const o of before) seen.push(yield* runOp(o, va));
          const pid = yield* sys.fork();
          // Both continue with the same steps on their own (equal) copies of memory; getpid
          // differs by design, so it is masked to "a positive pid".
          const later: number[] = [];
          for (const o of after)
            later.push(o.kind === "getpid" ? Math.sign(yield* runOp(o, va)) : yield* runOp(o, va));
          const view = [...seen, ...later];
          if (pid === 0) {
            for (let i = 0; i < view.length; i++) yield* mem.store32(out + 4 * i, view[i]!);
            return 0;
          }
          const w = yield* libc.waitpid(pid);
          if (WEXITSTATUS(w.status) !== 0) return 1;
          for (let i = 0; i < view.length; i++) if ((yield* mem.load32(out + 4 * i)) !== view[i]) return 2;
          return 0;
        });
        expect(k.crashes).toEqual([]);
        expect(status).toBe(0);
        expect(leaks).toBe(0);
      }),
      { numRuns: 60 },
    );
  });
});
