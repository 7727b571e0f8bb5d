/**
 * Page-refcount copy-on-write, the xv6 COW lab and Lunaix way: there are no shadow objects; the
 * page-table leaf is the only record of a private page, and each frame counts the leaves that map
 * it (`FrameRefCounts`).
 *
 * - fork copies the parent's leaves of each private area (`cowCopyRange`, a table at a time): a
 *   writable leaf becomes read-only with the COW mark (bit 9) in both, the frame's count grows;
 * - a write fault on a read-only leaf of a writable area calls `cowWriteFault`: count 1 → the
 *   leaf just becomes writable again (reuse), count > 1 → copy to a fresh frame;
 * - a fault on a missing leaf takes a fresh frame: zeroed, or a copy of the backing object's page
 *   for a private mapping of a segment or device (copied at first touch, even for a read: the leaf
 *   must always hold a counted frame of its own).
 *
 * ```
 *   parent leaf ─┐
 *                ├──▶ frame 0x123 (count 2) ── child writes ──▶ child leaf ──▶ 0x456 (count 1)
 *   child leaf ──┘                                              parent leaf ──▶ 0x123 (count 1)
 * ```
 *
 * Invariants ({@link RefcountCow.checkArea}, and `VmSystem.checkInvariants` counting leaves in
 * every space): a frame's count equals the number of leaves mapping it; a writable leaf's count
 * is 1.
 *
 * Related: `pte-cow.ts` (the leaf-level fault, shared with the cowfork benchmark), `shadow.ts`.
 */
import { type Area, PROT_EXEC, PROT_NONE, PROT_WRITE } from "../areas/area.js";
import { InvariantError } from "../errors.js";
import type { VmObject } from "../objects/vm-object.js";
import type { AddressSpace } from "../space/address-space.js";
import type { FaultOutcome } from "../space/api.js";
import type { VmSystem } from "../space/vm-system.js";
import type { CowStats, CowStrategy, PrivatePart } from "./api.js";
import { cowCopyRange, cowWriteFault, releaseRange } from "./pte-cow.js";

/**
 * The page-refcount strategy (see the file banner).
 *
 * @example
 * ```ts
 * const sys = new VmSystem({ memory, frames, strategy: "refcount" });
 * const parent = sys.createSpace();
 * parent.map({ length: 0x4000, prot: PROT_READ | PROT_WRITE });
 * const child = parent.fork()!;    // leaves copied read-only + COW, counts 2
 * ```
 */
export class RefcountCow implements CowStrategy {
  readonly name = "refcount";
  #copies = 0;
  #reuses = 0;
  #zeroFills = 0;

  createPrivate(sys: VmSystem, _pages: number, backing: VmObject | null, offset: number): PrivatePart {
    if (backing !== null) sys.store.link(backing);
    return { object: backing, offset };
  }

  fault(space: AddressSpace, area: Area, va: number, write: boolean): FaultOutcome {
    const sys = space.system;
    const leaf = space.pmap.lookup(va);
    if (leaf !== null) {
      // A present leaf faults only for a write to a read-only (shared or once read-only) page.
      if (!write) return { kind: "resolved", how: "spurious", frame: leaf.frame };
      const nf = cowWriteFault(sys.pteContext, leaf.table, leaf.index);
      if (nf < 0) return { kind: "oom", va };
      space.pmap.touched(va);
      if (nf === leaf.frame) {
        this.#reuses++;
        return { kind: "resolved", how: "reuse", frame: nf };
      }
      this.#copies++;
      return { kind: "resolved", how: "copy", frame: nf };
    }
    const nf = sys.refs.alloc();
    if (nf === null) return { kind: "oom", va };
    const hit = area.object === null ? null : sys.store.lookup(area.object, area.offset + area.pageOf(va));
    if (hit === null) {
      sys.memory.zeroFrame(nf);
      this.#zeroFills++;
    } else {
      sys.memory.copyFrame(nf, hit.frame);
      this.#copies++;
    }
    const ok = space.pmap.enter(va, nf, {
      writable: (area.prot & PROT_WRITE) !== 0,
      noExecute: (area.prot & PROT_EXEC) === 0,
      kernelOnly: area.prot === PROT_NONE,
    });
    if (!ok) {
      sys.refs.release(nf);
      return { kind: "oom", va };
    }
    return { kind: "resolved", how: hit === null ? "zero-fill" : "copy", frame: nf };
  }

  fork(parent: AddressSpace, area: Area, child: AddressSpace): PrivatePart | null {
    const sys = parent.system;
    const n = cowCopyRange(sys.pteContext, parent.pmap.rootFrame, child.pmap.mapper, area.start, area.end);
    if (n !== 0) parent.pmap.touchedAll(); // writable leaves lost R/W: flush the parent's TLBs
    if (n < 0) {
      // Out of page-table frames. The child's area for this range will not exist: take back the
      // leaves given so far, then the caller destroys the child.
      for (const [va, leaf] of child.pmap.leaves(area.start, area.end)) {
        child.pmap.remove(va);
        sys.refs.release(leaf.frame);
      }
      return null;
    }
    if (area.object !== null) sys.store.link(area.object);
    return { object: area.object, offset: area.offset };
  }

  split(space: AddressSpace, area: Area, at: number): PrivatePart {
    if (area.object !== null) space.system.store.link(area.object);
    return { object: area.object, offset: area.offset + at };
  }

  join(space: AddressSpace, a: Area, b: Area): boolean {
    if (a.object !== b.object) return false;
    if (b.object === null) return true;
    if (b.offset !== a.offset + a.pages) return false;
    space.system.store.unlink(b.object);
    return true;
  }

  drop(space: AddressSpace, area: Area, exiting: boolean): void {
    const sys = space.system;
    if (exiting) {
      // The tables are freed right after: clear the leaves in place, a table at a time.
      releaseRange(sys.pteContext, space.pmap.rootFrame, area.start, area.end);
    } else {
      for (const [va, leaf] of space.pmap.leaves(area.start, area.end)) {
        space.pmap.remove(va);
        sys.refs.release(leaf.frame);
      }
    }
    if (area.object !== null) sys.store.unlink(area.object);
  }

  checkArea(space: AddressSpace, area: Area): void {
    const refs = space.system.refs;
    for (const [va, leaf] of space.pmap.leaves(area.start, area.end)) {
      const c = refs.count(leaf.frame);
      if (c < 1)
        throw new InvariantError(`leaf of 0x${va.toString(16)} maps frame ${leaf.frame} with count 0`);
      if (leaf.writable && c !== 1) {
        throw new InvariantError(
          `leaf of 0x${va.toString(16)} is writable but frame ${leaf.frame} has count ${c}`,
        );
      }
    }
  }

  stats(): CowStats {
    return {
      copies: this.#copies,
      reuses: this.#reuses,
      zeroFills: this.#zeroFills,
      maxChain: 1,
    };
  }
}
