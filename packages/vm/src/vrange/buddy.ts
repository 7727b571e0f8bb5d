/**
 * A buddy allocator over virtual pages (os2 hands out virtual regions this way).
 *
 * The algorithm is the frame allocator's, unchanged — only the unit differs: "frame n" becomes
 * "virtual page n of the region", address `base + n·4096`. So this class *uses* a
 * `BuddyAllocator` over the region's page count instead of repeating it. A request of `bytes` is
 * rounded up to 2^k pages; the range comes back aligned to its own size (relative to `base`,
 * which must itself be aligned to the largest block, so the alignment is absolute):
 *
 * ```
 *   region base 0x8000_0000, 1024 pages, maxOrder 11 (largest block 4 MiB)
 *   alloc(0x3000)  -> 3 pages round up to 4 (order 2) -> 0x8000_0000
 *   alloc(0x1000)  -> order 0 -> 0x8000_4000 (the split left [4], [5], [6..7], [8..15] ...)
 *   free(0x8000_0000, 0x3000) -> order 2 block back; it merges with free buddies
 * ```
 *
 * Trade-off against `first-fit.ts`: no search and no fragmentation of the free list, but up to
 * half of each range wasted by rounding, and no placement hint (the hint is ignored).
 * `claim` takes an exact page range out (a fixed mapping), as `reserve` does for frames.
 *
 * Related: `../frames/buddy.ts` (the algorithm), `api.ts` (the interface).
 */
import type { VirtAddr } from "@osbricks/hw-x86";
import {
  FrameBusyError,
  InvariantError,
  MisalignedError,
  RangeStateError,
  VmArgumentError,
} from "../errors.js";
import { hex } from "../format.js";
import { BuddyAllocator } from "../frames/buddy.js";
import type { RangeEvent, Tracer } from "../tracer.js";
import { type RangeRequest, type VirtualRangeAllocator, VPAGE_SIZE } from "./api.js";

/** Options of {@link VirtualBuddy}. */
export interface VirtualBuddyOptions {
  /** First address of the region, aligned to the largest block (2^(maxOrder-1) pages). */
  readonly base: VirtAddr;
  /** Pages in the region. */
  readonly pages: number;
  /** Orders 0..maxOrder-1 as for frames. Default 11 (largest range 4 MiB). */
  readonly maxOrder?: number;
  /** Receives `vrange.*` events. Default: none. */
  readonly tracer?: Tracer<RangeEvent>;
}

/**
 * Buddy allocation of virtual ranges (see the file comment).
 *
 * @example
 * ```ts
 * const kva = new VirtualBuddy({ base: 0x8000_0000, pages: 1024 });
 * const a = kva.alloc(0x3000)!;   // 0x80000000, 4 pages reserved
 * const b = kva.alloc(0x1000)!;   // 0x80004000
 * kva.free(a, 0x3000);
 * kva.free(b, 0x1000);            // everything merged back
 * ```
 */
export class VirtualBuddy implements VirtualRangeAllocator {
  readonly base: VirtAddr;
  readonly size: number;
  private readonly pages: BuddyAllocator;
  private readonly tracer: Tracer<RangeEvent> | undefined;
  /**
   * Page -> the order its `bytes` asked for, for the ranges whose alignment raised the order (the
   * buddy knows only the order it allocated), so that `free` accepts the size the caller asked.
   */
  private readonly asked = new Map<number, number>();

  /** @throws MisalignedError for a base not aligned to the largest block; VmArgumentError for bad sizes. */
  constructor(options: VirtualBuddyOptions) {
    const { base, pages, maxOrder = 11 } = options;
    this.pages = new BuddyAllocator({ frames: pages, maxOrder }); // validates pages and maxOrder
    const largest = VPAGE_SIZE * 2 ** (maxOrder - 1);
    if (!Number.isSafeInteger(base) || base % largest !== 0) {
      throw new MisalignedError(
        `new VirtualBuddy(base=${hex(base)}): base must be aligned to the largest block, ${hex(largest)}`,
      );
    }
    this.base = base;
    this.size = pages * VPAGE_SIZE;
    this.tracer = options.tracer;
  }

  /** The order that `bytes` rounds up to. */
  private orderFor(call: string, bytes: number): number {
    if (!Number.isSafeInteger(bytes) || bytes <= 0 || bytes % VPAGE_SIZE !== 0) {
      throw new MisalignedError(`${call}(bytes=${bytes}): size must be a positive multiple of 4 KiB`);
    }
    let order = 0;
    while (VPAGE_SIZE * 2 ** order < bytes) order++;
    if (order >= this.pages.maxOrder) {
      throw new VmArgumentError(
        `${call}(bytes=${hex(bytes)}): larger than the largest block (${hex(VPAGE_SIZE * 2 ** (this.pages.maxOrder - 1))})`,
      );
    }
    return order;
  }

  /**
   * Take a range of `bytes` rounded up to a power-of-two number of pages, aligned to that size.
   * `request.hint` is ignored; `request.align` larger than the rounded size raises the order.
   * @returns the address, or `null` when no block of that order is free.
   */
  alloc(bytes: number, request: RangeRequest = {}): VirtAddr | null {
    const wanted = this.orderFor("alloc", bytes);
    let order = wanted;
    const align = request.align ?? VPAGE_SIZE;
    if (!Number.isSafeInteger(align) || align < VPAGE_SIZE || (align & (align - 1)) !== 0) {
      throw new MisalignedError(
        `alloc(${hex(bytes)}, align=${align}): align must be a power of two of at least 4 KiB`,
      );
    }
    while (VPAGE_SIZE * 2 ** order < align) order++;
    if (order >= this.pages.maxOrder)
      throw new VmArgumentError(`alloc(${hex(bytes)}, align=${hex(align)}): too large`);
    const page = this.pages.alloc(order);
    if (page === null) return null;
    if (wanted !== order) this.asked.set(page, wanted);
    const va = this.base + page * VPAGE_SIZE;
    this.tracer?.emit({ type: "vrange.alloc", va, bytes: VPAGE_SIZE * 2 ** order });
    return va;
  }

  /**
   * Give back a range from `alloc` (with the `bytes` it was asked for, or the rounded size it
   * took) or from `claim`.
   * @throws RangeStateError when `va` starts no allocated range, or `bytes` rounds to another
   *   order than the one allocated (or asked for, when an alignment raised it); the allocator is
   *   unchanged then.
   */
  free(va: VirtAddr, bytes: number): void {
    const page = this.pageOf("free", va, bytes);
    const allocated = this.pages.allocatedOrder(page);
    if (allocated >= 0) {
      const order = this.orderFor("free", bytes);
      if (order !== allocated && order !== this.asked.get(page)) {
        throw new RangeStateError(
          `free(${hex(va)}, ${hex(bytes)}): the range there is ${hex(VPAGE_SIZE * 2 ** allocated)} bytes (order ${allocated})`,
        );
      }
      this.pages.free(page, allocated);
      this.asked.delete(page);
      this.tracer?.emit({ type: "vrange.free", va, bytes: VPAGE_SIZE * 2 ** allocated });
      return;
    }
    const count = bytes / VPAGE_SIZE;
    for (let p = page; p < page + count; p++) {
      if (this.pages.blockOf(p).state !== "reserved") {
        throw new RangeStateError(
          `free(${hex(va)}, ${hex(bytes)}): page ${hex(this.base + p * VPAGE_SIZE)} is not allocated`,
        );
      }
    }
    this.pages.release(page, count);
    this.tracer?.emit({ type: "vrange.free", va, bytes });
  }

  /** Take exactly `[va, va+bytes)` if it is wholly free. @returns false (nothing taken) otherwise. */
  claim(va: VirtAddr, bytes: number): boolean {
    const page = this.pageOf("claim", va, bytes);
    try {
      this.pages.reserve(page, bytes / VPAGE_SIZE);
      this.tracer?.emit({ type: "vrange.claim", va, bytes });
      return true;
    } catch (e) {
      if (e instanceof FrameBusyError) return false; // reserve changed nothing
      throw e;
    }
  }

  /** Bytes currently free. */
  freeBytes(): number {
    return this.pages.freeFrames() * VPAGE_SIZE;
  }

  /** The free blocks per order, as `/proc/buddyinfo` prints them (zone "Virtual"). */
  buddyinfo(): string {
    return this.pages.buddyinfo("Virtual");
  }

  /** The page buddy's invariants. @throws InvariantError naming the first broken one. */
  checkInvariants(): void {
    this.pages.checkInvariants();
    for (const [page, order] of this.asked) {
      const allocated = this.pages.allocatedOrder(page);
      if (allocated < 0 || order >= allocated) {
        throw new InvariantError(
          `page ${page}: asked order ${order} recorded, but the block there has order ${allocated}`,
        );
      }
    }
    if (this.size !== this.pages.frameCount * VPAGE_SIZE)
      throw new InvariantError("size and page count disagree");
  }

  private pageOf(call: string, va: number, bytes: number): number {
    if (!Number.isSafeInteger(va) || va % VPAGE_SIZE !== 0) {
      throw new MisalignedError(`${call}(${hex(va)}, ${bytes}): address must be page aligned`);
    }
    if (!Number.isSafeInteger(bytes) || bytes <= 0 || bytes % VPAGE_SIZE !== 0) {
      throw new MisalignedError(
        `${call}(${hex(va)}, bytes=${bytes}): size must be a positive multiple of 4 KiB`,
      );
    }
    if (va < this.base || va + bytes > this.base + this.size) {
      throw new RangeStateError(
        `${call}(${hex(va)}, ${hex(bytes)}): outside the region [${hex(this.base)}, ${hex(this.base + this.size)})`,
      );
    }
    return (va - this.base) / VPAGE_SIZE;
  }
}
