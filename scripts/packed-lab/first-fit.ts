/**
 * A student's frame allocator, as a lab would have one written outside this repository: it
 * imports only the published packages (`@osbricks/vm` for the interface, `@osbricks/vm/laws` in
 * the check), never our sources. `pnpm run check:packed` type-checks it against the packed
 * packages' declarations and runs `runFrameAllocatorLaws` on it, as docs/labs.md tells a student
 * to.
 *
 * The design is the simplest that keeps the interface's contract: one owner word per frame and a
 * first-fit scan over aligned starts, O(frames) per `alloc`. It is correct, not fast: the point
 * of the laws is that they judge behaviour, so a slow allocator that keeps every rule passes and
 * our buddy allocator is not the only shape that can.
 *
 * ```
 *   owner[f] = FREE      frame f is in the pool
 *   owner[f] = RESERVED  taken by reserve() (boot-map holes, MMIO)
 *   owner[f] = s         frame f belongs to the block that starts at frame s
 * ```
 */
import type { FrameAllocator } from "@osbricks/vm";

const FREE = -1;
const RESERVED = -2;

export class FirstFitAllocator implements FrameAllocator {
  readonly frameCount: number;
  readonly maxOrder: number;
  private readonly owner: Int32Array;
  /** Order of each live block, by its first frame. */
  private readonly blocks = new Map<number, number>();
  private freeCount = 0;

  constructor(options: { frames: number; maxOrder: number }) {
    const { frames, maxOrder } = options;
    if (!Number.isInteger(frames) || frames < 1) {
      throw new RangeError(`FirstFitAllocator: frames=${frames}: expected a positive integer`);
    }
    if (!Number.isInteger(maxOrder) || maxOrder < 1 || maxOrder > 24) {
      throw new RangeError(`FirstFitAllocator: maxOrder=${maxOrder}: expected an integer in 1..24`);
    }
    this.frameCount = frames;
    this.maxOrder = maxOrder;
    this.owner = new Int32Array(frames).fill(FREE);
    this.freeCount = frames;
  }

  alloc(order: number): number | null {
    if (!Number.isInteger(order) || order < 0 || order >= this.maxOrder) {
      throw new RangeError(`alloc(order=${order}): expected an integer in 0..${this.maxOrder - 1}`);
    }
    const size = 2 ** order;
    // A block of 2^order frames starts on a multiple of 2^order (the buddy rule the laws check).
    for (let start = 0; start + size <= this.frameCount; start += size) {
      if (!this.allFree(start, size)) continue;
      this.owner.fill(start, start, start + size);
      this.blocks.set(start, order);
      this.freeCount -= size;
      return start;
    }
    return null; // out of memory is a result, not an exception
  }

  free(pfn: number, order: number): void {
    if (this.blocks.get(pfn) !== order) {
      throw new RangeError(`free(pfn=${pfn}, order=${order}): no live block of order ${order} starts there`);
    }
    const size = 2 ** order;
    this.owner.fill(FREE, pfn, pfn + size);
    this.blocks.delete(pfn);
    this.freeCount += size;
  }

  reserve(pfn: number, count: number): void {
    const inRange = Number.isInteger(pfn) && Number.isInteger(count) && pfn >= 0 && count >= 0;
    if (!inRange || pfn + count > this.frameCount || !this.allFree(pfn, count)) {
      throw new RangeError(`reserve(pfn=${pfn}, count=${count}): expected a free range of frames`);
    }
    this.owner.fill(RESERVED, pfn, pfn + count);
    this.freeCount -= count;
  }

  freeFrames(): number {
    return this.freeCount;
  }

  isAllocated(pfn: number): boolean {
    return this.owner[pfn] !== FREE;
  }

  allocFrame(): number | null {
    return this.alloc(0);
  }

  freeFrame(pfn: number): void {
    this.free(pfn, 0);
  }

  checkInvariants(): void {
    let free = 0;
    for (let f = 0; f < this.frameCount; f++) if (this.owner[f] === FREE) free++;
    if (free !== this.freeCount)
      throw new Error(`the free count says ${this.freeCount}, ${free} frames are free`);
    for (const [start, order] of this.blocks) {
      for (let f = start; f < start + 2 ** order; f++) {
        if (this.owner[f] !== start) throw new Error(`frame ${f} of the block at ${start} is not its own`);
      }
    }
  }

  private allFree(start: number, count: number): boolean {
    for (let f = start; f < start + count; f++) if (this.owner[f] !== FREE) return false;
    return true;
  }
}
