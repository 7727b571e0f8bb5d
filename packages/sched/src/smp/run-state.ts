/**
 * The state a multi-CPU {@link Scheduler} keeps, and the moves every one of its entry points is
 * built from: the thread table, one policy and one running slot per CPU, the reschedule flags,
 * and migration of a thread's policy membership between CPUs.
 *
 * ```
 *   threads: tid ──▶ ThreadInfo { state, cpu (home), affinity, params, cancel }
 *                                        │
 *   per CPU c:  policies[c] ◀────────────┘ admitted from start to exit
 *               running[c]   = the tid whose home is c and state is running, or null
 *               needResched[c] = a wake, arrival or tick asked c to call schedule(c)
 *
 *   migrate(t, to): policies[from].dequeue → migrateOut → retire
 *                   → policies[to].admit → migrateIn → enqueue "migrated"
 * ```
 *
 * Each move checks before it changes anything (`checkTransition` probes the state machine of
 * `../thread/state.ts` on a copy), so a refused call leaves the scheduler as it was. Who moves
 * where is decided in `load-balance.ts`; the public calls that compose these moves are in
 * `scheduler.ts`.
 *
 * Invariants (`checkInvariants`): a thread is ready exactly when its home policy has it in the
 * ready set, running exactly when it is its home CPU's current thread; it is admitted to its home
 * policy only, and only between start and exit; the home CPU is in the affinity mask for ready
 * and running threads; blocked threads have a reason; every policy's own invariants hold.
 */
import type { BlockReason, CpuId, SchedEvent, SchedPolicy, SleepType, ThreadId, Tracer } from "../api.js";
import {
  IllegalTransitionError,
  InvalidArgumentError,
  InvariantError,
  UnknownThreadError,
} from "../errors.js";
import { checkTransition, type ThreadState, transition } from "../thread/state.js";
import { type CpuMask, maskHas } from "./affinity.js";
import { nextPull, placeThread, type RunQueuesView } from "./load-balance.js";
import type { ThreadInfo } from "./scheduler.js";

/** Why a thread changed CPU (the `why` of a `sched.migrate` event). */
type MigrationReason = "balance" | "steal" | "affinity";

/** Threads, per-CPU policies and running slots of one scheduler (internal to `Scheduler`). */
export class RunState {
  readonly threads = new Map<ThreadId, ThreadInfo>();
  readonly running: Array<ThreadId | null>;
  readonly needResched: boolean[];
  /** The read-only view the balancer decides on. */
  readonly view: RunQueuesView;
  migrations = 0;
  switches = 0;

  constructor(
    readonly cpus: number,
    readonly policies: SchedPolicy[],
    readonly tracer: Tracer<SchedEvent> | undefined,
  ) {
    this.running = Array.from({ length: cpus }, () => null);
    this.needResched = Array.from({ length: cpus }, () => false);
    this.view = {
      cpus,
      load: (c) => this.policies[c]!.readyCount + (this.running[c] !== null ? 1 : 0),
      queue: (c) => this.policies[c]!,
      affinityOf: (t) => this.threads.get(t)!.affinity,
    };
  }

  /** The record of `tid`. @throws UnknownThreadError naming `call`. */
  get(call: string, tid: ThreadId): ThreadInfo {
    const t = this.threads.get(tid);
    if (t === undefined) throw new UnknownThreadError(`${call}(tid=${tid}): no such thread`);
    return t;
  }
  /** `cpu` as an index. @throws InvalidArgumentError outside 0..cpus-1. */
  cpu(call: string, cpu: CpuId): number {
    if (!Number.isInteger(cpu) || cpu < 0 || cpu >= this.cpus)
      throw new InvalidArgumentError(`${call}(cpu=${cpu}): expected 0..${this.cpus - 1}`);
    return cpu;
  }
  /** Each entry point accepts threads in one state only (wake: blocked; resume: suspended; ...). */
  expectState(t: ThreadInfo, call: string, want: ThreadState): void {
    if (t.state !== want) {
      throw new IllegalTransitionError(
        `${call}(tid=${t.tid}): thread is ${t.state}, ${call} needs a ${want} thread`,
      );
    }
  }
  /** Validate a transition without performing it (so a refused call changes nothing). */
  checkTransition(t: ThreadInfo, to: ThreadState, reason?: BlockReason): void {
    checkTransition(t.tid, t.state, to, reason);
  }
  /** Perform a life-cycle transition and trace it. */
  move(t: ThreadInfo, to: ThreadState, reason?: BlockReason): void {
    const from = transition(t, to, reason);
    this.tracer?.emit({ type: "sched.state", tid: t.tid, from, to });
  }
  /** Home CPU if allowed, else the least loaded allowed CPU (see `load-balance.ts`). */
  placement(mask: CpuMask, prefer: number | null): CpuId {
    return placeThread(this.view, mask, prefer);
  }
  /** Queue a woken or resumed thread on its (possibly new) home CPU. @returns that CPU. */
  makeReady(t: ThreadInfo, reason: "wake", sleep?: SleepType): CpuId {
    const to = this.placement(t.affinity, t.cpu);
    if (to !== t.cpu) this.rehome(t, to, "affinity");
    this.move(t, "ready");
    if (sleep === undefined) this.policies[to]!.enqueue(t.tid, reason);
    else this.policies[to]!.enqueue(t.tid, reason, sleep);
    this.tracer?.emit({ type: "sched.wake", tid: t.tid, cpu: to });
    this.preemptCheck(to, t.tid);
    return to;
  }
  /** If `cpu` runs a thread that `woken` should preempt, or idles, ask it to reschedule. */
  preemptCheck(cpu: number, woken: ThreadId): void {
    const cur = this.running[cpu]!;
    if (cur === null || this.policies[cpu]!.shouldPreempt(cur, woken)) this.needResched[cpu] = true;
  }
  /** Take a ready or running thread off its CPU (for suspend/exit). */
  leaveCpu(t: ThreadInfo): void {
    if (t.state === "ready") this.policies[t.cpu]!.dequeue(t.tid);
    else if (t.state === "running") {
      this.policies[t.cpu]!.descheduled(t.tid);
      this.running[t.cpu] = null;
    }
  }
  /**
   * Move a not-ready thread's policy membership to another CPU, with what the policy carries
   * across (`migrateOut` / `migrateIn`, e.g. CFS's lag).
   */
  rehome(t: ThreadInfo, to: CpuId, why: MigrationReason): void {
    const from = t.cpu;
    const src = this.policies[from]!;
    const dst = this.policies[to]!;
    const carried = src.migrateOut?.(t.tid);
    src.retire(t.tid);
    dst.admit(t.tid, t.params);
    if (carried !== undefined) dst.migrateIn?.(t.tid, carried);
    t.cpu = to;
    this.migrations++;
    this.tracer?.emit({ type: "sched.migrate", tid: t.tid, from, to, why });
  }
  /** Move a ready thread (queued, or just taken off its CPU) to `to`'s ready set. */
  migrate(t: ThreadInfo, to: CpuId, why: MigrationReason, queued: boolean): void {
    if (queued) this.policies[t.cpu]!.dequeue(t.tid);
    this.rehome(t, to, why);
    this.policies[to]!.enqueue(t.tid, "migrated");
  }
  /** CPU `c` pulls up to `max` ready threads, one `nextPull` decision at a time. */
  pull(c: number, why: "balance" | "steal", max: number): void {
    for (let moved = 0; moved < max; moved++) {
      const m = nextPull(this.view, c, why);
      if (m === null) return;
      this.migrate(this.threads.get(m.tid)!, m.to, why, true);
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
  }
}
