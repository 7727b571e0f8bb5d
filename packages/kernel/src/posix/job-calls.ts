/**
 * The job-control and terminal calls of the POSIX personality: process groups and sessions
 * (setpgid, getpgrp, setsid, getpgid, getsid: rules in `jobs.ts`) and the terminal's ioctls as
 * calls of their own (tcsetpgrp, tcgetpgrp, tiocsctty, tiocnotty, tcgetattr, tcsetattr,
 * tcgetsid: rules in `tty.ts`). Every terminal call first finds the terminal behind its fd, with
 * the two errors they all share (EBADF, ENOTTY).
 *
 * Related: `syscalls.ts` (the table of contents), `jobs.ts`, `tty.ts`, `termios.ts`.
 */

import type { Kernel } from "../kernel/kernel.js";
import type { Thread } from "../process/thread.js";
import type { SyscallHandlers } from "../syscalls/dispatch.js";
import { Errno } from "../syscalls/errno.js";
import { copyIn, copyOut } from "../trap/memory.js";
import { getpgid, getsid, setpgid, setsid } from "./jobs.js";
import type { posixSyscalls } from "./table.js";
import {
  getAttributes,
  getForeground,
  getSession,
  giveUpControllingTerminal,
  setAttributes,
  setControllingTerminal,
  setForeground,
  type TerminalControl,
} from "./tty.js";

type PosixHandlers = SyscallHandlers<Thread, typeof posixSyscalls.decls>;

/**
 * The terminal behind `fd` for a terminal call (tcsetpgrp, tcgetattr, TIOCSCTTY, …), or the
 * first two errors every such call shares: -EBADF (not open), -ENOTTY (not a terminal).
 */
function terminalOf(t: Thread, fd: number): TerminalControl | number {
  const f = t.process.files.get(fd);
  if (!f) return -Errno.EBADF;
  return f.ops.tty ?? -Errno.ENOTTY;
}

/** The job-control and terminal calls, for `posixPersonality`: each returns a result or `-errno`. */
export function jobCalls(
  k: Kernel,
): Pick<
  PosixHandlers,
  | "setpgid"
  | "getpgrp"
  | "setsid"
  | "getpgid"
  | "getsid"
  | "tcsetpgrp"
  | "tcgetpgrp"
  | "tiocsctty"
  | "tiocnotty"
  | "tcgetattr"
  | "tcsetattr"
  | "tcgetsid"
> {
  return {
    setpgid: (t, pid, pgid) => setpgid(k, t.process, pid, pgid),
    getpgrp: (t) => t.process.pgid,
    setsid: (t) => setsid(k, t.process),
    getpgid: (t, pid) => getpgid(k, t.process, pid),
    getsid: (t, pid) => getsid(k, t.process, pid),
    tcsetpgrp(t, fd, pgid) {
      const tty = terminalOf(t, fd);
      return typeof tty === "number" ? tty : setForeground(k, t, tty, pgid);
    },
    tcgetpgrp(t, fd) {
      const tty = terminalOf(t, fd);
      return typeof tty === "number" ? tty : getForeground(t.process, tty);
    },
    tiocsctty(t, fd, steal) {
      const tty = terminalOf(t, fd);
      return typeof tty === "number" ? tty : setControllingTerminal(k, t.process, tty, steal);
    },
    tiocnotty(t, fd) {
      const tty = terminalOf(t, fd);
      return typeof tty === "number" ? tty : giveUpControllingTerminal(k, t.process, tty);
    },
    tcgetattr(t, fd, termios) {
      const tty = terminalOf(t, fd);
      if (typeof tty === "number") return tty;
      return copyOut(k, t.process.vm, termios, getAttributes(tty)) ? 0 : -Errno.EFAULT;
    },
    tcsetattr(t, fd, action, termios) {
      const tty = terminalOf(t, fd);
      if (typeof tty === "number") return tty;
      return setAttributes(k, t, tty, action, (len) => copyIn(k, t.process.vm, termios, len));
    },
    tcgetsid(t, fd) {
      const tty = terminalOf(t, fd);
      return typeof tty === "number" ? tty : getSession(t.process, tty);
    },
  };
}
