/**
 * Paging-structure entries: the 64-bit PML5E/PML4E/PDPTE/PDE/PTE formats of IA-32e paging
 * (Intel SDM 4.5, Tables 4-14 to 4-20), encoded, decoded, checked and described.
 *
 * An entry is kept as two 32-bit halves: `lo` = bits 0..31, `hi` = bits 32..63 (BigInt would cost
 * about 8× on a walk). Bit layout, with the half and bit each flag lives in:
 *
 * | bit(s) | name     | half.bit  | meaning                                                          |
 * | ------ | -------- | --------- | ---------------------------------------------------------------- |
 * | 0      | P        | lo.0      | present; if 0 every other bit is ignored (free for software)     |
 * | 1      | R/W      | lo.1      | writes allowed (AND over all levels)                             |
 * | 2      | U/S      | lo.2      | user-mode accesses allowed (AND over all levels)                 |
 * | 3      | PWT      | lo.3      | page-level write-through (memory type)                           |
 * | 4      | PCD      | lo.4      | page-level cache disable (memory type)                           |
 * | 5      | A        | lo.5      | accessed: set by the MMU whenever the entry is used              |
 * | 6      | D        | lo.6      | dirty: set by the MMU on a write (leaf only; ignored elsewhere)  |
 * | 7      | PS / PAT | lo.7      | PDPTE/PDE: maps a 1 GiB/2 MiB page; PTE: PAT; PML4E/PML5E: reserved |
 * | 8      | G        | lo.8      | global translation if CR4.PGE (leaf only)                        |
 * | 11:9   | AVL      | lo.9-11   | ignored: free for the OS (e.g. a copy-on-write mark)             |
 * | 12     | PAT      | lo.12     | PAT bit of a 1 GiB/2 MiB page (PS=1)                             |
 * | 51:12  | address  | lo.12-31, hi.0-19 | next table, or page frame (bits 51:21 / 51:30 for large) |
 * | 58:52  | AVL      | hi.20-26  | ignored: free for the OS                                         |
 * | 62:59  | PK       | hi.27-30  | protection key of a leaf (CR4.PKE); ignored in non-leaf entries  |
 * | 63     | XD/NX    | hi.31     | execute-disable if EFER.NXE, else reserved                       |
 *
 * Reserved bits (a present entry with any of them set makes the walk fault with RSVD=1, SDM 4.7):
 * address bits 51:MAXPHYADDR at every level; bit 63 when EFER.NXE = 0; PS in a PML5E or PML4E;
 * bits 29:13 of a 1 GiB PDPTE; bits 20:13 of a 2 MiB PDE.
 *
 * Worked example: the PDE `0x8000_0000_4020_00e7` is `hi = 0x80000000, lo = 0x402000e7`:
 * `lo & 0xff = 0xe7 = 1110_0111b` → P RW US A D PS; XD from hi bit 31; the 2 MiB frame is
 * bits 51:21 = `0x40200000`.
 *
 * Related: `virtual-address.ts` (which entry an address selects), `mapper.ts`, `../mmu/mmu.ts`.
 */
import { AlignmentError, InvalidArgumentError } from "../errors.js";
import { hex, type PhysAddr, TWO_POW_32 } from "../memory/address.js";
import {
  LEVEL_NAMES,
  PAGE_1G,
  PAGE_2M,
  PAGE_4K,
  type PageSize,
  type PagingLevel,
} from "./virtual-address.js";

/** A 64-bit entry as halves: `lo` = bits 0..31, `hi` = bits 32..63 (both as unsigned or int32). */
export interface EntryWords {
  /** Bits 0..31. */
  readonly lo: number;
  /** Bits 32..63. */
  readonly hi: number;
}

/** Present (bit 0). */
export const PTE_P = 1 << 0;
/** Read/write (bit 1). */
export const PTE_RW = 1 << 1;
/** User/supervisor (bit 2). */
export const PTE_US = 1 << 2;
/** Page-level write-through (bit 3). */
export const PTE_PWT = 1 << 3;
/** Page-level cache disable (bit 4). */
export const PTE_PCD = 1 << 4;
/** Accessed (bit 5). */
export const PTE_A = 1 << 5;
/** Dirty (bit 6). */
export const PTE_D = 1 << 6;
/** Page size in a PDPTE/PDE; PAT in a PTE (bit 7). */
export const PTE_PS = 1 << 7;
/** PAT bit of a 4 KiB PTE (bit 7, same position as PS). */
export const PTE_PAT_4K = 1 << 7;
/** Global (bit 8). */
export const PTE_G = 1 << 8;
/** PAT bit of a large page (bit 12). */
export const PTE_PAT_LARGE = 1 << 12;
/** Execute-disable, bit 63, as a mask of the high half (bit 31 of `hi`). */
export const PTE_HI_XD = 1 << 31;
/** Address bits 31:12 in the low half. */
export const PTE_LO_ADDR = 0xfffff000 | 0;
/** Address bits 51:32 in the high half. */
export const PTE_HI_ADDR = 0xfffff;
/** Shift of the protection key within the high half (bits 62:59 → hi bits 30:27). */
export const PTE_HI_PK_SHIFT = 27;

/** Everything an entry says, decoded. See the table in the file banner. */
export interface DecodedEntry {
  /** Level of the table the entry sits in. */
  readonly level: PagingLevel;
  /** P. */
  readonly present: boolean;
  /** R/W. */
  readonly writable: boolean;
  /** U/S. */
  readonly user: boolean;
  /** PWT. */
  readonly writeThrough: boolean;
  /** PCD. */
  readonly cacheDisable: boolean;
  /** A. */
  readonly accessed: boolean;
  /** D (meaningful in leaves). */
  readonly dirty: boolean;
  /** True if the entry maps a page (a PTE, or a PDPTE/PDE with PS=1). */
  readonly leaf: boolean;
  /** The page size a leaf maps, or `null` for an entry that references a table. */
  readonly pageSize: PageSize | null;
  /** PAT (bit 7 of a PTE, bit 12 of a large page); false in table references. */
  readonly pat: boolean;
  /** G (meaningful in leaves). */
  readonly global: boolean;
  /** The software bits 11:9. */
  readonly available: number;
  /** The software bits 58:52. */
  readonly availableHigh: number;
  /** Protection key (bits 62:59). */
  readonly protectionKey: number;
  /** XD (bit 63). */
  readonly noExecute: boolean;
  /** Physical address of the next table or of the page frame. */
  readonly address: PhysAddr;
}

/** The fields {@link encodeEntry} accepts; omitted flags are 0. */
export interface EntryFields {
  /** Table or frame address (aligned to 4 KiB, or to the page size of a large leaf). */
  readonly address: PhysAddr;
  /** Set PS (levels 2 and 3 only): the entry maps a 2 MiB or 1 GiB page. */
  readonly pageSize?: boolean;
  /** P (default true). */
  readonly present?: boolean;
  /** R/W. */
  readonly writable?: boolean;
  /** U/S. */
  readonly user?: boolean;
  /** PWT. */
  readonly writeThrough?: boolean;
  /** PCD. */
  readonly cacheDisable?: boolean;
  /** A. */
  readonly accessed?: boolean;
  /** D. */
  readonly dirty?: boolean;
  /** PAT (leaves only). */
  readonly pat?: boolean;
  /** G. */
  readonly global?: boolean;
  /** Bits 11:9, 0..7. */
  readonly available?: number;
  /** Bits 58:52, 0..127. */
  readonly availableHigh?: number;
  /** Bits 62:59, 0..15. */
  readonly protectionKey?: number;
  /** XD. */
  readonly noExecute?: boolean;
}

/** Physical address held in an entry's address field bits 51:12 (for any level). */
export function entryAddress(lo: number, hi: number): PhysAddr {
  return (hi & PTE_HI_ADDR) * TWO_POW_32 + ((lo & PTE_LO_ADDR) >>> 0);
}

/** Whether an entry at `level` with low half `lo` maps a page (PTE, or PS=1 at levels 2 and 3). */
export function isLeafEntry(lo: number, level: PagingLevel): boolean {
  return level === 1 || ((level === 2 || level === 3) && (lo & PTE_PS) !== 0);
}

/**
 * Decode an entry. Any 64-bit pattern decodes (see {@link reservedBits} for whether the hardware
 * would accept it); only the level is checked.
 * @throws {@link InvalidArgumentError} if `level` is not 1..5.
 */
export function decodeEntry(lo: number, hi: number, level: PagingLevel): DecodedEntry {
  checkLevel("decodeEntry", level);
  const leaf = isLeafEntry(lo, level);
  const pageSize: PageSize | null = !leaf ? null : level === 1 ? PAGE_4K : level === 2 ? PAGE_2M : PAGE_1G;
  const frameMaskLo = pageSize === PAGE_2M ? 0xffe00000 : pageSize === PAGE_1G ? 0xc0000000 : 0xfffff000;
  return {
    level,
    present: (lo & PTE_P) !== 0,
    writable: (lo & PTE_RW) !== 0,
    user: (lo & PTE_US) !== 0,
    writeThrough: (lo & PTE_PWT) !== 0,
    cacheDisable: (lo & PTE_PCD) !== 0,
    accessed: (lo & PTE_A) !== 0,
    dirty: (lo & PTE_D) !== 0,
    leaf,
    pageSize,
    pat: leaf && (level === 1 ? (lo & PTE_PAT_4K) !== 0 : (lo & PTE_PAT_LARGE) !== 0),
    global: (lo & PTE_G) !== 0,
    available: (lo >>> 9) & 7,
    availableHigh: (hi >>> 20) & 0x7f,
    protectionKey: (hi >>> PTE_HI_PK_SHIFT) & 15,
    noExecute: (hi & PTE_HI_XD) !== 0,
    address: (hi & PTE_HI_ADDR) * TWO_POW_32 + ((lo & frameMaskLo) >>> 0),
  };
}

/**
 * Encode an entry for a table at `level`.
 *
 * @throws {@link InvalidArgumentError} if `level` is not 1..5, if `pageSize` is asked for at level 1, 4 or 5 (PS is PAT in a
 *   PTE and reserved in a PML4E/PML5E, SDM Tables 4-15, 4-14), if `pat` is asked for in a table
 *   reference, or a bit field is out of range.
 * @throws {@link AlignmentError} if the address is not 4 KiB aligned, or for a large page not
 *   aligned to its size (the low address bits would land on reserved bits, SDM 4.5).
 * @example
 * ```ts
 * const pde = encodeEntry(2, { address: 0x40200000, pageSize: true, writable: true, user: true });
 * // { lo: 0x40200087, hi: 0 }
 * ```
 */
export function encodeEntry(level: PagingLevel, fields: EntryFields): EntryWords {
  const call = `encodeEntry(level=${level}, address=${hex(fields.address)})`;
  checkLevel(call, level);
  const ps = fields.pageSize === true;
  if (ps && level !== 2 && level !== 3) {
    throw new InvalidArgumentError(
      `${call}: PS=1 only exists in a PDPTE or PDE (in a ${LEVEL_NAMES[level]}E it is ${level === 1 ? "the PAT bit" : "reserved"})`,
    );
  }
  const leaf = level === 1 || ps;
  if (fields.pat === true && !leaf) {
    throw new InvalidArgumentError(`${call}: PAT exists only in entries that map a page`);
  }
  const align = !ps ? PAGE_4K : level === 2 ? PAGE_2M : PAGE_1G;
  const a = fields.address;
  if (!Number.isInteger(a) || a < 0 || a >= 2 ** 52) {
    throw new InvalidArgumentError(`${call}: address must be an integer below 2^52`);
  }
  if (a % align !== 0) {
    throw new AlignmentError(`${call}: address must be aligned to ${hex(align)} for this entry`);
  }
  field(call, "available", fields.available, 7);
  field(call, "availableHigh", fields.availableHigh, 127);
  field(call, "protectionKey", fields.protectionKey, 15);
  let lo = (a % TWO_POW_32) | 0;
  if (fields.present !== false) lo |= PTE_P;
  if (fields.writable === true) lo |= PTE_RW;
  if (fields.user === true) lo |= PTE_US;
  if (fields.writeThrough === true) lo |= PTE_PWT;
  if (fields.cacheDisable === true) lo |= PTE_PCD;
  if (fields.accessed === true) lo |= PTE_A;
  if (fields.dirty === true) lo |= PTE_D;
  if (ps) lo |= PTE_PS;
  if (fields.pat === true) lo |= level === 1 ? PTE_PAT_4K : PTE_PAT_LARGE;
  if (fields.global === true) lo |= PTE_G;
  lo |= (fields.available ?? 0) << 9;
  let hi = Math.floor(a / TWO_POW_32);
  hi |= (fields.availableHigh ?? 0) << 20;
  hi |= (fields.protectionKey ?? 0) << PTE_HI_PK_SHIFT;
  if (fields.noExecute === true) hi |= PTE_HI_XD;
  return { lo: lo >>> 0, hi: hi >>> 0 };
}

/** Levels are 1 (PT) .. 5 (PML5); anything else is a misuse, not a bit pattern to decode. */
function checkLevel(call: string, level: number): void {
  if (level !== 1 && level !== 2 && level !== 3 && level !== 4 && level !== 5) {
    throw new InvalidArgumentError(
      `${call}: level=${String(level)} is not a paging level (1 = PT .. 5 = PML5)`,
    );
  }
}

/**
 * MAXPHYADDR is 36..52 on every x86-64 CPU (SDM 4.1.4: CPUID.80000008H:EAX[7:0], at most 52). The
 * masks below keep address bits 51:32 in the high half, so a value under 32 could not be expressed
 * anyway; under 36 or over 52 it is a misuse, refused rather than answered with a wrong mask.
 */
function checkMaxPhysAddr(call: string, maxPhysAddr: number): void {
  if (!Number.isInteger(maxPhysAddr) || maxPhysAddr < 36 || maxPhysAddr > 52) {
    throw new InvalidArgumentError(
      `${call}: maxPhysAddr=${String(maxPhysAddr)} must be an integer in 36..52 (SDM 4.1.4)`,
    );
  }
}

function field(call: string, name: string, v: number | undefined, max: number): void {
  if (v !== undefined && (!Number.isInteger(v) || v < 0 || v > max)) {
    throw new InvalidArgumentError(`${call}: ${name}=${String(v)} must be an integer in 0..${max}`);
  }
}

/**
 * The reserved-bit mask of a present entry at `level` (SDM 4.5 tables, "Reserved (must be 0)"):
 * address bits 51:MAXPHYADDR; bit 63 unless EFER.NXE; PS in PML4E/PML5E; bits 29:13 of a
 * 1 GiB PDPTE; bits 20:13 of a 2 MiB PDE. Whether the entry is a large leaf is read from `lo`.
 *
 * Worked: MAXPHYADDR 46 → hi bits 19:14 (address bits 51:46) → `hi` mask `0xfc000`.
 *
 * @throws {@link InvalidArgumentError} if `level` is not 1..5 or `maxPhysAddr` not an integer in 36..52.
 */
export function reservedMask(level: PagingLevel, lo: number, maxPhysAddr: number, nxe: boolean): EntryWords {
  checkLevel("reservedMask", level);
  checkMaxPhysAddr("reservedMask", maxPhysAddr);
  let hiMask = PTE_HI_ADDR & ~((1 << (maxPhysAddr - 32)) - 1);
  if (!nxe) hiMask |= PTE_HI_XD;
  let loMask = 0;
  if (level >= 4) loMask = PTE_PS;
  else if (level === 3 && (lo & PTE_PS) !== 0) loMask = 0x3fffe000;
  else if (level === 2 && (lo & PTE_PS) !== 0) loMask = 0x001fe000;
  return { lo: loMask >>> 0, hi: hiMask >>> 0 };
}

/**
 * The reserved bits set in a (present) entry, as a BigInt mask; `0n` if the entry is well-formed.
 * @throws {@link InvalidArgumentError} as {@link reservedMask}.
 * @example
 * ```ts
 * reservedBits(0x80, 0, 4, 46, true); // 0x80n: PS in a PML4E is reserved
 * ```
 */
export function reservedBits(
  lo: number,
  hi: number,
  level: PagingLevel,
  maxPhysAddr: number,
  nxe: boolean,
): bigint {
  const m = reservedMask(level, lo, maxPhysAddr, nxe);
  return (BigInt((hi & m.hi) >>> 0) << 32n) | BigInt((lo & m.lo) >>> 0);
}

/** The entry as a 64-bit BigInt. */
export function entryToBigInt(e: EntryWords): bigint {
  return (BigInt(e.hi >>> 0) << 32n) | BigInt(e.lo >>> 0);
}

/** A 64-bit BigInt (taken modulo 2^64) as entry halves. */
export function entryFromBigInt(value: bigint): EntryWords {
  const v = BigInt.asUintN(64, value);
  return { lo: Number(v & 0xffffffffn), hi: Number(v >> 32n) };
}

/**
 * A one-line description a student can read:
 * `PDE → 2MiB page 0x40200000 [P RW US A D PS XD]` or `PML4E → table 0x2000 [P RW US]`.
 * @throws {@link InvalidArgumentError} if `level` is not 1..5.
 */
export function describeEntry(lo: number, hi: number, level: PagingLevel): string {
  checkLevel("describeEntry", level);
  const name = `${LEVEL_NAMES[level]}E`;
  const raw = entryToBigInt({ lo, hi });
  if ((lo & PTE_P) === 0) {
    return raw === 0n ? `${name} not present` : `${name} not present (software bits ${hex(raw)})`;
  }
  const e = decodeEntry(lo, hi, level);
  const flags = ["P"];
  if (e.writable) flags.push("RW");
  if (e.user) flags.push("US");
  if (e.writeThrough) flags.push("PWT");
  if (e.cacheDisable) flags.push("PCD");
  if (e.accessed) flags.push("A");
  if (e.leaf && e.dirty) flags.push("D");
  if (e.pageSize !== null && e.pageSize !== PAGE_4K) flags.push("PS");
  if (e.pat) flags.push("PAT");
  if (e.leaf && e.global) flags.push("G");
  if (e.noExecute) flags.push("XD");
  if (e.available !== 0) flags.push(`avl=${e.available}`);
  if (e.availableHigh !== 0) flags.push(`avlh=${e.availableHigh}`);
  if (e.leaf && e.protectionKey !== 0) flags.push(`pk=${e.protectionKey}`);
  const what = e.leaf ? `${sizeName(e.pageSize!)} page` : "table";
  return `${name} → ${what} ${hex(e.address)} [${flags.join(" ")}]`;
}

/** `"4KiB"`, `"2MiB"` or `"1GiB"`. */
export function sizeName(size: PageSize): string {
  return size === PAGE_4K ? "4KiB" : size === PAGE_2M ? "2MiB" : "1GiB";
}
