/**
 * The kernel core: processes and threads on simulated CPUs, the trap loop, blocking and waking,
 * exit and reaping. The parts a kernel chooses (policy, personality, memory size) come in through
 * `KernelOptions`; everything else is here, so example kernels repeat none of it.
 *
 * ```
 *   run() ── pick the CPU whose clock is lowest (ties: lowest id) ── deterministic lockstep
 *     │ advance the machine clock to it (timers fire, APIC lines go up)
 *     │ timer interrupt pending?  ack + EOI, sched.tick(cpu, cycles) → reschedule?
 *     │ no current thread?        sched.schedule(cpu) (context switch: load its CR3)
 *     │ signals deliverable?      default action, or push a handler frame   (posix/deliver.ts)
 *     │ next trap: a retried one, or frame.code.next(resume)
 *     ▼
 *   execute(trap)
 *     syscall  → dispatcher.dispatch(thread, nr, args)   result, BLOCKED or NORETURN
 *     memory   → trap/memory.ts: MMU translate → physical memory; fault → vm → retry or SIGSEGV
 *     compute  → the CPU's clock += n
 *     checkpoint → the frame restarts from fn(...args), its history from here (fork.ts)
 *   paranoid?  → checkInvariants() of every structure
 * ```
 *
 * A JavaScript exception thrown by a program (or a yielded value that is not a trap) kills its
 * process as a crash would (status: killed by SIGSEGV or SIGILL with core), records a
 * {@link CrashReport}, and the system keeps running. An exception thrown by kernel code is a
 * kernel bug and propagates (a panic).
 *
 * Related: `api.ts` (options, events), `boot-memory.ts` (RAM and frames), `lifecycle.ts` (create,
 * exit, reap), `../trap/memory.ts`, `../posix/generate.ts` and `../posix/deliver.ts` (signals),
 * `../process/`.
 */
import {
  type BootMemoryRegion,
  Clock,
  Mapper,
  Mmu,
  makeContext,
  type PhysicalMemory,
  type TranslationContext,
} from "@osbricks/hw-x86";
import { Futex, IpcStatus, IpcThreads, type Waker } from "@osbricks/ipc";
import { ObjectSpace, type ObjectType } from "@osbricks/objects";
import { RoundRobinPolicy, Scheduler, type SleepType, Xorshift32 } from "@osbricks/sched";
import {
  type AddressSpace,
  FirstFitRanges,
  type FrameAllocator,
  KernelStackCache,
  VmSystem,
} from "@osbricks/vm";
import { KernelArgumentError, KernelStateError } from "../errors.js";
import { deliverSignals } from "../posix/deliver.js";
import { forceSignal } from "../posix/generate.js";
import { Sig, signalName } from "../posix/signals.js";
import { posixPersonality } from "../posix/syscalls.js";
import { signaledStatus } from "../posix/wait-status.js";
import type { Process } from "../process/process.js";
import type { Thread, WaitRecord } from "../process/thread.js";
import type { UserFunction } from "../program/image.js";
import type { ProgramRegistry } from "../program/registry.js";
import type { Trap, UserCode } from "../program/trap.js";
import { SYSCALL_BLOCKED, SYSCALL_NORETURN, type SyscallDispatcher } from "../syscalls/dispatch.js";
import { Errno } from "../syscalls/errno.js";
import type { SyscallDecls } from "../syscalls/table.js";
import { executeMemoryTrap, putAlignedU32 } from "../trap/memory.js";
import {
  type CrashReport,
  type CycleCosts,
  DEFAULT_COSTS,
  type KernelEvent,
  type KernelOptions,
  type RunResult,
  type Tracer,
} from "./api.js";
import { bootMemory } from "./boot-memory.js";
import { Cpu, TIMER_VECTOR } from "./cpu.js";
import { takeCheckpoint } from "./fork.js";
import { checkKernelInvariants, resourceLeaks } from "./invariants.js";
import { Lifecycle } from "./lifecycle.js";
import { KernelShootdown } from "./shootdown.js";

// Module-local copies of constants tested on every trap: an imported binding can cost a getter
// call per read under some loaders (tsx, vite-node), a local const never does.
const BLOCKED = SYSCALL_BLOCKED;
const NORETURN = SYSCALL_NORETURN;

/** Where kernel stacks are carved from: 1 GiB in the upper (kernel) half, below -512 GiB. */
export const KERNEL_STACK_REGION = -(2 ** 39);
/** Largest compute(n) a single trap may ask for. */
export const MAX_COMPUTE = 1e9;

/** What fork by replay has cost in one kernel ({@link Kernel.forkStats}). */
export interface ForkStats {
  /** Forks that rebuilt their child by replay (every fork; `clone(fn, arg)` replays nothing and is not counted). */
  forks: number;
  /** Recorded values replayed to rebuild the children, in all. */
  replayed: number;
  /** Values the latest fork replayed. */
  lastReplayed: number;
}

/**
 * A simulated kernel.
 *
 * @example
 * ```ts
 * const programs = new ProgramRegistry().register({ name: "init", main: function* () { return 0; } });
 * const k = new Kernel({ programs });
 * k.boot("init");
 * k.run().outcome; // "all-exited"
 * ```
 */
export class Kernel implements Waker {
  readonly programs: ProgramRegistry;
  readonly memory: PhysicalMemory;
  readonly frames: FrameAllocator;
  /** The boot memory map the kernel was built with (a synthesized all-usable one without `memoryMap`). */
  readonly memoryMap: readonly BootMemoryRegion[];
  /** Frames reserved at boot: those the map does not call usable, and frame 0. */
  readonly reservedFrames: number;
  /** The VM system: address spaces, VM objects, the copy-on-write strategy. */
  readonly vm: VmSystem;
  /** The CPUs' IPI bus and the TLB shootdown protocol vm's spaces use (`shootdown.ts`). */
  readonly shootdown: KernelShootdown;
  /** The CPU the trap loop is stepping: the initiator of the shootdowns its trap causes. */
  private executing: Cpu;
  /** The kernel's own page tables (the upper half: kernel stacks). */
  readonly kernelMapper: Mapper;
  /** Guarded kernel stacks, one per thread (`@osbricks/vm`'s cache). */
  readonly stacks: KernelStackCache;
  readonly objects: ObjectSpace;
  readonly processType: ObjectType;
  readonly threadType: ObjectType;
  readonly ipc: IpcThreads;
  readonly futex: Futex;
  readonly clock = new Clock();
  /** The multi-CPU scheduler: thread states, run queues, balancing (`@osbricks/sched`). */
  readonly sched: Scheduler;
  /** The kernel's own page walker (no TLB), for copies into and out of user memory. */
  readonly walker: Mmu;
  readonly cpus: Cpu[] = [];
  readonly costs: CycleCosts;
  /** Cycles between scheduler ticks while a CPU is busy. */
  readonly tick: number;
  readonly paranoid: boolean;
  readonly tracer: Tracer<KernelEvent> | undefined;
  readonly random: Xorshift32;
  readonly maxProcesses: number;
  readonly forkHistoryLimit: number;
  readonly dispatcher: SyscallDispatcher<Thread, SyscallDecls>;
  /** Process and thread creation, exit and reaping. */
  readonly life: Lifecycle;
  /** Crash reports of programs killed for throwing, in order. */
  readonly crashes: CrashReport[] = [];
  /** Threads by tid. */
  readonly threads = new Map<number, Thread>();
  /** Processes by pid (live and zombie). */
  readonly processes = new Map<number, Process>();
  /** Threads by ipc slot. */
  readonly byIpcSlot: (Thread | undefined)[] = [];
  /** Total traps executed. */
  steps = 0;
  /**
   * What fork by replay has cost so far: forks done (not `clone(fn, arg)`), the recorded values
   * replayed to rebuild their children in all, and for the latest fork alone (`kernel/fork.ts`;
   * a checkpoint keeps the last figure small, see `program/checkpoint.ts`).
   */
  readonly forkStats: ForkStats = { forks: 0, replayed: 0, lastReplayed: 0 };
  /** The trap being executed (handlers that block use it as the restart point). */
  currentTrap: Trap | null = null;
  private readonly ipcFree: number[] = [];
  /**
   * How deep the kernel is in interrupt context (Linux's `in_interrupt()`): the timer tick's
   * expiries and a device's interrupt handler ({@link Kernel.fromInterrupt}). A wake made while it
   * is above 0 ends an "interrupted" sleep ({@link Kernel.wakeThread}).
   */
  private irqDepth = 0;

  /** @throws KernelArgumentError for out-of-range options. */
  constructor(options: KernelOptions) {
    const ncpu = options.cpus ?? 1;
    if (!Number.isInteger(ncpu) || ncpu < 1 || ncpu > 32)
      throw new KernelArgumentError(`new Kernel(cpus=${ncpu}): expected 1..32`);
    const tick = options.tick ?? 1000;
    if (!Number.isInteger(tick) || tick < 10)
      throw new KernelArgumentError(`new Kernel(tick=${tick}): expected an integer >= 10`);
    this.programs = options.programs;
    this.costs = { ...DEFAULT_COSTS, ...options.costs };
    this.paranoid = options.paranoid ?? false;
    this.tracer = options.tracer;
    this.tick = tick;
    this.random = new Xorshift32(options.seed ?? 1);
    this.maxProcesses = options.maxProcesses ?? 256;
    this.forkHistoryLimit = options.forkHistoryLimit ?? 1 << 20;
    const ram = bootMemory(options); // RAM, the boot memory map, the frame allocator (boot-memory.ts)
    this.memory = ram.memory;
    this.walker = new Mmu({ memory: this.memory });
    this.memoryMap = ram.memoryMap;
    this.frames = ram.frames;
    this.reservedFrames = ram.reservedFrames;
    this.kernelMapper = new Mapper({ memory: this.memory, frames: this.frames });
    for (let i = 0; i < ncpu; i++)
      this.cpus.push(new Cpu(i, this.memory, this.clock, this.kernelMapper.root, tick));
    this.executing = this.cpus[0]!;
    this.shootdown = new KernelShootdown(this.cpus, () => this.executing);
    this.vm = new VmSystem({
      memory: this.memory,
      frames: this.frames,
      strategy: options.cow ?? "shadow",
      shootdown: this.shootdown.target,
    });
    this.stacks = new KernelStackCache({
      ranges: new FirstFitRanges({ base: KERNEL_STACK_REGION, size: 2 ** 30 }),
      mapper: this.kernelMapper,
      frames: this.frames,
      memory: this.memory,
      // Kernel mappings are global: every CPU may cache them, whatever it runs, so an unmapped
      // stack page is an INVLPG on every CPU, by IPI (kernel/shootdown.ts), and its frames wait
      // for every acknowledgement as a user page's do (Linux: flush_tlb_kernel_range).
      invalidate: (va) => this.shootdown.target.invalidateKernelPage(va),
      whenAcknowledged: (done) => this.shootdown.target.whenAcknowledged(done),
    });
    this.objects = new ObjectSpace();
    this.processType = this.objects.defineType({ name: "process", signals: ["terminated"] });
    this.threadType = this.objects.defineType({ name: "thread", signals: ["terminated"] });
    const maxThreads = options.maxThreads ?? 512;
    this.ipc = new IpcThreads({ maxThreads, waker: this });
    for (let i = maxThreads - 1; i >= 0; i--) this.ipcFree.push(i);
    this.futex = new Futex(this.ipc, this.memory);
    const policy = options.policy ?? (() => new RoundRobinPolicy({ quantum: 10 * tick }));
    this.sched = new Scheduler({
      cpus: ncpu,
      policy: (c) => policy(c),
      clock: { now: () => this.nowCycles },
    });
    this.sched.spawn(); // tid 0: the kernel process's idle task (Linux's swapper), never started
    this.life = new Lifecycle(this);
    this.dispatcher = (options.personality ?? posixPersonality)(this);
    this.bootFreeFrames = this.frames.freeFrames();
    this.bootObjects = this.objects.liveObjects().length;
  }

  private readonly bootFreeFrames: number;
  private readonly bootObjects: number;

  /** Simulated time of the CPU being stepped: the kernel's "now" in cycles. */
  private nowCycles = 0;

  /** The current simulated time in cycles (the local time of the CPU that runs the kernel now). */
  get now(): number {
    return this.nowCycles;
  }

  // ---- boot and run ---------------------------------------------------------------------

  /**
   * Start `image` as init (pid 1).
   * @throws KernelStateError when init already exists; ProgramError for an unknown image.
   */
  boot(image = "init", argv: readonly string[] = [image], envp: readonly string[] = []): Process {
    if (this.processes.has(1)) throw new KernelStateError("boot: init is already running");
    return this.life.spawnInit(image, argv, envp);
  }

  /**
   * Start a kernel thread: a continuation of the kernel process (pid 0), as Lunaix runs its
   * kernel threads. It may compute and make system calls; it has no user memory.
   * @example
   * ```ts
   * k.spawnKernelThread(function* () { yield* compute(5000); });
   * ```
   */
  spawnKernelThread(fn: () => UserCode<unknown>): Thread {
    const p = this.life.kernelProcess;
    const kstack = this.stacks.alloc();
    if (kstack === null) throw new KernelStateError("spawnKernelThread: no memory left for a kernel stack");
    const entry = p.text.addressOf(fn as unknown as UserFunction);
    return this.life.createThread(p, fn as unknown as UserFunction, [], entry, 0, kstack);
  }

  /**
   * Run until every user process has exited, nothing can run, or a limit is reached.
   * @param limits maxCycles: stop when the clock passes it; maxSteps: stop after that many traps;
   *   stopWhenIdle: also stop, with outcome `"idle"`, as soon as {@link Kernel.userIdle} holds
   *   (checked whenever a CPU finds nothing to run, so it costs nothing while threads run).
   * @example
   * ```ts
   * for (;;) {
   *   const { outcome } = k.run({ stopWhenIdle: true });
   *   if (outcome !== "idle" || !console.readerWaiting) break; // exited, deadlock, or a hang
   *   console.hostInput(nextLine()); // wakes the reader
   * }
   * ```
   */
  run(limits: { maxCycles?: number; maxSteps?: number; stopWhenIdle?: boolean } = {}): RunResult {
    const maxCycles = limits.maxCycles ?? Number.POSITIVE_INFINITY;
    const maxSteps = limits.maxSteps ?? Number.POSITIVE_INFINITY;
    const stopWhenIdle = limits.stopWhenIdle ?? false;
    const start = this.steps;
    const cpus = this.cpus;
    const one = cpus.length === 1;
    for (;;) {
      let c = cpus[0]!;
      if (!one) for (let i = 1; i < cpus.length; i++) if (cpus[i]!.time < c.time) c = cpus[i]!;
      if (this.steps - start >= maxSteps || c.time >= maxCycles) return this.result("limit", start);
      if (c.time > this.nowCycles) this.nowCycles = c.time;
      this.executing = c;
      // The machine clock only needs to move when a hardware event (a timer expiry) is due.
      if (c.time >= this.nextEventAt) {
        this.clock.advanceTo(c.time);
        this.nextEventAt = this.clock.nextEventAt() ?? Number.POSITIVE_INFINITY;
      }
      // Shootdown IPIs first: the timer's poll below acknowledges every pending vector.
      if (c.ipiPending) this.shootdown.takePending(c);
      if (c.timer.expirations !== c.seenExpirations) this.interrupt(c);
      if (c.current === null && !this.dispatch(c)) {
        if (stopWhenIdle && this.userIdle()) return this.result("idle", start);
        if (!this.idle(c))
          return this.result(this.liveUserThreads() === 0 ? "all-exited" : "deadlock", start);
        continue;
      }
      this.step(c);
      this.steps++;
      if (this.paranoid) this.checkInvariants();
    }
  }

  /**
   * Kill every user process with SIGKILL, init first (so its orphans go to pid 0 and are reaped
   * at once): what a machine's shutdown does. Zombies are reaped; kernel threads stay.
   */
  shutdown(): void {
    const live = [...this.processes.values()]
      .filter((p) => p.pid !== 0 && p.phase === "live")
      .sort((a, b) => a.pid - b.pid);
    for (const p of live) this.life.exitProcess(p, signaledStatus(Sig.SIGKILL, false));
    for (const p of [...this.processes.values()]) {
      if (p.phase === "zombie" && p.parent !== null && p.parent.pid !== 1) this.life.reap(p.parent, p);
    }
    const init = this.processes.get(1);
    if (init?.phase === "zombie") this.life.reap(init.parent!, init);
  }

  private result(outcome: RunResult["outcome"], start: number): RunResult {
    let cycles = this.clock.now;
    for (const c of this.cpus) cycles = Math.max(cycles, c.time);
    return { outcome, cycles, steps: this.steps - start };
  }

  /** Cycle of the next clock event (the clock is advanced lazily, only when one is due). */
  private nextEventAt = 0;

  private liveUserThreads(): number {
    let n = 0;
    for (const t of this.threads.values()) if (t.process.pid !== 0) n++;
    return n;
  }

  /**
   * Whether user space is idle: at least one user thread exists, and every one is blocked or
   * stopped with no timer of its own pending (no `nanosleep`, no futex wait with a timeout), so
   * only an outside event — or a kernel thread — can make user code run again. Kernel threads'
   * own timers (a periodic kernel daemon) do not count. O(threads).
   */
  userIdle(): boolean {
    let any = false;
    for (const t of this.threads.values()) {
      if (t.process.pid === 0) continue;
      any = true;
      const s = t.runState;
      if (s !== "blocked" && s !== "suspended") return false;
      // A timer of its own: a sleep (sched.sleepUntil arms one) or a timed wait (blockUntil, VTIME).
      if (this.sched.timers.has(t.schedId)) return false;
      if (t.ipcSlot >= 0 && this.ipc.deadline[t.ipcSlot] !== Number.POSITIVE_INFINITY) return false;
    }
    return any;
  }

  /** An idle CPU waits for the next event: another CPU's progress or a timer. False when nothing can ever happen. */
  private idle(c: Cpu): boolean {
    let next = Number.POSITIVE_INFINITY;
    for (const o of this.cpus) if (o !== c && o.current !== null) next = Math.min(next, o.time);
    let anyReady = false;
    for (const o of this.cpus) if (this.sched.policyOf(o.cpuId).readyCount > 0) anyReady = true;
    // A sleeper or a timed futex wait is woken by the first timer tick at or after its deadline.
    const wakeAt = Math.min(this.ipc.nextDeadline(), this.sched.timers.nextDeadline());
    if (wakeAt < Number.POSITIVE_INFINITY) {
      next = Math.min(next, Math.max(wakeAt, this.clock.nextEventAt() ?? wakeAt));
    }
    if (next === Number.POSITIVE_INFINITY && !anyReady) return false; // nothing can ever happen
    const target = Math.max(c.time + 1, next === Number.POSITIVE_INFINITY ? c.time + 1 : next);
    if (target > c.time + this.tick) {
      // Tickless idle: program the timer for when there is something to do, not every tick.
      c.timer.writeDeadline(target);
      this.nextEventAt = this.clock.nextEventAt() ?? Number.POSITIVE_INFINITY;
    }
    c.idleCycles += target - c.time;
    c.time = target;
    return true;
  }

  /**
   * Put the running thread `t` to sleep for `cycles` (the scheduler's timer queue wakes it at the
   * first tick after the deadline, resuming it with 0). Returns {@link SYSCALL_BLOCKED}.
   */
  sleepThread(t: Thread, cycles: number): number {
    const c = this.cpus[t.cpu]!;
    this.sched.sleep(t.schedId, cycles);
    t.wait = {
      on: "sleep",
      restart: null,
      interruptible: true,
      // The scheduler cancels the timer itself when the thread exits; a signal cancels it here.
      cancel: () => {
        if (this.sched.timers.has(t.schedId)) this.sched.timers.cancel(t.schedId);
      },
    };
    this.switchOut(c, t);
    return SYSCALL_BLOCKED;
  }

  /** Timer interrupt: acknowledge, EOI, account the tick; preempt if the policy says so. */
  private interrupt(c: Cpu): void {
    c.seenExpirations = c.timer.expirations;
    let timer = c.timerTaken; // taken by its gate during an IPI's delivery (cpu.ts)
    c.timerTaken = false;
    for (let v = c.apic.acknowledge(); v !== null; v = c.apic.acknowledge()) {
      c.apic.eoi();
      if (v === TIMER_VECTOR) timer = true;
    }
    if (!timer) return;
    c.timer.writeDeadline(c.time + this.tick); // the next tick
    this.nextEventAt = Math.min(this.nextEventAt, c.time + this.tick);
    // Timeouts have tick granularity, as jiffies do: futex waits (ipc deadlines), then sleepers.
    // Each queue is visited only when a deadline is due: most ticks have none, and both calls
    // build an array of what expired. (ipc's clock may lag then; a timed futex wait moves it to
    // now before it arms its deadline.)
    // Both run in interrupt context, as Linux's timers do (run_timer_softirq): a futex timeout's
    // wake (ipc calls back Kernel.wake) and an expired sleep end an "interrupted" sleep, which
    // O(1) credits with its whole first run-queue wait (2.6.17's activate_task: SLEEP_INTERRUPTED
    // when in_interrupt()). Every wait on a timer is interruptible (blockUntil refuses another
    // kind; a sleep is), so none of them is Linux's TASK_UNINTERRUPTIBLE "noninteractive" case.
    const now = this.nowCycles;
    if (now > this.ipc.now && this.ipc.nextDeadline() <= now)
      this.fromInterrupt(() => this.ipc.advanceTo(now));
    if (this.sched.timers.nextDeadline() <= now) {
      for (const tid of this.sched.runTimers("interrupted")) {
        const t = this.threads.get(tid)!;
        const w = t.wait;
        t.wait = null;
        if (w?.timedOut !== undefined) {
          // A wait with a deadline (blockUntil): off its list, and the call runs again to see
          // that its time is up (a terminal read's VTIME).
          w.timedOut();
          t.retry = w.restart;
        } else {
          t.resume = 0; // a sleep: nanosleep returns 0
          t.regs.rax = 0;
        }
        // A stop leaves a sleep on its timer (posix/generate.ts); one that ends while the process
        // is stopped completes but stays off the CPUs until SIGCONT, as wakeThread does.
        if (t.process.stopped) this.sched.suspend(t.schedId);
      }
    }
    const cycles = Math.max(1, c.time - c.lastTick);
    c.lastTick = c.time;
    // The scheduler charges the running thread and may balance load; a pending reschedule is
    // acted on at once (the trap boundary is the preemption point).
    if (this.sched.tick(c.cpuId, cycles)) this.dispatch(c);
  }

  /**
   * Let the scheduler choose what `c` runs (it preempts the current thread if a reschedule is
   * pending, steals work when idle). Returns false when the CPU idles.
   */
  private dispatch(c: Cpu): boolean {
    const prev = c.current;
    const tid = this.sched.schedule(c.cpuId);
    if (tid === null) {
      if (prev !== null) this.endStint(c, prev);
      if (c.current !== null) this.goIdle(c);
      return false;
    }
    const t = this.threads.get(tid)!;
    if (t === prev) return true;
    if (prev !== null) this.endStint(c, prev); // preempted
    t.cpu = c.id;
    if (c.current === null) c.hw.cli(); // a thread's IPIs wait for its trap boundaries
    c.current = t;
    t.onCpuSince = c.time; // the switch onto the CPU is charged to the incoming thread
    c.time += this.costs.contextSwitch;
    if (c.loaded !== t.process.addressSpace) c.load(t.process.addressSpace);
    this.tracer?.emit({
      type: "kernel.switch",
      cycle: c.time,
      cpu: c.id,
      from: prev?.tid ?? null,
      to: t.tid,
    });
    return true;
  }

  /** `t` leaves CPU `c`: its stint is added to its CPU time. */
  private endStint(c: Cpu, t: Thread): void {
    if (t.onCpuSince >= 0) t.cpuTime += c.time - t.onCpuSince;
    t.onCpuSince = -1;
  }

  /**
   * Cycles `t` has spent on a CPU so far, the running stint included (what `ps` shows as TIME).
   * @example
   * ```ts
   * k.cpuTimeOf(thread); // 12_345: traps, system calls, faults and switches, not time blocked
   * ```
   */
  cpuTimeOf(t: Thread): number {
    return t.onCpuSince < 0 ? t.cpuTime : t.cpuTime + this.cpus[t.cpu]!.time - t.onCpuSince;
  }

  /** Cycles the threads of `p`, live and exited, have spent on a CPU (a process's TIME). */
  processCpuTimeOf(p: Process): number {
    let sum = p.cpuTimeExited;
    for (const t of p.threads) sum += this.cpuTimeOf(t);
    return sum;
  }

  /** CPU time of every thread that has exited, in cycles (for the accounting invariant). */
  exitedCpuTime = 0;

  private switchOut(c: Cpu, t: Thread): void {
    this.endStint(c, t);
    this.goIdle(c);
    this.tracer?.emit({ type: "kernel.switch", cycle: c.time, cpu: c.id, from: t.tid, to: null });
  }

  /** `c` has no thread: it waits in HLT with interrupts on, so an IPI reaches it at once. */
  private goIdle(c: Cpu): void {
    c.current = null;
    if (c.ipiPending) this.shootdown.takePending(c);
    c.hw.sti();
  }

  // ---- the trap loop ----------------------------------------------------------------------

  /** Run one trap of the CPU's current thread. */
  private step(c: Cpu): void {
    const t = c.current!;
    // A call woken with its result ready (retryFirst) completes first; its signals come after it.
    if ((t.sigPending | t.process.sigPending) !== 0 && !t.retryFirst && deliverSignals(this, t)) {
      if (c.current !== t) return; // killed or stopped
    }
    let trap: Trap;
    if (t.retry !== null) {
      trap = t.retry;
      t.retry = null;
      t.retryFirst = false;
    } else {
      const f = t.frames[t.frames.length - 1]!;
      const value = t.resume;
      t.resume = undefined;
      f.history.push(value);
      let r: IteratorResult<Trap, unknown>;
      try {
        r = f.code.next(value);
      } catch (e) {
        this.crash(t, e instanceof Error ? `${e.name}: ${e.message}` : `threw ${String(e)}`, Sig.SIGSEGV);
        return;
      }
      if (r.done === true) {
        this.life.frameReturned(t, r.value);
        return;
      }
      trap = r.value;
    }
    this.execute(c, t, trap);
  }

  private execute(c: Cpu, t: Thread, trap: Trap): void {
    if (trap === null || typeof trap !== "object") {
      this.crash(t, `yielded ${String(trap)}, which is not a trap`, Sig.SIGILL);
      return;
    }
    switch (trap.kind) {
      case "syscall": {
        c.time += this.costs.syscall;
        this.currentTrap = trap;
        const r = this.dispatcher.dispatch(t, trap.nr, Array.isArray(trap.args) ? trap.args : []);
        if (r !== BLOCKED && r !== NORETURN) {
          t.resume = r;
          t.regs.rax = r;
        }
        if (this.tracer) {
          this.tracer.emit({
            type: "kernel.syscall",
            cycle: c.time,
            cpu: c.id,
            pid: t.process.pid,
            tid: t.tid,
            nr: trap.nr,
            name: this.dispatcher.nameOf(trap.nr) ?? "?",
            args: trap.args,
            result: r,
          });
        }
        return;
      }
      case "compute": {
        const n = trap.cycles;
        if (!Number.isInteger(n) || n < 0 || n > MAX_COMPUTE) {
          this.crash(t, `compute(${String(n)}): not a cycle count in 0..${MAX_COMPUTE}`, Sig.SIGILL);
          return;
        }
        c.time += n;
        t.cyclesRun += n;
        return;
      }
      case "checkpoint":
        takeCheckpoint(this, t, trap);
        return;
      case "load":
      case "store":
      case "read-bytes":
      case "write-bytes":
      case "atomic":
        executeMemoryTrap(this, c, t, trap);
        return;
      default:
        this.crash(t, `yielded ${JSON.stringify(trap)}, which is not a trap`, Sig.SIGILL);
    }
  }

  /**
   * Kill a thread's process as a crash: a JS exception or garbage trap from its program.
   * The report is kept in {@link Kernel.crashes}.
   */
  crash(t: Thread, message: string, sig: number): void {
    const report: CrashReport = {
      pid: t.process.pid,
      tid: t.tid,
      image: t.process.image,
      message,
      cycle: this.clock.now,
    };
    this.crashes.push(report);
    this.tracer?.emit({
      type: "kernel.crash",
      cycle: this.clock.now,
      pid: t.process.pid,
      tid: t.tid,
      message,
    });
    forceSignal(this, t, sig);
  }

  // ---- blocking and waking ------------------------------------------------------------------

  /**
   * Park the running thread `t`. Returns {@link SYSCALL_BLOCKED} for the handler to return.
   * @throws KernelStateError when `t` is not running.
   */
  block(t: Thread, wait: WaitRecord): number {
    if (t.runState !== "running")
      throw new KernelStateError(`block(tid=${t.tid}): thread is ${t.runState}, not running`);
    const c = this.cpus[t.cpu]!;
    this.sched.block(t.schedId, { kind: "wait-queue", on: wait.on });
    t.wait = wait;
    this.switchOut(c, t);
    return SYSCALL_BLOCKED;
  }

  /**
   * Park the running thread `t` as {@link Kernel.block} does, until it is woken or the clock
   * reaches `deadline` (cycles), whichever comes first: at the deadline `wait.timedOut` runs (it
   * takes the wait off its list) and the call runs again. A wake first disarms the timer. The
   * tick wakes every timer's thread as one interrupted sleep (`runTimers("interrupted")`), so the
   * wait must be interruptible: Linux's uninterruptible waits with a timeout
   * (`schedule_timeout_uninterruptible`) would be "noninteractive", which one expiry cannot tell.
   * @throws KernelStateError when `t` is not running, or `wait` is not interruptible.
   */
  blockUntil(t: Thread, wait: WaitRecord & { readonly timedOut: () => void }, deadline: number): number {
    if (t.runState !== "running")
      throw new KernelStateError(`blockUntil(tid=${t.tid}): thread is ${t.runState}, not running`);
    if (!wait.interruptible)
      throw new KernelStateError(
        `blockUntil(tid=${t.tid}): a timed wait on ${wait.on} must be interruptible`,
      );
    const c = this.cpus[t.cpu]!;
    const id = t.schedId;
    const timers = this.sched.timers;
    timers.arm(id, Math.max(deadline, this.nowCycles));
    this.sched.block(id, { kind: "wait-queue", on: wait.on }, () => {
      if (timers.has(id)) timers.cancel(id);
    });
    t.wait = wait;
    this.switchOut(c, t);
    return SYSCALL_BLOCKED;
  }

  /**
   * Make a blocked thread ready. With `result` the blocked call returns it; without, the call
   * restarts (its trap runs again). No effect on a thread that is not blocked.
   *
   * The wake names the kind of sleep it ends (`SleepType` of `@osbricks/sched`; only O(1) tells them apart), as
   * Linux 2.6.17–2.6.22's `activate_task` sets `sleep_type`: an uninterruptible wait (the pager
   * wait: TASK_UNINTERRUPTIBLE, marked SLEEP_NONINTERACTIVE by `try_to_wake_up`) is
   * "noninteractive" whoever wakes it; otherwise a wake in interrupt context (the tick, a device's
   * handler: {@link Kernel.fromInterrupt}) is "interrupted", and a wake from a system call keeps
   * the default ("interactive", SLEEP_INTERACTIVE).
   */
  wakeThread(t: Thread, result?: number): void {
    if (t.runState !== "blocked") return;
    const w = t.wait!;
    t.wait = null;
    if (result === undefined) t.retry = w.restart;
    else {
      t.resume = result;
      t.regs.rax = result;
    }
    const sleep: SleepType | undefined = !w.interruptible
      ? "noninteractive"
      : this.irqDepth > 0
        ? "interrupted"
        : undefined;
    this.sched.wake(t.schedId, sleep);
    if (t.process.stopped) this.sched.suspend(t.schedId); // woken into a stopped process: stays put
  }

  /**
   * Run `handler` in interrupt context, as a device's interrupt handler runs on a real machine:
   * the threads it wakes end an "interrupted" sleep ({@link Kernel.wakeThread}; Linux's
   * `in_interrupt()` in `activate_task`). A device model calls it from its receive interrupt (the
   * serial console's, when the host types). Nests; returns what `handler` returns.
   * @example
   * ```ts
   * kernel.fromInterrupt(() => console.rxInterrupt()); // readers woken here: SLEEP_INTERRUPTED
   * ```
   */
  fromInterrupt<R>(handler: () => R): R {
    this.irqDepth++;
    try {
      return handler();
    } finally {
      this.irqDepth--;
    }
  }

  /** Job control: take a ready or running thread off the CPUs until {@link Kernel.resumeThread}. */
  suspendThread(t: Thread): void {
    const s = t.runState;
    if (s !== "ready" && s !== "running") return;
    const c = this.cpus[t.cpu]!;
    this.sched.suspend(t.schedId);
    if (c.current === t) this.switchOut(c, t);
  }

  /** Job control: a suspended thread becomes ready again. */
  resumeThread(t: Thread): void {
    if (t.runState === "suspended") this.sched.resume(t.schedId);
  }

  /**
   * Interrupt a blocked thread for a signal whose handler will run: its wait is cancelled and the
   * call returns EINTR, or, with `restart` (the handler has SA_RESTART) and a wait that names its
   * trap, runs again (Linux's -ERESTARTSYS). A wait with no restart point (a sleep, a timed futex
   * wait: Linux's -ERESTART_RESTARTBLOCK, which a handler turns into EINTR, signal(7)) returns
   * EINTR either way, and a read or write that has moved data returns its count ({@link endPartialCall}).
   */
  interruptThread(t: Thread, restart: boolean): void {
    if (t.runState !== "blocked" || !t.wait!.interruptible) return;
    if (this.endPartialCall(t)) return;
    const w = t.wait!;
    w.cancel();
    t.endIo(); // a read or write that moved nothing: EINTR, or restarted afresh from its descriptor
    if (restart && w.restart !== null) this.wakeThread(t);
    else this.wakeThread(t, -Errno.EINTR);
  }

  /**
   * A signal takes effect on `t` (a handler is about to run, or its process stops): a read or
   * write that has already moved some bytes (`Thread.ioProgress`) ends now and returns their
   * count. POSIX write(): "If write() is interrupted by a signal after it successfully writes some
   * data, it shall return the number of bytes written", whatever the disposition, and read() says
   * the same of data read; Linux's `pipe_write` returns -ERESTARTSYS only when it has written
   * nothing, and `n_tty_read` returns the bytes it copied (a read that takes bytes while it waits:
   * `FileOperations.takeWhileWaiting`). The call may be blocked, or woken to go on but not yet run
   * (its retry is the thread's next trap); either way it lets go of its open file (`Thread.endIo`).
   * @returns whether a read or write was ended.
   */
  endPartialCall(t: Thread): boolean {
    const done = t.ioProgress;
    if (done === 0) return false;
    if (t.runState === "blocked") {
      if (!t.wait!.interruptible) return false;
      t.wait!.cancel(); // off the pipe's list before its file may be released
      t.endIo();
      this.wakeThread(t, done); // into a stopped process: it stays suspended until SIGCONT
      return true;
    }
    if (t.retry === null) return false;
    t.endIo();
    t.retry = null;
    t.resume = done;
    t.regs.rax = done;
    return true;
  }

  /** The ipc layer's waker: a futex or endpoint wait of ipc thread `slot` ended with `status`. */
  wake(slot: number, status: IpcStatus): void {
    const t = this.byIpcSlot[slot];
    if (t === undefined || t.wait === null) return;
    const complete = t.wait.complete;
    if (complete !== undefined) {
      this.wakeThread(t, complete(status));
      return;
    }
    const r = status === IpcStatus.Ok ? 0 : status === IpcStatus.TimedOut ? -Errno.ETIMEDOUT : -Errno.EINTR;
    this.wakeThread(t, r);
  }

  /** Give `t` an ipc slot (futex waits need one). -1 when none is left. */
  ipcSlotFor(t: Thread): number {
    if (t.ipcSlot >= 0) return t.ipcSlot;
    const s = this.ipcFree.pop();
    if (s === undefined) return -1;
    t.ipcSlot = s;
    this.byIpcSlot[s] = t;
    return s;
  }

  /** Return `t`'s ipc slot. */
  releaseIpcSlot(t: Thread): void {
    if (t.ipcSlot < 0) return;
    this.byIpcSlot[t.ipcSlot] = undefined;
    this.ipcFree.push(t.ipcSlot);
    t.ipcSlot = -1;
  }

  /** sched_yield: the running thread goes back to its run queue. */
  yieldThread(t: Thread): void {
    const c = this.cpus[t.cpu]!;
    if (c.current !== t) return;
    this.sched.yield(t.schedId);
    this.switchOut(c, t);
  }

  /** CLONE_CHILD_CLEARTID at thread exit: store 0 at `addr` and wake one futex waiter there. */
  wakeClearTid(p: Process, addr: number): void {
    const space = p.addressSpace;
    if (space === null) return;
    const pa = putAlignedU32(this, space, addr, 0); // one translation for the store and the wake
    if (pa >= 0) this.futex.wake(pa, 1);
  }

  /** A fresh, empty user address space. */
  createSpace(): AddressSpace {
    return this.vm.createSpace();
  }

  private lastSpace: AddressSpace | null = null;
  private lastCtx: TranslationContext | null = null;
  private readonly contexts = new WeakMap<AddressSpace, TranslationContext>();

  /** The CPU state of a user-mode access in `space`: CR3 = its root, CPL 3 (cached per space). */
  contextOf(space: AddressSpace): TranslationContext {
    if (space === this.lastSpace) return this.lastCtx!;
    let ctx = this.contexts.get(space);
    if (ctx === undefined) {
      ctx = makeContext({ root: space.root, cpl: 3 });
      this.contexts.set(space, ctx);
    }
    this.lastSpace = space;
    this.lastCtx = ctx;
    return ctx;
  }

  /** Release an address space: CPUs that still hold it switch to the kernel's tables. */
  destroySpace(space: AddressSpace): void {
    // Off every CR3 that holds it before its tables are freed (Linux's exit_mm leaves the task on
    // the kernel's tables): a CPU must never walk a freed, perhaps reused, page-table frame.
    for (const c of this.cpus) if (c.loaded === space) c.load(null);
    space.destroy();
    if (this.lastSpace === space) {
      this.lastSpace = null;
      this.lastCtx = null;
    }
  }

  /** The thread leaves the scheduler for good (exit): off its CPU or run queue, state exited. */
  unschedule(t: Thread): void {
    const c = this.cpus[t.cpu]!;
    this.sched.exit(t.schedId);
    if (c.current === t) this.switchOut(c, t);
  }

  /** Emit a signal trace event. */
  traceSignal(t: Thread, sig: number, action: string): void {
    this.tracer?.emit({
      type: "kernel.signal",
      cycle: this.clock.now,
      pid: t.process.pid,
      tid: t.tid,
      sig,
      action: `${signalName(sig)} ${action}`,
    });
  }

  // ---- invariants ---------------------------------------------------------------------------

  /**
   * Check every structure: frames, objects, handle tables, the scheduler and its policies, ipc,
   * address spaces, kernel stacks, APICs, timers, TLBs, the clock, files, the process tree.
   * @throws KernelInvariantError (or the lower package's InvariantError) naming the first broken one.
   */
  checkInvariants(): void {
    checkKernelInvariants(this);
  }

  /**
   * What is still held although no user process exists: frames, kernel objects, ipc slots,
   * processes, open file descriptions. Meaningful once every user process has exited; an empty list means nothing leaked.
   */
  resourceLeaks(): string[] {
    return resourceLeaks(this, this.bootFreeFrames, this.bootObjects);
  }

  /** Free ipc slots (for the leak check). */
  freeIpcSlots(): number {
    return this.ipcFree.length;
  }
}
