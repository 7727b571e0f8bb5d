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
 * counted. Where threads go (placement, stealing, balancing) is decided in `load-balance.ts`; the
 * thread table, the per-CPU slots and the moves this file composes (transition, migrate, pull)
 * are in `run-state.ts`.
 *
 * Invariants (`checkInvariants`): those of `run-state.ts` (a thread is ready exactly when its home
 * policy has it in the ready set, running exactly when it is its home CPU's current thread; the
 * home CPU is in the affinity mask for ready and running threads; blocked threads have a reason;
 * every policy's own invariants hold), and the sleep timers' own.
 */
import {
  type BlockReason,
  type CpuId,
  type Cycles,
  DEFAULT_THREAD_PARAMS,
  MAX_CPUS,
  type PolicyFactory,
  type SchedEvent,
  type SchedPolicy,
  type SleepType,
  type ThreadBlocker,
  type ThreadId,
  type ThreadParams,
  type TimeSource,
  type Tracer,
} from "../api.js";
import { InvalidArgumentError } from "../errors.js";
import { paramsValid, validateParams } from "../policies/base.js";
import type { ThreadLifecycle, ThreadState } from "../thread/state.js";
import { ManualClock, TimerQueue } from "../wait/timers.js";
import { allCpus, type CpuMask, checkMask, maskHas, usableMask } from "./affinity.js";
import { RunState } from "./run-state.js";

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
  /** Threads, per-CPU policies and running slots, and the moves between them. */
  private readonly core: RunState;
  private readonly ticks: number[];
  private readonly idle: number[];
  private readonly balanceInterval: number;
  private readonly idleSteal: boolean;
  private nextTid = 0;

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
    const policies = Array.from({ length: n }, (_, c) => options.policy(c as CpuId));
    this.core = new RunState(n, policies, options.tracer);
    this.ticks = Array.from({ length: n }, () => 0);
    this.idle = Array.from({ length: n }, () => 0);
  }

  // ---- queries ----

  /** The life-cycle state of `tid`. @throws UnknownThreadError. */
  stateOf(tid: ThreadId): ThreadState {
    return this.core.get("stateOf", tid).state;
  }
  /** The record of `tid` (do not mutate). @throws UnknownThreadError. */
  info(tid: ThreadId): Readonly<ThreadInfo> {
    return this.core.get("info", tid);
  }
  /** Every thread id, in creation order. */
  threadIds(): ThreadId[] {
    return [...this.core.threads.keys()];
  }
  /** The thread running on `cpu`, or null when it idles. */
  current(cpu: CpuId): ThreadId | null {
    return this.core.running[this.core.cpu("current", cpu)]!;
  }
  /** The policy of `cpu` (for inspection; drive it through the scheduler). */
  policyOf(cpu: CpuId): SchedPolicy {
    return this.core.policies[this.core.cpu("policyOf", cpu)]!;
  }
  /** Ready threads plus the running one on `cpu`. */
  load(cpu: CpuId): number {
    return this.core.view.load(this.core.cpu("load", cpu));
  }
  /** Whether `cpu` has been asked to reschedule (timer preemption or a wakeup). */
  needsResched(cpu: CpuId): boolean {
    return this.core.needResched[this.core.cpu("needsResched", cpu)]!;
  }
  /** Counters. */
  stats(): SchedulerStats {
    return { migrations: this.core.migrations, switches: this.core.switches, idleTicks: [...this.idle] };
  }

  // ---- life cycle ----

  /**
   * Create a thread in state `new`.
   *
   * Both arguments are checked here, before anything changes, against the rules every policy
   * shares ({@link validateParams}: priority PRI_MIN..PRI_MAX, nice NICE_MIN..NICE_MAX, tickets a
   * positive integer, expectedRuntime ≥ 0, each field merged over {@link DEFAULT_THREAD_PARAMS}).
   * A refused spawn creates no record and uses no thread id. What only the target CPU's policy can
   * judge (a student policy with stricter rules of its own) is still checked by its `admit`, at
   * `start`.
   * @param params - its scheduling parameters.
   * @param affinity - CPUs it may run on. Default all.
   * @throws InvalidArgumentError naming `spawn`, the field, its value and the accepted range;
   *   EmptyAffinityError when the mask names no CPU of this machine.
   * @example
   * ```ts
   * s.spawn({ nice: 5 });          // ok
   * s.spawn({ nice: 99 });         // InvalidArgumentError "spawn(tid=1): nice 99 is not an integer in -20..19"
   * ```
   */
  spawn(params: Partial<ThreadParams> = {}, affinity: CpuMask = allCpus(this.cpus)): ThreadId {
    // Messages are built only when a check fails (this runs once per thread created).
    if (!paramsValid({ ...DEFAULT_THREAD_PARAMS, ...params }))
      validateParams(`spawn(tid=${this.nextTid})`, { ...DEFAULT_THREAD_PARAMS, ...params }); // throws
    const mask =
      usableMask(affinity, this.cpus) || checkMask(`spawn(tid=${this.nextTid})`, affinity, this.cpus);
    const tid = this.nextTid as ThreadId;
    this.core.threads.set(tid, {
      tid,
      state: "new",
      blockReason: null,
      cpu: this.core.placement(mask, null),
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
   * @throws IllegalTransitionError unless it is new; InvalidArgumentError when the CPU's policy
   *   refuses the parameters (`spawn` has already checked the rules every policy shares, so this is
   *   a policy's own stricter rule; the thread stays new).
   */
  start(tid: ThreadId): CpuId {
    const t = this.core.get("start", tid);
    this.core.expectState(t, "start", "new");
    const cpu = this.core.placement(t.affinity, null);
    const pol = this.core.policies[cpu]!;
    this.core.checkTransition(t, "ready");
    pol.admit(tid, t.params);
    this.core.move(t, "ready");
    t.cpu = cpu;
    pol.enqueue(tid, "new");
    this.core.preemptCheck(cpu, tid);
    return cpu;
  }

  /**
   * Let `cpu` run something: if a reschedule is pending, the running thread goes back to the
   * ready set (preempted); if the CPU then has no thread it picks one, stealing first if its
   * own queue is empty and idle stealing is on.
   * @returns the thread now running on `cpu`, or null when it idles.
   */
  schedule(cpu: CpuId): ThreadId | null {
    const c = this.core.cpu("schedule", cpu);
    const pol = this.core.policies[c]!;
    const prev = this.core.running[c]!;
    this.preemptIfNeeded(cpu);
    this.core.needResched[c] = false;
    if (this.core.running[c] === null) {
      if (pol.readyCount === 0 && this.idleSteal) this.core.pull(c, "steal", 1);
      const next = pol.pickNext();
      if (next !== null) {
        this.core.move(this.core.threads.get(next)!, "running");
        this.core.running[c] = next;
      }
      if (next !== prev) {
        if (next !== null) this.core.switches++;
        this.core.tracer?.emit({ type: "sched.switch", cpu: c, from: prev, to: next });
      }
    }
    return this.core.running[c]!;
  }

  /**
   * The first half of `schedule`: if `cpu` must reschedule, put its running thread back in the
   * ready set (reason "preempted") without picking a successor yet, so events of the same instant
   * (wake-ups, arrivals) can be queued before the pick. The pending reschedule stays set.
   * @returns the preempted thread, or null.
   */
  preemptIfNeeded(cpu: CpuId): ThreadId | null {
    const c = this.core.cpu("preemptIfNeeded", cpu);
    const prev = this.core.running[c]!;
    if (prev === null || !this.core.needResched[c]) return null;
    this.core.move(this.core.threads.get(prev)!, "ready");
    this.core.policies[c]!.enqueue(prev, "preempted");
    this.core.running[c] = null;
    return prev;
  }

  /**
   * A timer tick of `cycles` on `cpu`: charge the running thread (or idle time), then, every
   * `balanceInterval` ticks, pull work from the busiest CPU.
   * @returns whether `cpu` should reschedule (call `schedule(cpu)`).
   * @throws InvalidArgumentError when cycles ≤ 0.
   */
  tick(cpu: CpuId, cycles: Cycles): boolean {
    const c = this.core.cpu("tick", cpu);
    if (!(cycles > 0) || !Number.isFinite(cycles))
      throw new InvalidArgumentError(
        `tick(cpu=${c}, cycles=${cycles}): cycles must be a positive finite number`,
      );
    const cur = this.core.running[c]!;
    if (cur === null) this.idle[c]!++;
    if (this.core.policies[c]!.tick(cur, cycles)) this.core.needResched[c] = true;
    this.ticks[c]!++;
    if (this.balanceInterval > 0 && this.ticks[c]! % this.balanceInterval === 0)
      this.core.pull(c, "balance", Number.POSITIVE_INFINITY);
    if (cur === null && this.core.policies[c]!.readyCount > 0) this.core.needResched[c] = true;
    return this.core.needResched[c]!;
  }

  /**
   * running → ready: the thread gives up its CPU voluntarily.
   * @throws IllegalTransitionError unless it is running.
   */
  yield(tid: ThreadId): void {
    const t = this.core.get("yield", tid);
    this.core.expectState(t, "yield", "running");
    this.core.move(t, "ready");
    this.core.running[t.cpu] = null;
    this.core.policies[t.cpu]!.enqueue(tid, "yielded");
  }

  /** See {@link ThreadBlocker.checkBlock}: what `block` would throw, with no change. */
  checkBlock(tid: ThreadId, reason: BlockReason): void {
    this.core.checkTransition(this.core.get("block", tid), "blocked", reason);
  }

  /** See {@link ThreadBlocker.block}: running → blocked. */
  block(tid: ThreadId, reason: BlockReason, cancel?: () => void): void {
    const t = this.core.get("block", tid);
    this.core.checkTransition(t, "blocked", reason);
    this.core.policies[t.cpu]!.descheduled(tid);
    this.core.running[t.cpu] = null;
    this.core.move(t, "blocked", reason);
    t.cancel = cancel ?? null;
  }

  /**
   * See {@link ThreadBlocker.wake}: blocked → ready on its home CPU (or the least loaded allowed
   * CPU if the home is no longer allowed); asks that CPU to reschedule if the policy says the
   * woken thread should preempt the running one. `sleep` is the kind of sleep it ends (Linux's
   * `sleep_type`, read by the O(1) policy's interactivity bonus): `"noninteractive"` for an
   * uninterruptible wait (a page-in, a disk read), `"interrupted"` for an interruptible one
   * woken from an interrupt handler, else the default `"interactive"`.
   * @returns the CPU it was queued on.
   */
  wake(tid: ThreadId, sleep?: SleepType): CpuId {
    const t = this.core.get("wake", tid);
    this.core.expectState(t, "wake", "blocked");
    // Unlink it from whatever it waited on (a no-op when the waker already did: a wait queue's
    // wake, an expired timer); a direct wake of a sleeper disarms its timer this way.
    const hook = t.cancel;
    t.cancel = null;
    hook?.();
    return this.core.makeReady(t, "wake", sleep);
  }

  /**
   * Block the running `tid` until the clock reaches `deadline` (`runTimers` wakes it).
   * @throws IllegalTransitionError unless running; InvalidArgumentError for a bad deadline.
   */
  sleepUntil(tid: ThreadId, deadline: Cycles): void {
    const t = this.core.get("sleepUntil", tid);
    this.core.checkTransition(t, "blocked", { kind: "sleep", on: "" });
    if (!Number.isFinite(deadline) || deadline < 0)
      throw new InvalidArgumentError(`sleepUntil(tid=${tid}, ${deadline}): deadline must be finite and ≥ 0`);
    this.timers.arm(tid, deadline);
    this.block(tid, { kind: "sleep", on: `until ${deadline}` }, () => {
      if (this.timers.has(tid)) this.timers.cancel(tid);
    });
    this.core.tracer?.emit({ type: "sched.timer", tid, deadline });
  }

  /** Sleep for `duration` cycles from the clock's now. */
  sleep(tid: ThreadId, duration: Cycles): void {
    if (!Number.isFinite(duration) || duration < 0)
      throw new InvalidArgumentError(`sleep(tid=${tid}, ${duration}): duration must be finite and ≥ 0`);
    this.sleepUntil(tid, this.clock.now() + duration);
  }

  /**
   * Wake every sleeper whose deadline has passed, earliest first, with the kind of sleep `sleep`
   * (default `"interactive"`; Linux's timers fire in interrupt context, so a kernel that runs them
   * from its timer interrupt passes `"interrupted"`). @returns them.
   */
  runTimers(sleep?: SleepType): ThreadId[] {
    const due = this.timers.expire(this.clock.now());
    for (const tid of due) {
      const t = this.core.threads.get(tid)!;
      t.cancel = null;
      this.core.makeReady(t, "wake", sleep);
    }
    return due;
  }

  /**
   * ready|running → suspended (Lunaix SIGSTOP, Twizzler suspend).
   * @throws IllegalTransitionError from other states.
   */
  suspend(tid: ThreadId): void {
    const t = this.core.get("suspend", tid);
    this.core.checkTransition(t, "suspended");
    this.core.leaveCpu(t);
    this.core.move(t, "suspended");
  }

  /** suspended → ready. @throws IllegalTransitionError unless suspended. */
  resume(tid: ThreadId): CpuId {
    const t = this.core.get("resume", tid);
    this.core.expectState(t, "resume", "suspended");
    return this.core.makeReady(t, "wake");
  }

  /**
   * Any live state → exited: take the thread off its queue or CPU, unlink it from what it was
   * blocked on, and retire it from its policy.
   * @throws IllegalTransitionError when it already exited.
   */
  exit(tid: ThreadId): void {
    const t = this.core.get("exit", tid);
    this.core.checkTransition(t, "exited");
    const was = t.state;
    this.core.leaveCpu(t);
    if (was === "blocked" && t.cancel !== null) t.cancel();
    t.cancel = null;
    this.core.move(t, "exited");
    if (was !== "new") this.core.policies[t.cpu]!.retire(tid);
  }

  /**
   * Drop the record of an exited thread, as Linux's `release_task` frees the task once its parent
   * has reaped it: without this a long-running kernel keeps one record per thread it ever ran.
   * Afterwards every call naming `tid` throws UnknownThreadError, and `threadIds()` omits it (tids
   * are not reused).
   * @throws IllegalTransitionError unless the thread has exited (it stays as it was);
   *   UnknownThreadError for an unknown or already forgotten `tid`.
   * @example
   * ```ts
   * const t = s.spawn();
   * s.exit(t);
   * s.forget(t);
   * s.threadIds().includes(t); // false
   * ```
   */
  forget(tid: ThreadId): void {
    const t = this.core.get("forget", tid);
    this.core.expectState(t, "forget", "exited");
    this.core.threads.delete(tid);
  }

  /**
   * Change the parameters of a thread. The merged set is checked here as `spawn` checks it (so a
   * thread not yet started cannot be given parameters that `start` would refuse), then by the
   * policy for an admitted thread; a refused call changes nothing.
   * @throws UnknownThreadError; InvalidArgumentError naming `setParams`, the field, the value and
   *   the accepted range, or from the policy.
   */
  setParams(tid: ThreadId, params: Partial<ThreadParams>): void {
    const t = this.core.get("setParams", tid);
    validateParams(`setParams(tid=${tid})`, { ...DEFAULT_THREAD_PARAMS, ...t.params, ...params });
    if (t.state !== "new" && t.state !== "exited") this.core.policies[t.cpu]!.setParams(tid, params);
    t.params = { ...t.params, ...params };
  }

  /**
   * Restrict the CPUs `tid` may run on. A ready thread on a CPU now forbidden migrates at once; a
   * running one is taken off its CPU and migrates (reason "affinity").
   * @throws EmptyAffinityError when the mask names no CPU of this machine (nothing changes).
   */
  setAffinity(tid: ThreadId, affinity: CpuMask): void {
    const t = this.core.get("setAffinity", tid);
    const mask = checkMask(`setAffinity(tid=${tid})`, affinity, this.cpus);
    t.affinity = mask;
    if (maskHas(mask, t.cpu)) return;
    if (t.state === "new" || t.state === "exited") {
      t.cpu = this.core.placement(mask, null);
      return;
    }
    const to = this.core.placement(mask, null);
    if (t.state === "running") {
      this.core.policies[t.cpu]!.descheduled(tid);
      this.core.running[t.cpu] = null;
      this.core.move(t, "ready");
      this.core.migrate(t, to, "affinity", false);
      this.core.preemptCheck(to, tid);
    } else if (t.state === "ready") {
      this.core.migrate(t, to, "affinity", true);
      this.core.preemptCheck(to, tid);
    } else {
      this.core.rehome(t, to, "affinity");
    }
  }

  /** Throws InvariantError describing the first inconsistency between threads, CPUs and policies. */
  checkInvariants(): void {
    this.core.checkInvariants();
    this.timers.checkInvariants();
  }
}
