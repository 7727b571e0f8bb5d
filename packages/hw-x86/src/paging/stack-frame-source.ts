/**
 * The simplest frame source: frames `first..first+count-1` handed out in increasing order, freed
 * frames reused last-in first-out (xv6's `kalloc` free list, without the list living in the pages).
 *
 * ```
 *   fresh:  first ──────────► next ──────────── first+count      (bump pointer)
 *   freed:  [ … , 7, 3 ] ◄── pop first                             (stack)
 * ```
 *
 * For examples, tests and benchmarks of this package; a kernel plugs in `@osbricks/vm`'s buddy or
 * bitmap allocator instead. Invariants ({@link StackFrameSource.checkInvariants}): a frame is either
 * never handed out (≥ next), in use, or on the free stack — never two of these.
 *
 * Related: `frame-source.ts` (the interface), `mapper.ts` (the consumer).
 */
import { InvalidArgumentError, InvariantError } from "../errors.js";
import { hex, type Pfn } from "../memory/address.js";
import type { FrameSource } from "./frame-source.js";

/**
 * A bump-plus-free-stack {@link FrameSource} over a range of frames.
 *
 * @example
 * ```ts
 * const frames = new StackFrameSource(0x100, 64); // frames 0x100..0x13f
 * const pfn = frames.allocFrame(); // 0x100
 * frames.freeFrame(pfn!);
 * ```
 */
export class StackFrameSource implements FrameSource {
  /** First frame of the range. */
  readonly first: Pfn;
  /** Number of frames in the range. */
  readonly count: number;
  private next: Pfn;
  private readonly free: Pfn[] = [];
  private readonly inUse = new Set<Pfn>();

  /** @throws {@link InvalidArgumentError} if `first` or `count` is not a non-negative integer. */
  constructor(first: Pfn, count: number) {
    if (!Number.isInteger(first) || first < 0 || !Number.isInteger(count) || count < 0) {
      throw new InvalidArgumentError(
        `StackFrameSource(first=${String(first)}, count=${String(count)}): need integers ≥ 0`,
      );
    }
    this.first = first;
    this.count = count;
    this.next = first;
  }

  /** Take a frame: the last freed one, else the next fresh one; `null` when all are in use. */
  allocFrame(): Pfn | null {
    let pfn = this.free.pop();
    if (pfn === undefined) {
      if (this.next >= this.first + this.count) return null;
      pfn = this.next++;
    }
    this.inUse.add(pfn);
    return pfn;
  }

  /**
   * Give a frame back.
   * @throws {@link InvalidArgumentError} if `pfn` is not in use (a double free, or never handed out);
   *   nothing changes then.
   */
  freeFrame(pfn: Pfn): void {
    if (!this.inUse.has(pfn)) {
      throw new InvalidArgumentError(`freeFrame(pfn=${hex(pfn)}): frame is not in use (double free?)`);
    }
    this.inUse.delete(pfn);
    this.free.push(pfn);
  }

  /** Frames currently handed out. */
  get framesInUse(): number {
    return this.inUse.size;
  }

  /** Whether `pfn` is currently handed out. */
  isInUse(pfn: Pfn): boolean {
    return this.inUse.has(pfn);
  }

  /** @throws {@link InvariantError} if a frame is both free and in use, or out of range. */
  checkInvariants(): void {
    const seen = new Set<Pfn>();
    for (const pfn of this.free) {
      if (seen.has(pfn)) throw new InvariantError(`frame ${hex(pfn)} is on the free stack twice`);
      if (this.inUse.has(pfn)) throw new InvariantError(`frame ${hex(pfn)} is both free and in use`);
      if (pfn < this.first || pfn >= this.next)
        throw new InvariantError(`free frame ${hex(pfn)} was never handed out`);
      seen.add(pfn);
    }
    for (const pfn of this.inUse) {
      if (pfn < this.first || pfn >= this.next)
        throw new InvariantError(`frame ${hex(pfn)} in use but out of range`);
    }
  }
}
