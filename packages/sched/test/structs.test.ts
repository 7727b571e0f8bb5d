import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { DENSE_LIMIT, EntryTable, PrioArray, SlotRing, VruntimeHeap, VruntimeTree } from "../src/index.js";

type Op = { op: "insert"; id: number; key: number } | { op: "pop" } | { op: "remove"; id: number };
const opArb: fc.Arbitrary<Op> = fc.oneof(
  {
    weight: 3,
    arbitrary: fc.record({
      op: fc.constant("insert" as const),
      id: fc.nat(40),
      key: fc.integer({ min: 0, max: 20 }),
    }),
  },
  { weight: 2, arbitrary: fc.constant({ op: "pop" as const }) },
  { weight: 1, arbitrary: fc.record({ op: fc.constant("remove" as const), id: fc.nat(40) }) },
);

/** Naive model: a sorted array of (key, id). */
function modelRun(
  ops: Op[],
  s: {
    insert(id: number, key: number): void;
    pop(): number;
    remove(id: number): boolean;
    ids(): number[];
    check(): void;
  },
): void {
  const model: Array<{ id: number; key: number }> = [];
  const sort = () => model.sort((a, b) => a.key - b.key || a.id - b.id);
  for (const o of ops) {
    if (o.op === "insert") {
      if (model.some((e) => e.id === o.id)) continue;
      s.insert(o.id, o.key);
      model.push({ id: o.id, key: o.key });
      sort();
    } else if (o.op === "pop") {
      expect(s.pop()).toBe(model.length ? model.shift()!.id : -1);
    } else {
      const i = model.findIndex((e) => e.id === o.id);
      expect(s.remove(o.id)).toBe(i >= 0);
      if (i >= 0) model.splice(i, 1);
    }
    s.check();
    expect(s.ids()).toEqual(model.map((e) => e.id));
  }
}

describe("VruntimeHeap", () => {
  it("pops in (key, id) order and removes anywhere, like a sorted array (property)", () => {
    fc.assert(
      fc.property(fc.array(opArb, { maxLength: 120 }), (ops) => {
        const h = new VruntimeHeap(2);
        modelRun(ops, {
          insert: (id, key) => h.push(id, key),
          pop: () => h.popMin(),
          remove: (id) => h.remove(id),
          ids: () => h.toSortedArray().map((e) => e.id),
          check: () => h.checkInvariants(),
        });
      }),
      { numRuns: 100 },
    );
  });

  it("reports a broken heap order precisely", () => {
    const h = new VruntimeHeap();
    h.push(1, 5);
    h.push(2, 7);
    (h as unknown as { keys: Float64Array }).keys[1] = 1;
    expect(() => h.checkInvariants()).toThrow(
      "VruntimeHeap: entry 1 (key 1, id 2) is smaller than its parent 0 (key 5, id 1)",
    );
  });
});

describe("VruntimeTree (red-black, cached leftmost)", () => {
  it("keeps red-black rules, order and the leftmost cache under random inserts, pops and removes (property)", () => {
    fc.assert(
      fc.property(fc.array(opArb, { maxLength: 120 }), (ops) => {
        const t = new VruntimeTree(2);
        modelRun(ops, {
          insert: (id, key) => t.insert(id, key),
          pop: () => t.popLeftmost(),
          remove: (id) => t.remove(id),
          ids: () => t.toArray(),
          check: () => t.checkInvariants(),
        });
      }),
      { numRuns: 100 },
    );
  });

  it("stays balanced: 1023 ascending inserts give black height ≤ log2(n + 1)", () => {
    const t = new VruntimeTree();
    for (let i = 0; i < 1023; i++) t.insert(i, i);
    // checkInvariants holds the red-black rules, and a subtree of black height bh has at least
    // 2^bh − 1 nodes (CLRS lemma 13.1), so bh ≤ log2(1023 + 1) = 10 and the height ≤ 20.
    t.checkInvariants();
    expect(t.leftmostId()).toBe(0);
    expect(t.size).toBe(1023);
  });

  it("refuses a duplicate id and stays unchanged", () => {
    const t = new VruntimeTree();
    t.insert(3, 1);
    expect(() => t.insert(3, 2)).toThrow(RangeError);
    expect(t.toArray()).toEqual([3]);
    expect(t.keyOf(3)).toBe(1);
  });

  it("detects a corrupted colour", () => {
    const t = new VruntimeTree();
    for (let i = 0; i < 7; i++) t.insert(i, i);
    const red = (t as unknown as { red: Uint8Array }).red;
    red[4] = red[4]! ^ 1; // flip node 3's colour: some rule must break
    expect(() => t.checkInvariants()).toThrow(/VruntimeTree: (root|red node|black heights)/);
  });
});

describe("SlotRing", () => {
  it("behaves as a FIFO array under push, unshift, shift, remove (property)", () => {
    fc.assert(
      fc.property(
        fc.array(
          fc.oneof(
            fc.record({ push: fc.nat(50) }),
            fc.record({ unshift: fc.nat(50) }),
            fc.constant("shift" as const),
            fc.record({ remove: fc.nat(50) }),
          ),
          { maxLength: 200 },
        ),
        (ops) => {
          const r = new SlotRing(1);
          const m: number[] = [];
          for (const o of ops) {
            if (o === "shift") expect(r.shift()).toBe(m.length ? m.shift() : -1);
            else if ("push" in o) {
              r.push(o.push);
              m.push(o.push);
            } else if ("unshift" in o) {
              r.unshift(o.unshift);
              m.unshift(o.unshift);
            } else {
              const i = m.indexOf(o.remove);
              expect(r.remove(o.remove)).toBe(i >= 0);
              if (i >= 0) m.splice(i, 1);
            }
            r.checkInvariants();
            expect(r.toArray()).toEqual(m);
            expect(r.size).toBe(m.length);
          }
        },
      ),
      { numRuns: 100 },
    );
  });
});

describe("EntryTable", () => {
  it("behaves as a Map, dense and sparse ids alike, iterating dense ids ascending then sparse in insertion order (property)", () => {
    fc.assert(
      fc.property(
        fc.array(
          fc.tuple(
            fc.boolean(),
            fc.oneof(fc.nat(40), fc.integer({ min: DENSE_LIMIT, max: DENSE_LIMIT + 40 })),
          ),
          { maxLength: 100 },
        ),
        (ops) => {
          const t = new EntryTable<string>();
          const m = new Map<number, string>();
          for (const [add, id] of ops) {
            if (add) {
              t.set(id, `v${id}`);
              m.set(id, `v${id}`);
            } else expect(t.delete(id)).toBe(m.delete(id));
            expect(t.size).toBe(m.size);
            expect(t.get(id)).toBe(m.get(id));
          }
          const dense = [...m.keys()].filter((k) => k < DENSE_LIMIT).sort((a, b) => a - b);
          const sparse = [...m.keys()].filter((k) => k >= DENSE_LIMIT);
          expect([...t.values()]).toEqual([...dense, ...sparse].map((k) => `v${k}`));
        },
      ),
      { numRuns: 100 },
    );
  });
});

describe("PrioArray", () => {
  it("first() is the lowest non-empty priority (w & −w: bits 2 and 3 set → 2), across words", () => {
    const a = new PrioArray();
    expect(a.first()).toBe(-1);
    a.push(3, 30);
    a.push(2, 20);
    expect(a.first()).toBe(2);
    a.push(139, 1);
    expect(a.shift(2)).toBe(20);
    expect(a.shift(3)).toBe(30);
    expect([a.first(), a.count]).toEqual([139, 1]);
  });

  it("matches a model of sorted FIFO lists under random push, remove and shift", () => {
    type Op = { k: "push"; p: number } | { k: "remove"; i: number } | { k: "shift" };
    fc.assert(
      fc.property(
        fc.array(
          fc.oneof(
            fc.record({ k: fc.constant("push" as const), p: fc.integer({ min: 0, max: 139 }) }),
            fc.record({ k: fc.constant("remove" as const), i: fc.nat() }),
            fc.record({ k: fc.constant("shift" as const) }),
          ),
          { maxLength: 200 },
        ) as fc.Arbitrary<Op[]>,
        (ops) => {
          const a = new PrioArray();
          const model: Array<{ p: number; t: number }> = []; // in insertion order
          let next = 0;
          for (const op of ops) {
            if (op.k === "push") {
              a.push(op.p, next);
              model.push({ p: op.p, t: next++ });
            } else if (op.k === "remove" && model.length > 0) {
              const [x] = model.splice(op.i % model.length, 1);
              a.remove(x!.p, x!.t);
            } else if (op.k === "shift" && model.length > 0) {
              const best = Math.min(...model.map((x) => x.p));
              const idx = model.findIndex((x) => x.p === best);
              const [x] = model.splice(idx, 1);
              expect(a.first()).toBe(best);
              expect(a.shift(best)).toBe(x!.t);
            }
            expect(a.count).toBe(model.length);
            expect(a.first()).toBe(model.length === 0 ? -1 : Math.min(...model.map((x) => x.p)));
          }
        },
      ),
      { numRuns: 100 },
    );
  });
});
