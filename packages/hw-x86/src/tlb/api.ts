/**
 * The TLB's vocabulary: its options and counters, the readable view of an entry, the result of
 * INVPCID, and the `TLB_*` flag bits an entry keeps — the one byte the MMU reads on a hit and also
 * packs into its own record of the last translation, so the layout is a contract between the two.
 *
 * ```
 *   flags byte of an entry    7   6   5   4        3        2     1     0
 *                             [ level ]   GLOBAL   DIRTY    NX    US    RW
 *   worked: a 2 MiB writable user page, D set, not global → 2 << 5 | 8 | 2 | 1 = 0x4b
 * ```
 *
 * A file of its own, as `api.ts` is for every concept of this package (CONTRIBUTING.md, anatomy):
 * a reader looking for what a TLB answers, or for the bits the MMU relies on, finds them without
 * the set-associative machinery of `tlb.ts`.
 *
 * Related: `tlb.ts` (the TLB), `../mmu/mmu.ts` (reads the flags on a hit, fills on a miss).
 */
import type { PagingTraceEvent, Tracer } from "../api.js";
import type { PhysAddr } from "../memory/address.js";
import type { VirtAddr } from "../paging/virtual-address.js";

/** How a full set chooses its victim. */
export type ReplacementPolicy = "lru" | "fifo" | "random";

/** Options of {@link Tlb}. */
export interface TlbOptions {
  /** Number of sets, a power of two. Default 16. */
  readonly sets?: number;
  /** Ways per set. Default 4 (so 64 entries by default). */
  readonly ways?: number;
  /** Victim choice in a full set. Default `"lru"` (least recently used, by a lookup clock). */
  readonly replacement?: ReplacementPolicy;
  /** Seed of the xorshift32 generator used by `"random"`. Default 1. */
  readonly seed?: number;
  /**
   * Drop the entries of a page when a page fault occurs for it, as the SDM says a page fault does
   * (4.10.4.1). Default true. The pagewalk baseline keeps the entry on a protection fault found by
   * a hit; its replay sets this to false.
   */
  readonly invalidateOnFault?: boolean;
  /** Receives `tlb.*` events. Default: none. */
  readonly tracer?: Tracer<PagingTraceEvent>;
}

/** Counters of a {@link Tlb}. */
export interface TlbStats {
  /** Lookups that found an entry. */
  readonly hits: number;
  /** Lookups that found none. */
  readonly misses: number;
  /** Entries filled after a walk. */
  readonly fills: number;
  /** Valid entries replaced by a fill. */
  readonly evictions: number;
  /** Entries dropped by any invalidation (INVLPG, INVPCID, CR3/CR4/CR0 writes, faults). */
  readonly invalidated: number;
  /** INVLPG operations. */
  readonly invlpgs: number;
  /** INVPCID operations that executed. */
  readonly invpcids: number;
  /** Flush operations caused by control-register writes. */
  readonly flushes: number;
}

/** A readable copy of one valid entry (see {@link Tlb.entries}). */
export interface TlbEntryView {
  /** Set index. */
  readonly set: number;
  /** Way index within the set. */
  readonly way: number;
  /** Virtual address of the cached 4 KiB piece. */
  readonly va: VirtAddr;
  /** Physical address of the cached 4 KiB piece. */
  readonly frame: PhysAddr;
  /** The PCID the entry was created under. */
  readonly pcid: number;
  /** Effective R/W. */
  readonly writable: boolean;
  /** Effective U/S. */
  readonly user: boolean;
  /** Effective XD. */
  readonly noExecute: boolean;
  /** Cached D. */
  readonly dirty: boolean;
  /** Global (matches every PCID). */
  readonly global: boolean;
  /** Protection key. */
  readonly protectionKey: number;
  /** log2 of the size of the page the piece belongs to: 12, 21 or 30. */
  readonly pageShift: number;
}

/** The result of {@link Tlb.invpcid}. */
export type InvpcidResult =
  | { readonly kind: "ok"; readonly dropped: number }
  | { readonly kind: "general-protection"; readonly vector: 13; readonly reason: string };

/** Entry flag bit: effective R/W. */
export const TLB_RW = 1;
/** Entry flag bit: effective U/S. */
export const TLB_US = 2;
/** Entry flag bit: effective XD. */
export const TLB_NX = 4;
/** Entry flag bit: D is set in the leaf. */
export const TLB_DIRTY = 8;
/** Entry flag bit: global. */
export const TLB_GLOBAL = 16;
/**
 * Entry flag field: bits 7:5 hold the paging level of the page the entry came from (1 for 4 KiB,
 * 2 for 2 MiB, 3 for 1 GiB), set by the TLB from the fill's page shift, so that a hit can report
 * the page's level and size from the one flags byte it reads anyway.
 */
export const TLB_LEVEL_SHIFT = 5;
