/**
 * A ready-made {@link WaitHost}: a simulated clock that the caller advances, a timer queue, and a
 * log of wake-ups. Tests use it, the laws use it, and a kernel without a scheduler can too.
 *
 * Timers fire in deadline order, and in scheduling order among equal deadlines, so runs are
 * deterministic. While a timer fires, `now()` reads its deadline.
 *
 * ```
 *   host.schedule(150, a); host.schedule(100, b); host.schedule(150, c)
 *   host.advanceTo(200)   fires b (now=100), a (now=150), c (now=150); then now=200
 * ```
 *
 * Related: `wait/api.ts`, `wait/wait.ts`.
 */
import type { Cycles } from "../api.js";
import { InvalidArgumentError } from "../errors.js";
import type { TimerId, WaiterId, WaitHost, WaitResult } from "./api.js";

interface Timer {
  readonly id: TimerId;
  readonly deadline: Cycles;
  readonly fire: () => void;
}

/** One delivered wake-up. */
export interface WakeRecord {
  readonly waiter: WaiterId;
  readonly result: WaitResult;
  /** Simulated time of the wake-up. */
  readonly at: Cycles;
}

/** A WaitHost over a hand-advanced simulated clock (see the file banner). */
export class SimulatedWaitHost implements WaitHost {
  private clock: Cycles;
  private nextId = 1;
  private readonly timers: Timer[] = [];
  /** Every wake-up delivered so far, in order. */
  readonly wakes: WakeRecord[] = [];

  /** @param start the initial simulated time. Default: 0. */
  constructor(start: Cycles = 0) {
    this.clock = start;
  }

  now(): Cycles {
    return this.clock;
  }

  /** @throws InvalidArgumentError when `deadline` is not after `now()`. */
  schedule(deadline: Cycles, fire: () => void): TimerId {
    if (!(deadline > this.clock)) {
      throw new InvalidArgumentError(`schedule(deadline=${deadline}): not after now=${this.clock}`);
    }
    const timer: Timer = { id: this.nextId++, deadline, fire };
    // Insert after every timer with deadline ≤ this one: stable order among equal deadlines.
    let i = this.timers.length;
    while (i > 0 && this.timers[i - 1]!.deadline > deadline) i--;
    this.timers.splice(i, 0, timer);
    return timer.id;
  }

  /** @throws InvalidArgumentError when the timer is not pending (cancelled twice, or fired). */
  cancelTimer(timer: TimerId): void {
    const i = this.timers.findIndex((t) => t.id === timer);
    if (i < 0) throw new InvalidArgumentError(`cancelTimer(${timer}): no such pending timer`);
    this.timers.splice(i, 1);
  }

  wake(waiter: WaiterId, result: WaitResult): void {
    this.wakes.push({ waiter, result, at: this.clock });
  }

  /** Timers not yet fired. */
  get pendingTimers(): number {
    return this.timers.length;
  }

  /**
   * Move time forward to `time`, firing every timer due on the way.
   * @throws InvalidArgumentError when `time` is before `now()`.
   */
  advanceTo(time: Cycles): void {
    if (time < this.clock) throw new InvalidArgumentError(`advanceTo(${time}): before now=${this.clock}`);
    while (this.timers.length > 0 && this.timers[0]!.deadline <= time) {
      const t = this.timers.shift()!;
      this.clock = t.deadline;
      t.fire();
    }
    this.clock = time;
  }

  /** `advanceTo(now() + cycles)`. */
  advanceBy(cycles: Cycles): void {
    this.advanceTo(this.clock + cycles);
  }

  /** The wake-ups delivered to `waiter`, in order. */
  wakesOf(waiter: WaiterId): WaitResult[] {
    return this.wakes.filter((w) => w.waiter === waiter).map((w) => w.result);
  }
}
