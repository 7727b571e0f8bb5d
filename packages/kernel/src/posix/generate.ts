/**
 * Signal generation: what `kill`, a bad memory access, a dying or stopping child or a broken pipe
 * set in motion. Delivery, the other half, is `deliver.ts`.
 *
 * ```
 *   postSignal(p, sig)   kill, SIGCHLD     to init (unkillable) with the default action → dropped
 *                                          SIGKILL → exit now
 *                                          ignored → discarded (POSIX: when generated)
 *                                          SIGSTOP, or a default stop a thread accepts → stop now;
 *                                          SIGCONT → continue now (any disposition)
 *                                          else pending on the process; interrupt one blocked
 *                                          thread that accepts it
 *   signalThread(t, sig) SIGPIPE           pending on the thread (dropped for init, as above)
 *   forceSignal(t, sig)  SIGSEGV, crashes  blocked or ignored → reset to the default, unblocked;
 *                                          init loses its protection when the default applies
 *   notifyChildChange    child exit/stop   wake the waitpid it satisfies, SIGCHLD, wake the rest
 * ```
 *
 * A thread blocked in an interruptible call (waitpid, pipe read/write, futex wait, sleep) is
 * woken when a handler will run: the call returns EINTR after the handler, or restarts if the
 * handler has SA_RESTART and the call can restart (sleeps and timed futex waits cannot: signal(7)).
 * A stop leaves blocked calls waiting; they go on after SIGCONT. Either way a pipe write that has
 * moved some bytes ends with their count (POSIX write).
 *
 * Nothing here reads user memory, so the memory path (`../trap/memory.ts`), which raises
 * SIGSEGV and SIGBUS, depends on this file and not on delivery.
 *
 * Related: `signals.ts` (numbers, defaults, masks), `deliver.ts`, `../kernel/lifecycle.ts` (exit).
 */
import type { Kernel } from "../kernel/kernel.js";
import type { Process } from "../process/process.js";
import type { Thread } from "../process/thread.js";
import { isIgnored, SIGACTION_DEFAULT, Sig, sigbit } from "./signals.js";
import { SaFlags, SIG_DFL, SIG_IGN } from "./table.js";
import { signaledStatus } from "./wait-status.js";

/**
 * Whether `p` is init and drops `sig` when it is generated (Linux's SIGNAL_UNKILLABLE,
 * kernel/signal.c `sig_task_ignored`): a signal whose action is the default, SIGKILL and SIGSTOP
 * included; only the handlers init installed run. One pending from before, when it was caught or
 * blocked, is dropped at delivery (`deliver.ts`). A fault in init itself still kills it
 * (`forceSignal` clears `unkillable`).
 */
function initRefuses(p: Process, sig: number): boolean {
  return p.unkillable && p.sigActions[sig]!.handler === SIG_DFL;
}

/** Send `sig` to process `p` (kill). Signal 0 does nothing. */
export function postSignal(k: Kernel, p: Process, sig: number): void {
  if (sig === 0 || p.phase !== "live" || p.exiting) return;
  if (initRefuses(p, sig)) return;
  if (sig === Sig.SIGKILL) {
    k.life.exitProcess(p, signaledStatus(Sig.SIGKILL, false));
    return;
  }
  // Job control acts at generation (POSIX.1-2008 2.4.1): SIGCONT continues the process whatever
  // its disposition and discards pending stops; a stop signal discards a pending SIGCONT.
  if (sig === Sig.SIGCONT) {
    p.sigPending &= ~STOP_SIGNALS;
    for (const t of p.threads) t.sigPending &= ~STOP_SIGNALS;
    continueProcess(k, p);
  } else if ((STOP_SIGNALS & sigbit(sig)) !== 0) {
    p.sigPending &= ~sigbit(Sig.SIGCONT);
    // SIGSTOP (it cannot be caught, ignored or blocked), and another stop signal whose action is
    // the default when a thread accepts it, stop the process now. No handler runs, so its blocked
    // calls are not interrupted: they stay on their waits and go on after SIGCONT, as Linux
    // restarts every call when no handler is invoked (a sleep or a timed futex wait keeps its
    // deadline: restart_syscall(2)). A stop signal every thread blocks stays pending, and
    // delivery stops the process once a thread unblocks it.
    const bit = sigbit(sig);
    if (
      sig === Sig.SIGSTOP ||
      (p.sigActions[sig]!.handler === SIG_DFL && p.threads.some((t) => (t.sigBlocked & bit) === 0))
    ) {
      stopProcess(k, p, sig);
      return;
    }
  }
  const act = p.sigActions[sig]!;
  if (isIgnored(act, sig)) return; // POSIX: an ignored signal is discarded when generated
  const bit = sigbit(sig);
  p.sigPending |= bit;
  for (const t of p.threads) {
    if ((t.sigBlocked & bit) === 0) {
      if (t.runState === "blocked") k.interruptThread(t, restartable(act.handler, act.flags));
      break;
    }
  }
}

/**
 * Whether a call that the signal interrupts restarts: when the handler has SA_RESTART, or when no
 * handler will run (SIG_DFL; Linux restarts every call then, but the only default actions that
 * still interrupt a call here are the fatal ones, after which nothing runs again).
 */
function restartable(handler: number, flags: number): boolean {
  return handler === SIG_DFL || (handler > SIG_IGN && (flags & SaFlags.SA_RESTART) !== 0);
}

const STOP_SIGNALS = sigbit(Sig.SIGSTOP) | sigbit(Sig.SIGTSTP) | sigbit(Sig.SIGTTIN) | sigbit(Sig.SIGTTOU);

/**
 * Stop every thread of `p` (SIGSTOP, or a stop signal's default action): ready and running
 * threads are suspended in the scheduler; blocked ones stay blocked and are suspended when woken,
 * but for a read or write parked on a file, which is interrupted and runs again from its
 * descriptor after SIGCONT (Linux's -ERESTARTSYS). A write that has moved some bytes ends with
 * their count, which its thread gets after SIGCONT.
 * The parent gets SIGCHLD.
 */
export function stopProcess(k: Kernel, p: Process, sig: number): void {
  if (p.stopped || p.phase !== "live" || p.exiting) return;
  p.stopped = true;
  p.stopReport = sig;
  p.continueReport = false;
  if (p.threads.length > 0) k.traceSignal(p.threads[0]!, sig, "stopped");
  for (const t of p.threads) {
    k.endPartialCall(t);
    // A read or write parked on a file with nothing moved is interrupted and runs again from its
    // descriptor once continued, as Linux's n_tty_read and pipe_read/pipe_write return
    // -ERESTARTSYS to the stop: a terminal read's VTIME timer then counts from the continue, not
    // from before the stop (the deadline passing while stopped does not end it).
    if (t.runState === "blocked" && t.ioFile !== null && t.wait?.restart != null) k.interruptThread(t, true);
    k.suspendThread(t);
  }
  notifyParentOfChange(k, p);
}

function notifyParentOfChange(k: Kernel, p: Process): void {
  const parent = p.parent;
  if (parent === null || parent.pid === 0) return;
  notifyChildChange(k, parent, p); // waitpid(WUNTRACED/WCONTINUED) may report it
}

/**
 * Child `child` of `parent` exited, stopped or continued: wake the waitpid callers it may satisfy,
 * then send SIGCHLD, then wake the other waiters to look again. The order matters: a waitpid that
 * this child satisfies returns the child, not EINTR, when SIGCHLD has a handler (Linux's do_wait
 * finds the child before it looks at pending signals; the handler runs on the way out); a waitpid
 * for another child is interrupted by the handler as any blocking call is.
 */
export function notifyChildChange(k: Kernel, parent: Process, child: Process): void {
  const waiters = parent.childWaiters.splice(0);
  // An exited child satisfies every waitpid that names it (or any child): those calls run again
  // before SIGCHLD's handler, so a handler that reaps with WNOHANG finds the child already gone.
  // A stop or a continue satisfies only some (WUNTRACED, WCONTINUED): the handler comes first.
  const exited = child.phase === "zombie";
  for (const w of waiters)
    if (w.forPid === -1 || w.forPid === child.pid || (w.forPgid !== undefined && w.forPgid === child.pgid))
      w.wakeToRetry(exited);
  postSignal(k, parent, Sig.SIGCHLD);
  for (const w of waiters) w.wakeToRetry(); // no effect on a thread already woken or interrupted
}

/** Continue a stopped process (SIGCONT): its suspended threads become ready. */
export function continueProcess(k: Kernel, p: Process): void {
  if (!p.stopped) return;
  p.stopped = false;
  p.stopReport = 0;
  p.continueReport = true;
  for (const t of p.threads) k.resumeThread(t);
  notifyParentOfChange(k, p);
}

/** Send `sig` to one thread (SIGPIPE to the writer). */
export function signalThread(k: Kernel, t: Thread, sig: number): void {
  const act = t.process.sigActions[sig]!;
  if (isIgnored(act, sig)) return;
  // Linux's pipe_write sends SIGPIPE with send_sig(), which init's SIGNAL_UNKILLABLE drops as it
  // drops kill(1, SIGPIPE): init's write fails with EPIPE and init lives on.
  if (initRefuses(t.process, sig)) return;
  t.sigPending |= sigbit(sig);
  if ((t.sigBlocked & sigbit(sig)) === 0 && t.runState === "blocked") {
    k.interruptThread(t, restartable(act.handler, act.flags));
  }
}

/**
 * A synchronous signal the thread caused (SIGSEGV, SIGILL, SIGBUS): if it is blocked or ignored,
 * its disposition is reset to the default and it is unblocked, so the thread cannot loop on the
 * fault forever (Linux `force_sig_fault`).
 */
export function forceSignal(k: Kernel, t: Thread, sig: number): void {
  const p = t.process;
  if (sig === Sig.SIGKILL) {
    k.life.exitProcess(p, signaledStatus(Sig.SIGKILL, false));
    return;
  }
  const bit = sigbit(sig);
  const act = p.sigActions[sig]!;
  if ((t.sigBlocked & bit) !== 0 || act.handler === SIG_IGN) {
    p.sigActions[sig] = SIGACTION_DEFAULT;
    t.sigBlocked &= ~bit;
  }
  // A fault inside the handler for the same fault would recurse forever: kill instead.
  if (t.frames.some((f) => f.signal === sig)) p.sigActions[sig] = SIGACTION_DEFAULT;
  // A fault that init does not catch kills init too (Linux's force_sig_info_to_task clears
  // SIGNAL_UNKILLABLE when the action is the default).
  if (p.sigActions[sig]!.handler === SIG_DFL) p.unkillable = false;
  t.sigPending |= bit;
}
