/**
 * What a translation can end in: a physical address, or a fault with the evidence the CPU would
 * hand the kernel (vector, error code, CR2).
 *
 * The page-fault error code (Intel SDM 4.7, Figure 4-12), as the CPU pushes it:
 *
 * | bit | name | set when                                                                 |
 * | --- | ---- | ------------------------------------------------------------------------ |
 * | 0   | P    | the fault was a protection violation (0: a not-present entry)            |
 * | 1   | W/R  | the access was a write                                                   |
 * | 2   | U/S  | the access was a user-mode access (CPL = 3)                              |
 * | 3   | RSVD | a reserved bit was set in some paging-structure entry                    |
 * | 4   | I/D  | the access was an instruction fetch and (CR4.SMEP = 1 or EFER.NXE = 1)   |
 * | 5   | PK   | protection keys (CR4.PKE) forbade the data access to a user-mode address |
 *
 * Bits 6 (SS, shadow-stack access), 7 (HLAT) and 15 (SGX) are never set: those features are not
 * modelled.
 *
 * Worked: a user-mode write to a present read-only page gives `P | W/R | U/S = 0b111 = 7`; a kernel
 * read through an entry with bit 51 set on a CPU with MAXPHYADDR 46 gives `P | RSVD = 9`.
 *
 * A non-canonical address never reaches the paging structures: it raises #GP(0) (SDM 3.3.7.1),
 * not #PF, and CR2 is not written. (On hardware a stack access, through SS, raises #SS instead;
 * this model has no segments, so every access is a data access or a fetch and gets #GP.) A table that lies outside RAM (our bus error) is reported as a
 * machine check (#MC, vector 18): real hardware would read all ones from a non-existent address;
 * we stop with a clear diagnosis instead (a choice of this model).
 *
 * Related: `mmu.ts` (produces these), `../tlb/tlb.ts`.
 */
import type { PhysAddr } from "../memory/address.js";
import type { PageSize, PagingLevel, VirtAddr } from "../paging/virtual-address.js";

/** The kind of access being translated. */
export type AccessKind = 0 | 1 | 2;
/** Access kinds by name: data read, data write, instruction fetch. */
export const Access = { Read: 0, Write: 1, Execute: 2 } as const;

/** #PF error code bit 0: protection violation (else not-present). */
export const PF_P = 1;
/** #PF error code bit 1: write access. */
export const PF_W = 2;
/** #PF error code bit 2: user-mode access. */
export const PF_U = 4;
/** #PF error code bit 3: reserved bit set. */
export const PF_RSVD = 8;
/** #PF error code bit 4: instruction fetch (with SMEP or NXE). */
export const PF_I = 16;
/** #PF error code bit 5: protection-key violation. */
export const PF_PK = 32;

/** Why a page fault happened (our classification; the error code is what the CPU reports). */
export type PageFaultReason = "not-present" | "reserved-bit" | "protection" | "protection-key";

/** A successful translation. */
export interface TranslationOk {
  /** Discriminant. */
  readonly kind: "ok";
  /** The physical address. */
  readonly pa: PhysAddr;
  /** The size of the page that maps it. */
  readonly pageSize: PageSize;
  /** Whether the TLB supplied the translation (false for a walk). */
  readonly tlbHit: boolean;
}

/** #PF (vector 14). */
export interface PageFault {
  /** Discriminant. */
  readonly kind: "page-fault";
  /** 14. */
  readonly vector: 14;
  /** The error code the CPU pushes (see the table in the file banner). */
  readonly errorCode: number;
  /** CR2: the linear address that faulted. */
  readonly cr2: VirtAddr;
  /** Our classification of the cause. */
  readonly reason: PageFaultReason;
  /** The paging level at which the walk stopped (the leaf level for a protection fault). */
  readonly level: PagingLevel;
}

/** #GP(0) (vector 13) for a non-canonical address. */
export interface GeneralProtectionFault {
  /** Discriminant. */
  readonly kind: "general-protection";
  /** 13. */
  readonly vector: 13;
  /** 0: a non-canonical address pushes error code 0. */
  readonly errorCode: 0;
  /** The cause. */
  readonly reason: "non-canonical";
}

/** #MC (vector 18): a paging structure lies outside RAM (this model's bus error). */
export interface MachineCheck {
  /** Discriminant. */
  readonly kind: "machine-check";
  /** 18. */
  readonly vector: 18;
  /** Physical address of the table that could not be read. */
  readonly tableAddress: PhysAddr;
  /** The level of that table. */
  readonly level: PagingLevel;
}

/** The outcome of a translation. */
export type TranslateResult = TranslationOk | PageFault | GeneralProtectionFault | MachineCheck;

/**
 * Spell out a #PF error code. `describePageFaultErrorCode(7)` is
 * `"P=1 (protection) W/R=1 (write) U/S=1 (user)"`.
 */
export function describePageFaultErrorCode(code: number): string {
  const parts = [
    (code & PF_P) !== 0 ? "P=1 (protection)" : "P=0 (not present)",
    (code & PF_W) !== 0 ? "W/R=1 (write)" : "W/R=0 (read)",
    (code & PF_U) !== 0 ? "U/S=1 (user)" : "U/S=0 (supervisor)",
  ];
  if ((code & PF_RSVD) !== 0) parts.push("RSVD=1 (reserved bit)");
  if ((code & PF_I) !== 0) parts.push("I/D=1 (instruction fetch)");
  if ((code & PF_PK) !== 0) parts.push("PK=1 (protection key)");
  return parts.join(" ");
}
