/**
 * The small calls: `l4_getid` (who am I: task id = the space, thread id), `l4_time` (the CPU's
 * clock, which L4's timeouts count in) and `l4_kdebug` (a line on the kernel console).
 *
 * `l4_kdebug` is the kernel debugger's "print a string" entry that L4 kernels keep for bring-up
 * (Fiasco's outstring); a finished system gives the console to a user-level driver instead. The
 * text must lie in the caller's UTCB buffer area and is at most {@link UTCB_BUF_BYTES} bytes.
 *
 * Related: `../abi.ts`.
 */
import { copyIn, type SyscallHandlers, type Thread } from "@osbricks/kernel";
import { type codezeroSyscalls, IdOf, L4Error, UTCB_BUF_BYTES } from "../abi.js";
import type { CodezeroState } from "../personality.js";

type Handlers = SyscallHandlers<Thread, typeof codezeroSyscalls.decls>;

/** The `l4_getid`, `l4_time` and `l4_kdebug` handlers. */
export function miscCalls(s: CodezeroState): Pick<Handlers, "l4_getid" | "l4_time" | "l4_kdebug"> {
  const k = s.k;
  return {
    l4_getid(t, which) {
      if (which === IdOf.TASK) return t.process.pid;
      if (which === IdOf.THREAD) return t.tid;
      return -L4Error.EINVAL;
    },
    l4_time: (t) => k.cpus[t.cpu]!.time,
    l4_kdebug(t, buf, len) {
      if (len < 0 || len > UTCB_BUF_BYTES) return -L4Error.EINVAL;
      const space = t.process.addressSpace;
      const bytes = space === null ? null : copyIn(k, space, buf, len);
      if (bytes === null) return -L4Error.EFAULT;
      s.kdebug(t.process.pid, String.fromCharCode(...bytes));
      return 0;
    },
  };
}
