/**
 * Waiting on a list: how a POSIX call that cannot finish yet (a pipe or terminal read with no
 * data, a write with no room, a waitpid with no child to report) parks its thread.
 *
 * ```
 *   handler ──waitOn──▶ list.push(ListWait) ──k.block──▶ thread blocked
 *   waker ──w.wakeToRetry()──▶ k.wakeThread ──▶ the trap runs again (`restart`) and re-checks
 *   signal / kill ──w.cancel()──▶ off the list       timed wait's deadline ──w.timedOut()──▶ off
 * ```
 *
 * Invariant: a ListWait is on its list exactly while its thread is blocked on it; every way out
 * of the wait (wake, cancel, timeout) takes it off, so a list never holds a thread that left.
 * The call is re-checked from the start when it runs again, as xv6's `sleep` loops do.
 *
 * Related: `file-calls.ts` (read, write), `process-calls.ts` (waitpid), `files.ts` (`Waiter`).
 */

import type { Kernel } from "../kernel/kernel.js";
import type { Thread, WaitRecord } from "../process/thread.js";
import type { Trap } from "../program/trap.js";
import type { Waiter } from "./files.js";

/**
 * A thread parked on a wait list: the list's waiter and the thread's wait record in one object
 * with methods, so a wait (each waitpid that finds no zombie yet, each blocking pipe call)
 * creates no closures.
 */
export class ListWait implements Waiter, WaitRecord {
  readonly interruptible = true;

  /** For a waitpid: the pid waited for, -1 for any child, 0 for a group (see forPgid). */
  readonly forPid?: number;
  /** For a waitpid on a process group (pid 0 or < -1): the group. */
  readonly forPgid?: number;

  constructor(
    private readonly k: Kernel,
    private readonly t: Thread,
    private readonly list: Waiter[],
    readonly on: string,
    readonly restart: Trap | null,
    forPid?: number,
    forPgid?: number,
  ) {
    if (forPid !== undefined) this.forPid = forPid;
    if (forPgid !== undefined) this.forPgid = forPgid;
  }

  wakeToRetry(completes = false): void {
    if (completes && this.t.runState === "blocked") this.t.retryFirst = true;
    this.k.wakeThread(this.t);
  }

  cancel(): void {
    const i = this.list.indexOf(this);
    if (i >= 0) this.list.splice(i, 1);
  }

  /** A timed wait's deadline passed (`Kernel.blockUntil`): off the list; the call runs again. */
  timedOut(): void {
    this.cancel();
  }
}

/** Park `t` on `list` until a waker calls back; the call restarts (`restart`: the trap to run again). */
export function waitOn(
  k: Kernel,
  t: Thread,
  list: Waiter[],
  on: string,
  forPid?: number,
  forPgid?: number,
  restart: Trap | null = k.currentTrap,
): number {
  const w = new ListWait(k, t, list, on, restart, forPid, forPgid);
  list.push(w);
  return k.block(t, w);
}
