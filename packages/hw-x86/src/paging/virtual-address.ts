/**
 * Linear (virtual) addresses: canonical form, table indices, page sizes.
 *
 * With 4-level paging a linear address has 48 meaningful bits and bits 63:47 must all be copies of
 * bit 47; with 5-level paging (CR4.LA57) 57 bits and bits 63:56 equal bit 56 (Intel SDM 3.3.7.1,
 * 4.5). Such an address is *canonical*. We keep a virtual address as a JavaScript number holding its
 * **signed** value: the lower half is 0 ≤ va < 2^47, the upper (kernel) half is negative:
 *
 * ```
 *   0xffff_8000_0000_1000  (as 64 bits)   ==  -0x7fff_ffff_f000  (as our number)
 *   index fields, 4-level:   63    48 47   39 38   30 29   21 20   12 11      0
 *                            [ sign ][ PML4 ][ PDPT ][  PD  ][  PT  ][ offset ]
 *   e.g. va 0x0000_7f12_3456_7abc:  PML4 254, PDPT 72, PD 418, PT 359, offset 0xabc
 * ```
 *
 * Every 48-bit canonical address is exact as a number. 57-bit addresses are exact while |va| < 2^53
 * (PML5 indices 0–31 and 480–511); the others are reachable through the MMU's halves API
 * (`Mmu.translateHalves`). Numbers above 2^53 are refused, never rounded: write
 * `vaFromBigInt(0xffff800000001000n)` for a kernel address.
 *
 * Hot paths split an address into 32-bit halves `(hi, lo)` (`lo = va >>> 0`,
 * `hi = Math.floor(va / 2^32) | 0`), which is exact for negative numbers too.
 *
 * Related: `entry.ts` (what the indices select), `../mmu/mmu.ts`.
 */
import { InvalidArgumentError, NonCanonicalAddressError, PageSizeError } from "../errors.js";
import { hex, TWO_POW_32 } from "../memory/address.js";

/** A linear address as its signed 64-bit value (negative = upper half). See the file banner. */
export type VirtAddr = number;

/** The three x86-64 page sizes. */
export type PageSize = 4096 | 2097152 | 1073741824;
/** 4 KiB: a PT entry maps it (SDM Table 4-20). */
export const PAGE_4K = 4096;
/** 2 MiB: a PD entry with PS=1 maps it (SDM Table 4-18). */
export const PAGE_2M = 2097152;
/** 1 GiB: a PDPT entry with PS=1 maps it (SDM Table 4-16). */
export const PAGE_1G = 1073741824;
/** Every page size, smallest first. */
export const PAGE_SIZES: readonly PageSize[] = [PAGE_4K, PAGE_2M, PAGE_1G];

/**
 * A paging level, numbered as the SDM's tables are deep: 1 = PT, 2 = PD, 3 = PDPT, 4 = PML4,
 * 5 = PML5. An entry at level L covers 2^(12 + 9(L-1)) bytes.
 */
export type PagingLevel = 1 | 2 | 3 | 4 | 5;

/** The SDM's name of the table at each level. */
export const LEVEL_NAMES: Readonly<Record<PagingLevel, string>> = {
  5: "PML5",
  4: "PML4",
  3: "PDPT",
  2: "PD",
  1: "PT",
};

/** The level whose leaf entry maps a page of `size`: 4 KiB → 1, 2 MiB → 2, 1 GiB → 3. */
export function leafLevelOf(size: PageSize): PagingLevel {
  return size === PAGE_4K ? 1 : size === PAGE_2M ? 2 : 3;
}

/** The page size a leaf at `level` maps (levels 1–3). */
export function pageSizeOfLevel(level: 1 | 2 | 3): PageSize {
  return level === 1 ? PAGE_4K : level === 2 ? PAGE_2M : PAGE_1G;
}

/**
 * Check that `size` is a page size.
 * @throws {@link PageSizeError} naming the call and the size.
 */
export function checkPageSize(call: string, size: number): asserts size is PageSize {
  if (size !== PAGE_4K && size !== PAGE_2M && size !== PAGE_1G) {
    throw new PageSizeError(`${call}: size=${String(size)} is not a page size (4096, 2097152 or 1073741824)`);
  }
}

/** Whether `va` is canonical for 48-bit (4-level) or 57-bit (`la57`) linear addresses. */
export function isCanonical(va: VirtAddr, la57 = false): boolean {
  if (!Number.isSafeInteger(va)) return false;
  const half = la57 ? 2 ** 56 : 2 ** 47;
  return va >= -half && va < half;
}

/**
 * Check that `va` is a safe-integer canonical address aligned to `align`.
 * @throws {@link NonCanonicalAddressError} if it is not a safe integer or not canonical.
 * @throws {@link InvalidArgumentError} never; misalignment is reported by the caller's own check.
 */
export function checkCanonical(call: string, va: VirtAddr, la57: boolean): void {
  if (!Number.isSafeInteger(va)) {
    throw new NonCanonicalAddressError(
      `${call}: ${String(va)} is not an exact virtual address (a safe integer; write upper-half addresses ` +
        `as negative numbers or with vaFromBigInt(0xffff8000_00000000n))`,
    );
  }
  if (!isCanonical(va, la57)) {
    const bits = la57 ? "63:56 must equal bit 56" : "63:47 must equal bit 47";
    throw new NonCanonicalAddressError(`${call}: ${hex(va)} is not canonical (bits ${bits}, SDM 3.3.7.1)`);
  }
}

/**
 * Sign-extend a 64-bit address given as a BigInt into our number form.
 * @throws {@link NonCanonicalAddressError} if it is not canonical for 57 bits or not exact as a number.
 * @example
 * ```ts
 * vaFromBigInt(0xffff800000001000n); // -0x7fffffff000
 * ```
 */
export function vaFromBigInt(va: bigint): VirtAddr {
  const signed = BigInt.asIntN(64, va);
  if (signed < -(2n ** 56n) || signed >= 2n ** 56n) {
    throw new NonCanonicalAddressError(`vaFromBigInt(${hex(va)}): not canonical even with 57-bit addresses`);
  }
  const n = Number(signed);
  if (!Number.isSafeInteger(n)) {
    throw new NonCanonicalAddressError(`vaFromBigInt(${hex(va)}): beyond ±2^53, use Mmu.translateHalves`);
  }
  return n;
}

/** The 64-bit unsigned form of `va` as a BigInt. `vaToBigInt(-4096)` is `0xfffffffffffff000n`. */
export function vaToBigInt(va: VirtAddr): bigint {
  return BigInt.asUintN(64, BigInt(va));
}

/** Bits 32..63 of `va` as a signed 32-bit integer (`-1` for upper-half 48-bit addresses). */
export function vaHigh(va: VirtAddr): number {
  return Math.floor(va / TWO_POW_32) | 0;
}

/** Bits 0..31 of `va` as an unsigned 32-bit integer. */
export function vaLow(va: VirtAddr): number {
  return va >>> 0;
}

/**
 * The 9-bit index that selects the entry at `level` for `va` (SDM 4.5, Figure 4-8):
 * bits 12+9(L-1) .. 20+9(L-1). Worked: `tableIndex(0x7f1234567abc, 4)` = bits 47:39 = 254.
 * @throws {@link NonCanonicalAddressError} if `va` is not a safe integer (it would be rounded).
 * @throws {@link InvalidArgumentError} if `level` is not 1..5.
 */
export function tableIndex(va: VirtAddr, level: PagingLevel): number {
  const call = `tableIndex(va=${String(va)}, level=${String(level)})`;
  if (!Number.isSafeInteger(va)) {
    throw new NonCanonicalAddressError(`${call}: not an exact virtual address (a safe integer)`);
  }
  if (level !== 1 && level !== 2 && level !== 3 && level !== 4 && level !== 5) {
    throw new InvalidArgumentError(`${call}: a paging level is 1 (PT) .. 5 (PML5)`);
  }
  return indexFromHalves(vaHigh(va), va >>> 0, level);
}

/**
 * {@link tableIndex} on halves (the walker's form, unchecked: any level other than 1..4 reads as
 * 5). Level 3 straddles the halves: bits 38:30 = lo bits 31:30 and hi bits 6:0.
 */
export function indexFromHalves(hi: number, lo: number, level: PagingLevel): number {
  switch (level) {
    case 1:
      return (lo >>> 12) & 511;
    case 2:
      return (lo >>> 21) & 511;
    case 3:
      return ((lo >>> 30) | (hi << 2)) & 511;
    case 4:
      return (hi >>> 7) & 511;
    default:
      return (hi >>> 16) & 511;
  }
}

/** Bytes one entry covers at each level (index = level): 4 KiB, 2 MiB, 1 GiB, 512 GiB, 256 TiB. */
const ENTRY_SPAN = [0, 2 ** 12, 2 ** 21, 2 ** 30, 2 ** 39, 2 ** 48];

/**
 * The lowest address of the region an entry at `level` and `index` covers, given the indices of the
 * levels above (`prefix`, the address so far). Used to iterate a tree in address order; the result
 * is sign-extended from bit 47 (or 56 with `la57`).
 */
export function addressOfIndex(prefix: VirtAddr, level: PagingLevel, index: number, la57: boolean): VirtAddr {
  const raw = prefix + index * ENTRY_SPAN[level]!;
  const top = la57 ? 2 ** 57 : 2 ** 48;
  const unsigned = ((raw % top) + top) % top;
  return unsigned >= top / 2 ? unsigned - top : unsigned;
}

/**
 * Check `value` is an integer in `lo..hi`.
 * @throws {@link InvalidArgumentError} naming the call and the argument.
 */
export function checkIntRange(call: string, name: string, value: number, lo: number, hi: number): void {
  if (!Number.isInteger(value) || value < lo || value > hi) {
    throw new InvalidArgumentError(`${call}: ${name}=${String(value)} must be an integer in ${lo}..${hi}`);
  }
}
