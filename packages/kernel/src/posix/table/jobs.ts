/**
 * The job-control and terminal calls: setpgid, getpgrp, setsid, getpgid, getsid, and the terminal's ioctls as calls of their own (tcsetpgrp, tcgetpgrp, tiocsctty, tiocnotty, tcgetattr, tcsetattr, tcgetsid).
 *
 * Part of the POSIX personality's table (`../table.ts`, which assembles the groups and states
 * where we simplify an ABI); the handlers of these calls are in `../job-calls.ts`.
 */
import { arg } from "../../syscalls/decl.js";
import { TERMIOS_BYTES } from "../termios.js";
import { syscallGroup } from "./group.js";

/** The declarations of this group, for `posixSyscalls`. */
export const jobDecls = syscallGroup({
  setpgid: {
    nr: 109,
    args: [
      arg.pid("pid", { doc: "the caller (0) or a child of it" }),
      arg.pid("pgid", { doc: "group to join, or 0 for a new group named after pid" }),
    ],
    result: "zero",
    doc: "Move a process into a process group of the caller's session, or make it the leader of a new one (pgid 0 or pgid = pid). A shell puts each job in a group of its own this way (or with spawn's POSIX_SPAWN_SETPGROUP).",
    errors: {
      ESRCH: "pid is neither the caller nor a child of it",
      EPERM:
        "the target leads a session, is a child in another session, or pgid names no group of the caller's session",
      EACCES: "the target is a child that has exec'd (a spawned child counts: spawn is fork + exec)",
      EINVAL: "pgid < 0",
    },
  },
  getpgrp: { nr: 111, args: [], result: "pid", doc: "The caller's process group id (getpgid(0))." },
  setsid: {
    nr: 112,
    args: [],
    result: "pid",
    doc: "Start a new session: the caller leads it and a new process group, both named by its pid, and has no controlling terminal until it opens one. Returns the session id.",
    errors: { EPERM: "the caller already leads a process group (its pid is some process's group id)" },
  },
  getpgid: {
    nr: 121,
    args: [arg.pid("pid", { doc: "a process, or 0 for the caller" })],
    result: "pid",
    doc: "The process group id of a process.",
    errors: { ESRCH: "no such process" },
  },
  getsid: {
    nr: 124,
    args: [arg.pid("pid", { doc: "a process, or 0 for the caller" })],
    result: "pid",
    doc: "The session id of a process: the pid of its session's leader. A process of another session answers too (Linux; POSIX allows EPERM there), as does getpgid.",
    errors: { ESRCH: "no such process" },
  },
  tcsetpgrp: {
    nr: 520,
    args: [
      arg.fd("fd", { doc: "a descriptor of the caller's controlling terminal" }),
      arg.pid("pgid", { doc: "a process group of the caller's session" }),
    ],
    result: "zero",
    doc: "Make pgid the terminal's foreground process group: the group whose reads go through, and which ^C (SIGINT) and ^Z (SIGTSTP) signal (POSIX tcsetpgrp; Linux's ioctl TIOCSPGRP). From a background group the caller's group gets SIGTTOU first and the call runs again after it, unless the caller blocks or ignores SIGTTOU (a shell taking the terminal back ignores it).",
    errors: {
      EBADF: "fd not open",
      ENOTTY:
        "fd is not a terminal, or not the caller's controlling terminal, or the caller is in an orphaned background group (Linux's TIOCSPGRP turns that EIO into ENOTTY; POSIX lists no EIO)",
      EPERM: "pgid names no process group of the caller's session",
      EINVAL: "pgid <= 0",
      EINTR: "SIGTTOU's handler ran (no SA_RESTART)",
    },
  },
  tcgetpgrp: {
    nr: 521,
    args: [arg.fd("fd", { doc: "a descriptor of the caller's controlling terminal" })],
    result: "pid",
    doc: "The terminal's foreground process group (POSIX tcgetpgrp; Linux's ioctl TIOCGPGRP); 0 when it has none. The group may have no member left.",
    errors: {
      EBADF: "fd not open",
      ENOTTY: "fd is not a terminal, or not the caller's controlling terminal",
    },
  },
  tiocsctty: {
    nr: 522,
    args: [
      arg.fd("fd", { doc: "a descriptor of a terminal" }),
      arg.int("steal", { doc: "1: take the terminal even from the session that controls it; else 0" }),
    ],
    result: "zero",
    doc: "Make the terminal the caller's controlling terminal, and the caller's group its foreground (Linux's ioctl TIOCSCTTY, as getty's login_tty does after setsid). The caller must lead its session and have no controlling terminal; a terminal another session controls is taken only with steal = 1, and that session's processes lose it (no signal). Every process counts as privileged (there are no user ids). Returns 0 at once when the terminal already is the caller's session's.",
    errors: {
      EBADF: "fd not open",
      ENOTTY: "fd is not a terminal",
      EPERM:
        "the caller leads no session, or has a controlling terminal, or the terminal is another session's and steal is not 1",
    },
  },
  tiocnotty: {
    nr: 523,
    args: [arg.fd("fd", { doc: "a descriptor of the caller's controlling terminal" })],
    result: "zero",
    doc: "Give up the controlling terminal (Linux's ioctl TIOCNOTTY). A process that is no session leader only forgets it; the session leader frees the terminal for its whole session, and the foreground process group gets SIGHUP then SIGCONT (the caller too if it is in that group).",
    errors: {
      EBADF: "fd not open",
      ENOTTY: "fd is not a terminal, or not the caller's controlling terminal",
    },
  },
  tcgetattr: {
    nr: 524,
    args: [
      arg.fd("fd", { doc: "a descriptor of a terminal" }),
      arg.ptr("termios", { access: "out", len: TERMIOS_BYTES, doc: "a Linux struct termios (36 bytes)" }),
    ],
    result: "zero",
    doc: "Read the terminal's modes into a Linux struct termios: c_iflag, c_oflag, c_cflag, c_lflag (u32 each), c_line, c_cc[19] (POSIX tcgetattr; Linux's ioctl TCGETS). Allowed from a background process group.",
    errors: {
      EBADF: "fd not open",
      ENOTTY: "fd is not a terminal",
      EFAULT: "termios not writable",
    },
  },
  tcsetattr: {
    nr: 525,
    args: [
      arg.fd("fd", { doc: "a descriptor of a terminal" }),
      arg.int("action", {
        doc: "TCSANOW (0), TCSADRAIN (1) or TCSAFLUSH (2: also discard the unread input)",
      }),
      arg.ptr("termios", {
        access: "in",
        len: TERMIOS_BYTES,
        doc: "the new modes, a Linux struct termios (36 bytes)",
      }),
    ],
    result: "zero",
    doc: "Set the terminal's modes from a Linux struct termios (POSIX tcsetattr; Linux's ioctls TCSETS, TCSETSW, TCSETSF). The line discipline acts on them from its next event: ICANON, ISIG, ECHO, the control characters, VMIN. Output is never queued, so TCSADRAIN acts at once; TCSAFLUSH first discards input received and not read. From a background process group the caller's group gets SIGTTOU first and the call runs again after it, whether TOSTOP is set or not (Linux's tty_check_change), unless the caller blocks or ignores SIGTTOU.",
    errors: {
      EBADF: "fd not open",
      ENOTTY: "fd is not a terminal",
      EINVAL: "action is not TCSANOW, TCSADRAIN or TCSAFLUSH",
      EFAULT: "termios not readable (the modes are unchanged)",
      EIO: "the caller is in an orphaned background process group",
      EINTR: "SIGTTOU's handler ran (no SA_RESTART)",
    },
  },
  tcgetsid: {
    nr: 526,
    args: [arg.fd("fd", { doc: "a descriptor of the caller's controlling terminal" })],
    result: "pid",
    doc: "The session the terminal is the controlling terminal of, the session leader's pid (POSIX tcgetsid; Linux's ioctl TIOCGSID). Only the caller's own controlling terminal answers, as Linux's TIOCGSID.",
    errors: {
      EBADF: "fd not open",
      ENOTTY: "fd is not a terminal, or not the caller's controlling terminal",
    },
  },
});
