/**
 * A local-APIC-style timer: one-shot, periodic and TSC-deadline modes on the machine's cycle clock.
 *
 * Intel SDM Vol. 3A 10.5.4. The timer counts down from an *initial count* at the clock rate divided
 * by a *divide value* (1, 2, 4 … 128); at zero it raises its interrupt line. In one-shot mode it then
 * stays at zero; in periodic mode it reloads the initial count and goes on; writing an initial
 * count of 0 stops it. In TSC-deadline mode (SDM 10.5.4.1) the counter is unused: the timer fires
 * when the time-stamp counter reaches the value written to IA32_TSC_DEADLINE; a deadline already
 * past fires at once; writing 0 disarms; the deadline reads back 0 after firing.
 *
 * ```
 *   divide=4, initial count=3, started at cycle 100 (periodic)
 *   cycle:   100   104   108   112   116   120   124 …
 *   count:    3     2     1    3*    2     1    3*        * = expiry: interrupt, reload
 *   expiries at 112, 124, 136, …  (start + k · count · divide)
 * ```
 *
 * The interrupt is a pulse on the timer's line (raise then lower), so an edge-triggered controller
 * line latches one request per expiry; whether the CPU sees it depends on the line's mask and
 * priority in the controller, as the LVT timer entry's mask bit decides on hardware.
 *
 * Invariants ({@link Timer.checkInvariants}): the timer is armed iff exactly one clock event is
 * pending for it; a one-shot or periodic expiry is due at start + count · divide; a deadline
 * expiry at max(deadline, time of the write).
 *
 * Related: `clock.ts` (the time source), `api.ts` (the line it raises), `../cpu/cpu.ts`.
 */

import type { Tracer } from "../api.js";
import { InvalidArgumentError, InvariantError } from "../errors.js";
import type { InterruptTraceEvent, IrqLine } from "./api.js";
import type { Clock, ClockEvent } from "./clock.js";
import { InterruptStateError } from "./errors.js";

/** The LVT timer modes (SDM 10.5.4, Figure 10-8 bits 18:17). */
export type TimerMode = "one-shot" | "periodic" | "tsc-deadline";

/** Options of {@link Timer}. */
export interface TimerOptions {
  /** Divide value: the counter decrements once every `divide` cycles. 1, 2, 4 … 128. Default 1. */
  readonly divide?: number;
  /** Initial mode. Default `"one-shot"`. */
  readonly mode?: TimerMode;
  /** Receives `timer.expire` events. Default: none. */
  readonly tracer?: Tracer<InterruptTraceEvent>;
}

const DIVIDES = [1, 2, 4, 8, 16, 32, 64, 128];
/** The counter registers are 32 bits wide (SDM 10.5.4). */
const MAX_COUNT = 0xffffffff;

/**
 * A local-APIC timer driven by a {@link Clock}, raising an {@link IrqLine} at each expiry.
 *
 * @example
 * ```ts
 * const clock = new Clock();
 * const apic = new Apic();
 * apic.route(0, { vector: 0xec, masked: false });
 * const timer = new Timer(clock, irqLine(apic, 0), { divide: 4 });
 * timer.startPeriodic(250);   // every 1000 cycles
 * clock.advance(2500);        // expiries at 1000 and 2000
 * timer.expirations;          // 2
 * timer.currentCount();       // 125: 500 cycles into the third period, 500/4 = 125 ticks done
 * ```
 */
export class Timer {
  readonly #clock: Clock;
  readonly #line: IrqLine;
  #mode: TimerMode;
  #divide: number;
  #initial = 0;
  #periodStart = 0;
  #deadline = 0;
  #event: ClockEvent | null = null;
  #expirations = 0;
  readonly #tracer: Tracer<InterruptTraceEvent> | undefined;

  /** @throws {@link InvalidArgumentError} for a divide value that is not a power of two in 1..128. */
  constructor(clock: Clock, line: IrqLine, options: TimerOptions = {}) {
    const divide = options.divide ?? 1;
    Timer.#checkDivide("new Timer", divide);
    this.#clock = clock;
    this.#line = line;
    this.#divide = divide;
    this.#mode = options.mode ?? "one-shot";
    this.#tracer = options.tracer;
  }

  static #checkDivide(call: string, divide: number): void {
    if (!DIVIDES.includes(divide)) {
      throw new InvalidArgumentError(
        `${call}(divide=${String(divide)}): must be one of 1, 2, 4, …, 128 (SDM 10.5.4)`,
      );
    }
  }

  /** The current mode. */
  get mode(): TimerMode {
    return this.#mode;
  }
  /** The divide value. */
  get divide(): number {
    return this.#divide;
  }
  /** The initial-count register (0 when stopped or in TSC-deadline mode). */
  get initialCount(): number {
    return this.#initial;
  }
  /** The IA32_TSC_DEADLINE value; 0 when disarmed or after it fired. */
  get deadline(): number {
    return this.#deadline;
  }
  /** Number of expiries so far. */
  get expirations(): number {
    return this.#expirations;
  }
  /** Whether an expiry is scheduled. */
  get armed(): boolean {
    return this.#event !== null;
  }
  /** The cycle of the next expiry, or `null` when disarmed. */
  nextExpiry(): number | null {
    return this.#event === null ? null : this.#event.at;
  }

  /**
   * Change the LVT timer mode. Any countdown or deadline in progress is disarmed (SDM 10.5.4.1:
   * a transition to or from TSC-deadline mode disarms the timer; we do so for every change).
   * @throws {@link InvalidArgumentError} for an unknown mode.
   */
  setMode(mode: TimerMode): void {
    if (mode !== "one-shot" && mode !== "periodic" && mode !== "tsc-deadline") {
      throw new InvalidArgumentError(
        `Timer.setMode(${String(mode)}): one of one-shot, periodic, tsc-deadline`,
      );
    }
    if (mode === this.#mode) return;
    this.stop();
    this.#mode = mode;
  }

  /**
   * Program the divide-configuration register. A countdown in progress goes on at the new rate from
   * now: the ticks still to count are kept, a partly elapsed tick is dropped (the SDM leaves the
   * exact moment open; this is our choice, and the expiry moves accordingly).
   *
   * Worked: count 10, divide 4, started at 0; at cycle 9 two ticks are done (8 cycles) and 8 remain;
   * switching to divide 2 moves the expiry from 40 to 9 + 8·2 = 25.
   *
   * @throws {@link InvalidArgumentError} for a value not in 1, 2, 4 … 128; the timer is unchanged.
   */
  setDivide(divide: number): void {
    Timer.#checkDivide("Timer.setDivide", divide);
    if (divide === this.#divide) return;
    const ev = this.#event;
    if (ev !== null && this.#mode !== "tsc-deadline") {
      const now = this.#clock.now;
      const remaining = this.#initial - Math.floor((now - this.#periodStart) / this.#divide);
      const due = now + remaining * divide;
      this.#clock.cancel(ev);
      // Keep "expiry = periodStart + initial · divide" true with a virtual period start.
      this.#periodStart = due - this.#initial * divide;
      this.#event = this.#clock.schedule(due, this.#expire);
    }
    this.#divide = divide;
  }

  /**
   * Write the initial-count register: start counting down from `count` in the current mode
   * (one-shot or periodic); 0 stops the timer (SDM 10.5.4).
   * @throws {@link InvalidArgumentError} when `count` is not an integer in 0..2^32-1.
   * @throws {@link InterruptStateError} in TSC-deadline mode, where the register is ignored on
   *   hardware (a kernel writing it has confused the modes).
   */
  writeInitialCount(count: number): void {
    if (!Number.isInteger(count) || count < 0 || count > MAX_COUNT) {
      throw new InvalidArgumentError(`Timer.writeInitialCount(${String(count)}): a 32-bit count (0..2^32-1)`);
    }
    if (this.#mode === "tsc-deadline") {
      throw new InterruptStateError(
        "Timer.writeInitialCount: the timer is in TSC-deadline mode; write the deadline instead (SDM 10.5.4.1)",
      );
    }
    this.#cancel();
    this.#initial = count;
    if (count === 0) return;
    this.#periodStart = this.#clock.now;
    this.#event = this.#clock.schedule(this.#periodStart + count * this.#divide, this.#expire);
  }

  /** Set one-shot mode and start counting from `count`. @throws as {@link Timer.writeInitialCount}. */
  startOneShot(count: number): void {
    this.setMode("one-shot");
    this.writeInitialCount(count);
  }

  /** Set periodic mode and start with period `count · divide` cycles. @throws as {@link Timer.writeInitialCount}. */
  startPeriodic(count: number): void {
    this.setMode("periodic");
    this.writeInitialCount(count);
  }

  /**
   * Write IA32_TSC_DEADLINE: fire when the clock reaches `tsc`; a past deadline fires on the next
   * clock step; 0 disarms (SDM 10.5.4.1).
   * @throws {@link InvalidArgumentError} when `tsc` is not a non-negative safe integer.
   * @throws {@link InterruptStateError} when not in TSC-deadline mode (hardware ignores the write).
   */
  writeDeadline(tsc: number): void {
    if (!Number.isSafeInteger(tsc) || tsc < 0) {
      throw new InvalidArgumentError(`Timer.writeDeadline(${String(tsc)}): a non-negative cycle count`);
    }
    if (this.#mode !== "tsc-deadline") {
      throw new InterruptStateError(
        `Timer.writeDeadline(${tsc}): the timer is in ${this.#mode} mode (SDM 10.5.4.1)`,
      );
    }
    this.#cancel();
    this.#deadline = tsc;
    if (tsc === 0) return;
    this.#event = this.#clock.schedule(Math.max(tsc, this.#clock.now), this.#expire);
  }

  /** Stop the timer: no expiry is pending afterwards; the counter and deadline read 0. */
  stop(): void {
    this.#cancel();
    this.#initial = 0;
    this.#deadline = 0;
  }

  /**
   * The current-count register: the initial count minus the ticks elapsed in this period; 0 when
   * stopped, after a one-shot expiry, and in TSC-deadline mode.
   *
   * Worked: divide=4, count=250 started at 0, now=2500 in periodic mode → period start 2000,
   * 500 cycles = 125 ticks elapsed → 250 − 125 = 125.
   */
  currentCount(): number {
    if (this.#event === null || this.#mode === "tsc-deadline") return 0;
    const ticks = Math.floor((this.#clock.now - this.#periodStart) / this.#divide);
    return this.#initial - ticks;
  }

  #cancel(): void {
    if (this.#event !== null) {
      this.#clock.cancel(this.#event);
      this.#event = null;
    }
  }

  readonly #expire = (now: number): void => {
    this.#event = null;
    this.#expirations++;
    if (this.#mode === "periodic") {
      this.#periodStart = now;
      this.#event = this.#clock.schedule(now + this.#initial * this.#divide, this.#expire);
    } else if (this.#mode === "tsc-deadline") {
      this.#deadline = 0;
    }
    this.#tracer?.emit({ type: "timer.expire", cycle: now, mode: this.#mode });
    this.#line.raise();
    this.#line.lower();
  };

  /** Throws an {@link InvariantError} describing the first broken invariant (see the file banner). */
  checkInvariants(): void {
    const ev = this.#event;
    if (ev !== null && !ev.pending)
      throw new InvariantError("Timer: holds an expiry event that is no longer pending");
    if (this.#mode === "tsc-deadline") {
      if ((ev !== null) !== (this.#deadline !== 0)) {
        throw new InvariantError(`Timer: deadline=${this.#deadline} but armed=${ev !== null}`);
      }
      if (ev !== null && ev.at < this.#deadline) {
        throw new InvariantError(`Timer: deadline expiry at ${ev.at} before the deadline ${this.#deadline}`);
      }
      return;
    }
    if (ev === null) {
      if (this.#mode === "periodic" && this.#initial !== 0) {
        throw new InvariantError(`Timer: periodic with count ${this.#initial} but not armed`);
      }
      return;
    }
    if (this.#initial === 0) throw new InvariantError("Timer: armed with an initial count of 0");
    const due = this.#periodStart + this.#initial * this.#divide;
    if (ev.at !== due) {
      throw new InvariantError(
        `Timer: expiry at ${ev.at}, expected ${due} = ${this.#periodStart} + ${this.#initial}·${this.#divide}`,
      );
    }
  }
}
