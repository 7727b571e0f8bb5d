/**
 * The MMU gather: frames an address-space operation lets go of are freed only after every CPU
 * that may cache a translation to them has flushed it and acknowledged. Linux's rule
 * (`mm/mmu_gather.c`: `tlb_gather_mmu` … `tlb_remove_page` … `tlb_finish_mmu`), after Intel SDM
 * 4.10.5: a CPU that has not yet invalidated keeps reading and writing through its stale entry,
 * and if the frame had gone back to the allocator those writes would land in someone else's page.
 *
 * ```
 *   begin()                 operation (unmap, exit, protect, COW copy, …)
 *     pmap.remove(va) ──────▶ the pmap collects the va to invalidate (the range)
 *     freeFrame(f)    ──────▶ batch = [f]            f stays allocated in the allocator
 *     mapper frees a table ─▶ batch = [f, t]         (paging-structure caches hold tables too)
 *   pmap.flush()            INVLPG here, IPI to every CPU that may cache the space
 *   finish()                seal: target.whenAcknowledged(release)
 *                             all acknowledged now ─▶ release: f, t back to the allocator
 *                             CPU 1 has IF = 0      ─▶ waiting: f, t still allocated
 *   … CPU 1: sti, deliverInterrupts(): INVLPG, ack
 *   next poll point         collectAcknowledgements(): the last ack is in ─▶ release
 * ```
 *
 * Every frame the VM system frees goes through {@link MmuGather.frames}, a view of the allocator
 * whose `free`/`freeFrame` defer: object pages, counted private pages (a COW copy dropping its
 * share of the old frame), page tables emptied by an unmap, the root at exit. A free outside any
 * operation (say, unlinking a shared-memory name whose last mapping went earlier) is a gather of
 * its own: released at once when no invalidation is outstanding, else behind the outstanding ones
 * — the earlier operation that removed the last leaf may still be waiting for an acknowledgement.
 *
 * When does the simulation see the last acknowledgement? Every CPU runs from one loop, and an
 * acknowledgement is a target's interrupt handler running (hw-x86's `TlbShootdown`). Nothing waits
 * or spins: the target keeps the release callback ({@link ShootdownTarget.whenAcknowledged}) and
 * runs it at the first poll ({@link ShootdownTarget.collectAcknowledgements}) after the last
 * acknowledgement. The VM polls at the start of every operation and before every allocation
 * through the view, so no allocation can miss a frame that is ready; the kernel polls after it
 * delivers interrupts. Targets without those two members acknowledge synchronously: the release
 * happens at `finish()`.
 *
 * Invariants ({@link MmuGather.checkInvariants}): every deferred frame is allocated in the
 * allocator underneath, and is in exactly one batch (the open one or a sealed, waiting one).
 *
 * Related: `pmap.ts` (collects the ranges and sends the invalidations), `shootdown.ts`,
 * `ipi-shootdown.ts`, `address-space.ts` (brackets every operation with begin/finish).
 */
import { DoubleFreeError, InvalidOrderError, InvariantError, NotAllocatedError } from "../errors.js";
import type { FrameAllocator } from "../frames/api.js";
import type { ShootdownTarget } from "./shootdown.js";

/** A sealed batch: frames (and their orders) released together once acknowledged. */
interface Batch {
  readonly pfns: number[];
  readonly orders: number[];
  released: boolean;
}

/**
 * The deferred-free discipline of one VM system (see the file banner).
 *
 * @example
 * ```ts
 * const gather = new MmuGather(buddy, shootdown);
 * gather.begin();
 * gather.frames.freeFrame(f);      // deferred: buddy.isAllocated(f) is still true
 * gather.finish();                 // released once every target acknowledged
 * ```
 */
export class MmuGather {
  /** The allocator view whose frees are deferred; allocations poll for acknowledgements first. */
  readonly frames: FrameAllocator;
  readonly #inner: FrameAllocator;
  readonly #target: ShootdownTarget | null;
  #depth = 0;
  #open: Batch = { pfns: [], orders: [], released: false };
  readonly #waiting: Batch[] = [];
  /** One bit per frame: set while the frame waits in a batch (the double-free check). */
  readonly #waitingBits: Int32Array;
  #deferred = 0;
  #releasedFrames = 0;

  /**
   * @param inner - the allocator frames finally go back to.
   * @param target - the shootdown target whose acknowledgements gate the release (`null`: no CPUs,
   *   released at `finish`).
   */
  constructor(inner: FrameAllocator, target: ShootdownTarget | null) {
    this.#inner = inner;
    this.#target = target;
    this.#waitingBits = new Int32Array(Math.ceil(inner.frameCount / 32));
    this.frames = new DeferringAllocator(inner, this);
  }

  /** Open (or nest into) the gather of an operation. Polls for acknowledgements that arrived. */
  begin(): void {
    if (this.#waiting.length > 0) this.poll();
    this.#depth++;
  }

  /**
   * Close one level; the outermost `finish` seals the batch (the operation has sent its
   * invalidations with `pmap.flush()` before) and hands its release to the target.
   * @throws {@link InvariantError} when no gather is open (a `finish` without its `begin`).
   */
  finish(): void {
    if (this.#depth === 0) throw new InvariantError("MmuGather.finish(): no gather is open");
    if (--this.#depth === 0) this.#seal();
  }

  /** Run `op` between {@link MmuGather.begin} and {@link MmuGather.finish} (also when it throws). */
  run<T>(op: () => T): T {
    this.begin();
    try {
      return op();
    } finally {
      this.finish();
    }
  }

  /**
   * @internal Called by the view: defer freeing `pfn` (a block of `order`).
   * @throws {@link DoubleFreeError} when the frame already waits to be freed;
   *   {@link NotAllocatedError} when it is free; {@link InvalidOrderError} for an order outside
   *   0..maxOrder-1. Nothing changes then. (A wrong order for an allocated block is caught by the
   *   allocator at release.)
   */
  defer(pfn: number, order: number): void {
    if (!Number.isInteger(order) || order < 0 || order >= this.#inner.maxOrder)
      throw new InvalidOrderError(`${freeCall(pfn, order)}: order is not in 0..${this.#inner.maxOrder - 1}`);
    if (this.isDeferred(pfn))
      throw new DoubleFreeError(
        `${freeCall(pfn, order)}: frame already waits for its TLB shootdown (double free?)`,
      );
    if (!this.#inner.isAllocated(pfn))
      throw new NotAllocatedError(`${freeCall(pfn, order)}: frame is not allocated (double free?)`);
    this.#waitingBits[pfn >>> 5]! |= 1 << (pfn & 31);
    this.#deferred++;
    this.#open.pfns.push(pfn);
    this.#open.orders.push(order);
    if (this.#depth === 0) this.#seal();
  }

  /**
   * Ask the target for acknowledgements that arrived and release every batch they complete.
   * Never waits. @returns the number of batches still waiting.
   */
  poll(): number {
    this.#target?.collectAcknowledgements?.();
    return this.#waiting.length;
  }

  /** Frames freed but not yet back in the allocator (waiting for an acknowledgement or in the open batch). */
  get deferredFrames(): number {
    return this.#deferred;
  }

  /** Whether `pfn` is freed but not yet back in the allocator (false for a number that is no frame). */
  isDeferred(pfn: number): boolean {
    if (!Number.isSafeInteger(pfn) || pfn < 0 || pfn >= this.#inner.frameCount) return false;
    return (this.#waitingBits[pfn >>> 5]! & (1 << (pfn & 31))) !== 0;
  }

  /** Frames released to the allocator so far. */
  get releasedFrames(): number {
    return this.#releasedFrames;
  }

  /**
   * Check the invariants of the file banner.
   * @throws {@link InvariantError} naming the first broken one.
   */
  checkInvariants(): void {
    let n = this.#open.pfns.length;
    for (const b of this.#waiting) {
      if (b.released) throw new InvariantError("MmuGather: a released batch is still waiting");
      n += b.pfns.length;
    }
    if (n !== this.#deferred)
      throw new InvariantError(`MmuGather: ${n} frames in batches, ${this.#deferred} deferred`);
    let bits = 0;
    for (const w of this.#waitingBits) bits += popcount(w);
    if (bits !== n) throw new InvariantError(`MmuGather: ${n} frames in batches, ${bits} marked waiting`);
    for (const b of [this.#open, ...this.#waiting]) {
      for (const f of b.pfns) {
        if (!this.isDeferred(f)) throw new InvariantError(`MmuGather: frame ${f} is in a batch, not marked`);
        if (!this.#inner.isAllocated(f))
          throw new InvariantError(`MmuGather: deferred frame ${f} is already free`);
      }
    }
  }

  #seal(): void {
    const b = this.#open;
    if (b.pfns.length === 0) return;
    this.#open = { pfns: [], orders: [], released: false };
    const t = this.#target;
    if (t === null || t.whenAcknowledged === undefined) {
      this.#release(b);
      return;
    }
    // Queued first, so that a synchronous target's callback (run before whenAcknowledged returns)
    // and a later one release the same way: out of the queue, then back to the allocator.
    this.#waiting.push(b);
    t.whenAcknowledged(() => {
      const i = this.#waiting.indexOf(b);
      if (i >= 0) this.#waiting.splice(i, 1);
      this.#release(b);
    });
  }

  #release(b: Batch): void {
    if (b.released) return;
    b.released = true;
    const bits = this.#waitingBits;
    for (let k = 0; k < b.pfns.length; k++) {
      const pfn = b.pfns[k]!;
      bits[pfn >>> 5]! &= ~(1 << (pfn & 31));
      this.#deferred--;
      this.#inner.free(pfn, b.orders[k]!);
      this.#releasedFrames++;
    }
  }

  /** @internal Whether batches wait for acknowledgements (the view polls before allocating then). */
  get waiting(): boolean {
    return this.#waiting.length > 0;
  }
}

/** The allocator as the VM system's parts see it: frees go to the gather. */
class DeferringAllocator implements FrameAllocator {
  readonly frameCount: number;
  readonly maxOrder: number;
  readonly #inner: FrameAllocator;
  readonly #gather: MmuGather;

  constructor(inner: FrameAllocator, gather: MmuGather) {
    this.#inner = inner;
    this.#gather = gather;
    this.frameCount = inner.frameCount;
    this.maxOrder = inner.maxOrder;
  }

  allocFrame(): number | null {
    if (this.#gather.waiting) this.#gather.poll();
    return this.#inner.allocFrame();
  }

  alloc(order: number): number | null {
    if (this.#gather.waiting) this.#gather.poll();
    return this.#inner.alloc(order);
  }

  freeFrame(pfn: number): void {
    this.#gather.defer(pfn, 0);
  }

  free(pfn: number, order: number): void {
    this.#gather.defer(pfn, order);
  }

  reserve(pfn: number, count: number): void {
    this.#inner.reserve(pfn, count);
  }

  freeFrames(): number {
    return this.#inner.freeFrames();
  }

  isAllocated(pfn: number): boolean {
    return this.#inner.isAllocated(pfn);
  }

  checkInvariants(): void {
    this.#inner.checkInvariants();
    this.#gather.checkInvariants();
  }
}

function freeCall(pfn: number, order: number): string {
  return `free(pfn=0x${Number(pfn).toString(16)}, order=${order})`;
}

/** Set bits of a 32-bit word: popcount(0b1011) = 3. */
function popcount(w: number): number {
  let x = w - ((w >>> 1) & 0x55555555);
  x = (x & 0x33333333) + ((x >>> 2) & 0x33333333);
  return Math.imul((x + (x >>> 4)) & 0x0f0f0f0f, 0x01010101) >>> 24;
}
