/**
 * The object-cache interface: many objects of one size, carved from frames that come from a
 * `FrameAllocator` (Bonwick's slab allocator is one way; a student's bitmap-per-frame cache is
 * another). `slab-cache.ts` implements it; `objectCacheLaws` (`@osbricks/vm/laws`) judges any
 * implementation.
 *
 * Objects are physical byte addresses (`frame · 4096 + offset`). An implementation must take its
 * memory only from the frame allocator it was given, give every frame back once the objects in it
 * are gone and `shrink` is called, and never hand out an object that overlaps a live one.
 */

/** The two counts every object cache reports (`SlabStats` has them and more). */
export interface ObjectCacheCounts {
  /** Live objects. */
  readonly objectsInUse: number;
  /** Frames taken from the frame allocator and not given back. */
  readonly framesHeld: number;
}

/** A cache of equal-sized objects backed by frames. */
export interface ObjectCache {
  /** Bytes per object. */
  readonly objectSize: number;
  /** Every object's address is a multiple of this (a power of two). */
  readonly align: number;
  /**
   * One object.
   * @returns its physical byte address, or `null` when more frames were needed and the frame
   *   allocator had none (the cache is then unchanged).
   */
  alloc(): number | null;
  /**
   * Give back the object at `addr`.
   * @throws when `addr` is not the address of a live object of this cache (a double free, an
   *   address inside an object, an address the cache never handed out); nothing changes then.
   */
  free(addr: number): void;
  /** Whether `addr` is the address of a live object of this cache. */
  owns(addr: number): boolean;
  /** Give every frame that holds no live object back to the frame allocator; returns how many. */
  shrink(): number;
  /** The cache's counts. */
  stats(): ObjectCacheCounts;
  /** Throws with a precise description of the first broken invariant. */
  checkInvariants(): void;
}
