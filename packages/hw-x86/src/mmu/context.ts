/**
 * The translation context: every piece of CPU state that the MMU reads during a linear-address
 * translation, as one plain, immutable record.
 *
 * A `Cpu` (src/cpu) produces it from its registers with {@link contextFromRegisters}; tests and
 * students build one with {@link makeContext}. Keeping it plain data means the walker depends on no
 * CPU class, and a translation is a pure function of (context, memory, TLB).
 *
 * | field        | register bit                 | effect on translation (Intel SDM)                          |
 * | ------------ | ---------------------------- | ---------------------------------------------------------- |
 * | `root`       | CR3 bits 51:12               | physical address of the PML4 (or PML5) table (4.5)          |
 * | `pcid`       | CR3 bits 11:0 if CR4.PCIDE   | tags TLB entries (4.10.1)                                   |
 * | `cpl`        | CS.RPL                        | 3 = user-mode access, 0–2 = supervisor (4.6)                |
 * | `wp`         | CR0.WP (bit 16)              | supervisor writes honour R/W (4.6.1)                        |
 * | `smep`       | CR4.SMEP (bit 20)            | supervisor fetches from user pages fault (4.6.1)            |
 * | `smap`       | CR4.SMAP (bit 21)            | supervisor data access to user pages fault unless AC (4.6.1)|
 * | `pcide`      | CR4.PCIDE (bit 17)           | PCIDs in use (4.10.1)                                       |
 * | `la57`       | CR4.LA57 (bit 12)            | 5-level paging, 57-bit linear addresses (4.5)               |
 * | `pge`        | CR4.PGE (bit 7)              | G bit makes translations global (4.10.2.4)                  |
 * | `pke`        | CR4.PKE (bit 22)             | protection keys for user pages (4.6.2)                      |
 * | `nxe`        | IA32_EFER.NXE (bit 11)       | bit 63 is XD; else it is reserved (4.5, 4.6)                |
 * | `ac`         | RFLAGS.AC (bit 18)           | lifts SMAP for explicit accesses (4.6.1)                    |
 * | `pkru`       | PKRU register                | AD/WD bits per protection key (4.6.2)                       |
 * | `maxPhysAddr`| CPUID.80000008H:EAX[7:0]     | address bits above it are reserved (4.1.4)                  |
 *
 * Not modelled: 32-bit and PAE paging (only IA-32e 4- and 5-level paging exist here), CR0.PG = 0,
 * implicit supervisor accesses (descriptor tables), supervisor protection keys (PKS), shadow stacks,
 * HLAT, and the CR3 PWT/PCD bits (memory types are the `memtypes` part's business).
 */
import { InvalidArgumentError, ReservedBitsError } from "../errors.js";
import { hex, type PhysAddr } from "../memory/address.js";

/** A current privilege level: 0 is the kernel, 3 is user mode. */
export type Cpl = 0 | 1 | 2 | 3;

/**
 * CPU state read by the MMU during a translation. See the file banner for each field's source.
 *
 * Treat a context as immutable: the MMU derives per-context tables (reserved-bit masks, the rights
 * table) and caches them by object identity, so a changed CPU state must be a new object — as
 * {@link makeContext} and {@link contextFromRegisters} produce (they also freeze it).
 */
export interface TranslationContext {
  /** Physical address of the root table (PML4, or PML5 with `la57`), from CR3 bits 51:12. */
  readonly root: PhysAddr;
  /** Current PCID (CR3 bits 11:0); 0 whenever `pcide` is false (SDM 4.10.1). */
  readonly pcid: number;
  /** Current privilege level; 3 makes every access a user-mode access. */
  readonly cpl: Cpl;
  /** CR0.WP: supervisor-mode writes honour read-only pages. */
  readonly wp: boolean;
  /** CR4.SMEP: supervisor-mode instruction fetches from user-mode pages fault. */
  readonly smep: boolean;
  /** CR4.SMAP: supervisor-mode data accesses to user-mode pages fault unless `ac`. */
  readonly smap: boolean;
  /** CR4.PCIDE: TLB entries are tagged with the PCID. */
  readonly pcide: boolean;
  /** CR4.LA57: 5-level paging with 57-bit linear addresses. */
  readonly la57: boolean;
  /** CR4.PGE: leaf entries with G=1 give global TLB entries. */
  readonly pge: boolean;
  /** CR4.PKE: protection keys apply to user-mode pages. */
  readonly pke: boolean;
  /** IA32_EFER.NXE: bit 63 of entries is execute-disable (else it is reserved). */
  readonly nxe: boolean;
  /** RFLAGS.AC: with SMAP, allows supervisor data accesses to user-mode pages. */
  readonly ac: boolean;
  /** PKRU: for key k, bit 2k is access-disable (AD) and bit 2k+1 write-disable (WD). */
  readonly pkru: number;
  /** MAXPHYADDR, 36..52: physical-address bits the CPU implements. */
  readonly maxPhysAddr: number;
}

/** The defaults of {@link makeContext}: a 64-bit kernel with the usual protections on. */
export const DEFAULT_CONTEXT: TranslationContext = Object.freeze({
  root: 0x1000,
  pcid: 0,
  cpl: 0,
  wp: true,
  smep: false,
  smap: false,
  pcide: false,
  la57: false,
  pge: true,
  pke: false,
  nxe: true,
  ac: false,
  pkru: 0,
  maxPhysAddr: 46,
});

/**
 * Build a validated context from defaults ({@link DEFAULT_CONTEXT}) and overrides.
 *
 * @throws {@link InvalidArgumentError} if `root` is not a 4 KiB-aligned address below 2^maxPhysAddr,
 *   `pcid` is outside 0..4095 or non-zero without `pcide`, `cpl` is not 0..3, `pkru` is not a
 *   32-bit value, or `maxPhysAddr` is outside 36..52.
 * @example
 * ```ts
 * const user = makeContext({ root: 0x1000, cpl: 3 });
 * ```
 */
export function makeContext(overrides: Partial<TranslationContext> = {}): TranslationContext {
  const ctx: TranslationContext = { ...DEFAULT_CONTEXT, ...overrides };
  validateContext("makeContext", ctx);
  return Object.freeze(ctx);
}

/** Raw register values, as a CPU model holds them. */
export interface ControlRegisters {
  /** CR0 (only WP, bit 16, matters to translation). */
  readonly cr0: number;
  /** CR3: bits 51:12 root table, bits 11:0 PCID (with CR4.PCIDE). A BigInt allows bit 63. */
  readonly cr3: number | bigint;
  /** CR4 (PGE bit 7, LA57 bit 12, PCIDE bit 17, SMEP bit 20, SMAP bit 21, PKE bit 22). */
  readonly cr4: number;
  /** IA32_EFER (NXE bit 11). */
  readonly efer: number;
  /** RFLAGS (AC bit 18). */
  readonly rflags: number;
  /** Current privilege level. */
  readonly cpl: Cpl;
  /** PKRU (default 0). */
  readonly pkru?: number;
  /** MAXPHYADDR (default 46). */
  readonly maxPhysAddr?: number;
}

/** CR0.WP. */
export const CR0_WP = 1 << 16;
/** CR4.PGE. */
export const CR4_PGE = 1 << 7;
/** CR4.LA57. */
export const CR4_LA57 = 1 << 12;
/** CR4.PCIDE. */
export const CR4_PCIDE = 1 << 17;
/** CR4.SMEP. */
export const CR4_SMEP = 1 << 20;
/** CR4.SMAP. */
export const CR4_SMAP = 1 << 21;
/** CR4.PKE. */
export const CR4_PKE = 1 << 22;
/** IA32_EFER.NXE. */
export const EFER_NXE = 1 << 11;
/** RFLAGS.AC. */
export const RFLAGS_AC = 1 << 18;

/**
 * Decode raw register values into a context. CR3 bit 63 (the "no flush" hint of a CR3 *write*) is
 * ignored here: it is not part of the stored CR3 (SDM 4.10.4.1); bits 62:52 must be zero.
 *
 * @throws {@link ReservedBitsError} if CR3 has reserved bits set (bits 62:MAXPHYADDR).
 * @throws {@link InvalidArgumentError} as {@link makeContext}.
 * @example
 * ```ts
 * contextFromRegisters({ cr0: CR0_WP, cr3: 0x5000, cr4: CR4_PGE, efer: EFER_NXE, rflags: 0, cpl: 3 });
 * ```
 */
export function contextFromRegisters(regs: ControlRegisters): TranslationContext {
  const maxPhysAddr = regs.maxPhysAddr ?? 46;
  const cr3 = BigInt.asUintN(63, BigInt(regs.cr3));
  if (cr3 >> BigInt(maxPhysAddr) !== 0n) {
    throw new ReservedBitsError(
      `contextFromRegisters(cr3=${hex(BigInt(regs.cr3))}): bits 62:${maxPhysAddr} are reserved (MAXPHYADDR=${maxPhysAddr}, SDM 4.5)`,
    );
  }
  const pcide = (regs.cr4 & CR4_PCIDE) !== 0;
  const ctx: TranslationContext = {
    root: Number(cr3 & ~0xfffn),
    pcid: pcide ? Number(cr3 & 0xfffn) : 0,
    cpl: regs.cpl,
    wp: (regs.cr0 & CR0_WP) !== 0,
    smep: (regs.cr4 & CR4_SMEP) !== 0,
    smap: (regs.cr4 & CR4_SMAP) !== 0,
    pcide,
    la57: (regs.cr4 & CR4_LA57) !== 0,
    pge: (regs.cr4 & CR4_PGE) !== 0,
    pke: (regs.cr4 & CR4_PKE) !== 0,
    nxe: (regs.efer & EFER_NXE) !== 0,
    ac: (regs.rflags & RFLAGS_AC) !== 0,
    pkru: regs.pkru ?? 0,
    maxPhysAddr,
  };
  validateContext("contextFromRegisters", ctx);
  return Object.freeze(ctx);
}

/** 2^0 .. 2^52: `**` with a variable exponent is a call to pow, and contexts are checked at every CR3 load. */
const TWO_POW = Array.from({ length: 53 }, (_, i) => 2 ** i);

function validateContext(call: string, ctx: TranslationContext): void {
  const m = ctx.maxPhysAddr;
  if (!Number.isInteger(m) || m < 36 || m > 52) {
    throw new InvalidArgumentError(
      `${call}: maxPhysAddr=${String(m)} must be an integer in 36..52 (SDM 4.1.4)`,
    );
  }
  if (!Number.isInteger(ctx.root) || ctx.root < 0 || ctx.root % 4096 !== 0 || ctx.root >= TWO_POW[m]!) {
    throw new InvalidArgumentError(
      `${call}: root=${hex(ctx.root)} must be a 4 KiB-aligned physical address below 2^${m} (CR3 bits ${m - 1}:12)`,
    );
  }
  if (!Number.isInteger(ctx.pcid) || ctx.pcid < 0 || ctx.pcid > 0xfff || (!ctx.pcide && ctx.pcid !== 0)) {
    throw new InvalidArgumentError(
      `${call}: pcid=${String(ctx.pcid)} must be in 0..4095, and 0 unless pcide (SDM 4.10.1)`,
    );
  }
  if (ctx.cpl !== 0 && ctx.cpl !== 1 && ctx.cpl !== 2 && ctx.cpl !== 3) {
    throw new InvalidArgumentError(`${call}: cpl=${String(ctx.cpl)} must be 0, 1, 2 or 3`);
  }
  if (!Number.isInteger(ctx.pkru) || ctx.pkru < 0 || ctx.pkru > 0xffffffff) {
    throw new InvalidArgumentError(`${call}: pkru=${String(ctx.pkru)} must be a 32-bit unsigned value`);
  }
}
