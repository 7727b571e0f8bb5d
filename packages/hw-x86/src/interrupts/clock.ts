/**
 * The machine's one clock: a count of simulated CPU cycles, and the hardware events due at given
 * cycles.
 *
 * There is no wall-clock time anywhere in osbricks. Time passes only when someone calls
 * {@link Clock.advance} (a program's `compute(n)`, a device modelling a transfer, an idle CPU
 * skipping to the next event as `HLT` would). Timers and devices schedule callbacks at absolute
 * cycles; `advance` fires every callback due, in order of cycle and then of scheduling, with
 * {@link Clock.now} equal to the callback's own cycle while it runs. The clock doubles as the
 * time-stamp counter: an invariant TSC that all CPUs share (Intel SDM Vol. 3B 17.17.1).
 *
 * ```
 *   now=100   advance(50)                                  now=150
 *     │  ─────────────────────────────────────────────────▶ │
 *     │        event@120 fires (now=120)  event@150 fires (now=150)
 * ```
 *
 * Invariants (checked by {@link Clock.checkInvariants}):
 * - `now` never decreases and is a non-negative integer;
 * - every scheduled, not yet fired, not cancelled event is due at a cycle ≥ `now`;
 * - the pending events form a binary min-heap on (cycle, sequence number), so equal cycles fire
 *   in scheduling order: the run is deterministic.
 *
 * Related: `timer.ts` (a local-APIC-style timer built on this), `../devices/uart16550.ts`.
 */
import { InvalidArgumentError, InvariantError } from "../errors.js";

/** A callback fired by the clock at its cycle; `now` is that cycle. */
export type ClockCallback = (now: number) => void;

/** A handle on a scheduled event, to cancel it. */
export interface ClockEvent {
  /** The cycle at which it fires. */
  readonly at: number;
  /** Whether it is still going to fire (not fired, not cancelled). */
  readonly pending: boolean;
}

class Scheduled implements ClockEvent {
  pending = true;
  constructor(
    readonly at: number,
    readonly seq: number,
    readonly fn: ClockCallback,
  ) {}
}

/** The largest cycle count the clock accepts: integers stay exact up to 2^53. */
export const MAX_CYCLE = Number.MAX_SAFE_INTEGER;

function before(a: Scheduled, b: Scheduled): boolean {
  return a.at < b.at || (a.at === b.at && a.seq < b.seq);
}

/**
 * A simulated cycle counter with an event queue.
 *
 * @example
 * ```ts
 * const clock = new Clock();
 * const fired: number[] = [];
 * clock.schedule(120, (now) => fired.push(now));
 * clock.advance(200); // fired = [120], clock.now = 200
 * ```
 */
export class Clock {
  #now = 0;
  #seq = 0;
  #heap: Scheduled[] = [];
  #live = 0;
  #running = false;

  /** The current cycle (also what `RDTSC` would return). */
  get now(): number {
    return this.#now;
  }

  /** Number of events scheduled and not yet fired or cancelled. */
  get pendingEvents(): number {
    return this.#live;
  }

  /**
   * Schedule `fn` to run when the clock reaches cycle `at`.
   *
   * An event at the current cycle runs on the next `advance` (even `advance(0)`), never inside
   * `schedule`: devices may schedule from their own callbacks without re-entering themselves.
   *
   * @throws {@link InvalidArgumentError} when `at` is not an integer in now..2^53-1; nothing is scheduled.
   */
  schedule(at: number, fn: ClockCallback): ClockEvent {
    if (!Number.isSafeInteger(at) || at < this.#now) {
      throw new InvalidArgumentError(
        `Clock.schedule(at=${String(at)}): must be an integer cycle in ${this.#now}..2^53-1 (time never runs backwards)`,
      );
    }
    const ev = new Scheduled(at, this.#seq++, fn);
    this.#push(ev);
    this.#live++;
    return ev;
  }

  /** Schedule `fn` `delay` cycles from now. @throws {@link InvalidArgumentError} on a negative or non-integer delay. */
  scheduleIn(delay: number, fn: ClockCallback): ClockEvent {
    if (!Number.isSafeInteger(delay) || delay < 0) {
      throw new InvalidArgumentError(
        `Clock.scheduleIn(delay=${String(delay)}): must be a non-negative integer`,
      );
    }
    return this.schedule(this.#now + delay, fn);
  }

  /**
   * Cancel a scheduled event. Cancelling one that already fired or was cancelled does nothing.
   * @returns whether the event was pending.
   */
  cancel(event: ClockEvent): boolean {
    if (!(event instanceof Scheduled) || !event.pending) return false;
    // Lazy deletion: the record stays in the heap and is skipped when it reaches the top.
    event.pending = false;
    this.#live--;
    return true;
  }

  /** The cycle of the earliest pending event, or `null` when none is scheduled. */
  nextEventAt(): number | null {
    this.#dropCancelledTop();
    const top = this.#heap[0];
    return top === undefined ? null : top.at;
  }

  /**
   * Let `cycles` cycles pass, firing every event due up to and including `now + cycles`.
   *
   * @returns the number of events fired.
   * @throws {@link InvalidArgumentError} when `cycles` is not a non-negative integer or the clock
   *   would pass 2^53-1; the clock is unchanged.
   * @throws {@link InvalidArgumentError} when called from inside a clock callback (time advances
   *   from one place only).
   */
  advance(cycles: number): number {
    if (!Number.isSafeInteger(cycles) || cycles < 0 || this.#now + cycles > MAX_CYCLE) {
      throw new InvalidArgumentError(
        `Clock.advance(cycles=${String(cycles)}): must be a non-negative integer keeping now below 2^53`,
      );
    }
    return this.#runTo(this.#now + cycles, "advance");
  }

  /**
   * Advance to the absolute cycle `target` (≥ now), firing the events due on the way.
   * @throws {@link InvalidArgumentError} when `target` is before now or not a safe integer.
   */
  advanceTo(target: number): number {
    if (!Number.isSafeInteger(target) || target < this.#now) {
      throw new InvalidArgumentError(
        `Clock.advanceTo(target=${String(target)}): must be an integer cycle ≥ now (${this.#now})`,
      );
    }
    return this.#runTo(target, "advanceTo");
  }

  /**
   * Jump straight to the next pending event and fire it and every other event due at that cycle,
   * as an idle CPU in `HLT` would wait for its next interrupt.
   * @returns the number of events fired (0 when nothing is scheduled: the clock does not move).
   */
  skipToNextEvent(): number {
    const at = this.nextEventAt();
    return at === null ? 0 : this.#runTo(at, "skipToNextEvent");
  }

  #runTo(target: number, call: string): number {
    if (this.#running) {
      throw new InvalidArgumentError(
        `Clock.${call}: called from inside a clock callback (re-entrant advance)`,
      );
    }
    this.#running = true;
    let fired = 0;
    try {
      for (;;) {
        this.#dropCancelledTop();
        const top = this.#heap[0];
        if (top === undefined || top.at > target) break;
        this.#pop();
        top.pending = false;
        this.#live--;
        this.#now = top.at;
        fired++;
        top.fn(top.at);
      }
      this.#now = target;
    } finally {
      this.#running = false;
    }
    return fired;
  }

  #dropCancelledTop(): void {
    const h = this.#heap;
    while (h.length > 0 && !h[0]!.pending) this.#pop();
  }

  #push(ev: Scheduled): void {
    const h = this.#heap;
    let i = h.length;
    h.push(ev);
    while (i > 0) {
      const parent = (i - 1) >> 1;
      const p = h[parent]!;
      if (!before(ev, p)) break;
      h[i] = p;
      i = parent;
    }
    h[i] = ev;
  }

  #pop(): void {
    const h = this.#heap;
    const last = h.pop()!;
    if (h.length === 0) return;
    let i = 0;
    const n = h.length;
    for (;;) {
      const l = 2 * i + 1;
      if (l >= n) break;
      const r = l + 1;
      const c = r < n && before(h[r]!, h[l]!) ? r : l;
      if (!before(h[c]!, last)) break;
      h[i] = h[c]!;
      i = c;
    }
    h[i] = last;
  }

  /** Throws an {@link InvariantError} describing the first broken invariant (see the file banner). */
  checkInvariants(): void {
    if (!Number.isSafeInteger(this.#now) || this.#now < 0) {
      throw new InvariantError(`Clock: now=${String(this.#now)} is not a non-negative integer`);
    }
    const h = this.#heap;
    let live = 0;
    for (let i = 0; i < h.length; i++) {
      const ev = h[i]!;
      if (ev.pending) {
        live++;
        if (ev.at < this.#now) {
          throw new InvariantError(`Clock: pending event at cycle ${ev.at} is before now=${this.#now}`);
        }
      }
      if (i > 0 && before(ev, h[(i - 1) >> 1]!)) {
        throw new InvariantError(`Clock: heap order broken at index ${i} (cycle ${ev.at})`);
      }
    }
    if (live !== this.#live) {
      throw new InvariantError(`Clock: ${live} pending events in the heap but the count says ${this.#live}`);
    }
  }
}
