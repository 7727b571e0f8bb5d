/**
 * The CPU model's types and constants: options, trace events, handler type, boot register values.
 *
 * Related: `cpu.ts` (the class), `registers.ts` (register bits), `ipi.ts`.
 */
import type { Tracer } from "../api.js";
import type { InterruptController, InterruptTraceEvent } from "../interrupts/api.js";
import type { Apic } from "../interrupts/apic.js";
import type { Clock } from "../interrupts/clock.js";
import type { PhysicalMemory } from "../memory/physical-memory.js";
import type { MtrrOptions } from "../memtypes/mtrr.js";
import type { Cpl } from "../mmu/context.js";
import type { TlbOptions } from "../tlb/api.js";
import type { Cpu } from "./cpu.js";
import type { IpiMode } from "./ipi.js";
import { CR0, CR4, EFER } from "./registers.js";

/** Trace events of the CPUs. */
export type CpuTraceEvent =
  | {
      readonly type: "cpu.write";
      readonly cpu: number;
      readonly register: "cr0" | "cr2" | "cr3" | "cr4" | "efer";
      readonly value: number;
      readonly dropped: number;
    }
  | { readonly type: "cpu.interrupt"; readonly cpu: number; readonly vector: number; readonly fromCpl: Cpl }
  | {
      readonly type: "cpu.ipi";
      readonly from: number;
      readonly to: number;
      readonly vector: number;
      readonly mode: IpiMode;
    };

/** An interrupt or exception handler: what an IDT gate points at. It runs with IF=0 at CPL 0. */
export type InterruptHandler = (cpu: Cpu, vector: number) => void;

/** Options of {@link Cpu}. */
export interface CpuOptions {
  /** Local APIC id, 0..255. Default 0. */
  readonly id?: number;
  /** Physical memory the MMU walks; without it {@link Cpu.translate} is unavailable. Default: none. */
  readonly memory?: PhysicalMemory;
  /** Geometry and policy of this CPU's TLB. Default 16 sets × 4 ways, LRU. */
  readonly tlb?: TlbOptions;
  /** MAXPHYADDR, 36..52. Default 46. */
  readonly maxPhysAddr?: number;
  /** Boot with 5-level paging (CR4.LA57), fixed for the CPU's life. Default false. */
  readonly la57?: boolean;
  /** The local interrupt controller. Default `new Apic()` (24 lines, all masked). */
  readonly apic?: Apic;
  /**
   * An external controller wired to LINT0 in virtual-wire mode (SDM 10.5.1, ExtINT): typically a
   * {@link Pic8259} for a single-CPU kernel in the PC's legacy PIC mode. Its vectors are taken after
   * the APIC's, regardless of TPR. Default: none.
   */
  readonly external?: InterruptController;
  /** The machine's clock: enables RDTSC, the local timer and IA32_TSC_DEADLINE. Default: none. */
  readonly clock?: Clock;
  /** The APIC line the local timer raises. Default 0 (the PC's timer line). */
  readonly timerLine?: number;
  /** MTRR geometry. Default 8 variable ranges. */
  readonly mtrrs?: Omit<MtrrOptions, "maxPhysAddr">;
  /**
   * Receives `cpu.*` events, and the `irq.*` and `timer.*` events of the default APIC and of the
   * timer. Default: none.
   */
  readonly tracer?: Tracer<CpuTraceEvent | InterruptTraceEvent>;
}

/** CR0 as a boot loader hands it to a 64-bit kernel: PG, WP, NE, ET, MP, PE (0x8001_0033). */
export const CR0_BOOT = (CR0.PG | CR0.WP | CR0.NE | CR0.ET | CR0.MP | CR0.PE) >>> 0;
/** CR4 at boot: PAE and PGE (plus LA57 when chosen). */
export const CR4_BOOT = CR4.PAE | CR4.PGE;
/** IA32_EFER at boot: SCE, LME, LMA, NXE (0xd01). */
export const EFER_BOOT = EFER.SCE | EFER.LME | EFER.LMA | EFER.NXE;
