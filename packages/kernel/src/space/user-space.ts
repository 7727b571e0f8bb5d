/**
 * What the kernel needs from a user address space: the port between the trap loop and
 * `@osbricks/vm`.
 *
 * The kernel never edits page tables itself. It asks the address space to translate an access
 * (the MMU walk, with its TLB), hands it page faults, and forwards mmap, munmap, mprotect, brk and
 * fork to it. The adapter over vm's address space lives in `vm-space.ts`.
 *
 * ```
 *   load trap ──▶ space.translate(va, "read") ──▶ pa ──▶ physical memory read
 *                        │ fault
 *                        ▼
 *                 space.fault(va, "read") ── "resolved" (demand zero, COW copy) ──▶ retry the trap
 *                        └── "bad" (no mapping, protection) ──▶ SIGSEGV
 * ```
 *
 * Related: `vm-space.ts` (the implementation), `../trap/memory.ts` (the caller).
 */

/** The kind of a user memory access. */
export type Access = "read" | "write" | "exec";

/** Protection of a mapping. */
export interface Protection {
  readonly read: boolean;
  readonly write: boolean;
  readonly exec: boolean;
}

/** How a page fault ended. */
export type FaultOutcome = "resolved" | "bad" | "oom";

/** Options of {@link UserSpace.map}. */
export interface MapRequest {
  /** First byte (page-aligned). */
  readonly va: number;
  /** Number of 4 KiB pages. */
  readonly pages: number;
  readonly prot: Protection;
  /** MAP_SHARED: the pages stay shared with children after fork. */
  readonly shared: boolean;
  /** Name for dumps ("text", "heap", "mmap"). */
  readonly name: string;
}

/** A user address space as the kernel uses it. */
export interface UserSpace {
  /**
   * Translate one user access of `size` bytes at `va` (the access lies within one page).
   * @returns the physical address, or -1 when the MMU raises a page fault.
   */
  translate(va: number, access: Access): number;
  /** Handle a page fault at `va` for `access` (demand-zero, copy-on-write, or a bad access). */
  fault(va: number, access: Access): FaultOutcome;
  /**
   * Map fresh anonymous pages. Any existing mapping in the range is replaced (MAP_FIXED
   * semantics); callers that must not replace check {@link UserSpace.isFree} first.
   * @returns false when memory ran out (nothing changed).
   */
  map(req: MapRequest): boolean;
  /** Unmap every page of the range (holes are fine); mappings cut in the middle are split. */
  unmap(va: number, pages: number): void;
  /** Change protection of every page of the range. @returns false if some page is not mapped (nothing changed). */
  protect(va: number, pages: number, prot: Protection): boolean;
  /** Whether no page of the range is mapped. */
  isFree(va: number, pages: number): boolean;
  /** A free range of `pages` pages, highest first below `below`, or -1. */
  findFree(pages: number, below: number): number;
  /** The fork copy: private mappings copy-on-write, shared mappings shared. Null when memory ran out. */
  fork(): UserSpace | null;
  /** Release every mapping and page table. */
  destroy(): void;
  /** Drop any cached translation for the whole space (after a change made elsewhere). */
  flushTlb(): void;
  /** @throws describing the first broken invariant. */
  checkInvariants(): void;
}
