/**
 * Reference-counted frames: the frame bookkeeping of page-refcount copy-on-write (the xv6 COW
 * lab, Lunaix). A frame mapped by k page-table leaves has count k; a fork adds one per shared
 * leaf, and a frame returns to the allocator when its last leaf lets go.
 *
 * ```
 *  alloc → count 1 ── fork ──▶ count 2 ── child writes (copy) ──▶ count 1 ── parent exits ──▶ free
 *                                    └── child exits ─────────────▶ count 1 ── parent writes: reuse, no copy
 * ```
 *
 * {@link CountedFrames} is the interface the COW code needs; {@link FrameRefTable} implements
 * it over any {@link FrameAllocator} with one `Uint16Array` slot per frame (2 bytes per frame:
 * 65,535 sharers at most, far above any fork tree a simulation builds).
 *
 * Related: `pte-cow.ts` (the page-table side), `refcount.ts` (the strategy).
 */
import { InvariantError, RefCountError } from "../errors.js";
import type { FrameAllocator } from "../frames/api.js";

/**
 * Frames with a share count: what page-refcount COW needs from physical-memory management.
 *
 * Implementations must be monomorphic and allocation-free on `ref`/`put`: a fork calls `ref` once
 * per shared page.
 */
export interface CountedFrames {
  /** Take a frame with count 1, or `null` when none is free (out of memory is a result). */
  allocFrame(): number | null;
  /** Add one sharer to a held frame. */
  ref(pfn: number): void;
  /** Drop one sharer; the frame goes back to the allocator when the count reaches 0. */
  put(pfn: number): void;
  /** Current count (0 for a frame nobody holds). */
  refcount(pfn: number): number;
}

/** Options of {@link FrameRefTable}. */
export interface FrameRefTableOptions {
  /** The allocator frames come from and go back to (order-0 blocks). */
  readonly frames: FrameAllocator;
}

/**
 * Share counts for the frames of one allocator.
 *
 * @example
 * ```ts
 * const refs = new FrameRefTable({ frames: new BuddyAllocator({ frames: 64 }) });
 * const f = refs.allocFrame()!;  // count 1
 * refs.ref(f);                   // a fork shares it: 2
 * refs.put(f);                   // the child wrote its own copy: 1
 * refs.put(f);                   // freed: back in the buddy allocator
 * ```
 */
export class FrameRefTable implements CountedFrames {
  readonly #frames: FrameAllocator;
  readonly #count: Uint16Array;
  #held = 0;

  constructor(options: FrameRefTableOptions) {
    this.#frames = options.frames;
    this.#count = new Uint16Array(options.frames.frameCount);
  }

  /** The allocator behind the table. */
  get frames(): FrameAllocator {
    return this.#frames;
  }

  /** Number of frames with a non-zero count. */
  get heldFrames(): number {
    return this.#held;
  }

  allocFrame(): number | null {
    const f = this.#frames.alloc(0);
    if (f === null) return null;
    this.#count[f] = 1;
    this.#held++;
    return f;
  }

  /** @throws {@link RefCountError} when `pfn` is not held or its count would overflow. */
  ref(pfn: number): void {
    const c = this.#count[pfn];
    if (c === undefined || c === 0 || c === 0xffff) {
      throw new RefCountError(`ref(pfn=${pfn}): count ${c ?? "out of range"} cannot take one more sharer`);
    }
    this.#count[pfn] = c + 1;
  }

  /** @throws {@link RefCountError} when `pfn` is not held (a double put). */
  put(pfn: number): void {
    const c = this.#count[pfn];
    if (c === undefined || c === 0)
      throw new RefCountError(`put(pfn=${pfn}): frame is not held (double put?)`);
    this.#count[pfn] = c - 1;
    if (c === 1) {
      this.#held--;
      this.#frames.free(pfn, 0);
    }
  }

  refcount(pfn: number): number {
    return this.#count[pfn] ?? 0;
  }

  /**
   * Check the counts against the allocator, and against `expected` when given (frame → number of
   * leaves that map it, counted independently by walking page tables).
   * @throws {@link InvariantError} naming the first mismatch.
   */
  checkInvariants(expected?: ReadonlyMap<number, number>): void {
    let held = 0;
    for (let f = 0; f < this.#count.length; f++) {
      const c = this.#count[f]!;
      if (c === 0) continue;
      held++;
      if (!this.#frames.isAllocated(f)) throw new InvariantError(`frame ${f} has count ${c} but is free`);
      if (expected !== undefined && (expected.get(f) ?? 0) !== c) {
        throw new InvariantError(`frame ${f}: count ${c}, but ${expected.get(f) ?? 0} leaves map it`);
      }
    }
    if (held !== this.#held) throw new InvariantError(`${held} frames held, counter says ${this.#held}`);
    if (expected !== undefined) {
      for (const [f, n] of expected) {
        if (this.#count[f] === 0)
          throw new InvariantError(`frame ${f} is mapped by ${n} leaves but not held`);
      }
    }
  }
}
