/**
 * Named shared-memory segments (POSIX `shm_open`, System V `shmget`, Codezero's shm server): a
 * name bound to an anonymous VM object. Any number of spaces map the object `shared`; their writes
 * meet in the object's pages.
 *
 * ```
 *   registry: "/frames" ──link──▶ anonymous #7 {0, 3}  ◀──link── area in space 1 (rw-s)
 *                                                       ◀──link── area in space 2 (r--s)
 *   unlink("/frames"): the name goes, the pages stay while an area still links the object
 * ```
 *
 * The registry holds one link per named segment; the object dies when the name is unlinked and
 * the last area is unmapped (the same life as a POSIX shm object).
 *
 * Related: `address-space.ts` (`map({ sharing: "shared", object })`), `vm-system.ts`.
 */
import { ShmNameError, VmArgumentError } from "../errors.js";
import type { ObjectStore } from "../objects/object-store.js";
import type { VmObject } from "../objects/vm-object.js";

/** A named segment. */
export interface ShmSegment {
  /** Its name, e.g. `"/frames"`. */
  readonly name: string;
  /** The anonymous object holding its pages. */
  readonly object: VmObject;
  /** Size in pages. */
  readonly pages: number;
}

/**
 * The names of one VM system's shared-memory segments.
 *
 * @example
 * ```ts
 * const seg = sys.shm.create("/ring", 4);
 * a.map({ length: 4 * 4096, prot: PROT_READ | PROT_WRITE, sharing: "shared", object: seg.object });
 * b.map({ length: 4 * 4096, prot: PROT_READ, sharing: "shared", object: sys.shm.open("/ring").object });
 * sys.shm.unlink("/ring"); // the pages live on while a and b map them
 * ```
 */
export class ShmRegistry {
  readonly #store: ObjectStore;
  readonly #segments = new Map<string, ShmSegment>();

  constructor(store: ObjectStore) {
    this.#store = store;
  }

  /**
   * Create segment `name` of `pages` pages (demand-zero).
   * @throws {@link ShmNameError} when the name exists; {@link VmArgumentError} for an empty name.
   */
  create(name: string, pages: number): ShmSegment {
    if (name.length === 0) throw new VmArgumentError(`shm.create(name=""): a segment needs a name`);
    if (this.#segments.has(name))
      throw new ShmNameError(`shm.create(name=${JSON.stringify(name)}): segment exists`);
    const object = this.#store.createAnonymous(pages);
    const seg: ShmSegment = { name, object, pages };
    this.#segments.set(name, seg);
    return seg;
  }

  /** The segment called `name`. @throws {@link ShmNameError} when there is none. */
  open(name: string): ShmSegment {
    const seg = this.#segments.get(name);
    if (seg === undefined) throw new ShmNameError(`shm.open(name=${JSON.stringify(name)}): no such segment`);
    return seg;
  }

  /**
   * Remove the name; the registry's link on the object goes (the pages live while mapped).
   * @throws {@link ShmNameError} when there is no such segment.
   */
  unlink(name: string): void {
    const seg = this.open(name);
    this.#segments.delete(name);
    this.#store.unlink(seg.object);
  }

  /** The named segments, in creation order. */
  segments(): readonly ShmSegment[] {
    return [...this.#segments.values()];
  }
}
