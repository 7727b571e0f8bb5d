/**
 * Debug mode for any frame allocator: poison freed frames, and check the poison on reuse.
 *
 * xv6's `kfree` fills a freed page with junk (byte 1) "to catch dangling refs"; Linux's page
 * poisoning (CONFIG_PAGE_POISONING) fills freed pages with `PAGE_POISON` = 0xaa and, when they are
 * allocated again, checks that every byte is still 0xaa — a byte that changed means someone wrote
 * to the page after freeing it. This wrapper does both around any `FrameAllocator`:
 *
 * ```
 *   free(p, k)  -> inner.free(p, k), then fill frames p..p+2^k-1 with 0xaa, mark them poisoned
 *   alloc(k)    -> p = inner.alloc(k); every poisoned frame of the block must read all 0xaa,
 *                  else PoisonError("frame 0x12 byte 0x40 is 0x07: written after free")
 * ```
 *
 * Poison goes on after the inner free succeeded, so a refused free changes nothing; a corrupted
 * block is re-poisoned and given back before the error is thrown, so the report is made once and
 * the allocator is as it was before the call.
 *
 * Metadata: one bit per frame ("poisoned, not yet checked"). The simulated memory comes from
 * `@osbricks/hw-x86`'s `PhysicalMemory` (any {@link FrameMemory} works).
 *
 * Related: `api.ts` (`FrameAllocator`, `FrameMemory`), `buddy.ts`, `bitmap.ts`.
 */
import { InvariantError, PoisonError, VmArgumentError } from "../errors.js";
import { hex } from "../format.js";
import type { FrameAllocator, FrameMemory } from "./api.js";

/** Linux's `PAGE_POISON` (include/linux/poison.h). */
export const PAGE_POISON = 0xaa;

/** Options of {@link PoisoningAllocator}. */
export interface PoisonOptions {
  /** Where freed frames are filled and checked. */
  readonly memory: Pick<FrameMemory, "fillFrame" | "frameBytes">;
  /** The poison byte. Default {@link PAGE_POISON} (0xaa). */
  readonly byte?: number;
  /** Check the poison when a frame is allocated again. Default true. */
  readonly verify?: boolean;
}

/**
 * A `FrameAllocator` that poisons what it frees and checks the poison when it hands it out again.
 *
 * @example
 * ```ts
 * const ram = new PhysicalMemory({ size: 1 << 20 });
 * const frames = new PoisoningAllocator(new BuddyAllocator({ frames: 256 }), { memory: ram });
 * const p = frames.alloc(0)!;
 * frames.free(p, 0);                 // frame p is now all 0xaa
 * ram.write8(p * 4096 + 8, 7);       // a use after free...
 * frames.alloc(0);                   // ...throws PoisonError naming frame p, byte 8
 * ```
 */
export class PoisoningAllocator implements FrameAllocator {
  readonly frameCount: number;
  readonly maxOrder: number;
  private readonly poisoned: Uint32Array;
  private readonly memory: Pick<FrameMemory, "fillFrame" | "frameBytes">;
  private readonly byte: number;
  private readonly verify: boolean;

  /** @throws VmArgumentError for a poison byte outside 0..255. */
  constructor(
    readonly inner: FrameAllocator,
    options: PoisonOptions,
  ) {
    const byte = options.byte ?? PAGE_POISON;
    if (!Number.isInteger(byte) || byte < 0 || byte > 255) {
      throw new VmArgumentError(`new PoisoningAllocator(byte=${byte}): the poison byte must be in 0..255`);
    }
    this.frameCount = inner.frameCount;
    this.maxOrder = inner.maxOrder;
    this.memory = options.memory;
    this.byte = byte;
    this.verify = options.verify ?? true;
    this.poisoned = new Uint32Array(Math.ceil(inner.frameCount / 32));
  }

  /**
   * `inner.alloc(order)`, then the poison check of every frame of the block.
   * @throws PoisonError when a poisoned frame was written after it was freed (the block is given
   *   back first, so the allocator is unchanged).
   */
  alloc(order: number): number | null {
    const p = this.inner.alloc(order);
    if (p === null) return null;
    const size = 2 ** order;
    for (let f = p; f < p + size; f++) {
      if (!this.isPoisoned(f)) continue;
      if (this.verify) {
        const bytes = this.memory.frameBytes(f);
        for (let i = 0; i < bytes.length; i++) {
          if (bytes[i] !== this.byte) {
            // Read the evidence before re-poisoning: `bytes` aliases the frame.
            const found = bytes[i]!;
            this.memory.fillFrame(f, this.byte);
            this.inner.free(p, order);
            throw new PoisonError(
              `alloc(order=${order}): frame ${hex(f)} byte ${hex(i)} is ${hex(found)}, not the poison ${hex(this.byte)}: written after free`,
            );
          }
        }
      }
    }
    for (let f = p; f < p + size; f++) this.setPoisoned(f, false);
    return p;
  }

  /** `inner.free(pfn, order)`, then fill the block's frames with the poison byte. */
  free(pfn: number, order: number): void {
    this.inner.free(pfn, order); // throws before any poisoning on a bad call
    for (let f = pfn; f < pfn + 2 ** order; f++) {
      this.memory.fillFrame(f, this.byte);
      this.setPoisoned(f, true);
    }
  }

  /** `alloc(0)`. */
  allocFrame(): number | null {
    return this.alloc(0);
  }

  /** `free(pfn, 0)`. */
  freeFrame(pfn: number): void {
    this.free(pfn, 0);
  }

  /** `inner.reserve`: reserved frames are never poisoned (they may hold firmware data). */
  reserve(pfn: number, count: number): void {
    this.inner.reserve(pfn, count);
    for (let f = pfn; f < pfn + count; f++) this.setPoisoned(f, false);
  }

  /** `inner.freeFrames()`. */
  freeFrames(): number {
    return this.inner.freeFrames();
  }

  /** `inner.isAllocated(pfn)`. */
  isAllocated(pfn: number): boolean {
    return this.inner.isAllocated(pfn);
  }

  /** Whether `pfn` was poisoned by a free and not handed out since. */
  isPoisoned(pfn: number): boolean {
    return (this.poisoned[pfn >>> 5]! & (1 << (pfn & 31))) !== 0;
  }

  /**
   * The inner allocator's invariants, and: every frame marked poisoned is free in it (the poison
   * bytes themselves are checked on alloc).
   * @throws InvariantError naming the first broken one.
   */
  checkInvariants(): void {
    this.inner.checkInvariants();
    for (let f = 0; f < this.frameCount; f++) {
      if (this.isPoisoned(f) && this.inner.isAllocated(f)) {
        throw new InvariantError(`frame ${hex(f)} is marked poisoned but is allocated`);
      }
    }
  }

  private setPoisoned(pfn: number, on: boolean): void {
    if (on) this.poisoned[pfn >>> 5]! |= 1 << (pfn & 31);
    else this.poisoned[pfn >>> 5]! &= ~(1 << (pfn & 31));
  }
}
