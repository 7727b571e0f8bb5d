/**
 * Memory type range registers: the firmware's map of which physical ranges are RAM, ROM or devices.
 *
 * Intel SDM Vol. 3A 11.11. Three kinds of MSRs give physical memory a memory type:
 *
 * ```
 *   IA32_MTRR_DEF_TYPE (0x2FF)   bits 7:0 default type, bit 10 FE (fixed enabled), bit 11 E (enabled)
 *
 *   fixed ranges, first 1 MiB (11 MSRs × 8 one-byte fields = 88 sub-ranges, SDM Table 11-9):
 *     FIX64K_00000 (0x250)          0x00000–0x7FFFF   8 × 64 KiB
 *     FIX16K_80000, _A0000 (0x258-9) 0x80000–0xBFFFF  16 × 16 KiB
 *     FIX4K_C0000 … _F8000 (0x268-F) 0xC0000–0xFFFFF  64 × 4 KiB
 *
 *   variable ranges, n = 0 … VCNT-1 (SDM 11.11.2.3):
 *     PHYSBASEn (0x200+2n)  bits 7:0 type, bits MAXPHYADDR-1:12 base
 *     PHYSMASKn (0x201+2n)  bit 11 V (valid), bits MAXPHYADDR-1:12 mask
 *     pa is in range n  ⇔  V and (pa & mask) = (base & mask)
 *
 *   Worked: base=0xE000_0000, size 256 MiB, MAXPHYADDR=36 → mask = 0xF_F000_0000 & ~(size-1)
 *           = 0xF_F000_0000; pa=0xE123_4567 & mask = 0xE000_0000 = base & mask → inside.
 * ```
 *
 * The type of an address (SDM 11.11.4.1): MTRRs disabled (E=0) → UC; else below 1 MiB with FE=1 → the
 * fixed range's type; else the matching variable ranges: one → its type; several of one type → that
 * type; any UC → UC; only WT and WB → WT; otherwise the SDM leaves it undefined and we report UC
 * with source `"undefined-overlap"`; none → the default type.
 *
 * At reset E=0 and every V bit is clear (SDM 11.11.5): all memory is UC until firmware programs them.
 *
 * Invariants ({@link Mtrrs.checkInvariants}): every type field holds an MTRR encoding (0,1,4,5,6);
 * bases and masks have no bits below 12 or at/above MAXPHYADDR.
 *
 * Related: `pat.ts`, `effective.ts`, `../cpu/cpu.ts` (RDMSR/WRMSR dispatch).
 */
import { InvalidArgumentError, InvariantError, ReservedBitsError } from "../errors.js";
import { hex, TWO_POW_32 } from "../memory/address.js";
import { isMtrrEncoding, MemoryType, memoryTypeName } from "./memory-type.js";

/** IA32_MTRRCAP (read-only): VCNT in bits 7:0, FIX bit 8, WC bit 10. */
export const IA32_MTRRCAP = 0xfe;
/** IA32_MTRR_DEF_TYPE. */
export const IA32_MTRR_DEF_TYPE = 0x2ff;
/** IA32_MTRR_PHYSBASE0; PHYSBASEn is 0x200 + 2n. */
export const IA32_MTRR_PHYSBASE0 = 0x200;
/** IA32_MTRR_PHYSMASK0; PHYSMASKn is 0x201 + 2n. */
export const IA32_MTRR_PHYSMASK0 = 0x201;
/** The 11 fixed-range MSRs, in address order (SDM Table 11-9). */
export const FIXED_MTRR_MSRS: readonly number[] = [
  0x250, 0x258, 0x259, 0x268, 0x269, 0x26a, 0x26b, 0x26c, 0x26d, 0x26e, 0x26f,
];

const DEF_E = 1 << 11;
const DEF_FE = 1 << 10;
const MASK_V = 1 << 11;
const ONE_MIB = 0x100000;

/** Where the type of an address came from (SDM 11.11.4.1). */
export type MtrrSource = "disabled" | "fixed" | "variable" | "undefined-overlap" | "default";

/** The MTRR memory type of one address, with the rule that decided it. */
export interface MtrrLookup {
  /** The MTRR type (never UC-). */
  readonly type: MemoryType;
  /** Which rule applied. */
  readonly source: MtrrSource;
  /** Indices of the variable ranges that matched (empty unless `source` is variable or undefined-overlap). */
  readonly ranges: readonly number[];
}

/** A variable range in friendly form. */
export interface VariableRange {
  /** First physical address, aligned to `size`. */
  readonly base: number;
  /** Size in bytes, a power of two ≥ 4 KiB (SDM 11.11.4). */
  readonly size: number;
  /** MTRR type. */
  readonly type: MemoryType;
}

/** Options of {@link Mtrrs}. */
export interface MtrrOptions {
  /** Number of variable ranges (IA32_MTRRCAP.VCNT). Default 8. */
  readonly variableCount?: number;
  /** MAXPHYADDR, 36..52. Default 46. */
  readonly maxPhysAddr?: number;
}

/** The index (0–87) of the fixed sub-range holding `pa` < 1 MiB. Worked: 0xB8000 → 8 + (0x38000 >> 14) = 22. */
function fixedIndex(pa: number): number {
  if (pa < 0x80000) return pa >>> 16;
  if (pa < 0xc0000) return 8 + ((pa - 0x80000) >>> 14);
  return 24 + ((pa - 0xc0000) >>> 12);
}

/**
 * The MTRRs of one CPU.
 *
 * @example
 * ```ts
 * const m = new Mtrrs();
 * m.setDefault({ enabled: true, fixedEnabled: false, type: MemoryType.UC });
 * m.setVariable(0, { base: 0, size: 2 ** 31, type: MemoryType.WB });   // RAM
 * m.typeOf(0x1000).type;        // WB
 * m.typeOf(0xe000_0000).type;   // UC: the framebuffer is in the default range
 * ```
 */
export class Mtrrs {
  /** Number of variable ranges. */
  readonly variableCount: number;
  /** MAXPHYADDR. */
  readonly maxPhysAddr: number;

  #defType = 0;
  readonly #fixed = new Uint8Array(88);
  // Variable ranges as 32-bit halves of the MSR values (bits 63:32 in *Hi).
  readonly #baseLo: Uint32Array;
  readonly #baseHi: Uint32Array;
  readonly #maskLo: Uint32Array;
  readonly #maskHi: Uint32Array;

  /** @throws {@link InvalidArgumentError} for a count outside 0..255 or MAXPHYADDR outside 36..52. */
  constructor(options: MtrrOptions = {}) {
    const n = options.variableCount ?? 8;
    const m = options.maxPhysAddr ?? 46;
    if (!Number.isInteger(n) || n < 0 || n > 255) {
      throw new InvalidArgumentError(`new Mtrrs(variableCount=${String(n)}): VCNT is 8 bits (0..255)`);
    }
    if (!Number.isInteger(m) || m < 36 || m > 52) {
      throw new InvalidArgumentError(`new Mtrrs(maxPhysAddr=${String(m)}): must be in 36..52 (SDM 4.1.4)`);
    }
    this.variableCount = n;
    this.maxPhysAddr = m;
    this.#baseLo = new Uint32Array(n);
    this.#baseHi = new Uint32Array(n);
    this.#maskLo = new Uint32Array(n);
    this.#maskHi = new Uint32Array(n);
  }

  /** Bits of the high half that lie at or above MAXPHYADDR: reserved in PHYSBASE/PHYSMASK. */
  get #hiReserved(): number {
    return (0xffffffff << (this.maxPhysAddr - 32)) >>> 0;
  }

  /** Whether MSR number `msr` belongs to the MTRRs. */
  handles(msr: number): boolean {
    return (
      msr === IA32_MTRRCAP ||
      msr === IA32_MTRR_DEF_TYPE ||
      FIXED_MTRR_MSRS.includes(msr) ||
      (msr >= IA32_MTRR_PHYSBASE0 && msr < IA32_MTRR_PHYSBASE0 + 2 * this.variableCount)
    );
  }

  /**
   * RDMSR of an MTRR.
   * @throws {@link InvalidArgumentError} when `msr` is not an MTRR of this CPU (#GP on hardware).
   */
  rdmsr(msr: number): bigint {
    if (msr === IA32_MTRRCAP) return BigInt(this.variableCount | (1 << 8) | (1 << 10));
    if (msr === IA32_MTRR_DEF_TYPE) return BigInt(this.#defType);
    const f = FIXED_MTRR_MSRS.indexOf(msr);
    if (f >= 0) {
      let v = 0n;
      for (let i = 7; i >= 0; i--) v = (v << 8n) | BigInt(this.#fixed[f * 8 + i]!);
      return v;
    }
    const n = this.#variableIndex("rdmsr", msr);
    const isMask = (msr - IA32_MTRR_PHYSBASE0) % 2 === 1;
    const lo = isMask ? this.#maskLo[n]! : this.#baseLo[n]!;
    const hi = isMask ? this.#maskHi[n]! : this.#baseHi[n]!;
    return (BigInt(hi) << 32n) | BigInt(lo);
  }

  #variableIndex(call: string, msr: number): number {
    const k = msr - IA32_MTRR_PHYSBASE0;
    if (!Number.isInteger(msr) || k < 0 || k >= 2 * this.variableCount) {
      throw new InvalidArgumentError(`${call}(msr=${hex(msr)}): not an MTRR of this CPU (#GP on hardware)`);
    }
    return k >>> 1;
  }

  /**
   * WRMSR of an MTRR.
   * @throws {@link ReservedBitsError} when the value sets reserved bits or holds an invalid type
   *   (#GP on hardware, SDM 11.11.2); {@link InvalidArgumentError} for an unknown or read-only MSR.
   *   The MTRRs are unchanged after a refused write.
   */
  wrmsr(msr: number, value: bigint): void {
    const call = `wrmsr(${hex(msr)}, ${hex(value)})`;
    if (typeof value !== "bigint" || value < 0n || value >> 64n !== 0n) {
      throw new ReservedBitsError(`${call}: not a 64-bit unsigned value`);
    }
    const lo = Number(value & 0xffffffffn);
    const hi = Number(value >> 32n);
    if (msr === IA32_MTRRCAP)
      throw new InvalidArgumentError(`${call}: IA32_MTRRCAP is read-only (#GP on hardware)`);
    if (msr === IA32_MTRR_DEF_TYPE) {
      // SDM 11.11.2.1: bits 9:8 and 63:12 reserved; the type must be 0, 1, 4, 5 or 6.
      if (hi !== 0 || (lo & ~(0xff | DEF_FE | DEF_E)) !== 0) {
        throw new ReservedBitsError(
          `${call}: IA32_MTRR_DEF_TYPE bits 9:8 and 63:12 are reserved (SDM 11.11.2.1)`,
        );
      }
      this.#checkType(call, lo & 0xff);
      this.#defType = lo;
      return;
    }
    const f = FIXED_MTRR_MSRS.indexOf(msr);
    if (f >= 0) {
      for (let i = 0; i < 8; i++)
        this.#checkType(`${call} field ${i}`, Number((value >> BigInt(8 * i)) & 0xffn));
      for (let i = 0; i < 8; i++) this.#fixed[f * 8 + i] = Number((value >> BigInt(8 * i)) & 0xffn);
      return;
    }
    const n = this.#variableIndex("wrmsr", msr);
    if ((msr - IA32_MTRR_PHYSBASE0) % 2 === 0) {
      // PHYSBASE: bits 11:8 and 63:MAXPHYADDR reserved (SDM 11.11.2.3).
      if ((lo & 0xf00) !== 0 || (hi & this.#hiReserved) !== 0) {
        throw new ReservedBitsError(
          `${call}: PHYSBASE${n} bits 11:8 and 63:${this.maxPhysAddr} are reserved`,
        );
      }
      this.#checkType(call, lo & 0xff);
      this.#baseLo[n] = lo;
      this.#baseHi[n] = hi;
    } else {
      // PHYSMASK: bits 10:0 and 63:MAXPHYADDR reserved.
      if ((lo & 0x7ff) !== 0 || (hi & this.#hiReserved) !== 0) {
        throw new ReservedBitsError(
          `${call}: PHYSMASK${n} bits 10:0 and 63:${this.maxPhysAddr} are reserved`,
        );
      }
      this.#maskLo[n] = lo;
      this.#maskHi[n] = hi;
    }
  }

  #checkType(call: string, type: number): void {
    if (!isMtrrEncoding(type)) {
      throw new ReservedBitsError(
        `${call}: type 0x${type.toString(16)} is not an MTRR memory type (0,1,4,5,6; SDM Table 11-8 → #GP)`,
      );
    }
  }

  /**
   * Program IA32_MTRR_DEF_TYPE from fields.
   * @throws {@link ReservedBitsError} for a type that is not an MTRR type; unchanged.
   */
  setDefault(def: {
    readonly enabled: boolean;
    readonly fixedEnabled: boolean;
    readonly type: MemoryType;
  }): void {
    this.wrmsr(
      IA32_MTRR_DEF_TYPE,
      BigInt(def.type | (def.fixedEnabled ? DEF_FE : 0) | (def.enabled ? DEF_E : 0)),
    );
  }

  /**
   * Program variable range `n` to cover `[base, base+size)` with `type`.
   *
   * @throws {@link InvalidArgumentError} when `n` is out of range, `size` is not a power of two
   *   ≥ 4 KiB, `base` is not aligned to `size` (SDM 11.11.4), or the range passes 2^MAXPHYADDR;
   *   {@link ReservedBitsError} for an invalid type. Unchanged on error.
   */
  setVariable(n: number, range: VariableRange): void {
    const call = `Mtrrs.setVariable(${String(n)}, base=${hex(range.base)}, size=${hex(range.size)})`;
    if (!Number.isInteger(n) || n < 0 || n >= this.variableCount) {
      throw new InvalidArgumentError(`${call}: ranges are 0..${this.variableCount - 1}`);
    }
    const { base, size } = range;
    const top = 2 ** this.maxPhysAddr;
    if (!Number.isInteger(size) || size < 4096 || size > top || 2 ** Math.round(Math.log2(size)) !== size) {
      throw new InvalidArgumentError(`${call}: size must be a power of two ≥ 4 KiB (SDM 11.11.4)`);
    }
    if (!Number.isInteger(base) || base < 0 || base % size !== 0 || base + size > top) {
      throw new InvalidArgumentError(
        `${call}: base must be aligned to size and the range below 2^${this.maxPhysAddr}`,
      );
    }
    this.#checkType(call, range.type);
    // mask = (2^MAXPHYADDR - size), e.g. size 256 MiB, MAXPHYADDR 36 → 0xF_F000_0000.
    const mask = top - size;
    this.wrmsr(IA32_MTRR_PHYSBASE0 + 2 * n, BigInt(base) | BigInt(range.type));
    this.wrmsr(IA32_MTRR_PHYSMASK0 + 2 * n, BigInt(mask) | BigInt(MASK_V));
  }

  /** Clear variable range `n`'s valid bit. @throws {@link InvalidArgumentError} for a bad `n`. */
  clearVariable(n: number): void {
    const msr = IA32_MTRR_PHYSMASK0 + 2 * n;
    this.#variableIndex(`Mtrrs.clearVariable(${String(n)})`, msr);
    this.#maskLo[n]! &= ~MASK_V;
  }

  /**
   * Set the type of every fixed sub-range inside `[base, base+length)`.
   * @throws {@link InvalidArgumentError} unless the span lies below 1 MiB on sub-range boundaries;
   *   {@link ReservedBitsError} for an invalid type. Unchanged on error.
   */
  setFixed(base: number, length: number, type: MemoryType): void {
    const call = `Mtrrs.setFixed(base=${hex(base)}, length=${hex(length)})`;
    if (
      !Number.isInteger(base) ||
      !Number.isInteger(length) ||
      base < 0 ||
      length <= 0 ||
      base + length > ONE_MIB
    ) {
      throw new InvalidArgumentError(`${call}: fixed ranges cover 0..1 MiB only (SDM 11.11.2.2)`);
    }
    const first = fixedIndex(base);
    const last = fixedIndex(base + length - 1);
    if (fixedStart(first) !== base || fixedStart(last + 1) !== base + length) {
      throw new InvalidArgumentError(`${call}: not on fixed sub-range boundaries (SDM Table 11-9)`);
    }
    this.#checkType(call, type);
    this.#fixed.fill(type, first, last + 1);
  }

  /**
   * The MTRR memory type of physical address `pa` and the rule that chose it (SDM 11.11.4.1).
   * @throws {@link InvalidArgumentError} when `pa` is not an integer in 0..2^MAXPHYADDR-1.
   */
  typeOf(pa: number): MtrrLookup {
    if (!Number.isInteger(pa) || pa < 0 || pa >= 2 ** this.maxPhysAddr) {
      throw new InvalidArgumentError(
        `Mtrrs.typeOf(${String(pa)}): not a physical address below 2^${this.maxPhysAddr}`,
      );
    }
    const def = this.#defType;
    if ((def & DEF_E) === 0) return { type: MemoryType.UC, source: "disabled", ranges: [] };
    if (pa < ONE_MIB && (def & DEF_FE) !== 0) {
      return { type: this.#fixed[fixedIndex(pa)]! as MemoryType, source: "fixed", ranges: [] };
    }
    const lo = (pa % TWO_POW_32) >>> 0;
    const hi = Math.floor(pa / TWO_POW_32) >>> 0;
    const ranges: number[] = [];
    const types = new Set<number>();
    for (let n = 0; n < this.variableCount; n++) {
      const mlo = this.#maskLo[n]!;
      if ((mlo & MASK_V) === 0) continue;
      const m = mlo & ~0xfff;
      const mhi = this.#maskHi[n]!;
      if ((lo & m) >>> 0 === (this.#baseLo[n]! & m) >>> 0 && (hi & mhi) === (this.#baseHi[n]! & mhi)) {
        ranges.push(n);
        types.add(this.#baseLo[n]! & 0xff);
      }
    }
    if (ranges.length === 0) return { type: (def & 0xff) as MemoryType, source: "default", ranges };
    if (types.size === 1) return { type: [...types][0] as MemoryType, source: "variable", ranges };
    if (types.has(MemoryType.UC)) return { type: MemoryType.UC, source: "variable", ranges };
    if (types.size === 2 && types.has(MemoryType.WT) && types.has(MemoryType.WB)) {
      return { type: MemoryType.WT, source: "variable", ranges };
    }
    // SDM 11.11.4.1: "processor behavior is undefined"; UC is the only safe answer.
    return { type: MemoryType.UC, source: "undefined-overlap", ranges };
  }

  /** The programmed variable ranges (valid ones), in friendly form, for dumps and tests. */
  variableRanges(): {
    readonly index: number;
    readonly base: number;
    readonly size: number;
    readonly type: MemoryType;
  }[] {
    const out = [];
    const top = 2 ** this.maxPhysAddr;
    for (let n = 0; n < this.variableCount; n++) {
      if ((this.#maskLo[n]! & MASK_V) === 0) continue;
      const mask = this.#maskHi[n]! * TWO_POW_32 + ((this.#maskLo[n]! & ~0xfff) >>> 0);
      const base = this.#baseHi[n]! * TWO_POW_32 + ((this.#baseLo[n]! & ~0xfff) >>> 0);
      out.push({ index: n, base, size: top - mask, type: (this.#baseLo[n]! & 0xff) as MemoryType });
    }
    return out;
  }

  /** A one-line-per-range dump: `default UC (E=1 FE=0)`, `var0 0x0+0x80000000 WB`, … */
  describe(): string {
    const def = this.#defType;
    const lines = [
      `default ${memoryTypeName(def & 0xff)} (E=${(def & DEF_E) !== 0 ? 1 : 0} FE=${(def & DEF_FE) !== 0 ? 1 : 0})`,
    ];
    for (const r of this.variableRanges())
      lines.push(`var${r.index} ${hex(r.base)}+${hex(r.size)} ${memoryTypeName(r.type)}`);
    return lines.join("\n");
  }

  /** Throws an {@link InvariantError} describing the first broken invariant (see the file banner). */
  checkInvariants(): void {
    if (!isMtrrEncoding(this.#defType & 0xff) || (this.#defType & ~(0xff | DEF_E | DEF_FE)) !== 0) {
      throw new InvariantError(`Mtrrs: IA32_MTRR_DEF_TYPE=${hex(this.#defType)} is invalid`);
    }
    for (let i = 0; i < 88; i++) {
      if (!isMtrrEncoding(this.#fixed[i]!))
        throw new InvariantError(`Mtrrs: fixed sub-range ${i} has type ${this.#fixed[i]}`);
    }
    for (let n = 0; n < this.variableCount; n++) {
      if (!isMtrrEncoding(this.#baseLo[n]! & 0xff))
        throw new InvariantError(`Mtrrs: PHYSBASE${n} type is invalid`);
      if ((this.#baseLo[n]! & 0xf00) !== 0 || (this.#maskLo[n]! & 0x7ff) !== 0) {
        throw new InvariantError(`Mtrrs: range ${n} has reserved low bits set`);
      }
      if (((this.#baseHi[n]! | this.#maskHi[n]!) & this.#hiReserved) !== 0) {
        throw new InvariantError(`Mtrrs: range ${n} has bits at or above MAXPHYADDR=${this.maxPhysAddr}`);
      }
    }
  }
}

/** First address of fixed sub-range `i` (0–88; 88 is the 1 MiB end). */
function fixedStart(i: number): number {
  if (i < 8) return i * 0x10000;
  if (i < 24) return 0x80000 + (i - 8) * 0x4000;
  return 0xc0000 + (i - 24) * 0x1000;
}
