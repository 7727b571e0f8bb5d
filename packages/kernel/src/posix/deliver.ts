/**
 * Signal delivery: before a thread's next trap (`../kernel/kernel.ts`, step), its lowest pending,
 * unblocked signal takes effect. Generation, the other half, is `generate.ts`.
 *
 * ```
 *   sig = lowest of (t.pending | p.pending) & ~t.blocked   (POSIX leaves the order open; Linux: lowest)
 *     SIG_IGN                        → drop
 *     SIG_DFL term/core              → exit_group, status "killed by sig" (| 0x80 with core);
 *                                      for init (unkillable) term, core and stop are dropped
 *     SIG_DFL ignore/cont            → drop
 *     SIG_DFL stop (TSTP, TTIN, TTOU) → stop the process
 *     handler                        → push a handler frame (the thread's continuation stack),
 *                                      block act.mask and sig (unless SA_NODEFER); the frame's
 *                                      return is sigreturn: the old mask comes back
 * ```
 *
 * Related: `signals.ts`, `generate.ts`, `../process/thread.ts` (frames), `../trap/code.ts`.
 */
import type { Kernel } from "../kernel/kernel.js";
import { History } from "../process/history.js";
import type { Thread } from "../process/thread.js";
import { codeAt } from "../trap/code.js";
import { stopProcess } from "./generate.js";
import { defaultAction, lowestSignal, Sig, sigbit, UNBLOCKABLE } from "./signals.js";
import { SaFlags, SIG_DFL, SIG_IGN } from "./table.js";
import { signaledStatus } from "./wait-status.js";

/**
 * Deliver pending, unblocked signals to `t` (called before its next trap).
 * @returns true when something was done (a handler frame pushed, or the process killed).
 */
export function deliverSignals(k: Kernel, t: Thread): boolean {
  const p = t.process;
  for (;;) {
    const set = (t.sigPending | p.sigPending) & ~(t.sigBlocked & ~UNBLOCKABLE);
    if (set === 0) return false;
    const sig = lowestSignal(set);
    const bit = sigbit(sig);
    if ((t.sigPending & bit) !== 0) t.sigPending &= ~bit;
    else p.sigPending &= ~bit;
    const act = p.sigActions[sig]!;
    if (act.handler === SIG_IGN) {
      k.traceSignal(t, sig, "ignored");
      continue;
    }
    if (act.handler === SIG_DFL) {
      const d = defaultAction(sig);
      if (p.unkillable && (d === "term" || d === "core" || d === "stop")) {
        // Linux's get_signal: "Global init gets no signals it doesn't want". A signal generated
        // while init caught or blocked it is dropped here if its action is now the default.
        k.traceSignal(t, sig, "dropped (init is unkillable)");
        continue;
      }
      if (d === "term" || d === "core") {
        k.traceSignal(t, sig, d === "core" ? "killed (core)" : "killed");
        k.life.exitProcess(p, signaledStatus(sig, d === "core"));
        return true;
      }
      if (d === "stop") {
        k.endPartialCall(t);
        stopProcess(k, p, sig);
        return true;
      }
      k.traceSignal(t, sig, "default: ignored");
      continue;
    }
    const fn = codeAt(k, t, act.handler);
    if (fn === null) {
      k.traceSignal(t, sig, `handler 0x${act.handler.toString(16)} is not code: SIGSEGV`);
      k.life.exitProcess(p, signaledStatus(Sig.SIGSEGV, true));
      return true;
    }
    // A read or write woken to go on, whose next trap is its retry, ends first with the count it
    // moved. One that moved nothing lets its file go: after the handler it starts again from its
    // descriptor, as Linux re-executes a call that returned -ERESTARTSYS.
    if (!k.endPartialCall(t)) t.endIo();
    t.frames.push({
      code: fn(sig),
      fn,
      args: [sig],
      history: new History(k.forkHistoryLimit),
      checkpointed: false,
      entry: act.handler,
      signal: sig,
      savedMask: t.sigBlocked,
      savedResume: t.resume,
      savedRetry: t.retry,
    });
    t.regs.rip = act.handler;
    t.resume = undefined;
    t.retry = null;
    t.sigBlocked =
      (t.sigBlocked | act.mask | ((act.flags & SaFlags.SA_NODEFER) !== 0 ? 0 : bit)) & ~UNBLOCKABLE;
    k.traceSignal(t, sig, "handler");
    return true;
  }
}
