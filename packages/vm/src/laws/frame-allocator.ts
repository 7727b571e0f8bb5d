/**
 * The laws of a frame allocator (`FrameAllocator` in `../frames/api.ts`), as fast-check properties.
 *
 * Any implementation — the buddy, the bitmap, a student's — passes the same suite:
 *
 * | law                          | what it rules out                                           |
 * |------------------------------|-------------------------------------------------------------|
 * | aligned and in range         | an order-k block not starting at a multiple of 2^k          |
 * | no overlap                   | one frame handed out twice                                  |
 * | conservation                 | frames lost or invented: free + live + reserved = total     |
 * | null only when nothing fits  | a spurious out-of-memory while an aligned run is free       |
 * | coalescing restores the start| fragmentation that survives freeing everything              |
 * | refused calls change nothing | a double free, wrong order, stray pfn or bad order that corrupts state |
 * | reserve                      | reserved frames handed out, or a refused reserve that half-happened |
 * | frame source                 | `allocFrame`/`freeFrame` disagreeing with order 0           |
 *
 * The reference model is a plain array of frame states (free / live / reserved), updated by
 * the obvious rules; the model-based law drives random command sequences through
 * `fc.commands` (see `frame-commands.ts`) and compares after every step, calling
 * `checkInvariants()` each time.
 */
import fc from "fast-check";
import type { FrameAllocator } from "../frames/api.js";
import { allocatorCommands, FrameModel, sameObservableState, snapshot } from "./frame-commands.js";
import { assertEq, type Law, type LawOptions, lawMaker, runLaws } from "./law.js";

/** One step of an operation sequence: allocate with an order picked from `order`, or free a live block. */
type Op =
  | { readonly alloc: true; readonly order: number }
  | { readonly alloc: false; readonly index: number };

/** Small orders are far more common, as in a kernel; `order` is reduced modulo maxOrder when used. */
const opArb: fc.Arbitrary<Op> = fc.oneof(
  { weight: 3, arbitrary: fc.record({ alloc: fc.constant(true as const), order: fc.nat({ max: 3 }) }) },
  { weight: 1, arbitrary: fc.record({ alloc: fc.constant(true as const), order: fc.nat({ max: 30 }) }) },
  { weight: 3, arbitrary: fc.record({ alloc: fc.constant(false as const), index: fc.nat() }) },
);

/** Replays `ops` on a fresh allocator and its model, checking `after` after each step. */
function replay(
  a: FrameAllocator,
  ops: readonly Op[],
  after: (a: FrameAllocator, m: FrameModel) => void = () => {},
): FrameModel {
  const m = new FrameModel(a.frameCount, a.maxOrder);
  for (const op of ops) {
    if (op.alloc) {
      const order = op.order % a.maxOrder;
      const pfn = a.alloc(order);
      if (pfn === null) m.expectNoFit(order, "alloc");
      else m.allocated(pfn, order, "alloc");
    } else if (m.live.length > 0) {
      const [pfn, order] = m.takeLive(op.index);
      a.free(pfn, order);
      m.freed(pfn, order);
    }
    after(a, m);
  }
  return m;
}

/** How many largest blocks can be allocated one after another (then they are all freed again). */
function countLargestBlocks(a: FrameAllocator): number {
  const top = a.maxOrder - 1;
  const got: number[] = [];
  // Bounded: an allocator that hands out one block twice would otherwise never return null.
  const fit = Math.floor(a.frameCount / 2 ** top);
  for (let p = a.alloc(top); p !== null; p = a.alloc(top)) {
    got.push(p);
    if (got.length > fit) {
      throw new Error(
        `alloc(${top}) returned ${got.length} blocks; only ${fit} fit in ${a.frameCount} frames`,
      );
    }
  }
  for (const p of got) a.free(p, top);
  return got.length;
}

/**
 * The laws every frame allocator keeps. `factory` must return a fresh allocator with every frame
 * free and nothing reserved; keep it small (a few hundred frames) so each run is quick.
 *
 * @example
 * ```ts
 * for (const law of frameAllocatorLaws(() => new BuddyAllocator({ frames: 256, maxOrder: 6 }))) {
 *   it(law.name, () => law.check());
 * }
 * ```
 */
export function frameAllocatorLaws(factory: () => FrameAllocator, opts: LawOptions = {}): Law[] {
  const params = { numRuns: opts.numRuns ?? 100, ...(opts.seed !== undefined ? { seed: opts.seed } : {}) };
  const ops = fc.array(opArb, { maxLength: opts.maxSteps ?? 60, size: "max" });
  const law = lawMaker(opts);
  return [
    law(
      "alloc(k) returns a block aligned to 2^k inside 0..frameCount-1",
      fc.property(ops, (o) => {
        // FrameModel.allocated checks alignment and range on every successful alloc.
        replay(factory(), o);
      }),
    ),
    law(
      "allocated blocks never overlap, and isAllocated agrees",
      fc.property(ops, (o) => {
        replay(factory(), o, (a, m) => m.compareAll(a));
      }),
    ),
    law(
      "frames are conserved: freeFrames() + live frames = frameCount after every call",
      fc.property(ops, (o) => {
        replay(factory(), o, (a, m) => assertEq(a.freeFrames(), m.freeCount, "freeFrames()"));
      }),
    ),
    law(
      "alloc returns null only when no aligned run of 2^k free frames exists, and then changes nothing",
      fc.property(ops, fc.nat(), (o, k) => {
        const a = factory();
        const m = replay(a, o);
        // Exhaust memory at one order, then every refused alloc must leave the state as it was.
        const order = k % a.maxOrder;
        for (let p = a.alloc(order); p !== null; p = a.alloc(order)) m.allocated(p, order, "alloc");
        m.expectNoFit(order, "alloc");
        const before = snapshot(a);
        assertEq(a.alloc(order), null, `second alloc(${order}) on exhausted memory`);
        sameObservableState(a, before, `after refused alloc(${order})`);
        a.checkInvariants();
      }),
    ),
    law(
      "after everything is freed, coalescing restores the initial state",
      fc.property(ops, fc.nat(), (o, shuffle) => {
        const a = factory();
        const initialFree = a.freeFrames();
        const initialLargest = countLargestBlocks(a);
        const m = replay(a, o);
        // Free the survivors in a scrambled order: coalescing must not depend on it.
        while (m.live.length > 0) {
          const [pfn, order] = m.takeLive(shuffle++ * 7919);
          a.free(pfn, order);
          m.freed(pfn, order);
        }
        a.checkInvariants();
        assertEq(a.freeFrames(), initialFree, "freeFrames() after freeing everything");
        assertEq(countLargestBlocks(a), initialLargest, "largest blocks available after freeing everything");
      }),
    ),
    law(
      "free of anything but exactly a live block throws and changes nothing",
      fc.property(ops, fc.integer({ min: -2, max: 1 << 20 }), fc.integer({ min: -1, max: 40 }), (o, p, k) => {
        const a = factory();
        const m = replay(a, o);
        const pfn = p % (a.frameCount + 2); // mostly in range, sometimes frameCount or frameCount+1
        const order = k % (a.maxOrder + 2); // mostly valid, sometimes maxOrder or maxOrder+1
        const calls: Array<[number, number]> = [[pfn, order]];
        const live = m.live[0];
        if (live !== undefined) {
          calls.push([live[0], (live[1] + 1) % a.maxOrder]); // wrong order (or maxOrder 1: same)
          if (live[1] > 0) calls.push([live[0] + 1, 0]); // a frame inside the block
          calls.push([live[0], 0.5], [live[0] + 0.5, live[1]]);
        }
        for (const [q, j] of calls) {
          if (m.isLiveBlock(q, j)) continue;
          const before = snapshot(a);
          let threw = false;
          try {
            a.free(q, j);
          } catch {
            threw = true;
          }
          if (!threw) throw new Error(`free(${q}, ${j}) of something that is not a live block did not throw`);
          sameObservableState(a, before, `after refused free(${q}, ${j})`);
          a.checkInvariants();
        }
      }),
    ),
    law(
      "alloc with an order outside 0..maxOrder-1 throws and changes nothing",
      fc.property(
        ops,
        fc.oneof(
          fc.integer({ min: -40, max: -1 }),
          fc.constant(0.5),
          fc.constant(Number.NaN),
          fc.nat({ max: 40 }),
        ),
        (o, k) => {
          const a = factory();
          replay(a, o);
          const order = Number.isInteger(k) && k >= 0 ? a.maxOrder + k : k;
          const before = snapshot(a);
          let threw = false;
          try {
            a.alloc(order);
          } catch {
            threw = true;
          }
          if (!threw) throw new Error(`alloc(${order}) with maxOrder ${a.maxOrder} did not throw`);
          sameObservableState(a, before, `after refused alloc(${order})`);
        },
      ),
    ),
    law(
      "reserve takes exactly the range out of the pool, and a refused reserve changes nothing",
      fc.property(ops, fc.nat(), fc.nat({ max: 40 }), (o, s, len) => {
        const a = factory();
        const m = replay(a, o);
        const start = s % a.frameCount;
        const count = Math.max(1, Math.min(len, a.frameCount - start));
        const before = snapshot(a);
        if (m.rangeFree(start, count)) {
          a.reserve(start, count);
          m.reserved(start, count);
          m.compareAll(a);
          assertEq(a.freeFrames(), m.freeCount, "freeFrames() after reserve");
          // Reserved frames are never handed out, even when memory runs out.
          for (let p = a.alloc(0); p !== null; p = a.alloc(0)) m.allocated(p, 0, "alloc after reserve");
          assertEq(a.freeFrames(), 0, "freeFrames() after allocating every frame");
        } else {
          let threw = false;
          try {
            a.reserve(start, count);
          } catch {
            threw = true;
          }
          if (!threw)
            throw new Error(`reserve(${start}, ${count}) over frames that are not free did not throw`);
          sameObservableState(a, before, `after refused reserve(${start}, ${count})`);
        }
        a.checkInvariants();
      }),
    ),
    law(
      "allocFrame/freeFrame (the FrameSource view) are alloc(0)/free(pfn, 0)",
      fc.property(fc.nat({ max: 64 }), (n) => {
        const a = factory();
        const m = new FrameModel(a.frameCount, a.maxOrder);
        const got: number[] = [];
        for (let i = 0; i < n; i++) {
          const p = a.allocFrame();
          if (p === null) break;
          m.allocated(p, 0, "allocFrame");
          got.push(p);
        }
        for (let i = 0; i < got.length; i++) {
          const p = got[i]!;
          if (i % 2 === 0) a.freeFrame(p);
          else a.free(p, 0);
          m.freed(p, 0);
        }
        assertEq(a.freeFrames(), a.frameCount, "freeFrames() after freeing every frame");
        a.checkInvariants();
      }),
    ),
    {
      name: "model-based: random alloc/free/reserve sequences agree with a set-of-frames model",
      check: () =>
        fc.assert(
          fc.property(allocatorCommands(opts.maxSteps ?? 60), (cmds) => {
            fc.modelRun(() => {
              const real = factory();
              return { model: new FrameModel(real.frameCount, real.maxOrder), real };
            }, cmds);
          }),
          { ...params, numRuns: Math.max(30, Math.floor(params.numRuns / 2)) },
        ),
    },
  ];
}

/**
 * Run every frame-allocator law, throwing on the first violation.
 * @example
 * ```ts
 * runFrameAllocatorLaws(() => new BitmapAllocator({ frames: 200, maxOrder: 5 }), { numRuns: 50 });
 * ```
 */
export function runFrameAllocatorLaws(factory: () => FrameAllocator, opts: LawOptions = {}): void {
  runLaws(frameAllocatorLaws(factory, opts));
}
