/**
 * What every handler room shares: the handler type, and how a j6 call parks its thread with an
 * optional timeout.
 *
 * ```
 *   timeout  park                                          the wait ends with
 *   ───────  ────────────────────────────────────────────  ─────────────────────────────────────
 *   -1       Kernel.block (uninterruptible)                a wake with the call's result
 *   0        — (the caller polls: j6_status_would_block)
 *   n > 0    Kernel.blockUntil(now + n)                     a wake, or the deadline: the wait is
 *                                                          cancelled, the thread marked expired,
 *                                                          and the call run again returns
 *                                                          j6_err_timed_out ({@link takeExpired})
 * ```
 *
 * **Simplification: one meaning of timeout 0 for every waiting call.** Every call here that can
 * wait (event_wait, futex_wait, mailbox_respond, object_wait, object_wait_many) polls when given
 * 0: if it cannot finish at once it returns `j6_status_would_block` and leaves nothing queued.
 * jsix is not uniform: its event_wait and futex_wait set a wake timeout only `if (timeout)`, so
 * 0 means wait forever; its object_wait and object_wait_many take no timeout at all; and its
 * mailbox_respond polls unless the `j6_mailbox_block` flag is set (src/kernel/syscalls/*.cpp).
 *
 * Related: `../personality.ts` (JsixState.expired).
 */
import type { SyscallHandlers, Thread } from "@osbricks/kernel";
import type { jsixSyscalls } from "../abi.js";
import type { JsixState } from "../personality.js";

/** The handlers of the jsix table. */
export type Handlers = SyscallHandlers<Thread, typeof jsixSyscalls.decls>;

/**
 * Park `t` until woken with a result (`timeout` -1) or until `timeout` cycles pass; `cancel`
 * takes the thread off whatever it waits on. Returns the handler's SYSCALL_BLOCKED.
 */
export function park(s: JsixState, t: Thread, on: string, timeout: number, cancel: () => void): number {
  const k = s.k;
  if (timeout < 0) return k.block(t, { on, restart: null, interruptible: false, cancel });
  return k.blockUntil(
    t,
    {
      on,
      restart: k.currentTrap,
      interruptible: true,
      cancel,
      timedOut: () => {
        cancel();
        s.expired.add(t);
      },
    },
    k.now + timeout,
  );
}

/** Whether `t`'s last wait expired (and forget it): the re-run call then returns j6_err_timed_out. */
export function takeExpired(s: JsixState, t: Thread): boolean {
  if (!s.expired.has(t)) return false;
  s.expired.delete(t);
  return true;
}
