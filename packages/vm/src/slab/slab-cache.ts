/**
 * Slab caches: many objects of one size, carved from frames (Bonwick's slab allocator, as jsix's
 * `slab_allocated` and Lunaix's `cake` allocator have it).
 *
 * A kernel allocates the same few structures over and over (threads, VM areas, page-table
 * bookkeeping). Asking the frame allocator for a whole 4 KiB frame per 64-byte object would waste
 * 98 % of it, so a cache takes a *slab* — 2^slabOrder frames — and cuts it into equal slots:
 *
 * ```
 *   slab at frame 0x40 (order 0, 4096 B), objectSize 200 -> stride 200, 20 objects, 96 B left over
 *   ┌──────┬─────────┬─────────┬─────┬──────────┬──────────┐
 *   │colour│ obj 0   │ obj 1   │ ... │ obj 19   │ leftover │    colour = 0, 8, 16, ... per slab
 *   └──────┴─────────┴─────────┴─────┴──────────┴──────────┘
 *   address of object i = 0x40·4096 + colour + i·stride
 * ```
 *
 * Each slab keeps its own free list of slot indices (LIFO: the slot freed last is reused first,
 * while it is still warm in the cache). The cache keeps its slabs on three lists by fill level,
 * and allocates from a *partial* slab first, then an *empty* one, and only then takes new frames
 * — so memory stays packed and empty slabs can be handed back:
 *
 * | list    | slabs with       | alloc takes from it | free moves a slab   |
 * |---------|------------------|---------------------|---------------------|
 * | partial | 0 < used < total | first               | to empty at 0       |
 * | full    | used = total     | never               | to partial          |
 * | empty   | used = 0         | second              | —                   |
 *
 * Slab colouring (Bonwick 1994, section 4.1) starts each new slab's objects at a different small
 * offset inside the leftover bytes, so that equal objects of different slabs do not all compete
 * for the same hardware cache lines.
 *
 * Object metadata lives beside the simulated memory, not in it (an "off-slab" descriptor): the
 * cache never reads or writes simulated RAM, so a use after free of an object cannot corrupt it.
 *
 * Invariants (`checkInvariants`): each slab sits on the list its use count says; its free list
 * plus its used slots are exactly its slots; the totals and the frame map agree.
 *
 * Related: `../frames/api.ts` (where slabs come from), `kmalloc.ts` (size classes over caches).
 */
import { InvariantError, SlabBusyError, SlabObjectError, VmArgumentError } from "../errors.js";
import { hex } from "../format.js";
import type { FrameAllocator } from "../frames/api.js";
import { FRAME_SIZE } from "../frames/api.js";
import type { SlabEvent, Tracer } from "../tracer.js";
import type { ObjectCache, ObjectCacheCounts } from "./api.js";

/** Options of {@link SlabCache}. */
export interface SlabCacheOptions {
  /** Name shown in stats and messages, as in /proc/slabinfo (`"vm_area"`). */
  readonly name: string;
  /** Bytes per object, 1..(slab bytes). */
  readonly objectSize: number;
  /** Object alignment in bytes, a power of two. Default 8. */
  readonly align?: number;
  /** Where slabs come from. */
  readonly frames: FrameAllocator;
  /** Slab size as a frame order. Default: the smallest order that holds at least 8 objects. */
  readonly slabOrder?: number;
  /** Empty slabs kept for reuse before `free` hands one back to the allocator. Default 1. */
  readonly maxEmpty?: number;
  /** Receives `slab.grow` / `slab.release` events. Default: none. */
  readonly tracer?: Tracer<SlabEvent>;
}

/** The counters and list lengths of a cache (as /proc/slabinfo or Lunaix's cake stats show them). */
export interface SlabStats extends ObjectCacheCounts {
  readonly name: string;
  readonly objectSize: number;
  /** Bytes between consecutive objects (objectSize rounded up to the alignment). */
  readonly stride: number;
  readonly objectsPerSlab: number;
  readonly slabOrder: number;
  readonly partialSlabs: number;
  readonly fullSlabs: number;
  readonly emptySlabs: number;
  /** Live objects. */
  readonly objectsInUse: number;
  /** Slots in all slabs. */
  readonly objectsTotal: number;
  /** Frames the cache holds from the allocator. */
  readonly framesHeld: number;
  readonly allocs: number;
  readonly frees: number;
  /** Slabs taken from the allocator. */
  readonly grows: number;
  /** Slabs given back to the allocator. */
  readonly releases: number;
}

type ListName = "partial" | "full" | "empty";

/** One slab: its frames, its free list and its place on one of the cache's lists. */
class Slab {
  /** Next free slot after each free slot, -1 at the end. */
  readonly nextFree: Int32Array;
  /** 1 for a slot in use. */
  readonly used: Uint8Array;
  freeHead = 0;
  inUse = 0;
  list: ListName = "empty";
  prev: Slab | null = null;
  next: Slab | null = null;

  constructor(
    readonly pfn: number,
    readonly colour: number,
    slots: number,
  ) {
    this.nextFree = new Int32Array(slots);
    for (let i = 0; i < slots; i++) this.nextFree[i] = i + 1 < slots ? i + 1 : -1;
    this.used = new Uint8Array(slots);
  }
}

/**
 * A cache of equal-size objects carved from frames (see the file comment).
 *
 * @example
 * ```ts
 * const areas = new SlabCache({ name: "vm_area", objectSize: 96, frames: buddy });
 * const a = areas.alloc()!;       // a physical byte address inside a slab frame
 * const b = areas.alloc()!;       // a + 96
 * areas.free(a);
 * areas.alloc();                  // a again (LIFO)
 * areas.stats().objectsInUse;     // 2
 * ```
 */
export class SlabCache implements ObjectCache {
  readonly name: string;
  readonly objectSize: number;
  readonly stride: number;
  readonly slabOrder: number;
  readonly objectsPerSlab: number;
  private readonly frames: FrameAllocator;
  private readonly maxEmpty: number;
  private readonly tracer: Tracer<SlabEvent> | undefined;
  private readonly colours: number;
  /** Every object's address is a multiple of this (a power of two). */
  readonly align: number;
  private nextColour = 0;
  private readonly heads: Record<ListName, Slab | null> = { partial: null, full: null, empty: null };
  private readonly lengths: Record<ListName, number> = { partial: 0, full: 0, empty: 0 };
  /** First frame of each slab -> the slab. */
  private readonly byPfn = new Map<number, Slab>();
  private live = 0;
  private counts = { allocs: 0, frees: 0, grows: 0, releases: 0 };

  /** @throws VmArgumentError for a bad size, alignment, order or maxEmpty. */
  constructor(options: SlabCacheOptions) {
    const { name, objectSize, frames } = options;
    const align = options.align ?? 8;
    if (!Number.isInteger(align) || align < 1 || (align & (align - 1)) !== 0 || align > FRAME_SIZE) {
      throw new VmArgumentError(
        `new SlabCache(${name}, align=${align}): align must be a power of two up to 4096`,
      );
    }
    if (!Number.isInteger(objectSize) || objectSize < 1) {
      throw new VmArgumentError(
        `new SlabCache(${name}, objectSize=${objectSize}): size must be a positive integer`,
      );
    }
    const stride = Math.ceil(objectSize / align) * align;
    let order = options.slabOrder;
    if (order === undefined) {
      order = 0;
      while (order < frames.maxOrder - 1 && FRAME_SIZE << order < 8 * stride) order++;
    }
    if (!Number.isInteger(order) || order < 0 || order >= frames.maxOrder) {
      throw new VmArgumentError(
        `new SlabCache(${name}, slabOrder=${order}): order must be in 0..${frames.maxOrder - 1}`,
      );
    }
    const slabBytes = FRAME_SIZE * 2 ** order;
    if (stride > slabBytes) {
      throw new VmArgumentError(
        `new SlabCache(${name}, objectSize=${objectSize}): larger than a slab (${slabBytes} B)`,
      );
    }
    const maxEmpty = options.maxEmpty ?? 1;
    if (!Number.isInteger(maxEmpty) || maxEmpty < 0) {
      throw new VmArgumentError(
        `new SlabCache(${name}, maxEmpty=${maxEmpty}): must be a non-negative integer`,
      );
    }
    this.name = name;
    this.objectSize = objectSize;
    this.stride = stride;
    this.align = align;
    this.slabOrder = order;
    this.objectsPerSlab = Math.floor(slabBytes / stride);
    this.colours = Math.floor((slabBytes - this.objectsPerSlab * stride) / align) + 1;
    this.frames = frames;
    this.maxEmpty = maxEmpty;
    this.tracer = options.tracer;
  }

  /**
   * One object: from a partial slab, else an empty one, else a new slab.
   * @returns its physical byte address, or `null` when a new slab was needed and the frame
   *   allocator is out of memory (the cache is then unchanged).
   */
  alloc(): number | null {
    let slab = this.heads.partial ?? this.heads.empty;
    if (slab === null) {
      const pfn = this.frames.alloc(this.slabOrder);
      if (pfn === null) return null;
      slab = new Slab(pfn, (this.nextColour++ % this.colours) * this.align, this.objectsPerSlab);
      this.byPfn.set(pfn, slab);
      this.push(slab, "empty");
      this.counts.grows++;
      this.tracer?.emit({ type: "slab.grow", cache: this.name, pfn, order: this.slabOrder });
    }
    const i = slab.freeHead;
    slab.freeHead = slab.nextFree[i]!;
    slab.used[i] = 1;
    slab.inUse++;
    this.live++;
    this.counts.allocs++;
    this.move(slab, slab.inUse === this.objectsPerSlab ? "full" : "partial");
    return slab.pfn * FRAME_SIZE + slab.colour + i * this.stride;
  }

  /**
   * Give an object back. A slab left empty beyond `maxEmpty` empty slabs returns to the allocator.
   * @throws SlabObjectError when `addr` is not the start of a live object of this cache (a double
   *   free, an address inside an object, or another cache's address); the cache is unchanged.
   */
  free(addr: number): void {
    const { slab, index } = this.locate("free", addr);
    if (slab.used[index] === 0) {
      throw new SlabObjectError(`${this.name}: free(${hex(addr)}): object is already free (double free?)`);
    }
    slab.used[index] = 0;
    slab.nextFree[index] = slab.freeHead;
    slab.freeHead = index;
    slab.inUse--;
    this.live--;
    this.counts.frees++;
    if (slab.inUse > 0) {
      this.move(slab, "partial");
    } else if (this.lengths.empty < this.maxEmpty) {
      this.move(slab, "empty");
    } else {
      this.release(slab);
    }
  }

  /** Whether `addr` lies in one of this cache's slabs (live, free or between objects). */
  contains(addr: number): boolean {
    if (!Number.isInteger(addr) || addr < 0) return false;
    const pfn = Math.floor(addr / FRAME_SIZE);
    return this.byPfn.has(pfn - (pfn % 2 ** this.slabOrder));
  }

  /** Whether `addr` is a live object of this cache. */
  owns(addr: number): boolean {
    const at = this.find(addr);
    return typeof at !== "string" && at.slab.used[at.index] === 1;
  }

  /**
   * Hand every empty slab back to the frame allocator (memory pressure; Linux `kmem_cache_shrink`).
   * @returns the number of frames released.
   */
  shrink(): number {
    let released = 0;
    while (this.heads.empty !== null) {
      released += 2 ** this.slabOrder;
      this.release(this.heads.empty);
    }
    return released;
  }

  /**
   * Release every slab; the cache must hold no live object.
   * @throws SlabBusyError when objects are still in use (nothing is released then).
   */
  destroy(): void {
    if (this.live > 0) {
      throw new SlabBusyError(`${this.name}: destroy(): ${this.live} objects are still in use`);
    }
    this.shrink();
  }

  /** The cache's counters and list lengths. */
  stats(): SlabStats {
    const slabs = this.byPfn.size;
    return {
      name: this.name,
      objectSize: this.objectSize,
      stride: this.stride,
      objectsPerSlab: this.objectsPerSlab,
      slabOrder: this.slabOrder,
      partialSlabs: this.lengths.partial,
      fullSlabs: this.lengths.full,
      emptySlabs: this.lengths.empty,
      objectsInUse: this.live,
      objectsTotal: slabs * this.objectsPerSlab,
      framesHeld: slabs * 2 ** this.slabOrder,
      ...this.counts,
    };
  }

  /** The slab holding `addr` and the slot index, or a SlabObjectError. */
  private locate(call: string, addr: number): { slab: Slab; index: number } {
    const at = this.find(addr);
    if (typeof at === "string") throw new SlabObjectError(`${this.name}: ${call}(${hex(addr)}): ${at}`);
    return at;
  }

  /**
   * The slab and slot whose object starts at `addr`, or why there is none. A plain value rather
   * than an exception: `owns` asks this of addresses that are often not objects (a kernel's
   * "which cache is this pointer from?" scan), and a throw per "no" costs microseconds.
   */
  private find(addr: number): { slab: Slab; index: number } | string {
    if (!Number.isInteger(addr) || addr < 0) return "not an address";
    const pfn = Math.floor(addr / FRAME_SIZE);
    const base = pfn - (pfn % 2 ** this.slabOrder); // slabs are aligned blocks of 2^slabOrder frames
    const slab = this.byPfn.get(base);
    if (slab === undefined) return "address is in no slab of this cache";
    const offset = addr - base * FRAME_SIZE - slab.colour;
    if (offset < 0 || offset % this.stride !== 0 || offset / this.stride >= this.objectsPerSlab) {
      return `not the start of an object (stride ${this.stride}, colour ${slab.colour})`;
    }
    return { slab, index: offset / this.stride };
  }

  private release(slab: Slab): void {
    this.unlink(slab);
    this.byPfn.delete(slab.pfn);
    this.frames.free(slab.pfn, this.slabOrder);
    this.counts.releases++;
    this.tracer?.emit({ type: "slab.release", cache: this.name, pfn: slab.pfn, order: this.slabOrder });
  }

  private push(slab: Slab, list: ListName): void {
    slab.list = list;
    slab.prev = null;
    slab.next = this.heads[list];
    if (slab.next !== null) slab.next.prev = slab;
    this.heads[list] = slab;
    this.lengths[list]++;
  }

  private unlink(slab: Slab): void {
    if (slab.prev !== null) slab.prev.next = slab.next;
    else this.heads[slab.list] = slab.next;
    if (slab.next !== null) slab.next.prev = slab.prev;
    slab.prev = slab.next = null;
    this.lengths[slab.list]--;
  }

  private move(slab: Slab, list: ListName): void {
    if (slab.list === list) return;
    this.unlink(slab);
    this.push(slab, list);
  }

  /**
   * Check the invariants of the file comment, O(slots).
   * @throws InvariantError naming the first broken one.
   */
  checkInvariants(): void {
    let live = 0;
    let listed = 0;
    for (const list of ["partial", "full", "empty"] as const) {
      let n = 0;
      let before: Slab | null = null;
      for (let s = this.heads[list]; s !== null; s = s.next) {
        if (++n > this.byPfn.size) throw new InvariantError(`${this.name}: ${list} list has a cycle`);
        if (s.prev !== before)
          throw new InvariantError(`${this.name}: slab ${hex(s.pfn)} has a bad prev link`);
        before = s;
        if (s.list !== list)
          throw new InvariantError(`${this.name}: slab ${hex(s.pfn)} on ${list} says ${s.list}`);
        const want: ListName = s.inUse === 0 ? "empty" : s.inUse === this.objectsPerSlab ? "full" : "partial";
        if (want !== list)
          throw new InvariantError(`${this.name}: slab ${hex(s.pfn)} with ${s.inUse} used is on ${list}`);
        if (this.byPfn.get(s.pfn) !== s)
          throw new InvariantError(`${this.name}: slab ${hex(s.pfn)} missing from the map`);
        if (!this.frames.isAllocated(s.pfn))
          throw new InvariantError(`${this.name}: slab ${hex(s.pfn)} is free in the allocator`);
        const onFreeList = new Uint8Array(this.objectsPerSlab);
        let free = 0;
        for (let i = s.freeHead; i >= 0; i = s.nextFree[i]!) {
          if (onFreeList[i] || s.used[i]) {
            throw new InvariantError(
              `${this.name}: slab ${hex(s.pfn)} slot ${i} is on the free list twice or in use`,
            );
          }
          onFreeList[i] = 1;
          free++;
        }
        if (free + s.inUse !== this.objectsPerSlab) {
          throw new InvariantError(
            `${this.name}: slab ${hex(s.pfn)}: ${free} free + ${s.inUse} used != ${this.objectsPerSlab}`,
          );
        }
        live += s.inUse;
      }
      if (n !== this.lengths[list])
        throw new InvariantError(
          `${this.name}: ${list} list has ${n} slabs, length says ${this.lengths[list]}`,
        );
      listed += n;
    }
    if (listed !== this.byPfn.size)
      throw new InvariantError(`${this.name}: ${listed} slabs listed, ${this.byPfn.size} in the map`);
    if (live !== this.live)
      throw new InvariantError(`${this.name}: ${live} objects in slabs, objectsInUse=${this.live}`);
    if (this.lengths.empty > this.maxEmpty) {
      throw new InvariantError(
        `${this.name}: ${this.lengths.empty} empty slabs kept, maxEmpty=${this.maxEmpty}`,
      );
    }
  }
}
