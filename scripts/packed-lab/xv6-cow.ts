/**
 * A student's copy-on-write fork, the xv6 COW lab, written outside this repository from the
 * published packages only (`@osbricks/vm`'s `CowStrategy` and its TSDoc, the vm README, and
 * docs/labs.md). `pnpm run check:packed` type-checks it against the packed declarations and runs
 * `runCowStrategyLaws` on it, as a course would.
 *
 * The design is xv6's: no VM objects for private memory, the page-table leaf is the record and
 * every private frame carries a share count (`sys.refs`). Fork copies leaves, not pages; a write
 * to a shared leaf copies only while someone else still holds the frame:
 *
 * ```
 *   before fork   parent 0x10000 → frame 2, R/W            count(2) = 1
 *   fork          parent 0x10000 → frame 2, read-only+COW  count(2) = 2
 *                 child  0x10000 → frame 2, read-only+COW
 *   child writes  count 2 > 1: copy to frame 17, child → 17 R/W, count(2) = 1
 *   parent writes count 1: nobody else holds frame 2: make the leaf R/W again, no copy ("reuse")
 * ```
 *
 * A private area that reads through an object (a private mapping of a shared-memory segment) maps
 * the object's page read-only until the first write copies it into a counted frame; such a leaf
 * is recognised by its frame having no count. The address space flushes the pmap after every call
 * into the strategy, so editing leaves through `pmap.enter`/`protect`/`remove` is enough for the
 * TLB shootdowns.
 */
import {
  type AddressSpace,
  type Area,
  type CowStats,
  type CowStrategy,
  type FaultOutcome,
  PROT_EXEC,
  PROT_WRITE,
  type PrivatePart,
  type VmObject,
  type VmSystem,
} from "@osbricks/vm";

const PAGE_SIZE = 4096;

/** The xv6 lab's strategy: page reference counts, the leaf as the record. */
export class Xv6Cow implements CowStrategy {
  readonly name = "student-xv6";
  private copies = 0;
  private reuses = 0;
  private zeroFills = 0;

  createPrivate(sys: VmSystem, _pages: number, backing: VmObject | null, offset: number): PrivatePart {
    if (backing === null) return { object: null, offset: 0 };
    sys.store.link(backing); // the area's own link
    return { object: backing, offset };
  }

  fault(space: AddressSpace, area: Area, va: number, write: boolean): FaultOutcome {
    const sys = space.system;
    const page = va - (va % PAGE_SIZE);
    const noExecute = (area.prot & PROT_EXEC) === 0;
    const leaf = space.pmap.lookup(page);
    if (leaf !== null) {
      if (!write || leaf.writable) return { kind: "resolved", how: "spurious", frame: leaf.frame };
      const count = sys.refs.count(leaf.frame);
      if (count === 1) {
        space.pmap.protect(page, { writable: true, noExecute });
        this.reuses++;
        return { kind: "resolved", how: "reuse", frame: leaf.frame };
      }
      // Shared with another space (count > 1), or an object's page (count 0): copy it.
      const copy = this.counted(sys, leaf.frame);
      if (copy === null || !this.enter(space, page, copy, true, noExecute)) return { kind: "oom", va };
      if (count > 1) sys.refs.release(leaf.frame);
      this.copies++;
      return { kind: "resolved", how: "copy", frame: copy };
    }
    if (area.object !== null) {
      const index = area.offset + area.pageOf(va);
      const hit = sys.store.lookup(area.object, index);
      if (!write) {
        // Read through: the object's page, read-only, so a later write still copies it.
        const frame = hit !== null ? hit.frame : sys.store.zeroFill(area.object, index);
        if (frame === null || !space.pmap.enter(page, frame, { writable: false, noExecute }))
          return { kind: "oom", va };
        return { kind: "resolved", how: "map", frame };
      }
      const frame = this.counted(sys, hit === null ? null : hit.frame);
      if (frame === null || !this.enter(space, page, frame, true, noExecute)) return { kind: "oom", va };
      if (hit === null) this.zeroFills++;
      else this.copies++;
      return { kind: "resolved", how: hit === null ? "zero-fill" : "copy", frame };
    }
    // Demand-zero: the page is this space's alone, writable at once if the area allows writes.
    const frame = this.counted(sys, null);
    const writable = (area.prot & PROT_WRITE) !== 0;
    if (frame === null || !this.enter(space, page, frame, writable, noExecute)) return { kind: "oom", va };
    this.zeroFills++;
    return { kind: "resolved", how: "zero-fill", frame };
  }

  fork(parent: AddressSpace, area: Area, child: AddressSpace): PrivatePart | null {
    const sys = parent.system;
    for (const [va, leaf] of parent.pmap.leaves(area.start, area.end)) {
      if (sys.refs.count(leaf.frame) === 0) continue; // an object's page: the child reads it on demand
      const shared = { writable: false, noExecute: leaf.noExecute, kernelOnly: !leaf.user, cow: true };
      if (!child.pmap.enter(va, leaf.frame, shared)) {
        // No frame for a page table. The child's area for this range will not exist, so its
        // destroy would not see these leaves: take them back here, then the caller destroys it.
        for (const [cva, given] of child.pmap.leaves(area.start, area.end)) {
          child.pmap.remove(cva);
          sys.refs.release(given.frame);
        }
        return null;
      }
      sys.refs.share(leaf.frame);
      if (leaf.writable) parent.pmap.protect(va, shared);
    }
    if (area.object !== null) sys.store.link(area.object); // the child's area's link
    return { object: area.object, offset: area.offset };
  }

  split(space: AddressSpace, area: Area, at: number): PrivatePart {
    if (area.object === null) return { object: null, offset: 0 };
    space.system.store.link(area.object); // the tail's own link
    return { object: area.object, offset: area.offset + at };
  }

  join(_space: AddressSpace, a: Area, b: Area): boolean {
    return a.object === null && b.object === null; // nothing to merge: leaves are the record
  }

  drop(space: AddressSpace, area: Area, exiting: boolean): void {
    const sys = space.system;
    for (const [va, leaf] of space.pmap.leaves(area.start, area.end)) {
      if (!exiting) space.pmap.remove(va);
      if (sys.refs.count(leaf.frame) > 0) sys.refs.release(leaf.frame);
    }
    if (area.object !== null) sys.store.unlink(area.object);
  }

  checkArea(space: AddressSpace, area: Area): void {
    for (const [va, leaf] of space.pmap.leaves(area.start, area.end)) {
      const count = space.system.refs.count(leaf.frame);
      if (leaf.writable && (count !== 1 || leaf.cow)) {
        throw new Error(
          `${area}: 0x${va.toString(16)} is writable but frame ${leaf.frame} has count ${count}`,
        );
      }
    }
  }

  stats(): CowStats {
    return { copies: this.copies, reuses: this.reuses, zeroFills: this.zeroFills, maxChain: 1 };
  }

  /** A fresh counted frame (count 1): zeroed, or a copy of frame `from`; null when memory is out. */
  private counted(sys: VmSystem, from: number | null): number | null {
    const frame = sys.refs.alloc();
    if (frame === null) return null;
    if (from === null) sys.memory.zeroFrame(frame);
    else sys.memory.copyFrame(frame, from);
    return frame;
  }

  /** Map a counted frame; on failure (no frame for a page table) give it back. */
  private enter(space: AddressSpace, page: number, frame: number, writable: boolean, noExecute: boolean) {
    if (space.pmap.enter(page, frame, { writable, noExecute })) return true;
    space.system.refs.release(frame);
    return false;
  }
}
