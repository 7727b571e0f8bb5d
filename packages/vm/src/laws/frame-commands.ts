/**
 * The reference model of a frame allocator and the `fc.commands` that drive one against it.
 *
 * The model is the naive truth: one state per frame (free, live, reserved) and the list of live
 * blocks. It knows nothing of buddies or bitmaps, so any allocator can be compared with it:
 *
 * ```
 *   frame:  0   1   2   3   4   5   6   7
 *   state:  L   L   F   R   F   F   F   F      live = [(0, order 1)], reserved 3
 *   alloc(2) may return 4 (aligned run 4..7 free), never 0 or 2
 * ```
 *
 * Commands follow fast-check's model-based style: one class per operation with
 * `check`/`run`/`toString`, targets chosen by index modulo the current size (so commands stay
 * valid while shrinking), and an `...Err` twin for each call that must be refused. Every `run`
 * ends with `checkInvariants()` and a comparison of the observable state. Besides alloc, free,
 * refused free and reserve, a drain command allocates one order until `null` and frees it all
 * again: the only way a set-of-frames model sees an allocator that fails to coalesce or split.
 * (`test/frame-allocator-laws.test.ts` plants ten classic bugs in a toy buddy and checks that the
 * laws, this model-based one included, reject each.)
 */
import fc from "fast-check";
import type { FrameAllocator } from "../frames/api.js";

const FREE = 0;
const LIVE = 1;
const RESERVED = 2;

/** The naive model: a state per frame and the live blocks. */
export class FrameModel {
  /** Per frame: 0 free, 1 in a live block, 2 reserved. */
  readonly state: Uint8Array;
  /** Live blocks as `[pfn, order]`, in allocation order. */
  readonly live: Array<[number, number]> = [];
  freeCount: number;

  constructor(
    readonly frameCount: number,
    readonly maxOrder: number,
  ) {
    this.state = new Uint8Array(frameCount);
    this.freeCount = frameCount;
  }

  /** Record a successful `alloc(order) = pfn`, checking alignment, range and overlap. */
  allocated(pfn: number, order: number, call: string): void {
    const size = 2 ** order;
    if (!Number.isInteger(pfn) || pfn < 0 || pfn + size > this.frameCount) {
      throw new Error(`${call}(${order}) returned ${pfn}: block outside 0..${this.frameCount - 1}`);
    }
    if (pfn % size !== 0) throw new Error(`${call}(${order}) returned ${pfn}: not aligned to ${size}`);
    for (let f = pfn; f < pfn + size; f++) {
      if (this.state[f] !== FREE) {
        throw new Error(`${call}(${order}) returned ${pfn}: frame ${f} is already ${this.describe(f)}`);
      }
    }
    this.state.fill(LIVE, pfn, pfn + size);
    this.live.push([pfn, order]);
    this.freeCount -= size;
  }

  /** Remove and return the live block at `index` modulo the number of live blocks. */
  takeLive(index: number): [number, number] {
    const i = index % this.live.length;
    const block = this.live[i]!;
    this.live[i] = this.live[this.live.length - 1]!;
    this.live.pop();
    return block;
  }

  /** Record a successful free of a block already taken off `live`. */
  freed(pfn: number, order: number): void {
    this.state.fill(FREE, pfn, pfn + 2 ** order);
    this.freeCount += 2 ** order;
  }

  /** Record a successful reserve. */
  reserved(pfn: number, count: number): void {
    this.state.fill(RESERVED, pfn, pfn + count);
    this.freeCount -= count;
  }

  /** Whether `(pfn, order)` is exactly one of the live blocks. */
  isLiveBlock(pfn: number, order: number): boolean {
    return this.live.some(([p, k]) => p === pfn && k === order);
  }

  /** Whether every frame of pfn..pfn+count-1 is free. */
  rangeFree(pfn: number, count: number): boolean {
    for (let f = pfn; f < pfn + count; f++) if (this.state[f] !== FREE) return false;
    return true;
  }

  /** An allocator returned null for `order`: no aligned run of 2^order free frames may exist. */
  expectNoFit(order: number, call: string): void {
    const size = 2 ** order;
    for (let p = 0; p + size <= this.frameCount; p += size) {
      if (this.rangeFree(p, size)) {
        throw new Error(`${call}(${order}) returned null, but frames ${p}..${p + size - 1} are all free`);
      }
    }
  }

  /** Compare `isAllocated` and `freeFrames` of `a` with the model, frame by frame. */
  compareAll(a: FrameAllocator): void {
    if (a.freeFrames() !== this.freeCount) {
      throw new Error(`freeFrames() = ${a.freeFrames()}, model says ${this.freeCount}`);
    }
    for (let f = 0; f < this.frameCount; f++) {
      if (a.isAllocated(f) !== (this.state[f] !== FREE)) {
        throw new Error(`isAllocated(${f}) = ${a.isAllocated(f)}, but the frame is ${this.describe(f)}`);
      }
    }
  }

  private describe(f: number): string {
    return ["free", "in a live block", "reserved"][this.state[f]!]!;
  }
}

/** What can be observed of an allocator without changing it: free count and per-frame state. */
export interface AllocatorSnapshot {
  readonly free: number;
  readonly allocated: readonly boolean[];
}

/** Take a {@link AllocatorSnapshot}. */
export function snapshot(a: FrameAllocator): AllocatorSnapshot {
  const allocated: boolean[] = [];
  for (let f = 0; f < a.frameCount; f++) allocated.push(a.isAllocated(f));
  return { free: a.freeFrames(), allocated };
}

/** Throw unless `a` looks exactly as it did in `before`. */
export function sameObservableState(a: FrameAllocator, before: AllocatorSnapshot, when: string): void {
  if (a.freeFrames() !== before.free)
    throw new Error(`${when}: freeFrames() went ${before.free} -> ${a.freeFrames()}`);
  for (let f = 0; f < a.frameCount; f++) {
    if (a.isAllocated(f) !== before.allocated[f]) throw new Error(`${when}: isAllocated(${f}) changed`);
  }
}

function after(m: FrameModel, r: FrameAllocator): void {
  r.checkInvariants();
  m.compareAll(r);
}

function throwsAndKeeps(m: FrameModel, r: FrameAllocator, call: string, f: () => void): void {
  const before = snapshot(r);
  try {
    f();
  } catch {
    sameObservableState(r, before, `after refused ${call}`);
    after(m, r);
    return;
  }
  throw new Error(`${call} should have been refused`);
}

/** alloc(order) — success must fit the model; null only when nothing fits. */
class AllocCommand implements fc.Command<FrameModel, FrameAllocator> {
  constructor(readonly order: number) {}
  check = () => true;
  run(m: FrameModel, r: FrameAllocator): void {
    const k = this.order % r.maxOrder;
    const p = r.alloc(k);
    if (p === null) m.expectNoFit(k, "alloc");
    else m.allocated(p, k, "alloc");
    after(m, r);
  }
  toString = () => `alloc(order#${this.order})`;
}

/** free of the live block chosen by index modulo the live count. */
class FreeCommand implements fc.Command<FrameModel, FrameAllocator> {
  constructor(readonly index: number) {}
  check = (m: Readonly<FrameModel>) => m.live.length > 0;
  run(m: FrameModel, r: FrameAllocator): void {
    const [p, k] = m.takeLive(this.index);
    r.free(p, k);
    m.freed(p, k);
    after(m, r);
  }
  toString = () => `free(live#${this.index})`;
}

/**
 * A free that must be refused: any frame with any order (mostly double frees and stray frames),
 * or aimed at a live block (`aimed`): its head with every other order, smaller ones included
 * (an allocator that frees part of a block when asked passes a random search only by luck),
 * or a frame inside it.
 */
class FreeErrCommand implements fc.Command<FrameModel, FrameAllocator> {
  constructor(
    readonly frame: number,
    readonly order: number,
    readonly aimed: boolean,
  ) {}
  check = () => true;
  run(m: FrameModel, r: FrameAllocator): void {
    const calls: Array<[number, number]> = [[this.frame % r.frameCount, this.order % r.maxOrder]];
    const live = m.live.length > 0 ? m.live[this.frame % m.live.length] : undefined;
    if (this.aimed && live !== undefined) {
      const [head, k] = live;
      calls.length = 0;
      for (let j = 0; j < r.maxOrder; j++) if (j !== k) calls.push([head, j]);
      if (k > 0) calls.push([head + 1 + (this.order % (2 ** k - 1)), this.order % r.maxOrder]);
    }
    for (const [p, k] of calls) {
      if (m.isLiveBlock(p, k)) continue; // that one would be a legal free
      throwsAndKeeps(m, r, `free(${p}, ${k})`, () => r.free(p, k));
    }
  }
  toString = () =>
    `freeErr(frame#${this.frame}, order#${this.order}${this.aimed ? ", at a live block" : ""})`;
}

/** reserve of a run of frames: accepted when all free, refused (and without effect) otherwise. */
class ReserveCommand implements fc.Command<FrameModel, FrameAllocator> {
  constructor(
    readonly start: number,
    readonly length: number,
  ) {}
  check = () => true;
  run(m: FrameModel, r: FrameAllocator): void {
    const p = this.start % r.frameCount;
    const n = Math.min(this.length, r.frameCount - p);
    if (m.rangeFree(p, n)) {
      r.reserve(p, n);
      m.reserved(p, n);
      after(m, r);
    } else {
      throwsAndKeeps(m, r, `reserve(${p}, ${n})`, () => r.reserve(p, n));
    }
  }
  toString = () => `reserve(frame#${this.start}, ${this.length})`;
}

/**
 * Allocate order-k blocks until `alloc` returns null (which must then be a true out of memory:
 * no aligned free run of 2^k frames left), then free them all again. This is what exposes an
 * allocator that fails to coalesce or to split: its small free blocks add up to memory it cannot
 * hand out as a large block.
 */
class DrainCommand implements fc.Command<FrameModel, FrameAllocator> {
  constructor(readonly order: number) {}
  check = () => true;
  run(m: FrameModel, r: FrameAllocator): void {
    const k = this.order % r.maxOrder;
    const got: number[] = [];
    for (let p = r.alloc(k); p !== null; p = r.alloc(k)) {
      m.allocated(p, k, "drain: alloc");
      got.push(p);
      if (got.length > r.frameCount) throw new Error(`alloc(${k}) never returned null`);
    }
    m.expectNoFit(k, "drain: alloc");
    for (let i = got.length - 1; i >= 0; i--) {
      const p = got[i]!;
      r.free(p, k);
      m.takeLive(m.live.length - 1); // the last live block is got[i]
      m.freed(p, k);
    }
    after(m, r);
  }
  toString = () => `drain(order#${this.order})`;
}

/** The command arbitrary of the model-based frame-allocator law. */
export function allocatorCommands(
  maxCommands: number,
): fc.Arbitrary<Iterable<fc.Command<FrameModel, FrameAllocator>>> {
  return fc.commands(
    [
      fc.nat({ max: 3 }).map((k) => new AllocCommand(k)),
      fc.nat({ max: 30 }).map((k) => new AllocCommand(k)),
      fc.nat().map((i) => new FreeCommand(i)),
      fc.nat().map((i) => new FreeCommand(i)),
      fc.tuple(fc.nat(), fc.nat({ max: 30 }), fc.boolean()).map(([p, k, a]) => new FreeErrCommand(p, k, a)),
      fc.tuple(fc.nat(), fc.integer({ min: 1, max: 8 })).map(([p, n]) => new ReserveCommand(p, n)),
      fc.nat({ max: 30 }).map((k) => new DrainCommand(k)),
    ],
    { maxCommands, size: "max" },
  );
}
