/**
 * Option and result types of address spaces (`address-space.ts`) and the VM system that owns them
 * (`vm-system.ts`).
 *
 * The user part of a 4-level x86-64 address space is the lower canonical half, 0 to 2^47
 * (Intel SDM 4.5: bits 63:47 of a canonical address are all equal). Like Linux we keep page 0
 * unmapped (a NULL dereference faults) and end one page below 2^47:
 *
 * ```
 *   0x0000_0000_0000  ┬ page 0: never mapped
 *   0x0000_0000_1000  ┼ USER_START
 *                     │ areas (map anywhere searches upwards from the hint)
 *   0x7fff_ffff_f000  ┼ USER_END (Linux's TASK_SIZE)
 *   0x8000_0000_0000  ┴ non-canonical hole, then the kernel half
 * ```
 */
import type { Area, AreaSharing, Prot } from "../areas/area.js";
import type { VmObject } from "../objects/vm-object.js";

/** Lowest user address an area may start at (page 0 stays unmapped). */
export const USER_START = 0x1000;
/** One past the highest user address: 2^47 - 4096. */
export const USER_END = 2 ** 47 - 0x1000;

/** Where {@link MapOptions} places a new area. */
export type Placement =
  /** Exactly at `va`. With `replace` (the default, `MAP_FIXED`) whatever overlaps is unmapped first; without it (`MAP_FIXED_NOREPLACE`) an overlap is a result. */
  | { readonly kind: "fixed"; readonly va: number; readonly replace?: boolean }
  /** The first free range at or above `va`, else the first from the bottom (Lunaix). */
  | { readonly kind: "hint"; readonly va: number }
  /** The first free range from the bottom of user space. */
  | { readonly kind: "anywhere" };

/** Options of `AddressSpace.map`. */
export interface MapOptions {
  /** Length in bytes: a positive multiple of 4096. */
  readonly length: number;
  /** Protection ({@link Prot}). */
  readonly prot: Prot;
  /** Placement. Default `{ kind: "anywhere" }`. */
  readonly placement?: Placement;
  /**
   * `private` (copy-on-write after fork; writes never reach `object`), `shared` (writes reach
   * `object` and every other mapping of it) or `guard` (no memory: every access faults). Default
   * `private`.
   */
  readonly sharing?: AreaSharing;
  /**
   * The object to map: for `shared`, the object itself (a new anonymous object when omitted: shared
   * anonymous memory); for `private`, an object to read through until written (demand-zero
   * memory when omitted). The area takes its own link; the caller keeps theirs.
   */
  readonly object?: VmObject;
  /** Page offset in `object` of the area's first page. Default 0. */
  readonly offset?: number;
  /** Name in dumps, e.g. `"[heap]"`. Default `"anon"` (or `"guard"`). */
  readonly name?: string;
}

/** Outcome of `AddressSpace.map`. */
export type MapOutcome =
  | { readonly kind: "mapped"; readonly va: number; readonly area: Area }
  /** No free range of the requested length (ENOMEM). */
  | { readonly kind: "no-space" }
  /** `fixed` without `replace` and the range overlaps this area (EEXIST). */
  | { readonly kind: "exists"; readonly area: Area };

/** Outcome of `AddressSpace.unmap`. */
export type UnmapOutcome =
  | { readonly kind: "unmapped"; readonly pages: number }
  /** No page of the range was mapped; nothing changed. */
  | { readonly kind: "not-mapped" };

/** Outcome of `AddressSpace.protect`. */
export type ProtectOutcome =
  | { readonly kind: "protected"; readonly pages: number }
  /** Page `va` of the range is not in any area (Linux's ENOMEM); nothing changed. */
  | { readonly kind: "not-mapped"; readonly va: number };

/** The kind of a memory access. */
export type AccessType = "read" | "write" | "exec";

/** How a resolved fault was resolved. */
export type FaultResolution =
  /** A fresh zeroed page (demand-zero). */
  | "zero-fill"
  /** A private copy of a shared page (copy-on-write). */
  | "copy"
  /** A shared-looking page nobody else holds: made writable without a copy. */
  | "reuse"
  /** An existing page (from the object, or a device frame) was mapped. */
  | "map"
  /** The leaf already allowed the access (another CPU resolved it first, or a stale TLB entry). */
  | "spurious";

/** Outcome of `AddressSpace.handleFault`: what the kernel does next. */
export type FaultOutcome =
  | { readonly kind: "resolved"; readonly how: FaultResolution; readonly frame: number }
  /**
   * A violation: the kernel sends SIGSEGV. `maperr` = no area there (SEGV_MAPERR), `accerr` =
   * the area forbids the access or is a guard (SEGV_ACCERR).
   */
  | {
      readonly kind: "segv";
      readonly code: "maperr" | "accerr";
      readonly reason: "no-area" | "guard" | "protection";
      readonly va: number;
    }
  /** No frame to resolve it: the kernel kills the process (the OOM path). */
  | { readonly kind: "oom"; readonly va: number };

/** Trace events of address spaces. */
export type SpaceEvent =
  | { readonly type: "space.map"; readonly space: number; readonly va: number; readonly pages: number }
  | { readonly type: "space.unmap"; readonly space: number; readonly va: number; readonly pages: number }
  | {
      readonly type: "space.protect";
      readonly space: number;
      readonly va: number;
      readonly pages: number;
      readonly prot: number;
    }
  | {
      readonly type: "space.fault";
      readonly space: number;
      readonly va: number;
      readonly access: AccessType;
      readonly outcome: string;
    }
  | { readonly type: "space.fork"; readonly parent: number; readonly child: number }
  | { readonly type: "space.destroy"; readonly space: number };
