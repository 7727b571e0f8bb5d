/**
 * Control registers, RFLAGS and IA32_EFER: their bits and the rules a write must obey.
 *
 * Intel SDM Vol. 3A 2.5 (Figure 2-7) and Vol. 4 (IA32_EFER). This file holds the bit constants and the
 * pure validation of one write; `cpu.ts` applies accepted writes and their TLB effects.
 *
 * ```
 *   CR0   31 PG  30 CD  29 NW  18 AM  16 WP  5 NE  4 ET  3 TS  2 EM  1 MP  0 PE      (63:32 reserved)
 *   CR3   51:12 root table (up to MAXPHYADDR)   11:0 PCID (CR4.PCIDE=1) or 4 PCD, 3 PWT
 *         63 on a write with PCIDE=1: do not flush (not stored)
 *   CR4   25 UINTR 24 PKS 23 CET 22 PKE 21 SMAP 20 SMEP 19 KL 18 OSXSAVE 17 PCIDE 16 FSGSBASE
 *         14 SMXE 13 VMXE 12 LA57 11 UMIP 10 OSXMMEXCPT 9 OSFXSR 8 PCE 7 PGE 6 MCE 5 PAE 4 PSE
 *         3 DE 2 TSD 1 PVI 0 VME                                   (15, 31:26, 63:32 reserved)
 *   EFER  11 NXE  10 LMA (read-only)  8 LME  0 SCE                  (all other bits reserved)
 *
 *   Worked: CR4 = 0x0030_06a0 sets bits 21, 20 (SMAP, SMEP), 10, 9 (OSXMMEXCPT, OSFXSR), 7 (PGE)
 *           and 5 (PAE): valid. CR4 = 0x0000_8020 sets bit 15: reserved → #GP(0).
 * ```
 *
 * The model's CPUs always run in IA-32e (64-bit) mode with paging on, as a kernel finds them after
 * a boot loader: the transitions out of it (clearing CR0.PG, CR4.PAE or EFER.LME; changing CR4.LA57)
 * are refused, as hardware refuses them while in 64-bit mode (SDM 9.8.5, MOV CR exceptions).
 *
 * Related: `cpu.ts`, `../mmu/context.ts` (what the MMU reads of these registers).
 */

import { ReservedBitsError } from "../errors.js";
import { hex } from "../memory/address.js";
import { ControlRegisterError } from "./errors.js";

/** CR0 bits (SDM 2.5). */
export const CR0 = {
  /** Protection enable. */
  PE: 1 << 0,
  /** Monitor coprocessor. */
  MP: 1 << 1,
  /** x87 emulation. */
  EM: 1 << 2,
  /** Task switched (lazy FPU). */
  TS: 1 << 3,
  /** Extension type (hardwired to 1). */
  ET: 1 << 4,
  /** Numeric error reporting through #MF. */
  NE: 1 << 5,
  /** Write protect: supervisor writes honour read-only pages (SDM 4.6.1). */
  WP: 1 << 16,
  /** Alignment mask: with RFLAGS.AC at CPL 3, misaligned accesses raise #AC. */
  AM: 1 << 18,
  /** Not write-through. */
  NW: 1 << 29,
  /** Cache disable. */
  CD: 1 << 30,
  /** Paging. */
  PG: 1 << 31,
} as const;

/** CR4 bits (SDM 2.5). */
export const CR4 = {
  /** Virtual-8086 mode extensions. */
  VME: 1 << 0,
  /** Protected-mode virtual interrupts. */
  PVI: 1 << 1,
  /** RDTSC restricted to CPL 0. */
  TSD: 1 << 2,
  /** Debugging extensions. */
  DE: 1 << 3,
  /** Page size extensions (ignored by 4-level paging). */
  PSE: 1 << 4,
  /** Physical address extension (required by IA-32e paging). */
  PAE: 1 << 5,
  /** Machine-check enable. */
  MCE: 1 << 6,
  /** Page global enable. */
  PGE: 1 << 7,
  /** RDPMC at any CPL. */
  PCE: 1 << 8,
  /** FXSAVE/FXRSTOR and SSE enabled. */
  OSFXSR: 1 << 9,
  /** Unmasked SSE exceptions raise #XM. */
  OSXMMEXCPT: 1 << 10,
  /** User-mode instruction prevention (SGDT etc. at CPL 3). */
  UMIP: 1 << 11,
  /** 57-bit linear addresses, 5-level paging. */
  LA57: 1 << 12,
  /** VMX enable. */
  VMXE: 1 << 13,
  /** SMX enable. */
  SMXE: 1 << 14,
  /** RDFSBASE etc. enabled. */
  FSGSBASE: 1 << 16,
  /** Process-context identifiers. */
  PCIDE: 1 << 17,
  /** XSAVE enabled. */
  OSXSAVE: 1 << 18,
  /** Key Locker. */
  KL: 1 << 19,
  /** Supervisor-mode execution prevention. */
  SMEP: 1 << 20,
  /** Supervisor-mode access prevention. */
  SMAP: 1 << 21,
  /** Protection keys for user pages. */
  PKE: 1 << 22,
  /**
   * Control-flow enforcement. Accepted with its CR0.WP rule, but shadow stacks and indirect-branch
   * tracking are not modelled: IA32_U_CET/IA32_S_CET do not exist here (RDMSR/WRMSR refuse them),
   * so CET behaves as with both MSRs 0, every feature off.
   */
  CET: 1 << 23,
  /**
   * Protection keys for supervisor pages (SDM 4.6.2). Accepted, but not modelled: IA32_PKRS (MSR
   * 0x6E1) does not exist here (RDMSR/WRMSR refuse it), so supervisor keys never restrict an access
   * — exactly the behaviour of PKS with IA32_PKRS = 0. User keys (CR4.PKE, PKRU) are modelled.
   */
  PKS: 1 << 24,
  /** User interrupts. */
  UINTR: 1 << 25,
} as const;

/** IA32_EFER bits (SDM Vol. 4, MSR 0xC0000080). */
export const EFER = {
  /** SYSCALL/SYSRET enable. */
  SCE: 1 << 0,
  /** Long mode enable. */
  LME: 1 << 8,
  /** Long mode active (read-only). */
  LMA: 1 << 10,
  /** Execute-disable bit enable. */
  NXE: 1 << 11,
} as const;

/** RFLAGS bits the model keeps. */
export const RFLAGS = {
  /** Bit 1 always reads 1. */
  FIXED: 1 << 1,
  /** Interrupt enable. */
  IF: 1 << 9,
  /** Alignment check / access control (SMAP override). */
  AC: 1 << 18,
} as const;

/** MSR number of IA32_EFER. */
export const IA32_EFER = 0xc0000080;
/** MSR number of IA32_TSC (the time-stamp counter). */
export const IA32_TSC = 0x10;
/** MSR number of IA32_TSC_DEADLINE (SDM 10.5.4.1). */
export const IA32_TSC_DEADLINE = 0x6e0;

/** Bit 63 of a CR3 write: keep the TLB entries of the new PCID (SDM 4.10.4.1). */
export const CR3_NOFLUSH = 1n << 63n;

const CR0_DEFINED = Object.values(CR0).reduce((a, b) => a | b, 0) >>> 0;
const CR4_DEFINED = Object.values(CR4).reduce((a, b) => a | b, 0) >>> 0;
const EFER_DEFINED = EFER.SCE | EFER.LME | EFER.LMA | EFER.NXE;

/**
 * A 64-bit register value given as a number or a bigint, split into halves. With `int32`, a negative
 * number in -2^31..-1 is read as its 32-bit two's complement: `cpu.cr0 & ~CR0.WP` is negative in
 * JavaScript because PG is bit 31, and means 0x8000_0033, not a negative register value.
 */
function split(call: string, value: number | bigint, int32 = false): [lo: number, hi: number] {
  if (int32 && typeof value === "number" && Number.isInteger(value) && value < 0 && value >= -(2 ** 31)) {
    return [value >>> 0, 0];
  }
  if (typeof value === "bigint") {
    if (value < 0n || value >> 64n !== 0n)
      throw new ReservedBitsError(`${call}: ${String(value)} is not a 64-bit value`);
    return [Number(value & 0xffffffffn), Number(value >> 32n)];
  }
  if (!Number.isSafeInteger(value) || value < 0) {
    throw new ReservedBitsError(`${call}: ${String(value)} is not a non-negative integer register value`);
  }
  return [value % 2 ** 32, Math.floor(value / 2 ** 32)];
}

/**
 * Check a MOV to CR0 in 64-bit mode; return the value to store (ET forced to 1). A negative number
 * is read as a 32-bit pattern (see `split`).
 *
 * @throws {@link ReservedBitsError} for bits 63:32 (#GP, SDM 2.5) or undefined bits of 31:0 (which
 *   hardware silently keeps; we refuse them to catch the bug).
 * @throws {@link ControlRegisterError} for PG=1 with PE=0, NW=1 with CD=0, clearing PG in 64-bit
 *   mode, or clearing WP while CR4.CET=1 (each #GP(0), SDM MOV CR).
 */
export function checkCr0(value: number | bigint, cr4: number): number {
  const call = `writeCr0(${hex(typeof value === "number" && value < 0 ? value >>> 0 : value)})`;
  const [lo, hi] = split(call, value, true);
  if (hi !== 0) throw new ReservedBitsError(`${call}: bits 63:32 of CR0 are reserved (SDM 2.5 → #GP)`);
  const undefinedBits = (lo & ~CR0_DEFINED) >>> 0;
  if (undefinedBits !== 0) {
    throw new ReservedBitsError(
      `${call}: bits ${hex(undefinedBits)} of CR0 are reserved (SDM 2.5, Figure 2-7)`,
    );
  }
  if ((lo & CR0.PG) !== 0 && (lo & CR0.PE) === 0) {
    throw new ControlRegisterError(`${call}: PG=1 requires PE=1 (SDM MOV CR → #GP)`);
  }
  if ((lo & CR0.NW) !== 0 && (lo & CR0.CD) === 0) {
    throw new ControlRegisterError(`${call}: NW=1 requires CD=1 (SDM MOV CR → #GP)`);
  }
  if ((lo & CR0.PG) === 0) {
    throw new ControlRegisterError(
      `${call}: clearing PG in 64-bit mode is #GP; leaving IA-32e mode goes through compatibility mode (SDM 9.8.5.4), not modelled`,
    );
  }
  if ((lo & CR0.WP) === 0 && (cr4 & CR4.CET) !== 0) {
    throw new ControlRegisterError(`${call}: WP cannot be cleared while CR4.CET=1 (SDM MOV CR → #GP)`);
  }
  return (lo | CR0.ET) >>> 0;
}

/**
 * Check a MOV to CR4 in 64-bit mode.
 *
 * @throws {@link ReservedBitsError} for bits 63:32, bit 15 or 31:26 (#GP, SDM 2.5).
 * @throws {@link ControlRegisterError} for clearing PAE or changing LA57 in IA-32e mode, setting
 *   PCIDE while CR3[11:0] ≠ 0 (SDM 4.10.1), or setting CET while CR0.WP=0 (each #GP(0)).
 */
export function checkCr4(value: number | bigint, old: number, cr0: number, cr3Low12: number): number {
  const call = `writeCr4(${hex(typeof value === "number" && value < 0 ? value >>> 0 : value)})`;
  const [lo, hi] = split(call, value, true);
  const reserved = (lo & ~CR4_DEFINED) >>> 0;
  if (hi !== 0 || reserved !== 0) {
    throw new ReservedBitsError(
      `${call}: reserved CR4 bits set (${hi !== 0 ? "63:32" : hex(reserved)}; bits 15, 31:26 and 63:32 are reserved, SDM 2.5 → #GP)`,
    );
  }
  if ((lo & CR4.PAE) === 0)
    throw new ControlRegisterError(`${call}: PAE cannot be cleared in IA-32e mode (SDM 4.1.2 → #GP)`);
  if (((lo ^ old) & CR4.LA57) !== 0) {
    throw new ControlRegisterError(`${call}: LA57 cannot change in IA-32e mode (SDM MOV CR → #GP)`);
  }
  if ((lo & CR4.PCIDE) !== 0 && (old & CR4.PCIDE) === 0 && cr3Low12 !== 0) {
    throw new ControlRegisterError(
      `${call}: setting PCIDE requires CR3[11:0] = 0, found ${hex(cr3Low12)} (SDM 4.10.1 → #GP)`,
    );
  }
  if ((lo & CR4.CET) !== 0 && (cr0 & CR0.WP) === 0) {
    throw new ControlRegisterError(`${call}: CET requires CR0.WP=1 (SDM MOV CR → #GP)`);
  }
  return lo >>> 0;
}

/** A checked CR3 write: what to store and how the TLB must react. */
export interface Cr3Write {
  /** The new CR3 (bit 63 dropped): root in 51:12, PCID or PWT/PCD in 11:0. */
  readonly value: number;
  /** The PCID the write switches to (0 without PCIDE). */
  readonly pcid: number;
  /** Bit 63 was set with PCIDE=1: the PCID's entries are kept. */
  readonly noFlush: boolean;
}

/**
 * Check a MOV to CR3 in 64-bit mode.
 *
 * @throws {@link ReservedBitsError} for bits 62:MAXPHYADDR, or bit 63 when CR4.PCIDE=0 (SDM 4.5,
 *   Tables 4-12 and 4-13 → #GP).
 */
export function checkCr3(value: number | bigint, pcide: boolean, maxPhysAddr: number): Cr3Write {
  const call = `writeCr3(${hex(value)})`;
  const [lo, hi] = split(call, value);
  const bit63 = (hi & 0x80000000) !== 0;
  if (bit63 && !pcide) {
    throw new ReservedBitsError(`${call}: bit 63 is reserved when CR4.PCIDE=0 (SDM 4.5, Table 4-12 → #GP)`);
  }
  const hiKept = hi & 0x7fffffff;
  if (hiKept >>> (maxPhysAddr - 32) !== 0) {
    throw new ReservedBitsError(
      `${call}: bits 62:${maxPhysAddr} are reserved (MAXPHYADDR=${maxPhysAddr}, SDM 4.5)`,
    );
  }
  return { value: hiKept * 2 ** 32 + lo, pcid: pcide ? lo & 0xfff : 0, noFlush: bit63 };
}

/**
 * Check a WRMSR to IA32_EFER in 64-bit mode; return the value to store (LMA kept as it was).
 *
 * @throws {@link ReservedBitsError} for any bit other than SCE, LME, LMA, NXE (SDM Vol. 4 → #GP).
 * @throws {@link ControlRegisterError} for clearing LME while paging is on (SDM 9.8.5 → #GP).
 */
export function checkEfer(value: bigint, old: number): number {
  const call = `wrmsr(IA32_EFER, ${hex(value)})`;
  const [lo, hi] = split(call, value);
  const reserved = (lo & ~EFER_DEFINED) >>> 0;
  if (hi !== 0 || reserved !== 0) {
    throw new ReservedBitsError(
      `${call}: only SCE(0), LME(8), LMA(10), NXE(11) are defined; reserved bits set → #GP`,
    );
  }
  if ((lo & EFER.LME) === 0) {
    throw new ControlRegisterError(`${call}: LME cannot change while CR0.PG=1 (SDM 9.8.5 → #GP)`);
  }
  // LMA is set by the processor; a WRMSR does not change it.
  return ((lo & ~EFER.LMA) | (old & EFER.LMA)) >>> 0;
}

/**
 * The names of the flags set in `value`, highest bit first, for dumps.
 *
 * @param bits - one of {@link CR0}, {@link CR4}, {@link EFER}, {@link RFLAGS}.
 * @example
 * ```ts
 * flagNames(0x80010033, CR0); // ["PG", "WP", "NE", "ET", "MP", "PE"]
 * ```
 */
export function flagNames(value: number, bits: Readonly<Record<string, number>>): string[] {
  return Object.entries(bits)
    .filter(([, bit]) => (value & bit) !== 0)
    .sort((a, b) => (b[1] >>> 0) - (a[1] >>> 0))
    .map(([name]) => name);
}
