/**
 * The interfaces, option types and constants of `@osbricks/sched`.
 *
 * The central contract is {@link SchedPolicy}: one CPU's run queue plus the rule that orders it.
 * Every policy under `src/policies/` implements it; the multi-CPU {@link Scheduler} (`smp/`)
 * holds one policy instance per CPU and owns everything a policy should not know about: thread
 * states, affinity, blocking, timers and migration.
 *
 * ```
 *            enqueue(tid, reason)            pickNext()
 *  new/wake ───────────────────▶ [ ready set ] ──────────▶ current (one per policy)
 *                                     ▲                       │  tick(current, cycles) → preempt?
 *                                     └── enqueue("preempted" │ "yielded") ◀──┤
 *                                                              └── descheduled(tid): blocked/exited
 * ```
 *
 * Protocol (the laws in `laws/index.ts` check it): a thread is admitted once (`admit`), is then
 * in at most one of three places from the policy's point of view — nowhere (blocked, new,
 * suspended), in the ready set, or current — and is forgotten with `retire` when it is nowhere.
 */

/**
 * A thread id: an integer in 0..2^31−1 (so run queues can hold ids in `Int32Array`s). Branded so a
 * CPU number cannot be passed where a thread is meant.
 */
export type ThreadId = number & { readonly __brand: "ThreadId" };
/** A CPU number, 0..cpus-1. */
export type CpuId = number & { readonly __brand: "CpuId" };
/** Simulated time in cycles (the simulator's unit of time; the workload simulator uses 1 per tick). */
export type Cycles = number;

/** Largest thread id (ids are stored in `Int32Array`s). */
export const MAX_THREAD_ID = 0x7fffffff;

/**
 * Make a {@link ThreadId}.
 * @throws RangeError when `n` is not an integer in 0..MAX_THREAD_ID.
 * @example `const t = threadId(7);`
 */
export function threadId(n: number): ThreadId {
  if (!Number.isInteger(n) || n < 0 || n > MAX_THREAD_ID)
    throw new RangeError(`threadId(${n}): expected an integer in 0..${MAX_THREAD_ID}`);
  return n as ThreadId;
}

/**
 * Make a {@link CpuId}.
 * @throws RangeError when `n` is not an integer in 0..31.
 */
export function cpuId(n: number): CpuId {
  if (!Number.isInteger(n) || n < 0 || n >= MAX_CPUS)
    throw new RangeError(`cpuId(${n}): expected 0..${MAX_CPUS - 1}`);
  return n as CpuId;
}

/** Largest number of CPUs: affinity masks are one 32-bit word (bit c = CPU c may run the thread). */
export const MAX_CPUS = 32;

/** Pintos' priority range: PRI_MIN 0 (lowest) .. PRI_MAX 63 (highest), PRI_DEFAULT 31. */
export const PRI_MIN = 0;
/** Highest static priority (Pintos PRI_MAX). */
export const PRI_MAX = 63;
/** Default static priority (Pintos PRI_DEFAULT). */
export const PRI_DEFAULT = 31;
/** Nice range, as in Linux: -20 (most favoured) .. 19. */
export const NICE_MIN = -20;
/** Largest nice value. */
export const NICE_MAX = 19;

/**
 * Linux `sched_prio_to_weight[]` (kernel/sched/core.c), indexed by nice + 20.
 *
 * Each step of nice changes the weight by about 1.25×, so one thread gets ≈10 % more CPU than a
 * thread one nice level above it when both are runnable: 1024 / (1024 + 820) = 0.555 vs 0.445.
 * Nice 0 is NICE_0_LOAD = 1024.
 */
export const SCHED_PRIO_TO_WEIGHT: readonly number[] = [
  /* -20 */ 88761, 71755, 56483, 46273, 36291, /* -15 */ 29154, 23254, 18705, 14949, 11916, /* -10 */ 9548,
  7620, 6100, 4904, 3906, /*  -5 */ 3121, 2501, 1991, 1586, 1277, /*   0 */ 1024, 820, 655, 526, 423,
  /*   5 */ 335, 272, 215, 172, 137, /*  10 */ 110, 87, 70, 56, 45, /*  15 */ 36, 29, 23, 18, 15,
];

/** Weight of a nice-0 thread (Linux NICE_0_LOAD). */
export const NICE_0_WEIGHT = 1024;

/**
 * Per-thread scheduling parameters. Each policy reads the ones it cares about and ignores the
 * rest, so one thread description works under every policy.
 */
export interface ThreadParams {
  /** Static priority, higher runs first (Pintos). Integer PRI_MIN..PRI_MAX. Default PRI_DEFAULT (31). */
  readonly priority: number;
  /** Nice value -20..19 (CFS weight, O(1) static priority 120 + nice). Default 0. */
  readonly nice: number;
  /** Lottery tickets / stride share, integer > 0. Default 100. */
  readonly tickets: number;
  /**
   * The oracle of SJF/STCF: the CPU time the thread still needs, in cycles (≥ 0). Default
   * `Infinity` (unknown: sorts last). The workload simulator sets it from each job's burst.
   */
  readonly expectedRuntime: Cycles;
}

/** Defaults for every field of {@link ThreadParams}. */
export const DEFAULT_THREAD_PARAMS: ThreadParams = {
  priority: PRI_DEFAULT,
  nice: 0,
  tickets: 100,
  expectedRuntime: Number.POSITIVE_INFINITY,
};

/**
 * Why a thread joins a ready set. Policies use it for placement: a preempted round-robin thread
 * goes to the tail, a woken CFS thread gets its vruntime clamped near min_vruntime, a yielding
 * MLFQ thread keeps its level (OSTEP rule 4 charges allotment, not the number of yields).
 */
export type ReadyReason = "new" | "wake" | "preempted" | "yielded" | "migrated";

/**
 * The kind of sleep a woken thread ends, Linux 2.6.17–2.6.22's `sleep_type` as `try_to_wake_up`
 * and `activate_task` set it. Only the O(1) policy's interactivity bonus reads it; every other
 * policy ignores it.
 *
 * - `"interactive"` (SLEEP_INTERACTIVE, the default): an interruptible sleep (TASK_INTERRUPTIBLE:
 *   a read from a pipe or a terminal, a futex wait, a `sleep`) woken from process context (another
 *   thread's write, unlock or kill). Its first wait on the run queue counts as sleep at 30 %.
 * - `"interrupted"` (SLEEP_INTERRUPTED): the same sleep woken from interrupt context
 *   (`in_interrupt()`: a device's interrupt handler, the timer interrupt or softirq). Its first wait
 *   on the run queue counts in full ("most likely of interactive nature").
 * - `"noninteractive"` (SLEEP_NONINTERACTIVE): an uninterruptible sleep (TASK_UNINTERRUPTIBLE:
 *   waiting for a disk read, a page-in), whoever wakes it. Its sleep raises sleep_avg only up to
 *   INTERACTIVE_SLEEP (just interactive) and never above, and its wait on the run queue earns
 *   nothing.
 */
export type SleepType = "interactive" | "interrupted" | "noninteractive";

/**
 * What a policy hands from one CPU's instance to another's when a thread migrates
 * (`SchedPolicy.migrateOut` → `migrateIn`): one number (CFS: the lag; MLFQ: the level) or a few
 * (O(1): `[sleep_avg, cycles slept so far]`). Plain numbers, so it can be traced or copied.
 */
export type Carried = number | readonly number[];

/**
 * One CPU's run queue with its ordering rule: the interface every policy implements.
 *
 * @remarks A policy never changes thread states and never sees other CPUs; it orders the threads
 * it is given. All its methods throw typed errors on misuse (unknown thread, thread queued twice,
 * bad parameter) and leave the policy unchanged when they do.
 */
export interface SchedPolicy {
  /** Short name, e.g. `"rr"`, `"cfs"`, `"mlfq"`. */
  readonly name: string;
  /**
   * Whether every ready thread is eventually picked while the others keep running and new
   * threads keep arriving (FIFO, RR, MLFQ with boost, jsix MLFQ, O(1), stride, CFS do; static
   * priority, SJF and STCF do not; lottery only with probability 1). The two starvation laws
   * (a fixed set of threads, and a churn of short-lived newcomers) run only when this is true.
   */
  readonly starvationFree: boolean;
  /** Number of threads in the ready set (the current thread is not counted). */
  readonly readyCount: number;
  /** The thread last returned by `pickNext` that has not been requeued or descheduled, or null. */
  readonly current: ThreadId | null;
  /**
   * Register a thread with its parameters; it is in no ready set yet.
   * @throws DuplicateThreadError if already admitted; InvalidArgumentError for a bad parameter.
   */
  admit(tid: ThreadId, params?: Partial<ThreadParams>): void;
  /**
   * Forget a thread that is neither ready nor current (it exited or moved to another CPU).
   * @throws UnknownThreadError; IllegalTransitionError if it is ready or current.
   */
  retire(tid: ThreadId): void;
  /**
   * Put an admitted thread in the ready set. When `tid` is the current thread (reasons
   * `"preempted"`/`"yielded"`) it stops being current.
   * `sleep` says, for reason `"wake"`, which kind of sleep it ends ({@link SleepType}, default
   * `"interactive"`); policies that do not tell sleeps apart ignore it.
   * @throws UnknownThreadError; DuplicateThreadError if it is already ready.
   */
  enqueue(tid: ThreadId, reason: ReadyReason, sleep?: SleepType): void;
  /**
   * Take a ready thread out of the ready set without running it (suspend, kill, migration).
   * @throws UnknownThreadError; IllegalTransitionError if it is not in the ready set.
   */
  dequeue(tid: ThreadId): void;
  /**
   * Remove the best ready thread from the ready set and make it current.
   * @returns the thread, or `null` when the ready set is empty (the CPU idles).
   * @throws IllegalTransitionError if a thread is still current (requeue or deschedule it first).
   */
  pickNext(): ThreadId | null;
  /**
   * Account `cycles` of simulated time. `current` is the running thread (it must be the policy's
   * current thread) or `null` when the CPU idled; policies with a global clock (MLFQ boost,
   * jsix promotion) advance it either way.
   * @returns true when the current thread should be preempted now.
   * @throws InvalidArgumentError if cycles ≤ 0; IllegalTransitionError if `current` is not current.
   */
  tick(current: ThreadId | null, cycles: Cycles): boolean;
  /**
   * The current thread stopped running and does not become ready (it blocked, was suspended or
   * exited). Policies keep whatever accounting they carry across sleeps.
   * @throws IllegalTransitionError if `tid` is not the current thread.
   */
  descheduled(tid: ThreadId): void;
  /**
   * Wakeup preemption: should the freshly ready `woken` thread take the CPU from `current`?
   * Pure decision, no state change.
   */
  shouldPreempt(current: ThreadId, woken: ThreadId): boolean;
  /**
   * Change parameters of an admitted thread (priority, nice, tickets, expected runtime); a ready
   * thread is re-sorted.
   * @throws UnknownThreadError; InvalidArgumentError for an out-of-range value.
   */
  setParams(tid: ThreadId, params: Partial<ThreadParams>): void;
  /**
   * Optional, for policies whose per-thread state means something relative to the run queue: what
   * `tid` (admitted, not ready) takes with it to another CPU's instance of the same policy, read
   * just before `retire` (CFS: its lag, vruntime − min_vruntime, as Linux normalises a migrating
   * task's vruntime by its old queue's min_vruntime; O(1): its sleep_avg and how long it has
   * slept so far, as Linux carries `p->timestamp` rebased on the new run queue's clock).
   */
  migrateOut?(tid: ThreadId): Carried;
  /**
   * Optional: receive what `migrateOut` returned on the old CPU, just after `admit` and before the
   * thread is enqueued (CFS: vruntime = min_vruntime + lag here).
   */
  migrateIn?(tid: ThreadId, carried: Carried): void;
  /** Whether `tid` has been admitted and not retired. */
  isAdmitted(tid: ThreadId): boolean;
  /** Whether `tid` is in the ready set. */
  isReady(tid: ThreadId): boolean;
  /** The ready set, in the order the policy would consider it where it has one (a copy). */
  readyThreads(): ThreadId[];
  /** Throws InvariantError describing the first broken invariant. */
  checkInvariants(): void;
}

/** Makes a fresh policy instance (one per CPU); the argument is the CPU it will serve. */
export type PolicyFactory = (cpu: CpuId) => SchedPolicy;

/**
 * An injectable source of uniformly distributed unsigned 32-bit integers. Lottery scheduling
 * and the laws draw from it, so a run replays exactly given the same source.
 */
export interface RandomSource {
  /** The next draw, an integer in 0..2^32-1. */
  nextU32(): number;
}

/**
 * Why a thread is blocked: plain data for traces and for the state diagram. `kind` names the
 * mechanism, `on` the object waited for (a wait queue's name, a lock id, a deadline).
 */
export interface BlockReason {
  /** The mechanism. */
  readonly kind: "wait-queue" | "sleep" | "lock" | "object" | "io" | "join" | "other";
  /** What is waited on, for humans (e.g. `"disk0"`, `"lock 3"`, `"until 1200"`). */
  readonly on: string;
}

/** The structural tracer every osbricks package accepts (no import needed to provide one). */
export interface Tracer<E extends { readonly type: string }> {
  /** Receive one event; must not throw. */
  emit(event: E): void;
}

/** Trace events of `@osbricks/sched`. Fields are plain data. */
export type SchedEvent =
  | { readonly type: "sched.state"; readonly tid: number; readonly from: string; readonly to: string }
  | {
      readonly type: "sched.switch";
      readonly cpu: number;
      readonly from: number | null;
      readonly to: number | null;
    }
  | {
      readonly type: "sched.migrate";
      readonly tid: number;
      readonly from: number;
      readonly to: number;
      readonly why: "balance" | "steal" | "affinity";
    }
  | { readonly type: "sched.wake"; readonly tid: number; readonly cpu: number }
  | { readonly type: "sched.timer"; readonly tid: number; readonly deadline: number };

/**
 * What a wait queue or a timer needs from a scheduler: block the running thread with a reason
 * and a cancel hook (called if the thread is killed while blocked), and wake a blocked thread.
 * {@link Scheduler} implements it; a test may use a stub.
 */
export interface ThreadBlocker {
  /**
   * Block the running thread `tid`. `cancel` is called once when the thread leaves the blocked
   * state — woken by anyone or killed — so whatever it waited on can unlink it; it must be a
   * no-op when the waker already unlinked it (a wait queue waking its head, a fired timer).
   * @throws IllegalTransitionError if `tid` is not running; UnknownThreadError.
   */
  block(tid: ThreadId, reason: BlockReason, cancel?: () => void): void;
  /**
   * Optional: throw exactly what `block(tid, reason)` would throw, without blocking or changing
   * anything. A caller that must change its own structures before it blocks the thread
   * ({@link PriorityLocks} donates priority first) calls it so that a refused block leaves those
   * structures untouched. {@link Scheduler} implements it.
   * @throws IllegalTransitionError if `tid` is not running; UnknownThreadError.
   */
  checkBlock?(tid: ThreadId, reason: BlockReason): void;
  /**
   * Make a blocked thread ready. `sleep` is the kind of sleep it ends ({@link SleepType}; default
   * `"interactive"`, an interruptible sleep woken from process context).
   * @throws IllegalTransitionError if `tid` is not blocked; UnknownThreadError.
   */
  wake(tid: ThreadId, sleep?: SleepType): void;
}

/**
 * A source of simulated time. Named apart from `@osbricks/hw-x86`'s `Clock` (the machine's cycle
 * counter, whose `now` is a getter): a kernel adapts it with `{ now: () => machine.clock.now }`.
 */
export interface TimeSource {
  /** The current time in cycles (non-decreasing). */
  now(): Cycles;
}
