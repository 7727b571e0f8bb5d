/**
 * The laws of a page map (`PageMap` in `../pagetree/api.ts`), as fast-check properties: what jsix's
 * page tree promises a VM object, checked against a `Map` from keys to frames. Our `PageTree` and a
 * student's radix tree pass the same suite:
 *
 * | law                                | what it rules out                                          |
 * |------------------------------------|------------------------------------------------------------|
 * | get sees the last set              | a lost or stale entry, a deleted key that still answers     |
 * | set and delete report the old frame| a caller (a VM object) freeing the wrong frame              |
 * | ordered range walk                 | keys missed, repeated, out of order or outside the range    |
 * | lookups never allocate             | a `get` or a walk that builds nodes on its way              |
 * | deletes free what they empty       | nodes leaked by deletes: the tree only ever grows           |
 * | bad keys and frames are refused    | a key that wraps around into another page, state half-changed |
 *
 * Keys are drawn clustered (many below 256, so leaves and interior nodes are shared, filled and
 * emptied) and spread over the whole key space (so every level's digit varies).
 */
import fc from "fast-check";
import { MAX_TREE_FRAME, NO_FRAME, type PageMap } from "../pagetree/api.js";
import { assertEq, type Law, type LawOptions, lawMaker, runLaws } from "./law.js";

/** A key before it is reduced into 0..maxKey: small (clustered) or anywhere in 48 bits. */
type RawKey = number;

type Op =
  | { readonly kind: "set"; readonly key: RawKey; readonly pfn: number }
  | { readonly kind: "delete"; readonly index: number }
  | { readonly kind: "delete-absent"; readonly key: RawKey }
  | { readonly kind: "get"; readonly key: RawKey }
  | { readonly kind: "range"; readonly key: RawKey; readonly length: number };

const rawKey: fc.Arbitrary<RawKey> = fc.oneof(
  { weight: 3, arbitrary: fc.nat({ max: 255 }) },
  {
    weight: 2,
    arbitrary: fc.tuple(fc.nat({ max: 2 ** 17 - 1 }), fc.nat()).map(([hi, lo]) => hi * 2 ** 31 + lo),
  },
);

const opArb: fc.Arbitrary<Op> = fc.oneof(
  {
    weight: 4,
    arbitrary: fc.record({
      kind: fc.constant("set" as const),
      key: rawKey,
      pfn: fc.oneof(fc.nat({ max: 1000 }), fc.constant(0), fc.constant(MAX_TREE_FRAME)),
    }),
  },
  { weight: 3, arbitrary: fc.record({ kind: fc.constant("delete" as const), index: fc.nat() }) },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant("delete-absent" as const), key: rawKey }) },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant("get" as const), key: rawKey }) },
  {
    weight: 1,
    arbitrary: fc.record({ kind: fc.constant("range" as const), key: rawKey, length: fc.nat({ max: 5000 }) }),
  },
);

/** The reference model: the keys and their frames, and the keys in insertion order (to pick one). */
class MapModel {
  readonly map = new Map<number, number>();
  readonly keys: number[] = [];

  constructor(readonly maxKey: number) {}

  key(raw: RawKey): number {
    return raw % (this.maxKey + 1);
  }

  set(key: number, pfn: number): number {
    const old = this.map.get(key) ?? NO_FRAME;
    if (old === NO_FRAME) this.keys.push(key);
    this.map.set(key, pfn);
    return old;
  }

  /** Remove the key chosen by `index` (any natural number); returns it and its frame. */
  takeKey(index: number): [number, number] {
    const [key] = this.keys.splice(index % this.keys.length, 1);
    const pfn = this.map.get(key!)!;
    this.map.delete(key!);
    return [key!, pfn];
  }

  /**
   * A range to walk: every other time one that starts at a stored key and ends just after another
   * (so the first and the last key of the range are both on its edges, where off-by-one walks
   * fail), else `length` keys from a random start.
   */
  rangeFor(raw: RawKey, length: number): [number, number] {
    if (length % 2 === 0 && this.keys.length > 0) {
      const a = this.keys[raw % this.keys.length]!;
      const b = this.keys[(raw + length) % this.keys.length]!;
      return [Math.min(a, b), Math.max(a, b) + 1];
    }
    const start = this.key(raw);
    return [start, Math.min(start + length, this.maxKey + 1)];
  }

  /** The entries in `[start, end)`, in key order. */
  range(start: number, end: number): Array<[number, number]> {
    return [...this.map].filter(([k]) => k >= start && k < end).sort((a, b) => a[0] - b[0]);
  }
}

/** The entries the map's walk visits in `[start, end)`, in visiting order. */
function walk(t: PageMap, start: number, end: number): Array<[number, number]> {
  const seen: Array<[number, number]> = [];
  t.forEachInRange(start, end, (k, v) => seen.push([k, v]));
  return seen;
}

function sameEntries(got: Array<[number, number]>, want: Array<[number, number]>, what: string): void {
  const show = (e: Array<[number, number]>) =>
    e.length > 12 ? `${e.length} entries` : `[${e.map(([k, v]) => `${k}→${v}`).join(", ")}]`;
  if (got.length !== want.length || got.some(([k, v], i) => k !== want[i]![0] || v !== want[i]![1])) {
    throw new Error(`${what}: visited ${show(got)}, expected ${show(want)} in key order`);
  }
}

/** Every entry of the map, compared with the model (through the walk and through `get`). */
function sameMap(t: PageMap, m: MapModel, what: string): void {
  sameEntries(walk(t, 0, t.maxKey + 1), m.range(0, m.maxKey + 1), `${what}: the whole key space`);
  for (const [k, v] of m.map) assertEq(t.get(k), v, `${what}: get(${k})`);
  assertEq(t.size, m.map.size, `${what}: size`);
}

/** Replays `ops` on `t` and its model, checking every returned value; `after` runs after each step. */
function replay(
  t: PageMap,
  ops: readonly Op[],
  after: (t: PageMap, m: MapModel) => void = () => {},
): MapModel {
  const m = new MapModel(t.maxKey);
  for (const op of ops) {
    if (op.kind === "set" || (op.kind === "delete" && m.keys.length === 0)) {
      const [key, pfn] = op.kind === "set" ? [m.key(op.key), op.pfn] : [m.key(op.index), op.index % 1000];
      assertEq(t.set(key, pfn), m.set(key, pfn), `set(${key}, ${pfn}) (the frame it replaces)`);
    } else if (op.kind === "delete") {
      const [key, pfn] = m.takeKey(op.index);
      assertEq(t.delete(key), pfn, `delete(${key}) (the frame it removes)`);
    } else if (op.kind === "delete-absent") {
      const key = m.key(op.key);
      if (m.map.has(key)) continue;
      assertEq(t.delete(key), NO_FRAME, `delete(${key}) of an absent key`);
    } else if (op.kind === "get") {
      const key = m.key(op.key);
      assertEq(t.get(key), m.map.get(key) ?? NO_FRAME, `get(${key})`);
    } else {
      const [start, end] = m.rangeFor(op.key, op.length);
      sameEntries(walk(t, start, end), m.range(start, end), `forEachInRange(${start}, ${end})`);
    }
    after(t, m);
  }
  return m;
}

/**
 * The laws every page map keeps. `factory` must return a fresh, empty map; any key space will do
 * (keys are reduced into 0..maxKey), but a few levels (12 to 36 key bits) exercise more.
 *
 * @example
 * ```ts
 * for (const law of pageTreeLaws(() => new PageTree({ keyBits: 18 }))) it(law.name, () => law.check());
 * ```
 */
export function pageTreeLaws(factory: () => PageMap, opts: LawOptions = {}): Law[] {
  const ops = fc.array(opArb, { maxLength: opts.maxSteps ?? 60, size: "max" });
  const law = lawMaker(opts);
  /** A call that must throw and leave the map as the model has it. */
  const refused = (t: PageMap, m: MapModel, nodes: number, call: string, run: () => unknown): void => {
    let threw = false;
    try {
      run();
    } catch {
      threw = true;
    }
    if (!threw) throw new Error(`${call} did not throw`);
    assertEq(t.nodeCount, nodes, `nodeCount after the refused ${call}`);
    sameMap(t, m, `after the refused ${call}`);
  };
  return [
    law(
      "get returns the frame the last set stored at a key, and NO_FRAME where nothing is",
      fc.property(ops, fc.array(rawKey, { maxLength: 20 }), (o, probes) => {
        const t = factory();
        const m = replay(t, o);
        for (const raw of probes) {
          const key = m.key(raw);
          assertEq(t.get(key), m.map.get(key) ?? NO_FRAME, `get(${key})`);
        }
        for (const [k, v] of m.map) assertEq(t.get(k), v, `get(${k})`);
      }),
    ),
    law(
      "set and delete return the frame they replace or remove (NO_FRAME if none), and size counts the keys",
      fc.property(ops, (o) => {
        replay(factory(), o, (t, m) => assertEq(t.size, m.map.size, "size"));
      }),
    ),
    law(
      "forEachInRange visits exactly the keys in [start, end), in ascending order, once each",
      fc.property(ops, rawKey, fc.nat({ max: 1 << 20 }), (o, s, n) => {
        const t = factory();
        const m = replay(t, o);
        const [start, end] = m.rangeFor(s, n);
        sameEntries(walk(t, start, end), m.range(start, end), `forEachInRange(${start}, ${end})`);
        for (const k of m.keys.slice(0, 8)) {
          sameEntries(
            walk(t, k, k + 1),
            [[k, m.map.get(k)!]],
            `forEachInRange(${k}, ${k + 1}) of a stored key`,
          );
        }
        sameEntries(walk(t, 0, m.maxKey + 1), m.range(0, m.maxKey + 1), "the whole key space");
        sameEntries(walk(t, start, start), [], `the empty range at ${start}`);
      }),
    ),
    law(
      "lookups never allocate: get, a delete of an absent key and a range walk leave nodeCount as it was",
      fc.property(ops, fc.array(rawKey, { minLength: 1, maxLength: 20 }), (o, probes) => {
        const t = factory();
        const m = replay(t, o);
        const nodes = t.nodeCount;
        for (const raw of probes) {
          const key = m.key(raw);
          t.get(key);
          if (!m.map.has(key)) t.delete(key);
          walk(t, key, Math.min(key + 4096, m.maxKey + 1));
          assertEq(t.nodeCount, nodes, `nodeCount after looking up ${key}`);
        }
      }),
    ),
    law(
      "deleting every key, in any order, frees what the keys needed: nodeCount is back to its empty value",
      fc.property(ops, fc.nat(), (o, shuffle) => {
        const t = factory();
        const empty = t.nodeCount;
        const m = replay(t, o);
        while (m.keys.length > 0) {
          const [key, pfn] = m.takeKey(shuffle++ * 7919);
          assertEq(t.delete(key), pfn, `delete(${key})`);
        }
        assertEq(t.size, 0, "size after deleting every key");
        assertEq(t.nodeCount, empty, "nodeCount after deleting every key (the empty map's)");
        t.checkInvariants();
      }),
    ),
    law(
      "a key outside 0..maxKey or not an integer, or a frame outside 0..2^32-2, is refused and nothing changes",
      fc.property(
        ops,
        fc.constantFrom(-1, 0.5, Number.NaN, Number.POSITIVE_INFINITY, "past-max" as const),
        fc.constantFrom(-1, 0.5, MAX_TREE_FRAME + 1, Number.NaN),
        (o, k, badPfn) => {
          const t = factory();
          const m = replay(t, o);
          const badKey = k === "past-max" ? t.maxKey + 1 : k;
          // A key one past the end must not wrap around onto key 0: store something there first.
          if (!m.map.has(0)) {
            t.set(0, 1);
            m.set(0, 1);
          }
          const n = t.nodeCount;
          refused(t, m, n, `set(${badKey}, 1)`, () => t.set(badKey, 1));
          refused(t, m, n, `get(${badKey})`, () => t.get(badKey));
          refused(t, m, n, `delete(${badKey})`, () => t.delete(badKey));
          refused(t, m, n, `set(1, ${badPfn})`, () => t.set(1, badPfn));
        },
      ),
    ),
    law(
      "model-based: random set/delete/get/range sequences agree with a Map, and checkInvariants() holds",
      fc.property(ops, (o) => {
        let step = 0;
        replay(factory(), o, (t, m) => {
          step++;
          t.checkInvariants();
          sameMap(t, m, `after step ${step}`);
        });
      }),
    ),
  ];
}

/**
 * Run every page-map law, throwing on the first violation.
 * @example
 * ```ts
 * runPageTreeLaws(() => new PageTree({ keyBits: 18 }), { numRuns: 50 });
 * ```
 */
export function runPageTreeLaws(factory: () => PageMap, opts: LawOptions = {}): void {
  runLaws(pageTreeLaws(factory, opts));
}
