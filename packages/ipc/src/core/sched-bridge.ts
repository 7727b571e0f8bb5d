/**
 * The bridge from ipc's waking contract (`../api.ts`) to `@osbricks/sched`: a {@link Waker} that
 * makes threads ready in a sched `ThreadBlocker` (its `Scheduler`), and the call a trap loop makes
 * when an operation returned `Blocked`.
 *
 * ```
 *  trap loop                           SchedBridge                         sched
 *  st = ep.call(t)   → Blocked ──────▶ blocked(t): block(sid, {kind: "object", on: "ipc"},
 *                                                  cancel = () => threads.cancel(t)) ─▶ t BLOCKED
 *  … a partner arrives: ipc calls ──▶ wake(t, Ok): status[t] = Ok; wake(sid) ──────────▶ t READY
 *  t runs again: resume it with bridge.statusOf(t)
 *  sched.exit(sid) while blocked ────▶ cancel hook: threads.cancel(t) ends the ipc wait
 *                                       (no sched wake: the thread is leaving anyway)
 * ```
 *
 * sched calls the cancel hook whenever the thread leaves the blocked state, also after our own
 * wake; by then ipc has already ended the wait, so `threads.cancel` finds nothing to do (sched
 * requires exactly that: "a no-op when the waker already unlinked it").
 *
 * Related: `threads.ts` (`cancel`), `@osbricks/sched` `ThreadBlocker`.
 */
import type { ThreadId as SchedThreadId, ThreadBlocker } from "@osbricks/sched";
import { IpcStatus, type ThreadId, type Waker } from "../api.js";
import type { IpcThreads } from "./threads.js";

/**
 * A {@link Waker} over a sched `ThreadBlocker`. Create it first, give it to `IpcThreads` as the
 * waker, then {@link SchedBridge.attach} the threads.
 * @example
 * const bridge = new SchedBridge(scheduler, (t) => sids[t]!);
 * const threads = new IpcThreads({ maxThreads: 64, waker: bridge });
 * bridge.attach(threads);
 * if (ep.receive(t) === IpcStatus.Blocked) bridge.blocked(t);
 */
export class SchedBridge implements Waker {
  private threads: IpcThreads | null = null;
  private readonly status = new Map<ThreadId, IpcStatus>();
  /** The thread whose ipc wait a sched cancel hook is ending now (its wake must not reach sched). */
  private cancelling: ThreadId = -1;

  constructor(
    private readonly blocker: ThreadBlocker,
    /** The sched thread id of ipc thread `t`. */
    private readonly toSched: (t: ThreadId) => SchedThreadId,
  ) {}

  /** Connect the ipc threads whose waits this bridge ends (once, after constructing them). */
  attach(threads: IpcThreads): void {
    this.threads = threads;
  }

  /**
   * Thread `t`'s operation returned `Blocked`: block it in sched, with a cancel hook that ends the
   * ipc wait if sched takes the thread away first (exit, kill).
   */
  blocked(t: ThreadId, on = "ipc"): void {
    this.blocker.block(this.toSched(t), { kind: "object", on }, () => {
      const threads = this.threads;
      if (threads === null) return;
      this.cancelling = t;
      try {
        threads.cancel(t, IpcStatus.Cancelled);
      } finally {
        this.cancelling = -1;
      }
    });
  }

  /** Waker: record the status `t` resumes with and make it ready in sched. */
  wake(t: ThreadId, status: IpcStatus): void {
    this.status.set(t, status);
    if (this.cancelling !== t) this.blocker.wake(this.toSched(t));
  }

  /** The status thread `t`'s last blocked operation ended with (undefined if none yet). */
  statusOf(t: ThreadId): IpcStatus | undefined {
    return this.status.get(t);
  }
}
