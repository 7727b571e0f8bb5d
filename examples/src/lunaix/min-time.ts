/**
 * The non-canonical read (POSIX 11.1.7, "Non-Canonical Mode Input Processing"): when a read of the
 * serial console (`serial.ts`) with ICANON off may return, from `c_cc[VMIN]` and `c_cc[VTIME]`,
 * and until when one that waits must be run again though no byte came. Linux's `n_tty_read` under
 * the same four cases:
 *
 * | MIN | TIME | a read returns                                                              | timer               |
 * | --- | ---- | --------------------------------------------------------------------------- | ------------------- |
 * | > 0 | 0    | once min(MIN, max) bytes are there                                          | none                |
 * | 0   | 0    | at once, 0 bytes if none (a poll)                                           | none                |
 * | 0   | > 0  | at the first byte, or with 0 bytes once TIME has passed since it began      | read timer          |
 * | > 0 | > 0  | at min(MIN, max) bytes, or with what is there once TIME passes with no new byte | inter-byte timer |
 *
 * The inter-byte timer starts with the first byte, not with the read: with no byte the read waits
 * as long as it takes. Bytes already there when the read began count from its start, as
 * `n_tty_read` copies them at once and only then arms its timeout; each byte queued later restarts
 * it (an ISIG character or a CR that IGNCR drops queues nothing and restarts nothing). After a
 * hang-up whatever is there goes at once, 0 bytes being end of file.
 *
 * Time is the simulated clock in cycles, VTIME's tenth of a second being
 * {@link TIME_UNIT_CYCLES} at the machine's nominal 1 GHz: the kernel tells a read the time `now`
 * and when it first began, `since` (its `FileOperations.read`), and parks a read that waits until
 * {@link minTimeDeadline} (`readDeadline`, `Kernel.blockUntil`), so a timer runs out even with no
 * input.
 *
 * A read with MIN > 0 that waits takes the bytes there as they come, as `n_tty_read` copies them
 * to the caller (the console's `takeWhileWaiting`, the kernel's `Thread.ioProgress`): they count
 * toward MIN — {@link RawQueue.queued} is the bytes taken plus those queued — and a signal that
 * interrupts the wait returns their count, not EINTR.
 *
 * Invariant (the kernel's progress depends on it, `min-time.test.ts` checks it): a read that is
 * not ready at `now` has a deadline after `now` (or none, +Infinity), and at that deadline it is
 * ready — a timed read never spins, and never waits past its timer.
 *
 * Related: `serial.ts` (the console's queue and `read`), kernel `posix/termios.ts` (`Cc.VMIN`,
 * `Cc.VTIME`).
 */
import { Cc, type Termios } from "@osbricks/kernel";

/** VTIME's unit, a tenth of a second, in cycles at the machine's nominal 1 GHz (as printk stamps time). */
export const TIME_UNIT_CYCLES = 100_000_000;

/** What a non-canonical read looks at in the console's input queue. */
export interface RawQueue {
  /** Bytes the read has: those it already took while waiting, and those received and not read. */
  readonly queued: number;
  /** When the last of them was queued (cycles): the inter-byte timer counts from it. */
  readonly lastByteAt: number;
  /** The host hung up: no byte will come any more. */
  readonly hungUp: boolean;
}

/**
 * Whether a non-canonical read of up to `max` bytes (≥ 1), begun at `since`, may return at `now`
 * under `modes`' MIN and TIME (the table in the banner). `max` and `q.queued` both count the
 * bytes the read already took while it waited. The read then has min(max, queued) bytes.
 * @example
 * ```ts
 * const m = new Termios(); m.cc[Cc.VMIN] = 0; m.cc[Cc.VTIME] = 1;       // the read timer, 0.1 s
 * const empty = { queued: 0, lastByteAt: 0, hungUp: false };
 * minTimeReady(m, 10, 5e7, 0, empty);                                    // false: 0.05 s in
 * minTimeReady(m, 10, 1e8, 0, empty);                                    // true: 0 bytes, time's up
 * ```
 */
export function minTimeReady(modes: Termios, max: number, now: number, since: number, q: RawQueue): boolean {
  const vmin = modes.cc[Cc.VMIN]!;
  const time = modes.cc[Cc.VTIME]! * TIME_UNIT_CYCLES;
  if (q.hungUp) return true;
  const wanted = Math.min(vmin === 0 && time > 0 ? 1 : vmin, max); // MIN 0 with a timer: one byte
  if (q.queued >= wanted) return true;
  if (time === 0) return false;
  if (vmin === 0) return now >= since + time; // the read timer
  return q.queued > 0 && now >= Math.max(q.lastByteAt, since) + time; // the inter-byte timer
}

/**
 * When a non-canonical read that waits (begun at `since`) must run again though no byte came:
 * the end of its read timer (MIN 0) or of its inter-byte timer (MIN > 0, a byte there);
 * +Infinity when no timer runs (TIME 0, or MIN > 0 with no byte yet).
 * @example
 * ```ts
 * const m = new Termios(); m.cc[Cc.VMIN] = 4; m.cc[Cc.VTIME] = 2;       // inter-byte timer, 0.2 s
 * minTimeDeadline(m, 1e9, { queued: 0, lastByteAt: 0, hungUp: false });  // Infinity: no byte yet
 * minTimeDeadline(m, 1e9, { queued: 1, lastByteAt: 3e9, hungUp: false }); // 3.2e9
 * ```
 */
export function minTimeDeadline(modes: Termios, since: number, q: RawQueue): number {
  const time = modes.cc[Cc.VTIME]! * TIME_UNIT_CYCLES;
  if (time === 0) return Number.POSITIVE_INFINITY;
  if (modes.cc[Cc.VMIN] === 0) return since + time;
  return q.queued === 0 ? Number.POSITIVE_INFINITY : Math.max(q.lastByteAt, since) + time;
}
