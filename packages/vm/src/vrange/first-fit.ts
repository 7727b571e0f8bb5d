/**
 * Hinted first fit over a virtual region (Lunaix's way of placing mappings).
 *
 * The region's free space is an ordered list of gaps `[start, end)`. To allocate `bytes` near a
 * hint, scan the gaps from the one holding the hint upwards and take the first place that fits
 * (aligned); if nothing above the hint fits, wrap around and scan from the bottom. Freeing puts a
 * gap back and merges it with the gaps it touches, so the list never holds two adjacent gaps.
 *
 * ```
 *   region 0x10000..0x20000, taken: [0x12000, 0x14000) and [0x18000, 0x19000)
 *   gaps:  [0x10000,0x12000) [0x14000,0x18000) [0x19000,0x20000)
 *   alloc(0x3000, hint 0x15000) -> 0x15000   (fits in the gap holding the hint, from the hint)
 *   alloc(0x3000, hint 0x16000) -> 0x19000   (0x16000+0x3000 > 0x18000: next gap)
 *   alloc(0x8000, hint 0x16000) -> null      (wraps: no gap of 0x8000 anywhere)
 *   free(0x12000, 0x2000)       -> gaps [0x10000,0x18000) ...  (merged with both neighbours)
 * ```
 *
 * The gaps are two sorted number arrays (starts, ends): finding the gap for an address is a
 * binary search, O(log g); inserting or removing one shifts the arrays, O(g). A balanced tree
 * would make both O(log g); for the few hundred gaps of a teaching kernel the arrays win.
 *
 * Invariants (`checkInvariants`): gaps are non-empty, page aligned, inside the region, sorted,
 * and separated by allocated space (never adjacent, never overlapping); their sum is `freeBytes()`.
 *
 * Related: `api.ts` (the interface), `buddy.ts` (the os2 alternative), `../stacks/` (its user).
 */
import type { VirtAddr } from "@osbricks/hw-x86";
import { InvariantError, MisalignedError, RangeStateError, VmArgumentError } from "../errors.js";
import { hex } from "../format.js";
import type { RangeEvent, Tracer } from "../tracer.js";
import { type RangeRequest, type VirtualRangeAllocator, VPAGE_SIZE } from "./api.js";

/** Options of {@link FirstFitRanges}. */
export interface FirstFitOptions {
  /** First address of the region, page aligned. */
  readonly base: VirtAddr;
  /** Bytes in the region, a positive multiple of 4 KiB. */
  readonly size: number;
  /** Receives `vrange.*` events. Default: none. */
  readonly tracer?: Tracer<RangeEvent>;
}

/** A free gap, as {@link FirstFitRanges.gaps} lists them. */
export interface VirtualGap {
  readonly start: VirtAddr;
  readonly end: VirtAddr;
}

/**
 * Hinted first-fit allocator of virtual ranges (see the file comment).
 *
 * @example
 * ```ts
 * const heap = new FirstFitRanges({ base: 0x4000_0000, size: 0x1000_0000 });
 * const a = heap.alloc(0x3000)!;                      // 0x40000000
 * const b = heap.alloc(0x1000, { hint: 0x4800_0000 }); // 0x48000000: placed at the hint
 * heap.free(a, 0x3000);
 * heap.claim(0x4000_1000, 0x1000);                   // true: a fixed placement (MAP_FIXED-like)
 * ```
 */
export class FirstFitRanges implements VirtualRangeAllocator {
  readonly base: VirtAddr;
  readonly size: number;
  private readonly starts: number[];
  private readonly ends: number[];
  private free_: number;
  private readonly tracer: Tracer<RangeEvent> | undefined;

  /** @throws MisalignedError for a base or size not page aligned; VmArgumentError for a size <= 0. */
  constructor(options: FirstFitOptions) {
    const { base, size } = options;
    if (!Number.isSafeInteger(base) || base % VPAGE_SIZE !== 0) {
      throw new MisalignedError(`new FirstFitRanges(base=${hex(base)}): base must be a page-aligned integer`);
    }
    if (!Number.isSafeInteger(size) || size <= 0) {
      throw new VmArgumentError(`new FirstFitRanges(size=${size}): size must be a positive integer`);
    }
    if (size % VPAGE_SIZE !== 0)
      throw new MisalignedError(`new FirstFitRanges(size=${hex(size)}): not a multiple of 4 KiB`);
    this.base = base;
    this.size = size;
    this.starts = [base];
    this.ends = [base + size];
    this.free_ = size;
    this.tracer = options.tracer;
  }

  /**
   * Take `bytes` at the first aligned place at or above `hint`, else the first one from the bottom.
   * @returns the address, or `null` when no gap fits.
   * @throws MisalignedError for a size not a positive multiple of 4 KiB or a bad alignment.
   */
  alloc(bytes: number, request: RangeRequest = {}): VirtAddr | null {
    this.checkSize("alloc", bytes);
    const align = request.align ?? VPAGE_SIZE;
    if (
      !Number.isSafeInteger(align) ||
      align < VPAGE_SIZE ||
      (align & (align - 1)) !== 0 ||
      align > 2 ** 30
    ) {
      throw new MisalignedError(
        `alloc(${hex(bytes)}, align=${align}): align must be a power of two from 4 KiB to 1 GiB`,
      );
    }
    const end = this.base + this.size;
    const hint = Math.min(Math.max(request.hint ?? this.base, this.base), end);
    const first = this.gapEndingAfter(hint);
    // Upwards from the hint...
    for (let j = first; j < this.starts.length; j++) {
      const s = alignUp(Math.max(this.starts[j]!, hint), align);
      if (s + bytes <= this.ends[j]!) return this.taken("vrange.alloc", this.take(j, s, bytes), bytes);
    }
    // ...then wrap around and take the first fit from the bottom.
    for (let j = 0; j < Math.min(first + 1, this.starts.length); j++) {
      const s = alignUp(this.starts[j]!, align);
      if (s + bytes <= this.ends[j]!) return this.taken("vrange.alloc", this.take(j, s, bytes), bytes);
    }
    return null;
  }

  /** Take exactly `[va, va+bytes)` if a single gap holds it. @returns false when any of it is taken. */
  claim(va: VirtAddr, bytes: number): boolean {
    this.checkSize("claim", bytes);
    this.checkAddr("claim", va, bytes);
    const j = this.gapEndingAfter(va);
    if (j >= this.starts.length || this.starts[j]! > va || va + bytes > this.ends[j]!) return false;
    this.taken("vrange.claim", this.take(j, va, bytes), bytes);
    return true;
  }

  /**
   * Give back `[va, va+bytes)`; it may be part of an allocation (an unmap that shrinks it).
   * @throws RangeStateError when any byte of it is free already (nothing changes then).
   */
  free(va: VirtAddr, bytes: number): void {
    this.checkSize("free", bytes);
    this.checkAddr("free", va, bytes);
    const e = va + bytes;
    const j = this.gapEndingAfter(va); // first gap that could overlap
    if (j < this.starts.length && this.starts[j]! < e) {
      throw new RangeStateError(
        `free(${hex(va)}, ${hex(bytes)}): [${hex(Math.max(va, this.starts[j]!))}, ${hex(Math.min(e, this.ends[j]!))}) is not allocated (double free?)`,
      );
    }
    // Gap j starts at or after e; gap j-1 ends at or before va. Merge with whichever touches.
    const left = j > 0 && this.ends[j - 1] === va;
    const right = j < this.starts.length && this.starts[j] === e;
    if (left && right) {
      this.ends[j - 1] = this.ends[j]!;
      this.starts.splice(j, 1);
      this.ends.splice(j, 1);
    } else if (left) {
      this.ends[j - 1] = e;
    } else if (right) {
      this.starts[j] = va;
    } else {
      this.starts.splice(j, 0, va);
      this.ends.splice(j, 0, e);
    }
    this.free_ += bytes;
    this.tracer?.emit({ type: "vrange.free", va, bytes });
  }

  private taken(type: "vrange.alloc" | "vrange.claim", va: number, bytes: number): number {
    this.tracer?.emit({ type, va, bytes });
    return va;
  }

  /** Whether every byte of `[va, va+bytes)` is free. */
  isFree(va: VirtAddr, bytes: number): boolean {
    const j = this.gapEndingAfter(va);
    return j < this.starts.length && this.starts[j]! <= va && va + bytes <= this.ends[j]!;
  }

  /** Bytes currently free. */
  freeBytes(): number {
    return this.free_;
  }

  /** The free gaps, lowest first (a copy). */
  gaps(): VirtualGap[] {
    return this.starts.map((start, i) => ({ start, end: this.ends[i]! }));
  }

  /** Split gap j around [s, s+bytes), which it holds. */
  private take(j: number, s: number, bytes: number): number {
    const gs = this.starts[j]!;
    const ge = this.ends[j]!;
    const e = s + bytes;
    if (gs === s && ge === e) {
      this.starts.splice(j, 1);
      this.ends.splice(j, 1);
    } else if (gs === s) {
      this.starts[j] = e;
    } else if (ge === e) {
      this.ends[j] = s;
    } else {
      this.ends[j] = s;
      this.starts.splice(j + 1, 0, e);
      this.ends.splice(j + 1, 0, ge);
    }
    this.free_ -= bytes;
    return s;
  }

  /** Index of the first gap whose end is above `x` (binary search); the gap count if none. */
  private gapEndingAfter(x: number): number {
    let lo = 0;
    let hi = this.ends.length;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (this.ends[mid]! > x) hi = mid;
      else lo = mid + 1;
    }
    return lo;
  }

  private checkSize(call: string, bytes: number): void {
    if (!Number.isSafeInteger(bytes) || bytes <= 0 || bytes % VPAGE_SIZE !== 0) {
      throw new MisalignedError(`${call}(bytes=${bytes}): size must be a positive multiple of 4 KiB`);
    }
  }

  private checkAddr(call: string, va: number, bytes: number): void {
    if (!Number.isSafeInteger(va) || va % VPAGE_SIZE !== 0) {
      throw new MisalignedError(`${call}(${hex(va)}, ${hex(bytes)}): address must be page aligned`);
    }
    if (va < this.base || va + bytes > this.base + this.size) {
      throw new RangeStateError(
        `${call}(${hex(va)}, ${hex(bytes)}): outside the region [${hex(this.base)}, ${hex(this.base + this.size)})`,
      );
    }
  }

  /**
   * Check the invariants of the file comment, O(gaps).
   * @throws InvariantError naming the first broken one.
   */
  checkInvariants(): void {
    let sum = 0;
    for (let i = 0; i < this.starts.length; i++) {
      const s = this.starts[i]!;
      const e = this.ends[i]!;
      if (!(s < e)) throw new InvariantError(`gap ${i} [${hex(s)}, ${hex(e)}) is empty or reversed`);
      if (s % VPAGE_SIZE !== 0 || e % VPAGE_SIZE !== 0)
        throw new InvariantError(`gap ${i} is not page aligned`);
      if (s < this.base || e > this.base + this.size) throw new InvariantError(`gap ${i} leaves the region`);
      if (i > 0 && this.ends[i - 1]! >= s) {
        throw new InvariantError(`gaps ${i - 1} and ${i} overlap or touch (should have merged) at ${hex(s)}`);
      }
      sum += e - s;
    }
    if (sum !== this.free_)
      throw new InvariantError(`gaps hold ${hex(sum)} bytes, freeBytes()=${hex(this.free_)}`);
  }
}

/** Round x up to a multiple of align (a power of two); exact for negative x too. */
function alignUp(x: number, align: number): number {
  return Math.ceil(x / align) * align;
}
