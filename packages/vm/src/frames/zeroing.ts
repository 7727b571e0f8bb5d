/**
 * Zeroed versus dirty frames, kept apart (as Twizzler's frame allocator does).
 *
 * A frame handed to user space must be zero (no data may leak between processes), but a frame
 * for a page table or a copy-on-write copy is overwritten anyway, so zeroing it is wasted work.
 * The pool therefore keeps two stacks of free single frames in front of an allocator:
 *
 * ```
 *   allocZeroed() ──> [ zeroed stack ] ──empty?──> [ dirty stack ] + zero it now ──> allocator
 *   allocAny()    ──> [ dirty stack  ] ──empty?──> allocator ──────────────────────> [ zeroed stack ]
 *   free(pfn)     ──> [ dirty stack  ] ──full?───> allocator (frame stays marked dirty)
 *   zeroIdle(n)   moves up to n frames dirty -> zeroed, zeroing them (work done while idle)
 * ```
 *
 * A bitmap (1 bit per frame) remembers which frames are known to hold only zeros, also for
 * frames inside the allocator: memory starts zero at boot, so the first allocation of a frame
 * needs no zeroing. A frame leaves the "known zero" state when it is handed out (its user may
 * write), unless it is given back with `free(pfn, { zeroed: true })`.
 *
 * Invariants (`checkInvariants`): each stacked frame appears once, is allocated in the
 * underlying allocator (the pool holds it), and its zero bit matches its stack; with `verify`
 * memory, every frame marked zero reads as zeros.
 *
 * Related: `api.ts` (`FrameMemory`, the allocator), `poison.ts` (the debug fill of freed frames).
 */
import { DoubleFreeError, InvariantError, VmArgumentError } from "../errors.js";
import { hex } from "../format.js";
import type { FrameAllocator, FrameMemory } from "./api.js";

/** Options of {@link ZeroedFramePool}. */
export interface ZeroedFramePoolOptions {
  /** Where frames are zeroed. Default: none — zeroing is then only counted (a pure model). */
  readonly memory?: Pick<FrameMemory, "zeroFrame">;
  /** Capacity of each stack, in frames. Default 64. */
  readonly capacity?: number;
  /** Whether every frame of the allocator holds zeros at the start (true after boot). Default true. */
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
  /** `allocAny` calls served by a dirty frame (no zeroed frame wasted). */
  readonly servedDirty: number;
}

/**
 * Two stacks of free frames, zeroed and dirty, in front of an allocator (see the file comment).
 * It is itself a `FrameSource`: page tables take any frame (the mapper zeroes them).
 *
 * @example
 * ```ts
 * const pool = new ZeroedFramePool(new BuddyAllocator({ frames: 1024 }), { memory: ram });
 * const user = pool.allocZeroed()!; // zero: fresh from boot, no work
 * pool.free(user);                  // dirty now
 * pool.zeroIdle(8);                 // the idle loop zeroes it
 * pool.allocZeroed();               // served from the zeroed stack
 * ```
 */
export class ZeroedFramePool {
  private readonly zeroBits: Uint32Array;
  private readonly zeroed: Int32Array;
  private readonly dirty: Int32Array;
  private nZeroed = 0;
  private nDirty = 0;
  private readonly memory: Pick<FrameMemory, "zeroFrame"> | undefined;
  private stats = { servedZeroed: 0, zeroedOnDemand: 0, zeroedIdle: 0, servedDirty: 0 };

  /** @throws VmArgumentError for a capacity that is not a positive integer. */
  constructor(
    readonly frames: FrameAllocator,
    options: ZeroedFramePoolOptions = {},
  ) {
    const capacity = options.capacity ?? 64;
    if (!Number.isInteger(capacity) || capacity < 1) {
      throw new VmArgumentError(
        `new ZeroedFramePool(capacity=${capacity}): capacity must be a positive integer`,
      );
    }
    this.memory = options.memory;
    this.zeroBits = new Uint32Array(Math.ceil(frames.frameCount / 32));
    if (options.initiallyZero ?? true) this.zeroBits.fill(0xffff_ffff);
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
      const p = this.frames.allocFrame();
      if (p === null) return null;
      pfn = p;
    }
    if (this.isKnownZero(pfn)) this.stats.servedZeroed++;
    else {
      this.memory?.zeroFrame(pfn);
      this.stats.zeroedOnDemand++;
    }
    this.setZero(pfn, false); // its user may write from now on
    return pfn;
  }

  /**
   * A frame whose contents do not matter (a page table, a COW copy's target): a dirty one if
   * stacked, so that no zeroed frame is wasted; else from the allocator; else a zeroed one.
   * @returns the frame, or `null` when everything is empty.
   */
  allocAny(): number | null {
    let pfn: number;
    if (this.nDirty > 0) {
      pfn = this.dirty[--this.nDirty]!;
      this.stats.servedDirty++;
    } else {
      const p = this.frames.allocFrame();
      if (p !== null) pfn = p;
      else if (this.nZeroed > 0) pfn = this.zeroed[--this.nZeroed]!;
      else return null;
    }
    this.setZero(pfn, false);
    return pfn;
  }

  /**
   * Give a frame back. It goes on the dirty stack (or the zeroed one when `zeroed` is true and the
   * caller knows it was never written); a full stack passes it on to the allocator.
   * @throws DoubleFreeError when the frame is already stacked; otherwise whatever the allocator's
   *   `freeFrame` throws for a frame it did not hand out (the pool is unchanged then).
   */
  free(pfn: number, options: { readonly zeroed?: boolean } = {}): void {
    const zero = options.zeroed ?? false;
    const [stack, n] = zero ? [this.zeroed, this.nZeroed] : [this.dirty, this.nDirty];
    if (n < stack.length) {
      if (this.isStacked(pfn))
        throw new DoubleFreeError(`free(pfn=${hex(pfn)}): frame is already in the pool (double free?)`);
      if (!this.frames.isAllocated(pfn)) {
        this.frames.freeFrame(pfn); // a frame the allocator holds free: let it name the mistake
        throw new InvariantError(`free(pfn=${hex(pfn)}): the allocator accepted a frame it holds free`);
      }
      stack[n] = pfn;
      if (zero) this.nZeroed++;
      else this.nDirty++;
    } else {
      this.frames.freeFrame(pfn);
    }
    this.setZero(pfn, zero);
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
      done++;
    }
    this.stats.zeroedIdle += done;
    return done;
  }

  /** Give every stacked frame back to the allocator (e.g. before checking it for leaks). */
  drain(): void {
    while (this.nZeroed > 0) this.frames.freeFrame(this.zeroed[--this.nZeroed]!);
    while (this.nDirty > 0) this.frames.freeFrame(this.dirty[--this.nDirty]!);
  }

  /** `FrameSource`: any frame (`allocAny`). */
  allocFrame(): number | null {
    return this.allocAny();
  }

  /** `FrameSource`: `free(pfn)` as dirty. */
  freeFrame(pfn: number): void {
    this.free(pfn);
  }

  /** Whether `pfn` is known to hold only zeros. */
  isKnownZero(pfn: number): boolean {
    return (this.zeroBits[pfn >>> 5]! & (1 << (pfn & 31))) !== 0;
  }

  /** How many frames sit on the zeroed and on the dirty stack. */
  stackSizes(): { readonly zeroed: number; readonly dirty: number } {
    return { zeroed: this.nZeroed, dirty: this.nDirty };
  }

  /** Whether `pfn` sits on one of the stacks (O(capacity)). */
  isStacked(pfn: number): boolean {
    return (
      this.zeroed.subarray(0, this.nZeroed).includes(pfn) || this.dirty.subarray(0, this.nDirty).includes(pfn)
    );
  }

  /** The counters since construction. */
  counters(): ZeroingStats {
    return { ...this.stats };
  }

  private setZero(pfn: number, zero: boolean): void {
    if (zero) this.zeroBits[pfn >>> 5]! |= 1 << (pfn & 31);
    else this.zeroBits[pfn >>> 5]! &= ~(1 << (pfn & 31));
  }

  /**
   * Check the invariants of the file comment. With `memory` that can read frames, also check
   * that every stacked frame marked zero reads as zeros.
   * @throws InvariantError naming the first broken one.
   */
  checkInvariants(memory?: Pick<FrameMemory, "frameBytes">): void {
    const seen = new Set<number>();
    const stacks: Array<[string, Int32Array, number, boolean]> = [
      ["zeroed", this.zeroed, this.nZeroed, true],
      ["dirty", this.dirty, this.nDirty, false],
    ];
    for (const [name, stack, n, zero] of stacks) {
      for (let i = 0; i < n; i++) {
        const pfn = stack[i]!;
        if (seen.has(pfn)) throw new InvariantError(`frame ${hex(pfn)} is stacked twice`);
        seen.add(pfn);
        if (!this.frames.isAllocated(pfn))
          throw new InvariantError(`${name} frame ${hex(pfn)} is free in the allocator`);
        if (this.isKnownZero(pfn) !== zero)
          throw new InvariantError(`${name} frame ${hex(pfn)} has zero bit ${!zero}`);
        if (zero && memory !== undefined && memory.frameBytes(pfn).some((b) => b !== 0)) {
          throw new InvariantError(`zeroed frame ${hex(pfn)} holds non-zero bytes`);
        }
      }
    }
  }
}
