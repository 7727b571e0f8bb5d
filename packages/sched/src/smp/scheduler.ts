/**
 * The multi-CPU scheduler: thread records and their life cycle, one policy instance per CPU,
 * affinity, blocking and waking, sleep timers, idle CPUs, load balancing and work stealing.
 *
 * ```
 *             spawn        start              schedule(cpu)         tick(cpu) → need resched
 *   Scheduler ─────▶ new ───────▶ ready on ───────────────▶ running ─────────────────────────┐
 *                                 CPU k's policy ◀───────────────────────── preempt / yield ─┘
 *
 *   CPU 0: policy[0] ready = [a b c]  current = d      load = ready + (current ? 1 : 0) = 4
 *   CPU 1: policy[1] ready = []       current = idle   load 0
 *     → CPU 1 is idle: it steals the last ready thread of the busiest CPU that may run on it
 *     → every `balanceInterval` ticks a CPU pulls from the busiest one until their loads differ
 *       by at most one (jsix checks for stealing every 10 ticks; Linux pulls in load_balance)
 * ```
 *
 * Every thread has a home CPU; it is admitted to that CPU's policy from start to exit, and moves
 * only by migration (retire from one policy, admit + enqueue "migrated" in the other), which is
 * counted. Where threads go (placement, stealing, balancing) is decided in `load-balance.ts`.
 *
 * Invariants (`checkInvariants`): a thread is ready exactly when its home policy has it in the
 * ready set, running exactly when it is its home CPU's current thread; the home CPU is in the
 * affinity mask for ready and running threads; blocked threads have a reason; every policy's own
 * invariants hold.
 */
import {
  type BlockReason,
  type CpuId,
  type Cycles,
  MAX_CPUS,
  type PolicyFactory,
  type SchedEvent,
  type SchedPolicy,
  type ThreadBlocker,
  type ThreadId,
  type ThreadParams,
  type TimeSource,
  type Tracer,
} from "../api.js";
import {
  IllegalTransitionError,
  InvalidArgumentError,
  InvariantError,
  UnknownThreadError,
} from "../errors.js";
import { type ThreadLifecycle, type ThreadState, transition } from "../thread/state.js";
import { ManualClock, TimerQueue } from "../wait/timers.js";
import { allCpus, type CpuMask, checkMask, maskHas } from "./affinity.js";
import { nextPull, placeThread, type RunQueuesView } from "./load-balance.js";

/** Options of {@link Scheduler}. */
export interface SchedulerOptions {
  /** Number of CPUs, 1..32. Default 1. */
  readonly cpus?: number;
  /** Makes each CPU's policy. Required. */
  readonly policy: PolicyFactory;
  /** Every this many ticks of a CPU, it pulls work from the busiest CPU; 0 = never. Default 10. */
  readonly balanceInterval?: number;
  /** An idle CPU steals a ready thread from the busiest CPU when it schedules. Default true. */
  readonly idleSteal?: boolean;
  /** Time source for `sleep` and `runTimers`. Default a new {@link ManualClock}. */
  readonly clock?: TimeSource;
  /** Receives `sched.*` events. */
  readonly tracer?: Tracer<SchedEvent>;
}

/** A thread as the scheduler keeps it (read-only view for callers). */
export interface ThreadInfo extends ThreadLifecycle {
  /** CPU whose policy holds the thread (meaningful once started). */
  cpu: CpuId;
  /** CPUs the thread may run on. */
  affinity: CpuMask;
  /** Its scheduling parameters. */
  params: Partial<ThreadParams>;
  /** Unlinks the thread from whatever it is blocked on (wait queue, timer), or null. */
  cancel: (() => void) | null;
}

/** Counters for experiments and tests. */
export interface SchedulerStats {
  /** Threads moved between CPUs (balance + steal + affinity). */
  readonly migrations: number;
  /** Context switches (a CPU's current thread changed to another thread). */
  readonly switches: number;
  /** Ticks on which a CPU had no thread to run, per CPU. */
  readonly idleTicks: readonly number[];
}

/**
 * Several CPUs, one policy each.
 * @throws InvalidArgumentError from the constructor for a CPU count outside 1..32 or a negative
 *   balance interval.
 * @example
 * ```ts
 * const s = new Scheduler({ cpus: 2, policy: () => new RoundRobinPolicy({ quantum: 2 }) });
 * const a = s.spawn(); s.start(a);
 * s.schedule(cpuId(0));       // → a, now running
 * if (s.tick(cpuId(0), 2)) s.schedule(cpuId(0)); // quantum over: a is picked again (alone)
 * ```
 */
export class Scheduler implements ThreadBlocker {
  /** Number of CPUs. */
  readonly cpus: number;
  /** The scheduler's time source. */
  readonly clock: TimeSource;
  /** Sleep timers (deadline-ordered). */
  readonly timers = new TimerQueue();
  private readonly policies: SchedPolicy[];
  private readonly threads = new Map<ThreadId, ThreadInfo>();
  private readonly running: Array<ThreadId | null>;
  private readonly needResched: boolean[];
  private readonly ticks: number[];
  private readonly idle: number[];
  private readonly balanceInterval: number;
  private readonly idleSteal: boolean;
  private readonly tracer: Tracer<SchedEvent> | undefined;
  private nextTid = 0;
  /** The read-only view the balancer decides on. */
  private readonly view: RunQueuesView;
  private nMigrations = 0;
  private nSwitches = 0;

  constructor(options: SchedulerOptions) {
    const n = options.cpus ?? 1;
    if (!Number.isInteger(n) || n < 1 || n > MAX_CPUS)
      throw new InvalidArgumentError(`Scheduler: cpus ${n} must be an integer in 1..${MAX_CPUS}`);
    const bi = options.balanceInterval ?? 10;
    if (!Number.isInteger(bi) || bi < 0)
      throw new InvalidArgumentError(`Scheduler: balanceInterval ${bi} must be an integer ≥ 0`);
    this.cpus = n;
    this.balanceInterval = bi;
    this.idleSteal = options.idleSteal ?? true;
    this.clock = options.clock ?? new ManualClock();
    this.tracer = options.tracer;
    this.policies = Array.from({ length: n }, (_, c) => options.policy(c as CpuId));
    this.running = Array.from({ length: n }, () => null);
    this.needResched = Array.from({ length: n }, () => false);
    this.ticks = Array.from({ length: n }, () => 0);
    this.idle = Array.from({ length: n }, () => 0);
    this.view = {
      cpus: n,
      load: (c) => this.policies[c]!.readyCount + (this.running[c] !== null ? 1 : 0),
      queue: (c) => this.policies[c]!,
      affinityOf: (t) => this.threads.get(t)!.affinity,
    };
  }

  // ---- queries ----

  /** The life-cycle state of `tid`. @throws UnknownThreadError. */
  stateOf(tid: ThreadId): ThreadState {
    return this.get("stateOf", tid).state;
  }
  /** The record of `tid` (do not mutate). @throws UnknownThreadError. */
  info(tid: ThreadId): Readonly<ThreadInfo> {
    return this.get("info", tid);
  }
  /** Every thread id, in creation order. */
  threadIds(): ThreadId[] {
    return [...this.threads.keys()];
  }
  /** The thread running on `cpu`, or null when it idles. */
  current(cpu: CpuId): ThreadId | null {
    return this.running[this.cpu("current", cpu)]!;
  }
  /** The policy of `cpu` (for inspection; drive it through the scheduler). */
  policyOf(cpu: CpuId): SchedPolicy {
    return this.policies[this.cpu("policyOf", cpu)]!;
  }
  /** Ready threads plus the running one on `cpu`. */
  load(cpu: CpuId): number {
    return this.view.load(this.cpu("load", cpu));
  }
  /** Whether `cpu` has been asked to reschedule (timer preemption or a wakeup). */
  needsResched(cpu: CpuId): boolean {
    return this.needResched[this.cpu("needsResched", cpu)]!;
  }
  /** Counters. */
  stats(): SchedulerStats {
    return { migrations: this.nMigrations, switches: this.nSwitches, idleTicks: [...this.idle] };
  }

  // ---- life cycle ----

  /**
   * Create a thread in state `new`.
   * @param params - its scheduling parameters (checked when it starts, by the policy).
   * @param affinity - CPUs it may run on. Default all.
   * @throws EmptyAffinityError when the mask names no CPU of this machine.
   */
  spawn(params: Partial<ThreadParams> = {}, affinity: CpuMask = allCpus(this.cpus)): ThreadId {
    const mask = checkMask(`spawn(tid=${this.nextTid})`, affinity, this.cpus);
    const tid = this.nextTid as ThreadId;
    this.threads.set(tid, {
      tid,
      state: "new",
      blockReason: null,
      cpu: this.placement(mask, null),
      affinity: mask,
      params: { ...params },
      cancel: null,
    });
    this.nextTid++;
    return tid;
  }

  /**
   * new → ready: admit the thread to the least loaded allowed CPU's policy and enqueue it.
   * @returns the CPU it was placed on.
   * @throws IllegalTransitionError unless it is new; InvalidArgumentError from the policy for bad
   *   parameters (the thread stays new).
   */
  start(tid: ThreadId): CpuId {
    const t = this.get("start", tid);
    this.expectState(t, "start", "new");
    const cpu = this.placement(t.affinity, null);
    const pol = this.policies[cpu]!;
    this.checkTransition(t, "ready");
    pol.admit(tid, t.params);
    this.move(t, "ready");
    t.cpu = cpu;
    pol.enqueue(tid, "new");
    this.preemptCheck(cpu, tid);
    return cpu;
  }

  /**
   * Let `cpu` run something: if a reschedule is pending, the running thread goes back to the
   * ready set (preempted); if the CPU then has no thread it picks one, stealing first if its
   * own queue is empty and idle stealing is on.
   * @returns the thread now running on `cpu`, or null when it idles.
   */
  schedule(cpu: CpuId): ThreadId | null {
    const c = this.cpu("schedule", cpu);
    const pol = this.policies[c]!;
    const prev = this.running[c]!;
    this.preemptIfNeeded(cpu);
    this.needResched[c] = false;
    if (this.running[c] === null) {
      if (pol.readyCount === 0 && this.idleSteal) this.pull(c, "steal", 1);
      const next = pol.pickNext();
      if (next !== null) {
        this.move(this.threads.get(next)!, "running");
        this.running[c] = next;
      }
      if (next !== prev) {
        if (next !== null) this.nSwitches++;
        this.tracer?.emit({ type: "sched.switch", cpu: c, from: prev, to: next });
      }
    }
    return this.running[c]!;
  }

  /**
   * The first half of `schedule`: if `cpu` must reschedule, put its running thread back in the
   * ready set (reason "preempted") without picking a successor yet, so events of the same instant
   * (wake-ups, arrivals) can be queued before the pick. The pending reschedule stays set.
   * @returns the preempted thread, or null.
   */
  preemptIfNeeded(cpu: CpuId): ThreadId | null {
    const c = this.cpu("preemptIfNeeded", cpu);
    const prev = this.running[c]!;
    if (prev === null || !this.needResched[c]) return null;
    this.move(this.threads.get(prev)!, "ready");
    this.policies[c]!.enqueue(prev, "preempted");
    this.running[c] = null;
    return prev;
  }

  /**
   * A timer tick of `cycles` on `cpu`: charge the running thread (or idle time), then, every
   * `balanceInterval` ticks, pull work from the busiest CPU.
   * @returns whether `cpu` should reschedule (call `schedule(cpu)`).
   * @throws InvalidArgumentError when cycles ≤ 0.
   */
  tick(cpu: CpuId, cycles: Cycles): boolean {
    const c = this.cpu("tick", cpu);
    if (!(cycles > 0) || !Number.isFinite(cycles))
      throw new InvalidArgumentError(
        `tick(cpu=${c}, cycles=${cycles}): cycles must be a positive finite number`,
      );
    const cur = this.running[c]!;
    if (cur === null) this.idle[c]!++;
    if (this.policies[c]!.tick(cur, cycles)) this.needResched[c] = true;
    this.ticks[c]!++;
    if (this.balanceInterval > 0 && this.ticks[c]! % this.balanceInterval === 0)
      this.pull(c, "balance", Number.POSITIVE_INFINITY);
    if (cur === null && this.policies[c]!.readyCount > 0) this.needResched[c] = true;
    return this.needResched[c]!;
  }

  /**
   * running → ready: the thread gives up its CPU voluntarily.
   * @throws IllegalTransitionError unless it is running.
   */
  yield(tid: ThreadId): void {
    const t = this.get("yield", tid);
    this.expectState(t, "yield", "running");
    this.move(t, "ready");
    this.running[t.cpu] = null;
    this.policies[t.cpu]!.enqueue(tid, "yielded");
  }

  /** See {@link ThreadBlocker.block}: running → blocked. */
  block(tid: ThreadId, reason: BlockReason, cancel?: () => void): void {
    const t = this.get("block", tid);
    this.checkTransition(t, "blocked", reason);
    this.policies[t.cpu]!.descheduled(tid);
    this.running[t.cpu] = null;
    this.move(t, "blocked", reason);
    t.cancel = cancel ?? null;
  }

  /**
   * See {@link ThreadBlocker.wake}: blocked → ready on its home CPU (or the least loaded allowed
   * CPU if the home is no longer allowed); asks that CPU to reschedule if the policy says the
   * woken thread should preempt the running one.
   * @returns the CPU it was queued on.
   */
  wake(tid: ThreadId): CpuId {
    const t = this.get("wake", tid);
    this.expectState(t, "wake", "blocked");
    // Unlink it from whatever it waited on (a no-op when the waker already did: a wait queue's
    // wake, an expired timer); a direct wake of a sleeper disarms its timer this way.
    const hook = t.cancel;
    t.cancel = null;
    hook?.();
    return this.makeReady(t, "wake");
  }

  /**
   * Block the running `tid` until the clock reaches `deadline` (`runTimers` wakes it).
   * @throws IllegalTransitionError unless running; InvalidArgumentError for a bad deadline.
   */
  sleepUntil(tid: ThreadId, deadline: Cycles): void {
    const t = this.get("sleepUntil", tid);
    this.checkTransition(t, "blocked", { kind: "sleep", on: "" });
    if (!Number.isFinite(deadline) || deadline < 0)
      throw new InvalidArgumentError(`sleepUntil(tid=${tid}, ${deadline}): deadline must be finite and ≥ 0`);
    this.timers.arm(tid, deadline);
    this.block(tid, { kind: "sleep", on: `until ${deadline}` }, () => {
      if (this.timers.has(tid)) this.timers.cancel(tid);
    });
    this.tracer?.emit({ type: "sched.timer", tid, deadline });
  }

  /** Sleep for `duration` cycles from the clock's now. */
  sleep(tid: ThreadId, duration: Cycles): void {
    if (!Number.isFinite(duration) || duration < 0)
      throw new InvalidArgumentError(`sleep(tid=${tid}, ${duration}): duration must be finite and ≥ 0`);
    this.sleepUntil(tid, this.clock.now() + duration);
  }

  /** Wake every sleeper whose deadline has passed, earliest first. @returns them. */
  runTimers(): ThreadId[] {
    const due = this.timers.expire(this.clock.now());
    for (const tid of due) {
      const t = this.threads.get(tid)!;
      t.cancel = null;
      this.makeReady(t, "wake");
    }
    return due;
  }

  /**
   * ready|running → suspended (Lunaix SIGSTOP, Twizzler suspend).
   * @throws IllegalTransitionError from other states.
   */
  suspend(tid: ThreadId): void {
    const t = this.get("suspend", tid);
    this.checkTransition(t, "suspended");
    this.leaveCpu(t);
    this.move(t, "suspended");
  }

  /** suspended → ready. @throws IllegalTransitionError unless suspended. */
  resume(tid: ThreadId): CpuId {
    const t = this.get("resume", tid);
    this.expectState(t, "resume", "suspended");
    return this.makeReady(t, "wake");
  }

  /**
   * Any live state → exited: take the thread off its queue or CPU, unlink it from what it was
   * blocked on, and retire it from its policy.
   * @throws IllegalTransitionError when it already exited.
   */
  exit(tid: ThreadId): void {
    const t = this.get("exit", tid);
    this.checkTransition(t, "exited");
    const was = t.state;
    this.leaveCpu(t);
    if (was === "blocked" && t.cancel !== null) t.cancel();
    t.cancel = null;
    this.move(t, "exited");
    if (was !== "new") this.policies[t.cpu]!.retire(tid);
  }

  /**
   * Change the parameters of a thread that has not exited.
   * @throws UnknownThreadError; InvalidArgumentError from the policy (nothing changes then).
   */
  setParams(tid: ThreadId, params: Partial<ThreadParams>): void {
    const t = this.get("setParams", tid);
    if (t.state !== "new" && t.state !== "exited") this.policies[t.cpu]!.setParams(tid, params);
    t.params = { ...t.params, ...params };
  }

  /**
   * Restrict the CPUs `tid` may run on. A ready thread on a CPU now forbidden migrates at once; a
   * running one is taken off its CPU and migrates (reason "affinity").
   * @throws EmptyAffinityError when the mask names no CPU of this machine (nothing changes).
   */
  setAffinity(tid: ThreadId, affinity: CpuMask): void {
    const t = this.get("setAffinity", tid);
    const mask = checkMask(`setAffinity(tid=${tid})`, affinity, this.cpus);
    t.affinity = mask;
    if (maskHas(mask, t.cpu)) return;
    if (t.state === "new" || t.state === "exited") {
      t.cpu = this.placement(mask, null);
      return;
    }
    const to = this.placement(mask, null);
    if (t.state === "running") {
      this.policies[t.cpu]!.descheduled(tid);
      this.running[t.cpu] = null;
      this.move(t, "ready");
      this.migrate(t, to, "affinity", false);
      this.preemptCheck(to, tid);
    } else if (t.state === "ready") {
      this.migrate(t, to, "affinity", true);
      this.preemptCheck(to, tid);
    } else {
      this.rehome(t, to, "affinity");
    }
  }

  /** Throws InvariantError describing the first inconsistency between threads, CPUs and policies. */
  checkInvariants(): void {
    for (let c = 0; c < this.cpus; c++) {
      this.policies[c]!.checkInvariants();
      const r = this.running[c]!;
      if (this.policies[c]!.current !== r)
        throw new InvariantError(
          `Scheduler: CPU ${c} runs ${r} but its policy's current is ${this.policies[c]!.current}`,
        );
    }
    for (const t of this.threads.values()) {
      const pol = this.policies[t.cpu]!;
      const admitted = t.state !== "new" && t.state !== "exited";
      if (pol.isAdmitted(t.tid) !== admitted)
        throw new InvariantError(
          `Scheduler: tid=${t.tid} (${t.state}) admitted=${pol.isAdmitted(t.tid)} on CPU ${t.cpu}`,
        );
      for (let c = 0; c < this.cpus; c++) {
        if (c !== t.cpu && this.policies[c]!.isAdmitted(t.tid))
          throw new InvariantError(`Scheduler: tid=${t.tid} admitted on CPU ${c} but lives on ${t.cpu}`);
      }
      if (pol.isReady(t.tid) !== (t.state === "ready"))
        throw new InvariantError(
          `Scheduler: tid=${t.tid} is ${t.state} but ready-in-policy=${pol.isReady(t.tid)}`,
        );
      if ((this.running[t.cpu] === t.tid) !== (t.state === "running"))
        throw new InvariantError(
          `Scheduler: tid=${t.tid} is ${t.state} but CPU ${t.cpu} runs ${this.running[t.cpu]}`,
        );
      if ((t.state === "ready" || t.state === "running") && !maskHas(t.affinity, t.cpu)) {
        throw new InvariantError(
          `Scheduler: tid=${t.tid} is ${t.state} on CPU ${t.cpu} outside its affinity 0x${t.affinity.toString(16)}`,
        );
      }
      if ((t.state === "blocked") !== (t.blockReason !== null))
        throw new InvariantError(
          `Scheduler: tid=${t.tid} is ${t.state} with block reason ${JSON.stringify(t.blockReason)}`,
        );
    }
    this.timers.checkInvariants();
  }

  // ---- internals ----

  private get(call: string, tid: ThreadId): ThreadInfo {
    const t = this.threads.get(tid);
    if (t === undefined) throw new UnknownThreadError(`${call}(tid=${tid}): no such thread`);
    return t;
  }
  private cpu(call: string, cpu: CpuId): number {
    if (!Number.isInteger(cpu) || cpu < 0 || cpu >= this.cpus)
      throw new InvalidArgumentError(`${call}(cpu=${cpu}): expected 0..${this.cpus - 1}`);
    return cpu;
  }
  /** Each entry point accepts threads in one state only (wake: blocked; resume: suspended; ...). */
  private expectState(t: ThreadInfo, call: string, want: ThreadState): void {
    if (t.state !== want) {
      throw new IllegalTransitionError(
        `${call}(tid=${t.tid}): thread is ${t.state}, ${call} needs a ${want} thread`,
      );
    }
  }
  /** Validate a transition without performing it (so a refused call changes nothing). */
  private checkTransition(t: ThreadInfo, to: ThreadState, reason?: BlockReason): void {
    const probe: ThreadLifecycle = { tid: t.tid, state: t.state, blockReason: t.blockReason };
    transition(probe, to, reason);
  }
  private move(t: ThreadInfo, to: ThreadState, reason?: BlockReason): void {
    const from = transition(t, to, reason);
    this.tracer?.emit({ type: "sched.state", tid: t.tid, from, to });
  }
  /** Home CPU if allowed, else the least loaded allowed CPU (see `load-balance.ts`). */
  private placement(mask: CpuMask, prefer: number | null): CpuId {
    return placeThread(this.view, mask, prefer);
  }
  private makeReady(t: ThreadInfo, reason: "wake"): CpuId {
    const to = this.placement(t.affinity, t.cpu);
    if (to !== t.cpu) this.rehome(t, to, "affinity");
    this.move(t, "ready");
    this.policies[to]!.enqueue(t.tid, reason);
    this.tracer?.emit({ type: "sched.wake", tid: t.tid, cpu: to });
    this.preemptCheck(to, t.tid);
    return to;
  }
  /** If `cpu` runs a thread that `woken` should preempt, or idles, ask it to reschedule. */
  private preemptCheck(cpu: number, woken: ThreadId): void {
    const cur = this.running[cpu]!;
    if (cur === null || this.policies[cpu]!.shouldPreempt(cur, woken)) this.needResched[cpu] = true;
  }
  /** Take a ready or running thread off its CPU (for suspend/exit). */
  private leaveCpu(t: ThreadInfo): void {
    if (t.state === "ready") this.policies[t.cpu]!.dequeue(t.tid);
    else if (t.state === "running") {
      this.policies[t.cpu]!.descheduled(t.tid);
      this.running[t.cpu] = null;
    }
  }
  /** Move a not-ready thread's policy membership to another CPU. */
  private rehome(t: ThreadInfo, to: CpuId, why: "balance" | "steal" | "affinity"): void {
    const from = t.cpu;
    this.policies[from]!.retire(t.tid);
    this.policies[to]!.admit(t.tid, t.params);
    t.cpu = to;
    this.nMigrations++;
    this.tracer?.emit({ type: "sched.migrate", tid: t.tid, from, to, why });
  }
  /** Move a ready thread (queued, or just taken off its CPU) to `to`'s ready set. */
  private migrate(t: ThreadInfo, to: CpuId, why: "balance" | "steal" | "affinity", queued: boolean): void {
    if (queued) this.policies[t.cpu]!.dequeue(t.tid);
    this.rehome(t, to, why);
    this.policies[to]!.enqueue(t.tid, "migrated");
  }
  /** CPU `c` pulls up to `max` ready threads, one `nextPull` decision at a time. */
  private pull(c: number, why: "balance" | "steal", max: number): void {
    for (let moved = 0; moved < max; moved++) {
      const m = nextPull(this.view, c, why);
      if (m === null) return;
      this.migrate(this.threads.get(m.tid)!, m.to, why, true);
    }
  }
}
