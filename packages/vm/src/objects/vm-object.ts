/**
 * One VM object: a size in pages, the pages resident in it, and (for a shadow) the object behind.
 *
 * Invariants (checked by {@link ObjectStore.checkInvariants}):
 * - `refs` = the areas that link this object + the shadows directly in front of it
 *   (`shadowers.size`); an object whose `refs` reaches 0 is destroyed at once;
 * - a shadow's `backing` is alive and lists the shadow among its `shadowers`; chains are acyclic;
 * - a physical object has no resident pages (page i is always frame `physBase + i`);
 * - no anonymous or shadow object has exactly one reference that is a shadow in front of it: such
 *   an object is merged into that shadow (the Codezero rule), so a chain never grows by
 *   repeated fork and exit.
 *
 * ```
 *  refs(A) = 2        shadowers(A) = {S1, S2}        links: S1 ← area of the parent
 *   S1 ──┐                                                  S2 ← area of the child
 *        ├──▶ A
 *   S2 ──┘
 * ```
 *
 * Objects are created, referenced and released only through `object-store.ts`.
 */
import { PageTree } from "../pagetree/page-tree.js";
import type { VmObjectKind } from "./api.js";

/**
 * A VM object (see the file banner for the three kinds and the invariants).
 *
 * The fields are readable for teaching and for invariant checks; only {@link ObjectStore}
 * changes them.
 */
export class VmObject {
  /** Unique id within its store, in creation order (deterministic). */
  readonly id: number;
  /** What backs pages that are not resident (a shadow whose backing merged away becomes anonymous). */
  kind: VmObjectKind;
  /** Size in pages: valid page indexes are 0..pages-1 (shrinks when an area is split or truncated). */
  pages: number;
  /** For a physical object the first frame; -1 otherwise. */
  readonly physBase: number;
  /** References: linking areas plus shadows in front. */
  refs = 0;
  /** References held by areas (or any holder other than a shadow). */
  links = 0;
  /** The object behind a shadow; `null` for anonymous and physical objects. */
  backing: VmObject | null = null;
  /** Page index in `backing` of this object's page 0. */
  backingOffset = 0;
  /** Shadows whose `backing` is this object, in creation order. */
  readonly shadowers = new Set<VmObject>();
  /**
   * Resident pages: page index → frame, in jsix's 64-ary page tree. Each frame belongs to exactly
   * one object.
   */
  readonly resident = new PageTree();
  /** Set once the object is destroyed (or merged away); a dead object must not be used. */
  dead = false;

  /** @internal Use {@link ObjectStore} to create objects. */
  constructor(id: number, kind: VmObjectKind, pages: number, physBase: number) {
    this.id = id;
    this.kind = kind;
    this.pages = pages;
    this.physBase = physBase;
  }

  /**
   * Number of objects from this one to the end of its chain (1 for an object with no backing).
   *
   * @example
   * ```ts
   * // anonymous A, S1 = shadow of A, S2 = shadow of S1
   * S2.chainLength(); // 3
   * ```
   */
  chainLength(): number {
    let n = 1;
    for (let o = this.backing; o !== null; o = o.backing) n++;
    return n;
  }

  /** A short description for messages and traces, e.g. `shadow#4(pages=16, resident=3, refs=1)`. */
  toString(): string {
    return `${this.kind}#${this.id}(pages=${this.pages}, resident=${this.resident.size}, refs=${this.refs})`;
  }
}
