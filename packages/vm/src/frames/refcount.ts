/**
 * Per-frame reference counts: how many mappings share a physical frame.
 *
 * Page-refcount copy-on-write (the xv6 COW lab, Lunaix) needs them: fork maps the parent's
 * frames read-only in both spaces and increments each frame's count; a write fault copies the
 * page only when the count is above 1 — with a count of 1 the writer is the last holder and may
 * simply get write access back. When the last reference goes, the frame returns to its allocator.
 *
 * ```
 *   count:  0 ──alloc/adopt──> 1 ──share──> 2 ──share──> 3
 *           ^                  │            │
 *           └──release (free)──┘<─release───┘<─release──
 * ```
 *
 * The counts live in one `Uint32Array` indexed by frame number: 4 bytes per frame, so that with
 * the buddy's 9 bytes and the zeroed-frame pool's 1.125 the whole frame metadata stays under 16
 * bytes (14.125 bytes per frame; 56.5 MiB for the 4M frames of 16 GiB). Linux keeps the same count
 * in `struct page::_refcount`.
 *
 * Invariant (`checkInvariants`): every frame with a non-zero count is allocated in the allocator.
 *
 * Related: `api.ts` (the allocator it frees to), `../cow/` (its user).
 */
import { FrameRangeError, InvariantError, RefCountError } from "../errors.js";
import { hex } from "../format.js";
import type { FrameAllocator } from "./api.js";

/** Largest count a frame can hold (the counts are 32-bit). */
export const MAX_FRAME_REFS = 0xffff_ffff;

/**
 * Reference counts for the frames of one allocator.
 *
 * @example
 * ```ts
 * const refs = new FrameRefCounts(new BuddyAllocator({ frames: 1024 }));
 * const pfn = refs.alloc()!;   // count 1
 * refs.share(pfn);             // fork: count 2, both spaces map it read-only
 * refs.release(pfn);           // the child wrote and copied: count 1, the parent may write in place
 * refs.release(pfn);           // count 0: back to the allocator
 * ```
 */
export class FrameRefCounts {
  private readonly counts: Uint32Array;
  private live = 0;

  /** Counts for every frame of `frames`, all 0. */
  constructor(readonly frames: FrameAllocator) {
    this.counts = new Uint32Array(frames.frameCount);
  }

  /**
   * Allocate one frame from the allocator with a count of 1.
   * @returns the frame, or `null` when the allocator is out of memory.
   */
  alloc(): number | null {
    const pfn = this.frames.allocFrame();
    if (pfn === null) return null;
    if (this.counts[pfn] !== 0) {
      throw new InvariantError(
        `alloc(): the allocator returned frame ${hex(pfn)}, which still has ${this.counts[pfn]} references`,
      );
    }
    this.counts[pfn] = 1;
    this.live++;
    return pfn;
  }

  /**
   * Start counting a frame allocated elsewhere (count 0 -> 1); `release` frees it at 0 as usual.
   * @throws RefCountError when the frame already has references, or is not allocated in the
   *   allocator (its last release would free a free frame); FrameRangeError for a bad pfn.
   */
  adopt(pfn: number): void {
    this.check("adopt", pfn);
    if (this.counts[pfn] !== 0) {
      throw new RefCountError(`adopt(pfn=${hex(pfn)}): frame already has ${this.counts[pfn]} references`);
    }
    if (!this.frames.isAllocated(pfn)) {
      throw new RefCountError(`adopt(pfn=${hex(pfn)}): frame is free in the allocator: allocate it first`);
    }
    this.counts[pfn] = 1;
    this.live++;
  }

  /**
   * Add a reference (a second mapping of the frame).
   * @returns the new count.
   * @throws RefCountError when nobody holds the frame (count 0) or the count would overflow.
   */
  share(pfn: number): number {
    this.check("share", pfn);
    const c = this.counts[pfn]!;
    if (c === 0) throw new RefCountError(`share(pfn=${hex(pfn)}): frame has no references (use after free?)`);
    if (c === MAX_FRAME_REFS)
      throw new RefCountError(`share(pfn=${hex(pfn)}): count would pass ${MAX_FRAME_REFS}`);
    this.counts[pfn] = c + 1;
    return c + 1;
  }

  /**
   * Drop a reference; at 0 the frame goes back to the allocator (`freeFrame`).
   * @returns the remaining count (0 = the frame was freed).
   * @throws RefCountError when the count is already 0 (a double release).
   */
  release(pfn: number): number {
    this.check("release", pfn);
    const c = this.counts[pfn]!;
    if (c === 0)
      throw new RefCountError(`release(pfn=${hex(pfn)}): frame has no references (double release?)`);
    this.counts[pfn] = c - 1;
    if (c === 1) {
      this.live--;
      this.frames.freeFrame(pfn);
    }
    return c - 1;
  }

  /** The current count of `pfn` (0 = not held). */
  count(pfn: number): number {
    this.check("count", pfn);
    return this.counts[pfn]!;
  }

  /** Number of frames with a non-zero count. */
  heldFrames(): number {
    return this.live;
  }

  /**
   * Every counted frame must be allocated in the allocator, and the held count must agree.
   * @throws InvariantError naming the first frame that breaks it.
   */
  checkInvariants(): void {
    let held = 0;
    for (let pfn = 0; pfn < this.counts.length; pfn++) {
      if (this.counts[pfn] === 0) continue;
      held++;
      if (!this.frames.isAllocated(pfn)) {
        throw new InvariantError(
          `frame ${hex(pfn)} has ${this.counts[pfn]} references but is free in the allocator`,
        );
      }
    }
    if (held !== this.live)
      throw new InvariantError(`${held} frames have references, heldFrames()=${this.live}`);
  }

  private check(call: string, pfn: number): void {
    if (!Number.isInteger(pfn) || pfn < 0 || pfn >= this.counts.length) {
      throw new FrameRangeError(
        `${call}(pfn=${pfn}): frame must be an integer in 0..${hex(this.counts.length - 1)}`,
      );
    }
  }
}
