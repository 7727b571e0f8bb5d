/**
 * The local APIC's register file: the 32-bit registers a kernel reads and writes to program its
 * CPU's interrupt controller, timer and IPIs, as xv6's `lapic.c` does through the page at
 * 0xFEE0_0000.
 *
 * Intel SDM Vol. 3A 10.4.1, Table 10-1. Each register sits at a 16-byte-aligned offset; this file
 * maps them onto the CPU's {@link Apic}, {@link Timer} and {@link IpiBus}:
 *
 * | offset | register | here |
 * | --- | --- | --- |
 * | 0x020 | ID (bits 31:24) | the CPU's APIC id, read-only |
 * | 0x030 | version | 0x0005_0014: version 0x14, 6 LVT entries |
 * | 0x080 / 0x0A0 | TPR / PPR | `Apic.taskPriority` / `Apic.processorPriority` |
 * | 0x0B0 | EOI | write: `Apic.eoi()`; ignored with nothing in service, as hardware does |
 * | 0x0F0 | spurious vector (bit 8: APIC enable) | stored |
 * | 0x100–0x170, 0x200–0x270 | ISR, IRR (8 × 32 bits) | the Apic's bitmaps |
 * | 0x280 | ESR | reads 0 |
 * | 0x300 / 0x310 | ICR low / high | a write to the low half sends the IPI (fixed or NMI) |
 * | 0x320 | LVT timer: vector 7:0, mask 16, mode 18:17 | routes the timer's line, sets the mode |
 * | 0x330–0x370 | LVT thermal, perf, LINT0, LINT1, error | stored |
 * | 0x380 / 0x390 | initial / current count | `Timer.writeInitialCount` / `currentCount` |
 * | 0x3E0 | divide configuration | bits 3,1:0 → 2, 4, … 128, 1 |
 *
 * ```
 *   Worked divide encoding (SDM Figure 10-10): value 0b1011 → bits (3,1,0) = 1,1,1 → divide by 1;
 *   0b0011 → 0,1,1 → 16;  0b1000 → 1,0,0 → 32.
 *   ICR low 0x000C_4500: shorthand 11 (all excluding self), level 1, delivery 101 (INIT).
 * ```
 *
 * INIT and STARTUP IPIs (xv6 sends an INIT level de-assert at boot and INIT/STARTUP to start other
 * CPUs) are accepted and counted but start nothing: every simulated CPU runs from the start.
 * Offsets not in the table read 0 and ignore writes, as reserved APIC registers do; misaligned or
 * out-of-page offsets are refused. On a CPU built without a clock the timer registers read 0 and
 * ignore writes; changing the divide configuration while the timer counts goes on at the new rate
 * (see `Timer.setDivide`).
 *
 * Related: `../interrupts/apic.ts`, `../interrupts/timer.ts`, `ipi.ts`, `cpu.ts`.
 */
import { InvalidArgumentError } from "../errors.js";
import type { TimerMode } from "../interrupts/timer.js";
import type { Cpu } from "./cpu.js";

/** Register offsets of the local APIC page (SDM Table 10-1). */
export const LapicReg = {
  /** Local APIC ID. */
  ID: 0x020,
  /** Version. */
  VERSION: 0x030,
  /** Task priority. */
  TPR: 0x080,
  /** Processor priority (read-only). */
  PPR: 0x0a0,
  /** End of interrupt (write-only). */
  EOI: 0x0b0,
  /** Logical destination. */
  LDR: 0x0d0,
  /** Destination format. */
  DFR: 0x0e0,
  /** Spurious-interrupt vector; bit 8 enables the APIC. */
  SVR: 0x0f0,
  /** In-service register, 8 words from here. */
  ISR: 0x100,
  /** Trigger-mode register, 8 words from here. */
  TMR: 0x180,
  /** Interrupt-request register, 8 words from here. */
  IRR: 0x200,
  /** Error status. */
  ESR: 0x280,
  /** Interrupt command, low half (writing it sends). */
  ICR_LOW: 0x300,
  /** Interrupt command, high half (destination in bits 31:24). */
  ICR_HIGH: 0x310,
  /** LVT timer. */
  LVT_TIMER: 0x320,
  /** LVT thermal sensor. */
  LVT_THERMAL: 0x330,
  /** LVT performance counters. */
  LVT_PERF: 0x340,
  /** LVT LINT0. */
  LVT_LINT0: 0x350,
  /** LVT LINT1. */
  LVT_LINT1: 0x360,
  /** LVT error. */
  LVT_ERROR: 0x370,
  /** Timer initial count. */
  TIMER_INITIAL: 0x380,
  /** Timer current count (read-only). */
  TIMER_CURRENT: 0x390,
  /** Timer divide configuration. */
  TIMER_DIVIDE: 0x3e0,
} as const;

/** LVT bit 16: masked. */
export const LVT_MASKED = 1 << 16;
/** LVT timer mode field values (bits 18:17). */
export const LVT_TIMER_PERIODIC = 1 << 17;
/** LVT timer mode: TSC-deadline. */
export const LVT_TIMER_TSC_DEADLINE = 2 << 17;

const MODES: readonly (TimerMode | undefined)[] = ["one-shot", "periodic", "tsc-deadline", undefined];
/** Divide-configuration encoding (bits 3,1,0) → divide value (SDM Figure 10-10). */
const DIVIDE_OF = [2, 4, 8, 16, 32, 64, 128, 1];

/** Counters of IPIs the register file accepted without modelling them. */
export interface LapicStats {
  /** INIT IPIs (assert or de-assert) accepted. */
  readonly init: number;
  /** STARTUP IPIs accepted. */
  readonly startup: number;
  /** EOI writes with nothing in service (ignored). */
  readonly spuriousEois: number;
}

/**
 * The local APIC register file of one CPU.
 *
 * @example
 * ```ts
 * // xv6's lapicinit(), register by register:
 * const lapic = cpu.lapic;
 * lapic.write(LapicReg.SVR, 0x100 | 0x3f);              // enable, spurious vector 63
 * lapic.write(LapicReg.TIMER_DIVIDE, 0b1011);           // divide by 1
 * lapic.write(LapicReg.LVT_TIMER, LVT_TIMER_PERIODIC | 0x20);
 * lapic.write(LapicReg.TIMER_INITIAL, 10_000_000);      // an interrupt every 10^7 cycles
 * lapic.write(LapicReg.EOI, 0);                         // ack anything outstanding
 * lapic.write(LapicReg.TPR, 0);
 * ```
 */
export class LocalApicRegisters {
  readonly #cpu: Cpu;
  #svr = 0xff;
  #ldr = 0;
  #dfr = 0xffffffff;
  #icrHigh = 0;
  #icrLow = 0;
  #lvtTimer = LVT_MASKED;
  readonly #lvt = new Map<number, number>([
    [LapicReg.LVT_THERMAL, LVT_MASKED],
    [LapicReg.LVT_PERF, LVT_MASKED],
    [LapicReg.LVT_LINT0, LVT_MASKED],
    [LapicReg.LVT_LINT1, LVT_MASKED],
    [LapicReg.LVT_ERROR, LVT_MASKED],
  ]);
  #divideBits = 0;
  #init = 0;
  #startup = 0;
  #spuriousEois = 0;

  /** @param cpu - the CPU whose APIC, timer and bus the registers drive (each `Cpu` makes its own: `cpu.lapic`). */
  constructor(cpu: Cpu) {
    this.#cpu = cpu;
  }

  /** Counters of accepted but unmodelled operations. */
  get stats(): LapicStats {
    return { init: this.#init, startup: this.#startup, spuriousEois: this.#spuriousEois };
  }

  #check(call: string, offset: number): void {
    if (!Number.isInteger(offset) || offset < 0 || offset >= 0x1000 || offset % 16 !== 0) {
      throw new InvalidArgumentError(
        `LocalApicRegisters.${call}(0x${Number(offset).toString(16)}): registers are 16-byte aligned in one 4 KiB page (SDM 10.4.1)`,
      );
    }
  }

  /** Read the 32-bit register at `offset`. @throws {@link InvalidArgumentError} for a misaligned offset. */
  read(offset: number): number {
    this.#check("read", offset);
    const apic = this.#cpu.apic;
    if (offset >= LapicReg.ISR && offset < LapicReg.ISR + 0x80)
      return word(apic.inServiceVectors(), (offset - LapicReg.ISR) >> 4);
    if (offset >= LapicReg.IRR && offset < LapicReg.IRR + 0x80)
      return word(apic.pendingVectors(), (offset - LapicReg.IRR) >> 4);
    switch (offset) {
      case LapicReg.ID:
        return (this.#cpu.id << 24) >>> 0;
      case LapicReg.VERSION:
        return 0x00050014;
      case LapicReg.TPR:
        return apic.taskPriority;
      case LapicReg.PPR:
        return apic.processorPriority;
      case LapicReg.LDR:
        return this.#ldr;
      case LapicReg.DFR:
        return this.#dfr;
      case LapicReg.SVR:
        return this.#svr;
      case LapicReg.ICR_LOW:
        return this.#icrLow & ~(1 << 12); // delivery status: idle (delivery is instantaneous)
      case LapicReg.ICR_HIGH:
        return this.#icrHigh;
      case LapicReg.LVT_TIMER:
        return this.#lvtTimer;
      case LapicReg.TIMER_INITIAL:
        return this.#cpu.timer?.initialCount ?? 0;
      case LapicReg.TIMER_CURRENT:
        return this.#cpu.timer?.currentCount() ?? 0;
      case LapicReg.TIMER_DIVIDE:
        return this.#divideBits;
      default:
        return this.#lvt.get(offset) ?? 0;
    }
  }

  /**
   * Write the 32-bit register at `offset`, with the effect the SDM gives it (see the banner).
   * @throws {@link InvalidArgumentError} for a misaligned offset, a value that is not 32 bits, an
   *   ICR delivery mode other than fixed, NMI, INIT, STARTUP, or an LVT timer mode 11 (reserved);
   *   the registers are unchanged then. Errors of the underlying operations (an illegal IPI vector,
   *   an APIC vector below 32) propagate.
   */
  write(offset: number, value: number): void {
    this.#check("write", offset);
    if (!Number.isInteger(value) || value < 0 || value > 0xffffffff) {
      throw new InvalidArgumentError(
        `LocalApicRegisters.write(0x${offset.toString(16)}, ${String(value)}): a 32-bit value`,
      );
    }
    const cpu = this.#cpu;
    switch (offset) {
      case LapicReg.TPR:
        cpu.apic.taskPriority = value & 0xff;
        return;
      case LapicReg.EOI:
        if (cpu.apic.inServiceVectors().length === 0) this.#spuriousEois++;
        else cpu.apic.eoi();
        return;
      case LapicReg.LDR:
        this.#ldr = value & 0xff000000;
        return;
      case LapicReg.DFR:
        this.#dfr = value | 0x0fffffff;
        return;
      case LapicReg.SVR:
        this.#svr = value & 0x13ff;
        return;
      case LapicReg.ESR:
        return; // writing ESR latches the errors; there are none
      case LapicReg.ICR_HIGH:
        this.#icrHigh = value & 0xff000000;
        return;
      case LapicReg.ICR_LOW:
        this.#sendIpi(value);
        return;
      case LapicReg.LVT_TIMER:
        this.#writeLvtTimer(value);
        return;
      case LapicReg.TIMER_INITIAL:
        cpu.timer?.writeInitialCount(value);
        return;
      case LapicReg.TIMER_DIVIDE: {
        const bits = value & 0b1011;
        cpu.timer?.setDivide(DIVIDE_OF[((bits & 0b1000) >> 1) | (bits & 0b11)]!);
        this.#divideBits = bits;
        return;
      }
      default:
        if (this.#lvt.has(offset)) this.#lvt.set(offset, value & 0x1f7ff);
    }
  }

  #writeLvtTimer(value: number): void {
    const mode = MODES[(value >>> 17) & 3];
    if (mode === undefined) {
      throw new InvalidArgumentError(`LocalApicRegisters: LVT timer mode 11 is reserved (SDM Figure 10-8)`);
    }
    const vector = value & 0xff;
    const masked = (value & LVT_MASKED) !== 0;
    const apic = this.#cpu.apic;
    // An LVT entry with a vector below 16 is illegal; route only real vectors (a masked entry may hold 0).
    if (vector >= 32) apic.route(this.#cpu.timerLine, { vector, masked, trigger: "edge" });
    else if (!masked) {
      throw new InvalidArgumentError(
        `LocalApicRegisters: LVT timer vector ${vector} is below 32 (SDM 10.5.2)`,
      );
    } else if (apic.vectorOf(this.#cpu.timerLine) !== 0) apic.setMasked(this.#cpu.timerLine, true);
    this.#cpu.timer?.setMode(mode);
    this.#lvtTimer = value & 0x710ff;
  }

  #sendIpi(low: number): void {
    const mode = (low >>> 8) & 7;
    const shorthand = (low >>> 18) & 3;
    const vector = low & 0xff;
    if (mode === 0b101) {
      this.#init++; // INIT (assert or level de-assert): every simulated CPU is already running
    } else if (mode === 0b110) {
      this.#startup++;
    } else if (mode === 0b000 || mode === 0b100) {
      const dest =
        shorthand === 1
          ? "self"
          : shorthand === 2
            ? "all"
            : shorthand === 3
              ? "all-but-self"
              : this.#icrHigh >>> 24;
      this.#cpu.sendIpi(dest, vector, mode === 0 ? "fixed" : "nmi");
    } else {
      throw new InvalidArgumentError(
        `LocalApicRegisters: ICR delivery mode 0b${mode.toString(2).padStart(3, "0")} is not modelled (fixed, NMI, INIT, STARTUP are)`,
      );
    }
    this.#icrLow = low;
  }
}

/** Word `w` (0–7) of a 256-bit register listed as set vectors. */
function word(vectors: readonly number[], w: number): number {
  let v = 0;
  for (const x of vectors) if (x >>> 5 === w) v |= 1 << (x & 31);
  return v >>> 0;
}
