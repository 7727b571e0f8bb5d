/**
 * A CPU's interrupt-gate side: the IDT handler table, the NMI latch, and the choice of the next
 * vector to take among the NMI, the local APIC and the external controller on LINT0.
 *
 * ```
 *   raiseNmi() ──▶ nmiPending ─┐            priority (SDM 6.9): NMI first, even with IF=0;
 *   Apic (IRR above PPR) ──────┼─▶ next ──▶ then, only with IF=1, the APIC's highest vector,
 *   external 8259 (ExtINT) ────┘            then the external controller's (virtual wire)
 * ```
 *
 * Invariants: `inNmi` only while an NMI handler runs (NMIs are blocked until it returns, SDM
 * 6.7.1, modelled without IRET as the handler's return); a vector is acknowledged (IRR → ISR, or
 * the INTA cycle to the 8259) only once its handler is known to exist, so a missing gate leaves
 * every controller as it was.
 *
 * The CPU's own state (CPL, IF, AC) around a handler is switched by `Cpu.deliverInterrupts`.
 *
 * Related: `cpu.ts` (delivery loop), `../interrupts/apic.ts`, `../interrupts/vectors.ts`.
 */
import { InvalidArgumentError } from "../errors.js";
import type { InterruptController } from "../interrupts/api.js";
import type { Apic } from "../interrupts/apic.js";
import { InterruptStateError } from "../interrupts/errors.js";
import { Vector } from "../interrupts/vectors.js";
import type { InterruptHandler } from "./api.js";

/** The IDT gates and NMI latch of one CPU (internal to `Cpu`). */
export class InterruptGates {
  readonly #cpuId: number;
  readonly #apic: Apic;
  readonly #external: InterruptController | null;
  readonly #handlers: (InterruptHandler | undefined)[] = new Array(256);
  #nmiPending = false;
  #inNmi = false;

  constructor(cpuId: number, apic: Apic, external: InterruptController | null) {
    this.#cpuId = cpuId;
    this.#apic = apic;
    this.#external = external;
  }

  /**
   * Install the handler of `vector` (`null` removes it).
   * @throws {@link InvalidArgumentError} for a vector outside 0..255.
   */
  setHandler(vector: number, handler: InterruptHandler | null): void {
    if (!Number.isInteger(vector) || vector < 0 || vector > 255) {
      throw new InvalidArgumentError(`setInterruptHandler(${String(vector)}): vectors are 0..255`);
    }
    this.#handlers[vector] = handler ?? undefined;
  }

  /** Latch an NMI; it is taken even with IF=0, once no NMI handler is running. */
  raiseNmi(): void {
    this.#nmiPending = true;
  }

  /** The vector the CPU would take now given RFLAGS.IF, or `null`. */
  pending(interruptsEnabled: boolean): number | null {
    if (this.#nmiPending && !this.#inNmi) return Vector.NMI;
    if (!interruptsEnabled) return null;
    return this.#apic.peek() ?? this.#external?.peek() ?? null;
  }

  /**
   * The handler of pending vector `v`, checked before anything is acknowledged.
   * @throws {@link InterruptStateError} when the gate is missing; nothing changed.
   */
  handlerOf(v: number): InterruptHandler {
    const handler = this.#handlers[v];
    if (handler === undefined) {
      throw new InterruptStateError(
        `Cpu ${this.#cpuId}: vector 0x${v.toString(16)} is pending but has no handler (IDT gate missing)`,
      );
    }
    return handler;
  }

  /**
   * Acknowledge pending vector `v` at its source: the NMI latch (blocking further NMIs), else the
   * APIC (IRR → ISR), else the external controller's INTA cycle.
   * @returns whether `v` was taken as an NMI (then {@link endNmi} must follow its handler).
   */
  acknowledge(v: number): boolean {
    const isNmi = v === Vector.NMI && this.#nmiPending && !this.#inNmi;
    if (isNmi) {
      this.#nmiPending = false;
      this.#inNmi = true;
    } else if (this.#apic.peek() !== null) {
      this.#apic.acknowledge();
    } else {
      this.#external?.acknowledge(); // ExtINT: the INTA cycle goes to the 8259
    }
    return isNmi;
  }

  /** The NMI handler returned: NMIs are unblocked. */
  endNmi(): void {
    this.#inNmi = false;
  }
}
