/**
 * A deterministic interleaving explorer: runs a small concurrent scenario under EVERY order in
 * which its threads' traps can happen, and checks each final state. Model checking in the style of
 * CHESS / stateless search: no state is stored, each schedule is replayed from a fresh setup.
 *
 * A scenario's threads are generators; each `yield` hands the explorer one trap, a function that
 * performs one ipc operation for the thread and returns its status. If the status is `Blocked` the
 * thread sleeps until the ipc layer wakes it, and the generator is resumed with the wake status
 * (exactly the kernel contract of `../api.ts`); otherwise it is resumed at once.
 *
 * ```
 *  schedule [0, 1, 1, 0]          step: pick a runnable thread (or "advance time" when a
 *   t0: call ─▶ Blocked            deadline is pending), run its next trap; the choice point
 *   t1: receive ─▶ Ok              branches over every runnable thread.
 *   t1: reply ─▶ Ok (wakes t0)    end: nobody runnable and no deadline → check the outcome;
 *   t0: resumed with Ok            unfinished threads = deadlock or lost wake-up.
 * ```
 *
 * With k runnable threads at each of d steps the search visits up to k^d schedules, so scenarios
 * stay small (2–3 threads, a few traps each), as the issue asks; `maxSchedules` bounds the work.
 *
 * Related: `test/explore.test.ts` (endpoint and futex scenarios), `../core/threads.ts`.
 */
import { IpcStatus, type ThreadId } from "../api.js";
import { IpcThreads } from "../core/threads.js";
import { IpcError } from "../errors.js";

/** One trap: performs an operation for the running thread and returns its status. */
export type Trap = () => IpcStatus;

/** A thread body: yields traps, receives each trap's final status. */
export type ThreadProgram = Generator<Trap, void, IpcStatus>;

/** A small concurrent scenario over one {@link IpcThreads}. */
export interface Scenario<W> {
  /** Short name, used in failure messages. */
  readonly name: string;
  /** Number of threads, ids 0..threads-1. */
  readonly threads: number;
  /** Build the world (ipc objects, memory) for one run. Called once per schedule. */
  setup(threads: IpcThreads): W;
  /** The program of thread `t`. */
  program(world: W, t: ThreadId): ThreadProgram;
  /**
   * Check one finished run; throw to report a violation. Default: every thread finished (no
   * deadlock, no lost wake-up).
   */
  check?(world: W, outcome: RunOutcome): void;
}

/** What one schedule produced. */
export interface RunOutcome {
  /** The choices made: a thread id, or -1 for "advance time to the next deadline". */
  readonly schedule: readonly number[];
  /** Whether each thread ran to the end of its program. */
  readonly finished: readonly boolean[];
  /** Every status each thread's traps ended with, in order. */
  readonly statuses: readonly (readonly IpcStatus[])[];
}

/** Summary of an exploration. */
export interface ExploreReport {
  /** Schedules run to completion. */
  readonly schedules: number;
  /** Longest schedule, in steps. */
  readonly maxDepth: number;
}

/** Options of {@link explore}. */
export interface ExploreOptions {
  /** Stop with an error after this many schedules (the scenario is too big). Default 100000. */
  readonly maxSchedules?: number;
}

/** A violation found by {@link explore}: names the scenario and the schedule that replays it. */
export class ExplorationError extends IpcError {
  constructor(
    message: string,
    /** The schedule that led to the violation. */
    readonly schedule: readonly number[],
  ) {
    super("ipc.exploration", message);
  }
}

const TIME = -1;

/**
 * Run `scenario` under every interleaving (depth-first over choice points) and check each.
 * @returns how many schedules ran.
 * @throws ExplorationError with the failing schedule when a check fails, a run does not finish,
 *   or a trap throws.
 */
export function explore<W>(scenario: Scenario<W>, options: ExploreOptions = {}): ExploreReport {
  const maxSchedules = options.maxSchedules ?? 100_000;
  let schedules = 0;
  let maxDepth = 0;
  // Depth-first: `prefix` is replayed, then the first choice is taken at every new point; the
  // stack remembers how many alternatives each point had.
  const prefix: number[] = [];
  const alternatives: number[][] = [];
  for (;;) {
    const outcome = runOnce(scenario, prefix, alternatives);
    schedules++;
    maxDepth = Math.max(maxDepth, outcome.schedule.length);
    if (schedules > maxSchedules) {
      throw new ExplorationError(
        `${scenario.name}: more than ${maxSchedules} schedules; shrink the scenario`,
        outcome.schedule,
      );
    }
    // Backtrack to the deepest choice point with an untried alternative.
    while (alternatives.length > 0) {
      const alts = alternatives[alternatives.length - 1]!;
      const taken = prefix[alternatives.length - 1]!;
      const next = alts.indexOf(taken) + 1;
      if (next < alts.length) {
        prefix.length = alternatives.length;
        prefix[prefix.length - 1] = alts[next]!;
        break;
      }
      alternatives.pop();
      prefix.length = alternatives.length;
    }
    if (alternatives.length === 0) return { schedules, maxDepth };
  }
}

/** Replay `prefix`, then extend with first choices, recording alternatives at each new point. */
function runOnce<W>(scenario: Scenario<W>, prefix: number[], alternatives: number[][]): RunOutcome {
  const n = scenario.threads;
  const runnable: boolean[] = new Array<boolean>(n).fill(true);
  const resumeWith: IpcStatus[] = new Array<IpcStatus>(n).fill(IpcStatus.Ok);
  const statuses: IpcStatus[][] = Array.from({ length: n }, () => []);
  const threads = new IpcThreads({
    maxThreads: n,
    waker: {
      wake(t, status) {
        runnable[t] = true;
        resumeWith[t] = status;
        statuses[t]!.push(status);
      },
    },
  });
  const world = scenario.setup(threads);
  const programs = Array.from({ length: n }, (_, t) => scenario.program(world, t));
  const finished: boolean[] = new Array<boolean>(n).fill(false);
  const pendingTrap: (Trap | null)[] = new Array<Trap | null>(n).fill(null);
  const schedule: number[] = [];
  // Start each program up to its first trap (no shared effects happen before a yield).
  for (let t = 0; t < n; t++) advance(t, undefined);

  function advance(t: number, status: IpcStatus | undefined): void {
    const r = status === undefined ? programs[t]!.next() : programs[t]!.next(status);
    if (r.done) {
      finished[t] = true;
      runnable[t] = false;
      pendingTrap[t] = null;
    } else {
      pendingTrap[t] = r.value;
    }
  }

  const fail = (msg: string): never => {
    throw new ExplorationError(
      `${scenario.name}, schedule [${schedule.join(", ")}]: ${msg}`,
      schedule.slice(),
    );
  };

  // A thread woken by ipc resumes its generator when it is next chosen.
  const resumedPending: boolean[] = new Array<boolean>(n).fill(false);
  for (let depth = 0; ; depth++) {
    const choices: number[] = [];
    for (let t = 0; t < n; t++) if (runnable[t] && !finished[t]) choices.push(t);
    if (threads.nextDeadline() !== Number.POSITIVE_INFINITY) choices.push(TIME);
    if (choices.length === 0) break;
    let choice: number;
    if (depth < prefix.length) {
      choice = prefix[depth]!;
      if (!choices.includes(choice)) fail(`replay diverged at step ${depth} (nondeterministic scenario?)`);
    } else {
      choice = choices[0]!;
      prefix.push(choice);
      alternatives.push(choices);
    }
    schedule.push(choice);
    if (choice === TIME) {
      threads.advanceTo(threads.nextDeadline());
      continue;
    }
    const t = choice;
    try {
      if (resumedPending[t]) {
        resumedPending[t] = false;
        advance(t, resumeWith[t]!);
        continue;
      }
      const status = pendingTrap[t]!();
      if (status === IpcStatus.Blocked) {
        runnable[t] = false;
        resumedPending[t] = true;
      } else {
        statuses[t]!.push(status);
        advance(t, status);
      }
      threads.checkInvariants();
    } catch (e) {
      if (e instanceof ExplorationError) throw e;
      fail(`thread ${t} threw ${e instanceof Error ? e.message : String(e)}`);
    }
  }
  const outcome: RunOutcome = { schedule, finished, statuses };
  try {
    if (scenario.check) scenario.check(world, outcome);
    else if (!finished.every(Boolean)) {
      fail(
        `threads [${finished.flatMap((f, t) => (f ? [] : [t]))}] never finished (deadlock or lost wake-up)`,
      );
    }
  } catch (e) {
    if (e instanceof ExplorationError) throw e;
    fail(e instanceof Error ? e.message : String(e));
  }
  return outcome;
}
