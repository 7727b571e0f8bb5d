// TrapStub (src/program/stub.ts): a one-trap stub written as an iterator must behave as the
// generator `function* () { return yield trap; }` it replaces — under `yield*`, when driven by
// hand, when ended early, and while a replay cursor is answering for it.
import { describe, expect, it } from "vitest";
import {
  compute,
  History,
  mem,
  memTrap,
  replayCursor,
  StubKind,
  posixStubs as sys,
  syscall,
  type Trap,
  TrapStub,
  type UserCode,
} from "../src/index.js";

/** An iterator result as plain data. */
const res = (r: IteratorResult<unknown, unknown>) => ({ value: r.value, done: r.done });

/** The generator a stub stands for, to compare the two step by step. */
function* asGenerator<R>(trap: Trap): UserCode<R> {
  return (yield trap) as R;
}

describe("TrapStub behaves as the one-yield generator it replaces", () => {
  it("next() raises the trap, next(v) returns v, and then it stays done — step for step like the generator", () => {
    const trap: Trap = { kind: "load", va: 0x40, size: 4 };
    const stub = mem.load32(0x40);
    const gen = asGenerator<number>(trap);
    const steps = (it: UserCode<number>) => [it.next(), it.next(7), it.next(8)].map(res);
    expect(steps(stub)).toEqual(steps(gen));
    expect(steps(mem.load32(0x40))).toEqual([
      { value: trap, done: false },
      { value: 7, done: true },
      { value: undefined, done: true },
    ]);
  });

  it("outside a replay each result is an object of its own, which does not change when the stub goes on", () => {
    const stub = mem.load32(0x40);
    const first = stub.next();
    expect(res(first)).toEqual({ value: { kind: "load", va: 0x40, size: 4 }, done: false });
    const second = stub.next(7);
    expect(second).not.toBe(first);
    expect(res(second)).toEqual({ value: 7, done: true });
    expect(res(first)).toEqual({ value: { kind: "load", va: 0x40, size: 4 }, done: false });
  });

  it("a replayed trap answers with one shared result; it never reaches a trap resumed after the replay", () => {
    const h = new History(8);
    for (const v of [undefined, 11, 22]) h.push(v);
    let shared: IteratorResult<unknown, unknown>;
    replayCursor.begin(h, 1);
    try {
      shared = mem.load32(0x40).next();
      expect(res(shared)).toEqual({ value: 11, done: true });
      expect(mem.load32(0x40).next()).toBe(shared); // the same object, its value the next one
      expect(res(shared)).toEqual({ value: 22, done: true });
      const raised = sys.getpid().next(); // nothing left: raised, with a result of its own
      expect(raised).not.toBe(shared);
      expect(res(raised)).toEqual({ value: { kind: "syscall", nr: 39, args: [] }, done: false });
    } finally {
      replayCursor.finish();
    }
    // After the replay: every step of every stub has its own result and the resumed value.
    for (const stub of [mem.load32(0x40), sys.getpid(), sys.waitpid(3, 0x80, 0)] as UserCode<number>[]) {
      const a = stub.next();
      const b = stub.next(5);
      const c = stub.next(6);
      expect([a, b, c]).not.toContain(shared);
      expect([a.done, b.done, b.value, c.done, c.value]).toEqual([false, true, 5, true, undefined]);
    }
    function* prog(): UserCode<number> {
      return (yield* mem.load32(0x40)) + (yield* sys.getpid());
    }
    const g = prog();
    g.next();
    g.next(100);
    expect(g.next(2)).toEqual({ value: 102, done: true }); // not 22, the replay's last value
  });

  it("yield* delegates to it: the outer generator yields the trap and gets the resume value back", () => {
    function* outer(): UserCode<number> {
      const a = yield* mem.load32(0x100);
      const b = yield* sys.getpid();
      return a + b;
    }
    const g = outer();
    expect(g.next().value).toEqual({ kind: "load", va: 0x100, size: 4 });
    expect(g.next(40).value).toEqual({ kind: "syscall", nr: 39, args: [] });
    expect(g.next(2)).toEqual({ value: 42, done: true });
  });

  it("return(v) and throw(e) end it as they end a generator suspended at its yield", () => {
    const r = compute(10);
    r.next();
    expect(r.return(undefined)).toEqual({ value: undefined, done: true });
    expect(r.next()).toEqual({ value: undefined, done: true });
    const t = syscall(39);
    t.next();
    expect(() => t.throw(new Error("kill"))).toThrow("kill");
    expect(t.next()).toEqual({ value: undefined, done: true });
    // Thrown into an outer generator delegating to it: the outer one sees the exception.
    function* outer(): UserCode<string> {
      try {
        yield* mem.store32(0, 1);
        return "not reached";
      } catch (e) {
        return `caught ${(e as Error).message}`;
      }
    }
    const g = outer();
    g.next();
    expect(g.throw(new Error("signal"))).toEqual({ value: "caught signal", done: true });
  });

  it("every stub yields the same record as before: memTrap, the raw syscall, the typed stubs", () => {
    const first = (c: UserCode<unknown>) => c.next().value;
    const bytes = Uint8Array.of(1, 2);
    expect(first(mem.loadI64(8))).toEqual(memTrap.loadI64(8));
    expect(first(mem.load64(8))).toEqual({ kind: "load", va: 8, size: 8 });
    expect(first(mem.store8(8, 3))).toEqual({ kind: "store", va: 8, size: 1, value: 3 });
    expect(first(mem.read(8, 16))).toEqual({ kind: "read-bytes", va: 8, length: 16 });
    expect(first(mem.write(8, bytes))).toEqual(memTrap.write(8, bytes));
    expect(first(mem.cas32(8, 1, 2))).toEqual(memTrap.cas32(8, 1, 2));
    expect(first(compute(5))).toEqual({ kind: "compute", cycles: 5 });
    expect(first(syscall(1, 2, 3))).toEqual({ kind: "syscall", nr: 1, args: [2, 3] });
    expect(first(sys.write(1, 0x1000, 3))).toEqual({ kind: "syscall", nr: 1, args: [1, 0x1000, 3] });
    // A call without arguments yields one shared, frozen record.
    expect(first(sys.getpid())).toBe(first(sys.getpid()));
    expect(Object.isFrozen(first(sys.getpid()))).toBe(true);
    expect(first(new TrapStub<number>(StubKind.LOAD, 0x10, 2, 0, undefined))).toEqual({
      kind: "load",
      va: 0x10,
      size: 2,
    });
  });

  it("nothing happens at the call: stubs created in one order and run in another take the replay's values in run order", () => {
    const h = new History(8);
    for (const v of [undefined, 11, 22]) h.push(v);
    replayCursor.begin(h, 1);
    try {
      const a = sys.getpid();
      const b = sys.getppid();
      expect(replayCursor.position).toBe(1); // creating them consumed nothing
      expect(res(b.next())).toEqual({ value: 11, done: true });
      expect(res(a.next())).toEqual({ value: 22, done: true });
      const c = sys.getpid(); // no value left: it raises its trap
      expect(res(c.next())).toEqual({ value: { kind: "syscall", nr: 39, args: [] }, done: false });
    } finally {
      replayCursor.finish();
    }
  });

  it("a system-call stub passes exactly the arguments it was given: the declared count in the stub's fields, any other count as an array", () => {
    const first = (c: UserCode<unknown>) => c.next().value;
    expect(first(sys.write(1, 0x1000, 3))).toEqual({ kind: "syscall", nr: 1, args: [1, 0x1000, 3] });
    expect(first(sys.close(4))).toEqual({ kind: "syscall", nr: 3, args: [4] });
    // Untyped code with a wrong count: the kernel must see it (and refuse it with EINVAL).
    const untyped = sys.write as unknown as (...a: number[]) => UserCode<number>;
    expect(first(untyped(1))).toEqual({ kind: "syscall", nr: 1, args: [1] });
    expect(first(untyped(1, 2, 3, 4))).toEqual({ kind: "syscall", nr: 1, args: [1, 2, 3, 4] });
  });

  it("the stub tables are frozen, so a program cannot swap a stub under another one", () => {
    expect(Object.isFrozen(sys)).toBe(true);
    expect(Object.isFrozen(mem)).toBe(true);
    expect(Object.isFrozen(memTrap)).toBe(true);
  });
});
