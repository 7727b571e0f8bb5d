/**
 * The page attribute table: eight memory types that page-table entries select by index.
 *
 * Intel SDM Vol. 3A 11.12. The IA32_PAT MSR (0x277) holds eight one-byte fields PA0–PA7; only the
 * low three bits of each are used, the high five are reserved (a WRMSR setting them, or writing the
 * reserved encodings 2 or 3, raises #GP: SDM 11.12.2). A leaf paging entry selects a field with three
 * bits (SDM 11.12.3, Table 11-11):
 *
 * ```
 *   index = PAT·4 + PCD·2 + PWT
 *
 *   4 KiB PTE:             bit 7 = PAT   bit 4 = PCD   bit 3 = PWT
 *   2 MiB PDE / 1 GiB PDPTE (PS=1):   bit 12 = PAT (bit 7 is PS there)
 *
 *   Worked: a PTE with lo = 0x8b = 1000_1011b → PAT=1, PCD=0, PWT=1 → index 5.
 *           the same bits in a 2 MiB PDE (lo = 0x8b | PS) → bit 12 = 0 → PAT=0 → index 1.
 * ```
 *
 * At reset the PAT holds WB, WT, UC-, UC, WB, WT, UC-, UC (SDM Table 11-12): the four entries
 * reachable without the PAT bit repeat the pre-PAT meanings of PCD/PWT, so old page tables keep
 * their meaning. An OS that wants write combining must reprogram an entry: Linux puts WC in PA1
 * (selected by PWT alone), which is {@link PAT_LINUX}.
 *
 * Related: `memory-type.ts`, `effective.ts` (combining with the MTRRs), `../paging/entry.ts`.
 */
import { InvalidArgumentError, InvariantError, ReservedBitsError } from "../errors.js";
import { PTE_PAT_4K, PTE_PAT_LARGE, PTE_PCD, PTE_PWT } from "../paging/entry.js";
import { checkPageSize, type PageSize } from "../paging/virtual-address.js";
import { isPatEncoding, type MemoryType, memoryTypeName } from "./memory-type.js";

/** MSR number of IA32_PAT. */
export const IA32_PAT = 0x277;

/** IA32_PAT after power-up or reset: WB, WT, UC-, UC, WB, WT, UC-, UC (SDM Table 11-12). */
export const PAT_RESET = 0x0007040600070406n;

/**
 * The layout Linux programs at boot: WB, WC, UC-, UC, WB, WP, UC-, WT. PA1 = WC means a mapping
 * with PWT=1, PCD=0, PAT=0 is write-combining.
 */
export const PAT_LINUX = 0x0407050600070106n;

/**
 * The PAT index (0–7) that a leaf entry's low word selects (SDM Table 11-11).
 *
 * @param lo - bits 31:0 of the leaf entry.
 * @param size - the page size the entry maps: the PAT bit is bit 7 for 4 KiB, bit 12 for 2 MiB/1 GiB.
 * @throws {@link InvalidArgumentError} for an unknown page size.
 * @example
 * ```ts
 * patIndex(0x8b, PAGE_4K); // 5
 * patIndex(0x1008 | 0x80, PAGE_2M); // 5: PAT from bit 12, PWT from bit 3
 * ```
 */
export function patIndex(lo: number, size: PageSize): number {
  checkPageSize(`patIndex(lo=0x${(lo >>> 0).toString(16)})`, size);
  const patBit = size === 4096 ? PTE_PAT_4K : PTE_PAT_LARGE;
  return ((lo & patBit) !== 0 ? 4 : 0) | ((lo & PTE_PCD) !== 0 ? 2 : 0) | ((lo & PTE_PWT) !== 0 ? 1 : 0);
}

/**
 * The PAT/PCD/PWT bits to OR into a leaf entry's low word to select PAT entry `index`: the inverse
 * of {@link patIndex}.
 *
 * @throws {@link InvalidArgumentError} for an index outside 0..7 or an unknown page size.
 * @example
 * ```ts
 * patBits(1, PAGE_4K); // 0x8    (PWT): WC with PAT_LINUX
 * patBits(4, PAGE_2M); // 0x1000 (PAT at bit 12)
 * ```
 */
export function patBits(index: number, size: PageSize): number {
  checkPageSize(`patBits(index=${String(index)})`, size);
  if (!Number.isInteger(index) || index < 0 || index > 7) {
    throw new InvalidArgumentError(`patBits(index=${String(index)}): a PAT index is 0..7 (SDM Table 11-11)`);
  }
  const patBit = size === 4096 ? PTE_PAT_4K : PTE_PAT_LARGE;
  return (
    ((index & 4) !== 0 ? patBit : 0) | ((index & 2) !== 0 ? PTE_PCD : 0) | ((index & 1) !== 0 ? PTE_PWT : 0)
  );
}

/**
 * The IA32_PAT MSR of one CPU.
 *
 * @example
 * ```ts
 * const pat = new Pat();
 * pat.entry(1);                    // MemoryType.WT (reset value)
 * pat.write(PAT_LINUX);
 * pat.typeForEntry(PTE_PWT, PAGE_4K); // MemoryType.WC
 * ```
 */
export class Pat {
  readonly #entries = new Uint8Array(8);

  /** @param value - initial MSR value; default {@link PAT_RESET}. @throws as {@link Pat.write}. */
  constructor(value: bigint = PAT_RESET) {
    this.write(value);
  }

  /** The memory type in field PA`index`. @throws {@link InvalidArgumentError} for an index outside 0..7. */
  entry(index: number): MemoryType {
    if (!Number.isInteger(index) || index < 0 || index > 7) {
      throw new InvalidArgumentError(`Pat.entry(${String(index)}): PAT fields are PA0..PA7`);
    }
    return this.#entries[index] as MemoryType;
  }

  /** RDMSR IA32_PAT: the 64-bit value, PA0 in bits 7:0 … PA7 in bits 63:56. */
  read(): bigint {
    let v = 0n;
    for (let i = 7; i >= 0; i--) v = (v << 8n) | BigInt(this.#entries[i]!);
    return v;
  }

  /**
   * WRMSR IA32_PAT.
   * @throws {@link ReservedBitsError} when a field has bits 7:3 set or holds encoding 2 or 3 (#GP on
   *   hardware, SDM 11.12.2), or the value is not a 64-bit unsigned integer; the PAT is unchanged.
   */
  write(value: bigint): void {
    if (typeof value !== "bigint" || value < 0n || value >> 64n !== 0n) {
      throw new ReservedBitsError(`wrmsr(IA32_PAT, ${String(value)}): not a 64-bit unsigned value`);
    }
    const fields = new Uint8Array(8);
    for (let i = 0; i < 8; i++) {
      const f = Number((value >> BigInt(8 * i)) & 0xffn);
      if (!isPatEncoding(f)) {
        throw new ReservedBitsError(
          `wrmsr(IA32_PAT, 0x${value.toString(16)}): PA${i}=0x${f.toString(16)} is reserved (valid: 0,1,4,5,6,7; SDM 11.12.2 → #GP)`,
        );
      }
      fields[i] = f;
    }
    this.#entries.set(fields);
  }

  /**
   * Set one field, leaving the others.
   * @throws {@link InvalidArgumentError} for a bad index; {@link ReservedBitsError} for a reserved type.
   */
  setEntry(index: number, type: MemoryType): void {
    this.entry(index);
    if (!isPatEncoding(type)) {
      throw new ReservedBitsError(
        `Pat.setEntry(${index}, ${String(type)}): not a PAT memory type (SDM Table 11-10)`,
      );
    }
    this.#entries[index] = type;
  }

  /** The first field holding `type`, or -1: which index a mapper should select for that type. */
  indexOf(type: MemoryType): number {
    return this.#entries.indexOf(type);
  }

  /** The PAT memory type a leaf entry selects (SDM 11.12.3). @throws as {@link patIndex}. */
  typeForEntry(lo: number, size: PageSize): MemoryType {
    return this.#entries[patIndex(lo, size)] as MemoryType;
  }

  /** `"PA0=WB PA1=WT …"`, for dumps. */
  toString(): string {
    return [...this.#entries].map((t, i) => `PA${i}=${memoryTypeName(t)}`).join(" ");
  }

  /** Throws an {@link InvariantError} if a field holds a reserved encoding. */
  checkInvariants(): void {
    for (let i = 0; i < 8; i++) {
      if (!isPatEncoding(this.#entries[i]!))
        throw new InvariantError(`Pat: PA${i}=${this.#entries[i]} is reserved`);
    }
  }
}
