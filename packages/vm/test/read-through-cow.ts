/**
 * A third copy-on-write strategy for the law tests: page reference counts as `RefcountCow` (the
 * xv6 lab), but a private mapping of an object reads *through* to it until the first write, as
 * Linux maps a MAP_PRIVATE file: a read fault maps the object's own page read-only, and a write
 * copies it into a counted frame. It is what a student who follows docs/labs.md writes, and its
 * hooks are where the student's mistakes were (`test/cow.test.ts` plants them):
 *
 * | hook                 | right                                 | the planted mistake                     |
 * | -------------------- | ------------------------------------- | --------------------------------------- |
 * | `linkBacking`        | `sys.store.link(backing)`             | no link: the area holds the object free |
 * | `objectPageWritable` | false: a write must copy first        | the area's write right: writes reach it |
 * | `firstWriteSource`   | the object's page                     | `null`: a zero page instead of a copy   |
 *
 * A leaf whose frame has no share count maps an object's page; every other leaf maps a counted
 * frame. Fork shares the counted leaves (the child faults object pages in on demand).
 *
 * Related: `../src/cow/refcount.ts`, `../src/laws/cow-commands.ts` (the model of a private
 * mapping of a segment).
 */
import { type Area, PROT_EXEC, PROT_WRITE } from "../src/areas/area.js";
import type { CowStats, CowStrategy, PrivatePart } from "../src/cow/api.js";
import type { VmObject } from "../src/objects/vm-object.js";
import type { AddressSpace } from "../src/space/address-space.js";
import type { FaultOutcome } from "../src/space/api.js";
import type { VmSystem } from "../src/space/vm-system.js";

/** Page refcounts, with private mappings of objects read through until written (see the banner). */
export class ReadThroughCow implements CowStrategy {
  readonly name: string = "read-through";
  #copies = 0;
  #reuses = 0;
  #zeroFills = 0;

  /** The area's link on its backing object. */
  protected linkBacking(sys: VmSystem, backing: VmObject): void {
    sys.store.link(backing);
  }

  /** Whether a read fault maps an object's page writable. */
  protected objectPageWritable(_area: Area): boolean {
    return false;
  }

  /** The frame a first write copies (`null`: zeroes). */
  protected firstWriteSource(objectFrame: number | null): number | null {
    return objectFrame;
  }

  createPrivate(sys: VmSystem, _pages: number, backing: VmObject | null, offset: number): PrivatePart {
    if (backing !== null) this.linkBacking(sys, backing);
    return { object: backing, offset };
  }

  fault(space: AddressSpace, area: Area, va: number, write: boolean): FaultOutcome {
    const sys = space.system;
    const rights = { noExecute: (area.prot & PROT_EXEC) === 0 };
    const leaf = space.pmap.lookup(va);
    if (leaf !== null) {
      if (!write) return { kind: "resolved", how: "spurious", frame: leaf.frame };
      const count = sys.refs.count(leaf.frame);
      if (count === 1) {
        space.pmap.protect(va, { writable: true, ...rights });
        this.#reuses++;
        return { kind: "resolved", how: "reuse", frame: leaf.frame };
      }
      // Shared with another space (count > 1) or an object's page (count 0): copy it.
      const copy = this.#counted(sys, leaf.frame);
      if (copy === null) return { kind: "oom", va };
      if (!space.pmap.enter(va, copy, { writable: true, ...rights })) {
        sys.refs.release(copy);
        return { kind: "oom", va };
      }
      if (count > 1) sys.refs.release(leaf.frame);
      this.#copies++;
      return { kind: "resolved", how: "copy", frame: copy };
    }
    const obj = area.object;
    const index = area.offset + area.pageOf(va);
    const hit = obj === null ? null : sys.store.lookup(obj, index);
    if (obj !== null && !write) {
      // Read through: the object's page (zero-filled there if it has none).
      const frame = hit !== null ? hit.frame : sys.store.zeroFill(obj, index);
      if (frame === null) return { kind: "oom", va };
      const writable = this.objectPageWritable(area) && (area.prot & PROT_WRITE) !== 0;
      if (!space.pmap.enter(va, frame, { writable, ...rights })) return { kind: "oom", va };
      return { kind: "resolved", how: "map", frame };
    }
    const from = hit === null ? null : this.firstWriteSource(hit.frame);
    const frame = this.#counted(sys, from);
    if (frame === null) return { kind: "oom", va };
    if (!space.pmap.enter(va, frame, { writable: (area.prot & PROT_WRITE) !== 0, ...rights })) {
      sys.refs.release(frame);
      return { kind: "oom", va };
    }
    if (from === null) this.#zeroFills++;
    else this.#copies++;
    return { kind: "resolved", how: from === null ? "zero-fill" : "copy", frame };
  }

  fork(parent: AddressSpace, area: Area, child: AddressSpace): PrivatePart | null {
    const sys = parent.system;
    for (const [va, leaf] of parent.pmap.leaves(area.start, area.end)) {
      if (sys.refs.count(leaf.frame) === 0) continue; // an object's page: the child reads it on demand
      const shared = { writable: false, noExecute: leaf.noExecute, kernelOnly: !leaf.user, cow: true };
      if (!child.pmap.enter(va, leaf.frame, shared)) {
        // The child's area will not exist: take back what it got, then the caller destroys it.
        for (const [cva, given] of child.pmap.leaves(area.start, area.end)) {
          child.pmap.remove(cva);
          sys.refs.release(given.frame);
        }
        return null;
      }
      sys.refs.share(leaf.frame);
      if (leaf.writable) parent.pmap.protect(va, shared);
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
    for (const [va, leaf] of space.pmap.leaves(area.start, area.end)) {
      if (!exiting) space.pmap.remove(va);
      if (sys.refs.count(leaf.frame) > 0) sys.refs.release(leaf.frame);
    }
    if (area.object !== null) sys.store.unlink(area.object);
  }

  checkArea(): void {
    // The laws do not rely on it (a student's may be empty): World.check does not trust it.
  }

  stats(): CowStats {
    return { copies: this.#copies, reuses: this.#reuses, zeroFills: this.#zeroFills, maxChain: 1 };
  }

  /** A fresh counted frame (count 1): zeroed, or a copy of `from`; `null` when out of memory. */
  #counted(sys: VmSystem, from: number | null): number | null {
    const f = sys.refs.alloc();
    if (f === null) return null;
    if (from === null) sys.memory.zeroFrame(f);
    else sys.memory.copyFrame(f, from);
    return f;
  }
}
