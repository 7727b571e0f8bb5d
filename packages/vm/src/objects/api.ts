/**
 * VM objects: what backs a range of virtual memory, independent of any address space.
 *
 * A VM object maps page indexes (0, 1, 2, … in units of 4 KiB) to physical frames. Three kinds,
 * as Mach and Codezero have them:
 *
 * | kind        | resident pages                   | a page that is not resident             |
 * | ----------- | -------------------------------- | --------------------------------------- |
 * | `anonymous` | frames it allocated itself       | demand-zero: a fresh zeroed frame        |
 * | `physical`  | none: page i is frame `base + i` | never happens (fixed frames, e.g. MMIO) |
 * | `shadow`    | the pages written since the fork | look in the object behind (`backing`)   |
 *
 * A shadow object sits in front of another object and holds the pages that were copied on
 * write; a lookup walks the chain front to back and takes the first resident page:
 *
 * ```
 *   area ──▶ shadow S2 {7}  ──▶ shadow S1 {2, 7}  ──▶ anonymous A {0, 2, 3}
 *            lookup(7) = S2's frame; lookup(2) = S1's; lookup(3) = A's; lookup(5) = none → zero
 * ```
 *
 * Related: `vm-object.ts` (the object), `object-store.ts` (creation, references, the Codezero
 * merge rules, invariants), `../cow/api.ts` (the two copy-on-write strategies built on these).
 */

/** The kind of a {@link VmObject}. */
export type VmObjectKind = "anonymous" | "physical" | "shadow";

/** Size of a page and of a frame in bytes (x86-64 4 KiB pages, Intel SDM 4.5). */
export const PAGE_SIZE = 4096;
/** log2 of {@link PAGE_SIZE}: a virtual address shifted right by 12 is its page number. */
export const PAGE_SHIFT = 12;

/**
 * Byte-level access to frames, the only thing VM objects need from physical memory: fill a fresh
 * frame with zeroes (demand-zero) and copy one frame to another (copy-on-write).
 *
 * `@osbricks/hw-x86`'s physical memory provides these.
 */
export interface ObjectMemory {
  /** Fill the 4 KiB frame `pfn` with zero bytes. */
  zeroFrame(pfn: number): void;
  /** Copy the 4 KiB frame `src` onto frame `dst`. */
  copyFrame(dst: number, src: number): void;
}

/**
 * What a lookup through a shadow chain found.
 *
 * `depth` is 0 when the page is resident in the object the lookup started from (the area's own,
 * "topmost" object), 1 in the object behind it, and so on.
 */
export interface PageHit {
  /** Frame that holds the page. */
  readonly frame: number;
  /** How many objects behind the starting object the page was found. */
  readonly depth: number;
}

/** Counters a {@link ObjectStore} keeps (for comparing copy-on-write strategies). */
export interface ObjectStoreStats {
  /** Objects alive now. */
  readonly objects: number;
  /** Of which shadow objects. */
  readonly shadows: number;
  /** Pages copied because of a write to a shared page. */
  readonly copies: number;
  /** Frames filled with zeroes on demand. */
  readonly zeroFills: number;
  /** Shadow merges done (an object left with one shadow folded into it). */
  readonly merges: number;
  /** Longest chain (objects from a top object to the end) seen so far. */
  readonly maxChain: number;
}

/** Trace events of the VM-object layer. */
export type VmObjectEvent =
  | {
      readonly type: "vmobj.create";
      readonly id: number;
      readonly kind: VmObjectKind;
      readonly backing: number;
    }
  | { readonly type: "vmobj.destroy"; readonly id: number; readonly freedFrames: number }
  | {
      readonly type: "vmobj.merge";
      readonly from: number;
      readonly into: number;
      readonly movedPages: number;
    }
  | {
      readonly type: "vmobj.copy";
      readonly id: number;
      readonly page: number;
      readonly from: number;
      readonly to: number;
    }
  | { readonly type: "vmobj.zero"; readonly id: number; readonly page: number; readonly frame: number };
