/**
 * Zeroed versus dirty frames, kept apart (as Twizzler's frame allocator does).
 *
 * A frame handed to user space must be zero (no data may leak between processes), but a frame
 * for a page table or a copy-on-write copy is overwritten anyway, so zeroing it is wasted work.
 * The pool therefore keeps two stacks of free single frames in front of an allocator — the way
 * Linux keeps per-CPU page lists in front of the buddy — and is itself a `FrameAllocator`, so
 * every client (the mapper, slab caches, refcounts) can take its frames through it:
 *
 * ```
 *   allocZeroed() ──> [ zeroed stack ] ──empty?──> [ dirty stack ] + zero it now ──> allocator
 *   alloc(0)      ──> [ dirty stack  ] ──empty?──> allocator ──────────────────────> [ zeroed stack ]
 *   free(pfn, 0)  ──> [ dirty stack  ] ──full?───> allocator
 *   alloc(k>0), free(pfn, k>0) go to the allocator; a failing alloc(k) drains the stacks, retries
 *   zeroIdle(n)   moves up to n frames dirty -> zeroed, zeroing them (work done while idle)
 * ```
 *
 * A bitmap (1 bit per frame) remembers which frames are known to hold only zeros: memory starts
 * zero at boot (`initiallyZero`), so the first allocation of a frame needs no zeroing; every frame
 * the pool hands out loses the bit (its user may write), unless it comes back through
 * `freeZeroed` onto the zeroed stack. A frame given back to the allocator loses it too: the
 * allocator may write freed frames (the poisoning debug mode does). All this is only sound if
 * every client of the allocator goes through the pool.
 *
 * Per-frame state, 1 byte: 0 = not held by the pool, 1 = handed out by the pool at order 0,
 * 2 = on the zeroed stack, 3 = on the dirty stack. Frames on the stacks count as free
 * (`freeFrames`, `isAllocated`) although the allocator underneath holds them as allocated.
 *
 * Invariants (`checkInvariants`): each stacked frame appears once, its state says which stack, it
 * is allocated in the underlying allocator, and its zero bit matches its stack; with a memory that
 * can be read, every frame on the zeroed stack reads as zeros.
 *
 * Related: `api.ts` (`FrameAllocator`, `FrameMemory`), `poison.ts` (the debug fill of freed frames).
 */
import { DoubleFreeError, InvariantError, VmArgumentError } from "../errors.js";
import { hex } from "../format.js";
import type { FrameAllocator, FrameMemory } from "./api.js";

const OUTSIDE = 0;
const HANDED_OUT = 1;
const ON_ZEROED = 2;
const ON_DIRTY = 3;

/** Options of {@link ZeroedFramePool}. */
export interface ZeroedFramePoolOptions {
  /** Where frames are zeroed. Default: none — zeroing is then only counted (a pure model). */
  readonly memory?: Pick<FrameMemory, "zeroFrame">;
  /** Capacity of each stack, in frames. Default 64. */
  readonly capacity?: number;
  /** Whether every free frame of the allocator holds zeros at the start (true after boot). Default true. */
  readonly initiallyZero?: boolean;
}

/** Counters of a {@link ZeroedFramePool}. */
export interface ZeroingStats {
  /** Zeroed frames served without zeroing work (pre-zeroed or never written). */
  readonly servedZeroed: number;
  /** Frames zeroed on the allocation path (the cost the pool tries to avoid). */
  readonly zeroedOnDemand: number;
  /** Frames zeroed by `zeroIdle`. */
  readonly zeroedIdle: number;
  /** Order-0 allocations served by a dirty stacked frame (no zeroed frame wasted). */
  readonly servedDirty: number;
  /** Times a failing `alloc(k)` drained the stacks into the allocator and retried. */
  readonly drains: number;
}

/**
 * Two stacks of free frames, zeroed and dirty, in front of an allocator (see the file comment).
 *
 * @example
 * ```ts
 * const pool = new ZeroedFramePool(new BuddyAllocator({ frames: 1024 }), { memory: ram });
 * const user = pool.allocZeroed()!; // zero: fresh from boot, no work
 * pool.free(user, 0);               // dirty now, on the dirty stack
 * pool.zeroIdle(8);                 // the idle loop zeroes it
 * pool.allocZeroed();               // served from the zeroed stack, no work
 * const table = pool.alloc(0);      // contents do not matter: a dirty frame if there is one
 * ```
 */
export class ZeroedFramePool implements FrameAllocator {
  readonly frameCount: number;
  readonly maxOrder: number;
  private readonly zeroBits: Uint32Array;
  private readonly state: Uint8Array;
  private readonly zeroed: Int32Array;
  private readonly dirty: Int32Array;
  private nZeroed = 0;
  private nDirty = 0;
  private readonly memory: Pick<FrameMemory, "zeroFrame"> | undefined;
  private stats = { servedZeroed: 0, zeroedOnDemand: 0, zeroedIdle: 0, servedDirty: 0, drains: 0 };

  /** @throws VmArgumentError for a capacity that is not a positive integer. */
  constructor(
    readonly inner: FrameAllocator,
    options: ZeroedFramePoolOptions = {},
  ) {
    const capacity = options.capacity ?? 64;
    if (!Number.isInteger(capacity) || capacity < 1) {
      throw new VmArgumentError(
        `new ZeroedFramePool(capacity=${capacity}): capacity must be a positive integer`,
      );
    }
    this.frameCount = inner.frameCount;
    this.maxOrder = inner.maxOrder;
    this.memory = options.memory;
    this.zeroBits = new Uint32Array(Math.ceil(inner.frameCount / 32));
    if (options.initiallyZero ?? true) this.zeroBits.fill(0xffff_ffff);
    this.state = new Uint8Array(inner.frameCount);
    this.zeroed = new Int32Array(capacity);
    this.dirty = new Int32Array(capacity);
  }

  /**
   * A frame whose 4096 bytes are zero: pre-zeroed if one is stacked, else a dirty one zeroed now,
   * else one from the allocator (zeroed now unless known zero).
   * @returns the frame, or `null` when the allocator and both stacks are empty.
   */
  allocZeroed(): number | null {
    let pfn: number;
    if (this.nZeroed > 0) pfn = this.zeroed[--this.nZeroed]!;
    else if (this.nDirty > 0) pfn = this.dirty[--this.nDirty]!;
    else {
      const p = this.inner.allocFrame();
      if (p === null) return null;
      pfn = p;
    }
    if (this.isKnownZero(pfn)) this.stats.servedZeroed++;
    else {
      this.memory?.zeroFrame(pfn);
      this.stats.zeroedOnDemand++;
    }
    return this.handOut(pfn);
  }

  /**
   * Allocate 2^order frames. Order 0 takes a dirty stacked frame first (no zeroed frame wasted),
   * then one from the allocator, then a zeroed one; larger orders come from the allocator, and
   * when it has no block the stacks are drained into it (their frames may complete a buddy) and
   * the call is retried once. Contents are unspecified: use `allocZeroed` for zeros.
   * @returns the first frame, or `null` when nothing fits even after draining.
   * @throws whatever the allocator throws for a bad order.
   */
  alloc(order: number): number | null {
    if (order === 0) {
      if (this.nDirty > 0) {
        this.stats.servedDirty++;
        return this.handOut(this.dirty[--this.nDirty]!);
      }
      const p = this.inner.alloc(0);
      if (p !== null) return this.handOut(p);
      if (this.nZeroed > 0) return this.handOut(this.zeroed[--this.nZeroed]!);
      return null;
    }
    let p = this.inner.alloc(order);
    if (p === null && this.nZeroed + this.nDirty > 0) {
      this.drain();
      this.stats.drains++;
      p = this.inner.alloc(order);
    }
    if (p !== null) for (let f = p; f < p + 2 ** order; f++) this.setZero(f, false);
    return p;
  }

  /**
   * Give back a block. An order-0 frame the pool handed out goes on the dirty stack (or to the
   * allocator when the stack is full); anything else goes to the allocator, which validates it.
   * @throws DoubleFreeError for a frame already on a stack; otherwise whatever the allocator
   *   throws (double free, wrong order, ...). The pool is unchanged after a refused call.
   */
  free(pfn: number, order: number): void {
    this.giveBack("free", pfn, order, false);
  }

  /** Give back an order-0 frame the caller knows holds only zeros (e.g. never written). */
  freeZeroed(pfn: number): void {
    this.giveBack("freeZeroed", pfn, 0, true);
  }

  private giveBack(call: string, pfn: number, order: number, zero: boolean): void {
    const s = this.state[pfn];
    if (s === ON_ZEROED || s === ON_DIRTY) {
      throw new DoubleFreeError(
        `${call}(pfn=${hex(pfn)}, order=${order}): frame is already free in the pool (double free?)`,
      );
    }
    if (order === 0 && s === HANDED_OUT) {
      const [stack, n] = zero ? [this.zeroed, this.nZeroed] : [this.dirty, this.nDirty];
      if (n < stack.length) {
        stack[n] = pfn;
        this.state[pfn] = zero ? ON_ZEROED : ON_DIRTY;
        if (zero) this.nZeroed++;
        else this.nDirty++;
        this.setZero(pfn, zero);
      } else {
        this.toInner(pfn);
      }
      return;
    }
    this.inner.free(pfn, order); // validates: throws before anything here changed
    if (order === 0) this.state[pfn] = OUTSIDE;
    for (let f = pfn; f < pfn + 2 ** order; f++) this.setZero(f, false); // the allocator may write it
  }

  /**
   * Zero up to `budget` dirty stacked frames and move them to the zeroed stack (while room lasts).
   * @returns how many frames were zeroed.
   */
  zeroIdle(budget: number): number {
    let done = 0;
    while (done < budget && this.nDirty > 0 && this.nZeroed < this.zeroed.length) {
      const pfn = this.dirty[--this.nDirty]!;
      this.memory?.zeroFrame(pfn);
      this.setZero(pfn, true);
      this.zeroed[this.nZeroed++] = pfn;
      this.state[pfn] = ON_ZEROED;
      done++;
    }
    this.stats.zeroedIdle += done;
    return done;
  }

  /** Give every stacked frame back to the allocator (they lose their zero bit: the allocator may write them). */
  drain(): void {
    while (this.nZeroed > 0) this.toInner(this.zeroed[--this.nZeroed]!);
    while (this.nDirty > 0) this.toInner(this.dirty[--this.nDirty]!);
  }

  private toInner(pfn: number): void {
    this.inner.free(pfn, 0);
    this.state[pfn] = OUTSIDE;
    this.setZero(pfn, false);
  }

  /** `FrameSource`: `alloc(0)`. */
  allocFrame(): number | null {
    return this.alloc(0);
  }

  /** `FrameSource`: `free(pfn, 0)`. */
  freeFrame(pfn: number): void {
    this.free(pfn, 0);
  }

  /**
   * Take frames out of the pool for good: the stacked frames of the range go back to the
   * allocator (to it they are allocated), then the allocator reserves the range; reserved frames
   * lose their zero bit (firmware may have written them).
   * @throws whatever the allocator's `reserve` throws for a bad range or a frame in use; the pool
   *   (its stacks included) is unchanged then.
   */
  reserve(pfn: number, count: number): void {
    const valid =
      Number.isInteger(pfn) &&
      Number.isInteger(count) &&
      count >= 1 &&
      pfn >= 0 &&
      pfn + count <= this.frameCount;
    let stacked = 0;
    let busy = false;
    for (let f = pfn; valid && !busy && f < pfn + count; f++) {
      if (this.isStacked(f)) stacked++;
      else busy = this.inner.isAllocated(f);
    }
    if (!valid || busy) {
      // The allocator refuses the range before changing anything, with its own typed error.
      this.inner.reserve(pfn, count);
      throw new InvariantError(`reserve(pfn=${pfn}, count=${count}): the allocator accepted a bad range`);
    }
    for (let f = pfn; stacked > 0 && f < pfn + count; f++) {
      if (!this.isStacked(f)) continue;
      this.unstack(f);
      this.toInner(f);
      stacked--;
    }
    this.inner.reserve(pfn, count);
    for (let f = pfn; f < pfn + count; f++) this.setZero(f, false);
  }

  private isStacked(pfn: number): boolean {
    const s = this.state[pfn];
    return s === ON_ZEROED || s === ON_DIRTY;
  }

  /** Take stacked frame `pfn` off its stack (swapping the top into its place). */
  private unstack(pfn: number): void {
    const zero = this.state[pfn] === ON_ZEROED;
    const stack = zero ? this.zeroed : this.dirty;
    const n = zero ? --this.nZeroed : --this.nDirty;
    stack[stack.subarray(0, n + 1).indexOf(pfn)] = stack[n]!;
  }

  /** Free frames: the allocator's plus the stacked ones. */
  freeFrames(): number {
    return this.inner.freeFrames() + this.nZeroed + this.nDirty;
  }

  /** Whether `pfn` is in use: stacked frames are free. */
  isAllocated(pfn: number): boolean {
    const allocated = this.inner.isAllocated(pfn); // validates pfn
    return allocated && this.state[pfn] !== ON_ZEROED && this.state[pfn] !== ON_DIRTY;
  }

  /** Whether `pfn` is known to hold only zeros. */
  isKnownZero(pfn: number): boolean {
    return (this.zeroBits[pfn >>> 5]! & (1 << (pfn & 31))) !== 0;
  }

  /** How many frames sit on the zeroed and on the dirty stack. */
  stackSizes(): { readonly zeroed: number; readonly dirty: number } {
    return { zeroed: this.nZeroed, dirty: this.nDirty };
  }

  /** The counters since construction. */
  counters(): ZeroingStats {
    return { ...this.stats };
  }

  private handOut(pfn: number): number {
    this.state[pfn] = HANDED_OUT;
    this.setZero(pfn, false); // its user may write from now on
    return pfn;
  }

  private setZero(pfn: number, zero: boolean): void {
    if (zero) this.zeroBits[pfn >>> 5]! |= 1 << (pfn & 31);
    else this.zeroBits[pfn >>> 5]! &= ~(1 << (pfn & 31));
  }

  /**
   * Check the invariants of the file comment (and the allocator's). With `memory` that can read
   * frames, also check that every frame on the zeroed stack reads as zeros.
   * @throws InvariantError naming the first broken one.
   */
  checkInvariants(memory?: Pick<FrameMemory, "frameBytes">): void {
    this.inner.checkInvariants();
    const stacks: Array<[string, Int32Array, number, number]> = [
      ["zeroed", this.zeroed, this.nZeroed, ON_ZEROED],
      ["dirty", this.dirty, this.nDirty, ON_DIRTY],
    ];
    let stacked = 0;
    for (const [name, stack, n, state] of stacks) {
      for (let i = 0; i < n; i++) {
        const pfn = stack[i]!;
        if (this.state[pfn] !== state)
          throw new InvariantError(`${name} frame ${hex(pfn)} has state ${this.state[pfn]}`);
        if (!this.inner.isAllocated(pfn))
          throw new InvariantError(`${name} frame ${hex(pfn)} is free in the allocator`);
        if (this.isKnownZero(pfn) !== (state === ON_ZEROED)) {
          throw new InvariantError(`${name} frame ${hex(pfn)} has the wrong zero bit`);
        }
        if (state === ON_ZEROED && memory !== undefined && memory.frameBytes(pfn).some((b) => b !== 0)) {
          throw new InvariantError(`zeroed frame ${hex(pfn)} holds non-zero bytes`);
        }
      }
      stacked += n;
    }
    let marked = 0;
    for (let f = 0; f < this.frameCount; f++) {
      const s = this.state[f]!;
      if (s === ON_ZEROED || s === ON_DIRTY) marked++;
      else if (s === HANDED_OUT && !this.inner.isAllocated(f)) {
        throw new InvariantError(`frame ${hex(f)} is handed out by the pool but free in the allocator`);
      }
    }
    if (marked !== stacked)
      throw new InvariantError(
        `${marked} frames marked stacked, ${stacked} on the stacks (a frame on two stacks?)`,
      );
  }
}
