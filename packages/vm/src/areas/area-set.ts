/**
 * The areas of one address space, kept sorted by start address in an array.
 *
 * Lookup by address is a binary search, O(log n); insert and remove shift the array, O(n), which
 * for the tens to hundreds of areas a process has is faster than a balanced tree in practice (the
 * reason Linux replaced its VMA red-black tree by a B-tree, the maple tree).
 *
 * ```
 *   index:   0               1                 2
 *          [0x400000,0x403000) [0x600000,0x601000) [0x7fff0000,0x80000000)
 *   find(0x600800) → binary search on start: last area with start ≤ va is 1; va < end → area 1
 *   find(0x500000) → last start ≤ va is 0, but va ≥ end(0) → no area
 * ```
 *
 * Invariants ({@link AreaSet.checkInvariants}): sorted by start, pairwise disjoint, each area
 * page aligned and non-empty.
 *
 * Free-range search ({@link AreaSet.findFree}) is Lunaix's hinted placement: first fit at or
 * above the hint, then first fit from the bottom of the window.
 */
import { InvariantError } from "../errors.js";
import { PAGE_SIZE } from "../objects/api.js";
import type { Area } from "./area.js";

/** The sorted, disjoint areas of one address space. */
export class AreaSet {
  readonly #areas: Area[] = [];

  /** Number of areas. */
  get size(): number {
    return this.#areas.length;
  }

  /** The areas in address order (a snapshot). */
  toArray(): Area[] {
    return this.#areas.slice();
  }

  /** Area `i` in address order. */
  at(i: number): Area | undefined {
    return this.#areas[i];
  }

  /**
   * The index of the last area whose start is ≤ `va`, or -1 (binary search).
   *
   * @example
   * ```ts
   * // areas start at 0x1000 and 0x5000
   * set.floorIndex(0x4fff); // 0
   * set.floorIndex(0x0fff); // -1
   * ```
   */
  floorIndex(va: number): number {
    const a = this.#areas;
    let lo = 0;
    let hi = a.length - 1;
    let ans = -1;
    while (lo <= hi) {
      const mid = (lo + hi) >>> 1;
      if (a[mid]!.start <= va) {
        ans = mid;
        lo = mid + 1;
      } else {
        hi = mid - 1;
      }
    }
    return ans;
  }

  /** The area containing `va`, or `undefined`. O(log n). */
  find(va: number): Area | undefined {
    const i = this.floorIndex(va);
    if (i < 0) return undefined;
    const a = this.#areas[i]!;
    return va < a.end ? a : undefined;
  }

  /** The areas that overlap `[start, end)`, in address order. */
  overlapping(start: number, end: number): Area[] {
    let i = this.floorIndex(start);
    if (i < 0 || this.#areas[i]!.end <= start) i++;
    const out: Area[] = [];
    for (; i < this.#areas.length; i++) {
      const a = this.#areas[i]!;
      if (a.start >= end) break;
      out.push(a);
    }
    return out;
  }

  /** Whether every page of `[start, end)` lies in some area. */
  covers(start: number, end: number): boolean {
    let at = start;
    for (const a of this.overlapping(start, end)) {
      if (a.start > at) return false;
      at = a.end;
    }
    return at >= end;
  }

  /**
   * Insert `area`, keeping the order. The caller guarantees it overlaps nothing
   * ({@link AreaSet.checkInvariants} would catch it).
   */
  insert(area: Area): void {
    const i = this.floorIndex(area.start) + 1;
    this.#areas.splice(i, 0, area);
  }

  /** Remove `area` (by identity). @returns whether it was there. */
  remove(area: Area): boolean {
    const i = this.floorIndex(area.start);
    if (i < 0 || this.#areas[i] !== area) return false;
    this.#areas.splice(i, 1);
    return true;
  }

  /**
   * The lowest page-aligned start of a free range of `pages` pages inside `[lo, hi)`, searching
   * first at or above `hint` and then from `lo` (Lunaix's placement near the hint).
   *
   * @returns the start address, or `null` when no gap is large enough.
   * @example
   * ```ts
   * // areas [0x1000,0x3000) and [0x4000,0x5000), window [0x1000, 0x10000)
   * set.findFree(1, 0x1000, 0x10000, 0x2000); // 0x3000: first gap at or above the hint
   * set.findFree(2, 0x1000, 0x10000, 0x2000); // 0x5000
   * ```
   */
  findFree(pages: number, lo: number, hi: number, hint: number = lo): number | null {
    const len = pages * PAGE_SIZE;
    const h = Math.min(Math.max(hint, lo), hi);
    const above = this.#firstFit(len, h, hi);
    if (above !== null) return above;
    return this.#firstFit(len, lo, Math.min(hi, h + len));
  }

  #firstFit(len: number, lo: number, hi: number): number | null {
    let cand = lo;
    let i = this.floorIndex(lo);
    if (i >= 0 && this.#areas[i]!.end > cand) cand = this.#areas[i]!.end;
    for (i = i + 1; i < this.#areas.length; i++) {
      const a = this.#areas[i]!;
      if (cand + len <= a.start) break;
      if (a.end > cand) cand = a.end;
      if (cand >= hi) return null;
    }
    return cand + len <= hi ? cand : null;
  }

  /** @throws {@link InvariantError} when the set is unsorted, overlapping or has a malformed area. */
  checkInvariants(): void {
    let prevEnd = -1;
    for (const a of this.#areas) {
      if (a.start % PAGE_SIZE !== 0 || !Number.isInteger(a.pages) || a.pages < 1) {
        throw new InvariantError(`area ${a} is not page aligned or is empty`);
      }
      if (a.start < prevEnd) throw new InvariantError(`area ${a} overlaps or precedes the area before it`);
      prevEnd = a.end;
    }
  }
}
