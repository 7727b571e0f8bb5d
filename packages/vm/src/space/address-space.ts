/**
 * An address space: an ordered set of areas plus its own page-table tree (a hw-x86 `Mapper` in
 * simulated physical memory, wrapped in a pmap that owes the TLB its invalidations).
 *
 * Operations and the rules they follow:
 * - `map` places an area fixed (MAP_FIXED unmaps what it overlaps; MAP_FIXED_NOREPLACE reports
 *   it), near a hint (Lunaix: first fit at or above, then from the bottom) or anywhere, then merges
 *   it with compatible neighbours (Linux `vma_merge`). No page is touched: memory comes by fault.
 * - `unmap` cuts a range out of every area it meets, Codezero's `do_munmap` cases:
 *
 * ```
 *   before      [A 0x1000 ───────────────── 0x9000)
 *   unmap(0x3000, 0x2000)
 *   after       [A 0x1000 ── 0x3000)        [A' 0x5000 ── 0x9000)    split: two areas
 *   unmap(0x1000, 0x1000) → [A 0x2000 ─ 0x3000)                       shrink from the front
 *   unmap(0x5000, 0x4000) → A' destroyed                              whole area
 * ```
 * - `protect` splits areas at the range's ends, changes the protection, write-protects or
 *   unprotects leaves (never grants write: a write fault decides), then merges again;
 * - `handleFault` turns a #PF into a result: resolved (zero-fill, map, copy, reuse), a violation
 *   the kernel turns into SIGSEGV, or out of memory;
 * - `fork` copies the areas; shared areas link the same object, private ones go through the
 *   copy-on-write strategy (`../cow/`);
 * - every operation ends with one TLB shootdown round for the leaves it changed, and runs inside
 *   the system's MMU gather (`mmu-gather.ts`): the frames and page tables it frees go back to the
 *   allocator only once every CPU that may cache them has acknowledged that round (Linux's
 *   `tlb_gather_mmu` … `tlb_finish_mmu`).
 *
 * Invariants ({@link AddressSpace.checkInvariants}): areas sorted and disjoint in user space;
 * the mapper's tree is well formed; no invalidation is left pending; every leaf lies in a non-guard
 * area and grants no more than the area's protection; a shared area's leaf maps the object's page;
 * a private area's leaves satisfy the strategy's invariants.
 *
 * Related: `api.ts` (options, outcomes), `pmap.ts`, `vm-system.ts`, `../areas/`.
 */
import { Mapper } from "@osbricks/hw-x86";
import {
  Area,
  type AreaSharing,
  PROT_EXEC,
  PROT_NONE,
  PROT_READ,
  PROT_WRITE,
  type Prot,
} from "../areas/area.js";
import { AreaSet } from "../areas/area-set.js";
import { AddressRangeError, InvariantError, SpaceStateError, VmArgumentError } from "../errors.js";
import { PAGE_SIZE } from "../objects/api.js";
import type { VmObject } from "../objects/vm-object.js";
import type {
  AccessType,
  FaultOutcome,
  MapOptions,
  MapOutcome,
  ProtectOutcome,
  UnmapOutcome,
} from "./api.js";
import { USER_END, USER_START } from "./api.js";
import { Pmap } from "./pmap.js";
import type { VmSystem } from "./vm-system.js";

/**
 * One address space (see the file banner). Created by {@link VmSystem.createSpace} or
 * {@link AddressSpace.fork}.
 *
 * @example
 * ```ts
 * const space = sys.createSpace();
 * const r = space.map({ length: 0x3000, prot: PROT_READ | PROT_WRITE, placement: { kind: "hint", va: 0x400000 } });
 * space.handleFault(0x400010, "write");   // { kind: "resolved", how: "zero-fill", frame }
 * space.unmap(0x401000, 0x1000);          // splits the area in two
 * space.handleFault(0x401000, "read");    // { kind: "segv", code: "maperr", reason: "no-area", … }
 * ```
 */
export class AddressSpace {
  /** Identifier, unique in its VM system. */
  readonly id: number;
  /** The VM system the space belongs to. */
  readonly system: VmSystem;
  /** The page tables and the TLB obligations. */
  readonly pmap: Pmap;
  readonly #areas = new AreaSet();
  #destroyed = false;

  /**
   * @internal Use {@link VmSystem.createSpace}.
   * @param rootPfn - a zeroed frame for the root table, taken from `system.frames`.
   */
  constructor(system: VmSystem, id: number, rootPfn: number) {
    this.id = id;
    this.system = system;
    const mapper = new Mapper({
      memory: system.memory,
      frames: system.gather.frames,
      root: rootPfn * PAGE_SIZE,
    });
    this.pmap = new Pmap(mapper, system.memory, id, system.shootdown);
  }

  /** Physical address of the root table: what CR3 holds while the space runs. */
  get root(): number {
    return this.pmap.mapper.root;
  }

  /** Whether {@link AddressSpace.destroy} was called. */
  get destroyed(): boolean {
    return this.#destroyed;
  }

  /** The areas in address order (a snapshot). */
  areaList(): Area[] {
    return this.#areas.toArray();
  }

  /** The area containing `va`, or `undefined`. O(log n). */
  findArea(va: number): Area | undefined {
    return this.#areas.find(va);
  }

  /**
   * Create an area (see {@link MapOptions}).
   *
   * @returns `mapped` with the address (the area may have merged with a neighbour), `no-space`, or
   *   `exists` for a non-replacing fixed mapping that overlaps.
   * @throws {@link AddressRangeError} for a length that is not a positive multiple of 4096, or a
   *   fixed address that is misaligned or outside user space.
   * @throws {@link VmArgumentError} for a bad protection, offset or object range.
   */
  map(options: MapOptions): MapOutcome {
    return this.system.gather.run(() => this.#mapOp(options));
  }

  #mapOp(options: MapOptions): MapOutcome {
    this.#live("map");
    const { length, prot } = options;
    const sharing: AreaSharing = options.sharing ?? "private";
    const placement = options.placement ?? { kind: "anywhere" };
    const call = `map(length=0x${Number(length).toString(16)})`;
    if (!Number.isSafeInteger(length) || length <= 0 || length % PAGE_SIZE !== 0) {
      throw new AddressRangeError(`${call}: length must be a positive multiple of 4096`);
    }
    checkProt(call, prot);
    if (sharing !== "private" && sharing !== "shared" && sharing !== "guard") {
      throw new VmArgumentError(`${call}: sharing ${String(sharing)} is not private, shared or guard`);
    }
    const pages = length / PAGE_SIZE;
    const offset = options.offset ?? 0;
    const object = options.object ?? null;
    if (!Number.isInteger(offset) || offset < 0)
      throw new VmArgumentError(`${call}: offset ${offset} is not a page index`);
    if (object !== null) {
      if (!this.system.store.owns(object)) {
        throw new VmArgumentError(`${call}: ${object} is dead or belongs to another VM system`);
      }
      if (offset + pages > object.pages) {
        throw new VmArgumentError(`${call}: pages ${offset}..${offset + pages - 1} exceed ${object}`);
      }
      if (sharing === "guard") throw new VmArgumentError(`${call}: a guard area maps no object`);
    }
    let start: number | null;
    if (placement.kind === "fixed") {
      checkRange(call, placement.va, length);
      const overlap = this.#areas.overlapping(placement.va, placement.va + length);
      if (overlap.length > 0) {
        if (placement.replace === false) return { kind: "exists", area: overlap[0]! };
        this.#unmapRange(placement.va, placement.va + length);
      }
      start = placement.va;
    } else {
      const hint = placement.kind === "hint" ? Math.floor(placement.va / PAGE_SIZE) * PAGE_SIZE : USER_START;
      if (!Number.isSafeInteger(hint)) throw new AddressRangeError(`${call}: hint is not an address`);
      start = this.#areas.findFree(pages, USER_START, USER_END, hint);
      if (start === null) return { kind: "no-space" };
    }
    const store = this.system.store;
    let obj: VmObject | null = null;
    let off = 0;
    if (sharing === "shared") {
      if (object !== null) store.link(object);
      obj = object ?? store.createAnonymous(pages);
      off = object !== null ? offset : 0;
    } else if (sharing === "private") {
      const part = this.system.strategy.createPrivate(this.system, pages, object, offset);
      obj = part.object;
      off = part.offset;
    }
    const name = options.name ?? (sharing === "guard" ? "guard" : "anon");
    const area = new Area(this.id, start, pages, prot, sharing, obj, off, name);
    this.#areas.insert(area);
    const merged = this.#mergeAround(area);
    this.pmap.flush();
    this.system.tracer?.emit({ type: "space.map", space: this.id, va: start, pages });
    return { kind: "mapped", va: start, area: merged };
  }

  /**
   * Map a stack: `pages` read-write private pages with `guardPages` guard pages just below (stacks
   * grow down, so an overflow runs into the guard and faults as a violation, not into the next
   * area), placed near `hint` (Lunaix's user stacks).
   *
   * @returns the stack's `top` (the initial stack pointer) and `base`, or `null` when no range is free.
   * @throws {@link VmArgumentError} for page counts that are not positive integers (guard may be 0).
   * @example
   * ```ts
   * const st = space.mapStack({ pages: 8, guardPages: 1, hint: 0x7fff_0000_0000 })!;
   * space.handleFault(st.base - 8, "write"); // { kind: "segv", code: "accerr", reason: "guard", … }
   * ```
   */
  mapStack(options: {
    pages: number;
    guardPages?: number;
    hint?: number;
  }): { top: number; base: number } | null {
    this.#live("mapStack");
    const guard = options.guardPages ?? 1;
    if (!Number.isInteger(options.pages) || options.pages < 1 || !Number.isInteger(guard) || guard < 0) {
      throw new VmArgumentError(`mapStack(pages=${options.pages}, guardPages=${guard}): not page counts`);
    }
    const total = options.pages + guard;
    const hint = Math.floor((options.hint ?? USER_END - total * PAGE_SIZE) / PAGE_SIZE) * PAGE_SIZE;
    const start = this.#areas.findFree(total, USER_START, USER_END, hint);
    if (start === null) return null;
    const base = start + guard * PAGE_SIZE;
    if (guard > 0) {
      this.map({
        length: guard * PAGE_SIZE,
        prot: PROT_NONE,
        sharing: "guard",
        name: "[guard]",
        placement: { kind: "fixed", va: start },
      });
    }
    this.map({
      length: options.pages * PAGE_SIZE,
      prot: PROT_READ | PROT_WRITE,
      name: "[stack]",
      placement: { kind: "fixed", va: base },
    });
    return { top: base + options.pages * PAGE_SIZE, base };
  }

  /**
   * Remove `[va, va + length)` from every area it meets (areas shrink, split or go).
   * @returns `unmapped` with the number of pages removed, or `not-mapped` (nothing changed).
   * @throws {@link AddressRangeError} for a misaligned or out-of-range request.
   */
  unmap(va: number, length: number): UnmapOutcome {
    return this.system.gather.run(() => this.#unmapOp(va, length));
  }

  #unmapOp(va: number, length: number): UnmapOutcome {
    this.#live("unmap");
    checkRange(`unmap(va=0x${Number(va).toString(16)}, length=0x${Number(length).toString(16)})`, va, length);
    if (this.#areas.overlapping(va, va + length).length === 0) return { kind: "not-mapped" };
    const pages = this.#unmapRange(va, va + length);
    this.pmap.flush();
    this.system.tracer?.emit({ type: "space.unmap", space: this.id, va, pages });
    return { kind: "unmapped", pages };
  }

  /**
   * Set the protection of `[va, va + length)`, which must lie wholly in areas.
   *
   * Leaves lose rights at once (with a TLB shootdown); rights are never granted ahead of time: a
   * page made writable faults on its first write, where copy-on-write decides. Guard areas keep
   * faulting whatever their protection.
   *
   * @returns `protected`, or `not-mapped` with the first page outside every area (nothing changed).
   * @throws {@link AddressRangeError} for a misaligned or out-of-range request; {@link VmArgumentError}
   *   for a bad protection.
   */
  protect(va: number, length: number, prot: Prot): ProtectOutcome {
    return this.system.gather.run(() => this.#protectOp(va, length, prot));
  }

  #protectOp(va: number, length: number, prot: Prot): ProtectOutcome {
    this.#live("protect");
    const call = `protect(va=0x${Number(va).toString(16)}, length=0x${Number(length).toString(16)})`;
    checkRange(call, va, length);
    checkProt(call, prot);
    const end = va + length;
    let at = va;
    for (const a of this.#areas.overlapping(va, end)) {
      if (a.start > at) return { kind: "not-mapped", va: at };
      at = a.end;
    }
    if (at < end) return { kind: "not-mapped", va: at };
    const touched: Area[] = [];
    for (const a0 of this.#areas.overlapping(va, end)) {
      let a = a0;
      if (a.start < va) a = this.#split(a, (va - a.start) / PAGE_SIZE);
      if (a.end > end) this.#split(a, (end - a.start) / PAGE_SIZE);
      a.prot = prot;
      for (const [pva, leaf] of this.pmap.leaves(a.start, a.end)) {
        const writable = leaf.writable && (prot & PROT_WRITE) !== 0;
        const noExecute = (prot & PROT_EXEC) === 0;
        const kernelOnly = prot === PROT_NONE;
        if (writable !== leaf.writable || noExecute !== leaf.noExecute || kernelOnly === leaf.user) {
          this.pmap.protect(pva, { writable, noExecute, kernelOnly, cow: leaf.cow });
        }
      }
      touched.push(a);
    }
    for (const a of touched) if (this.#areas.find(a.start) === a) this.#mergeAround(a);
    this.pmap.flush();
    this.system.tracer?.emit({ type: "space.protect", space: this.id, va, pages: length / PAGE_SIZE, prot });
    return { kind: "protected", pages: length / PAGE_SIZE };
  }

  /**
   * Handle a page fault at `va` for an access of kind `access` (the kernel calls it on #PF).
   * @returns what happened; a `segv` or `oom` changes nothing.
   * @throws {@link AddressRangeError} when `va` is not a safe integer.
   */
  handleFault(va: number, access: AccessType): FaultOutcome {
    return this.system.gather.run(() => this.#handleFaultOp(va, access));
  }

  #handleFaultOp(va: number, access: AccessType): FaultOutcome {
    this.#live("handleFault");
    if (!Number.isSafeInteger(va)) throw new AddressRangeError(`handleFault(va=${va}): not an address`);
    const area = this.#areas.find(va);
    const out = this.#fault(area, va, access);
    this.pmap.flush();
    this.system.tracer?.emit({
      type: "space.fault",
      space: this.id,
      va,
      access,
      outcome: out.kind === "resolved" ? out.how : out.kind === "segv" ? `segv:${out.reason}` : "oom",
    });
    return out;
  }

  #fault(area: Area | undefined, va: number, access: AccessType): FaultOutcome {
    if (area === undefined) return { kind: "segv", code: "maperr", reason: "no-area", va };
    if (area.sharing === "guard") return { kind: "segv", code: "accerr", reason: "guard", va };
    const p = area.prot;
    // x86 pages are readable whenever present (without protection keys): PROT_WRITE or PROT_EXEC
    // alone still reads, as Linux/x86 maps them (PAGE_SHARED / PAGE_READONLY_EXEC). A read fault
    // must agree with what the MMU allows once the page is in, whichever access came first.
    const allowed =
      access === "write"
        ? (p & PROT_WRITE) !== 0
        : access === "exec"
          ? (p & PROT_EXEC) !== 0
          : p !== PROT_NONE;
    if (!allowed) return { kind: "segv", code: "accerr", reason: "protection", va };
    const pageVa = Math.floor(va / PAGE_SIZE) * PAGE_SIZE;
    const leaf = this.pmap.lookup(pageVa);
    if (leaf?.user && (access !== "write" || leaf.writable) && (access !== "exec" || !leaf.noExecute)) {
      this.pmap.touched(pageVa); // a stale TLB entry caused it: drop it
      return { kind: "resolved", how: "spurious", frame: leaf.frame };
    }
    if (area.sharing === "private") return this.system.strategy.fault(this, area, pageVa, access === "write");
    return this.#sharedFault(area, pageVa, access === "write");
  }

  #sharedFault(area: Area, va: number, write: boolean): FaultOutcome {
    const store = this.system.store;
    const obj = area.object!;
    const idx = area.offset + area.pageOf(va);
    const hit = store.lookup(obj, idx);
    let frame: number | null;
    let how: "zero-fill" | "map" | "copy";
    let writable: boolean;
    if (hit === null) {
      frame = store.zeroFill(obj, idx);
      how = "zero-fill";
      writable = (area.prot & PROT_WRITE) !== 0;
    } else if (hit.depth === 0 || !write) {
      frame = hit.frame;
      how = "map";
      writable = (area.prot & PROT_WRITE) !== 0 && hit.depth === 0;
    } else {
      frame = store.privatize(obj, idx);
      how = "copy";
      writable = true;
    }
    if (frame === null) return { kind: "oom", va };
    const ok = this.pmap.enter(va, frame, {
      writable,
      noExecute: (area.prot & PROT_EXEC) === 0,
      kernelOnly: area.prot === PROT_NONE,
    });
    return ok ? { kind: "resolved", how, frame } : { kind: "oom", va };
  }

  /**
   * A copy of this space for a child process: same areas; shared areas share, private areas are
   * copy-on-write through the system's strategy.
   * @returns the child, or `null` when out of memory (the child is destroyed again; this space is
   *   unchanged except that some of its leaves may now be read-only, which faults resolve).
   */
  fork(): AddressSpace | null {
    return this.system.gather.run(() => this.#forkOp());
  }

  #forkOp(): AddressSpace | null {
    this.#live("fork");
    const child = this.system.tryCreateSpace();
    if (child === null) return null;
    const store = this.system.store;
    for (const a of this.#areas.toArray()) {
      let obj: VmObject | null = null;
      let off = 0;
      if (a.sharing === "shared") {
        store.link(a.object!);
        obj = a.object;
        off = a.offset;
      } else if (a.sharing === "private") {
        const part = this.system.strategy.fork(this, a, child);
        if (part === null) {
          this.pmap.flush();
          child.destroy();
          return null;
        }
        obj = part.object;
        off = part.offset;
      }
      child.#areas.insert(new Area(child.id, a.start, a.pages, a.prot, a.sharing, obj, off, a.name));
    }
    this.pmap.flush();
    child.pmap.flush(); // a strategy may have changed the child's leaves too (nothing runs it yet)
    this.system.tracer?.emit({ type: "space.fork", parent: this.id, child: child.id });
    return child;
  }

  /**
   * Unmap everything, free the page tables and leave the VM system (process exit). The caller
   * makes sure no CPU still runs on the space; its translations are shot down here.
   */
  destroy(): void {
    this.system.gather.run(() => this.#destroyOp());
  }

  #destroyOp(): void {
    if (this.#destroyed) return;
    for (const a of this.#areas.toArray()) this.#drop(a, true);
    this.pmap.touchedAll();
    this.pmap.flush();
    this.pmap.mapper.destroy();
    this.#destroyed = true;
    this.system.retire(this);
    this.system.tracer?.emit({ type: "space.destroy", space: this.id });
  }

  /** `/proc/<pid>/maps`-style listing, one area per line. */
  dump(): string {
    return this.#areas
      .toArray()
      .map((a) => a.toString())
      .join("\n");
  }

  /**
   * Check the invariants listed in the file banner.
   * @throws {@link InvariantError} naming the first broken one.
   */
  checkInvariants(): void {
    if (this.#destroyed) return;
    this.#areas.checkInvariants();
    this.pmap.mapper.checkInvariants();
    if (this.pmap.pendingFlushes !== 0)
      throw new InvariantError(`space ${this.id}: TLB invalidations left pending`);
    const list = this.#areas.toArray();
    const first = list[0];
    const last = list[list.length - 1];
    if (first !== undefined && (first.start < USER_START || last!.end > USER_END)) {
      throw new InvariantError(`space ${this.id}: an area lies outside user space`);
    }
    for (const [va, leaf] of this.pmap.leaves(0, USER_END + PAGE_SIZE)) {
      const a = this.#areas.find(va);
      const where = `space ${this.id}, leaf of 0x${va.toString(16)}`;
      if (a === undefined) throw new InvariantError(`${where}: no area`);
      if (a.sharing === "guard") throw new InvariantError(`${where}: in guard area ${a}`);
      if (leaf.writable && (a.prot & PROT_WRITE) === 0)
        throw new InvariantError(`${where}: writable in ${a}`);
      if (leaf.user !== (a.prot !== PROT_NONE)) throw new InvariantError(`${where}: U/S disagrees with ${a}`);
      if (leaf.noExecute !== ((a.prot & PROT_EXEC) === 0))
        throw new InvariantError(`${where}: XD disagrees with ${a}`);
      if (a.sharing === "shared") {
        const hit = this.system.store.lookup(a.object!, a.offset + a.pageOf(va));
        if (hit === null || hit.frame !== leaf.frame) {
          throw new InvariantError(`${where}: maps ${leaf.frame}, shared object has ${hit?.frame ?? "none"}`);
        }
      }
    }
    for (const a of list) {
      if (a.spaceId !== this.id)
        throw new InvariantError(`area ${a} belongs to space ${a.spaceId}, found in ${this.id}`);
      if (a.sharing === "private") this.system.strategy.checkArea(this, a);
      else if (a.sharing === "shared" && a.object === null)
        throw new InvariantError(`shared area ${a} links nothing`);
    }
  }

  /** Cut `[start, end)` out of every area; returns the pages removed. Leaves flushing to the caller. */
  #unmapRange(start: number, end: number): number {
    let removed = 0;
    for (const a0 of this.#areas.overlapping(start, end)) {
      let a = a0;
      if (a.start < start) a = this.#split(a, (start - a.start) / PAGE_SIZE);
      if (a.end > end) this.#split(a, (end - a.start) / PAGE_SIZE);
      removed += a.pages;
      this.#drop(a, false);
    }
    return removed;
  }

  /** Split `area` at page `at`: it keeps `[0, at)`, the returned new area holds the rest. */
  #split(area: Area, at: number): Area {
    let obj: VmObject | null = null;
    let off = 0;
    if (area.sharing === "private") {
      const part = this.system.strategy.split(this, area, at);
      obj = part.object;
      off = part.offset;
    } else if (area.sharing === "shared") {
      this.system.store.link(area.object!);
      obj = area.object;
      off = area.offset + at;
    }
    const tail = new Area(
      this.id,
      area.start + at * PAGE_SIZE,
      area.pages - at,
      area.prot,
      area.sharing,
      obj,
      off,
      area.name,
    );
    area.pages = at;
    this.#areas.insert(tail);
    return tail;
  }

  /** Remove `area` from the set and release its leaves and memory (`exiting`: the tables go next). */
  #drop(area: Area, exiting: boolean): void {
    this.#areas.remove(area);
    if (area.sharing === "private") {
      this.system.strategy.drop(this, area, exiting);
      return;
    }
    if (!exiting) for (const [va] of this.pmap.leaves(area.start, area.end)) this.pmap.remove(va);
    if (area.object !== null) this.system.store.unlink(area.object);
  }

  /** Merge `area` with compatible neighbours; returns the area that now covers it. */
  #mergeAround(area: Area): Area {
    let a = area;
    const i = this.#areas.floorIndex(a.start);
    const prev = i > 0 ? this.#areas.at(i - 1) : undefined;
    if (prev !== undefined && this.#tryMerge(prev, a)) a = prev;
    const next = this.#areas.at(this.#areas.floorIndex(a.start) + 1);
    if (next !== undefined) this.#tryMerge(a, next);
    return a;
  }

  /** Merge `b` into `a` when they are adjacent and compatible (`vma_merge`). */
  #tryMerge(a: Area, b: Area): boolean {
    if (a.end !== b.start || a.prot !== b.prot || a.sharing !== b.sharing || a.name !== b.name) return false;
    if (a.sharing === "shared") {
      if (a.object !== b.object || b.offset !== a.offset + a.pages) return false;
      this.system.store.unlink(b.object!);
    } else if (a.sharing === "private") {
      if (!this.system.strategy.join(this, a, b)) return false;
    }
    this.#areas.remove(b);
    a.pages += b.pages;
    return true;
  }

  #live(call: string): void {
    if (this.#destroyed) throw new SpaceStateError(`${call}: space ${this.id} was destroyed`);
  }
}

function checkRange(call: string, va: number, length: number): void {
  if (!Number.isSafeInteger(va) || va % PAGE_SIZE !== 0) {
    throw new AddressRangeError(`${call}: address is not 4 KiB aligned`);
  }
  if (!Number.isSafeInteger(length) || length <= 0 || length % PAGE_SIZE !== 0) {
    throw new AddressRangeError(`${call}: length must be a positive multiple of 4096`);
  }
  if (va < USER_START || va + length > USER_END) {
    throw new AddressRangeError(`${call}: range leaves user space [0x1000, 0x7ffffffff000)`);
  }
}

function checkProt(call: string, prot: number): void {
  if (!Number.isInteger(prot) || prot < 0 || prot > 7) {
    throw new VmArgumentError(`${call}: prot ${prot} is not a combination of PROT_READ|PROT_WRITE|PROT_EXEC`);
  }
}
