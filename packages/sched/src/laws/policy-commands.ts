/**
 * The model-based half of the policy laws: a naive model of a run queue (each admitted thread is
 * idle, ready or current) and one fast-check command class per operation of {@link SchedPolicy},
 * plus a `Misuse` command that tries every refused call and checks that nothing changed.
 *
 * Targets are chosen by index modulo the current list (`idle#k`, `ready#k`), so commands stay
 * valid while fast-check shrinks a failing sequence. After every command `agree` compares the
 * policy's ready set, ready count and current thread with the model and runs `checkInvariants()`.
 */
import fc from "fast-check";
import { type ReadyReason, type SchedPolicy, type ThreadId, type ThreadParams, threadId } from "../api.js";
import { SchedError } from "../errors.js";

/** Where the model says a thread is. */
export type Where = "idle" | "ready" | "current";
/** The naive model: next thread id to admit, and where each admitted thread is. */
export interface Model {
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

/** A command on (model, policy). */
export type Cmd = fc.Command<Model, SchedPolicy>;
/** Random but valid thread parameters. */
export const paramsArb: fc.Arbitrary<Partial<ThreadParams>> = fc.record({
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
/** The kinds of misuse, by the `kind` of {@link Misuse}: what the command tries. */
const MISUSE_KINDS = [
  "enqueue-unknown",
  "dequeue-unknown",
  "enqueue-ready",
  "dequeue-idle",
  "retire-ready",
  "pick-while-current",
  "tick-not-current",
  "tick-zero-cycles",
  "set-tickets-0",
  "admit-nice-40",
  "admit-twice",
  "deschedule-not-current",
] as const;

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
    return `misuse(${MISUSE_KINDS[this.kind] ?? this.kind}, #${this.k})`;
  }
}

/** Every command of the model run, weighted towards the common operations. */
export function commands(): fc.Arbitrary<Iterable<Cmd>>[] {
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
    fc.tuple(fc.integer({ min: 0, max: MISUSE_KINDS.length - 1 }), k).map(([kind, i]) => new Misuse(kind, i)),
  ] as unknown as fc.Arbitrary<Iterable<Cmd>>[];
}
