/**
 * The laws of an object cache (`ObjectCache` in `../slab/api.ts`), as fast-check properties: what
 * a slab allocator promises the kernel code that asks it for threads, VM areas and page-table
 * bookkeeping. Our `SlabCache` and a student's cache pass the same suite:
 *
 * | law                                   | what it rules out                                          |
 * |---------------------------------------|------------------------------------------------------------|
 * | aligned, inside its frames, no overlap| two live objects sharing a byte; an object in a frame the cache does not hold |
 * | owns and the count agree              | a live object the cache forgot, a freed one it still claims, an interior pointer or a slot past the slab's last claimed |
 * | refused free changes nothing          | a double free, a free of an address inside an object       |
 * | frames are conserved                  | frames taken from the allocator and lost, or counted twice |
 * | shrink gives everything back          | slabs kept for ever after their last object went           |
 * | out of frames is a result             | a throw, or a half-made slab, when the allocator is empty  |
 *
 * The factory gives the cache together with the frame allocator it takes its frames from, and
 * nothing else may use that allocator: the laws read the allocator's free count to see what the
 * cache holds. The model is the set of live objects' addresses.
 */
import fc from "fast-check";
import { hex } from "../format.js";
import { FRAME_SIZE, type FrameAllocator } from "../frames/api.js";
import type { ObjectCache } from "../slab/api.js";
import { assertEq, type Law, type LawOptions, lawMaker, runLaws } from "./law.js";

/** A cache under test and the frame allocator that is its only source of frames. */
export interface ObjectCacheUnderTest {
  readonly cache: ObjectCache;
  readonly frames: FrameAllocator;
}

type Op =
  | { readonly kind: "alloc"; readonly count: number }
  | { readonly kind: "free"; readonly index: number }
  | { readonly kind: "shrink" }
  | { readonly kind: "refused-free"; readonly index: number };

/** Allocations in bursts (so slabs fill up), frees one by one, and now and then a shrink. */
const opArb: fc.Arbitrary<Op> = fc.oneof(
  {
    weight: 4,
    arbitrary: fc.record({ kind: fc.constant("alloc" as const), count: fc.integer({ min: 1, max: 12 }) }),
  },
  { weight: 5, arbitrary: fc.record({ kind: fc.constant("free" as const), index: fc.nat() }) },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant("shrink" as const) }) },
);

/** The model-based law's steps: the same, and frees that must be refused (double, inside an object). */
const modelOpArb: fc.Arbitrary<Op> = fc.oneof(
  { weight: 5, arbitrary: opArb },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant("refused-free" as const), index: fc.nat() }) },
);

/** The model: the live objects' addresses, in the order they were handed out. */
class LiveObjects {
  readonly live: number[] = [];
  /** The same addresses in ascending order (for the overlap check). */
  private readonly sorted: number[] = [];
  /** The last addresses freed (some may have been handed out again since). */
  readonly freed: number[] = [];
  readonly freeAtStart: number;

  constructor(readonly t: ObjectCacheUnderTest) {
    this.freeAtStart = t.frames.freeFrames();
  }

  /** Record an object `alloc` returned, checking where it lies. */
  allocated(addr: number): void {
    const { cache, frames } = this.t;
    const size = cache.objectSize;
    const at = `alloc() returned ${hex(addr)}`;
    if (!Number.isInteger(addr) || addr < 0 || addr % cache.align !== 0) {
      throw new Error(`${at}: not a multiple of the alignment ${cache.align}`);
    }
    const first = Math.floor(addr / FRAME_SIZE);
    const last = Math.floor((addr + size - 1) / FRAME_SIZE);
    for (let f = first; f <= last; f++) {
      if (f >= frames.frameCount || !frames.isAllocated(f)) {
        throw new Error(
          `${at}: its bytes lie in frame ${f}, which the cache did not take from its allocator`,
        );
      }
    }
    // Objects are all `size` bytes: one overlaps `addr` if it starts in (addr - size, addr + size).
    const i = this.lowerBound(addr - size + 1);
    const other = this.sorted[i];
    if (other !== undefined && other < addr + size) {
      throw new Error(`${at}: it overlaps the live object at ${hex(other)} (${size} bytes each)`);
    }
    this.sorted.splice(i, 0, addr);
    this.live.push(addr);
  }

  /** Index of the first live address ≥ `addr` in `sorted`. */
  private lowerBound(addr: number): number {
    let lo = 0;
    let hi = this.sorted.length;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (this.sorted[mid]! < addr) lo = mid + 1;
      else hi = mid;
    }
    return lo;
  }

  /** Remove and return the live object chosen by `index` (any natural number). */
  take(index: number): number {
    const addr = this.live.splice(index % this.live.length, 1)[0]!;
    this.sorted.splice(this.lowerBound(addr), 1);
    this.freed.push(addr);
    if (this.freed.length > 8) this.freed.shift();
    return addr;
  }

  /**
   * The cache's counts, `owns` and the allocator agree with the model; the invariants hold. With
   * `probeNeighbours`, `owns` is also asked about addresses next to live objects (the owns law).
   */
  check(what: string, probeNeighbours = false): void {
    const { cache, frames } = this.t;
    const { objectsInUse, framesHeld } = cache.stats();
    assertEq(objectsInUse, this.live.length, `${what}: stats().objectsInUse`);
    assertEq(
      framesHeld + frames.freeFrames(),
      this.freeAtStart,
      `${what}: stats().framesHeld + the allocator's freeFrames() (frames conserved)`,
    );
    for (const addr of this.live)
      assertEq(cache.owns(addr), true, `${what}: owns(${hex(addr)}) of a live object`);
    for (const addr of this.freed) {
      if (!this.live.includes(addr))
        assertEq(cache.owns(addr), false, `${what}: owns(${hex(addr)}) of a freed object`);
    }
    if (!probeNeighbours) {
      cache.checkInvariants();
      return;
    }
    // owns is exact: next to a live object lie addresses that are no object's start (a byte
    // inside it, the first byte past it, the slab's tail after its last slot) unless the model
    // says another live object starts there. Probed around the newest objects (a slab's last
    // slot is one of them when it is handed out) and a spread of the others, at most 8 per check
    // (a refused `owns` may be slow in a student's cache, e.g. one that throws and catches inside).
    const starts = new Set(this.live);
    const n = this.live.length;
    const probed = new Set<number>();
    for (let i = Math.max(0, n - 4); i < n; i++) probed.add(this.live[i]!);
    for (let i = 0; i < n; i += Math.ceil(n / 4)) probed.add(this.live[i]!);
    for (const addr of probed) {
      for (const near of [addr + 1, addr + cache.objectSize]) {
        if (near < 0 || cache.owns(near) === starts.has(near)) continue;
        throw new Error(
          `${what}: owns(${hex(near)}) = ${!starts.has(near)}, but ${
            starts.has(near)
              ? "a live object starts there"
              : `no live object starts there (it is ${near - addr} bytes from the live object at ${hex(addr)}: an interior pointer or a slot past the slab's last)`
          }`,
        );
      }
    }
    cache.checkInvariants();
  }
}

/** `free(addr)` of something that is not a live object must throw. */
function expectRefusedFree(cache: ObjectCache, addr: number): void {
  try {
    cache.free(addr);
  } catch {
    return;
  }
  throw new Error(`free(${hex(addr)}) of something that is not a live object did not throw`);
}

/** Replays `ops`, checking every result; `after` runs after each step. */
function replay(
  t: ObjectCacheUnderTest,
  ops: readonly Op[],
  after: (m: LiveObjects) => void = () => {},
): LiveObjects {
  const m = new LiveObjects(t);
  for (const op of ops) {
    if (op.kind === "alloc" || (op.kind === "free" && m.live.length === 0)) {
      const count = op.kind === "alloc" ? op.count : 1;
      for (let i = 0; i < count; i++) {
        const addr = t.cache.alloc();
        if (addr === null) break; // the allocator ran dry: the "out of frames" law judges that
        m.allocated(addr);
      }
    } else if (op.kind === "free") {
      const addr = m.take(op.index);
      t.cache.free(addr);
      assertEq(t.cache.owns(addr), false, `owns(${hex(addr)}) after its free`);
    } else if (op.kind === "refused-free") {
      // A double free of a recently freed object (unless handed out again), or an address inside a
      // live one: either must throw.
      const gone = m.freed[op.index % Math.max(1, m.freed.length)];
      const inside =
        m.live.length > 0 && t.cache.objectSize > 1 ? m.live[op.index % m.live.length]! + 1 : null;
      const addr = gone !== undefined && !m.live.includes(gone) ? gone : inside;
      if (addr !== null) expectRefusedFree(t.cache, addr);
    } else {
      const held = t.cache.stats().framesHeld;
      const released = t.cache.shrink();
      assertEq(t.cache.stats().framesHeld, held - released, "stats().framesHeld after shrink()");
    }
    after(m);
  }
  return m;
}

/**
 * The laws every object cache keeps. `factory` returns a fresh, empty cache and the frame allocator
 * it takes frames from (used by nothing else); a few hundred frames keep each run quick.
 *
 * @example
 * ```ts
 * const make = () => {
 *   const frames = new BuddyAllocator({ frames: 256, maxOrder: 6 });
 *   return { frames, cache: new SlabCache({ name: "t", objectSize: 200, frames }) };
 * };
 * for (const law of objectCacheLaws(make)) it(law.name, () => law.check());
 * ```
 */
export function objectCacheLaws(factory: () => ObjectCacheUnderTest, opts: LawOptions = {}): Law[] {
  const ops = fc.array(opArb, { maxLength: opts.maxSteps ?? 60, size: "max" });
  const law = lawMaker(opts);
  return [
    law(
      "alloc returns an aligned address inside frames the cache holds, overlapping no live object",
      fc.property(ops, (o) => {
        // LiveObjects.allocated checks every object handed out.
        replay(factory(), o);
      }),
    ),
    law(
      "owns is true for the live objects only, stats counts them, and frames are conserved",
      fc.property(ops, (o) => {
        replay(factory(), o, (m) => m.check("after a step", true));
      }),
    ),
    law(
      "a free of anything but a live object's address throws and changes nothing",
      fc.property(ops, fc.nat(), (o, pick) => {
        const t = factory();
        const m = replay(t, o);
        const calls: number[] = [];
        if (m.live.length > 0) {
          const gone = m.take(pick);
          t.cache.free(gone);
          calls.push(gone); // a double free
        }
        if (m.live.length > 0 && t.cache.objectSize > 1) calls.push(m.live[pick % m.live.length]! + 1); // inside a live object
        calls.push(t.frames.frameCount * FRAME_SIZE + 64); // past the end of memory
        for (const addr of calls) {
          const before = t.cache.stats();
          expectRefusedFree(t.cache, addr);
          assertEq(
            t.cache.stats().objectsInUse,
            before.objectsInUse,
            `objectsInUse after the refused free(${hex(addr)})`,
          );
          assertEq(
            t.cache.stats().framesHeld,
            before.framesHeld,
            `framesHeld after the refused free(${hex(addr)})`,
          );
          m.check(`after the refused free(${hex(addr)})`);
        }
      }),
    ),
    law(
      "after every object is freed, shrink gives every frame back to the allocator",
      fc.property(ops, fc.nat(), (o, shuffle) => {
        const t = factory();
        const m = replay(t, o);
        while (m.live.length > 0) t.cache.free(m.take(shuffle++ * 7919));
        t.cache.shrink();
        assertEq(t.cache.stats().objectsInUse, 0, "stats().objectsInUse after freeing every object");
        assertEq(t.cache.stats().framesHeld, 0, "stats().framesHeld after freeing every object and shrink()");
        assertEq(t.frames.freeFrames(), m.freeAtStart, "the allocator's freeFrames() after shrink()");
        t.cache.checkInvariants();
      }),
    ),
    law(
      "when the allocator has no frame left, alloc returns null and changes nothing, and a freed object's place serves the next alloc",
      fc.property(ops, (o) => {
        const t = factory();
        const m = replay(t, o);
        // Take every remaining frame away from the cache, then fill what it holds.
        const stolen: number[] = [];
        for (let f = t.frames.alloc(0); f !== null; f = t.frames.alloc(0)) stolen.push(f);
        const bound = m.live.length + t.cache.stats().framesHeld * Math.floor(FRAME_SIZE / t.cache.align) + 1;
        for (let n = 0; ; n++) {
          if (n > bound) throw new Error(`alloc() kept succeeding (${n} objects) with no frame left to grow`);
          const addr = t.cache.alloc();
          if (addr === null) break;
          m.allocated(addr);
        }
        const before = t.cache.stats();
        assertEq(t.cache.alloc(), null, "a second alloc() with no frame left");
        assertEq(
          t.cache.stats().objectsInUse,
          before.objectsInUse,
          "objectsInUse after alloc() returned null",
        );
        assertEq(t.cache.stats().framesHeld, before.framesHeld, "framesHeld after alloc() returned null");
        // A freed slot is usable again at once: either the cache keeps it, or the frames it gives
        // back are the allocator's only free ones and serve the next slab.
        if (m.live.length > 0) {
          t.cache.free(m.take(0));
          const addr = t.cache.alloc();
          if (addr === null)
            throw new Error("alloc() returned null right after a free, with no other frame free");
          m.allocated(addr);
        }
        for (const f of stolen) t.frames.free(f, 0);
        m.check("after alloc() returned null and the frames came back");
      }),
    ),
    law(
      "model-based: random alloc/free/shrink sequences, with refused frees, agree with the set of live objects",
      fc.property(fc.array(modelOpArb, { maxLength: opts.maxSteps ?? 60, size: "max" }), (o) => {
        let step = 0;
        replay(factory(), o, (m) => m.check(`after step ${++step}`));
      }),
    ),
  ];
}

/**
 * Run every object-cache law, throwing on the first violation.
 * @example
 * ```ts
 * runObjectCacheLaws(() => {
 *   const frames = new BuddyAllocator({ frames: 256, maxOrder: 6 });
 *   return { frames, cache: new SlabCache({ name: "t", objectSize: 96, frames }) };
 * });
 * ```
 */
export function runObjectCacheLaws(factory: () => ObjectCacheUnderTest, opts: LawOptions = {}): void {
  runLaws(objectCacheLaws(factory, opts));
}
