import { describe, expect, it } from "vitest";
import { PROT_READ, PROT_WRITE } from "../src/areas/area.js";
import { machine, type StrategyName } from "./space-fixture.js";

const RW = PROT_READ | PROT_WRITE;

/** The same workload for both strategies: counts to compare. */
function workload(strategy: StrategyName) {
  const m = machine(strategy, 4096);
  const p = m.sys.createSpace();
  p.map({ length: 32 * 0x1000, prot: RW, placement: { kind: "fixed", va: 0x10000 } });
  for (let i = 0; i < 32; i++) m.store(p, 0x10000 + i * 0x1000, i);
  let faults = 0;
  const count = (r: string | null | number) => r;
  for (let round = 0; round < 10; round++) {
    const c = p.fork()!;
    for (let i = 0; i < 8; i++) count(m.load(c, 0x10000 + ((round + i * 5) % 32) * 0x1000, 1));
    for (let i = 0; i < 4; i++) m.store(c, 0x10000 + ((round + i * 7) % 32) * 0x1000, 0xee, 1);
    for (let i = 0; i < 4; i++) m.store(p, 0x10000 + ((round * 3 + i) % 32) * 0x1000, round, 0);
    m.cpus[1]!.activeSpace = null;
    c.destroy();
  }
  faults = p.pmap.stats().rounds;
  const data = [];
  for (let i = 0; i < 32; i++) data.push(m.load(p, 0x10000 + i * 0x1000));
  m.sys.checkInvariants();
  p.destroy();
  return { stats: m.sys.strategy.stats(), data, faults, leaked: m.initialFree - m.frames.freeFrames() };
}

describe("fork", () => {
  it("both strategies give the parent the same bytes, leak nothing, and differ in copies", () => {
    const shadow = workload("shadow");
    const refcount = workload("refcount");
    expect(shadow.data).toEqual(refcount.data);
    expect(shadow.leaked).toBe(0);
    expect(refcount.leaked).toBe(0);
    expect(refcount.stats.maxChain).toBe(1);
    expect(shadow.stats.maxChain).toBe(2);
    // refcount reuses pages the other side already copied away from; shadow copies them again
    expect(refcount.stats.copies).toBeLessThanOrEqual(shadow.stats.copies);
    expect(refcount.stats.reuses).toBeGreaterThan(0);
  });

  it.each(["shadow", "refcount"] as const)(
    "%s: fork out of memory returns null and leaks nothing",
    (strategy) => {
      const m = machine(strategy, 40);
      const p = m.sys.createSpace();
      // pages far apart need their own page tables in the child (refcount copies leaves)
      for (let k = 0; k < 6; k++) {
        p.map({ length: 0x1000, prot: RW, placement: { kind: "fixed", va: 0x1000_0000 * (k + 1) } });
        m.store(p, 0x1000_0000 * (k + 1), k);
      }
      const free = m.frames.freeFrames();
      let child = p.fork();
      const kids = [];
      while (child !== null) {
        kids.push(child);
        child = p.fork();
      }
      m.sys.checkInvariants();
      for (const k of kids) k.destroy();
      expect(m.frames.freeFrames()).toBe(free);
      for (let k = 0; k < 6; k++) expect(m.load(p, 0x1000_0000 * (k + 1))).toBe(k);
      m.sys.checkInvariants();
    },
  );

  it.each(["shadow", "refcount"] as const)("%s: guard and shared areas are inherited as such", (strategy) => {
    const m = machine(strategy);
    const p = m.sys.createSpace();
    p.map({ length: 0x1000, prot: RW, sharing: "guard", placement: { kind: "fixed", va: 0x10000 } });
    p.map({ length: 0x1000, prot: RW, sharing: "shared", placement: { kind: "fixed", va: 0x11000 } });
    const c = p.fork()!;
    expect(c.dump()).toBe(p.dump());
    expect(m.load(c, 0x10000)).toBe("segv:guard");
    m.store(c, 0x11000, 3);
    expect(m.load(p, 0x11000)).toBe(3);
    m.sys.checkInvariants();
  });
});
