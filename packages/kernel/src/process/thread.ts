/**
 * A thread: a continuation plus the kernel's bookkeeping for it, as a kernel object.
 *
 * ```
 *   Thread (kernel object "thread", koid k)
 *   ├── frames      continuation stack: [main or start routine, signal handler, nested handler…]
 *   │               the top frame is what the CPU runs; a handler frame remembers what it interrupted
 *   ├── resume      value the top frame is resumed with (the result register, a loaded value)
 *   ├── retry       a trap to execute again instead of resuming (faulting access, restarted syscall)
 *   ├── regs        registers as data: rip (code address of the running function), rsp, rax
 *   ├── life        state in @osbricks/sched's life cycle (new, ready, running, blocked, exited)
 *   ├── kstack      its kernel stack (base address of a guarded stack from the stack cache)
 *   └── signals     blocked mask, thread-directed pending set
 * ```
 *
 * State diagram (transitions through `@osbricks/sched`'s `transition`, the only place a thread's
 * state changes):
 *
 * ```
 *   new ──start──▶ ready ──dispatch──▶ running ──exit/killed──▶ exited
 *                   ▲  ▲                 │  │
 *                   │  └──preempt/yield──┘  │ block (waitpid, pipe, futex, pager)
 *                   └──────wake──── blocked ◀┘
 * ```
 *
 * Invariant: `frames` is empty exactly when the thread has exited; a blocked thread has a
 * `wait` record; `retry !== null` only while the thread is not running user code.
 *
 * Related: `process.ts`, `../kernel/kernel.ts` (runs it), `../trap/` (what a trap does to it).
 */

import type { IpcStatus } from "@osbricks/ipc";
import { KernelObject, type ObjectSpace, type ObjectType } from "@osbricks/objects";
import type { Scheduler, ThreadId, ThreadState } from "@osbricks/sched";
import type { KernelStack } from "@osbricks/vm";
import type { OpenFile } from "../posix/files.js";
import type { Trap, UserCode } from "../program/trap.js";
import { History } from "./history.js";
import type { Process } from "./process.js";

/** One activation on a thread's continuation stack. */
export interface Frame {
  /** The generator being run. */
  readonly code: UserCode<unknown>;
  /** The function it came from and its arguments: fork re-creates the generator from them. */
  readonly fn: (...args: never[]) => UserCode<unknown>;
  readonly args: readonly unknown[];
  /** Every value the generator was resumed with, in order (fork replays them; see kernel/fork.ts). */
  readonly history: History;
  /**
   * True when `fn(...args)` is a checkpoint's continuation rather than the frame's entry: fork
   * then checks that it restarts at that checkpoint (`program/checkpoint.ts`).
   */
  readonly checkpointed: boolean;
  /** Code address of the function (rip at entry). */
  readonly entry: number;
  /** For a signal-handler frame: the signal; 0 for the thread's base frame. */
  readonly signal: number;
  /** For a handler frame: the blocked mask to restore when it returns (sigreturn). */
  readonly savedMask: number;
  /** For a handler frame: the interrupted frame's pending resume value and retry trap. */
  readonly savedResume: unknown;
  readonly savedRetry: Trap | null;
}

/** How a blocked thread continues when it is woken. */
export interface WaitRecord {
  /** What it waits for, for traces (e.g. `"waitpid"`, `"pipe read"`). */
  readonly on: string;
  /**
   * The trap to run again when woken without a result (waitpid, pipe read/write), and when a
   * handler with SA_RESTART interrupts the wait (an untimed futex wait too); `null`: the call
   * cannot restart, and an interrupt returns EINTR.
   */
  readonly restart: Trap | null;
  /** Undo the wait (remove from the list it is on) when the thread is interrupted or killed. */
  readonly cancel: () => void;
  /** Whether a signal may interrupt the wait (EINTR). */
  readonly interruptible: boolean;
  /**
   * For a wait with a deadline (`Kernel.blockUntil`): its time ran out — take it off what it waits
   * on; the call then runs again (`restart`).
   */
  readonly timedOut?: () => void;
  /**
   * For waits ended by the ipc layer (futex, endpoint): runs at the wake, in kernel context, and
   * gives the call's result (`undefined`: execute the trap again). Default: Ok → 0, else EINTR/ETIMEDOUT.
   */
  readonly complete?: (status: IpcStatus) => number | undefined;
}

/** Registers as data: what a context switch saves. */
export interface Registers {
  /** Code address of the function the top frame runs. */
  rip: number;
  /** User stack pointer given at creation (0 when none). */
  rsp: number;
  /** Last system-call result. */
  rax: number;
}

/** A thread of a simulated process. */
export class Thread extends KernelObject {
  /** Thread id: unique machine-wide while the thread exists (Linux tids; the main thread's tid is the pid). */
  readonly tid: number;
  /** The owning process (a reference is held on it). */
  readonly process: Process;
  /** The scheduler that holds this thread's state. */
  readonly sched: Scheduler;
  /** The id as the scheduler types it (equal to `tid`). */
  readonly schedId: ThreadId;
  /** Continuation stack; the top frame runs. */
  readonly frames: Frame[] = [];
  /** Value the top frame is resumed with. */
  resume: unknown = undefined;
  /** A trap to execute again instead of resuming. */
  retry: Trap | null = null;
  /**
   * `retry` is a call its waker satisfied (a waitpid whose child exited): it runs before pending
   * signals are delivered, so it returns its result and the handler runs after it, not before.
   */
  retryFirst = false;
  /** Registers as data. */
  readonly regs: Registers = { rip: 0, rsp: 0, rax: 0 };
  /** Its kernel stack (from vm's guarded stack cache), or null once released. */
  kstack: KernelStack | null = null;
  /** Blocked signal set. */
  sigBlocked = 0;
  /** Signals sent to this thread only (synchronous: SIGSEGV, SIGPIPE). */
  sigPending = 0;
  /** Set while blocked. */
  wait: WaitRecord | null = null;
  /** CPU the thread runs on or last ran on. */
  cpu = 0;
  /** Slot in the ipc layer's per-thread state (futex waits), or -1. */
  ipcSlot = -1;
  /** CLONE_CHILD_CLEARTID address: zeroed and futex-woken at exit (0: none). */
  clearTid = 0;
  /** Exit value, once exited. */
  exitValue = 0;
  /** The owning process's handle to this thread, 0 when none. */
  handle = 0;
  /**
   * Bytes a blocking read or write has moved so far while it waits: a write's bytes taken before
   * it waited for room (a pipe write of more than fits completes in several goes), a read's bytes
   * taken while it waits (`FileOperations.takeWhileWaiting`: a terminal's MIN, copied to the
   * caller as they come). A signal that takes effect meanwhile ends the call with this count
   * (`Kernel.endPartialCall`), as Linux's pipe_write and n_tty_read return what they moved; 0
   * whenever no read or write is under way.
   */
  ioProgress = 0;
  /**
   * The open file a blocked read or write holds a reference on while it waits (for data, or for
   * room), and uses when it goes on: Linux's read and write hold the file (fdget) across their
   * sleep, so another thread's close of the descriptor ends neither the call nor the pipe's last
   * reader or writer. Null when no read or write waits.
   */
  ioFile: OpenFile | null = null;
  /**
   * When the read under way first began (cycles), kept while it waits and runs again, so that a
   * file can time it (a terminal's VTIME, `FileOperations.read`); -1 when no read is under way.
   */
  ioSince = -1;

  /** The read or write under way, if any, is over: no progress kept, its file reference dropped. */
  endIo(): void {
    this.ioProgress = 0;
    this.ioSince = -1;
    const f = this.ioFile;
    if (f === null) return;
    this.ioFile = null;
    f.put();
  }
  /** Whether the base frame is a program's main (its return ends the process, as exit() after main does). */
  isMain = false;
  /** Cycles of `compute(n)` this thread asked for (its own work; see {@link Thread.cpuTime} for all time on a CPU). */
  cyclesRun = 0;
  /**
   * Cycles this thread has spent on a CPU in finished stints: its traps, the system calls, faults
   * and copies the kernel did for it, and the context switch onto the CPU (Linux's
   * `sum_exec_runtime`, which starts counting when the task is picked). The current stint is
   * added by `Kernel.cpuTimeOf`.
   */
  cpuTime = 0;
  /** CPU-local cycle at which the current stint began; -1 when not on a CPU. */
  onCpuSince = -1;

  /** A thread with a fresh scheduler id (which is also its tid); it is `new` until started. */
  constructor(
    space: ObjectSpace,
    type: ObjectType,
    sched: Scheduler,
    process: Process,
    schedId: ThreadId = sched.spawn(),
  ) {
    super(space, type);
    this.sched = sched;
    this.schedId = schedId;
    this.tid = this.schedId;
    this.process = process;
    const r = process.handleTable.create(this, type.defaultRights);
    if (r.kind === "ok") this.handle = r.handle;
  }

  /** Scheduling state (new, ready, running, blocked, suspended, exited), as the scheduler has it. */
  get runState(): ThreadState {
    // A destroyed thread's record is gone from the scheduler (see onDestroy): it had exited.
    return this.state === "destroyed" ? "exited" : this.sched.stateOf(this.schedId);
  }

  /**
   * The last handle and reference are gone: the scheduler forgets the exited thread (Linux's
   * `release_task`), so a kernel that runs for long keeps no record per thread it ever ran.
   */
  protected override onDestroy(): void {
    if (this.sched.stateOf(this.schedId) === "exited") this.sched.forget(this.schedId);
  }

  /** The top frame, or undefined once exited. */
  top(): Frame | undefined {
    return this.frames[this.frames.length - 1];
  }

  /**
   * Start running `fn(...args)` as the base frame at code address `entry`, recording up to
   * `historyLimit` resume values for fork.
   */
  pushBase<A extends unknown[]>(
    fn: (...args: A) => UserCode<unknown>,
    args: A,
    entry: number,
    historyLimit: number,
  ): void {
    this.frames.push({
      code: fn(...args),
      fn: fn as unknown as (...args: never[]) => UserCode<unknown>,
      args,
      history: new History(historyLimit),
      checkpointed: false,
      entry,
      signal: 0,
      savedMask: 0,
      savedResume: undefined,
      savedRetry: null,
    });
    this.regs.rip = entry;
  }
}
