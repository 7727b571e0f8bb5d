/**
 * The object-cache laws must accept our `SlabCache` in several shapes and REJECT wrong caches.
 *
 * `ToyCache` is a student's first object cache: one frame per "slab", a used flag per slot, a scan
 * for a frame with room. With no bug it passes every law; each switch plants one classic mistake,
 * and the law made for it must fail with a message that names the mistake.
 */
import { describe, expect, it } from "vitest";
import {
  BitmapAllocator,
  BuddyAllocator,
  type FrameAllocator,
  type ObjectCache,
  type ObjectCacheCounts,
  SlabCache,
} from "../src/index.js";
import { type ObjectCacheUnderTest, objectCacheLaws, runObjectCacheLaws } from "../src/laws/index.js";
import { LAW_HELD, violation } from "./law-violation.js";

type Bug =
  | "none"
  /** consecutive objects overlap by one byte (the stride is one short). */
  | "overlap"
  /** objects start 8 bytes into their slot, whatever the alignment asked for. */
  | "misaligned"
  /** a free of a slot that is already free is ignored instead of refused. */
  | "double-free-ignored"
  /** a free of an address inside an object frees that object. */
  | "inside-free-accepted"
  /** shrink gives nothing back. */
  | "shrink-keeps"
  /** alloc throws when the allocator has no frame instead of returning null. */
  | "throws-when-out"
  /** owns only asks whether the address lies in a frame the cache holds. */
  | "owns-any-address"
  /** the live count is not lowered by free. */
  | "count-stays"
  /** owns rounds an address down to its slot: a pointer inside a live object is "owned". */
  | "owns-interior"
  /** owns accepts one slot too many: the slab's tail after its last object is "owned". */
  | "owns-tail"
  /**
   * freeing the last slot of a full slab puts the slab on the partial list and remembers that
   * slot a second time: the next two allocs both return it.
   */
  | "twice-after-full-slab-free";

class ToyCache implements ObjectCache {
  readonly align: number;
  private readonly stride: number;
  private readonly perFrame: number;
  private readonly offset: number;
  private readonly slabs = new Map<number, Uint8Array>();
  private live = 0;
  private remembered: number | null = null;

  constructor(
    private readonly frames: FrameAllocator,
    readonly objectSize: number,
    align: number,
    private readonly bug: Bug,
  ) {
    this.align = align;
    this.stride = Math.ceil(objectSize / align) * align - (bug === "overlap" ? 1 : 0);
    this.offset = bug === "misaligned" ? 8 : 0;
    this.perFrame = Math.floor((4096 - this.offset) / Math.max(1, this.stride) - (bug === "overlap" ? 1 : 0));
  }

  alloc(): number | null {
    if (this.remembered !== null) {
      const again = this.remembered;
      this.remembered = null;
      this.live++;
      return again;
    }
    for (const [pfn, used] of this.slabs) {
      const i = used.indexOf(0);
      if (i >= 0) return this.take(pfn, used, i);
    }
    const pfn = this.frames.alloc(0);
    if (pfn === null) {
      if (this.bug === "throws-when-out") throw new Error("out of frames");
      return null;
    }
    const used = new Uint8Array(this.perFrame);
    this.slabs.set(pfn, used);
    return this.take(pfn, used, 0);
  }

  free(addr: number): void {
    const pfn = Math.floor(addr / 4096);
    const used = this.slabs.get(pfn);
    const rel = addr - pfn * 4096 - this.offset;
    let i = rel / this.stride;
    if (this.bug === "inside-free-accepted") i = Math.floor(i);
    if (used === undefined || !Number.isInteger(i) || i < 0 || i >= this.perFrame) {
      throw new RangeError(`free(${addr}): not an object of this cache`);
    }
    if (used[i] === 0) {
      if (this.bug === "double-free-ignored") return;
      throw new RangeError(`free(${addr}): already free`);
    }
    if (this.bug === "twice-after-full-slab-free" && !used.includes(0) && i === this.perFrame - 1)
      this.remembered = addr;
    used[i] = 0;
    if (this.bug !== "count-stays") this.live--;
  }

  owns(addr: number): boolean {
    const pfn = Math.floor(addr / 4096);
    const used = this.slabs.get(pfn);
    if (used === undefined) return false;
    if (this.bug === "owns-any-address") return true;
    let i = (addr - pfn * 4096 - this.offset) / this.stride;
    if (this.bug === "owns-interior") i = Math.floor(i);
    if (this.bug === "owns-tail" && i === this.perFrame) return true;
    return Number.isInteger(i) && i >= 0 && i < this.perFrame && used[i] === 1;
  }

  shrink(): number {
    if (this.bug === "shrink-keeps") return 0;
    let n = 0;
    for (const [pfn, used] of [...this.slabs]) {
      if (used.includes(1)) continue;
      this.slabs.delete(pfn);
      this.frames.free(pfn, 0);
      n++;
    }
    return n;
  }

  stats(): ObjectCacheCounts {
    return { objectsInUse: this.live, framesHeld: this.slabs.size };
  }

  checkInvariants(): void {}

  private take(pfn: number, used: Uint8Array, i: number): number {
    used[i] = 1;
    this.live++;
    return pfn * 4096 + this.offset + i * this.stride;
  }
}

const opts = { numRuns: 60, seed: 17 };

function slab(objectSize: number, extra: { align?: number; slabOrder?: number; maxEmpty?: number } = {}) {
  return (): ObjectCacheUnderTest => {
    const frames = new BuddyAllocator({ frames: 64, maxOrder: 5 });
    return { frames, cache: new SlabCache({ name: "law", objectSize, frames, ...extra }) };
  };
}

function toy(bug: Bug, objectSize = 200, align = 64) {
  return (): ObjectCacheUnderTest => {
    const frames = new BitmapAllocator({ frames: 32, maxOrder: 3 });
    return { frames, cache: new ToyCache(frames, objectSize, align, bug) };
  };
}

describe("object-cache laws accept our slab cache", () => {
  it("VM-area-sized objects (96 B), the default slab order", () => runObjectCacheLaws(slab(96), opts));
  it("1-byte objects aligned to 1: 4096 per slab", () => runObjectCacheLaws(slab(1, { align: 1 }), opts));
  it("1500-byte objects aligned to 64 in two-frame slabs, two empty slabs kept", () =>
    runObjectCacheLaws(slab(1500, { align: 64, slabOrder: 1, maxEmpty: 2 }), opts));
  it("no empty slab kept (every emptied slab goes back at once)", () =>
    runObjectCacheLaws(slab(200, { maxEmpty: 0 }), opts));
  it("a student's frame-per-slab cache without a bug", () => runObjectCacheLaws(toy("none"), opts));
});

const broken = (bug: Bug, lawPrefix: string) => violation(objectCacheLaws(toy(bug), opts), lawPrefix);

describe("object-cache laws reject planted bugs, each with the law made for it", () => {
  const cases: Array<[Bug, string, RegExp]> = [
    ["overlap", "alloc returns an aligned address", /overlaps the live object|not a multiple/],
    ["misaligned", "alloc returns an aligned address", /not a multiple of the alignment 64/],
    [
      "double-free-ignored",
      "a free of anything but",
      /free\(0x[0-9a-f]+\) of something that is not a live object did not throw/,
    ],
    ["inside-free-accepted", "a free of anything but", /did not throw/],
    ["shrink-keeps", "after every object is freed", /framesHeld after freeing every object and shrink/],
    ["throws-when-out", "when the allocator has no frame left", /out of frames/],
    [
      "owns-any-address",
      "owns is true for the live objects only",
      /owns\(0x[0-9a-f]+\) (after its free|of a freed object)|no live object starts there/,
    ],
    ["count-stays", "owns is true for the live objects only", /stats\(\)\.objectsInUse/],
  ];
  for (const [bug, law, message] of cases) {
    it(`${bug}: "${law}…" fails: ${message.source}`, () => expect(broken(bug, law)).toMatch(message));
  }

  // These two passed every law before the owns law probed addresses next to each live object.
  it("owns-interior: owns of a pointer inside a live object is refused by the owns law", () => {
    expect(broken("owns-interior", "owns is true for the live objects only")).toMatch(
      /owns\(0x[0-9a-f]+\) = true, but no live object starts there \(it is 1 bytes from/,
    );
  });
  it("owns-tail: owns of the slab's tail after its last slot is refused by the owns law", () => {
    // 200-byte objects aligned to 8: 20 per frame, and 96 bytes of tail from 0xfa0 on.
    const law = objectCacheLaws(toy("owns-tail", 200, 8), opts);
    expect(violation(law, "owns is true for the live objects only")).toMatch(
      /owns\(0x[0-9a-f]*fa0\) = true, but no live object starts there \(it is 200 bytes from/,
    );
  });
  it("twice-after-full-slab-free: the slot handed out twice overlaps a live object", () => {
    expect(broken("twice-after-full-slab-free", "alloc returns an aligned address")).toMatch(
      /overlaps the live object at 0x[0-9a-f]+/,
    );
  });
  it.each(["overlap", "misaligned", "double-free-ignored", "owns-any-address", "count-stays"] as const)(
    "%s: the model-based law fails too",
    (bug) => {
      expect(broken(bug, "model-based")).not.toBe(LAW_HELD);
    },
  );
});
