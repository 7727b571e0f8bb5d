import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { NO_FRAME, PageTree, PageTreeKeyError, VmArgumentError } from "../src/index.js";

describe("PageTree: rules", () => {
  it("cuts keys into 6-bit digits: key 0x3456789ab needs 5 nodes below the root", () => {
    const t = new PageTree();
    expect(t.levels).toBe(6);
    expect(t.set(0x3456789ab, 42)).toBe(NO_FRAME);
    expect(t.nodeCount).toBe(6);
    expect(t.get(0x3456789ab)).toBe(42);
    expect(t.get(0x3456789aa)).toBe(NO_FRAME); // same leaf, other slot
    expect(t.get(0x3456789ab + 64)).toBe(NO_FRAME); // neighbouring leaf, absent
    expect(t.set(0x3456789aa, 0)).toBe(NO_FRAME); // frame 0 is storable
    expect(t.nodeCount).toBe(6); // the leaf is shared
    expect(t.get(0x3456789aa)).toBe(0);
    t.checkInvariants();
  });

  it("set returns the frame it replaces", () => {
    const t = new PageTree({ keyBits: 12 });
    t.set(5, 100);
    expect(t.set(5, 101)).toBe(100);
    expect(t.size).toBe(1);
  });

  it("delete frees the nodes it empties, up to the root", () => {
    const t = new PageTree();
    t.set(2 ** 36 - 1, 7);
    t.set(0, 8);
    expect(t.nodeCount).toBe(11);
    expect(t.delete(2 ** 36 - 1)).toBe(7);
    expect(t.nodeCount).toBe(6);
    expect(t.delete(2 ** 36 - 1)).toBe(NO_FRAME);
    expect(t.delete(0)).toBe(8);
    expect(t.nodeCount).toBe(1);
    t.checkInvariants();
    t.set(123, 1); // freed nodes are reused
    expect(t.nodeCount).toBe(6);
    t.checkInvariants();
  });

  it("walks a range in key order, skipping what is outside", () => {
    const t = new PageTree({ keyBits: 18 });
    for (const k of [70000, 3, 64, 65, 4095, 4096, 200000 % 2 ** 18]) t.set(k, k % 1000);
    expect(t.entries(4, 4097).map(([k]) => k)).toEqual([64, 65, 4095, 4096]);
    expect(t.entries().map(([k]) => k)).toEqual([3, 64, 65, 4095, 4096, 70000, 200000]);
    expect(t.entries(10, 10)).toEqual([]);
    expect(() => t.forEachInRange(0, 100, (k) => t.delete(k))).toThrow(VmArgumentError);
  });

  it("clear hands every entry out once and empties the tree", () => {
    const t = new PageTree({ keyBits: 24 });
    for (let k = 0; k < 300; k += 7) t.set(k * 1000, k);
    const seen: number[] = [];
    t.clear((_k, v) => seen.push(v));
    expect(seen.length).toBe(43);
    expect(t.size).toBe(0);
    expect(t.nodeCount).toBe(1);
    t.checkInvariants();
  });

  it("refuses bad keys and values, and changes nothing", () => {
    const t = new PageTree({ keyBits: 12 });
    t.set(1, 1);
    for (const k of [-1, 4096, 1.5, Number.NaN]) {
      expect(() => t.set(k, 1)).toThrow(PageTreeKeyError);
      expect(() => t.get(k)).toThrow(PageTreeKeyError);
      expect(() => t.delete(k)).toThrow(PageTreeKeyError);
    }
    for (const v of [-1, 2 ** 32 - 1, 0.5]) expect(() => t.set(2, v)).toThrow(PageTreeKeyError);
    expect(t.entries()).toEqual([[1, 1]]);
    t.checkInvariants();
    expect(() => new PageTree({ keyBits: 49 })).toThrow(VmArgumentError);
  });
});

// ---- model-based: the tree against a Map, one command class per operation ----------------------

type Model = { map: Map<number, number>; keys: number[] };
const KEY_BITS = 18;

class SetCommand implements fc.Command<Model, PageTree> {
  constructor(
    readonly key: number,
    readonly pfn: number,
  ) {}
  check = () => true;
  run(m: Model, t: PageTree): void {
    const old = m.map.get(this.key) ?? NO_FRAME;
    expect(t.set(this.key, this.pfn)).toBe(old);
    if (old === NO_FRAME) m.keys.push(this.key);
    m.map.set(this.key, this.pfn);
    after(m, t);
  }
  toString = () => `set(${this.key}, ${this.pfn})`;
}

class DeleteCommand implements fc.Command<Model, PageTree> {
  constructor(readonly index: number) {}
  check = (m: Readonly<Model>) => m.keys.length > 0;
  run(m: Model, t: PageTree): void {
    const i = this.index % m.keys.length;
    const key = m.keys[i]!;
    m.keys.splice(i, 1);
    expect(t.delete(key)).toBe(m.map.get(key));
    m.map.delete(key);
    after(m, t);
  }
  toString = () => `delete(#${this.index})`;
}

class DeleteAbsentCommand implements fc.Command<Model, PageTree> {
  constructor(readonly key: number) {}
  check = (m: Readonly<Model>) => !m.map.has(this.key);
  run(m: Model, t: PageTree): void {
    const nodes = t.nodeCount;
    expect(t.delete(this.key)).toBe(NO_FRAME);
    expect(t.nodeCount).toBe(nodes);
    after(m, t);
  }
  toString = () => `deleteAbsent(${this.key})`;
}

class RangeCommand implements fc.Command<Model, PageTree> {
  constructor(
    readonly start: number,
    readonly length: number,
  ) {}
  check = () => true;
  run(m: Model, t: PageTree): void {
    const end = this.start + this.length;
    const expected = [...m.map].filter(([k]) => k >= this.start && k < end).sort((a, b) => a[0] - b[0]);
    expect(t.entries(this.start, end)).toEqual(expected);
  }
  toString = () => `range(${this.start}, +${this.length})`;
}

function after(m: Model, t: PageTree): void {
  t.checkInvariants();
  expect(t.size).toBe(m.map.size);
  for (const [k, v] of m.map) expect(t.get(k)).toBe(v);
}

describe("PageTree against a Map (model-based)", () => {
  it("agrees on every set, delete, lookup and range walk", () => {
    // Keys cluster so that leaves and interior nodes are shared and emptied often.
    const key = fc.oneof(fc.nat({ max: 200 }), fc.nat({ max: 2 ** KEY_BITS - 1 }));
    fc.assert(
      fc.property(
        fc.commands(
          [
            fc.tuple(key, fc.nat({ max: 2 ** 32 - 2 })).map(([k, v]) => new SetCommand(k, v)),
            fc.nat().map((i) => new DeleteCommand(i)),
            fc.nat().map((i) => new DeleteCommand(i)),
            key.map((k) => new DeleteAbsentCommand(k)),
            fc.tuple(key, fc.nat({ max: 5000 })).map(([s, n]) => new RangeCommand(s, n)),
          ],
          { maxCommands: 80, size: "max" },
        ),
        (cmds) => {
          fc.modelRun(
            () => ({
              model: { map: new Map(), keys: [] },
              real: new PageTree({ keyBits: KEY_BITS, initialNodes: 1 }),
            }),
            cmds,
          );
        },
      ),
      { numRuns: 60 },
    );
  });

  it("deleting every key brings any tree back to the root alone (property)", () => {
    fc.assert(
      fc.property(fc.uniqueArray(fc.nat({ max: 2 ** 36 - 1 }), { maxLength: 60, size: "max" }), (keys) => {
        const t = new PageTree();
        for (const [i, k] of keys.entries()) t.set(k, i);
        t.checkInvariants();
        for (const [i, k] of keys.entries()) expect(t.delete(k)).toBe(i);
        expect(t.nodeCount).toBe(1);
        t.checkInvariants();
      }),
      { numRuns: 60 },
    );
  });
});

describe("PageTree.checkInvariants catches corruption", () => {
  type Guts = { counts: Uint8Array; slots: Uint32Array };
  it("a count that disagrees with the slots", () => {
    const t = new PageTree({ keyBits: 12 });
    t.set(5, 1);
    (t as unknown as Guts).counts[1] = 2;
    expect(() => t.checkInvariants()).toThrow(/count/);
  });
  it("a leaked node", () => {
    const t = new PageTree({ keyBits: 12 });
    t.set(5, 1);
    (t as unknown as Guts).slots[0] = 0; // unlink the leaf without freeing it
    (t as unknown as Guts).counts[0] = 0;
    expect(() => t.checkInvariants()).toThrow(/leaked|keys found/);
  });
});

describe("PageTree.get: the one-comparison key check and the null node", () => {
  it.each([1.5, -1, 2 ** 36, 2 ** 62, Number.NaN, Number.POSITIVE_INFINITY, 2 ** 35 + 0.5])(
    "refuses key %s on the default 36-bit tree",
    (key) => {
      const t = new PageTree();
      t.set(5, 1);
      expect(() => t.get(key)).toThrow(PageTreeKeyError);
      expect(t.get(5)).toBe(1);
      t.checkInvariants();
    },
  );

  it.each([6, 12, 30, 36, 42, 48])(
    "finds present keys and misses absent ones like a Map (keyBits %i)",
    (bits) => {
      fc.assert(
        fc.property(
          fc.uniqueArray(fc.nat({ max: 2 ** bits - 1 }), { maxLength: 30, size: "max" }),
          fc.array(fc.nat({ max: 2 ** bits - 1 }), { maxLength: 30 }),
          (present, probes) => {
            const t = new PageTree({ keyBits: bits });
            const model = new Map<number, number>();
            for (const [i, k] of present.entries()) {
              t.set(k, i);
              model.set(k, i);
            }
            for (const k of [...present, ...probes]) expect(t.get(k)).toBe(model.get(k) ?? NO_FRAME);
          },
        ),
        { numRuns: 50 },
      );
    },
  );

  it("checkInvariants catches a write into the null node (node 1)", () => {
    const t = new PageTree();
    t.set(0x123456789, 3);
    (t as unknown as { slots: Uint32Array }).slots[64 + 7] = 5;
    expect(() => t.checkInvariants()).toThrow(/null node/);
  });
});

describe("PageTree digits above bit 32 (keyBits 48: 8 levels)", () => {
  it("set/get/delete agree with a Map for keys up to 2^48 - 1 (property)", () => {
    fc.assert(
      fc.property(fc.uniqueArray(fc.nat({ max: 2 ** 48 - 1 }), { maxLength: 40, size: "max" }), (keys) => {
        const t = new PageTree({ keyBits: 48 });
        for (const [i, k] of keys.entries()) t.set(k, i);
        for (const [i, k] of keys.entries()) {
          expect(t.get(k)).toBe(i);
          const other = k >= 2 ** 40 ? k - 2 ** 40 : k + 2 ** 40; // flips bit 40
          expect(t.get(other)).toBe(keys.indexOf(other)); // -1 when absent
        }
        expect(t.entries().map(([k]) => k)).toEqual([...keys].sort((a, b) => a - b));
        for (const k of keys) t.delete(k);
        expect(t.nodeCount).toBe(1);
        t.checkInvariants();
      }),
      { numRuns: 60 },
    );
  });
});
