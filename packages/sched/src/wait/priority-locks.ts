/**
 * Sleeping locks with priority donation, wired to a scheduler: `acquire` blocks the caller when
 * the lock is held (the holder inherits its priority through {@link PriorityDonation}), `release`
 * hands the lock to the best waiter and wakes it. This is Pintos' `lock_acquire`/`lock_release`
 * over our {@link Scheduler}, and the classic cure for priority inversion:
 *
 * ```
 *   L(10) takes the lock;  H(50) arrives, preempts L, blocks on the lock → L runs at 50
 *   M(30) arrives: without donation M would run (and H would wait for M!); with it L keeps the CPU
 *   L releases → H holds the lock, is woken and preempts L (back at 10); M runs after H
 * ```
 *
 * The threads must live in {@link PriorityPolicy} run queues. A waiter killed while blocked stops
 * waiting (cancel hook); a thread must not exit holding a lock (`PriorityDonation.forget` refuses).
 */
import type { ThreadBlocker, ThreadId } from "../api.js";
import { type AcquireResult, type LockId, PriorityDonation } from "../policies/donation.js";
import type { PriorityPolicy } from "../policies/priority.js";

/**
 * Locks whose waiters block through a {@link ThreadBlocker} and donate priority.
 * @example
 * ```ts
 * const sched = new Scheduler({ policy: () => new PriorityPolicy() });
 * const locks = new PriorityLocks(sched, (t) => sched.policyOf(sched.info(t).cpu) as PriorityPolicy);
 * const m = locks.create();
 * // in a running thread: if (locks.acquire(tid, m).kind === "blocked") the thread is now blocked
 * ```
 */
export class PriorityLocks {
  /** The lock graph and donation rule. */
  readonly donation: PriorityDonation;

  /**
   * @param blocker - blocks and wakes threads (the {@link Scheduler}).
   * @param policyOf - the priority policy holding each thread (or one policy for one CPU).
   * @param maxDepth - donation depth, default 8 (Pintos).
   */
  constructor(
    private readonly blocker: ThreadBlocker,
    policyOf: PriorityPolicy | ((tid: ThreadId) => PriorityPolicy),
    maxDepth = 8,
  ) {
    this.donation = new PriorityDonation(policyOf, { maxDepth });
  }

  /** Make a new, free lock. */
  create(): LockId {
    return this.donation.createLock();
  }

  /**
   * The running thread `tid` takes `lock`, or blocks (reason `lock`) until a release hands it over.
   * A `deadlock` result leaves the thread running and the lock graph unchanged.
   *
   * When the lock is held, the blocker's {@link ThreadBlocker.checkBlock} runs before any
   * donation, so a thread that may not block (not running) is refused with nothing changed. A
   * blocker without `checkBlock` is asked only after the donation, which is then undone; the
   * priorities come back, but a ready holder that was lifted and dropped again re-queues behind
   * its equals.
   * @throws whatever {@link PriorityDonation.acquire} or the blocker throws (nothing changes then).
   */
  acquire(tid: ThreadId, lock: LockId): AcquireResult {
    const reason = { kind: "lock", on: `lock ${lock}` } as const;
    if (this.donation.hasLock(lock)) {
      const holder = this.donation.holder(lock);
      if (holder !== null && holder !== tid) this.blocker.checkBlock?.(tid, reason);
    }
    const r = this.donation.acquire(tid, lock);
    if (r.kind === "blocked") {
      try {
        this.blocker.block(tid, reason, () => {
          if (this.donation.waitingFor(tid) !== null) this.donation.cancelWait(tid);
        });
      } catch (e) {
        this.donation.cancelWait(tid);
        throw e;
      }
    }
    return r;
  }

  /**
   * `tid` releases `lock`; the new holder (if any) is woken.
   * @returns the new holder, or null.
   */
  release(tid: ThreadId, lock: LockId): ThreadId | null {
    const next = this.donation.release(tid, lock);
    if (next !== null) this.blocker.wake(next);
    return next;
  }
}
