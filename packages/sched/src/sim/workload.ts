/**
 * Workload descriptions for the simulator: jobs with an arrival time and alternating CPU and I/O
 * bursts, in integer time units (one unit = one scheduler tick).
 *
 * ```
 *   { name: "A", arrival: 0, bursts: [3, 2, 4] }   CPU 3, then I/O 2, then CPU 4
 *   { name: "B", arrival: 5, length: 10 }          one CPU burst of 10 (OSTEP's scheduler.py jobs)
 * ```
 *
 * Rules (violations throw {@link InvalidJobError} naming the job and the field): arrival is an
 * integer ≥ 0; bursts alternate CPU, I/O, CPU, ... and start and end with CPU (odd count); every
 * CPU burst is an integer ≥ 1 and every I/O burst an integer ≥ 1; give `length` or `bursts`,
 * not both; `params` obey the rules every policy shares ({@link paramsProblem}), checked here so a
 * bad job is refused before the run rather than at its arrival.
 */
import { DEFAULT_THREAD_PARAMS, type ThreadParams } from "../api.js";
import { InvalidJobError } from "../errors.js";
import { paramsProblem } from "../policies/base.js";
import type { CpuMask } from "../smp/affinity.js";

/** One job of a workload. */
export interface JobSpec {
  /** Label in results and the Gantt chart. Default: "A", "B", ... by position. */
  readonly name?: string;
  /** Arrival time, integer ≥ 0. Default 0. */
  readonly arrival?: number;
  /** Shorthand for a single CPU burst. */
  readonly length?: number;
  /** CPU, I/O, CPU, ... burst lengths (odd count, integers ≥ 1). */
  readonly bursts?: readonly number[];
  /** Scheduling parameters (priority, nice, tickets). `expectedRuntime` is set by the simulator's oracle. */
  readonly params?: Partial<ThreadParams>;
  /** CPUs it may run on. Default all. */
  readonly affinity?: CpuMask;
}

/** A validated job. */
export interface Job {
  /** Label. */
  readonly name: string;
  /** Arrival time. */
  readonly arrival: number;
  /** CPU, I/O, CPU, ... bursts. */
  readonly bursts: readonly number[];
  /** Scheduling parameters. */
  readonly params: Partial<ThreadParams>;
  /** Affinity mask, or undefined for all CPUs. */
  readonly affinity: CpuMask | undefined;
}

/** Default job names: A..Z, then a..z, then J52, J53, ... */
export function defaultJobName(i: number): string {
  if (i < 26) return String.fromCharCode(65 + i);
  if (i < 52) return String.fromCharCode(97 + i - 26);
  return `J${i}`;
}

/**
 * Validate and normalise a workload.
 * @throws InvalidJobError naming the job and the offending field; nothing is returned then.
 * @example `parseJobs([{ length: 100 }, { length: 10 }])` → jobs A and B at t = 0
 */
export function parseJobs(specs: readonly JobSpec[]): Job[] {
  return specs.map((s, i) => {
    const name = s.name ?? defaultJobName(i);
    const arrival = s.arrival ?? 0;
    if (!Number.isInteger(arrival) || arrival < 0)
      throw new InvalidJobError(`job ${name}: arrival ${arrival} must be an integer ≥ 0`);
    if (s.length !== undefined && s.bursts !== undefined)
      throw new InvalidJobError(`job ${name}: give length or bursts, not both`);
    const bursts = s.bursts ?? (s.length !== undefined ? [s.length] : undefined);
    if (bursts === undefined || bursts.length === 0)
      throw new InvalidJobError(`job ${name}: needs a length or at least one CPU burst`);
    if (bursts.length % 2 === 0)
      throw new InvalidJobError(
        `job ${name}: ${bursts.length} bursts; they must alternate CPU, I/O, ..., CPU (odd count)`,
      );
    bursts.forEach((b, k) => {
      const kind = k % 2 === 0 ? "CPU" : "I/O";
      if (!Number.isInteger(b) || b < 1)
        throw new InvalidJobError(`job ${name}: ${kind} burst ${k} is ${b}; it must be an integer ≥ 1`);
    });
    const problem = paramsProblem({ ...DEFAULT_THREAD_PARAMS, ...s.params });
    if (problem !== null) throw new InvalidJobError(`job ${name}: ${problem}`);
    return { name, arrival, bursts: [...bursts], params: { ...s.params }, affinity: s.affinity };
  });
}
