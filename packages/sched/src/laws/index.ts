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
 *   3. **ready threads are eventually picked** (only when `starvationFree` is true) — with every
 *      thread CPU-bound, each one is picked within a bounded number of picks;
 *   4. **picks respect affinity** — a multi-CPU {@link Scheduler} built from the factory never
 *      runs a thread on a CPU outside its mask, under random spawns, ticks, blocks, wakes, yields,
 *      affinity changes and exits, and never loses a thread between CPUs.
 */
import fc from "fast-check";
import {
  type CpuId,
  cpuId,
  type PolicyFactory,
  type ReadyReason,
  type SchedPolicy,
  type ThreadId,
  type ThreadParams,
  threadId,
} from "../api.js";
import { SchedError } from "../errors.js";
import { maskHas } from "../smp/affinity.js";
import { Scheduler } from "../smp/scheduler.js";

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
}

type Where = "idle" | "ready" | "current";
interface Model {
  next: number;
  where: Map<number, Where>;
}

function list(m: Model, w: Where): number[] {
  return [...m.where].filter(([, x]) => x === w).map(([t]) => t);
}
function currentOf(m: Model): number | null {
  return list(m, "current")[0] ?? null;
}

function agree(m: Model, p: SchedPolicy, after: string): void {
  p.checkInvariants();
  const want = list(m, "ready").sort((a, b) => a - b);
  const got = [...p.readyThreads()].sort((a, b) => a - b);
  if (want.join(",") !== got.join(","))
    throw new Error(
      `after ${after}: ready set is [${got}] but should be [${want}] (thread lost or duplicated)`,
    );
  if (p.readyCount !== want.length)
    throw new Error(`after ${after}: readyCount ${p.readyCount}, model has ${want.length}`);
  if (p.current !== currentOf(m))
    throw new Error(`after ${after}: current is ${p.current}, model has ${currentOf(m)}`);
  for (const [t] of m.where)
    if (!p.isAdmitted(t as ThreadId)) throw new Error(`after ${after}: tid=${t} no longer admitted`);
}

/** Run `f`, require a SchedError, and require the visible state to be unchanged. */
function refused(m: Model, p: SchedPolicy, what: string, f: () => void): void {
  const before = JSON.stringify([[...p.readyThreads()].sort((a, b) => a - b), p.current, p.readyCount]);
  let threw: unknown = null;
  try {
    f();
  } catch (e) {
    threw = e;
  }
  if (!(threw instanceof SchedError))
    throw new Error(`${what}: expected a SchedError, got ${threw === null ? "no error" : String(threw)}`);
  const after = JSON.stringify([[...p.readyThreads()].sort((a, b) => a - b), p.current, p.readyCount]);
  if (before !== after) throw new Error(`${what}: refused call changed the policy: ${before} → ${after}`);
  agree(m, p, what);
}

type Cmd = fc.Command<Model, SchedPolicy>;
const paramsArb: fc.Arbitrary<Partial<ThreadParams>> = fc.record({
  priority: fc.integer({ min: 0, max: 63 }),
  nice: fc.integer({ min: -20, max: 19 }),
  tickets: fc.integer({ min: 1, max: 16 }),
  expectedRuntime: fc.integer({ min: 0, max: 100 }),
});

class Admit implements Cmd {
  constructor(readonly params: Partial<ThreadParams>) {}
  check(): boolean {
    return true;
  }
  run(m: Model, p: SchedPolicy): void {
    const t = m.next++;
    p.admit(threadId(t), this.params);
    m.where.set(t, "idle");
    agree(m, p, this.toString());
  }
  toString(): string {
    return `admit(${JSON.stringify(this.params)})`;
  }
}
class Enqueue implements Cmd {
  constructor(
    readonly k: number,
    readonly reason: ReadyReason,
  ) {}
  check(m: Model): boolean {
    return list(m, "idle").length > 0;
  }
  run(m: Model, p: SchedPolicy): void {
    const idle = list(m, "idle");
    const t = idle[this.k % idle.length]!;
    p.enqueue(threadId(t), this.reason);
    m.where.set(t, "ready");
    agree(m, p, `enqueue(${t}, ${this.reason})`);
  }
  toString(): string {
    return `enqueue(idle#${this.k}, ${this.reason})`;
  }
}
class Dequeue implements Cmd {
  constructor(readonly k: number) {}
  check(m: Model): boolean {
    return list(m, "ready").length > 0;
  }
  run(m: Model, p: SchedPolicy): void {
    const r = list(m, "ready");
    const t = r[this.k % r.length]!;
    p.dequeue(threadId(t));
    m.where.set(t, "idle");
    agree(m, p, `dequeue(${t})`);
  }
  toString(): string {
    return `dequeue(ready#${this.k})`;
  }
}
class Pick implements Cmd {
  check(m: Model): boolean {
    return currentOf(m) === null;
  }
  run(m: Model, p: SchedPolicy): void {
    const ready = list(m, "ready");
    const t = p.pickNext();
    if (t === null) {
      if (ready.length > 0) throw new Error(`pickNext() returned null with ${ready.length} ready threads`);
    } else {
      if (m.where.get(t) !== "ready")
        throw new Error(`pickNext() returned tid=${t}, which is ${m.where.get(t) ?? "unknown"}, not ready`);
      m.where.set(t, "current");
    }
    agree(m, p, `pickNext() → ${t}`);
  }
  toString(): string {
    return "pickNext()";
  }
}
class Tick implements Cmd {
  constructor(readonly cycles: number) {}
  check(): boolean {
    return true;
  }
  run(m: Model, p: SchedPolicy): void {
    const cur = currentOf(m);
    p.tick(cur === null ? null : threadId(cur), this.cycles);
    agree(m, p, `tick(${cur}, ${this.cycles})`);
  }
  toString(): string {
    return `tick(current, ${this.cycles})`;
  }
}
class Requeue implements Cmd {
  constructor(readonly reason: "preempted" | "yielded") {}
  check(m: Model): boolean {
    return currentOf(m) !== null;
  }
  run(m: Model, p: SchedPolicy): void {
    const t = currentOf(m)!;
    p.enqueue(threadId(t), this.reason);
    m.where.set(t, "ready");
    agree(m, p, `enqueue(current ${t}, ${this.reason})`);
  }
  toString(): string {
    return `requeue(current, ${this.reason})`;
  }
}
class Deschedule implements Cmd {
  check(m: Model): boolean {
    return currentOf(m) !== null;
  }
  run(m: Model, p: SchedPolicy): void {
    const t = currentOf(m)!;
    p.descheduled(threadId(t));
    m.where.set(t, "idle");
    agree(m, p, `descheduled(${t})`);
  }
  toString(): string {
    return "descheduled(current)";
  }
}
class Retire implements Cmd {
  constructor(readonly k: number) {}
  check(m: Model): boolean {
    return list(m, "idle").length > 0;
  }
  run(m: Model, p: SchedPolicy): void {
    const idle = list(m, "idle");
    const t = idle[this.k % idle.length]!;
    p.retire(threadId(t));
    m.where.delete(t);
    if (p.isAdmitted(threadId(t))) throw new Error(`retire(${t}): still admitted`);
    agree(m, p, `retire(${t})`);
  }
  toString(): string {
    return `retire(idle#${this.k})`;
  }
}
class SetParams implements Cmd {
  constructor(
    readonly k: number,
    readonly params: Partial<ThreadParams>,
  ) {}
  check(m: Model): boolean {
    return m.where.size > 0;
  }
  run(m: Model, p: SchedPolicy): void {
    const all = [...m.where.keys()];
    const t = all[this.k % all.length]!;
    p.setParams(threadId(t), this.params);
    agree(m, p, `setParams(${t}, ${JSON.stringify(this.params)})`);
  }
  toString(): string {
    return `setParams(#${this.k}, ${JSON.stringify(this.params)})`;
  }
}
/** Every kind of misuse, chosen by `kind`; each must be refused without damage. */
class Misuse implements Cmd {
  constructor(
    readonly kind: number,
    readonly k: number,
  ) {}
  check(): boolean {
    return true;
  }
  run(m: Model, p: SchedPolicy): void {
    const ready = list(m, "ready");
    const idle = list(m, "idle");
    const cur = currentOf(m);
    const unknown = threadId(m.next + 1000);
    switch (this.kind) {
      case 0:
        refused(m, p, "enqueue(unknown)", () => p.enqueue(unknown, "new"));
        return;
      case 1:
        refused(m, p, "dequeue(unknown)", () => p.dequeue(unknown));
        return;
      case 2:
        if (ready.length > 0)
          refused(m, p, "enqueue(ready)", () => p.enqueue(threadId(ready[this.k % ready.length]!), "wake"));
        return;
      case 3:
        if (idle.length > 0)
          refused(m, p, "dequeue(idle)", () => p.dequeue(threadId(idle[this.k % idle.length]!)));
        return;
      case 4:
        if (ready.length > 0)
          refused(m, p, "retire(ready)", () => p.retire(threadId(ready[this.k % ready.length]!)));
        return;
      case 5:
        if (cur !== null) refused(m, p, "pickNext() while current", () => p.pickNext());
        return;
      case 6:
        if (idle.length > 0)
          refused(m, p, "tick(not current)", () => p.tick(threadId(idle[this.k % idle.length]!), 1));
        return;
      case 7:
        refused(m, p, "tick(cycles=0)", () => p.tick(cur === null ? null : threadId(cur), 0));
        return;
      case 8:
        if (m.where.size > 0)
          refused(m, p, "setParams(tickets=0)", () =>
            p.setParams(threadId([...m.where.keys()][this.k % m.where.size]!), { tickets: 0 }),
          );
        return;
      case 9:
        refused(m, p, "admit(nice=40)", () => p.admit(threadId(m.next), { nice: 40 }));
        if (p.isAdmitted(threadId(m.next)))
          throw new Error("admit with nice=40 was refused but the thread is admitted");
        return;
      case 10:
        if (m.where.size > 0)
          refused(m, p, "admit(twice)", () => p.admit(threadId([...m.where.keys()][this.k % m.where.size]!)));
        return;
      default:
        if (idle.length > 0)
          refused(m, p, "descheduled(not current)", () =>
            p.descheduled(threadId(idle[this.k % idle.length]!)),
          );
    }
  }
  toString(): string {
    return `misuse(${this.kind}, #${this.k})`;
  }
}

function commands(): fc.Arbitrary<Iterable<Cmd>>[] {
  const k = fc.nat(1000);
  return [
    paramsArb.map((p) => new Admit(p)),
    paramsArb.map((p) => new Admit(p)),
    fc.tuple(k, fc.constantFrom<ReadyReason>("new", "wake", "migrated")).map(([i, r]) => new Enqueue(i, r)),
    fc.tuple(k, fc.constantFrom<ReadyReason>("new", "wake")).map(([i, r]) => new Enqueue(i, r)),
    k.map((i) => new Dequeue(i)),
    fc.constant(new Pick()),
    fc.constant(new Pick()),
    fc.integer({ min: 1, max: 30 }).map((c) => new Tick(c)),
    fc.integer({ min: 1, max: 30 }).map((c) => new Tick(c)),
    fc.constantFrom<"preempted" | "yielded">("preempted", "yielded").map((r) => new Requeue(r)),
    fc.constant(new Deschedule()),
    k.map((i) => new Retire(i)),
    fc.tuple(k, paramsArb).map(([i, p]) => new SetParams(i, p)),
    fc.tuple(fc.integer({ min: 0, max: 11 }), k).map(([kind, i]) => new Misuse(kind, i)),
  ] as unknown as fc.Arbitrary<Iterable<Cmd>>[];
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
          fc.property(fc.commands(commands() as never, { maxCommands }), (cmds) => {
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
  }
  return laws;
}

/**
 * Run every law of {@link policyLaws}; throws on the first violation.
 * @example `runPolicyLaws(() => new RoundRobinPolicy({ quantum: 3 }));`
 */
export function runPolicyLaws(factory: PolicyFactory, options: LawOptions = {}): void {
  for (const law of policyLaws(factory, options)) law.check();
}

/**
 * CPU-bound threads: pick, run ticks until the policy preempts (or 200 ticks, then yield), requeue.
 * Every thread must be picked within 100·n + 500 picks. Shares are kept within the ratios of the
 * baselines (nice −5..5, i.e. weights 3121..335; tickets 1..16): a fair policy may legitimately
 * make a nice-19 thread wait thousands of picks behind a nice −20 one, which no fixed bound in
 * picks captures.
 */
function progressProperty(
  factory: PolicyFactory,
): fc.IPropertyWithHooks<[Partial<ThreadParams>[], number[]]> {
  return fc.property(
    fc.array(
      paramsArb.map((p) => ({ ...p, nice: Math.max(-5, Math.min(5, p.nice ?? 0)) })),
      { minLength: 1, maxLength: 8 },
    ),
    fc.array(fc.integer({ min: 1, max: 7 }), { minLength: 1, maxLength: 16 }),
    (params, tickSizes) => {
      const p = factory(cpuId(0));
      params.forEach((pr, i) => {
        p.admit(threadId(i), pr);
        p.enqueue(threadId(i), "new");
      });
      const seen = new Set<number>();
      const bound = 100 * params.length + 500;
      let step = 0;
      for (let pick = 0; pick < bound && seen.size < params.length; pick++) {
        const t = p.pickNext();
        if (t === null) throw new Error(`pickNext() returned null with ${params.length} CPU-bound threads`);
        seen.add(t);
        let preempted = false;
        for (let k = 0; k < 200 && !preempted; k++)
          preempted = p.tick(t, tickSizes[step++ % tickSizes.length]!);
        p.enqueue(t, preempted ? "preempted" : "yielded");
      }
      if (seen.size < params.length) {
        const never = params.map((_, i) => i).filter((i) => !seen.has(i));
        throw new Error(`threads [${never}] were never picked in ${bound} picks`);
      }
    },
  );
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
  return fc.property(fc.array(smpOpArb, { maxLength: 80 }), (ops) => {
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
