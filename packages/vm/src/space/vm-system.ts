/**
 * The VM system: everything the address spaces of one simulated machine share — physical memory,
 * the frame allocator, the VM objects, the frame share counts, the copy-on-write strategy, the
 * shared-memory names and the way to reach the CPUs for TLB shootdowns.
 *
 * ```
 *                       VmSystem
 *   ┌────────────┬──────────┼───────────┬──────────────┬───────────┐
 *   memory     frames    store        refs         strategy     shm names
 *  (hw-x86)   (buddy)  (VM objects) (share counts) (shadow|refcount)
 *                           │
 *             AddressSpace 1, 2, … (areas + pmap over a hw-x86 Mapper)
 * ```
 *
 * {@link VmSystem.checkInvariants} checks across spaces what no single space can: object links
 * counted from the areas against the objects' own counts (Codezero's two-way count), frame share
 * counts against the leaves that map each frame, that no mapped frame and no page table of a live
 * tree is free or waiting in the MMU gather to be freed, and that no frame has two owners (object
 * page, counted private page, page table).
 *
 * Related: `address-space.ts`, `shm.ts`, `../cow/`.
 */
import type { PhysicalMemory } from "@osbricks/hw-x86";
import type { Area } from "../areas/area.js";
import type { CowStrategy } from "../cow/api.js";
import type { PteCowContext } from "../cow/pte-cow.js";
import { RefcountCow } from "../cow/refcount.js";
import { ShadowCow } from "../cow/shadow.js";
import { InvariantError, SpaceStateError } from "../errors.js";
import type { FrameAllocator } from "../frames/api.js";
import { FrameRefCounts } from "../frames/refcount.js";
import type { VmObjectEvent } from "../objects/api.js";
import { ObjectStore, type ObjectStoreOptions } from "../objects/object-store.js";
import type { VmObject } from "../objects/vm-object.js";
import type { Tracer } from "../tracer.js";
import { AddressSpace } from "./address-space.js";
import type { SpaceEvent } from "./api.js";
import { MmuGather } from "./mmu-gather.js";
import { ShmRegistry } from "./shm.js";
import type { ShootdownTarget } from "./shootdown.js";

/** Options of {@link VmSystem}. */
export interface VmSystemOptions {
  /** Physical memory: page tables and pages live here. */
  readonly memory: PhysicalMemory;
  /** Where every frame comes from: page tables, object pages, counted private pages. */
  readonly frames: FrameAllocator;
  /** Copy-on-write strategy: `"shadow"`, `"refcount"`, or an implementation. Default `"shadow"`. */
  readonly strategy?: "shadow" | "refcount" | CowStrategy;
  /** Where spaces are active and how to invalidate there. Default: no CPUs (nothing to shoot down). */
  readonly shootdown?: ShootdownTarget;
  /** Receives `space.*` and `vmobj.*` events. Default: none. */
  readonly tracer?: Tracer<SpaceEvent | VmObjectEvent>;
  /** The object store's merge rule ({@link ObjectStoreOptions.mergeShadows}). Default true. */
  readonly mergeShadows?: boolean;
}

/**
 * The shared state of every address space of one machine.
 *
 * @example
 * ```ts
 * const memory = new PhysicalMemory({ size: 64 * 2 ** 20 });
 * const frames = new BuddyAllocator({ frames: memory.frameCount });
 * frames.reserve(0, 1);                                  // frame 0 stays unused
 * const sys = new VmSystem({ memory, frames, strategy: "refcount" });
 * const space = sys.createSpace();
 * space.map({ length: 0x10000, prot: PROT_READ | PROT_WRITE });
 * sys.checkInvariants();
 * ```
 */
export class VmSystem {
  /** Physical memory. */
  readonly memory: PhysicalMemory;
  /** The frame allocator (frames come back to it once their TLB shootdown is acknowledged). */
  readonly frames: FrameAllocator;
  /**
   * The deferred-free discipline: every part of the system frees through `gather.frames`, and a
   * frame reaches {@link VmSystem.frames} again only after every CPU that may cache a translation
   * to it has acknowledged the invalidation (see `mmu-gather.ts`).
   */
  readonly gather: MmuGather;
  /** VM objects (shared memory, shadow chains). */
  readonly store: ObjectStore;
  /** Share counts of the frames private areas map under the refcount strategy. */
  readonly refs: FrameRefCounts;
  /** The copy-on-write strategy of private areas. */
  readonly strategy: CowStrategy;
  /** Named shared-memory segments. */
  readonly shm: ShmRegistry;
  /** Where spaces are active (for shootdowns), or `null`. */
  readonly shootdown: ShootdownTarget | null;
  /** The context `cowWriteFault` and friends need. */
  readonly pteContext: PteCowContext;
  /** @internal The tracer, for the spaces. */
  readonly tracer: Tracer<SpaceEvent | VmObjectEvent> | undefined;
  readonly #spaces = new Map<number, AddressSpace>();
  #nextId = 1;

  constructor(options: VmSystemOptions) {
    this.memory = options.memory;
    this.frames = options.frames;
    this.tracer = options.tracer;
    this.shootdown = options.shootdown ?? null;
    this.gather = new MmuGather(options.frames, this.shootdown);
    this.store = new ObjectStore({
      frames: this.gather.frames,
      memory: options.memory,
      ...(options.tracer !== undefined ? { tracer: options.tracer } : {}),
      ...(options.mergeShadows !== undefined ? { mergeShadows: options.mergeShadows } : {}),
    });
    this.refs = new FrameRefCounts(this.gather.frames);
    const s = options.strategy ?? "shadow";
    this.strategy = s === "shadow" ? new ShadowCow() : s === "refcount" ? new RefcountCow() : s;
    this.shm = new ShmRegistry(this.store);
    this.pteContext = { memory: options.memory, frames: this.refs };
  }

  /**
   * A new, empty address space (its root table is allocated now).
   * @throws {@link SpaceStateError} when no frame is left for the root table (use
   *   {@link VmSystem.tryCreateSpace} where that is an expected outcome).
   */
  createSpace(): AddressSpace {
    const space = this.tryCreateSpace();
    if (space === null) throw new SpaceStateError("createSpace(): no frame left for the root page table");
    return space;
  }

  /** A new, empty address space, or `null` when no frame is left for its root table. */
  tryCreateSpace(): AddressSpace | null {
    const root = this.gather.frames.allocFrame();
    if (root === null) return null;
    this.memory.zeroFrame(root);
    const space = new AddressSpace(this, this.#nextId++, root);
    this.#spaces.set(space.id, space);
    return space;
  }

  /** The live spaces, in creation order. */
  spaces(): readonly AddressSpace[] {
    return [...this.#spaces.values()];
  }

  /**
   * Every area, in every live space, that links `object` (jsix's "which spaces is this VMA in"):
   * the spaces a change to a shared object must reach. A scan of the areas, in space order.
   */
  mappingsOf(object: VmObject): { readonly space: AddressSpace; readonly area: Area }[] {
    const out: { space: AddressSpace; area: Area }[] = [];
    for (const space of this.#spaces.values()) {
      for (const area of space.areaList()) if (area.object === object) out.push({ space, area });
    }
    return out;
  }

  /** @internal Called by {@link AddressSpace.destroy}. */
  retire(space: AddressSpace): void {
    this.#spaces.delete(space.id);
  }

  /**
   * Check every space and the cross-space invariants (see the file banner).
   * @param kernelLinks - objects the caller links outside any area or segment (one entry per
   *   link, e.g. a device object the kernel keeps), so that the two-way link count balances.
   * @throws {@link InvariantError} naming the first broken invariant.
   */
  checkInvariants(kernelLinks: Iterable<VmObject> = []): void {
    this.gather.checkInvariants();
    const holders: VmObject[] = [...kernelLinks];
    const leafCount = new Map<number, number>();
    for (const space of this.#spaces.values()) {
      space.checkInvariants();
      for (const area of space.areaList()) {
        if (area.object !== null) holders.push(area.object);
        for (const [va, leaf] of space.pmap.leaves(area.start, area.end)) {
          const physical = area.object !== null && isPhysicalFrame(this, area.object, leaf.frame);
          if (!physical && this.gather.isDeferred(leaf.frame)) {
            throw new InvariantError(
              `space ${space.id}: 0x${va.toString(16)} maps frame ${leaf.frame}, which waits to be freed`,
            );
          }
          if (!physical && !this.frames.isAllocated(leaf.frame)) {
            throw new InvariantError(
              `space ${space.id}: 0x${va.toString(16)} maps frame ${leaf.frame}, which is free`,
            );
          }
          if (area.sharing === "private" && this.strategy.name === "refcount") {
            leafCount.set(leaf.frame, (leafCount.get(leaf.frame) ?? 0) + 1);
          }
        }
      }
    }
    for (const seg of this.shm.segments()) holders.push(seg.object);
    this.store.checkInvariants(holders);
    this.refs.checkInvariants();
    // A frame has one owner: an object's page, a counted private page, or a page table.
    const tables = new Set<number>();
    for (const space of this.#spaces.values()) for (const t of space.pmap.mapper.tableFrames()) tables.add(t);
    for (const f of this.store.residentFrames()) {
      if (this.refs.count(f) !== 0)
        throw new InvariantError(`frame ${f} is both an object page and a counted page`);
      if (tables.has(f)) throw new InvariantError(`frame ${f} is both an object page and a page table`);
    }
    for (const t of tables) {
      if (this.refs.count(t) !== 0) throw new InvariantError(`page-table frame ${t} is also a counted page`);
      // A table in a live tree is walked by the MMU: it must be allocated, and not waiting in the
      // gather (a table is deferred only once it is unlinked, Linux's tlb_remove_table).
      if (this.gather.isDeferred(t) || !this.frames.isAllocated(t)) {
        throw new InvariantError(
          `page-table frame ${t}, which is free${this.gather.isDeferred(t) ? " (waiting in the MMU gather)" : ""}, is still linked into a live page tree`,
        );
      }
    }
    if (this.strategy.name === "refcount") {
      for (const [f, n] of leafCount) {
        const c = this.refs.count(f);
        if (c !== n) throw new InvariantError(`frame ${f}: share count ${c}, but ${n} leaves map it`);
      }
      if (this.refs.heldFrames() !== leafCount.size) {
        throw new InvariantError(
          `${this.refs.heldFrames()} frames counted, ${leafCount.size} mapped by private leaves`,
        );
      }
    }
  }
}

/** Whether `frame` is one of the fixed frames of a physical object at the end of `obj`'s chain. */
function isPhysicalFrame(_sys: VmSystem, obj: VmObject, frame: number): boolean {
  let o: VmObject | null = obj;
  while (o !== null && o.kind !== "physical") o = o.backing;
  return o !== null && frame >= o.physBase && frame < o.physBase + o.pages;
}
