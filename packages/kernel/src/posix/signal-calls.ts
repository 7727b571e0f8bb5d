/**
 * The signal calls of the POSIX personality: sigaction, sigprocmask and kill. What a signal does
 * once sent is elsewhere: `generate.ts` (posting and the default actions), `deliver.ts` (running
 * a handler), `jobs.ts` (kill's process groups).
 *
 * SIGKILL and SIGSTOP can be neither caught nor blocked (POSIX sigaction, sigprocmask): their
 * bits (`UNBLOCKABLE`) are taken out of every mask stored.
 *
 * Related: `syscalls.ts` (the table of contents), `signals.ts` (numbers and actions).
 */

import type { Kernel } from "../kernel/kernel.js";
import type { Thread } from "../process/thread.js";
import type { SyscallHandlers } from "../syscalls/dispatch.js";
import { Errno } from "../syscalls/errno.js";
import { codeAt } from "../trap/code.js";
import { postSignal } from "./generate.js";
import { signalAll, signalGroup } from "./jobs.js";
import { Sig, sigbit, UNBLOCKABLE } from "./signals.js";
import { type posixSyscalls, SIG_IGN, SigHow } from "./table.js";

type PosixHandlers = SyscallHandlers<Thread, typeof posixSyscalls.decls>;

/** The signal calls, for `posixPersonality`: each returns a result or `-errno`, never throws. */
export function signalCalls(k: Kernel): Pick<PosixHandlers, "sigaction" | "sigprocmask" | "kill"> {
  return {
    sigaction(t, sig, handler, mask, flags) {
      if (sig === 0 || sig === Sig.SIGKILL || sig === Sig.SIGSTOP) return -Errno.EINVAL;
      if (handler > SIG_IGN && codeAt(k, t, handler) === null) return -Errno.EFAULT;
      const p = t.process;
      const old = p.sigActions[sig]!.handler;
      p.sigActions[sig] = { handler, mask: (mask & ~UNBLOCKABLE) >>> 0, flags };
      if (handler === SIG_IGN) {
        p.sigPending &= ~sigbit(sig);
        for (const o of p.threads) o.sigPending &= ~sigbit(sig);
      }
      return old;
    },
    sigprocmask(t, how, set) {
      const old = t.sigBlocked >>> 0;
      const s = set & ~UNBLOCKABLE;
      if (how === SigHow.SIG_BLOCK) t.sigBlocked |= s;
      else if (how === SigHow.SIG_UNBLOCK) t.sigBlocked &= ~s;
      else t.sigBlocked = s;
      return old;
    },
    kill(t, pid, sig) {
      if (pid === -1) return signalAll(k, t.process, sig) ? 0 : -Errno.ESRCH;
      if (pid <= 0) return signalGroup(k, pid === 0 ? t.process.pgid : -pid, sig) ? 0 : -Errno.ESRCH;
      const target = k.processes.get(pid);
      if (target === undefined || target.phase === "reaped") return -Errno.ESRCH;
      if (target.phase === "live") postSignal(k, target, sig);
      return 0;
    },
  };
}
