import { describe, expect, it } from "vitest";
import { PROT_READ, PROT_WRITE } from "../src/areas/area.js";
import { InvariantError } from "../src/errors.js";
import type { AddressSpace } from "../src/space/address-space.js";
import { type Machine, machine } from "./space-fixture.js";

const RW = PROT_READ | PROT_WRITE;

/**
 * 100 rounds of fork, a write by the child and one by the parent, and the child's exit, on a
 * space of 8 written pages; `check` runs after each round. Returns the parent.
 */
function forkExitRounds(m: Machine, check: (p: AddressSpace, round: number) => void): AddressSpace {
  const p = m.sys.createSpace();
  p.map({ length: 0x8000, prot: RW, placement: { kind: "fixed", va: 0x10000 } });
  for (let i = 0; i < 8; i++) m.store(p, 0x10000 + i * 0x1000, i);
  for (let round = 0; round < 100; round++) {
    const c = p.fork()!;
    m.store(c, 0x10000 + (round % 8) * 0x1000, round);
    m.store(p, 0x10000 + ((round * 3) % 8) * 0x1000, round);
    c.destroy();
    check(p, round);
  }
  return p;
}

describe("shadow chains in address spaces", () => {
  it("fork puts two shadows in front of the parent's object; the child starts with no leaves", () => {
    const m = machine("shadow");
    const p = m.sys.createSpace();
    p.map({ length: 0x4000, prot: RW, placement: { kind: "fixed", va: 0x10000 } });
    m.store(p, 0x10000, 1);
    const a = p.areaList()[0]!.object!;
    const c = p.fork()!;
    const front = p.areaList()[0]!.object!;
    const childObj = c.areaList()[0]!.object!;
    expect(front.kind).toBe("shadow");
    expect(front.backing).toBe(a);
    expect(childObj.backing).toBe(a);
    expect([...a.shadowers]).toEqual([front, childObj]);
    expect(c.pmap.leaves(0x10000, 0x14000)).toHaveLength(0);
    expect(p.pmap.lookup(0x10000)).toMatchObject({ writable: false, cow: true });
    m.sys.checkInvariants();
  });

  it("a write copies into the front shadow; when the child exits its object is merged away", () => {
    const m = machine("shadow");
    const p = m.sys.createSpace();
    p.map({ length: 0x4000, prot: RW, placement: { kind: "fixed", va: 0x10000 } });
    for (let i = 0; i < 4; i++) m.store(p, 0x10000 + i * 0x1000, i + 1);
    const c = p.fork()!;
    m.store(c, 0x11000, 9);
    expect(c.areaList()[0]!.object!.resident.size).toBe(1);
    m.store(p, 0x12000, 8);
    expect(p.areaList()[0]!.object!.resident.size).toBe(1);
    c.destroy();
    const obj = p.areaList()[0]!.object!;
    expect(obj.chainLength()).toBe(1);
    expect(obj.resident.size).toBe(4); // A's pages 0,1,3 moved forward; A's page 2 was hidden: freed
    expect(m.sys.store.stats().merges).toBe(1);
    expect(m.load(p, 0x12000)).toBe(8);
    expect(m.load(p, 0x11000)).toBe(2);
    m.sys.checkInvariants();
  });

  it("chains stay bounded under repeated fork and exit (100 rounds)", () => {
    const m = machine("shadow");
    forkExitRounds(m, (parent) => {
      expect(parent.areaList()[0]!.object!.chainLength()).toBe(1);
      expect(m.sys.store.objects()).toHaveLength(1);
    });
    m.sys.checkInvariants();
  });

  it("the same 100 rounds without the merge rule: the chain grows by one object per round", () => {
    // What the test above guards against: with mergeShadows off, each fork + child exit leaves
    // the old object behind the parent's new shadow.
    const m = machine("shadow", 2048, 2, undefined, false);
    const p = forkExitRounds(m, (parent, round) => {
      expect(parent.areaList()[0]!.object!.chainLength()).toBe(round + 2);
    });
    expect(m.sys.store.objects()).toHaveLength(101);
    m.sys.checkInvariants();
    const want = [0, 1, 2, 3, 4, 5, 6, 7];
    for (let round = 0; round < 100; round++) want[(round * 3) % 8] = round;
    for (let i = 0; i < 8; i++) expect(m.load(p, 0x10000 + i * 0x1000)).toBe(want[i]); // lookups walk 101 objects
    p.destroy();
    expect(m.sys.store.objects()).toHaveLength(0); // rule 1 still frees everything at the end
    expect(m.frames.freeFrames()).toBe(m.initialFree);
  });

  it("a chain grows with nested live forks and shrinks as they exit", () => {
    const m = machine("shadow");
    const spaces = [m.sys.createSpace()];
    spaces[0]!.map({ length: 0x1000, prot: RW, placement: { kind: "fixed", va: 0x10000 } });
    m.store(spaces[0]!, 0x10000, 1);
    for (let d = 1; d <= 4; d++) {
      const s = spaces[d - 1]!.fork()!;
      m.store(s, 0x10000, d + 1);
      spaces.push(s);
    }
    expect(spaces[4]!.areaList()[0]!.object!.chainLength()).toBe(5);
    for (let d = 4; d >= 1; d--) {
      spaces[d]!.destroy();
      m.sys.checkInvariants();
    }
    expect(spaces[0]!.areaList()[0]!.object!.chainLength()).toBe(1);
    expect(m.load(spaces[0]!, 0x10000)).toBe(1);
  });

  it("the two-way count catches a lost shadower, an extra link and a leaked object", () => {
    const m = machine("shadow");
    const p = m.sys.createSpace();
    p.map({ length: 0x1000, prot: RW, placement: { kind: "fixed", va: 0x10000 } });
    m.store(p, 0x10000, 1);
    p.fork();
    const front = p.areaList()[0]!.object!;
    const back = front.backing!;
    back.shadowers.delete(front); // the backing pointer says one thing, the shadower set another
    expect(() => m.sys.checkInvariants()).toThrow(/not among the shadowers/);
    back.shadowers.add(front);
    front.links++;
    front.refs++; // refs = links + shadows still holds: the areas (one link held) disagree
    expect(() => m.sys.checkInvariants()).toThrow(/not exclusive|1 held/);
    front.links--;
    front.refs--;
    const stray = m.sys.store.createAnonymous(1); // an object no area or segment links
    expect(() => m.sys.checkInvariants()).toThrow(/0 held/);
    m.sys.store.unlink(stray);
    m.sys.checkInvariants();
  });

  it("the two-way count catches a corrupted reference count", () => {
    const m = machine("shadow");
    const p = m.sys.createSpace();
    p.map({ length: 0x1000, prot: RW, placement: { kind: "fixed", va: 0x10000 } });
    m.store(p, 0x10000, 1);
    p.fork();
    const back = p.areaList()[0]!.object!.backing!;
    back.refs++;
    expect(() => m.sys.checkInvariants()).toThrow(InvariantError);
    back.refs--;
    m.sys.checkInvariants();
  });
});
