/**
 * The law suites of `@osbricks/sched`: properties any {@link SchedPolicy} must satisfy, runnable
 * against a student's implementation with one call.
 *
 * ```ts
 * import { runPolicyLaws } from "@osbricks/sched/laws";
 * runPolicyLaws(() => new MyPolicy());                        // throws on the first violation
 * for (const law of policyLaws(() => new MyPolicy())) it(law.name, () => law.check());
 * ```
 *
 * The laws:
 *   1. **no thread lost or duplicated** — a model-based run (`fc.commands`) of admit, enqueue,
 *      dequeue, pick, tick, requeue, deschedule, retire and parameter changes against a naive model
 *      (a map from thread to idle | ready | current); after every command the policy's ready set,
 *      ready count and current thread equal the model's, and `checkInvariants()` passes;
 *   2. **misuse is refused without damage** — unknown threads, double enqueues, dequeues of
 *      threads that are not ready, retiring a ready thread, picking while a thread is current,
 *      ticking a thread that is not current, bad parameters: each throws a `SchedError` and leaves
 *      the ready set and current thread as they were;
 *   3. **ready threads are eventually picked** (only when `starvationFree` is true) — with a fixed
 *      set of CPU-bound threads, each one is picked within every window of 100·n + 500 picks
 *      (bounded waiting: not only a first pick, but again and again, for three such windows);
 *   4. **... and keep being picked while newcomers arrive** (only when `starvationFree` is true) —
 *      1–4 long-lived CPU-bound threads and a churn of short-lived ones (admitted, run 1–3
 *      cycles, retired; 1–4 alive at once): every thread, long-lived or new, is picked within
 *      every window of 100·n + 500 picks, n the most threads alive at once (`starvation.ts`);
 *   4b. **... and while sleepers keep waking** (only when `starvationFree` is true) — 1–4
 *      CPU-bound threads beside 2–3 sleepers that run 1–3 cycles, block, and wake (reason
 *      `"wake"`) 0–2 picks later: every thread is picked within every window of 100·n + 500
 *      picks while it is ready; fails a policy that queues woken threads ahead of waiting ones;
 *   5. **picks respect affinity** — a multi-CPU {@link Scheduler} built from the factory never
 *      runs a thread on a CPU outside its mask, under random spawns, ticks, blocks, wakes, yields,
 *      affinity changes and exits, and never loses a thread between CPUs;
 *   6. **CPU time follows the weights** (only when the caller says what the policy shares by,
 *      option `shares`) — 2 to 4 CPU-bound threads with different weights (nice through Linux's
 *      table, or tickets) each get weight/total of 40,000 cycles, within 4 percentage points.
 *      Laws 1–5 hold for a policy that ignores weights altogether; this one does not.
 */
import fc from "fast-check";
import {
  type CpuId,
  cpuId,
  type PolicyFactory,
  SCHED_PRIO_TO_WEIGHT,
  type SchedPolicy,
  type ThreadId,
  type ThreadParams,
  threadId,
} from "../api.js";
import { SchedError } from "../errors.js";
import { maskHas } from "../smp/affinity.js";
import { Scheduler } from "../smp/scheduler.js";
import { type Cmd, commands, type Model, paramsArb } from "./policy-commands.js";
import { arrivalsProperty, progressProperty, wakeupsProperty } from "./starvation.js";

/** One law: `check()` throws (with fast-check's counterexample and replay path) on a violation. */
export interface Law {
  /** What the law states. */
  readonly name: string;
  /** Run the property; throws on violation. */
  check(): void;
}

/** Options of the law suites. */
export interface LawOptions {
  /** Runs per property. Default 60 (model runs use the same number). */
  readonly numRuns?: number;
  /** fast-check seed, to replay a failure. Default: fast-check's own. */
  readonly seed?: number;
  /** Longest command sequence of a model run. Default 60. */
  readonly maxCommands?: number;
  /**
   * What the policy promises to share the CPU by, if anything: `"nice"` (Linux's weight table, as
   * CFS) or `"tickets"` (as stride and lottery). When set, the law "CPU time follows the weights"
   * runs too. Default: none (FIFO, round robin, priorities, MLFQ and O(1) promise no proportions).
   */
  readonly shares?: "nice" | "tickets";
}

function assertOpts(o: LawOptions): fc.Parameters<unknown> {
  return { numRuns: o.numRuns ?? 60, ...(o.seed !== undefined ? { seed: o.seed } : {}) };
}

/**
 * The laws every {@link SchedPolicy} must satisfy (see the file banner).
 * @param factory - makes a fresh policy for every run (and one per CPU for the affinity law).
 */
export function policyLaws(factory: PolicyFactory, options: LawOptions = {}): Law[] {
  const maxCommands = options.maxCommands ?? 60;
  const probe = factory(cpuId(0));
  const laws: Law[] = [
    {
      name: `${probe.name}: no thread is lost or duplicated, and misuse is refused without damage (model-based)`,
      check: () =>
        fc.assert(
          // size "+1": fast-check's default size draws about 6 commands per run, too few to
          // reach e.g. admit, admit, enqueue, enqueue, pick, deschedule, pick; "+1" draws ≈30.
          fc.property(fc.commands(commands() as never, { maxCommands, size: "+1" }), (cmds) => {
            fc.modelRun(
              () => ({ model: { next: 0, where: new Map() } as Model, real: factory(cpuId(0)) }),
              cmds as Iterable<Cmd>,
            );
          }),
          assertOpts(options),
        ),
    },
    {
      name: `${probe.name}: parameters out of range are rejected with a typed error at admit`,
      check: () =>
        fc.assert(
          fc.property(
            fc.oneof(
              fc.record({ tickets: fc.integer({ min: -5, max: 0 }) }),
              fc.record({
                nice: fc.oneof(fc.integer({ min: -100, max: -21 }), fc.integer({ min: 20, max: 100 })),
              }),
              fc.record({
                priority: fc.oneof(fc.integer({ min: -10, max: -1 }), fc.integer({ min: 64, max: 200 })),
              }),
              fc.record({ expectedRuntime: fc.integer({ min: -100, max: -1 }) }),
            ),
            (bad) => {
              const p = factory(cpuId(0));
              let threw: unknown = null;
              try {
                p.admit(threadId(1), bad as Partial<ThreadParams>);
              } catch (e) {
                threw = e;
              }
              if (!(threw instanceof SchedError))
                throw new Error(`admit(${JSON.stringify(bad)}) did not throw a SchedError`);
              if (p.isAdmitted(threadId(1)))
                throw new Error(`admit(${JSON.stringify(bad)}) threw but admitted the thread`);
            },
          ),
          assertOpts(options),
        ),
    },
    {
      name: `${probe.name}: a multi-CPU scheduler built from it runs threads only on CPUs in their affinity`,
      check: () => fc.assert(affinityProperty(factory), assertOpts(options)),
    },
  ];
  if (probe.starvationFree) {
    laws.push({
      name: `${probe.name}: every ready thread is eventually picked (starvation-free)`,
      check: () => fc.assert(progressProperty(factory), assertOpts(options)),
    });
    laws.push({
      name: `${probe.name}: every thread keeps being picked while short-lived threads keep arriving (starvation-free under arrivals)`,
      check: () => fc.assert(arrivalsProperty(factory), assertOpts(options)),
    });
    laws.push({
      name: `${probe.name}: every thread keeps being picked while sleepers keep waking (starvation-free under wakeups)`,
      check: () => fc.assert(wakeupsProperty(factory), assertOpts(options)),
    });
  }
  const by = options.shares;
  if (by !== undefined) {
    laws.push({
      name: `${probe.name}: CPU-bound threads get CPU time in proportion to their ${by === "nice" ? "weights (nice)" : "tickets"}`,
      check: () => fc.assert(shareProperty(factory, by), assertOpts(options)),
    });
  }
  return laws;
}

/** Simulated time each run of the share law lasts, in cycles. */
const SHARE_CYCLES = 40_000;
/** Largest distance between a thread's share of the CPU and weight/total, as a fraction. */
const SHARE_TOLERANCE = 0.04;

/**
 * CPU-bound threads with distinct weights: pick, tick (1..4 cycles) until the policy preempts (or
 * 200 ticks, then yield), requeue, for {@link SHARE_CYCLES}. Each thread's share of the time must
 * be its weight over the total within {@link SHARE_TOLERANCE}. Only weight sets whose fair shares
 * differ from an equal split by at least 0.1 for some thread are drawn, so a policy that ignores
 * weights fails every run. Nice stays in −5..5 (weights 3121..335, as the progress law), where a
 * CFS-like policy's lag bound is under 1 % of the run.
 */
function shareProperty(
  factory: PolicyFactory,
  by: "nice" | "tickets",
): fc.IPropertyWithHooks<[number[], number[]]> {
  const values = by === "nice" ? fc.integer({ min: -5, max: 5 }) : fc.integer({ min: 1, max: 16 });
  return fc.property(
    fc.uniqueArray(values, { minLength: 2, maxLength: 4 }),
    fc.array(fc.integer({ min: 1, max: 4 }), { minLength: 1, maxLength: 8 }),
    (vals, tickSizes) => {
      const weights = vals.map((v) => (by === "nice" ? SCHED_PRIO_TO_WEIGHT[v + 20]! : v));
      const total = weights.reduce((a, b) => a + b, 0);
      fc.pre(weights.some((w) => Math.abs(w / total - 1 / weights.length) >= 0.1));
      const p = factory(cpuId(0));
      vals.forEach((v, i) => {
        p.admit(threadId(i), by === "nice" ? { nice: v } : { tickets: v });
        p.enqueue(threadId(i), "new");
      });
      const ran = vals.map(() => 0);
      let elapsed = 0;
      let step = 0;
      while (elapsed < SHARE_CYCLES) {
        const t = p.pickNext();
        if (t === null) throw new Error(`pickNext() returned null with ${vals.length} CPU-bound threads`);
        let preempted = false;
        for (let k = 0; k < 200 && !preempted; k++) {
          const c = tickSizes[step++ % tickSizes.length]!;
          ran[t] = ran[t]! + c;
          elapsed += c;
          preempted = p.tick(t, c);
        }
        p.enqueue(t, preempted ? "preempted" : "yielded");
      }
      weights.forEach((w, i) => {
        const got = ran[i]! / elapsed;
        const want = w / total;
        if (Math.abs(got - want) > SHARE_TOLERANCE) {
          throw new Error(
            `${by} ${JSON.stringify(vals)}: thread ${i} (${by} ${vals[i]}, weight ${w}) ran ${(100 * got).toFixed(1)} % of ${elapsed} cycles, its share is ${(100 * want).toFixed(1)} %`,
          );
        }
      });
    },
  );
}

/**
 * Run every law of {@link policyLaws}; throws on the first violation.
 * @throws Error `law "<name>" violated:` followed by fast-check's report; the law's own error
 * (the check that broke) is its `cause`.
 * @example `runPolicyLaws(() => new RoundRobinPolicy({ quantum: 3 }));`
 */
export function runPolicyLaws(factory: PolicyFactory, options: LawOptions = {}): void {
  for (const law of policyLaws(factory, options)) {
    try {
      law.check();
    } catch (e) {
      const message = e instanceof Error ? e.message : String(e);
      throw new Error(`law "${law.name}" violated:\n${message}`, { cause: e });
    }
  }
}

type SmpOp =
  | { op: "spawn"; mask: number; params: Partial<ThreadParams> }
  | { op: "schedule" | "tick"; cpu: number; cycles: number }
  | { op: "block" | "yield" | "exit" | "wake" | "suspend" | "resume"; k: number }
  | { op: "affinity"; k: number; mask: number };

const smpOpArb: fc.Arbitrary<SmpOp> = fc.oneof(
  fc.record({ op: fc.constant("spawn" as const), mask: fc.integer({ min: 1, max: 7 }), params: paramsArb }),
  fc.record({
    op: fc.constantFrom("schedule" as const, "tick" as const),
    cpu: fc.integer({ min: 0, max: 2 }),
    cycles: fc.integer({ min: 1, max: 20 }),
  }),
  fc.record({
    op: fc.constantFrom(
      "block" as const,
      "yield" as const,
      "exit" as const,
      "wake" as const,
      "suspend" as const,
      "resume" as const,
    ),
    k: fc.nat(100),
  }),
  fc.record({ op: fc.constant("affinity" as const), k: fc.nat(100), mask: fc.integer({ min: 1, max: 7 }) }),
);

function affinityProperty(factory: PolicyFactory): fc.IPropertyWithHooks<[SmpOp[]]> {
  // size "max": lengths up to 80 (fast-check's default size stops near 10 operations).
  return fc.property(fc.array(smpOpArb, { maxLength: 80, size: "max" }), (ops) => {
    const s = new Scheduler({ cpus: 3, policy: factory, balanceInterval: 3 });
    const inState = (st: string): ThreadId[] => s.threadIds().filter((t) => s.stateOf(t) === st);
    for (const o of ops) {
      switch (o.op) {
        case "spawn":
          s.start(s.spawn(o.params, o.mask));
          break;
        case "schedule":
          s.schedule(cpuId(o.cpu));
          break;
        case "tick":
          if (s.tick(cpuId(o.cpu), o.cycles)) s.schedule(cpuId(o.cpu));
          break;
        case "affinity": {
          const live = s.threadIds().filter((t) => s.stateOf(t) !== "exited");
          if (live.length > 0) s.setAffinity(live[o.k % live.length]!, o.mask);
          break;
        }
        default: {
          const from =
            o.op === "wake"
              ? "blocked"
              : o.op === "resume"
                ? "suspended"
                : o.op === "exit" || o.op === "suspend"
                  ? null
                  : "running";
          const pool =
            from === null
              ? s.threadIds().filter((t) => s.stateOf(t) === "ready" || s.stateOf(t) === "running")
              : inState(from);
          if (pool.length === 0) break;
          const t = pool[o.k % pool.length]!;
          if (o.op === "block") s.block(t, { kind: "other", on: "law" });
          else if (o.op === "yield") s.yield(t);
          else if (o.op === "exit") s.exit(t);
          else if (o.op === "wake") s.wake(t);
          else if (o.op === "suspend") s.suspend(t);
          else s.resume(t);
        }
      }
      s.checkInvariants();
      for (let c = 0; c < s.cpus; c++) {
        const cur = s.current(c as CpuId);
        if (cur !== null && !maskHas(s.info(cur).affinity, c)) {
          throw new Error(
            `CPU ${c} runs tid=${cur} whose affinity is 0x${s.info(cur).affinity.toString(16)}`,
          );
        }
      }
    }
  });
}
