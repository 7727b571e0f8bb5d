/**
 * The page-map interface: what a VM object needs from the structure that maps its page offsets to
 * frames. `page-tree.ts` (jsix's 64-ary radix tree) implements it; a student's radix tree, B-tree
 * or hash-plus-sort can too, and `pageTreeLaws` (`@osbricks/vm/laws`) judges any of them.
 *
 * Frames are numbers 0..{@link MAX_TREE_FRAME}; lookups say "nothing here" with {@link NO_FRAME}
 * (-1) instead of allocating a result. `nodeCount` is the structure's own measure of memory in
 * use: it must not grow on a lookup, and must return to its empty value when every key is gone
 * (a structure that never frees what deletes empty leaks).
 */

/** Returned by lookups for "no frame at this key" (hot paths return it instead of allocating). */
export const NO_FRAME = -1;

/** Largest frame number a page map stores: 2^32 - 2 (a leaf slot holds frame + 1 in 32 bits). */
export const MAX_TREE_FRAME = 0xffff_fffe;

/** A map from page offsets (keys 0..maxKey) to frame numbers, kept in key order. */
export interface PageMap {
  /** Largest key accepted. */
  readonly maxKey: number;
  /** Number of keys stored. */
  readonly size: number;
  /** Nodes (or other units of memory) in use; the same after every key is deleted as when empty. */
  readonly nodeCount: number;
  /**
   * The frame stored at `key`, or {@link NO_FRAME}. Never allocates.
   * @throws when `key` is not an integer in 0..maxKey.
   */
  get(key: number): number;
  /**
   * Store `pfn` at `key`.
   * @returns the frame that was there, or {@link NO_FRAME} when the key is new.
   * @throws when `key` is not an integer in 0..maxKey or `pfn` not in 0..MAX_TREE_FRAME; nothing
   *   changes then.
   */
  set(key: number, pfn: number): number;
  /**
   * Remove `key`, freeing whatever the structure no longer needs.
   * @returns the frame that was stored, or {@link NO_FRAME} when the key was absent.
   * @throws when `key` is not an integer in 0..maxKey.
   */
  delete(key: number): number;
  /** Call `fn(key, pfn)` for every key in `[start, end)`, in ascending key order, once each. */
  forEachInRange(start: number, end: number, fn: (key: number, pfn: number) => void): void;
  /** Throws with a precise description of the first broken invariant. */
  checkInvariants(): void;
}
