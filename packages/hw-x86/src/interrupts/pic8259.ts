/**
 * The 8259A programmable interrupt controller: eight lines at fixed priority.
 *
 * The PC's original interrupt controller (Intel 8259A datasheet) keeps three 8-bit registers:
 *
 * ```
 *   IRR  interrupt request   bit n set: line n has a request waiting
 *   ISR  in service          bit n set: line n's handler is running (until EOI)
 *   IMR  interrupt mask      bit n set: line n is never delivered
 *
 *   priority (fully nested mode): line 0 highest … line 7 lowest
 *   IRR=0b0001_0100 (lines 2 and 4), ISR=0b0000_1000 (line 3 in service), IMR=0
 *     → line 2 is delivered (it outranks line 3); line 4 waits for the EOI of line 3.
 * ```
 *
 * The vector of line n is `base + n`, with `base` a multiple of 8 (ICW2 in 8086 mode). On a PC the
 * BIOS leaves base = 8, which collides with the CPU exceptions #DF..#MF — the classic bug of a
 * first kernel that forgets to remap the PIC sees its timer as a double fault; every protected-mode
 * kernel reprograms it (commonly to 0x20, our default). An edge on a masked line is still latched
 * in the IRR and delivered once unmasked. Level or edge triggering is per line, as the PC's ELCR
 * register allows, or for all lines with ICW1.LTIM.
 *
 * It is also a {@link PortDevice} on two ports (master: 0x20 command, 0x21 data), programmed as
 * xv6's `picirq.c` or Linux's `i8259.c` do:
 *
 * ```
 *   out 0x20, 0x11   ICW1: init, edge, cascade, ICW4 follows  (clears IMR, ISR, edge requests)
 *   out 0x21, 0x20   ICW2: vector base 0x20
 *   out 0x21, 0x04   ICW3: (cascade wiring; stored, not modelled)
 *   out 0x21, 0x01   ICW4: 8086 mode (bit 1 = auto-EOI)
 *   out 0x21, 0xfb   OCW1: IMR
 *   out 0x20, 0x20   OCW2: non-specific EOI     0x60|n: specific EOI of line n
 *   out 0x20, 0x0a   OCW3: next read of 0x20 returns IRR (0x0b: ISR)
 * ```
 *
 * Not modelled: cascading a second 8259 on line 2 (ICW3 is accepted and ignored), rotating
 * priorities, special mask mode, poll mode, MCS-80 mode, spurious IRQ 7 (each refused with a typed
 * error when programmed).
 *
 * Related: `api.ts` (the contract), `apic.ts` (the modern replacement).
 */

import type { PortDevice, PortWidth } from "../devices/ports.js";
import { InvalidArgumentError, InvariantError } from "../errors.js";
import type { InterruptController, TriggerMode } from "./api.js";
import { InterruptStateError } from "./errors.js";

/** Options of {@link Pic8259}. */
export interface Pic8259Options {
  /** Vector of line 0; a multiple of 8 in 0..248 (8 collides with the exceptions). Default 0x20. */
  readonly vectorBase?: number;
  /** Lines that are level-triggered (the PC's ELCR). Default none: all edge. */
  readonly levelLines?: readonly number[];
}

/**
 * An 8259A in fully nested mode with non-specific EOI.
 *
 * @example
 * ```ts
 * const pic = new Pic8259();   // lines 0–7 → vectors 0x20–0x27, all unmasked
 * pic.raise(4); pic.lower(4);  // COM1
 * pic.raise(0); pic.lower(0);  // PIT timer
 * pic.acknowledge();           // 0x20: line 0 outranks line 4
 * pic.eoi();
 * pic.acknowledge();           // 0x24
 * ```
 */
export class Pic8259 implements InterruptController, PortDevice {
  /** Eight lines, IR0–IR7. */
  readonly lineCount = 8;
  /** The IRR latches edges whatever the IMR says. */
  readonly maskedEdge = "held" as const;
  #base: number;
  #irr = 0;
  #isr = 0;
  #imr = 0;
  #high = 0;
  #level: number;
  readonly #elcr: number;
  // Port programming: which ICW the data port expects next (0 = none), and OCW3's read selection.
  #expect: 0 | 2 | 3 | 4 = 0;
  #single = false;
  #autoEoi = false;
  #readIsr = false;

  /** @throws {@link InvalidArgumentError} for a bad vector base or level-line number. */
  constructor(options: Pic8259Options = {}) {
    const base = options.vectorBase ?? 0x20;
    if (!Number.isInteger(base) || base % 8 !== 0 || base < 0 || base > 248) {
      throw new InvalidArgumentError(
        `new Pic8259(vectorBase=${String(base)}): must be a multiple of 8 in 0..248 (ICW2, 8086 mode)`,
      );
    }
    let level = 0;
    for (const line of options.levelLines ?? []) {
      this.#check("new Pic8259(levelLines)", line);
      level |= 1 << line;
    }
    this.#base = base;
    this.#level = level;
    this.#elcr = level;
  }

  /** Vector of line 0 (ICW2). */
  get vectorBase(): number {
    return this.#base;
  }

  /** Whether auto-EOI mode is on (ICW4 bit 1): acknowledging also ends the interrupt. */
  get autoEoi(): boolean {
    return this.#autoEoi;
  }

  #check(call: string, line: number): void {
    if (!Number.isInteger(line) || line < 0 || line > 7) {
      throw new InvalidArgumentError(`${call}: line ${String(line)} is not one of IR0–IR7`);
    }
  }

  /** @inheritdoc */
  raise(line: number): void {
    this.#check("Pic8259.raise", line);
    const bit = 1 << line;
    if ((this.#high & bit) !== 0) return;
    this.#high |= bit;
    // Edge: the low→high transition sets the IRR bit. Level: the IRR bit follows the line.
    if ((this.#level & bit) === 0 || (this.#isr & bit) === 0) this.#irr |= bit;
  }

  /** @inheritdoc */
  lower(line: number): void {
    this.#check("Pic8259.lower", line);
    const bit = 1 << line;
    this.#high &= ~bit;
    if ((this.#level & bit) !== 0) this.#irr &= ~bit;
  }

  /** @inheritdoc */
  setMasked(line: number, masked: boolean): void {
    this.#check("Pic8259.setMasked", line);
    if (masked) this.#imr |= 1 << line;
    else this.#imr &= ~(1 << line);
  }

  /** @inheritdoc */
  isMasked(line: number): boolean {
    this.#check("Pic8259.isMasked", line);
    return (this.#imr & (1 << line)) !== 0;
  }

  /** @inheritdoc */
  vectorOf(line: number): number {
    this.#check("Pic8259.vectorOf", line);
    return this.#base + line;
  }

  /** Fixed priority: 7 for line 0 down to 0 for line 7. */
  priorityOf(line: number): number {
    this.#check("Pic8259.priorityOf", line);
    return 7 - line;
  }

  /** @inheritdoc */
  triggerOf(line: number): TriggerMode {
    this.#check("Pic8259.triggerOf", line);
    return (this.#level & (1 << line)) !== 0 ? "level" : "edge";
  }

  /** @inheritdoc */
  isPending(line: number): boolean {
    this.#check("Pic8259.isPending", line);
    return (this.#irr & (1 << line)) !== 0;
  }

  /** @inheritdoc */
  isInService(line: number): boolean {
    this.#check("Pic8259.isInService", line);
    return (this.#isr & (1 << line)) !== 0;
  }

  /** The mask register IMR (bit n = line n masked), as `IN AL, 0x21` reads it. */
  get imr(): number {
    return this.#imr;
  }
  /** The request register IRR. */
  get irr(): number {
    return this.#irr;
  }
  /** The in-service register ISR. */
  get isr(): number {
    return this.#isr;
  }

  #deliverable(): number {
    const req = this.#irr & ~this.#imr;
    if (req === 0) return -1;
    // Lowest set bit = highest priority. Worked: req=0b0001_0100 → req & -req = 0b100 → line 2.
    const line = 31 - Math.clz32(req & -req);
    // Fully nested: only lines numbered below the highest-priority in-service line may interrupt.
    if (this.#isr !== 0) {
      const inService = 31 - Math.clz32(this.#isr & -this.#isr);
      if (line >= inService) return -1;
    }
    return line;
  }

  /** @inheritdoc */
  peek(): number | null {
    const line = this.#deliverable();
    return line < 0 ? null : this.#base + line;
  }

  /** @inheritdoc */
  acknowledge(): number | null {
    const line = this.#deliverable();
    if (line < 0) return null;
    const bit = 1 << line;
    this.#irr &= ~bit;
    this.#isr |= bit;
    if (this.#autoEoi) this.#retire(bit);
    return this.#base + line;
  }

  /** @inheritdoc */
  eoi(): void {
    if (this.#isr === 0)
      throw new InterruptStateError("Pic8259.eoi(): no line is in service (EOI without acknowledge?)");
    this.#retire(this.#isr & -this.#isr);
  }

  /**
   * Specific EOI (OCW2 0x60 | line): retire `line`, whatever its priority.
   * @throws {@link InvalidArgumentError} for a bad line; {@link InterruptStateError} when it is
   *   not in service (state unchanged).
   */
  eoiLine(line: number): void {
    this.#check("Pic8259.eoiLine", line);
    if ((this.#isr & (1 << line)) === 0) {
      throw new InterruptStateError(`Pic8259.eoiLine(${line}): line ${line} is not in service`);
    }
    this.#retire(1 << line);
  }

  #retire(bit: number): void {
    this.#isr &= ~bit;
    // A level line still high requests again.
    if ((this.#level & bit) !== 0 && (this.#high & bit) !== 0) this.#irr |= bit;
  }

  // ── the two I/O ports ──────────────────────────────────────────────────────────────────────────

  /** IN from the command port (offset 0: IRR or ISR, as OCW3 chose) or the data port (offset 1: IMR). */
  readPort(offset: number, width: PortWidth): number {
    this.#checkPort("readPort", offset, width);
    if (offset === 1) return this.#imr;
    return this.#readIsr ? this.#isr : this.#irr;
  }

  /**
   * OUT to the command port (offset 0: ICW1, OCW2, OCW3) or the data port (offset 1: ICW2–4 during
   * initialization, else OCW1 = IMR), per the 8259A datasheet.
   * @throws {@link InvalidArgumentError} for a bad offset or width, or a command this model does not
   *   implement (MCS-80 mode, rotation, special mask, poll); {@link InterruptStateError} for an EOI
   *   with nothing in service. Refused writes change nothing.
   */
  writePort(offset: number, width: PortWidth, value: number): void {
    this.#checkPort("writePort", offset, width);
    const v = value & 0xff;
    const call = `Pic8259.writePort(${offset}, 0x${v.toString(16)})`;
    if (offset === 0) {
      if ((v & 0x10) !== 0) {
        // ICW1: bit 0 IC4, bit 1 SNGL, bit 3 LTIM.
        if ((v & 0x01) === 0)
          throw new InvalidArgumentError(`${call}: ICW1 without ICW4 selects MCS-80/85 mode (not modelled)`);
        this.#single = (v & 0x02) !== 0;
        this.#level = (v & 0x08) !== 0 ? 0xff : this.#elcr;
        this.#imr = 0;
        this.#isr = 0;
        // The edge-sense latches are reset; a level line that is high keeps requesting.
        this.#irr = this.#level & this.#high;
        this.#readIsr = false;
        this.#autoEoi = false;
        this.#expect = 2;
      } else if ((v & 0x08) === 0) {
        // OCW2: bits 7:5 = R SL EOI.
        const op = v >>> 5;
        if (op === 0b001) this.eoi();
        else if (op === 0b011) this.eoiLine(v & 7);
        else if (op !== 0b010)
          throw new InvalidArgumentError(`${call}: OCW2 rotation and priority commands are not modelled`);
      } else {
        // OCW3: bits 6:5 special mask, bit 2 poll, bits 1:0 RR RIS.
        if ((v & 0x64) !== 0)
          throw new InvalidArgumentError(`${call}: OCW3 special mask and poll mode are not modelled`);
        if ((v & 0x02) !== 0) this.#readIsr = (v & 0x01) !== 0;
      }
      return;
    }
    switch (this.#expect) {
      case 2:
        this.#base = v & 0xf8;
        this.#expect = this.#single ? 4 : 3;
        return;
      case 3:
        this.#expect = 4; // cascade wiring: accepted, not modelled
        return;
      case 4:
        if ((v & 0x01) === 0)
          throw new InvalidArgumentError(`${call}: ICW4 with µPM=0 selects MCS-80/85 mode (not modelled)`);
        this.#autoEoi = (v & 0x02) !== 0;
        this.#expect = 0;
        return;
      default:
        this.#imr = v; // OCW1
    }
  }

  #checkPort(call: string, offset: number, width: PortWidth): void {
    if ((offset !== 0 && offset !== 1) || width !== 1) {
      throw new InvalidArgumentError(
        `Pic8259.${call}(offset=${String(offset)}, width=${String(width)}): two 1-byte ports`,
      );
    }
  }

  /** @inheritdoc */
  checkInvariants(): void {
    for (const [name, value] of [
      ["IRR", this.#irr],
      ["ISR", this.#isr],
      ["IMR", this.#imr],
    ] as const) {
      if ((value & ~0xff) !== 0)
        throw new InvariantError(`Pic8259: ${name}=0x${value.toString(16)} has bits above 7`);
    }
    const badLevel = this.#level & this.#irr & ~this.#high;
    if (badLevel !== 0) {
      throw new InvariantError(`Pic8259: level lines 0b${badLevel.toString(2)} requested while low`);
    }
    const levelBoth = this.#level & this.#irr & this.#isr;
    if (levelBoth !== 0) {
      throw new InvariantError(
        `Pic8259: level lines 0b${levelBoth.toString(2)} both requested and in service`,
      );
    }
  }
}
