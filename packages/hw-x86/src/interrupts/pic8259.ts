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
 * BIOS leaves base = 8, which collides with the CPU exceptions #DF..#MF; every protected-mode kernel
 * reprograms it (commonly to 0x20, our default). An edge on a masked line is still latched in the
 * IRR and delivered once unmasked. Level or edge triggering is per line, as the PC's ELCR register
 * allows.
 *
 * Not modelled: cascading a second 8259 on line 2, rotating priorities, special mask mode, the
 * programming sequence through ports 0x20/0x21, spurious IRQ 7.
 *
 * Related: `api.ts` (the contract), `apic.ts` (the modern replacement).
 */
import { InvalidArgumentError, InvariantError } from "../errors.js";
import type { InterruptController, TriggerMode } from "./api.js";
import { InterruptStateError } from "./errors.js";
import { FIRST_EXTERNAL_VECTOR } from "./vectors.js";

/** Options of {@link Pic8259}. */
export interface Pic8259Options {
  /** Vector of line 0; a multiple of 8 in 32..248. Default 0x20. */
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
export class Pic8259 implements InterruptController {
  /** Eight lines, IR0–IR7. */
  readonly lineCount = 8;
  /** The IRR latches edges whatever the IMR says. */
  readonly maskedEdge = "held" as const;
  /** Vector of line 0. */
  readonly vectorBase: number;

  #irr = 0;
  #isr = 0;
  #imr = 0;
  #high = 0;
  readonly #level: number;

  /** @throws {@link InvalidArgumentError} for a bad vector base or level-line number. */
  constructor(options: Pic8259Options = {}) {
    const base = options.vectorBase ?? 0x20;
    if (!Number.isInteger(base) || base % 8 !== 0 || base < FIRST_EXTERNAL_VECTOR || base > 248) {
      throw new InvalidArgumentError(
        `new Pic8259(vectorBase=${String(base)}): must be a multiple of 8 in 32..248 (ICW2; 0–31 are exceptions)`,
      );
    }
    let level = 0;
    for (const line of options.levelLines ?? []) {
      this.#check("new Pic8259(levelLines)", line);
      level |= 1 << line;
    }
    this.vectorBase = base;
    this.#level = level;
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
    return this.vectorBase + line;
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
    return line < 0 ? null : this.vectorBase + line;
  }

  /** @inheritdoc */
  acknowledge(): number | null {
    const line = this.#deliverable();
    if (line < 0) return null;
    const bit = 1 << line;
    this.#irr &= ~bit;
    this.#isr |= bit;
    return this.vectorBase + line;
  }

  /** @inheritdoc */
  eoi(): void {
    if (this.#isr === 0)
      throw new InterruptStateError("Pic8259.eoi(): no line is in service (EOI without acknowledge?)");
    const bit = this.#isr & -this.#isr;
    this.#isr &= ~bit;
    // A level line still high requests again.
    if ((this.#level & bit) !== 0 && (this.#high & bit) !== 0) this.#irr |= bit;
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
