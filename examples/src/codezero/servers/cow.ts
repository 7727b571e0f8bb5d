/**
 * mm0's bookkeeping of copy-on-write: which pool page backs which page of which task, kept by the
 * user-level pager in its own data structures, with Mach's shadow chains — the very
 * `@osbricks/vm` `ObjectStore` the Lunaix-like kernel runs inside the kernel, here run by a server.
 *
 * This class decides; mm0 (`mm0.ts`) does. Every method returns the {@link PagerAction}s that
 * carry the decision out — zero a pool page, copy one pool page onto another (both through mm0's
 * own mapping of its pool), take a page back from a task (`l4_unmap`), give one (`l4_map`) — so the
 * same decisions can be replayed against a plain array in a model-based test.
 *
 * ```
 *   each task T mm0 pages:  top[T] ── its own object: anonymous at first, a shadow after a fork
 *   pool page f = frame f of a BitmapAllocator over the pool; ObjectStore's frames are pool pages
 *
 *   fork(P → C)      before: top[P] = A{0,1}
 *                    after:  top[P] = S1{} ─┐
 *                            top[C] = S2{} ─┴▶ A{0,1}      (A: two references, one from each shadow)
 *                    actions: P's pages 0, 1 unmapped and mapped again READ-only; the same frames
 *                             mapped READ-only into C. No page is copied at fork.
 *   write fault      C writes page 1 (mapped read-only: P|W|U): privatize(S2, 1) copies A's page 1
 *   (protection)     into a fresh pool page f; unmap C's page 1, map f READ|WRITE.
 *   read fault       a page found in the task's own object: mapped READ|WRITE (it is private);
 *                    found behind (depth ≥ 1): READ-only; found nowhere: a zeroed page, READ|WRITE.
 *   exit(C)          unlink S2: S2 has no reference left → freed (its copied pages go back to the
 *                    pool); A is left with one reference, from S1 → merged into S1 (Codezero's
 *                    rule): pages S1 lacks move forward, the rest are freed. top[P] = S1{0,1}.
 * ```
 *
 * Invariants ({@link CowPager.checkInvariants}): the store's own (references counted two ways,
 * the top objects as the only links); every page mapped into a task is the page a lookup through
 * its chain finds, and is mapped writable only when it lies in the task's own object (never a
 * shared page writable); pool pages in use = pages resident in live objects.
 *
 * A fresh pool page is zero (the boot code's shared memory is demand-zero), so zeroing is needed
 * only for a page used before: `zero` actions are emitted only for pages once mapped writable or
 * copied into (Linux keeps pre-zeroed pages for the same saving).
 *
 * Related: `mm0.ts` (the server that executes the actions), `@osbricks/vm` object-store.ts (the
 * chains and Codezero's merge rules), docs/tour-codezero.md ("fork and copy-on-write").
 */

import {
  BitmapAllocator,
  type ObjectMemory,
  ObjectStore,
  type ObjectStoreStats,
  type VmObject,
} from "@osbricks/vm";

/** One step of carrying out a decision; mm0 executes them in order. */
export type PagerAction =
  /** Fill pool page `frame` with zeroes (mm0 writes through its own pool mapping). */
  | { readonly kind: "zero"; readonly frame: number }
  /** Copy pool page `src` onto pool page `dst` (mm0 reads and writes its own pool). */
  | { readonly kind: "copy"; readonly dst: number; readonly src: number }
  /** Take page `index` of the paged area back from `task` (`l4_unmap`). */
  | { readonly kind: "unmap"; readonly task: number; readonly index: number }
  /** Map pool page `frame` at page `index` of `task`'s paged area (`l4_map`). */
  | {
      readonly kind: "map";
      readonly task: number;
      readonly index: number;
      readonly frame: number;
      readonly writable: boolean;
    };

/** The answer to a fault: resolved (with what to do) or refused (and why). */
export type FaultAnswer =
  | { readonly ok: true; readonly actions: readonly PagerAction[]; readonly copied: boolean }
  | { readonly ok: false; readonly why: "outside" | "exhausted" | "not-shared" };

/** What mm0 counts (the boot summary shows them). */
export interface CowCounters {
  /** Protection faults on a page mapped read-only because it was shared (write faults resolved). */
  cowFaults: number;
  /** Pool pages copied because of a write to a shared page. */
  pagesCopied: number;
  /** Forks done. */
  forks: number;
  /** Tasks whose pages were reclaimed. */
  reclaimed: number;
}

interface Mapped {
  frame: number;
  writable: boolean;
}

/** mm0's copy-on-write bookkeeping (see the banner). */
export class CowPager {
  /** Pool pages. */
  readonly poolPages: number;
  /** Pages of the paged area of every task. */
  readonly areaPages: number;
  /** The pool as a frame allocator (frame f = pool page f). */
  readonly frames: BitmapAllocator;
  /** The VM objects and their chains. */
  readonly store: ObjectStore;
  /** What was counted. */
  readonly counters: CowCounters = { cowFaults: 0, pagesCopied: 0, forks: 0, reclaimed: 0 };
  readonly #top = new Map<number, VmObject>();
  readonly #mapped = new Map<number, Map<number, Mapped>>();
  /** Byte work the store asked for during the current call. */
  #pending: PagerAction[] = [];
  /** 1 when a pool page may hold non-zero bytes (once mapped writable or copied into). */
  readonly #dirty: Uint8Array;

  /**
   * @param poolPages - pages of mm0's pool.
   * @param areaPages - pages of each task's paged area.
   * @param mergeShadows - apply Codezero's merge rule (default true; false to show chains grow).
   * @example
   * ```ts
   * const cow = new CowPager(32, 16);
   * cow.fault(3, 0, true, false);      // task 3 writes page 0: a zeroed page, mapped RW
   * cow.fork(3, 4);                    // task 4 shares it: both map it read-only
   * cow.fault(4, 0, true, true).ok;    // task 4 writes: a copy, mapped RW — true
   * ```
   */
  constructor(poolPages: number, areaPages: number, mergeShadows = true) {
    this.poolPages = poolPages;
    this.areaPages = areaPages;
    this.frames = new BitmapAllocator({ frames: poolPages });
    this.#dirty = new Uint8Array(poolPages);
    const memory: ObjectMemory = {
      zeroFrame: (pfn) => {
        if (this.#dirty[pfn] === 0) return; // never written: still the pool's zero page
        this.#pending.push({ kind: "zero", frame: pfn });
        this.#dirty[pfn] = 0;
      },
      copyFrame: (dst, src) => {
        this.#pending.push({ kind: "copy", dst, src });
        this.#dirty[dst] = 1;
      },
    };
    this.store = new ObjectStore({ frames: this.frames, memory, mergeShadows });
  }

  /** Whether mm0 keeps state for `task`. */
  has(task: number): boolean {
    return this.#top.has(task);
  }

  /** The tasks mm0 keeps state for. */
  tasks(): number[] {
    return [...this.#top.keys()];
  }

  /** Objects in `task`'s chain (1 = its own object only), or 0 for a task mm0 does not know. */
  chainLength(task: number): number {
    return this.#top.get(task)?.chainLength() ?? 0;
  }

  /** The store's counters: live objects, shadows, copies, merges, the longest chain seen. */
  stats(): ObjectStoreStats {
    return this.store.stats();
  }

  /** Where page `index` of `task` is mapped now, if it is. */
  mappedAt(task: number, index: number): { readonly frame: number; readonly writable: boolean } | undefined {
    return this.#mapped.get(task)?.get(index);
  }

  #topOf(task: number): VmObject {
    let o = this.#top.get(task);
    if (o === undefined) {
      o = this.store.createAnonymous(this.areaPages);
      this.#top.set(task, o);
      this.#mapped.set(task, new Map());
    }
    return o;
  }

  #map(out: PagerAction[], task: number, index: number, frame: number, writable: boolean): void {
    const m = this.#mapped.get(task)!;
    if (m.has(index)) out.push({ kind: "unmap", task, index });
    out.push({ kind: "map", task, index, frame, writable });
    m.set(index, { frame, writable });
    if (writable) this.#dirty[frame] = 1;
  }

  #take(): PagerAction[] {
    const p = this.#pending;
    this.#pending = [];
    return p;
  }

  /**
   * A fault of `task` on page `index` of its paged area (`index` outside it: refused).
   * @param write - the access was a write (MR5's W bit).
   * @param protection - the page was mapped and the access forbidden (MR5's P bit): a write to a
   *   page mapped read-only, the copy-on-write case.
   * @returns the actions that resolve it, or a refusal: `outside` the area, the pool `exhausted`,
   *   or `not-shared` (a protection fault on a page mm0 did not map read-only: not its to fix).
   */
  fault(task: number, index: number, write: boolean, protection: boolean): FaultAnswer {
    if (!Number.isInteger(index) || index < 0 || index >= this.areaPages)
      return { ok: false, why: "outside" };
    const obj = this.#topOf(task);
    const cur = this.#mapped.get(task)!.get(index);
    if (protection && (!write || cur === undefined || cur.writable)) return { ok: false, why: "not-shared" };
    if (write) {
      const before = this.store.stats().copies;
      const f = this.store.privatize(obj, index);
      if (f === null) {
        this.#pending = [];
        return { ok: false, why: "exhausted" };
      }
      const copied = this.store.stats().copies !== before;
      if (protection) this.counters.cowFaults++;
      if (copied) this.counters.pagesCopied++;
      const out = this.#take();
      this.#map(out, task, index, f, true);
      return { ok: true, actions: out, copied };
    }
    const hit = this.store.lookup(obj, index);
    let frame: number;
    let writable = true;
    if (hit === null) {
      const f = this.store.zeroFill(obj, index);
      if (f === null) {
        this.#pending = [];
        return { ok: false, why: "exhausted" };
      }
      frame = f;
    } else {
      frame = hit.frame;
      writable = hit.depth === 0; // behind the task's own object: shared, read-only
    }
    const out = this.#take();
    this.#map(out, task, index, frame, writable);
    return { ok: true, actions: out, copied: false };
  }

  /**
   * Fork: `child` shares every page of `parent`, copy-on-write (Mach's symmetric shadows; see the
   * banner). No pool page is taken, so a fork never fails for want of pool.
   * @throws RangeError when `child` is already known or equals `parent` (a caller bug).
   */
  fork(parent: number, child: number): PagerAction[] {
    if (child === parent || this.#top.has(child))
      throw new RangeError(`fork(${parent}, ${child}): child exists`);
    const a = this.#topOf(parent);
    const sp = this.store.createShadow(a, 0, this.areaPages);
    const sc = this.store.createShadow(a, 0, this.areaPages);
    this.store.unlink(a); // the parent's link moves to its shadow; A is held by the two shadows
    this.#top.set(parent, sp);
    this.#top.set(child, sc);
    this.#mapped.set(child, new Map());
    this.counters.forks++;
    const out: PagerAction[] = [];
    for (const [index, m] of [...this.#mapped.get(parent)!]) {
      if (m.writable) this.#map(out, parent, index, m.frame, false);
    }
    for (let i = 0; i < this.areaPages; i++) {
      const hit = this.store.lookup(sc, i);
      if (hit !== null) this.#map(out, child, i, hit.frame, false);
    }
    return out;
  }

  /**
   * `task` is gone (or going): drop its object. Shadows left with no reference are freed, one left
   * with a single shadow in front merges into it (the store's Codezero rules), and every pool page
   * no live object holds goes back to the pool. Its mappings are not unmapped: the space is gone.
   * @returns whether mm0 knew the task.
   */
  exit(task: number): boolean {
    const o = this.#top.get(task);
    if (o === undefined) return false;
    this.#top.delete(task);
    this.#mapped.delete(task);
    this.store.unlink(o);
    this.#pending = []; // a merge moves pages, it copies none
    this.counters.reclaimed++;
    return true;
  }

  /** @throws Error (the store's InvariantError, or a RangeError) naming the first broken invariant. */
  checkInvariants(): void {
    this.store.checkInvariants(this.#top.values());
    const resident = this.store.residentFrames();
    if (this.poolPages - this.frames.freeFrames() !== resident.size)
      throw new RangeError(
        `mm0: ${this.poolPages - this.frames.freeFrames()} pool pages in use but ${resident.size} resident`,
      );
    for (const [task, m] of this.#mapped) {
      const top = this.#top.get(task)!;
      for (const [i, { frame, writable }] of m) {
        const hit = this.store.lookup(top, i);
        if (hit === null || hit.frame !== frame)
          throw new RangeError(
            `mm0: task ${task} page ${i} maps pool page ${frame}, its chain says otherwise`,
          );
        if (writable && hit.depth !== 0)
          throw new RangeError(
            `mm0: task ${task} page ${i} is shared (depth ${hit.depth}) but mapped writable`,
          );
      }
    }
  }
}
