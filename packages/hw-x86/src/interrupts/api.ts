/**
 * The interrupt-controller interface: what a device, a CPU and a kernel may ask of one.
 *
 * Devices drive *lines* (raise, lower). The controller turns requests into *vectors* for the CPU,
 * highest priority first, and keeps track of what is *in service* until the kernel's handler
 * signals end of interrupt (EOI). Two implementations sit behind it:
 * `apic.ts` (vector-class priorities, as the local APIC, Intel SDM Vol. 3A 10.8.3.1) and
 * `pic8259.ts` (eight lines at fixed priority, the PC's original controller). A student's
 * controller passes the same laws (`interruptControllerLaws` in `@osbricks/hw-x86/laws`).
 *
 * The contract every implementation keeps:
 *
 * | rule | statement |
 * | --- | --- |
 * | edge request | `raise` on a low line latches one request; raising a high line again does not |
 * | level request | a level line requests while it is high and not in service |
 * | masking | a masked line is never delivered; an edge arriving while masked is latched (`maskedEdge: "held"`) or lost (`"dropped"`); a request latched before masking waits |
 * | priority | `acknowledge` delivers a deliverable request of the highest priority |
 * | nesting | a request is deliverable only if its priority is above every in-service priority |
 * | EOI | `eoi` retires the highest-priority in-service interrupt; a level line still high requests again |
 *
 * Related: `vectors.ts` (what the vectors mean), `timer.ts` and `../devices/` (who raises lines),
 * `../cpu/cpu.ts` (who acknowledges).
 */

/** How a line signals a request: by a transition (edge) or by holding a level (SDM 10.5.1, 10.8.4). */
export type TriggerMode = "edge" | "level";

/**
 * One interrupt line as a device sees it: two wires' worth of API. The device calls `raise` when its
 * interrupt condition starts and `lower` when it ends (an edge-only device may do both at once).
 */
export interface IrqLine {
  /** Drive the line high. */
  raise(): void;
  /** Drive the line low. */
  lower(): void;
}

/** A controller that turns line requests into prioritized vectors for a CPU. */
export interface InterruptController {
  /** Number of input lines; lines are numbered 0..lineCount-1. */
  readonly lineCount: number;
  /**
   * What happens to an edge arriving on a masked line: `"held"` (latched, delivered once unmasked:
   * the 8259's IRR) or `"dropped"` (lost: an I/O APIC redirection entry with its mask bit set).
   */
  readonly maskedEdge: "held" | "dropped";
  /** Drive `line` high. @throws when `line` is not a valid line number. */
  raise(line: number): void;
  /** Drive `line` low. @throws when `line` is not a valid line number. */
  lower(line: number): void;
  /** Mask (`true`) or unmask `line`. @throws when `line` is not a valid line number. */
  setMasked(line: number, masked: boolean): void;
  /** Whether `line` is masked. */
  isMasked(line: number): boolean;
  /** The vector delivered for `line`. */
  vectorOf(line: number): number;
  /** The priority of `line`: higher wins, and an in-service line blocks lines of lower or equal priority. */
  priorityOf(line: number): number;
  /** The trigger mode of `line`. */
  triggerOf(line: number): TriggerMode;
  /** Whether `line` has a request waiting (latched edge, or level high and not in service), masked or not. */
  isPending(line: number): boolean;
  /** Whether `line` has been acknowledged and not yet retired by an EOI. */
  isInService(line: number): boolean;
  /**
   * The vector `acknowledge` would deliver now, without delivering it; `null` when nothing is
   * deliverable. No side effects.
   */
  peek(): number | null;
  /**
   * The CPU takes the highest-priority deliverable request (the INTA cycle of the 8259, the
   * local APIC moving an IRR bit to the ISR): the request leaves the pending state and enters
   * service.
   * @returns its vector, or `null` when nothing is deliverable (state unchanged).
   */
  acknowledge(): number | null;
  /**
   * End of interrupt: retire the highest-priority in-service interrupt, as a non-specific EOI
   * does on both the 8259 and the local APIC.
   * @throws when nothing is in service (an EOI without an acknowledge is a kernel bug); state unchanged.
   */
  eoi(): void;
  /** Throws an `InvariantError` describing the first broken invariant. */
  checkInvariants(): void;
}

/**
 * The {@link IrqLine} for `line` of `controller`: what a device is given instead of the whole
 * controller, so that it can raise its own line and nothing else.
 *
 * @example
 * ```ts
 * const pic = new Pic8259();
 * const com1 = irqLine(pic, 4);
 * com1.raise(); // pic.isPending(4) === true
 * ```
 */
export function irqLine(controller: InterruptController, line: number): IrqLine {
  // Validate once, now, rather than on the device's first interrupt.
  controller.isMasked(line);
  return {
    raise: () => controller.raise(line),
    lower: () => controller.lower(line),
  };
}

/**
 * Trace events of the interrupt controllers, the timer and the devices (plain data, for a kernel's
 * tracer; see `Tracer` in `../api.ts`).
 */
export type InterruptTraceEvent =
  | { readonly type: "irq.acknowledge"; readonly vector: number }
  | { readonly type: "irq.eoi"; readonly vector: number }
  | {
      readonly type: "timer.expire";
      readonly cycle: number;
      readonly mode: "one-shot" | "periodic" | "tsc-deadline";
    }
  | { readonly type: "uart.tx"; readonly byte: number }
  | { readonly type: "uart.rx"; readonly byte: number }
  | { readonly type: "uart.overrun"; readonly byte: number };
