/**
 * The page-map laws must accept our `PageTree` at every depth and REJECT wrong page maps.
 *
 * `ToyRadix` is a student's first radix tree: nodes are plain arrays of 64 slots, a leaf slot holds
 * the frame or `undefined`, the depth is fixed, and the range walk descends the tree. With no bug
 * it passes every law; each switch plants one classic mistake, and the law made for it must fail
 * with a message that names the mistake.
 */
import { describe, expect, it } from "vitest";
import { NO_FRAME, type PageMap, PageTree } from "../src/index.js";
import { pageTreeLaws, runPageTreeLaws } from "../src/laws/index.js";
import { LAW_HELD, violation } from "./law-violation.js";

type Bug =
  | "none"
  /** delete empties the slot but frees no node, however empty. */
  | "never-frees"
  /** delete frees the leaf node it empties but never the interior nodes above it (one level only). */
  | "frees-leaf-only"
  /** get builds the nodes on the key's path, as set does. */
  | "get-allocates"
  /** set returns the frame it stores instead of the one it replaces. */
  | "set-returns-new"
  /** delete counts the key out but leaves its frame in the leaf. */
  | "delete-keeps-frame"
  /** the range walk stops one key early: end - 1 is never visited. */
  | "range-drops-last"
  /** the range walk visits the keys in the order they were inserted. */
  | "range-unordered"
  /** a key past maxKey wraps around (only its low bits are used) instead of being refused. */
  | "key-wraps"
  /**
   * the walk starts every node at the start key's digit for that level, not only the nodes on the
   * start key's path: past the first 64-key boundary it skips the low slots of each leaf.
   */
  | "range-restarts-at-start-digit"
  /** the walk ends with the first leaf it reaches: it never crosses a 64-key boundary. */
  | "range-stays-in-one-leaf";

type Node = Array<Node | number | undefined>;

class ToyRadix implements PageMap {
  readonly maxKey: number;
  size = 0;
  nodeCount = 1;
  private readonly levels: number;
  private root: Node = new Array(64);
  private readonly order: number[] = [];

  constructor(
    private readonly bug: Bug,
    keyBits = 18,
  ) {
    this.levels = Math.ceil(keyBits / 6);
    this.maxKey = 2 ** (6 * this.levels) - 1;
  }

  get(key: number): number {
    const path = this.path(this.check("get", key), this.bug === "get-allocates");
    if (path === null) return NO_FRAME;
    const v = path.at(-1)![this.digit(key, 0)];
    return typeof v === "number" ? v : NO_FRAME;
  }

  set(key: number, pfn: number): number {
    this.check("set", key);
    if (!Number.isInteger(pfn) || pfn < 0 || pfn > 0xffff_fffe) throw new RangeError(`set: pfn ${pfn}`);
    const leaf = this.path(key, true)!.at(-1)!;
    const old = leaf[this.digit(key, 0)];
    leaf[this.digit(key, 0)] = pfn;
    if (old === undefined) {
      this.size++;
      this.order.push(key);
    }
    if (this.bug === "set-returns-new") return pfn;
    return typeof old === "number" ? old : NO_FRAME;
  }

  delete(key: number): number {
    const path = this.path(this.check("delete", key), false);
    if (path === null) return NO_FRAME;
    const leaf = path.at(-1)!;
    const old = leaf[this.digit(key, 0)];
    if (typeof old !== "number") return NO_FRAME;
    if (this.bug !== "delete-keeps-frame") leaf[this.digit(key, 0)] = undefined;
    this.size--;
    this.order.splice(this.order.indexOf(key), 1);
    if (this.bug === "never-frees") return old;
    // Free every node the delete emptied, from the leaf up (the root stays).
    const lowest = this.bug === "frees-leaf-only" ? path.length - 1 : 1;
    for (let level = path.length - 1; level >= lowest && level > 0; level--) {
      if (path[level]!.some((s) => s !== undefined)) break;
      path[level - 1]![this.digit(key, path.length - level)] = undefined;
      this.nodeCount--;
    }
    return old;
  }

  forEachInRange(start: number, end: number, fn: (key: number, pfn: number) => void): void {
    const last = this.bug === "range-drops-last" ? end - 1 : end;
    if (this.bug === "range-unordered") {
      for (const k of [...this.order]) if (k >= start && k < last) fn(k, this.get(k));
      return;
    }
    let done = false;
    // Depth first, slots in ascending order; `prefix` is the first key under `node`.
    const visit = (node: Node, level: number, prefix: number): void => {
      const span = 64 ** level;
      const first = this.bug === "range-restarts-at-start-digit" ? this.digit(start, level) : 0;
      for (let d = first; d < 64 && !done; d++) {
        const lowest = prefix + d * span;
        if (lowest + span <= start) continue;
        if (lowest >= last) return;
        const child = node[d];
        if (child === undefined) continue;
        if (level === 0) fn(lowest, child as number);
        else visit(child as Node, level - 1, lowest);
      }
      if (level === 0 && this.bug === "range-stays-in-one-leaf") done = true;
    };
    visit(this.root, this.levels - 1, 0);
  }

  checkInvariants(): void {
    if (this.size !== this.order.length) throw new Error("size disagrees with the keys");
  }

  /** The digit of `key` for `level` (0 = the leaf's). */
  private digit(key: number, level: number): number {
    return Math.floor(key / 64 ** level) % 64;
  }

  private check(call: string, key: number): number {
    if (this.bug === "key-wraps" && Number.isInteger(key) && key > this.maxKey)
      return key % (this.maxKey + 1);
    if (!Number.isInteger(key) || key < 0 || key > this.maxKey) throw new RangeError(`${call}: key ${key}`);
    return key;
  }

  /** The nodes from the root to the key's leaf, building missing ones when `make`; null if absent. */
  private path(key: number, make: boolean): Node[] | null {
    const nodes: Node[] = [this.root];
    for (let level = this.levels - 1; level > 0; level--) {
      const node = nodes.at(-1)!;
      const d = this.digit(key, level);
      if (node[d] === undefined) {
        if (!make) return null;
        node[d] = new Array(64);
        this.nodeCount++;
      }
      nodes.push(node[d] as Node);
    }
    return nodes;
  }
}

const opts = { numRuns: 60, seed: 11 };

describe("page-map laws accept our page tree", () => {
  it.each([12, 18, 36, 48])("PageTree with %i-bit keys", (keyBits) =>
    runPageTreeLaws(() => new PageTree({ keyBits, initialNodes: 1 }), opts),
  );
  it("a student's plain radix tree without a bug", () => runPageTreeLaws(() => new ToyRadix("none"), opts));
});

const broken = (bug: Bug, lawPrefix: string) =>
  violation(
    pageTreeLaws(() => new ToyRadix(bug), opts),
    lawPrefix,
  );

describe("page-map laws reject planted bugs, each with the law made for it", () => {
  const cases: Array<[Bug, string, RegExp]> = [
    ["never-frees", "deleting every key", /nodeCount after deleting every key/],
    // The subtler leak: the emptied leaf goes, its empty parent stays (3 levels at 18 key bits).
    ["frees-leaf-only", "deleting every key", /nodeCount after deleting every key/],
    ["get-allocates", "lookups never allocate", /nodeCount after looking up/],
    ["set-returns-new", "set and delete return", /set\(\d+, \d+\) \(the frame it replaces\)/],
    // A deleted key that still holds its frame shows at the next set of that key, at a get, or
    // in a walk (the walk descends the tree and finds the frame).
    [
      "delete-keeps-frame",
      "get returns the frame",
      /get\(\d+\): got \d+, expected -1|\(the frame it replaces\): got \d+, expected -1|visited \[.*\], expected/,
    ],
    ["range-drops-last", "forEachInRange visits exactly", /forEachInRange|whole key space/],
    ["range-unordered", "forEachInRange visits exactly", /in key order/],
    ["key-wraps", "a key outside 0..maxKey", /set\(\d+, 1\) did not throw/],
    [
      "range-restarts-at-start-digit",
      "forEachInRange visits exactly",
      /forEachInRange\(\d+, \d+\): visited .*, expected .* in key order/,
    ],
    ["range-stays-in-one-leaf", "forEachInRange visits exactly", /visited .*, expected .* in key order/],
  ];
  for (const [bug, law, message] of cases) {
    it(`${bug}: "${law}…" fails: ${message.source}`, () => expect(broken(bug, law)).toMatch(message));
  }
  it.each(["set-returns-new", "delete-keeps-frame", "range-drops-last", "range-unordered"] as const)(
    "%s: the model-based law fails too",
    (bug) => {
      expect(broken(bug, "model-based")).not.toBe(LAW_HELD);
    },
  );
});
