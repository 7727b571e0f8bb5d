import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { BuddyAllocator, SlabBusyError, SlabCache, SlabObjectError, VmArgumentError } from "../src/index.js";

describe("SlabCache: rules", () => {
  it("carves a frame into stride-spaced objects: 200 B objects, 20 per 4 KiB slab", () => {
    const buddy = new BuddyAllocator({ frames: 64, maxOrder: 4 });
    const c = new SlabCache({ name: "obj200", objectSize: 200, frames: buddy, slabOrder: 0 });
    expect([c.stride, c.objectsPerSlab]).toEqual([200, 20]);
    const a = c.alloc()!;
    const b = c.alloc()!;
    expect(b - a).toBe(200);
    expect(a % 4096).toBe(0); // first slab: colour 0
    expect(c.stats()).toMatchObject({
      partialSlabs: 1,
      fullSlabs: 0,
      emptySlabs: 0,
      objectsInUse: 2,
      framesHeld: 1,
    });
    c.checkInvariants();
  });

  it("reuses the last freed object first (LIFO)", () => {
    const c = new SlabCache({
      name: "x",
      objectSize: 64,
      frames: new BuddyAllocator({ frames: 8, maxOrder: 3 }),
    });
    const a = c.alloc()!;
    c.alloc();
    c.free(a);
    expect(c.alloc()).toBe(a);
  });

  it("moves slabs between partial, full and empty, and gives back empties beyond maxEmpty", () => {
    const buddy = new BuddyAllocator({ frames: 16, maxOrder: 3 });
    const c = new SlabCache({ name: "page", objectSize: 2048, frames: buddy, slabOrder: 0, maxEmpty: 1 });
    const objs = [c.alloc()!, c.alloc()!, c.alloc()!, c.alloc()!]; // 2 slabs, full
    expect(c.stats()).toMatchObject({ fullSlabs: 2, partialSlabs: 0, framesHeld: 2 });
    c.free(objs[0]!);
    expect(c.stats()).toMatchObject({ fullSlabs: 1, partialSlabs: 1 });
    c.free(objs[1]!);
    expect(c.stats()).toMatchObject({ fullSlabs: 1, emptySlabs: 1, framesHeld: 2 });
    c.free(objs[2]!);
    c.free(objs[3]!); // a second empty slab: returned to the buddy
    expect(c.stats()).toMatchObject({ emptySlabs: 1, framesHeld: 1, releases: 1 });
    expect(buddy.freeFrames()).toBe(15);
    expect(c.shrink()).toBe(1);
    expect(buddy.freeFrames()).toBe(16);
    c.checkInvariants();
  });

  it("colours successive slabs at different offsets", () => {
    const buddy = new BuddyAllocator({ frames: 16, maxOrder: 3 });
    const c = new SlabCache({ name: "c", objectSize: 1000, align: 8, frames: buddy, slabOrder: 0 });
    // 4 objects per 4096 B, 96 B left over: colours 0, 8, ..., 96
    const first = [0, 1, 2, 3].map(() => c.alloc()!);
    const second = c.alloc()!;
    expect(first[0]! % 4096).toBe(0);
    expect(second % 4096).toBe(8);
  });

  it("refuses double frees, interior and foreign addresses, and changes nothing", () => {
    const buddy = new BuddyAllocator({ frames: 16, maxOrder: 3 });
    const c = new SlabCache({ name: "obj", objectSize: 48, frames: buddy });
    const a = c.alloc()!;
    const b = c.alloc()!;
    c.free(b);
    const before = c.stats();
    expect(() => c.free(b)).toThrow(SlabObjectError);
    expect(() => c.free(a + 8)).toThrow(SlabObjectError);
    expect(() => c.free(15 * 4096)).toThrow(SlabObjectError);
    expect(() => c.free(-1)).toThrow(SlabObjectError);
    expect(c.stats()).toEqual(before);
    expect(() => c.destroy()).toThrow(SlabBusyError);
    c.free(a);
    c.destroy();
    expect(buddy.freeFrames()).toBe(16);
    c.checkInvariants();
  });

  it("returns null when the frame allocator is out of memory, unchanged", () => {
    const buddy = new BuddyAllocator({ frames: 1, maxOrder: 1 });
    const c = new SlabCache({ name: "big", objectSize: 4096, frames: buddy });
    expect(c.alloc()).not.toBe(null);
    const before = c.stats();
    expect(c.alloc()).toBe(null);
    expect(c.stats()).toEqual(before);
  });

  it("rejects bad options", () => {
    const frames = new BuddyAllocator({ frames: 8, maxOrder: 2 });
    expect(() => new SlabCache({ name: "a", objectSize: 0, frames })).toThrow(VmArgumentError);
    expect(() => new SlabCache({ name: "a", objectSize: 8, align: 3, frames })).toThrow(VmArgumentError);
    expect(() => new SlabCache({ name: "a", objectSize: 9000, frames })).toThrow(VmArgumentError);
  });
});

// ---- model-based: the cache against a naive model (a set of live addresses) -------------------

type Model = { live: number[] };
type Real = { cache: SlabCache; buddy: BuddyAllocator; size: number };

function after(m: Model, r: Real): void {
  r.cache.checkInvariants();
  r.buddy.checkInvariants();
  const s = r.cache.stats();
  expect(s.objectsInUse).toBe(m.live.length);
  expect(r.buddy.freeFrames()).toBe(r.buddy.frameCount - s.framesHeld);
  // Live objects never overlap: sorted, each ends before the next starts.
  const sorted = [...m.live].sort((a, b) => a - b);
  for (let i = 1; i < sorted.length; i++) expect(sorted[i - 1]! + r.size).toBeLessThanOrEqual(sorted[i]!);
  for (const a of m.live) expect(r.cache.owns(a)).toBe(true);
}

class AllocCmd implements fc.Command<Model, Real> {
  check = () => true;
  run(m: Model, r: Real): void {
    const a = r.cache.alloc();
    if (a === null) expect(r.buddy.freeFrames()).toBeLessThan(2 ** r.cache.slabOrder);
    else {
      expect(m.live).not.toContain(a);
      expect(r.buddy.isAllocated(Math.floor(a / 4096))).toBe(true);
      expect((a + r.size - 1) % (4096 * 2 ** r.cache.slabOrder)).toBeGreaterThanOrEqual(
        a % (4096 * 2 ** r.cache.slabOrder),
      );
      m.live.push(a);
    }
    after(m, r);
  }
  toString = () => "alloc";
}

class FreeCmd implements fc.Command<Model, Real> {
  constructor(readonly index: number) {}
  check = (m: Readonly<Model>) => m.live.length > 0;
  run(m: Model, r: Real): void {
    const [a] = m.live.splice(this.index % m.live.length, 1);
    r.cache.free(a!);
    expect(r.cache.owns(a!)).toBe(false);
    after(m, r);
  }
  toString = () => `free(#${this.index})`;
}

class FreeErrCmd implements fc.Command<Model, Real> {
  constructor(readonly delta: number) {}
  check = (m: Readonly<Model>) => m.live.length > 0;
  run(m: Model, r: Real): void {
    const a = m.live[0]! + this.delta;
    if (m.live.includes(a)) return;
    const before = r.cache.stats();
    expect(() => r.cache.free(a)).toThrow(SlabObjectError);
    expect(r.cache.stats()).toEqual(before);
    after(m, r);
  }
  toString = () => `freeErr(live0 + ${this.delta})`;
}

class ShrinkCmd implements fc.Command<Model, Real> {
  check = () => true;
  run(m: Model, r: Real): void {
    r.cache.shrink();
    expect(r.cache.stats().emptySlabs).toBe(0);
    after(m, r);
  }
  toString = () => "shrink";
}

describe("SlabCache against a naive model (model-based)", () => {
  it("agrees on live objects, frames held, and never overlaps objects", () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 1500 }),
        fc.constantFrom(1, 8, 64),
        fc.nat({ max: 2 }),
        fc.commands(
          [
            fc.constant(new AllocCmd()),
            fc.constant(new AllocCmd()),
            fc.nat().map((i) => new FreeCmd(i)),
            fc.integer({ min: -300, max: 300 }).map((d) => new FreeErrCmd(d)),
            fc.constant(new ShrinkCmd()),
          ],
          { maxCommands: 80, size: "max" },
        ),
        (size, align, maxEmpty, cmds) => {
          fc.modelRun(() => {
            const buddy = new BuddyAllocator({ frames: 32, maxOrder: 4 });
            const cache = new SlabCache({ name: "m", objectSize: size, align, frames: buddy, maxEmpty });
            return { model: { live: [] }, real: { cache, buddy, size } };
          }, cmds);
        },
      ),
      { numRuns: 50 },
    );
  });
});

describe("SlabCache.checkInvariants catches corruption", () => {
  it("a slab on the wrong list, and a slot both free and used", () => {
    const c = new SlabCache({
      name: "x",
      objectSize: 64,
      frames: new BuddyAllocator({ frames: 8, maxOrder: 3 }),
    });
    c.alloc();
    type Guts = { heads: Record<string, { list: string; used: Uint8Array; freeHead: number } | null> };
    const slab = (c as unknown as Guts).heads.partial!;
    slab.used[slab.freeHead] = 1;
    expect(() => c.checkInvariants()).toThrow(/free list twice or in use/);
    slab.used[slab.freeHead] = 0;
    slab.list = "full";
    expect(() => c.checkInvariants()).toThrow(/says full/);
  });
});

describe("SlabCache tracing", () => {
  it("emits slab.grow and slab.release", () => {
    const log: string[] = [];
    const c = new SlabCache({
      name: "t",
      objectSize: 4096,
      frames: new BuddyAllocator({ frames: 4, maxOrder: 1 }),
      maxEmpty: 0,
      tracer: { emit: (e) => log.push(`${e.type} ${e.pfn}`) },
    });
    const a = c.alloc()!;
    c.free(a);
    expect(log).toEqual(["slab.grow 0", "slab.release 0"]);
  });
});
