/**
 * Notifications: a word of bits that signalers OR into and a waiter collects, as seL4's
 * notification objects and jsix's signal words. The cheapest way for an interrupt handler or
 * another thread to say "something happened" without a rendezvous: a signal never blocks.
 *
 * ```
 *  signal(0b0100) ─┐                                  wait(t): pending ≠ 0 → word[t] = pending,
 *  signal(0b0001) ─┼─▶ pending |= bits  (no waiter)          pending = 0, Ok (no block)
 *                  │                                         pending = 0 → queue t, Blocked
 *                  └─▶ waiter w queued → word[w] = pending | bits, pending = 0, wake(w, Ok)
 * ```
 *
 * Signals that arrive while nobody waits are merged, never counted: three signals of bit 0 before
 * a wait are collected as one bit 0 (that is the contract of a notification, unlike a semaphore).
 * With several waiters, each signal wakes the first one only (FIFO or priority), as seL4 does.
 *
 * Invariants ({@link Notification.checkInvariants}): `pending ≠ 0` implies no waiter (a waiter
 * would have collected it); a destroyed notification has no waiters.
 *
 * Related: `irq.ts` (interrupt lines signal notifications), `../core/threads.ts` (`word[t]`).
 */
import { FOREVER, IpcStatus, type QueueOrder, type ThreadId } from "../api.js";
import { type Blocker, type IpcThreads, ThreadIpcState } from "../core/threads.js";
import { WaitList } from "../core/wait-list.js";
import { InvariantError, IpcArgumentError } from "../errors.js";

/** Options of {@link Notification}. */
export interface NotificationOptions {
  /** Order in which waiters are served. Default "fifo". */
  readonly order?: QueueOrder;
  /** Name in traces and errors. Default `"notification"`. */
  readonly name?: string;
}

/**
 * A notification word.
 *
 * @example
 * const threads = new IpcThreads({ maxThreads: 2, waker: { wake() {} } });
 * const n = new Notification(threads);
 * n.signal(0b0100);
 * n.signal(0b0001);
 * n.wait(0);               // Ok at once
 * threads.word[0];         // 0b0101
 */
export class Notification implements Blocker {
  readonly name: string;
  /** `<name>.wait`, made once: the runnable check takes the call's name on every wait. */
  private readonly waitCall: string;
  private bits = 0;
  private readonly waiters: WaitList;
  private dead = false;

  constructor(
    private readonly threads: IpcThreads,
    options: NotificationOptions = {},
  ) {
    this.name = options.name ?? "notification";
    this.waitCall = `${this.name}.wait`;
    this.waiters = new WaitList(threads, options.order ?? "fifo");
  }

  /** Bits signalled and not yet collected (as an unsigned 32-bit number). */
  get pending(): number {
    return this.bits >>> 0;
  }

  /** Whether {@link Notification.destroy} ran. */
  get destroyed(): boolean {
    return this.dead;
  }

  /** Threads waiting, in service order (a copy). */
  queuedWaiters(): ThreadId[] {
    return this.waiters.toArray();
  }

  /**
   * OR `bits` into the word; if a thread waits, it collects the word at once. Never blocks.
   * @param bits a 32-bit mask (0..0xFFFFFFFF); 0 is allowed and changes nothing.
   * @returns the thread woken, or -1; Closed-ness is reported as -1 too (a signal to a dead
   *   notification is dropped, as a write to a closed pipe's read end would be).
   * @throws IpcArgumentError when bits is not a 32-bit unsigned integer.
   */
  signal(bits: number): ThreadId {
    if (!Number.isInteger(bits) || bits < 0 || bits > 0xffff_ffff) {
      throw new IpcArgumentError(`${this.name}.signal(bits=${bits}): expected an integer in 0..0xFFFFFFFF`);
    }
    if (this.dead || bits === 0) return -1;
    this.threads.tracer?.emit({ type: "ipc.notify", object: this.name, bits });
    const w = this.waiters.shift();
    if (w === -1) {
      this.bits |= bits;
      return -1;
    }
    this.threads.word[w] = this.bits | bits;
    this.bits = 0;
    this.threads.finish(w, IpcStatus.Ok);
    return w;
  }

  /**
   * Collect the word, waiting for a signal if none is pending.
   * @returns Ok (bits in `word[t]`), Blocked, WouldBlock (timeout {@link NO_WAIT}, nothing
   *   pending) or Closed.
   */
  wait(t: ThreadId, timeout: number = FOREVER): IpcStatus {
    this.threads.checkRunnable(t, this.waitCall);
    if (!(timeout >= 0))
      throw new IpcArgumentError(`${this.name}.wait(thread=${t}, timeout=${timeout}): expected ≥ 0`);
    if (this.dead) return IpcStatus.Closed;
    if (this.bits !== 0) {
      this.threads.word[t] = this.bits;
      this.bits = 0;
      return IpcStatus.Ok;
    }
    if (timeout === 0) return IpcStatus.WouldBlock;
    this.waiters.push(t);
    this.threads.block(t, this, ThreadIpcState.Waiting, timeout);
    return IpcStatus.Blocked;
  }

  /**
   * Destroy: every waiter is woken with {@link IpcStatus.Closed}; pending bits are discarded.
   * @returns the threads woken.
   */
  destroy(): ThreadId[] {
    const woken: ThreadId[] = [];
    if (this.dead) return woken;
    this.dead = true;
    this.bits = 0;
    for (let w = this.waiters.shift(); w !== -1; w = this.waiters.shift()) {
      this.threads.finish(w, IpcStatus.Closed);
      woken.push(w);
    }
    this.threads.tracer?.emit({ type: "ipc.destroy", object: this.name, woken: woken.length });
    return woken;
  }

  /** Blocker: take `t` off the waiter list (timeout or cancel). */
  detach(t: ThreadId): void {
    this.waiters.remove(t);
  }

  /** Blocker: a waiter's priority changed; a priority-ordered list moves it. */
  priorityChanged(t: ThreadId): void {
    this.waiters.reposition(t);
  }

  /** Throws {@link InvariantError} naming the first broken invariant. */
  checkInvariants(): void {
    if (this.bits !== 0 && this.waiters.length > 0) {
      throw new InvariantError(
        `${this.name}: bits 0x${this.pending.toString(16)} pending while [${this.waiters.toArray()}] wait`,
      );
    }
    if (this.dead && this.waiters.length > 0)
      throw new InvariantError(`${this.name}: destroyed with waiters`);
    this.waiters.check(this, ThreadIpcState.Waiting, "waiters");
  }
}
