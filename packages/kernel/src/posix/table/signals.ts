/**
 * The signal calls: sigaction, sigprocmask, kill; sigprocmask's `how`, the SIG_DFL/SIG_IGN handler values and sigaction's flags.
 *
 * Part of the POSIX personality's table (`../table.ts`, which assembles the groups and states
 * where we simplify an ABI); the handlers of these calls are in `../signal-calls.ts`.
 */
import { arg } from "../../syscalls/decl.js";
import { syscallGroup } from "./group.js";

/** sigprocmask `how` values (`<signal.h>`, Linux values). */
export const SigHow = { SIG_BLOCK: 0, SIG_UNBLOCK: 1, SIG_SETMASK: 2 } as const;
/** The "default action" and "ignore" handler values of sigaction. */
export const SIG_DFL = 0;
/** Ignore the signal. */
export const SIG_IGN = 1;
/** sigaction flags: SA_RESTART (restart a system call interrupted by the handler), SA_NODEFER. */
export const SaFlags = { SA_NODEFER: 0x4000_0000, SA_RESTART: 0x1000_0000 } as const;

/** The declarations of this group, for `posixSyscalls`. */
export const signalDecls = syscallGroup({
  sigaction: {
    nr: 13,
    args: [
      arg.signal("sig", { doc: "signal (not SIGKILL or SIGSTOP)" }),
      arg.addr("handler", { doc: "SIG_DFL (0), SIG_IGN (1), or a code address" }),
      arg.flags("mask", { ALL: 0xffff_fffe }, { doc: "signals blocked while the handler runs" }),
      arg.flags("flags", SaFlags, { doc: "SA_RESTART, SA_NODEFER" }),
    ],
    result: "addr",
    doc: "Install a signal disposition; returns the previous handler value.",
    errors: { EINVAL: "sig is 0, SIGKILL or SIGSTOP", EFAULT: "handler is not in executable memory" },
  },
  sigprocmask: {
    nr: 14,
    args: [
      arg.int("how", { min: 0, max: 2, doc: "SIG_BLOCK, SIG_UNBLOCK or SIG_SETMASK" }),
      arg.flags("set", { ALL: 0xffff_fffe }, { doc: "signal set, bit n = signal n" }),
    ],
    result: "int",
    doc: "Change the calling thread's blocked set; returns the old set. SIGKILL and SIGSTOP cannot be blocked.",
  },
  kill: {
    nr: 62,
    args: [
      arg.pid("pid", {
        doc: "a process (> 0); 0 the caller's group; -1 every process but init and the caller; < -1 group -pid",
      }),
      arg.signal("sig", { doc: "signal, or 0 to probe" }),
    ],
    result: "zero",
    doc: "Send a signal to a process, to every member of a process group (a zombie member takes nothing), or to every process the caller may signal (pid -1: all but pid 0, init and the caller, as Linux). Signal 0 only checks that the target exists.",
    errors: { ESRCH: "no such process, or no process in the group (or none at all for -1)" },
  },
});
