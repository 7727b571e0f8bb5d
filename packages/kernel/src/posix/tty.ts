/**
 * The controlling terminal: the job-control half of a terminal, which a driver (the Lunaix
 * example's serial console) embeds — Linux's `tty->session` and `tty->pgrp` with the rules of
 * `drivers/tty/tty_jobctrl.c`, and POSIX's "General Terminal Interface" 11.1.3–11.1.4.
 *
 * ```
 *   session 3 ─── controls ───▶ TerminalControl { session 3, foreground group 7 }
 *                                   │
 *   keyboard ^C ─▶ line discipline ─┴─▶ SIGINT  to every process of group 7   (ISIG)
 *            ^Z ─▶                  └─▶ SIGTSTP to every process of group 7
 *   read() by a process of group 9 (background) ─▶ SIGTTIN to group 9, the read restarts after it
 *   tcsetpgrp(fd, g) by the session ─▶ group g is the foreground (the shell's fg, and getting it back)
 * ```
 *
 * **Acquiring.** A session leader with no controlling terminal that opens a terminal no session
 * controls acquires it, and its group becomes the foreground (System V and Linux; POSIX leaves
 * the way implementation-defined; `O_NOCTTY` declines it, the opener's business), or that says
 * so by descriptor (TIOCSCTTY, below). The terminal is given up when its controlling process, the
 * session leader, exits: the foreground group gets SIGHUP and no process has it as its
 * controlling terminal any more (POSIX `_exit`); or by TIOCNOTTY (below).
 *
 * **Background access** (POSIX 11.1.4). A process whose controlling terminal this is, and whose
 * group is not the foreground group, that reads it: when it blocks or ignores SIGTTIN, or its
 * group is orphaned, the read fails with EIO; else SIGTTIN goes to its whole group and the call
 * restarts (Linux's -ERESTARTSYS): with the default action the group stops and reads again
 * after SIGCONT — stopping again while still in the background, reading once in the foreground.
 * `tcsetpgrp` from the background follows the same rule with SIGTTOU (POSIX `tcsetpgrp`), which is
 * why a shell that takes the terminal back ignores SIGTTOU. A background write goes through,
 * unless the terminal's TOSTOP local mode is set ({@link TerminalControl.tostop}, Linux's
 * `stty tostop`): then it follows the rule with SIGTTOU too, except that a writer blocking or
 * ignoring SIGTTOU writes anyway (POSIX 11.1.4; Linux's `n_tty_write` → `tty_check_change`):
 *
 * | background caller            | read (SIGTTIN) | write, TOSTOP set (SIGTTOU) | tcsetpgrp (SIGTTOU) | tcsetattr (SIGTTOU) |
 * | ---------------------------- | -------------- | --------------------------- | ------------------- | ------------------- |
 * | signal blocked or ignored    | EIO            | goes through                | goes through        | goes through        |
 * | group orphaned               | EIO            | EIO                         | ENOTTY (Linux)      | EIO                 |
 * | else: signal to its group    | restart        | restart                     | restart             | restart             |
 * | … a handler, no SA_RESTART   | EINTR          | EINTR                       | EINTR               | EINTR               |
 *
 * **Modes** (`termios.ts`): the terminal keeps its `struct termios`; `tcgetattr` reads it from
 * anywhere, `tcsetattr` changes it under the rule above whether TOSTOP is set or not (Linux's
 * `set_termios` → `tty_check_change`), and tells the driver ({@link TerminalDriver}).
 *
 * **Taking and giving up** (Linux's TIOCSCTTY and TIOCNOTTY ioctls, as calls of their own): a
 * session leader without a terminal may take one by descriptor, even from another session if
 * it says so ({@link setControllingTerminal}); a process gives its terminal up
 * ({@link giveUpControllingTerminal}) — for the whole session, with SIGHUP and SIGCONT to the
 * foreground group, when it is the session leader.
 *
 * Related: `jobs.ts` (groups, sessions), `termios.ts` (the modes), `file-calls.ts` (read, write),
 * `job-calls.ts` (tcsetpgrp, tcgetpgrp, tcgetattr, tcsetattr), `files.ts`
 * (`FileOperations.tty`: how a file says it is a terminal).
 */
import type { Kernel } from "../kernel/kernel.js";
import type { Process } from "../process/process.js";
import type { Thread } from "../process/thread.js";
import { SYSCALL_BLOCKED } from "../syscalls/dispatch.js";
import { Errno } from "../syscalls/errno.js";
import { isOrphanedGroup, sessionOfGroup, signalGroup } from "./jobs.js";
import { Sig, sigbit } from "./signals.js";
import { SaFlags, SIG_DFL, SIG_IGN } from "./table.js";
import { LocalMode, TcsaAction, TERMIOS_BYTES, Termios } from "./termios.js";

/**
 * The driver side of a terminal's modes (Linux's line discipline operations `set_termios` and
 * `flush_buffer`): what tcsetattr asks of the device after the kernel has stored new modes.
 */
export interface TerminalDriver {
  /** Discard the input received but not read (TCSAFLUSH, Linux's TCSETSF). */
  flushInput(): void;
  /**
   * The modes changed from `old` to the terminal's `termios`: act on them from now on (a reader
   * waiting for a line in canonical mode may be satisfied by the bytes already there once ICANON
   * is off). `old` is what Linux's `set_termios(tty, old)` passes, so a driver can tell which
   * modes switched without keeping a copy of its own.
   */
  modesChanged(old: Termios): void;
}

/**
 * The job-control state of one terminal (Linux's `tty->session`, `tty->pgrp`). A driver creates
 * one and exposes it as its open files' {@link FileOperations.tty}.
 * @example
 * ```ts
 * const tty = new TerminalControl("ttyS0");
 * acquireControllingTerminal(shell, tty); // true: shell leads its session
 * tty.session === shell.sid;              // and its group is the foreground
 * ```
 */
export class TerminalControl {
  /** The session it is the controlling terminal of; 0 for none. */
  session = 0;
  /**
   * The foreground process group; 0 for none. It may name a group whose members have all gone
   * (POSIX `tcgetpgrp` then returns an id that matches no existing group), as Linux's `tty->pgrp`
   * keeps its `struct pid`. Pids are never reused here, so a stale id cannot come to name another
   * process's new group; only the group's own leader, if alive, can make it exist again.
   */
  pgrp = 0;
  /**
   * The terminal's modes (termios), which programs read and change with tcgetattr/tcsetattr
   * (`termios.ts`). The line discipline — the driver — acts on them at each event; the kernel
   * acts on TOSTOP ({@link writeCheck}). A driver sets their initial values from its options.
   */
  readonly termios = new Termios();
  /**
   * What a driver does when the modes change (Linux's `tty_ldisc` `set_termios` and the flush of
   * TCSETSF); null for a terminal with nothing to do (the kernel's tests' doubles).
   */
  driver: TerminalDriver | null = null;

  /**
   * The TOSTOP local mode (`c_lflag & TOSTOP`, `stty tostop`): a write from a background process
   * group sends SIGTTOU to that group, as a background read sends SIGTTIN. Off by default, as a
   * Linux terminal starts (`stty -tostop`). A view of {@link TerminalControl.termios}: a driver
   * sets the initial value from its options, a program changes it with tcsetattr.
   */
  get tostop(): boolean {
    return this.termios.local(LocalMode.TOSTOP);
  }
  set tostop(on: boolean) {
    this.termios.setLocal(LocalMode.TOSTOP, on);
  }

  /** @param name the device's name, for messages (`"ttyS0"`). */
  constructor(readonly name: string) {}
}

/**
 * A process opens terminal `tty`: a session leader with no controlling terminal acquires one no
 * session controls, and its group becomes the foreground.
 * @returns whether `p` acquired it.
 */
export function acquireControllingTerminal(p: Process, tty: TerminalControl): boolean {
  if (p.sid !== p.pid || p.ctty !== null || tty.session !== 0) return false;
  tty.session = p.sid;
  tty.pgrp = p.pgid;
  p.ctty = tty;
  return true;
}

/**
 * TIOCSCTTY (`ioctl(fd, TIOCSCTTY, steal)`, Linux's `tiocsctty`): session leader `p` makes `tty`
 * its controlling terminal, and its group the foreground, as a getty or `login_tty` does after
 * `setsid` instead of relying on the open.
 * @param steal 1: take it even from another session, whose processes lose it (Linux requires
 *   CAP_SYS_ADMIN; with no user ids here, every process counts as privileged, as for kill).
 * @returns 0 (also when `tty` already is `p`'s, as session leader), or -EPERM: `p` leads no
 *   session, or has another controlling terminal, or `tty` is another session's and `steal` ≠ 1.
 */
export function setControllingTerminal(k: Kernel, p: Process, tty: TerminalControl, steal: number): number {
  if (p.sid === p.pid && tty.session === p.sid) return 0;
  if (p.sid !== p.pid || p.ctty !== null) return -Errno.EPERM;
  if (tty.session !== 0) {
    if (steal !== 1) return -Errno.EPERM;
    clearSessionTerminal(k, tty); // Linux's session_clear_tty: no signal is sent
  }
  tty.session = p.sid;
  tty.pgrp = p.pgid;
  p.ctty = tty;
  return 0;
}

/**
 * TIOCNOTTY (`ioctl(fd, TIOCNOTTY)`, Linux's `tiocnotty`): `p` gives up `tty`, its controlling
 * terminal. A process that is no session leader only forgets it; the session leader frees it
 * for the whole session, and the foreground group gets SIGHUP then SIGCONT (Linux's
 * `disassociate_ctty(0)`: the caller too, when it is in that group — a daemon ignores SIGHUP first).
 * @returns 0, or -ENOTTY when `tty` is not `p`'s controlling terminal.
 */
export function giveUpControllingTerminal(k: Kernel, p: Process, tty: TerminalControl): number {
  if (p.ctty !== tty) return -Errno.ENOTTY;
  if (p.sid !== p.pid) {
    p.ctty = null;
    return 0;
  }
  const fg = tty.pgrp;
  if (fg !== 0 && signalGroup(k, fg, Sig.SIGHUP)) signalGroup(k, fg, Sig.SIGCONT);
  clearSessionTerminal(k, tty);
  return 0;
}

/** `tty` is free: it controls no session, and no process of the session it controlled has it. */
function clearSessionTerminal(k: Kernel, tty: TerminalControl): void {
  for (const q of k.processes.values()) if (q.sid === tty.session && q.ctty === tty) q.ctty = null;
  tty.session = 0;
  tty.pgrp = 0;
}

/**
 * The line discipline saw an ISIG character (^C: SIGINT, ^\: SIGQUIT, ^Z: SIGTSTP): signal the
 * foreground group (Linux's `n_tty_receive_signal_char` → `kill_pgrp`).
 * @returns the group signalled, or 0 when there is no foreground group with a member.
 */
export function signalForeground(k: Kernel, tty: TerminalControl, sig: number): number {
  if (tty.pgrp === 0) return 0;
  return signalGroup(k, tty.pgrp, sig) ? tty.pgrp : 0;
}

/**
 * The controlling process `p` (a session leader) exits: the foreground group of its terminal gets
 * SIGHUP, and the terminal belongs to no session any more (POSIX `_exit`, Linux's
 * `disassociate_ctty(1)`); no process of the session keeps it as its controlling terminal.
 */
export function releaseControllingTerminal(k: Kernel, p: Process): void {
  const tty = p.ctty;
  if (tty === null || p.sid !== p.pid || tty.session !== p.sid) return;
  const fg = tty.pgrp;
  tty.session = 0;
  tty.pgrp = 0;
  for (const q of k.processes.values()) if (q.sid === p.sid) q.ctty = null;
  if (fg !== 0) signalGroup(k, fg, Sig.SIGHUP);
}

/**
 * POSIX 11.1.4 for thread `t` about to read (`SIGTTIN`), or to write with TOSTOP set or set the
 * foreground group (`SIGTTOU`), of `tty` (Linux's `__tty_check_change`):
 * - 0: go on (not its controlling terminal, no foreground group, or `t` is in the foreground);
 * - -EIO: the signal is blocked or ignored (for SIGTTOU, the call then goes on instead: returns 0),
 *   or the group is orphaned (nobody would continue it), or `t` is init and the action is the
 *   default (init drops it: the call would restart forever);
 * - else the signal goes to `t`'s group and the call restarts (`SYSCALL_BLOCKED` with the trap set
 *   to run again), or returns -EINTR when a handler without SA_RESTART will run.
 */
export function backgroundCheck(k: Kernel, t: Thread, tty: TerminalControl, sig: number): number {
  const p = t.process;
  if (p.ctty !== tty || tty.pgrp === 0 || p.pgid === tty.pgrp) return 0;
  const act = p.sigActions[sig]!;
  if ((t.sigBlocked & sigbit(sig)) !== 0 || act.handler === SIG_IGN)
    return sig === Sig.SIGTTIN ? -Errno.EIO : 0;
  // An orphaned group would stay stopped for good; init would drop the signal and loop forever.
  if (isOrphanedGroup(k, p.pgid) || (p.unkillable && act.handler === SIG_DFL)) return -Errno.EIO;
  signalGroup(k, p.pgid, sig);
  if (act.handler !== SIG_DFL && (act.flags & SaFlags.SA_RESTART) === 0) return -Errno.EINTR;
  t.retry = k.currentTrap; // Linux's -ERESTARTSYS: after the stop (or the handler), the call runs again
  return SYSCALL_BLOCKED;
}

/**
 * A write of `tty` by `t` is about to start, its bytes already copied from the caller (Linux's
 * `tty_write` copies the user buffer before the line discipline's `n_tty_write` checks: an
 * unreadable buffer is EFAULT, with no SIGTTOU): with TOSTOP set, the background rule with
 * SIGTTOU ({@link backgroundCheck}); without it, 0 at once.
 * @returns 0 (write), -EIO (an orphaned background group, or init), `SYSCALL_BLOCKED` (SIGTTOU
 *   went to the group: the write runs again from the start after it), or -EINTR.
 */
export function writeCheck(k: Kernel, t: Thread, tty: TerminalControl): number {
  return tty.tostop ? backgroundCheck(k, t, tty, Sig.SIGTTOU) : 0;
}

/**
 * tcsetpgrp(fd, pgid) on `tty` by `t`: make `pgid` the foreground group.
 * @returns 0, -ENOTTY (not `t`'s controlling terminal, or `t`'s group is an orphaned background
 *   group: Linux's TIOCSPGRP turns its background check's EIO into ENOTTY, and POSIX lists no EIO
 *   for tcsetpgrp), -EINVAL (pgid ≤ 0), -EPERM (no group `pgid` in `t`'s session), or else the
 *   background rule's result with SIGTTOU ({@link backgroundCheck}): a restart or -EINTR.
 */
export function setForeground(k: Kernel, t: Thread, tty: TerminalControl, pgid: number): number {
  const p = t.process;
  if (p.ctty !== tty || tty.session !== p.sid) return -Errno.ENOTTY;
  if (pgid <= 0) return -Errno.EINVAL;
  const bg = backgroundCheck(k, t, tty, Sig.SIGTTOU);
  if (bg === -Errno.EIO) return -Errno.ENOTTY; // Linux tiocspgrp: an orphaned background group
  if (bg !== 0) return bg;
  if (sessionOfGroup(k, pgid) !== p.sid) return -Errno.EPERM;
  tty.pgrp = pgid;
  return 0;
}

/**
 * tcgetattr(fd, termios*) on `tty`: its modes as Linux's struct termios bytes. Any process with a
 * descriptor may read them, from the background too (POSIX tcgetattr: "may be invoked from a
 * background process").
 */
export function getAttributes(tty: TerminalControl): Uint8Array {
  return tty.termios.encode();
}

/**
 * tcsetattr(fd, action, termios*) on `tty` by `t`, with the new modes' bytes read by `load` (null:
 * the pointer faulted). Linux's `set_termios`: the background rule with SIGTTOU comes first, even
 * with TOSTOP clear (`tty_check_change`; POSIX 11.1.4 lists tcsetattr among the calls that
 * change the terminal), then the copy from user memory; with TCSAFLUSH the unread input is
 * discarded, then the modes change and the driver hears of it. TCSADRAIN waits for no output:
 * every write here reaches the device before it returns.
 * @returns 0, -EINVAL (unknown action), -EFAULT (unreadable modes: nothing changed, nothing
 *   flushed), -EIO (an orphaned background group), or the background rule's restart or -EINTR.
 */
export function setAttributes(
  k: Kernel,
  t: Thread,
  tty: TerminalControl,
  action: number,
  load: (len: number) => Uint8Array | null,
): number {
  if (action !== TcsaAction.TCSANOW && action !== TcsaAction.TCSADRAIN && action !== TcsaAction.TCSAFLUSH)
    return -Errno.EINVAL;
  const bg = backgroundCheck(k, t, tty, Sig.SIGTTOU);
  if (bg !== 0) return bg;
  const bytes = load(TERMIOS_BYTES);
  if (bytes === null) return -Errno.EFAULT;
  applyModes(tty, Termios.decode(bytes), action);
  return 0;
}

/**
 * What tcsetattr does to `tty` once its checks have passed (Linux's `set_termios` after
 * `tty_check_change` and the copy): with TCSAFLUSH the unread input is discarded, then `modes`
 * replace the terminal's and its driver is told, with the old ones. A driver's own tests call it
 * to change the modes as a program would, without a kernel.
 * @param action a {@link TcsaAction} (not checked here: {@link setAttributes} does).
 */
export function applyModes(tty: TerminalControl, modes: Termios, action: number): void {
  if (action === TcsaAction.TCSAFLUSH) tty.driver?.flushInput();
  const old = new Termios();
  old.assign(tty.termios);
  tty.termios.assign(modes);
  tty.driver?.modesChanged(old);
}

/**
 * tcgetpgrp(fd) on `tty` by process `p`: the foreground group, or -ENOTTY when `tty` is not
 * `p`'s controlling terminal.
 */
export function getForeground(p: Process, tty: TerminalControl): number {
  return p.ctty === tty && tty.session === p.sid ? tty.pgrp : -Errno.ENOTTY;
}

/**
 * tcgetsid(fd) on `tty` by process `p`: the session `tty` controls, or -ENOTTY when it is not
 * `p`'s controlling terminal (Linux's TIOCGSID: `current->signal->tty != tty`; POSIX tcgetsid:
 * "the file is not the controlling terminal"), or controls no session any more.
 */
export function getSession(p: Process, tty: TerminalControl): number {
  return p.ctty === tty && tty.session !== 0 ? tty.session : -Errno.ENOTTY;
}
