/**
 * The workload simulator: run jobs with arrivals, CPU bursts and I/O bursts under any policy on
 * N CPUs, in discrete time units, and measure them with OSTEP's definitions (ch. 7):
 *
 *   response   = first run − arrival
 *   turnaround = completion − arrival
 *   wait       = time spent ready but not running (I/O time is not waiting)
 *
 * Every unit of time t → t + 1 goes through the same four steps, which are the tie-breaking rules
 * (so a result can be checked by hand and compared with OSTEP's scheduler.py, mlfq.py and
 * lottery.py for the same jobs and parameters):
 *
 *   1. boundary at t: a thread whose CPU burst ended at t leaves its CPU (to I/O, or exits with
 *      completion t); a thread whose slice expired at t goes back to its ready queue first
 *      (before anything that arrives at t, as in mlfq.py);
 *   2. I/O completions at t wake their threads, earliest deadline first, then in the order the
 *      I/O started;
 *   3. jobs arriving at t start, in the order they are listed;
 *   4. CPUs 0, 1, ... in order dispatch (a wakeup that should preempt is honoured here), then each
 *      runs its thread for one unit; the policy is ticked with 1 cycle.
 *
 * With the oracle on (default), each thread's `expectedRuntime` is set to its current CPU burst,
 * which is what SJF and STCF read. New threads go to the least loaded allowed CPU (lowest number
 * on ties); load balancing and idle stealing follow the {@link Scheduler}'s options.
 */
import type { PolicyFactory, SchedEvent, ThreadId, Tracer } from "../api.js";
import { cpuId } from "../api.js";
import { InvalidArgumentError } from "../errors.js";
import { Scheduler } from "../smp/scheduler.js";
import { ManualClock } from "../wait/timers.js";
import { type Job, type JobSpec, parseJobs } from "./workload.js";

/** Options of {@link simulate}. */
export interface SimOptions {
  /** Makes each CPU's policy. Required. */
  readonly policy: PolicyFactory;
  /** Number of CPUs, 1..32. Default 1. */
  readonly cpus?: number;
  /** Set `expectedRuntime` to the current CPU burst (SJF/STCF oracle). Default true. */
  readonly oracle?: boolean;
  /** Passed to the scheduler: ticks between load-balancing pulls, 0 = never. Default 10. */
  readonly balanceInterval?: number;
  /** Passed to the scheduler: idle CPUs steal. Default true. */
  readonly idleSteal?: boolean;
  /** Stop with an error after this many units (a policy that starves a job forever). Default 1,000,000. */
  readonly maxTime?: number;
  /** Called once per unit after dispatch, with the time and the scheduler (for traces; do not mutate). */
  readonly onDispatch?: (t: number, sched: Scheduler) => void;
  /** Receives the scheduler's trace events. */
  readonly tracer?: Tracer<SchedEvent>;
  /** Call the scheduler's `checkInvariants()` after every unit (slow; for tests). Default false. */
  readonly paranoid?: boolean;
}

/** Measurements of one job. */
export interface JobResult {
  /** The job's name. */
  readonly name: string;
  /** Its thread id in the run. */
  readonly tid: ThreadId;
  /** Arrival time. */
  readonly arrival: number;
  /** When it first ran. */
  readonly firstRun: number;
  /** When its last CPU burst ended. */
  readonly completion: number;
  /** firstRun − arrival. */
  readonly response: number;
  /** completion − arrival. */
  readonly turnaround: number;
  /** Units spent ready but not running. */
  readonly wait: number;
  /** Units spent running (the sum of its CPU bursts). */
  readonly cpuTime: number;
  /** Units spent in I/O. */
  readonly ioTime: number;
}

/** One stretch of a CPU's timeline. */
export interface TimelineSegment {
  /** Start time (inclusive). */
  readonly start: number;
  /** End time (exclusive). */
  readonly end: number;
  /** Index of the job that ran, or null when the CPU idled. */
  readonly job: number | null;
}

/** Everything a simulation measured. */
export interface SimResult {
  /** Per-job measurements, in the order the jobs were given. */
  readonly jobs: readonly JobResult[];
  /** Averages over the jobs. */
  readonly average: { readonly response: number; readonly turnaround: number; readonly wait: number };
  /** When the last job completed. */
  readonly makespan: number;
  /** `timeline[cpu][t]` = index of the job running on that CPU during [t, t + 1), or null. */
  readonly timeline: ReadonlyArray<ReadonlyArray<number | null>>;
  /** The timeline as runs of the same job, per CPU. */
  readonly segments: ReadonlyArray<readonly TimelineSegment[]>;
  /** Job names, by index (for charts). */
  readonly names: readonly string[];
  /** Migrations between CPUs. */
  readonly migrations: number;
  /** Context switches. */
  readonly switches: number;
}

interface JobRun {
  readonly job: Job;
  tid: ThreadId;
  burst: number;
  left: number;
  firstRun: number;
  completion: number;
  wait: number;
  cpuTime: number;
  ioTime: number;
}

/**
 * Run a workload to completion.
 * @throws InvalidJobError for a malformed job; InvalidArgumentError for bad options or when
 *   `maxTime` passes before every job completes (InvalidJobError also for parameters outside the
 *   shared rules; a policy's own stricter rule throws at the job's arrival).
 * @example
 * ```ts
 * const r = simulate([{ length: 100 }, { length: 10 }, { length: 10 }], { policy: () => new FifoPolicy() });
 * r.average.turnaround; // → 110 (OSTEP ch. 7, the convoy effect)
 * ```
 */
export function simulate(specs: readonly JobSpec[], options: SimOptions): SimResult {
  const jobs = parseJobs(specs);
  const maxTime = options.maxTime ?? 1_000_000;
  if (!Number.isInteger(maxTime) || maxTime < 1)
    throw new InvalidArgumentError(`simulate: maxTime ${maxTime} must be an integer ≥ 1`);
  const oracle = options.oracle ?? true;
  const clock = new ManualClock();
  const sched = new Scheduler({
    cpus: options.cpus ?? 1,
    policy: options.policy,
    balanceInterval: options.balanceInterval ?? 10,
    idleSteal: options.idleSteal ?? true,
    clock,
    ...(options.tracer !== undefined ? { tracer: options.tracer } : {}),
  });
  const n = sched.cpus;
  const runs: JobRun[] = jobs.map((job) => {
    const params = oracle ? { ...job.params, expectedRuntime: job.bursts[0]! } : job.params;
    const tid = sched.spawn(params, job.affinity);
    return {
      job,
      tid,
      burst: 0,
      left: job.bursts[0]!,
      firstRun: -1,
      completion: -1,
      wait: 0,
      cpuTime: 0,
      ioTime: 0,
    };
  });
  const byTid = new Map<ThreadId, JobRun>(runs.map((r) => [r.tid, r]));
  const jobIndex = new Map<ThreadId, number>(runs.map((r, i) => [r.tid, i]));
  const timeline: Array<Array<number | null>> = Array.from({ length: n }, () => []);
  const arrivals = [...runs].sort(
    (a, b) => a.job.arrival - b.job.arrival || jobIndex.get(a.tid)! - jobIndex.get(b.tid)!,
  );
  let nextArrival = 0;
  let done = 0;
  let t = 0;
  while (done < runs.length) {
    if (t >= maxTime)
      throw new InvalidArgumentError(
        `simulate: ${runs.length - done} job(s) unfinished after maxTime ${maxTime}`,
      );
    // Step 1 happened at the end of the previous unit. Step 2: I/O completions at t.
    for (const tid of sched.runTimers()) {
      const r = byTid.get(tid)!;
      r.burst++;
      r.left = r.job.bursts[r.burst]!;
    }
    // Step 3: arrivals at t.
    while (nextArrival < arrivals.length && arrivals[nextArrival]!.job.arrival === t)
      sched.start(arrivals[nextArrival++]!.tid);
    // Step 4: dispatch, account waiting, run one unit.
    for (let c = 0; c < n; c++) {
      const cur = sched.schedule(cpuId(c));
      timeline[c]!.push(cur === null ? null : jobIndex.get(cur)!);
      if (cur !== null) {
        const r = byTid.get(cur)!;
        if (r.firstRun < 0) r.firstRun = t;
      }
    }
    options.onDispatch?.(t, sched);
    for (const r of runs) {
      const st = sched.stateOf(r.tid);
      if (st === "ready") r.wait++;
      else if (st === "blocked") r.ioTime++;
    }
    clock.advance(1);
    t++;
    for (let c = 0; c < n; c++) {
      const cpu = cpuId(c);
      const cur = sched.current(cpu);
      const preempt = sched.tick(cpu, 1);
      if (cur === null) continue;
      const r = byTid.get(cur)!;
      r.cpuTime++;
      r.left--;
      if (r.left === 0) {
        r.burst++;
        if (r.burst === r.job.bursts.length) {
          r.completion = t;
          sched.exit(cur);
          done++;
        } else {
          const io = r.job.bursts[r.burst]!;
          if (oracle) sched.setParams(cur, { expectedRuntime: r.job.bursts[r.burst + 1]! });
          sched.sleepUntil(cur, t + io);
        }
      } else if (preempt) sched.preemptIfNeeded(cpu);
    }
    if (options.paranoid === true) sched.checkInvariants();
  }
  const results: JobResult[] = runs.map((r) => ({
    name: r.job.name,
    tid: r.tid,
    arrival: r.job.arrival,
    firstRun: r.firstRun,
    completion: r.completion,
    response: r.firstRun - r.job.arrival,
    turnaround: r.completion - r.job.arrival,
    wait: r.wait,
    cpuTime: r.cpuTime,
    ioTime: r.ioTime,
  }));
  const avg = (f: (j: JobResult) => number): number =>
    results.reduce((s, j) => s + f(j), 0) / Math.max(1, results.length);
  const st = sched.stats();
  return {
    jobs: results,
    average: {
      response: avg((j) => j.response),
      turnaround: avg((j) => j.turnaround),
      wait: avg((j) => j.wait),
    },
    makespan: t,
    timeline,
    segments: timeline.map(toSegments),
    names: runs.map((r) => r.job.name),
    migrations: st.migrations,
    switches: st.switches,
  };
}

function toSegments(row: ReadonlyArray<number | null>): TimelineSegment[] {
  const out: TimelineSegment[] = [];
  let start = 0;
  for (let t = 1; t <= row.length; t++) {
    if (t === row.length || row[t] !== row[start]) {
      out.push({ start, end: t, job: row[start] ?? null });
      start = t;
    }
  }
  return out;
}
