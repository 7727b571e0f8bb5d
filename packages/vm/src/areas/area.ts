/**
 * A VM area: one contiguous range of pages of an address space with one protection and one
 * backing, Linux's `vm_area_struct`, Codezero's `vm_area`, Lunaix's `mm_region`.
 *
 * ```
 *   start                                         end = start + pages·4096
 *   ├── page 0 ──┼── page 1 ──┼── … ──┼── page n-1 ──┤
 *   object page: offset       offset+1        offset+n-1
 * ```
 *
 * Invariants (checked by the area set and the address space):
 * - `start` is 4 KiB aligned, `pages ≥ 1`, and the area lies in the lower canonical half
 *   (user space, below 2^47: Intel SDM 4.5, canonical addresses);
 * - a private area links its own exclusive object chain (shadow strategy), or only the object it
 *   reads through, if any (refcount strategy, where the page table is the record, as in xv6);
 * - a shared area links an object that other areas, in this or other spaces, may link too: the
 *   object knows every area that maps it, and so every space (jsix's VMA keeps that list).
 *
 * Related: `area-set.ts` (the ordered set), `../space/address-space.ts` (map, unmap, protect).
 */

import { PAGE_SIZE } from "../objects/api.js";
import type { VmObject } from "../objects/vm-object.js";

/** Protection bits, as POSIX `PROT_*`: a bitwise or of {@link PROT_READ}, {@link PROT_WRITE}, {@link PROT_EXEC}. */
export type Prot = number;
/** No access (a guard page, or `mprotect(PROT_NONE)`). */
export const PROT_NONE = 0;
/** Pages may be read. On x86-64 every present page is readable (Intel SDM 4.6). */
export const PROT_READ = 1;
/** Pages may be written: the leaf entry gets R/W (bit 1) once the page is private to the area. */
export const PROT_WRITE = 2;
/** Instructions may be fetched: the leaf entry has XD (bit 63) clear (Intel SDM 4.6, with EFER.NXE=1). */
export const PROT_EXEC = 4;

/** How an area shares its pages. */
export type AreaSharing =
  /** Copy-on-write after fork; writes are never seen by other spaces (`MAP_PRIVATE`). */
  | "private"
  /** Writes are seen by every area that links the same object (`MAP_SHARED`, shm segments, MMIO). */
  | "shared"
  /** No memory: any access faults as a violation (a stack guard). */
  | "guard";

/**
 * One area of one address space. Fields are public for reading (tests, dumps); only the address
 * space changes them.
 */
export class Area {
  /** First virtual address (4 KiB aligned). */
  start: number;
  /** Length in pages (≥ 1). */
  pages: number;
  /** Current protection ({@link Prot}). */
  prot: Prot;
  /** Private, shared or guard. */
  readonly sharing: AreaSharing;
  /** The object the area links (see the banner for which), or `null`. */
  object: VmObject | null;
  /** Page index in `object` of the area's first page. */
  offset: number;
  /** Identifier of the address space the area belongs to. */
  readonly spaceId: number;
  /** A name for dumps (`"[stack]"`, `"shm:/frame"`, `"anon"`). */
  readonly name: string;

  /** @internal Areas are created by the address space. */
  constructor(
    spaceId: number,
    start: number,
    pages: number,
    prot: Prot,
    sharing: AreaSharing,
    object: VmObject | null,
    offset: number,
    name: string,
  ) {
    this.spaceId = spaceId;
    this.start = start;
    this.pages = pages;
    this.prot = prot;
    this.sharing = sharing;
    this.object = object;
    this.offset = offset;
    this.name = name;
  }

  /** One past the last byte: `start + pages · 4096`. */
  get end(): number {
    return this.start + this.pages * PAGE_SIZE;
  }

  /** Whether `va` lies in the area. */
  contains(va: number): boolean {
    return va >= this.start && va < this.end;
  }

  /** The page index within the area of `va` (0 for the first page). */
  pageOf(va: number): number {
    return Math.floor((va - this.start) / PAGE_SIZE);
  }

  /** `/proc/<pid>/maps`-style line, e.g. `0000400000-0000403000 rw-p anon`. */
  toString(): string {
    const p =
      ((this.prot & PROT_READ) !== 0 ? "r" : "-") +
      ((this.prot & PROT_WRITE) !== 0 ? "w" : "-") +
      ((this.prot & PROT_EXEC) !== 0 ? "x" : "-") +
      (this.sharing === "shared" ? "s" : this.sharing === "guard" ? "g" : "p");
    return `${hex10(this.start)}-${hex10(this.end)} ${p} ${this.name}`;
  }
}

function hex10(v: number): string {
  return v.toString(16).padStart(10, "0");
}
