/**
 * The effective memory type of an access: the MTRR type of the physical range combined with the PAT
 * type of the page, by Intel SDM Vol. 3A 11.5.2.2, Table 11-7.
 *
 * ```
 *   MTRR \ PAT   UC   UC-   WC   WT   WB   WP
 *   UC           UC   UC    WC   UC   UC   UC
 *   WC           UC   WC    WC   UC   WC   UC
 *   WT           UC   UC    WC   WT   WT   WP
 *   WB           UC   UC    WC   WT   WB   WP
 *   WP           UC   WC    WC   WT   WP   WP
 * ```
 *
 * Read it as "the stricter of the two wins", with two exceptions that are the reason the table
 * exists. PAT WC overrides every MTRR type, even UC: that is how a driver gets write combining on a
 * framebuffer that the firmware's MTRRs left UC (the default type for the device hole above RAM),
 * without touching the MTRRs. PAT UC- yields to an MTRR WC: that is how old drivers relying on an
 * MTRR WC range keep working under a PAT that maps the page "uncached".
 *
 * Three WP combinations (MTRR WT/PAT WP, MTRR WP/PAT UC-, MTRR WP/PAT WT) and two WC ones were
 * "undefined" in earlier editions of the SDM; we follow the current table. Not modelled: CR0.CD=1
 * (no-fill mode, SDM 11.5.3), which overrides both.
 *
 * Related: `pat.ts`, `mtrr.ts`, `../cpu/cpu.ts` (`Cpu.memoryTypeOf`).
 */
import { InvalidArgumentError } from "../errors.js";
import { isMtrrEncoding, isPatEncoding, MemoryType, memoryTypeName } from "./memory-type.js";

const { UC, WC, WT, WP, WB, UC_MINUS } = MemoryType;

// EFFECTIVE[mtrr][pat]; rows and columns indexed by encoding (2, 3 and MTRR 7 unused).
const EFFECTIVE: readonly (readonly number[])[] = (() => {
  const t: number[][] = Array.from({ length: 8 }, () => new Array<number>(8).fill(-1));
  const row = (mtrr: number, uc: number, ucm: number, wc: number, wt: number, wb: number, wp: number) => {
    const r = t[mtrr]!;
    r[UC] = uc;
    r[UC_MINUS] = ucm;
    r[WC] = wc;
    r[WT] = wt;
    r[WB] = wb;
    r[WP] = wp;
  };
  row(UC, UC, UC, WC, UC, UC, UC);
  row(WC, UC, WC, WC, UC, WC, UC);
  row(WT, UC, UC, WC, WT, WT, WP);
  row(WB, UC, UC, WC, WT, WB, WP);
  row(WP, UC, WC, WC, WT, WP, WP);
  return t;
})();

/**
 * Combine an MTRR type and a PAT type into the effective memory type (SDM Table 11-7).
 *
 * @throws {@link InvalidArgumentError} when `mtrr` is not an MTRR type (0,1,4,5,6) or `pat` not a
 *   PAT type (0,1,4,5,6,7).
 * @example
 * ```ts
 * effectiveMemoryType(MemoryType.UC, MemoryType.WC);       // WC: the framebuffer case
 * effectiveMemoryType(MemoryType.WC, MemoryType.UC_MINUS); // WC: UC- yields to an MTRR WC
 * effectiveMemoryType(MemoryType.WC, MemoryType.UC);       // UC: strong UC does not
 * ```
 */
export function effectiveMemoryType(mtrr: MemoryType, pat: MemoryType): MemoryType {
  if (!isMtrrEncoding(mtrr) || !isPatEncoding(pat)) {
    throw new InvalidArgumentError(
      `effectiveMemoryType(mtrr=${memoryTypeName(mtrr)}, pat=${memoryTypeName(pat)}): expects an MTRR type (UC, WC, WT, WP, WB) and a PAT type (those or UC-)`,
    );
  }
  return EFFECTIVE[mtrr]![pat] as MemoryType;
}
