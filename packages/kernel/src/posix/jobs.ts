/**
 * Process groups and sessions: the kernel half of job control (POSIX XBD 3.296 "Process Group",
 * 3.343 "Session", 3.265 "Orphaned Process Group"; Linux `kernel/sys.c` and `kernel/exit.c`).
 * The terminal half (foreground group, SIGINT/SIGTSTP from the keyboard, SIGTTIN) is `tty.ts`.
 *
 * ```
 *   session 3 (leader: sh, pid 3) ── controlling terminal ttyS0, foreground group 7
 *   ├── group 3   sh                    the shell, alone in its group
 *   ├── group 7   cat (7) | wc (8)      a pipeline: one job, one group, led by its first stage
 *   └── group 9   sleeper (9)           a background job
 *   session 1 (leader: init) ── group 1  init
 * ```
 *
 * A group and a session are named by the pid of the process that created them, their leader;
 * they are not objects of their own: a process's `pgid` and `sid` fields say where it is, and a
 * group exists while some process (a zombie not yet reaped included, as in Linux, where a zombie
 * keeps its pid links until it is released) carries its id. A scan of the process table finds
 * the members. Groups are small and the table is too, so no per-group list is kept to drift.
 *
 * | call               | rule (the errors are POSIX's; where Linux is more precise we follow it)              |
 * | ------------------ | ------------------------------------------------------------------------------------- |
 * | `setpgid(pid, g)`  | pid 0 = the caller, g 0 = pid. The target is the caller or a child of it (else ESRCH); |
 * |                    | a child in another session: EPERM; a child that has exec'd (or was spawned): EACCES; |
 * |                    | a session leader: EPERM; g ≠ pid must be a group of the caller's session: EPERM;     |
 * |                    | g < 0: EINVAL                                                                          |
 * | `setsid()`         | EPERM when some process already has the caller's pid as its group id (the caller     |
 * |                    | leads a group); else a new session and a new group, both = pid, no terminal          |
 * | `getpgid`/`getsid` | pid 0 = the caller; ESRCH for no such process; a process of another session answers  |
 * |                    | too (Linux; POSIX allows EPERM there)                                                 |
 * | `kill(0, s)`       | every process of the caller's group; `kill(-g, s)`: of group g; `kill(-1, s)`: every  |
 * |                    | process but pid 0, init and the caller. ESRCH when nothing matched                   |
 * | `waitpid(0)`       | any child in the caller's group at the call; `waitpid(-g)`: any child in group g     |
 *
 * **Orphaned groups** (POSIX `_exit`): a group is orphaned when no member has a parent in
 * another group of the same session — nobody in the session is left to continue it. When an exit
 * orphans a group that has a stopped member, every member gets SIGHUP, then SIGCONT, so a
 * stopped job whose shell has gone does not stay stopped forever (Linux's `kill_orphaned_pgrp`).
 *
 * Invariants (`checkJobInvariants`): all of a group's members share one session (its leader may
 * have gone: a group lives while it has members); a session leader leads its own group (pgid =
 * sid = pid); a live process's controlling terminal, when set, is controlled by its session.
 *
 * Related: `tty.ts`, `job-calls.ts` (the calls), `generate.ts` (waitpid's wake-up matching),
 * `../kernel/lifecycle.ts` (inheritance at fork, spawn and exec; the exit rules).
 */
import { KernelInvariantError } from "../errors.js";
import type { Kernel } from "../kernel/kernel.js";
import type { Process } from "../process/process.js";
import { Errno } from "../syscalls/errno.js";
import { postSignal } from "./generate.js";
import { Sig } from "./signals.js";

/** Whether `p` counts as a member of its group: not the kernel process, not reaped. */
const counts = (p: Process): boolean => p.pid !== 0 && p.phase !== "reaped";

/**
 * The members of process group `pgid` (live and zombie), in process-table order (creation order
 * of their pids, so every scan is deterministic).
 * @example
 * ```ts
 * groupMembers(k, 7).map((p) => p.pid); // [7, 8]: a two-stage pipeline
 * ```
 */
export function groupMembers(k: Kernel, pgid: number): Process[] {
  const out: Process[] = [];
  for (const p of k.processes.values()) if (counts(p) && p.pgid === pgid) out.push(p);
  return out;
}

/** The session of process group `pgid`, or -1 when no process is in that group. */
export function sessionOfGroup(k: Kernel, pgid: number): number {
  for (const p of k.processes.values()) if (counts(p) && p.pgid === pgid) return p.sid;
  return -1;
}

/** The process `pid` names for a job-control call: 0 is the caller; null when there is none. */
function target(k: Kernel, caller: Process, pid: number): Process | null {
  if (pid === 0) return caller;
  const p = k.processes.get(pid);
  return p !== undefined && counts(p) ? p : null;
}

/**
 * setpgid(2): move process `pid` (0: the caller) into group `pgid` (0: a new group named after
 * `pid`). The rules are the banner's table, checked in Linux's order (`kernel/sys.c`).
 * @returns 0, or -ESRCH / -EPERM / -EACCES / -EINVAL. A refused call changes nothing.
 * @example
 * ```ts
 * setpgid(k, shell, child.pid, 0); // 0: the child leads a new group
 * setpgid(k, shell, child.pid, 0); // -EACCES once the child has exec'd
 * ```
 */
export function setpgid(k: Kernel, caller: Process, pid: number, pgid: number): number {
  if (pgid < 0) return -Errno.EINVAL;
  const p = target(k, caller, pid);
  if (p === null) return -Errno.ESRCH;
  const id = pgid === 0 ? p.pid : pgid;
  if (p !== caller) {
    if (p.parent !== caller) return -Errno.ESRCH; // only the caller or one of its children
    if (p.sid !== caller.sid) return -Errno.EPERM;
    if (p.didExec) return -Errno.EACCES;
  }
  if (p.sid === p.pid) return -Errno.EPERM; // a session leader cannot leave its group
  // Joining an existing group: it must be in the caller's session. A new group is named p's pid.
  if (id !== p.pid && sessionOfGroup(k, id) !== caller.sid) return -Errno.EPERM;
  p.pgid = id;
  return 0;
}

/**
 * setsid(2): the caller leads a new session and a new group, both named by its pid, and has no
 * controlling terminal.
 * @returns the new session id, or -EPERM when the caller's pid already names a group (it leads
 *   one, or led one that has members left).
 */
export function setsid(k: Kernel, p: Process): number {
  if (sessionOfGroup(k, p.pid) !== -1) return -Errno.EPERM;
  p.sid = p.pid;
  p.pgid = p.pid;
  p.ctty = null;
  return p.sid;
}

/** getpgid(2): the group of `pid` (0: the caller), or -ESRCH. */
export function getpgid(k: Kernel, caller: Process, pid: number): number {
  return target(k, caller, pid)?.pgid ?? -Errno.ESRCH;
}

/** getsid(2): the session of `pid` (0: the caller), or -ESRCH. */
export function getsid(k: Kernel, caller: Process, pid: number): number {
  return target(k, caller, pid)?.sid ?? -Errno.ESRCH;
}

/**
 * Send `sig` to every member of group `pgid` (Linux's `kill_pgrp`); zombies are members but take
 * nothing. The members are listed first: a signal that kills one changes no one else's group.
 * @returns whether the group had a member (kill's ESRCH otherwise).
 */
export function signalGroup(k: Kernel, pgid: number, sig: number): boolean {
  const members = groupMembers(k, pgid);
  for (const p of members) postSignal(k, p, sig);
  return members.length > 0;
}

/**
 * kill(-1, sig): every process but pid 0, init (pid 1) and the caller (Linux's `kill_something_info`).
 * @returns whether any process was signalled.
 */
export function signalAll(k: Kernel, caller: Process, sig: number): boolean {
  const targets: Process[] = [];
  for (const p of k.processes.values()) if (counts(p) && p.pid !== 1 && p !== caller) targets.push(p);
  for (const p of targets) postSignal(k, p, sig);
  return targets.length > 0;
}

/**
 * Whether group `pgid` is orphaned, not counting `ignoring` (a process about to exit): no live
 * member has a parent in another group of the same session (POSIX XBD 3.265; zombies are no
 * longer members for this rule). Linux's `will_become_orphaned_pgrp` also skips members whose
 * parent is init; we keep POSIX's definition, so a job of an init acting as a shell is not
 * orphaned.
 */
export function isOrphanedGroup(k: Kernel, pgid: number, ignoring: Process | null = null): boolean {
  for (const m of k.processes.values()) {
    if (!counts(m) || m.pgid !== pgid || m === ignoring || m.phase !== "live") continue;
    const parent = m.parent;
    if (parent !== null && parent.pgid !== pgid && parent.sid === m.sid) return false;
  }
  return true;
}

function hasStoppedMember(k: Kernel, pgid: number): boolean {
  for (const m of k.processes.values()) if (m.pgid === pgid && m.phase === "live" && m.stopped) return true;
  return false;
}

/**
 * The job-control half of process `p`'s exit, once its children have a new parent: a group this
 * exit orphans and that has a stopped member gets SIGHUP then SIGCONT (POSIX `_exit`, Linux's
 * `kill_orphaned_pgrp`). Two groups can become orphaned: `p`'s own (when its parent was the
 * group's link to the session) and each former child's (when `p` was that link).
 */
export function orphanGroupsOnExit(k: Kernel, p: Process, formerChildren: readonly Process[]): void {
  const done = new Set<number>();
  const consider = (pgid: number, linkOutside: boolean, ignoring: Process | null): void => {
    if (done.has(pgid) || !linkOutside) return;
    done.add(pgid);
    if (!isOrphanedGroup(k, pgid, ignoring) || !hasStoppedMember(k, pgid)) return;
    signalGroup(k, pgid, Sig.SIGHUP);
    signalGroup(k, pgid, Sig.SIGCONT);
  };
  const parent = p.parent;
  consider(p.pgid, parent !== null && parent.pgid !== p.pgid && parent.sid === p.sid, p);
  for (const c of formerChildren) consider(c.pgid, c.pgid !== p.pgid && c.sid === p.sid, null);
}

/**
 * The job-control invariants (see the banner).
 * @throws KernelInvariantError naming the first broken one.
 */
export function checkJobInvariants(k: Kernel): void {
  const sessionOf = new Map<number, { sid: number; pid: number }>();
  for (const p of k.processes.values()) {
    if (!counts(p)) continue;
    if (p.sid === p.pid && p.pgid !== p.pid)
      throw new KernelInvariantError(`pid ${p.pid} leads session ${p.sid} but is in group ${p.pgid}`);
    const seen = sessionOf.get(p.pgid);
    if (seen === undefined) sessionOf.set(p.pgid, { sid: p.sid, pid: p.pid });
    else if (seen.sid !== p.sid)
      throw new KernelInvariantError(
        `group ${p.pgid} spans sessions ${seen.sid} (pid ${seen.pid}) and ${p.sid} (pid ${p.pid})`,
      );
    if (p.ctty !== null && p.phase === "live" && p.ctty.session !== p.sid)
      throw new KernelInvariantError(
        `pid ${p.pid} of session ${p.sid} has controlling terminal ${p.ctty.name}, controlled by session ${p.ctty.session}`,
      );
  }
}
