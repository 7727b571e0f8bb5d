/**
 * The frame-allocator laws must REJECT wrong allocators, not only accept right ones. A law suite
 * that passes a broken implementation tells a student their allocator is fine when it is not.
 *
 * `ToyBuddy` is a small, obviously correct buddy allocator (JS arrays as free lists, a state per
 * frame, no `checkInvariants` of its own, as a student's first version might be). With no bug it
 * must pass every law; each bug switch below plants one classic mistake, and the named law must
 * then fail.
 */
import { describe, expect, it } from "vitest";
import type { FrameAllocator } from "../src/frames/api.js";
import { frameAllocatorLaws, runFrameAllocatorLaws } from "../src/laws/index.js";

type Bug =
  | "none"
  /** free forgets the block every third call: its frames stay in use for ever. */
  | "leak-on-free"
  /** free puts the block back but freeFrames() does not count it (the books are off by a block). */
  | "miscount-on-free"
  /** alloc takes the first block of the order without unlinking it: the next alloc returns it again. */
  | "overlap"
  /** free pushes the block on its list without merging it with its free buddy. */
  | "never-coalesce"
  /** free coalesces, but stops one order short of the top: two free halves never make a largest block. */
  | "coalesce-stops-below-top"
  /**
   * free merges with a buddy that is free at ANY order, not only at the block's own (Linux's
   * page_is_buddy checks `buddy_order(buddy) == order`): the buddy's allocated tail is handed out again.
   */
  | "buddy-order-unchecked"
  /** free of a block that is not allocated (double free, wrong order, stray frame) is accepted. */
  | "accepts-double-free"
  /** free accepts a live block's head with a smaller order than it was allocated with (frees a part). */
  | "accepts-smaller-order"
  /** a refused free throws, but only after it has marked the frames free. */
  | "refusal-corrupts"
  /** alloc does not split: it only serves an order from a free block of exactly that order. */
  | "no-split"
  /** reserve checks its range and then does nothing: reserved frames stay allocatable. */
  | "reserve-ignored"
  /** alloc hands out a block that is one frame off its alignment when it splits. */
  | "misaligned";

const FREE = 0;
const USED = 1;
const RESERVED = 2;

class ToyBuddy implements FrameAllocator {
  readonly maxOrder: number;
  private readonly state: Uint8Array;
  private readonly heads = new Map<number, number>();
  private lists: number[][];
  private frees = 0;

  constructor(
    readonly frameCount: number,
    maxOrder: number,
    private readonly bug: Bug = "none",
  ) {
    this.maxOrder = maxOrder;
    this.state = new Uint8Array(frameCount);
    this.lists = [];
    this.rebuild();
  }

  /** The free lists from scratch: maximal aligned runs of free frames (a fully coalesced state). */
  private rebuild(): void {
    this.lists = Array.from({ length: this.maxOrder }, () => []);
    for (let p = 0; p < this.frameCount; ) {
      if (this.state[p] !== FREE) {
        p++;
        continue;
      }
      let k = this.maxOrder - 1;
      while (p % 2 ** k !== 0 || p + 2 ** k > this.frameCount || !this.runFree(p, 2 ** k)) k--;
      this.lists[k]!.push(p);
      p += 2 ** k;
    }
  }

  private runFree(p: number, n: number): boolean {
    for (let f = p; f < p + n; f++) if (this.state[f] !== FREE) return false;
    return true;
  }

  alloc(order: number): number | null {
    if (!Number.isInteger(order) || order < 0 || order >= this.maxOrder) throw new RangeError("bad order");
    let k = order;
    if (this.bug === "no-split") {
      if (this.lists[k]!.length === 0) return null;
    } else {
      while (k < this.maxOrder && this.lists[k]!.length === 0) k++;
      if (k === this.maxOrder) return null;
    }
    const split = k > order;
    const p = this.bug === "overlap" && !split ? this.lists[k]![0]! : this.lists[k]!.shift()!;
    while (k > order) {
      k--;
      this.lists[k]!.unshift(p + 2 ** k);
    }
    const q = this.bug === "misaligned" && split ? p + 1 : p;
    this.state.fill(USED, q, q + 2 ** order);
    this.heads.set(q, order);
    return q;
  }

  free(pfn: number, order: number): void {
    const held = this.heads.get(pfn);
    const partial = this.bug === "accepts-smaller-order" && held !== undefined && order < held;
    if (held !== order && !partial) {
      if (this.bug === "accepts-double-free") {
        this.state.fill(FREE, pfn, pfn + 2 ** order);
        return;
      }
      if (this.bug === "refusal-corrupts" && Number.isInteger(pfn) && pfn >= 0 && pfn < this.frameCount) {
        this.state[pfn] = FREE;
      }
      throw new Error(`free(${pfn}, ${order}): not an allocated block of that order`);
    }
    this.heads.delete(pfn);
    if (this.bug === "leak-on-free" && ++this.frees % 3 === 0) return;
    this.state.fill(FREE, pfn, pfn + 2 ** order);
    if (this.bug === "miscount-on-free") this.frees++;
    let p = pfn;
    let k = order;
    const top = this.bug === "coalesce-stops-below-top" ? this.maxOrder - 2 : this.maxOrder - 1;
    while (this.bug !== "never-coalesce" && k < top) {
      const b = p ^ (2 ** k);
      const at = this.bug === "buddy-order-unchecked" ? this.lists.findIndex((l) => l.includes(b)) : k;
      const i = at < 0 || at > k ? -1 : this.lists[at]!.indexOf(b);
      if (i < 0) break;
      this.lists[at]!.splice(i, 1);
      if (at < k) this.state.fill(FREE, b, b + 2 ** k); // the buddy's tail was not free
      p = Math.min(p, b);
      k++;
    }
    this.lists[k]!.unshift(p);
  }

  reserve(pfn: number, count: number): void {
    if (!Number.isInteger(pfn) || !Number.isInteger(count) || count < 1 || pfn < 0)
      throw new RangeError("range");
    if (pfn + count > this.frameCount) throw new RangeError("range");
    if (!this.runFree(pfn, count)) throw new Error("busy");
    if (this.bug === "reserve-ignored") return;
    this.state.fill(RESERVED, pfn, pfn + count);
    // Carving the free blocks exactly is the real allocators' business; rebuilding the lists
    // from the frame states is simpler and gives the same free frames.
    this.rebuild();
  }

  freeFrames(): number {
    let n = 0;
    for (let f = 0; f < this.frameCount; f++) if (this.state[f] === FREE) n++;
    return this.bug === "miscount-on-free" ? n - (this.frees > 0 ? 1 : 0) : n;
  }

  isAllocated(pfn: number): boolean {
    return this.state[pfn] !== FREE;
  }

  allocFrame(): number | null {
    return this.alloc(0);
  }

  freeFrame(pfn: number): void {
    this.free(pfn, 0);
  }

  checkInvariants(): void {}
}

const opts = { numRuns: 40 };
const factory = (bug: Bug) => () => new ToyBuddy(64, 5, bug);

/** The law whose name starts with `prefix`, for the toy with `bug`. */
function law(bug: Bug, prefix: string) {
  const found = frameAllocatorLaws(factory(bug), opts).find((l) => l.name.startsWith(prefix));
  if (found === undefined) throw new Error(`no law named "${prefix}..."`);
  return found;
}

describe("frame-allocator laws: a correct toy buddy passes them all", () => {
  it("ToyBuddy without a bug", () => runFrameAllocatorLaws(factory("none"), opts));
});

describe("frame-allocator laws: every planted bug is rejected by the law made for it", () => {
  const cases: Array<[Bug, string]> = [
    ["leak-on-free", "frames are conserved"],
    ["leak-on-free", "after everything is freed"],
    ["miscount-on-free", "frames are conserved"],
    ["overlap", "allocated blocks never overlap"],
    // This law counted the largest blocks by allocating until null: on this bug it never ended
    // (the process died, V8 "invalid size"); now it fails like the others.
    ["overlap", "after everything is freed"],
    ["never-coalesce", "after everything is freed"],
    ["never-coalesce", "alloc returns null only when"],
    ["coalesce-stops-below-top", "after everything is freed"],
    ["buddy-order-unchecked", "allocated blocks never overlap"],
    ["accepts-double-free", "free of anything but exactly a live block"],
    ["refusal-corrupts", "free of anything but exactly a live block"],
    ["accepts-smaller-order", "free of anything but exactly a live block"],
    ["no-split", "alloc returns null only when"],
    ["reserve-ignored", "reserve takes exactly the range"],
    ["misaligned", "alloc(k) returns a block aligned"],
  ];
  for (const [bug, name] of cases) {
    it(`${bug}: "${name}..." fails`, () => expect(() => law(bug, name).check()).toThrow());
  }
  it.each([
    "leak-on-free",
    "miscount-on-free",
    "overlap",
    "never-coalesce",
    "coalesce-stops-below-top",
    "buddy-order-unchecked",
    "accepts-double-free",
    "refusal-corrupts",
    "accepts-smaller-order",
    "no-split",
    "reserve-ignored",
    "misaligned",
  ] as const)("%s: the model-based law fails too", (bug) => {
    expect(() => law(bug, "model-based").check()).toThrow();
  });
});
