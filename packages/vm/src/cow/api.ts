/**
 * The copy-on-write strategy interface: how the private memory of an address space is kept, shared
 * at fork, and un-shared by write faults. Two implementations, so that a course can compare them
 * on the same workload (copies, faults, chain lengths):
 *
 * | strategy   | where a private page is recorded        | fork                                         | write to a shared page                     |
 * | ---------- | --------------------------------------- | -------------------------------------------- | ------------------------------------------ |
 * | `shadow`   | the area's VM object chain (Mach)        | two new shadows over the old object; parent  | copy into the front shadow; the chain      |
 * |            | — page tables are only a cache           | write-protected, child starts with no leaves | shrinks again by merging (Codezero rules)  |
 * | `refcount` | the page-table leaf itself (xv6)         | copy the leaves, read-only + COW in both,    | copy if the frame's count > 1, else just   |
 * |            |                                          | one more count per frame                     | make the leaf writable again (reuse)       |
 *
 * The address space calls a strategy only for `private` areas; shared and guard areas are the
 * space's own business. Every method that changes page tables goes through the space's pmap, so
 * TLB invalidations follow automatically: the address space calls `pmap.flush()` (the shootdown
 * round) after every call into the strategy, for the parent and the child of a fork too, so a
 * strategy never needs to flush. A leaf edited in place, behind the pmap's back (`cowWriteFault`),
 * must be reported with `pmap.touched(va)` so that the flush includes it.
 *
 * Links: an area that maps a VM object holds one link on it (`sys.store.link`, counted in
 * `object.links`). Whatever object a method returns in a {@link PrivatePart} must carry a link
 * for the area that will hold it, taken by the strategy; `join` drops `b`'s when it merges and
 * `drop` drops the area's own. The laws count links against the areas that hold them.
 *
 * Related: `shadow.ts`, `refcount.ts`, `../space/address-space.ts`, `../laws/cow.ts`.
 */
import type { Area } from "../areas/area.js";
import type { VmObject } from "../objects/vm-object.js";
import type { AddressSpace } from "../space/address-space.js";
import type { FaultOutcome } from "../space/api.js";
import type { VmSystem } from "../space/vm-system.js";

/** Where the memory of a piece of a private area went after a split. */
export interface PrivatePart {
  /** The object the piece links (or `null`, as {@link CowStrategy.createPrivate} returns). */
  readonly object: VmObject | null;
  /** Page offset of the piece's first page in `object`. */
  readonly offset: number;
}

/** Counters every strategy keeps. */
export interface CowStats {
  /** Write faults that copied a page. */
  readonly copies: number;
  /** Write faults on a shared-looking page that needed no copy (count 1, or already private). */
  readonly reuses: number;
  /** Pages filled with zeroes on first touch. */
  readonly zeroFills: number;
  /** Longest object chain an area's lookup walked so far (1 = no shadows). */
  readonly maxChain: number;
}

/** A copy-on-write strategy (see the file banner). */
export interface CowStrategy {
  /** `"shadow"`, `"refcount"`, or a student's name. */
  readonly name: string;
  /**
   * What a new private area of `pages` pages links, given an optional `backing` object to read
   * through from page `offset` on (a private mapping of a shared-memory segment or a device). The
   * returned object (if any) carries one link, which the area owns: the strategy takes it here
   * (`sys.store.link(backing)` when it returns `backing` itself; a new object from the store comes
   * with its link). POSIX MAP_PRIVATE: the area's writes must never reach `backing`, so a page
   * of `backing` is mapped read-only until a write copies it.
   */
  createPrivate(sys: VmSystem, pages: number, backing: VmObject | null, offset: number): PrivatePart;
  /**
   * Resolve a fault at `va` in private `area` of `space`, for an access the area's protection
   * allows (the space has checked it). Must leave a leaf that allows the access, or return
   * `{ kind: "oom" }` having changed nothing: every frame and share it took given back.
   */
  fault(space: AddressSpace, area: Area, va: number, write: boolean): FaultOutcome;
  /**
   * Give `child` a copy-on-write copy of the parent's private area `area`: returns what the
   * child's area links, with the link taken for it (the parent's area may be changed too, e.g. to
   * a new shadow), or `null` when out of memory. On `null` the child's area for this range is never
   * created, so the child's `destroy` (which the caller runs next) will not see it: the strategy
   * first takes back everything it gave the child for `area` — its leaves, their share counts,
   * any link or object — and leaves the parent consistent (leaves may stay read-only). The laws'
   * out-of-memory law checks that a refused fork changed nothing.
   */
  fork(parent: AddressSpace, area: Area, child: AddressSpace): PrivatePart | null;
  /**
   * Area `area` is being split at page `at`: what does the tail `[at, pages)` link? The head keeps
   * `area.object` and its link; the tail's object needs a link of its own, which the strategy takes
   * (`sys.store.link(area.object)` when the tail links the same object).
   */
  split(space: AddressSpace, area: Area, at: number): PrivatePart;
  /**
   * Adjacent areas `a` then `b` would merge: can their memory become one? On `true` the space
   * drops area `b` without calling {@link CowStrategy.drop}, so the strategy drops `b`'s link here
   * (`sys.store.unlink(b.object)`, or a store `join` that does it); on `false` nothing may change.
   */
  join(space: AddressSpace, a: Area, b: Area): boolean;
  /**
   * Area `area` leaves `space`: drop its leaves, its pages and its link. With `exiting` the whole
   * space is being destroyed and its tables freed right after, so leaves need not be unmapped
   * one by one (their frames must still be released).
   */
  drop(space: AddressSpace, area: Area, exiting: boolean): void;
  /** Check what the strategy keeps for `area` against the page tables; throws `InvariantError`. */
  checkArea(space: AddressSpace, area: Area): void;
  /** Counters so far. */
  stats(): CowStats;
}
