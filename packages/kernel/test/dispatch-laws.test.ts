// The system-call dispatch laws (syscallDispatchLaws, exported from @osbricks/kernel/laws) must
// reject broken dispatchers, each for the law it breaks: a suite that passes a broken dispatcher
// would pass a student's too. Each broken dispatcher below is a small, plausible mistake.
import { describe, expect, it } from "vitest";
import {
  checkSyscallArgs,
  Errno,
  posixSyscalls,
  type SyscallDecls,
  SyscallDispatcher,
  type SyscallEntry,
  type SyscallHandlers,
  type SyscallTable,
} from "../src/index.js";
import {
  countingDispatch,
  type DispatchedCall,
  type DispatchUnderTest,
  syscallDispatchLaws,
} from "../src/laws/index.js";

const table = posixSyscalls as unknown as SyscallTable;
const opts = { numRuns: 200, seed: 42 };

/** What the recording handlers saw. */
interface Record {
  calls: number;
  last: DispatchedCall | null;
}

type Handler = (ctx: null, ...args: unknown[]) => number;

/** One recording handler per call, returning `result(name)`. */
function recorders(rec: Record, result: (name: string) => number = () => 0): Map<string, Handler> {
  const m = new Map<string, Handler>();
  for (const e of table.entries) {
    m.set(e.name, (_ctx, ...args) => {
      rec.calls++;
      const r = result(e.name);
      rec.last = { name: e.name, args, result: r };
      return r;
    });
  }
  return m;
}

function probe(rec: Record, dispatch: (nr: unknown, args: readonly unknown[]) => number): DispatchUnderTest {
  return { dispatch, handlerCalls: () => rec.calls, lastCall: () => rec.last };
}

/**
 * A hand-written dispatcher: look the call up, run `check` on its arguments, then `call` its
 * handler. The broken variants below change one of the three.
 */
function handWritten(o: {
  check?: (e: SyscallEntry, args: readonly unknown[]) => number;
  call?: (h: Handler, args: readonly unknown[]) => number;
  result?: (name: string) => number;
}): () => DispatchUnderTest {
  return () => {
    const rec: Record = { calls: 0, last: null };
    const hs = recorders(rec, o.result);
    const check = o.check ?? checkSyscallArgs;
    const call = o.call ?? ((h, args) => h(null, ...args));
    return probe(rec, (nr, args) => {
      const e = typeof nr === "number" ? table.byNr[nr] : undefined;
      if (e === undefined) return -Errno.ENOSYS;
      const bad = check(e, args);
      return bad !== 0 ? bad : call(hs.get(e.name)!, args);
    });
  };
}

/** The law of `laws` whose name contains `part`. */
function law(make: () => DispatchUnderTest, part: string) {
  const found = syscallDispatchLaws(table, make, opts).find((l) => l.name.includes(part));
  if (found === undefined) throw new Error(`no law named like ${part}`);
  return found;
}

const GARBAGE = "never throw";
const CHECKS = "gets that check's errno";
const ROUTING = "reaches its own handler";
const COUNT = "one argument too many or too few";

describe("the dispatch laws hold for correct dispatchers", () => {
  it("our SyscallDispatcher through countingDispatch, and the hand-written reference", () => {
    for (const l of syscallDispatchLaws(table, () => countingDispatch(table), opts)) l.check();
    for (const l of syscallDispatchLaws(table, handWritten({ result: (n) => n.length }), opts)) l.check();
  });

  it("countingDispatch reports the last call: its handler's name, arguments and result", () => {
    const d = countingDispatch(table);
    expect(d.lastCall?.()).toBeNull();
    d.dispatch(posixSyscalls.decls.kill.nr, [5, 9]);
    expect(d.lastCall?.()).toEqual({ name: "kill", args: [5, 9], result: 0 });
    d.dispatch(posixSyscalls.decls.kill.nr, [5, 99]); // bad signal: no handler, last stays
    expect(d.lastCall?.()?.args).toEqual([5, 9]);
  });
});

describe("the dispatch laws reject broken dispatchers", () => {
  it("a dispatcher that calls the wrong handler (the next entry's) breaks the routing law", () => {
    const make = (): DispatchUnderTest => {
      const rec: Record = { calls: 0, last: null };
      const hs = recorders(rec);
      const names = table.entries.map((e) => e.name);
      const shifted = Object.fromEntries(names.map((n, i) => [n, hs.get(names[(i + 1) % names.length]!)!]));
      const d = new SyscallDispatcher<null>(table, shifted as unknown as SyscallHandlers<null, SyscallDecls>);
      return probe(rec, (nr, args) => d.dispatch(null, nr, args));
    };
    expect(() => law(make, ROUTING).check()).toThrow(/reached the handler of/);
    law(make, GARBAGE).check(); // the other laws cannot see it
    law(make, CHECKS).check();
  });

  it("a dispatcher that checks the arguments but never runs a handler breaks the routing law", () => {
    const make = handWritten({ call: () => 0 });
    expect(() => law(make, ROUTING).check()).toThrow(/ran 0 handlers/);
    law(make, CHECKS).check();
  });

  it("a dispatcher that passes the arguments in the wrong order breaks the routing law", () => {
    const make = handWritten({ call: (h, args) => h(null, ...[...args].reverse()) });
    expect(() => law(make, ROUTING).check()).toThrow(/argument \d differs/);
  });

  it("a dispatcher that drops the handler's result breaks the routing law", () => {
    const make = handWritten({
      result: () => 7,
      call: (h, args) => {
        h(null, ...args);
        return 0;
      },
    });
    expect(() => law(make, ROUTING).check()).toThrow(/returned 0, but its handler returned 7/);
  });

  it("a dispatcher that skips the pointer-range checks breaks the check law (the handler runs)", () => {
    const make = handWritten({
      check: (e, args) => {
        const ptrs = e.decl.args.map((a) => (a.kind === "ptr" ? { ...a, kind: "size" as const } : a));
        const repaired = args.map((v, i) => (e.decl.args[i]!.kind === "ptr" ? 0 : v));
        return checkSyscallArgs({ ...e, decl: { ...e.decl, args: ptrs } }, repaired);
      },
    });
    expect(() => law(make, CHECKS).check()).toThrow(/reached its handler|returned 0, expected -14/);
  });

  it("a dispatcher that answers a bad descriptor with EINVAL instead of EBADF breaks the check law", () => {
    const make = handWritten({
      check: (e, args) => {
        const r = checkSyscallArgs(e, args);
        return r === -Errno.EBADF ? -Errno.EINVAL : r;
      },
    });
    expect(() => law(make, CHECKS).check()).toThrow(/returned -22, expected -9/);
  });

  it("a dispatcher that does not check that a pid is an int32 breaks the check law", () => {
    const make = handWritten({
      check: (e, args) => {
        const relaxed = e.decl.args.map((a) =>
          a.kind === "pid" ? { ...a, kind: "int" as const, min: -(2 ** 53), max: 2 ** 53 } : a,
        );
        const ints = args.map((v, i) =>
          e.decl.args[i]!.kind === "pid" && typeof v === "number" ? Math.trunc(v) : v,
        );
        return checkSyscallArgs({ ...e, decl: { ...e.decl, args: relaxed } }, ints);
      },
    });
    expect(() => law(make, CHECKS).check()).toThrow(/reached its handler|returned 0, expected -22/);
  });

  it("a dispatcher that does not count the arguments (extra ones ignored, missing ones undefined) breaks the count law", () => {
    const make = handWritten({
      check: (e, args) => {
        const n = e.decl.args.length;
        const fitted = Array.from({ length: n }, (_, i) => args[i] ?? 0);
        return checkSyscallArgs(e, fitted);
      },
    });
    expect(() => law(make, COUNT).check()).toThrow(/reached its handler|expected -22/);
    law(make, CHECKS).check();
  });

  it("a dispatcher that throws on a register that is not a number breaks the garbage law", () => {
    const make = handWritten({
      check: (e, args) => {
        for (const a of args) (a as number).toFixed(0); // undefined, null, strings, bigints throw
        return checkSyscallArgs(e, args);
      },
    });
    expect(() => law(make, GARBAGE).check()).toThrow();
  });
});
