/**
 * A process: an address space, a handle table and threads, as a kernel object.
 *
 * ```
 *   Process (kernel object "process", pid p)
 *   ├── space        user address space (@osbricks/vm), CR3 of every thread
 *   ├── handles      handle table (@osbricks/objects): the process's capabilities
 *   ├── threads      live threads, in creation order (the first is the main thread, tid = pid)
 *   ├── text         code addresses → generator functions (the program's text)
 *   ├── parent       who waits for it; children, in creation order
 *   ├── files        descriptor table (POSIX personality)
 *   ├── heap         [heapStart, brk): the program break
 *   ├── signals      dispositions[1..31], process-directed pending set
 *   └── job control  process group (pgid), session (sid), controlling terminal (ctty)
 * ```
 *
 * Job control (POSIX XBD 3.296 "Process Group", 3.343 "Session"; `../posix/jobs.ts`): every
 * process is in one process group and one session, both named by the pid of their leader; a
 * fork, a spawn and an exec keep them; `setpgid` and `setsid` change them. A session has at most
 * one controlling terminal (`../posix/tty.ts`); each of its processes points at it until `setsid`.
 *
 * Life cycle:
 *
 * ```
 *   live ──last thread exits / exit_group / fatal signal──▶ zombie ──parent reaps (waitpid)──▶ reaped
 *              (status recorded, memory, files and handles released,    (pid freed, object released)
 *               children re-parented to init, parent gets SIGCHLD)
 * ```
 *
 * Invariants: a zombie has no threads, no address space and no open descriptors; every child's
 * `parent` is this process and every process but pid 0 has a parent; pids are unique among
 * processes that are not reaped.
 *
 * Related: `thread.ts`, `../kernel/kernel.ts` (creation, exit, reaping), `../posix/` (the calls).
 */

import type { Endpoint } from "@osbricks/ipc";
import { KernelObject, type ObjectSpace, type ObjectType, SlotHandleTable } from "@osbricks/objects";
import type { AddressSpace } from "@osbricks/vm";
import { KernelStateError } from "../errors.js";
import { FdTable } from "../posix/fd-table.js";
import type { Waiter } from "../posix/files.js";
import { SIGACTION_DEFAULT, type SigAction } from "../posix/signals.js";
import type { TerminalControl } from "../posix/tty.js";
import type { TextImage } from "../program/image.js";
import type { Thread } from "./thread.js";

/** Handles per process (Zircon allows far more; a teaching kernel needs few, and creation is cheaper). */
export const HANDLE_TABLE_CAPACITY = 64;

/** Where a process is in its life cycle. */
export type ProcessState = "live" | "zombie" | "reaped";

/** A simulated process. */
export class Process extends KernelObject {
  /** Process id; 0 is the kernel process, 1 is init. */
  readonly pid: number;
  /** Life-cycle phase (see the banner). */
  phase: ProcessState = "live";
  /** The parent, or `null` for pid 0. */
  parent: Process | null;
  /** Children not yet reaped, in creation order. */
  readonly children: Process[] = [];
  /** Live threads, in creation order. */
  readonly threads: Thread[] = [];
  /** The address space, or `null` once released (zombie). */
  addressSpace: AddressSpace | null;
  /** The process's handle table. It holds a handle to the process itself and one per thread. */
  readonly handleTable: SlotHandleTable;
  /** The process's handle to itself (Zircon's `zx_process_self`), 0 once closed. */
  selfHandle = 0;
  /** The program's text. */
  text: TextImage;
  /** Name of the image it runs (argv[0] is the program's business). */
  image: string;
  /** Descriptor table (POSIX personality). */
  files: FdTable = new FdTable();
  /** CPU time of its threads that have exited, in cycles (`Kernel.cpuTimeOf` adds the live ones). */
  cpuTimeExited = 0;
  /** First byte of the heap. */
  heapStart = 0;
  /** The program break: one past the last heap byte. */
  brk = 0;
  /** Signal dispositions, indexed by signal number. */
  readonly sigActions: SigAction[] = new Array<SigAction>(32).fill(SIGACTION_DEFAULT);
  /** Signals sent to the process as a whole. */
  sigPending = 0;
  /** The wait status once a zombie (see `posix/wait-status.ts`). */
  exitStatus = 0;
  /**
   * The thread-group leader's tid: the process's first thread (tid = pid), or the thread that last
   * called execve (Linux's de_thread makes it the leader).
   */
  leaderTid: number;
  /**
   * The leader's exit(2) value once it has ended while other threads live on: the process's exit
   * status when its last thread ends without exit_group (Linux's wait reports the leader's exit
   * code, whichever thread ends last).
   */
  leaderExitValue = 0;
  /**
   * Init's protection (Linux's SIGNAL_UNKILLABLE): a signal whose action is the default is dropped,
   * at generation (`posix/generate.ts`) and at delivery (`posix/deliver.ts`), whoever sent it, the
   * kernel included (SIGPIPE). True for pid 1; a fault forced on it clears it, so a crashing init
   * still dies (Linux's force_sig_info_to_task clears the flag when the action is the default).
   */
  unkillable: boolean;
  /** Threads blocked in waitpid on this process's children. */
  readonly childWaiters: Waiter[] = [];
  /** The endpoint of the external pager that handles this process's unresolvable faults, or null. */
  pager: Endpoint | null = null;
  /**
   * Whether protection faults go to {@link Process.pager} too, not only faults where no area is
   * mapped: L4's rule, where the pager owns every page of its client and a write to a page it
   * mapped read-only is how it learns of a copy-on-write. False by default (the POSIX personality
   * resolves protection faults in the kernel and raises SIGSEGV); a microkernel personality sets
   * it when it gives a task a pager (`../trap/pager.ts`).
   */
  pagerProtectionFaults = false;
  /** The endpoint this process serves page faults on (created by pager_attach), or null. */
  pagerEndpoint: Endpoint | null = null;
  /** Stopped by SIGSTOP (or a default SIGTSTP/SIGTTIN/SIGTTOU) until SIGCONT. */
  stopped = false;
  /** A stop not yet reported to a waitpid(WUNTRACED): the stop signal, else 0. */
  stopReport = 0;
  /** A continue not yet reported to a waitpid(WCONTINUED). */
  continueReport = false;
  /** Process group id: the pid of the group's leader (`posix/jobs.ts`). Inherited; kept across exec. */
  pgid = 0;
  /** Session id: the pid of the session's leader. Inherited; kept across exec. */
  sid = 0;
  /** The controlling terminal of its session, or `null` (none yet, or given up by `setsid`). */
  ctty: TerminalControl | null = null;
  /**
   * It has run an image of its own since its parent created it: an execve, or a spawn (which is
   * fork + exec). Its parent's `setpgid` on it then fails with EACCES (Linux: PF_FORKNOEXEC clear).
   */
  didExec = false;
  /**
   * Made by `Lifecycle.spawnEmpty` and not started yet: nothing loaded, no thread (jsix's empty
   * process); `Lifecycle.startEmpty` loads an image and clears it.
   */
  emptyImage = false;
  /** Set while exit is in progress, so nested kills do not re-enter. */
  exiting = false;

  constructor(
    space: ObjectSpace,
    type: ObjectType,
    pid: number,
    parent: Process | null,
    addressSpace: AddressSpace | null,
    text: TextImage,
    image: string,
  ) {
    super(space, type);
    this.pid = pid;
    this.leaderTid = pid;
    this.unkillable = pid === 1;
    this.parent = parent;
    this.addressSpace = addressSpace;
    this.text = text;
    this.image = image;
    this.handleTable = new SlotHandleTable(space, { capacity: HANDLE_TABLE_CAPACITY });
    const r = this.handleTable.create(this, type.defaultRights);
    if (r.kind === "ok") this.selfHandle = r.handle;
  }

  /** The address space; throws only on a kernel bug (a zombie has none). */
  get vm(): AddressSpace {
    if (this.addressSpace === null)
      throw new KernelStateError(`process ${this.pid} has no address space (zombie)`);
    return this.addressSpace;
  }
}
