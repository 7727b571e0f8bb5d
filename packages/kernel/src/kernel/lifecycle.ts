/**
 * Process and thread life cycles: spawn, fork, exec, thread creation, exit, zombies, reaping,
 * re-parenting.
 *
 * **fork** copies the address space (copy-on-write, by vm), the descriptors and dispositions,
 * and rebuilds the calling thread's continuation in the child by replay (`fork.ts`); `clone`
 * starts the child at a function instead.
 *
 * **exit.** The last thread's exit, exit_group, or a fatal signal ends the process: its threads
 * are removed, its descriptors closed, its address space and handle table released; children are
 * re-parented to init (pid 1); it becomes a zombie holding its wait status; the parent gets
 * SIGCHLD and its waitpid callers are woken. Job control (`../posix/jobs.ts`, `../posix/tty.ts`):
 * fork and spawn inherit the group, session and controlling terminal, exec keeps them; a
 * controlling process's exit hangs up its terminal, and groups the exit orphans with a stopped
 * member get SIGHUP and SIGCONT. A parent that set SIGCHLD to SIG_IGN, and pid 0,
 * reap at once (POSIX: no zombies are created then, and a waitpid blocks until the last child has
 * gone, then fails with ECHILD).
 *
 * Related: `kernel.ts`, `../process/`, `../posix/syscalls.ts` (the table of contents of the
 * system calls on top; fork, execve, spawn, exit and waitpid are in `../posix/process-calls.ts`).
 */
import type { ThreadId } from "@osbricks/sched";
import type { KernelStack } from "@osbricks/vm";
import { KernelInvariantError, ProgramError } from "../errors.js";
import { FdTable, OpenFileLedger } from "../posix/fd-table.js";
import { Console, FileMode, OpenFile } from "../posix/files.js";
import { notifyChildChange } from "../posix/generate.js";
import { orphanGroupsOnExit } from "../posix/jobs.js";
import { SIGACTION_DEFAULT, Sig } from "../posix/signals.js";
import { SIG_IGN } from "../posix/table.js";
import { releaseControllingTerminal } from "../posix/tty.js";
import { exitedStatus } from "../posix/wait-status.js";
import { loadImage } from "../process/loader.js";
import { Process } from "../process/process.js";
import { Thread } from "../process/thread.js";
import {
  addressesIn,
  DEFAULT_TEXT_PAGES,
  type ExecutableImage,
  type ProcessStart,
  TextImage,
  type UserFunction,
} from "../program/image.js";
import type { UserCode } from "../program/trap.js";
import { SYSCALL_NORETURN } from "../syscalls/dispatch.js";
import { Errno } from "../syscalls/errno.js";
import { replayFrames } from "./fork.js";
import type { Kernel } from "./kernel.js";

/**
 * Remove `x` from `list`, keeping the order of the rest (a process's threads are in creation
 * order), without the array `splice` would allocate for what it removed: a thread exit does this
 * once. No effect when `x` is not there.
 */
function removeInOrder<T>(list: T[], x: T): void {
  const i = list.indexOf(x);
  if (i < 0) return;
  for (let j = i + 1; j < list.length; j++) list[j - 1] = list[j]!;
  list.pop();
}

/** The kernel's process and thread bookkeeping. */
export class Lifecycle {
  /** pid 0: the kernel process; kernel threads belong to it and it reaps orphans of a dead init. */
  readonly kernelProcess: Process;
  /** The console every process's fds 0..2 start on. */
  readonly console = new Console();
  /** Every open file description in the kernel's descriptor tables not released yet (the leak check's). */
  readonly openFiles = new OpenFileLedger();
  /** Statuses of processes reaped by pid 0 (init itself, and orphans after init died), in order. */
  readonly reapedByKernel: { readonly pid: number; readonly status: number }[] = [];
  /** The thread type's "terminated" signal bit, looked up once (every thread exit asserts it). */
  private readonly threadTerminated: number;

  constructor(private readonly k: Kernel) {
    this.threadTerminated = k.threadType.signal("terminated");
    this.kernelProcess = new Process(
      k.objects,
      k.processType,
      0,
      null,
      null,
      new TextImage(DEFAULT_TEXT_PAGES),
      "kernel",
    );
    this.kernelProcess.retain();
    this.kernelProcess.files = new FdTable(this.openFiles);
    k.processes.set(0, this.kernelProcess);
  }

  /** Start init (pid 1) with fds 0, 1, 2 on the console. */
  spawnInit(name: string, argv: readonly string[], envp: readonly string[]): Process {
    const image = this.k.programs.lookup(name);
    if (!image) throw new ProgramError(`boot(${name}): no such program`);
    const files = new FdTable(this.openFiles);
    const con = new OpenFile(this.console, FileMode.READ_WRITE);
    for (let i = 0; i < 3; i++) files.install(con);
    const p = this.spawn(this.kernelProcess, image, argv, envp, files, 0);
    files.closeAll();
    if (typeof p === "number") throw new ProgramError(`boot(${name}): could not load (errno ${-p})`);
    // init leads session 1 and group 1, as a Unix init makes itself first thing with setsid().
    p.sid = p.pgid = p.pid;
    return p;
  }

  /**
   * Create a process from scratch running `image` (posix_spawn, Lunaix-style: nothing is copied
   * from the parent but the descriptors without FD_CLOEXEC, the signal mask `sigBlocked` and the
   * ignored signals, as a fork followed by an exec would leave them).
   * @returns the process, or -EAGAIN (process limit) / -ENOMEM.
   */
  spawn(
    parent: Process,
    image: ExecutableImage,
    argv: readonly string[],
    envp: readonly string[],
    files: FdTable,
    sigBlocked: number,
  ): Process | number {
    const k = this.k;
    if (k.processes.size >= k.maxProcesses) return -Errno.EAGAIN;
    const kstack = k.stacks.alloc();
    if (kstack === null) return -Errno.ENOMEM;
    const space = k.createSpace();
    const load = loadImage(k, space, image, argv, envp);
    if (load === null) {
      k.destroySpace(space);
      k.stacks.free(kstack);
      return -Errno.ENOMEM;
    }
    const pid = k.sched.spawn(); // the main thread's id is the pid (Linux: tgid = tid of the leader)
    const text = new TextImage(image.textPages ?? DEFAULT_TEXT_PAGES, [
      image.main as unknown as UserFunction,
      ...(image.functions ?? []),
    ]);
    const p = new Process(k.objects, k.processType, pid, parent, space, text, image.name);
    p.retain();
    p.heapStart = p.brk = load.heapStart;
    // posix_spawn is fork + exec without the copy, and keeps exec's rules: FD_CLOEXEC descriptors
    // are not inherited, ignored signals stay ignored, caught ones start at SIG_DFL.
    p.files = files.clone();
    p.files.closeOnExec();
    for (let i = 1; i < 32; i++)
      if (parent.sigActions[i]!.handler === SIG_IGN) p.sigActions[i] = parent.sigActions[i]!;
    // Job control: the parent's group, session and controlling terminal; an image of its own.
    p.pgid = parent.pgid;
    p.sid = parent.sid;
    p.ctty = parent.ctty;
    p.didExec = true;
    parent.children.push(p);
    k.processes.set(pid, p);
    const start = this.startOf(p, argv, envp, load.argvPtr, load.envpPtr);
    const t = this.createThread(
      p,
      image.main as unknown as UserFunction,
      [start],
      text.addressOf(image.main as unknown as UserFunction),
      load.sp,
      kstack,
      pid,
    );
    t.isMain = true;
    t.sigBlocked = sigBlocked;
    k.tracer?.emit({
      type: "kernel.process",
      cycle: k.now,
      event: "spawn",
      pid,
      ppid: parent.pid,
      detail: image.name,
    });
    return p;
  }

  /**
   * Create an *empty* process (jsix's `process_create`, Zircon's `zx_process_create`): a fresh
   * address space with nothing mapped, a handle table holding only its handle to itself, no
   * thread, nothing loaded. Its creator fills it (maps memory into it, gives it handles) and then
   * starts it with {@link Lifecycle.startEmpty}. Its pid is taken now and becomes the id of its
   * first thread, as `spawn`'s main thread has the pid as its id.
   * @returns the process, or -EAGAIN (process limit) / -ENOMEM (no frame for the page tables).
   */
  spawnEmpty(parent: Process, name: string): Process | number {
    const k = this.k;
    if (k.processes.size >= k.maxProcesses) return -Errno.EAGAIN;
    const space = k.vm.tryCreateSpace();
    if (space === null) return -Errno.ENOMEM;
    const pid = k.sched.spawn();
    const p = new Process(k.objects, k.processType, pid, parent, space, new TextImage(1), name);
    p.retain();
    p.pgid = parent.pgid;
    p.sid = parent.sid;
    p.didExec = true;
    p.emptyImage = true;
    parent.children.push(p);
    k.processes.set(pid, p);
    k.tracer?.emit({
      type: "kernel.process",
      cycle: k.now,
      event: "spawn",
      pid,
      ppid: parent.pid,
      detail: name,
    });
    return p;
  }

  /**
   * Load `image` into a process made by {@link Lifecycle.spawnEmpty} and start its first thread
   * at the image's main, with `argv` (the thread's id is the pid).
   * @returns the thread, or -EINVAL (the process is not empty or not live) / -ENOMEM.
   */
  startEmpty(p: Process, image: ExecutableImage, argv: readonly string[]): Thread | number {
    const k = this.k;
    if (!p.emptyImage || p.phase !== "live" || p.exiting || p.addressSpace === null) return -Errno.EINVAL;
    const kstack = k.stacks.alloc();
    if (kstack === null) return -Errno.ENOMEM;
    const load = loadImage(k, p.addressSpace, image, argv, []);
    if (load === null) {
      k.stacks.free(kstack);
      return -Errno.ENOMEM;
    }
    p.emptyImage = false;
    p.text = new TextImage(image.textPages ?? DEFAULT_TEXT_PAGES, [
      image.main as unknown as UserFunction,
      ...(image.functions ?? []),
    ]);
    p.image = image.name;
    p.heapStart = p.brk = load.heapStart;
    const start = this.startOf(p, argv, [], load.argvPtr, load.envpPtr);
    const t = this.createThread(
      p,
      image.main as unknown as UserFunction,
      [start],
      p.text.addressOf(image.main as unknown as UserFunction),
      load.sp,
      kstack,
      p.pid as ThreadId,
    );
    t.isMain = true;
    return t;
  }

  private startOf(
    p: Process,
    argv: readonly string[],
    envp: readonly string[],
    argvPtr: number,
    envpPtr: number,
  ): ProcessStart {
    return { argv: [...argv], envp: [...envp], argvPtr, envpPtr, addressOf: addressesIn(p.text) };
  }

  /**
   * Create a ready thread in `p` running `fn(...args)` (at code address `entry`), user stack
   * pointer `sp`, on kernel stack `kstack` (taken from `kernel.stacks` by the caller, who can
   * still fail cleanly when none is left).
   */
  createThread(
    p: Process,
    fn: UserFunction,
    args: unknown[],
    entry: number,
    sp: number,
    kstack: KernelStack,
    tid: ThreadId = this.k.sched.spawn(),
  ): Thread {
    const k = this.k;
    const t = new Thread(k.objects, k.threadType, k.sched, p, tid);
    t.retain();
    t.kstack = kstack;
    t.pushBase(fn as (...a: unknown[]) => UserCode<unknown>, args, entry, k.forkHistoryLimit);
    t.regs.rsp = sp;
    k.threads.set(tid, t);
    p.threads.push(t);
    this.place(t);
    k.tracer?.emit({ type: "kernel.thread", cycle: k.now, event: "create", pid: p.pid, tid });
    return t;
  }

  /** Start a new thread: the scheduler places it on the least loaded CPU and makes it ready. */
  private place(t: Thread): void {
    t.cpu = this.k.sched.start(t.schedId);
  }

  /** Thread count of live threads in user processes. */
  userThreads(): number {
    let n = 0;
    for (const t of this.k.threads.values()) if (t.process.pid !== 0) n++;
    return n;
  }

  // ---- fork and exec ------------------------------------------------------------------------

  /**
   * fork(2) for the running thread `t`: the child's pid, or -errno. With `start`, the child does
   * not return from the call but starts at `start.fn(start.arg)` (glibc's `clone(fn, ...)` without
   * CLONE_VM): the same copy-on-write copy, and no replay, so it costs O(1) in the parent's history.
   */
  fork(
    t: Thread,
    start?: { readonly fn: UserFunction; readonly entry: number; readonly arg: number },
  ): number {
    const k = this.k;
    const p = t.process;
    if (k.processes.size >= k.maxProcesses) return -Errno.EAGAIN;
    if (start === undefined && t.frames.some((f) => f.history.overflow)) return -Errno.ENOMEM;
    const kstack = k.stacks.alloc();
    if (kstack === null) return -Errno.ENOMEM;
    const space = p.vm.fork();
    if (space === null) {
      k.stacks.free(kstack);
      return -Errno.ENOMEM;
    }
    const pid = k.sched.spawn();
    const child = new Process(k.objects, k.processType, pid, p, space, p.text.clone(), p.image);
    child.retain();
    child.heapStart = p.heapStart;
    child.brk = p.brk;
    child.files = p.files.clone();
    for (let i = 0; i < 32; i++) child.sigActions[i] = p.sigActions[i]!;
    child.pgid = p.pgid;
    child.sid = p.sid;
    child.ctty = p.ctty;
    p.children.push(child);
    k.processes.set(pid, child);
    const ct = new Thread(k.objects, k.threadType, k.sched, child, pid);
    ct.retain();
    ct.kstack = kstack;
    ct.isMain = t.isMain;
    ct.regs.rsp = t.regs.rsp;
    ct.sigBlocked = t.sigBlocked;
    ct.clearTid = 0;
    k.threads.set(pid, ct);
    child.threads.push(ct);
    let diverged: string | null = null;
    let replayed = 0;
    if (start === undefined) {
      for (const f of t.frames) replayed += f.history.length;
      k.forkStats.forks++;
      k.forkStats.replayed += replayed;
      k.forkStats.lastReplayed = replayed;
      diverged = replayFrames(k, t, ct, child);
      ct.resume = 0;
      ct.regs.rax = 0;
    } else {
      ct.isMain = false; // its start routine returning ends the (one-thread) process with that value
      ct.pushBase(
        start.fn as (...a: unknown[]) => UserCode<unknown>,
        [start.arg],
        start.entry,
        k.forkHistoryLimit,
      );
    }
    this.place(ct);
    k.tracer?.emit({
      type: "kernel.process",
      cycle: k.now,
      event: "fork",
      pid,
      ppid: p.pid,
      detail: p.image,
      replayed,
    });
    if (diverged !== null) k.crash(ct, `fork replay diverged: ${diverged}`, Sig.SIGILL);
    return pid;
  }

  /**
   * execve(2) for `t`: replace the image. Returns SYSCALL_NORETURN, or -ENOMEM leaving `t` as it was.
   */
  exec(t: Thread, image: ExecutableImage, argv: readonly string[], envp: readonly string[]): number {
    const k = this.k;
    const p = t.process;
    const space = k.createSpace();
    const load = loadImage(k, space, image, argv, envp);
    if (load === null) {
      k.destroySpace(space);
      return -Errno.ENOMEM;
    }
    for (const o of [...p.threads]) if (o !== t) this.removeThread(o);
    // Past the point of no return: FD_CLOEXEC descriptors go (Linux's do_close_on_exec).
    p.files.closeOnExec();
    k.destroySpace(p.vm);
    p.addressSpace = space;
    p.text = new TextImage(image.textPages ?? DEFAULT_TEXT_PAGES, [
      image.main as unknown as UserFunction,
      ...(image.functions ?? []),
    ]);
    p.image = image.name;
    p.didExec = true; // its parent's setpgid on it fails with EACCES from now on
    p.heapStart = p.brk = load.heapStart;
    // POSIX: caught signals are reset to SIG_DFL; ignored ones stay ignored.
    for (let i = 1; i < 32; i++) if (p.sigActions[i]!.handler > SIG_IGN) p.sigActions[i] = SIGACTION_DEFAULT;
    t.frames.length = 0;
    const start = this.startOf(p, argv, envp, load.argvPtr, load.envpPtr);
    t.pushBase(
      image.main as unknown as (...a: unknown[]) => UserCode<unknown>,
      [start],
      p.text.addressOf(image.main as unknown as UserFunction),
      k.forkHistoryLimit,
    );
    t.isMain = true;
    p.leaderTid = t.tid; // the new leader (Linux's de_thread); an old leader's exit value is gone
    p.leaderExitValue = 0;
    t.regs.rsp = load.sp;
    t.resume = undefined;
    t.retry = null;
    t.retryFirst = false;
    t.clearTid = 0;
    k.tracer?.emit({
      type: "kernel.process",
      cycle: k.now,
      event: "exec",
      pid: p.pid,
      ppid: p.parent?.pid ?? 0,
      detail: image.name,
    });
    return SYSCALL_NORETURN;
  }

  // ---- exit ---------------------------------------------------------------------------------

  /** The top frame of `t` returned `value`. */
  frameReturned(t: Thread, value: unknown): void {
    const f = t.frames.pop()!;
    if (f.signal !== 0) {
      // sigreturn: back to what the handler interrupted.
      t.sigBlocked = f.savedMask;
      t.resume = f.savedResume;
      t.retry = f.savedRetry;
      t.regs.rip = t.top()!.entry;
      return;
    }
    const code = typeof value === "number" && Number.isInteger(value) ? value : 0;
    if (t.isMain) this.exitProcess(t.process, exitedStatus(code));
    else this.exitThread(t, code);
  }

  /**
   * exit(2): end thread `t`. The last thread's exit ends its process with the thread-group
   * leader's value (its low 8 bits): `value` if `t` is the leader, else what the leader passed to
   * exit when it ended earlier (Linux's wait reports the leader's exit code).
   */
  exitThread(t: Thread, value: number): void {
    const p = t.process;
    const leader = t.tid === p.leaderTid;
    if (p.threads.length === 1 && p.pid !== 0) {
      this.exitProcess(p, exitedStatus(leader ? value : p.leaderExitValue));
      return;
    }
    t.exitValue = value;
    if (leader) p.leaderExitValue = value;
    this.removeThread(t);
  }

  /** Take `t` out of the system: wait cancelled, unscheduled, exited, clear-tid futex woken, object released. */
  removeThread(t: Thread): void {
    const k = this.k;
    const p = t.process;
    // The scheduler first (it disarms its own sleep timer), then whatever list the wait is on.
    k.unschedule(t);
    if (t.wait !== null) {
      t.wait.cancel();
      t.wait = null;
    }
    if (t.ipcSlot >= 0) k.ipc.threadExit(t.ipcSlot);
    if (t.clearTid !== 0 && p.addressSpace !== null && !p.exiting) {
      // CLONE_CHILD_CLEARTID: *tidptr = 0, then futex_wake(tidptr, 1), which pthread_join waits on.
      k.wakeClearTid(p, t.clearTid);
    }
    t.frames.length = 0;
    t.retry = null;
    t.retryFirst = false;
    t.endIo(); // a read or write it was blocked in lets its file go
    const spent = k.cpuTimeOf(t); // off its CPU by now: the stint is counted
    p.cpuTimeExited += spent;
    k.exitedCpuTime += spent;
    k.releaseIpcSlot(t);
    if (t.kstack !== null) k.stacks.free(t.kstack);
    t.kstack = null;
    removeInOrder(p.threads, t);
    k.threads.delete(t.tid);
    k.tracer?.emit({ type: "kernel.thread", cycle: k.now, event: "exit", pid: p.pid, tid: t.tid });
    t.assertSignals(this.threadTerminated);
    if (t.handle !== 0 && p.phase === "live" && !p.exiting) p.handleTable.close(t.handle);
    t.kill();
    t.release();
  }

  /** End process `p` with wait status `status` (see the banner). Idempotent. */
  exitProcess(p: Process, status: number): void {
    const k = this.k;
    if (p.phase !== "live" || p.exiting || p.pid === 0) return;
    p.exiting = true;
    for (const t of [...p.threads]) this.removeThread(t);
    p.files.closeAll();
    // Faulting threads waiting on this pager get Closed: they take SIGSEGV.
    p.pagerEndpoint?.destroy();
    p.pagerEndpoint = null;
    p.pager = null;
    if (p.addressSpace !== null) k.destroySpace(p.addressSpace);
    p.addressSpace = null;
    p.handleTable.dispose();
    for (const w of p.childWaiters.splice(0)) w.wakeToRetry();
    // A controlling process's exit hangs up its terminal's foreground group (posix/tty.ts).
    releaseControllingTerminal(k, p);
    const init = k.processes.get(1);
    const heir = init && init !== p && init.phase === "live" ? init : this.kernelProcess;
    const children = p.children.splice(0);
    for (const c of children) {
      c.parent = heir;
      heir.children.push(c);
      k.tracer?.emit({
        type: "kernel.process",
        cycle: k.now,
        event: "reparent",
        pid: c.pid,
        ppid: heir.pid,
        detail: "",
      });
      if (c.phase === "zombie") this.notifyParent(c);
    }
    // Groups this exit orphans with a stopped member get SIGHUP and SIGCONT (posix/jobs.ts).
    orphanGroupsOnExit(k, p, children);
    p.phase = "zombie";
    p.exitStatus = status;
    p.assertSignals(k.processType.signal("terminated"));
    p.kill();
    k.tracer?.emit({
      type: "kernel.process",
      cycle: k.now,
      event: "exit",
      pid: p.pid,
      ppid: p.parent?.pid ?? 0,
      detail: `status 0x${status.toString(16)}`,
    });
    this.notifyParent(p);
  }

  private notifyParent(child: Process): void {
    const parent = child.parent!;
    if (parent.pid === 0 || parent.sigActions[Sig.SIGCHLD]!.handler === SIG_IGN) {
      this.reap(parent, child);
      // Waiters retry: a waitpid of a parent that ignores SIGCHLD blocks until its last child has
      // gone, then fails with ECHILD (POSIX wait: "until all of its children terminate").
      for (const w of parent.childWaiters.splice(0)) w.wakeToRetry();
      return;
    }
    notifyChildChange(this.k, parent, child);
  }

  /** Reap zombie `child` of `parent`: remove it and free its pid. Returns its wait status. */
  reap(parent: Process, child: Process): number {
    parent.children.splice(parent.children.indexOf(child), 1);
    this.k.processes.delete(child.pid);
    child.phase = "reaped";
    child.release();
    if (parent.pid === 0) this.reapedByKernel.push({ pid: child.pid, status: child.exitStatus });
    this.k.tracer?.emit({
      type: "kernel.process",
      cycle: this.k.now,
      event: "reap",
      pid: child.pid,
      ppid: parent.pid,
      detail: "",
    });
    return child.exitStatus;
  }

  /** Process-tree invariants (see `process.ts`). */
  checkInvariants(): void {
    for (const p of this.k.processes.values()) {
      if (p.pid !== 0 && (p.parent === null || !p.parent.children.includes(p))) {
        throw new KernelInvariantError(`pid ${p.pid} is not among its parent's children`);
      }
      for (const c of p.children)
        if (c.parent !== p)
          throw new KernelInvariantError(
            `pid ${c.pid} is a child of ${p.pid} but names ${c.parent?.pid} as parent`,
          );
      if (p.phase === "zombie" && (p.threads.length > 0 || p.addressSpace !== null)) {
        throw new KernelInvariantError(`zombie pid ${p.pid} still has threads or an address space`);
      }
      // A live process has a thread, except an empty one not started yet (spawnEmpty).
      if (p.phase === "live" && p.pid !== 0 && p.threads.length === 0 && !p.emptyImage)
        throw new KernelInvariantError(`live pid ${p.pid} has no threads`);
      for (const t of p.threads)
        if (this.k.threads.get(t.tid) !== t)
          throw new KernelInvariantError(`tid ${t.tid} of pid ${p.pid} is not in the thread table`);
    }
  }
}
