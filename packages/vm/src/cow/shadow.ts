/**
 * Shadow-object copy-on-write, as Mach and Codezero do it.
 *
 * A private area links the front object of a chain. Fork puts two fresh shadows in front of that
 * object, one for the parent's area and one for the child's; the parent's writable leaves become
 * read-only (the child starts with no leaves at all and faults everything in). A write fault copies
 * the page into the front shadow; a read fault maps whatever the chain has, read-only unless it is
 * the front object's own page. When one side exits, the object behind is left with one shadow and
 * is merged into it (`ObjectStore`'s Codezero rules), so repeated fork + exit keeps chains short:
 *
 * ```
 *   fork            parent area ─▶ P{}  ─┐                 child writes page 3
 *                   child area  ─▶ C{}  ─┴▶ A{0,1,2,3}     C{3'} (copy), P and A unchanged
 *   child exits     parent area ─▶ P{0,1,2,3}   (A merged into P; C's copy freed with C)
 * ```
 *
 * Page tables here are only a cache of the chain: any leaf can be dropped and faulted back.
 *
 * Invariants ({@link ShadowCow.checkArea}): a private area's object is exclusive (one link, no
 * shadows in front) with offset 0 and exactly the area's size; every leaf maps the frame a lookup
 * finds; a writable leaf maps a page of the front object itself.
 *
 * Related: `../objects/object-store.ts`, `refcount.ts` (the other strategy), `api.ts`.
 */
import { type Area, PROT_EXEC, PROT_NONE, PROT_WRITE } from "../areas/area.js";
import { InvariantError } from "../errors.js";
import type { VmObject } from "../objects/vm-object.js";
import type { AddressSpace } from "../space/address-space.js";
import type { FaultOutcome } from "../space/api.js";
import type { VmSystem } from "../space/vm-system.js";
import type { CowStats, CowStrategy, PrivatePart } from "./api.js";

/**
 * The shadow-chain strategy (see the file banner).
 *
 * @example
 * ```ts
 * const sys = new VmSystem({ memory, frames, strategy: new ShadowCow() }); // same as strategy: "shadow"
 * const parent = sys.createSpace();
 * parent.map({ length: 0x4000, prot: PROT_READ | PROT_WRITE });
 * const child = parent.fork()!;    // two shadows in front of the parent's object
 * child.destroy();                 // the object behind merges into the parent's shadow
 * ```
 */
export class ShadowCow implements CowStrategy {
  readonly name = "shadow";
  #copies = 0;
  #reuses = 0;
  #zeroFills = 0;
  #maxChain = 1;

  createPrivate(sys: VmSystem, pages: number, backing: VmObject | null, offset: number): PrivatePart {
    const object =
      backing === null ? sys.store.createAnonymous(pages) : sys.store.createShadow(backing, offset, pages);
    return { object, offset: 0 };
  }

  fault(space: AddressSpace, area: Area, va: number, write: boolean): FaultOutcome {
    const store = space.system.store;
    const obj = area.object!;
    const idx = area.offset + area.pageOf(va);
    const chain = obj.chainLength();
    if (chain > this.#maxChain) this.#maxChain = chain;
    const hit = store.lookup(obj, idx);
    const mayWrite = (area.prot & PROT_WRITE) !== 0;
    let frame: number | null;
    let how: "zero-fill" | "map" | "reuse" | "copy";
    let writable: boolean;
    if (hit === null) {
      frame = store.zeroFill(obj, idx);
      how = "zero-fill";
      writable = mayWrite;
      if (frame !== null) this.#zeroFills++;
    } else if (!write) {
      frame = hit.frame;
      how = "map";
      writable = mayWrite && hit.depth === 0;
    } else if (hit.depth === 0) {
      frame = hit.frame;
      how = "reuse";
      writable = true;
      this.#reuses++;
    } else {
      frame = store.privatize(obj, idx);
      how = "copy";
      writable = true;
      if (frame !== null) this.#copies++;
    }
    if (frame === null) return { kind: "oom", va };
    const ok = space.pmap.enter(va, frame, {
      writable,
      noExecute: (area.prot & PROT_EXEC) === 0,
      kernelOnly: area.prot === PROT_NONE,
      cow: !writable && mayWrite,
    });
    if (!ok) return { kind: "oom", va };
    return { kind: "resolved", how, frame };
  }

  fork(parent: AddressSpace, area: Area, _child: AddressSpace): PrivatePart | null {
    const store = parent.system.store;
    const obj = area.object!;
    if (obj.kind === "anonymous" && obj.resident.size === 0) {
      // Nothing was ever touched: nothing to share, so no shadows are needed.
      return { object: store.createAnonymous(area.pages), offset: 0 };
    }
    const front = store.createShadow(obj, area.offset, area.pages);
    const childObj = store.createShadow(obj, area.offset, area.pages);
    store.unlink(obj); // the parent's area now links `front` instead
    area.object = front;
    area.offset = 0;
    for (const [va, leaf] of parent.pmap.leaves(area.start, area.end)) {
      if (leaf.writable) {
        parent.pmap.protect(va, {
          writable: false,
          noExecute: leaf.noExecute,
          kernelOnly: !leaf.user,
          cow: true,
        });
      }
    }
    return { object: childObj, offset: 0 };
  }

  split(space: AddressSpace, area: Area, at: number): PrivatePart {
    return { object: space.system.store.split(area.object!, area.offset + at), offset: 0 };
  }

  join(space: AddressSpace, a: Area, b: Area): boolean {
    return space.system.store.join(a.object!, b.object!);
  }

  drop(space: AddressSpace, area: Area, exiting: boolean): void {
    // Leaves only cache the chain: when the space is exiting its tables just go.
    if (!exiting) for (const [va] of space.pmap.leaves(area.start, area.end)) space.pmap.remove(va);
    space.system.store.unlink(area.object!);
  }

  checkArea(space: AddressSpace, area: Area): void {
    const store = space.system.store;
    const obj = area.object;
    if (obj === null) throw new InvariantError(`private area ${area} links no object`);
    if (!store.isExclusive(obj)) throw new InvariantError(`private area ${area}: ${obj} is not exclusive`);
    if (area.offset !== 0 || obj.pages !== area.pages) {
      throw new InvariantError(
        `private area ${area}: ${obj} at offset ${area.offset} does not match the area`,
      );
    }
    for (const [va, leaf] of space.pmap.leaves(area.start, area.end)) {
      const hit = store.lookup(obj, area.pageOf(va));
      if (hit === null || hit.frame !== leaf.frame) {
        throw new InvariantError(
          `leaf of 0x${va.toString(16)} maps frame ${leaf.frame}, the chain has ${hit?.frame ?? "none"}`,
        );
      }
      if (leaf.writable && hit.depth !== 0) {
        throw new InvariantError(
          `leaf of 0x${va.toString(16)} is writable but its page is ${hit.depth} objects behind`,
        );
      }
    }
  }

  stats(): CowStats {
    return {
      copies: this.#copies,
      reuses: this.#reuses,
      zeroFills: this.#zeroFills,
      maxChain: this.#maxChain,
    };
  }
}
