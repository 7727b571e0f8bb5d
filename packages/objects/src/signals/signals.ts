/**
 * Signals: the few bits of an object's state that threads can wait for.
 *
 * Every kernel object carries one signal set (jsix's `m_signals`, Zircon's signal state). The
 * object's own code asserts and clears bits as its state changes (a channel becomes readable, a
 * thread terminates); waiters registered with `objectWait` are woken when a bit of their mask is
 * asserted. Three ranges, so that kernels, object types and programs never collide:
 *
 * ```
 *   bit  30 ............ 23 22 ............... 8 7 ............ 0
 *        [ user: 8 bits    ][ type: 15 bits     ][ system: 8 bits ]
 *          set by programs    named per type        raised by this package
 *          (SIGNAL right)     readable, writable,   NO_HANDLES, PEER_CLOSED
 *                             terminated, ...
 * ```
 *
 * Worked: a channel defines `readable` as its type signal 0 and `writable` as 1, i.e. bits 8 and
 * 9; a readable, writable channel whose peer closed shows 0x302 = PEER_CLOSED (bit 1) | bit 8 |
 * bit 9, and user signal 0 would add 1 << 23 = 0x80_0000.
 *
 * Signals are *state*, not events: asserting an asserted bit changes nothing and wakes nobody new,
 * and a waiter whose mask is already satisfied returns at once. That is what makes waiting free of
 * lost wake-ups: nothing has to be "caught" at the moment it happens.
 *
 * Related: `object/kernel-object.ts` (assert/clear), `wait/wait.ts` (waiting).
 */
import type { Signals } from "../api.js";
import { USER_SIGNALS_SHIFT } from "../api.js";
import { InvalidArgumentError } from "../errors.js";

/** System signals, raised by the object layer itself. */
export const Signal = {
  /** The object has no handles left (jsix's `j6_signal_no_handles`; Twizzler's drop notification). */
  NO_HANDLES: 1 << 0,
  /** The other end of a paired object (channel, endpoint) is gone; raised by that object's type. */
  PEER_CLOSED: 1 << 1,
} as const;

/** Every defined system signal. */
export const SYSTEM_SIGNALS: Signals = Signal.NO_HANDLES | Signal.PEER_CLOSED;

/**
 * User signal `n` (0..7): the bit programs may set and clear on objects they hold with the
 * SIGNAL right.
 *
 * @throws InvalidArgumentError when `n` is not an integer in 0..7.
 *
 * Worked: userSignal(0) = 1 << 23 = 0x0080_0000; userSignal(7) = 1 << 30 = 0x4000_0000.
 */
export function userSignal(n: number): Signals {
  if (!Number.isInteger(n) || n < 0 || n > 7)
    throw new InvalidArgumentError(`userSignal(${n}): expected a user signal number 0..7`);
  return 1 << (USER_SIGNALS_SHIFT + n);
}
