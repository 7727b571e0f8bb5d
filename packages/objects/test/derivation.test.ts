import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { type CapNode, type CapSlotOwner, DerivationTree } from "../src/index.js";

const owner = (closed: number[], tree: () => DerivationTree, nodes: Map<number, CapNode>): CapSlotOwner => ({
  tableId: 1,
  revokeSlot: (slot) => {
    closed.push(slot);
    tree().remove(nodes.get(slot)!);
    nodes.delete(slot);
  },
});

describe("DerivationTree", () => {
  it("remove moves children up in place, keeping order", () => {
    const t = new DerivationTree();
    const closed: number[] = [];
    const nodes = new Map<number, CapNode>();
    const o = owner(closed, () => t, nodes);
    const a = t.root(o, 0);
    const b = t.child(a, o, 1);
    const c = t.child(b, o, 2);
    const d = t.child(b, o, 3);
    const e = t.child(a, o, 4);
    t.remove(b);
    expect(t.descendants(a).map((n) => n.slot)).toEqual([2, 3, 4]);
    expect(c.parent).toBe(a);
    expect(d.parent).toBe(a);
    expect(e.prev).toBe(d);
    t.checkInvariants();
    expect(() => t.remove(b)).toThrow(/removed twice/);
  });

  it("revokeBelow closes every descendant deepest first, keeps the node and the rest", () => {
    fc.assert(
      fc.property(fc.array(fc.nat(), { minLength: 1, maxLength: 30 }), fc.nat(), (parents, pick) => {
        const t = new DerivationTree();
        const closed: number[] = [];
        const nodes = new Map<number, CapNode>();
        const o = owner(closed, () => t, nodes);
        const parentOf: number[] = [-1];
        nodes.set(0, t.root(o, 0));
        parents.forEach((p, i) => {
          const parent = p % (i + 1);
          parentOf.push(parent);
          nodes.set(i + 1, t.child(nodes.get(parent)!, o, i + 1));
        });
        const victim = pick % parentOf.length;
        const below = parentOf
          .map((_, i) => i)
          .filter((i) => {
            for (let p = parentOf[i]!; p >= 0; p = parentOf[p]!) if (p === victim) return true;
            return false;
          });
        expect(t.revokeBelow(nodes.get(victim)!)).toBe(below.length);
        expect(closed.sort((x, y) => x - y)).toEqual(below);
        expect(t.size).toBe(parentOf.length - below.length);
        t.checkInvariants();
      }),
      { numRuns: 100 },
    );
  });

  it("sibling of a root is a root; of a child, shares its parent", () => {
    const t = new DerivationTree();
    const o: CapSlotOwner = { tableId: 1, revokeSlot: () => {} };
    const a = t.root(o, 0);
    const s = t.sibling(a, o, 1);
    const c = t.child(a, o, 2);
    const cs = t.sibling(c, o, 3);
    expect(t.isAncestor(a, s)).toBe(false);
    expect(cs.parent).toBe(a);
    expect(t.all().map((n) => n.slot)).toEqual([0, 2, 3, 1]);
    t.checkInvariants();
  });
});
