import { describe, expect, it } from "vitest";
import { PROT_EXEC, PROT_READ, PROT_WRITE } from "../src/areas/area.js";
import { InvariantError } from "../src/errors.js";
import { machine } from "./space-fixture.js";

const RW = PROT_READ | PROT_WRITE;

describe.each(["shadow", "refcount"] as const)("page faults (%s)", (strategy) => {
  it("not present in a fresh area: demand-zero, then the access succeeds without a fault", () => {
    const m = machine(strategy);
    const s = m.sys.createSpace();
    s.map({ length: 0x2000, prot: RW, placement: { kind: "fixed", va: 0x10000 } });
    const r = s.handleFault(0x10010, "write");
    expect(r).toMatchObject({ kind: "resolved", how: "zero-fill" });
    expect(s.handleFault(0x10020, "write")).toMatchObject({ kind: "resolved", how: "spurious" });
    expect(m.store(s, 0x10000, 1)).toBeNull();
    m.sys.checkInvariants();
  });

  it("a read-only area maps zero pages read-only; exec needs PROT_EXEC", () => {
    const m = machine(strategy);
    const s = m.sys.createSpace();
    s.map({ length: 0x1000, prot: PROT_READ | PROT_EXEC, placement: { kind: "fixed", va: 0x10000 } });
    expect(s.handleFault(0x10000, "exec")).toMatchObject({ kind: "resolved" });
    expect(s.pmap.lookup(0x10000)).toMatchObject({ writable: false, noExecute: false, user: true });
    expect(s.handleFault(0x10000, "write")).toMatchObject({ kind: "segv", code: "accerr" });
  });

  it("an exec-only area is readable, as on x86 without protection keys (a present page always is)", () => {
    // Linux/x86 maps PROT_EXEC as PAGE_READONLY_EXEC: the MMU cannot fetch without allowing reads.
    // Whether the first access is a read or an exec must not change what a read does later.
    for (const first of ["read", "exec"] as const) {
      const m = machine(strategy);
      const s = m.sys.createSpace();
      s.map({ length: 0x1000, prot: PROT_EXEC, placement: { kind: "fixed", va: 0x10000 } });
      expect(s.handleFault(0x10000, first)).toMatchObject({ kind: "resolved" });
      expect(m.load(s, 0x10000)).toBe(0);
      expect(m.store(s, 0x10000, 1)).toBe("segv:protection");
      m.sys.checkInvariants();
    }
  });

  it("write after fork: the first writer copies, the last holder reuses (refcount) or copies (shadow)", () => {
    const m = machine(strategy);
    const p = m.sys.createSpace();
    p.map({ length: 0x1000, prot: RW, placement: { kind: "fixed", va: 0x10000 } });
    m.store(p, 0x10000, 1);
    const c = p.fork()!;
    expect(c.handleFault(0x10000, "write")).toMatchObject({ kind: "resolved", how: "copy" });
    const again = p.handleFault(0x10000, "write");
    // refcount: the parent's frame now has count 1, so it is reused. shadow: the page lives one
    // object behind the parent's front shadow (the child still shares that object), so it is copied.
    expect(again).toMatchObject({ kind: "resolved", how: strategy === "refcount" ? "reuse" : "copy" });
    m.sys.checkInvariants();
  });

  it("after the child exits, the parent's next write reuses its page (no copy) in both strategies", () => {
    const m = machine(strategy);
    const p = m.sys.createSpace();
    p.map({ length: 0x1000, prot: RW, placement: { kind: "fixed", va: 0x10000 } });
    m.store(p, 0x10000, 1);
    const c = p.fork()!;
    c.destroy();
    expect(p.handleFault(0x10000, "write")).toMatchObject({ kind: "resolved", how: "reuse" });
    expect(m.load(p, 0x10000)).toBe(1);
    m.sys.checkInvariants();
  });

  it("a physical object maps its fixed frames (MMIO) and never copies them", () => {
    const m = machine(strategy);
    const dev = m.sys.store.createPhysical(0x300, 2);
    m.frames.reserve(0x300, 2);
    const s = m.sys.createSpace();
    s.map({
      length: 0x2000,
      prot: RW,
      sharing: "shared",
      object: dev,
      placement: { kind: "fixed", va: 0x10000 },
    });
    expect(s.handleFault(0x11000, "write")).toEqual({ kind: "resolved", how: "map", frame: 0x301 });
    m.store(s, 0x11004, 0x5a);
    expect(m.memory.read8(0x301004)).toBe(0x5a);
    const c = s.fork()!;
    expect(m.load(c, 0x11004)).toBe(0x5a); // shared: the child sees the device too
    m.sys.checkInvariants([dev]); // the test still holds the link createPhysical gave it
    m.sys.store.unlink(dev); // the areas keep the object alive
    m.sys.checkInvariants();
  });

  it("out of memory is a result and leaves the space consistent", () => {
    const m = machine(strategy, 24);
    const s = m.sys.createSpace();
    s.map({ length: 64 * 0x1000, prot: RW, placement: { kind: "fixed", va: 0x10000 } });
    let oom = null;
    for (let i = 0; i < 64 && oom === null; i++) {
      const r = s.handleFault(0x10000 + i * 0x1000, "write");
      if (r.kind === "oom") oom = r;
      else expect(r.kind).toBe("resolved");
    }
    expect(oom).toMatchObject({ kind: "oom" });
    m.sys.checkInvariants();
    s.destroy();
    expect(m.frames.freeFrames()).toBe(m.initialFree);
  });

  it("a fault handler that resolves without fixing the leaf is an InvariantError, not an endless retry", () => {
    const m = machine(strategy);
    const s = m.sys.createSpace();
    s.map({ length: 0x1000, prot: RW, placement: { kind: "fixed", va: 0x10000 } });
    // A broken handler: says "resolved" and leaves the page unmapped.
    s.handleFault = (va) => ({ kind: "resolved", how: "spurious", frame: va >>> 12 });
    expect(() => m.load(s, 0x10000)).toThrow(InvariantError);
  });

  it("a stale TLB entry makes a spurious fault, which drops the entry", () => {
    const m = machine(strategy);
    const s = m.sys.createSpace();
    s.map({ length: 0x1000, prot: RW, placement: { kind: "fixed", va: 0x10000 } });
    expect(s.handleFault(0x10000, "read").kind).toBe("resolved");
    expect(s.handleFault(0x10000, "read")).toMatchObject({ how: "spurious" });
    expect(s.pmap.pendingFlushes).toBe(0);
  });
});
