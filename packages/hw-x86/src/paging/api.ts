/**
 * The page-table mapper interface and its result types.
 *
 * A mapper edits one page-table tree that lives in simulated physical memory: it maps a virtual
 * page of 4 KiB, 2 MiB or 1 GiB to a physical frame, unmaps it, changes its flags, and answers
 * "what does this address map to" with a software walk that changes nothing. `Mapper`
 * (mapper.ts) implements it; a student's own implementation (the xv6 `mappages`/`walk` lab) can be
 * checked with `runMapperLaws` from `@osbricks/hw-x86/laws`.
 *
 * Outcomes that a kernel must handle are returned, not thrown (CONTRIBUTING.md, "Errors"):
 * a page already mapped, a huge page in the way, no frame left for a table. Every change that
 * leaves a stale translation possible says so with a {@link TlbFlush} obligation in its result —
 * the same idea as the x86_64 crate's must-use flush token — so a forgotten `invlpg` is visible in
 * code, and the TLB model (src/tlb) really keeps the stale entry until it is invalidated.
 */
import type { PhysAddr } from "../memory/address.js";
import type { PageSize, PagingLevel, VirtAddr } from "./virtual-address.js";

/** The attributes a caller chooses for a mapping; omitted flags are off (0). */
export interface MapFlags {
  /** R/W: writes allowed. */
  readonly writable?: boolean;
  /** U/S: user-mode accesses allowed. */
  readonly user?: boolean;
  /** XD: instruction fetches fault (needs EFER.NXE). */
  readonly noExecute?: boolean;
  /** G: the translation survives CR3 writes (needs CR4.PGE). */
  readonly global?: boolean;
  /** PWT (memory type selection with PCD and PAT). */
  readonly writeThrough?: boolean;
  /** PCD. */
  readonly cacheDisable?: boolean;
  /** PAT bit (bit 7 of a PTE, bit 12 of a large page). */
  readonly pat?: boolean;
  /** Protection key 0..15 (bits 62:59; used with CR4.PKE). */
  readonly protectionKey?: number;
  /** Software bits 11:9, 0..7 (e.g. a copy-on-write mark). */
  readonly available?: number;
  /** Software bits 58:52, 0..127. */
  readonly availableHigh?: number;
}

/** Every attribute of a present leaf, as the mapper reads it back (A and D are set by the MMU). */
export interface LeafFlags {
  /** R/W. */
  readonly writable: boolean;
  /** U/S. */
  readonly user: boolean;
  /** XD. */
  readonly noExecute: boolean;
  /** G. */
  readonly global: boolean;
  /** PWT. */
  readonly writeThrough: boolean;
  /** PCD. */
  readonly cacheDisable: boolean;
  /** PAT. */
  readonly pat: boolean;
  /** Protection key. */
  readonly protectionKey: number;
  /** Software bits 11:9. */
  readonly available: number;
  /** Software bits 58:52. */
  readonly availableHigh: number;
  /** A: set by the MMU when the page was used. */
  readonly accessed: boolean;
  /** D: set by the MMU when the page was written. */
  readonly dirty: boolean;
}

/** New attributes for {@link PageTableMapper.protect}: permissions as in {@link MapFlags}; A/D kept unless given. */
export interface ProtectFlags extends MapFlags {
  /** Set or clear A (e.g. a clock algorithm clearing it); kept when omitted. */
  readonly accessed?: boolean;
  /** Set or clear D (e.g. after writing a page back); kept when omitted. */
  readonly dirty?: boolean;
}

/**
 * What the caller must invalidate after a change, on every CPU that may cache the translation.
 * `none`: the change only made a not-present entry present (SDM 4.10.4.3: no TLB caches a
 * not-present entry). `page`: execute INVLPG for `va` (it also drops paging-structure caches, which
 * covers freed tables); `global` says the old entry was global, so a CR3 write would not drop it.
 */
export type TlbFlush =
  | { readonly kind: "none" }
  | { readonly kind: "page"; readonly va: VirtAddr; readonly size: PageSize; readonly global: boolean };

/** A present mapping. */
export interface Mapping {
  /** First virtual address of the page. */
  readonly va: VirtAddr;
  /** First physical address of the page frame. */
  readonly pa: PhysAddr;
  /** Page size. */
  readonly size: PageSize;
  /** The leaf's attributes. */
  readonly flags: LeafFlags;
}

/** The result of {@link PageTableMapper.translate}: the mapping and the byte's physical address. */
export interface Translation extends Mapping {
  /** Physical address of the byte at the queried virtual address. */
  readonly paOfByte: PhysAddr;
}

/** Outcome of {@link PageTableMapper.map}. */
export type MapResult =
  | { readonly kind: "mapped"; readonly flush: TlbFlush }
  /** A leaf already maps this page (at the requested level). */
  | { readonly kind: "already-mapped"; readonly existing: Mapping }
  /** A larger page already covers the address. */
  | { readonly kind: "huge-page-in-the-way"; readonly existing: Mapping }
  /** A large page was asked for where a table of smaller mappings exists. */
  | { readonly kind: "table-in-the-way"; readonly level: PagingLevel; readonly table: PhysAddr }
  /** The frame source had no frame for a table; nothing was changed. */
  | { readonly kind: "out-of-frames" };

/** Outcome of {@link PageTableMapper.unmap}. */
export type UnmapResult =
  | {
      readonly kind: "unmapped";
      readonly mapping: Mapping;
      readonly flush: TlbFlush;
      /** Page-table frames given back to the frame source because they became empty. */
      readonly freedTables: number;
    }
  | { readonly kind: "not-mapped" }
  /** A page of another size maps the address; nothing was changed. */
  | { readonly kind: "size-mismatch"; readonly existing: Mapping };

/** Outcome of {@link PageTableMapper.protect}. */
export type ProtectResult =
  | {
      readonly kind: "protected";
      readonly before: Mapping;
      readonly after: Mapping;
      readonly flush: TlbFlush;
    }
  | { readonly kind: "not-mapped" }
  | { readonly kind: "size-mismatch"; readonly existing: Mapping };

/**
 * Edits one page-table tree. Preconditions are checked on every call: virtual addresses canonical
 * and aligned to the page size, physical addresses aligned and below 2^MAXPHYADDR, page sizes valid;
 * a violation throws a typed error and changes nothing.
 */
export interface PageTableMapper {
  /** Physical address of the root table (what CR3 holds). */
  readonly root: PhysAddr;
  /** 4 (PML4 root) or 5 (PML5 root, for CR4.LA57). */
  readonly levels: 4 | 5;
  /** Map the page of `size` at `va` to the frame at `pa` with `flags`. */
  map(va: VirtAddr, pa: PhysAddr, size: PageSize, flags: MapFlags): MapResult;
  /** Remove the mapping of the page of `size` at `va`; free tables that become empty. */
  unmap(va: VirtAddr, size: PageSize): UnmapResult;
  /** Replace the attributes of the page of `size` at `va`, keeping its frame. */
  protect(va: VirtAddr, size: PageSize, flags: ProtectFlags): ProtectResult;
  /** Software walk with no side effects: the mapping covering `va`, or `null`. */
  translate(va: VirtAddr): Translation | null;
  /** Every present mapping, in increasing (unsigned 64-bit) address order. */
  mappings(): IterableIterator<Mapping>;
  /** Throws a typed error describing the first broken invariant of the tree. */
  checkInvariants(): void;
}
