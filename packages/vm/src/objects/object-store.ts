/**
 * The object store: creates VM objects, counts their references, and applies the Codezero rules
 * that keep shadow chains short.
 *
 * Rules, applied whenever a reference goes away (`unlink`, or a shadow destroyed in front):
 * 1. an object with no references left is destroyed: its frames go back to the allocator and
 *    its own reference on the object behind it is dropped (which may cascade);
 * 2. an anonymous or shadow object left with exactly one reference, and that reference is a
 *    shadow in front of it, is merged into that shadow: every page the shadow lacks moves
 *    forward, the rest is freed, and the shadow now looks where the merged object looked.
 *
 * A fork followed by the child's exit, drawn (pages resident in braces):
 *
 * ```
 *  before fork         after fork                      after the child exits
 *  area ─▶ A{0,1,2}    parent ─▶ S1{}  ─┐              parent ─▶ S1{0,1,2}   (A merged into S1:
 *                      child  ─▶ S2{1} ─┴▶ A{0,1,2}                            S2 freed its copy of 1)
 * ```
 *
 * Invariant checks count everything two independent ways and compare, as Codezero's VM tests do:
 * the stored counters (`refs`, `links`, `shadowers`, the live set) against a recount from the
 * backing pointers and from the links the caller reports.
 *
 * Related: `vm-object.ts`, `store-invariants.ts` (the two-way recount), `../cow/shadow.ts` (fork
 * and faults with shadows).
 */

import { InvariantError, ObjectStateError, PageIndexError, VmArgumentError } from "../errors.js";
import type { FrameAllocator } from "../frames/api.js";
import { NO_FRAME } from "../pagetree/page-tree.js";
import type { Tracer } from "../tracer.js";
import type { ObjectMemory, ObjectStoreStats, PageHit, VmObjectEvent } from "./api.js";
import { checkObjectStoreInvariants } from "./store-invariants.js";
import { VmObject } from "./vm-object.js";

/** Options of {@link ObjectStore}. */
export interface ObjectStoreOptions {
  /** Where object pages come from (order-0 blocks) and go back to. */
  readonly frames: FrameAllocator;
  /** Byte access to frames, for zero-fill and copy. */
  readonly memory: ObjectMemory;
  /** Receives `vmobj.*` events. Default: none. */
  readonly tracer?: Tracer<VmObjectEvent>;
  /**
   * Apply rule 2, the merge of an object left with one shadow into that shadow. Default true.
   * `false` leaves such objects in place (rule 1 still destroys unreferenced ones), so chains grow
   * by one object with every fork followed by the child's exit: for showing what the rule buys,
   * and for checking that a test of bounded chains would notice its absence.
   */
  readonly mergeShadows?: boolean;
}

/**
 * Creates VM objects and manages their references, pages and shadow chains.
 *
 * Out of memory is a result (`null`), never an exception; misuse (a dead object, a page index
 * outside the object) throws, and a throwing call changes nothing.
 *
 * @example
 * ```ts
 * const store = new ObjectStore({ frames, memory });
 * const a = store.createAnonymous(4);       // demand-zero, 4 pages, one link
 * store.zeroFill(a, 2);                     // page 2 resident
 * const s = store.createShadow(a, 0, 4);    // fork: a shadow in front of a
 * store.lookup(s, 2);                       // { frame, depth: 1 }: found behind s
 * store.unlink(a);                          // a is now referenced only by s: merged into s
 * store.lookup(s, 2)?.depth;                // 0
 * ```
 */
export class ObjectStore {
  readonly #frames: FrameAllocator;
  readonly #memory: ObjectMemory;
  readonly #tracer: Tracer<VmObjectEvent> | undefined;
  readonly #live = new Map<number, VmObject>();
  readonly #mergeShadows: boolean;
  #nextId = 1;
  #copies = 0;
  #zeroFills = 0;
  #merges = 0;
  #maxChain = 0;

  constructor(options: ObjectStoreOptions) {
    this.#frames = options.frames;
    this.#memory = options.memory;
    this.#tracer = options.tracer;
    this.#mergeShadows = options.mergeShadows ?? true;
  }

  /** The frame allocator objects take their pages from. */
  get frames(): FrameAllocator {
    return this.#frames;
  }

  /** The frame contents accessor (zero, copy). */
  get memory(): ObjectMemory {
    return this.#memory;
  }

  /**
   * A new anonymous (demand-zero) object of `pages` pages, with one link held by the caller.
   * @throws {@link VmArgumentError} when `pages` is not a positive integer.
   */
  createAnonymous(pages: number): VmObject {
    checkPages("createAnonymous", pages);
    return this.#add(new VmObject(this.#nextId++, "anonymous", pages, -1), null, 0);
  }

  /**
   * A new physical object: page i is frame `basePfn + i` (MMIO, a framebuffer, boot modules). It
   * owns no frames and never frees them. One link held by the caller.
   * @throws {@link VmArgumentError} when `basePfn` or `pages` is not a valid integer.
   */
  createPhysical(basePfn: number, pages: number): VmObject {
    checkPages("createPhysical", pages);
    if (!Number.isInteger(basePfn) || basePfn < 0) {
      throw new VmArgumentError(`createPhysical(basePfn=${basePfn}): not a frame number`);
    }
    return this.#add(new VmObject(this.#nextId++, "physical", pages, basePfn), null, 0);
  }

  /**
   * A new shadow in front of `backing`: its page i reads through to `backing`'s page
   * `offset + i` until written. The shadow takes one reference on `backing`; the caller holds
   * one link on the shadow.
   * @throws {@link ObjectStateError} when `backing` is dead.
   * @throws {@link PageIndexError} when `offset + pages` exceeds `backing`'s size.
   */
  createShadow(backing: VmObject, offset: number, pages: number): VmObject {
    this.#checkLive("createShadow", backing);
    checkPages("createShadow", pages);
    if (!Number.isInteger(offset) || offset < 0 || offset + pages > backing.pages) {
      throw new PageIndexError(
        `createShadow(${backing}, offset=${offset}, pages=${pages}): range exceeds the backing object`,
      );
    }
    return this.#add(new VmObject(this.#nextId++, "shadow", pages, -1), backing, offset);
  }

  /** Take one more link on `obj` (another area maps it). */
  link(obj: VmObject): void {
    this.#checkLive("link", obj);
    obj.links++;
    obj.refs++;
  }

  /**
   * Drop one link on `obj`; destroys or merges objects as the Codezero rules require.
   * @throws {@link ObjectStateError} when `obj` is dead or has no link to drop.
   */
  unlink(obj: VmObject): void {
    this.#checkLive("unlink", obj);
    if (obj.links === 0) throw new ObjectStateError(`unlink(${obj}): no link to drop`);
    obj.links--;
    obj.refs--;
    this.#settle(obj);
  }

  /**
   * Find page `index` of `obj`, walking the shadow chain front to back.
   *
   * @returns where the page lives (`depth` 0 = in `obj` itself), or `null` when no object in the
   *   chain has it (demand-zero territory).
   * @throws {@link PageIndexError} when `index` is outside `obj`.
   */
  lookup(obj: VmObject, index: number): PageHit | null {
    this.#checkIndex("lookup", obj, index);
    let o: VmObject = obj;
    let i = index;
    let depth = 0;
    for (;;) {
      if (o.kind === "physical") return { frame: o.physBase + i, depth };
      const f = o.resident.get(i);
      if (f !== NO_FRAME) return { frame: f, depth };
      const b = o.backing;
      if (b === null) return null;
      i += o.backingOffset;
      o = b;
      depth++;
    }
  }

  /**
   * Make page `index` resident in `obj` itself and return its frame: the write-fault rule of a
   * shadow chain. A page already in `obj` (or a physical object's fixed frame) is returned as is;
   * a page found behind is copied into `obj`; a page found nowhere is a fresh zeroed frame.
   *
   * @returns the frame, or `null` when no frame could be allocated (out of memory).
   * @throws {@link PageIndexError} when `index` is outside `obj`.
   */
  privatize(obj: VmObject, index: number): number | null {
    const hit = this.lookup(obj, index);
    if (hit !== null && hit.depth === 0) return hit.frame;
    if (hit === null) return this.zeroFill(obj, index);
    const nf = this.#frames.alloc(0);
    if (nf === null) return null;
    this.#memory.copyFrame(nf, hit.frame);
    obj.resident.set(index, nf);
    this.#copies++;
    this.#tracer?.emit({ type: "vmobj.copy", id: obj.id, page: index, from: hit.frame, to: nf });
    return nf;
  }

  /**
   * Put a fresh zeroed frame at page `index` of `obj` (demand-zero).
   * @returns the frame, or `null` when out of memory.
   * @throws {@link ObjectStateError} when `obj` is physical or already has the page.
   */
  zeroFill(obj: VmObject, index: number): number | null {
    this.#checkIndex("zeroFill", obj, index);
    if (obj.kind === "physical" || obj.resident.has(index)) {
      throw new ObjectStateError(`zeroFill(${obj}, ${index}): page is already backed`);
    }
    const nf = this.#frames.alloc(0);
    if (nf === null) return null;
    this.#memory.zeroFrame(nf);
    obj.resident.set(index, nf);
    this.#zeroFills++;
    this.#tracer?.emit({ type: "vmobj.zero", id: obj.id, page: index, frame: nf });
    return nf;
  }

  /**
   * Whether `obj` is referenced by exactly one link and nothing behind-shadows it: the only state in
   * which its pages can be cut away or regrouped without another mapping noticing.
   */
  isExclusive(obj: VmObject): boolean {
    return !obj.dead && obj.links === 1 && obj.shadowers.size === 0;
  }

  /**
   * Cut `obj` down to its first `pages` pages, freeing resident pages beyond (an unmap of an
   * area's tail).
   * @throws {@link ObjectStateError} when `obj` is not exclusive ({@link ObjectStore.isExclusive}).
   * @throws {@link PageIndexError} unless `0 < pages <= obj.pages`.
   */
  truncate(obj: VmObject, pages: number): void {
    this.#checkExclusive("truncate", obj);
    if (!Number.isInteger(pages) || pages <= 0 || pages > obj.pages) {
      throw new PageIndexError(`truncate(${obj}, pages=${pages}): expected 1..${obj.pages}`);
    }
    for (const [i, f] of obj.resident.entries(pages)) {
      obj.resident.delete(i);
      this.#frames.free(f, 0);
    }
    obj.pages = pages;
  }

  /**
   * Split an exclusive object at page `at`: `obj` keeps pages `0..at-1`, and the returned new object
   * (one link, same kind, same backing) takes pages `at..` renumbered from 0. Used when an unmap or
   * protect splits an area.
   * @throws {@link ObjectStateError} when `obj` is not exclusive or is physical.
   * @throws {@link PageIndexError} unless `0 < at < obj.pages`.
   */
  split(obj: VmObject, at: number): VmObject {
    this.#checkExclusive("split", obj);
    if (obj.kind === "physical") throw new ObjectStateError(`split(${obj}): physical objects are shared`);
    if (!Number.isInteger(at) || at <= 0 || at >= obj.pages) {
      throw new PageIndexError(`split(${obj}, at=${at}): expected 1..${obj.pages - 1}`);
    }
    const back = obj.backing;
    const tail = this.#add(
      new VmObject(this.#nextId++, obj.kind, obj.pages - at, -1),
      back,
      back === null ? 0 : obj.backingOffset + at,
    );
    for (const [i, f] of obj.resident.entries(at)) {
      obj.resident.delete(i);
      tail.resident.set(i - at, f);
    }
    obj.pages = at;
    return tail;
  }

  /**
   * Join exclusive `b` onto the end of exclusive `a` when the result is one valid object: both
   * anonymous with no backing, or both shadows of the same object at consecutive offsets. `b` is
   * released. Used to merge adjacent compatible areas.
   * @returns whether the objects were joined (if not, nothing changed).
   */
  join(a: VmObject, b: VmObject): boolean {
    if (a === b || !this.isExclusive(a) || !this.isExclusive(b) || a.kind !== b.kind) return false;
    if (a.kind === "physical") return false;
    if (a.backing !== b.backing) return false;
    if (a.backing !== null && a.backingOffset + a.pages !== b.backingOffset) return false;
    for (const [i, f] of b.resident.entries()) a.resident.set(a.pages + i, f);
    b.resident.clear();
    a.pages += b.pages;
    this.unlink(b);
    return true;
  }

  /** Whether `obj` is a live object of this store. */
  owns(obj: VmObject): boolean {
    return !obj.dead && this.#live.get(obj.id) === obj;
  }

  /** Live objects in creation order. */
  objects(): readonly VmObject[] {
    return [...this.#live.values()];
  }

  /** Counters for comparing strategies (see {@link ObjectStoreStats}). */
  stats(): ObjectStoreStats {
    let shadows = 0;
    for (const o of this.#live.values()) if (o.kind === "shadow") shadows++;
    return {
      objects: this.#live.size,
      shadows,
      copies: this.#copies,
      zeroFills: this.#zeroFills,
      merges: this.#merges,
      maxChain: this.#maxChain,
    };
  }

  /**
   * Check every invariant of the store, counting references two independent ways.
   *
   * @param holders - the objects linked from outside (one entry per link, e.g. every area's
   *   object); when given, each object's `links` must equal its number of entries here.
   * @throws {@link InvariantError} naming the first broken invariant.
   */
  checkInvariants(holders?: Iterable<VmObject>): void {
    checkObjectStoreInvariants(this.#live, this.#frames, holders, this.#mergeShadows);
  }

  /** Every frame that is resident in some live object (for "no frame both free and mapped" checks). */
  residentFrames(): Set<number> {
    const s = new Set<number>();
    for (const o of this.#live.values())
      o.resident.forEachInRange(0, o.resident.maxKey + 1, (_i, f) => s.add(f));
    return s;
  }

  #add(obj: VmObject, backing: VmObject | null, offset: number): VmObject {
    obj.links = 1;
    obj.refs = 1;
    if (backing !== null) {
      obj.backing = backing;
      obj.backingOffset = offset;
      backing.refs++;
      backing.shadowers.add(obj);
      const len = obj.chainLength();
      if (len > this.#maxChain) this.#maxChain = len;
    }
    this.#live.set(obj.id, obj);
    this.#tracer?.emit({ type: "vmobj.create", id: obj.id, kind: obj.kind, backing: backing?.id ?? 0 });
    return obj;
  }

  /** Apply the two Codezero rules to `obj` after it lost a reference. */
  #settle(obj: VmObject): void {
    if (obj.refs === 0) {
      this.#destroy(obj);
      return;
    }
    if (
      this.#mergeShadows &&
      obj.kind !== "physical" &&
      obj.links === 0 &&
      obj.refs === 1 &&
      obj.shadowers.size === 1
    ) {
      const front = obj.shadowers.values().next().value as VmObject;
      this.#merge(obj, front);
    }
  }

  #destroy(obj: VmObject): void {
    let freed = 0;
    obj.resident.clear((_i, f) => {
      this.#frames.free(f, 0);
      freed++;
    });
    obj.dead = true;
    this.#live.delete(obj.id);
    this.#tracer?.emit({ type: "vmobj.destroy", id: obj.id, freedFrames: freed });
    const b = obj.backing;
    obj.backing = null;
    if (b !== null) {
      b.shadowers.delete(obj);
      b.refs--;
      this.#settle(b);
    }
  }

  /** Fold `back` (one reference: the shadow `front`) into `front`, then drop `back`. */
  #merge(back: VmObject, front: VmObject): void {
    let moved = 0;
    const off = front.backingOffset;
    for (const [i, f] of back.resident.entries()) {
      const j = i - off;
      if (j >= 0 && j < front.pages && !front.resident.has(j)) {
        front.resident.set(j, f);
        moved++;
      } else {
        this.#frames.free(f, 0);
      }
    }
    back.resident.clear();
    const bb = back.backing;
    front.backing = bb;
    front.backingOffset = off + back.backingOffset;
    if (bb === null) {
      front.kind = "anonymous";
      front.backingOffset = 0;
    } else {
      bb.shadowers.delete(back);
      bb.shadowers.add(front);
    }
    back.shadowers.clear();
    back.backing = null;
    back.refs = 0;
    back.dead = true;
    this.#live.delete(back.id);
    this.#merges++;
    this.#tracer?.emit({ type: "vmobj.merge", from: back.id, into: front.id, movedPages: moved });
  }

  #checkLive(call: string, obj: VmObject): void {
    if (obj.dead || this.#live.get(obj.id) !== obj) {
      throw new ObjectStateError(`${call}(${obj}): object is dead or belongs to another store`);
    }
  }

  #checkIndex(call: string, obj: VmObject, index: number): void {
    this.#checkLive(call, obj);
    if (!Number.isInteger(index) || index < 0 || index >= obj.pages) {
      throw new PageIndexError(`${call}(${obj}, ${index}): page index outside 0..${obj.pages - 1}`);
    }
  }

  #checkExclusive(call: string, obj: VmObject): void {
    this.#checkLive(call, obj);
    if (!this.isExclusive(obj)) {
      throw new ObjectStateError(
        `${call}(${obj}): object is shared (links=${obj.links}, shadows=${obj.shadowers.size})`,
      );
    }
  }
}

function checkPages(call: string, pages: number): void {
  if (!Number.isInteger(pages) || pages <= 0) {
    throw new VmArgumentError(`${call}(pages=${pages}): expected a positive integer`);
  }
}
