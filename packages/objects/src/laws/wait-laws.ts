/**
 * The laws of signals and waiting, runnable against any {@link WaitHost} (a scheduler's included):
 * a waiter is woken exactly when its mask is satisfied, by the first cause in time; none is lost,
 * none is woken twice, and every timer and reference a wait took is given back. Every timer is
 * watched too: it fires once, not before its deadline, and never after `cancelTimer`; after
 * `advanceTo(t)`, `now()` is `t`. A law of its own gives several waits the same few deadlines,
 * where timer queues keyed by deadline or ordered wrongly among equals show.
 *
 * The model-based law drives random sequences of waits (one or many objects, with or without a
 * deadline), signal changes, kills, cancels and time steps, and predicts every wake-up:
 *
 * ```
 *   wait  → satisfied now? object dead? deadline passed? else pending (in registration order)
 *   assert/clear on o → pending waits with an item on o whose mask meets o's signals: satisfied,
 *                       in registration order, index = their first such item
 *   kill o            → pending waits with an item on o: object-dead, index = first item on o
 *   advance to t      → pending waits with deadline ≤ t: timed-out, in (deadline, registration) order
 *   cancel            → cancelled, returned to the caller, never through wake
 * ```
 *
 * Related: `wait/wait.ts`, `wait/api.ts`, `wait/simulated-host.ts`.
 */
import fc from "fast-check";
import type { Cycles, Signals } from "../api.js";
import { USER_SIGNALS_SHIFT } from "../api.js";
import { KernelObject } from "../object/kernel-object.js";
import type { ObjectType } from "../object/object-type.js";
import { ObjectSpace } from "../object/space.js";
import type { TimerId, WaiterId, WaitHost, WaitResult } from "../wait/api.js";
import { cancelWait, objectWait, objectWaitMany, type WaitTicket } from "../wait/wait.js";
import { type Law, type LawOptions, runLaws } from "./api.js";

/** A WaitHost under test, plus the one thing the laws need beyond it: moving time forward. */
export interface WaitHarness {
  /** The host; it must accept `wake` for waiter ids 1, 2, 3, ... that the laws invent. */
  readonly host: WaitHost;
  /** Advance simulated time to `time` (≥ now), firing every timer due on the way in deadline order. */
  advanceTo(time: Cycles): void;
}

/** Builds a fresh harness for each run. */
export type WaitHarnessFactory = () => WaitHarness;

const SIGNAL_BITS = 0x700 | (1 << USER_SIGNALS_SHIFT) | (2 << USER_SIGNALS_SHIFT);

/** A wait the model expects to be blocked. */
export interface PendingWait {
  readonly waiter: WaiterId;
  readonly items: readonly { readonly object: number; readonly mask: Signals }[];
  readonly deadline: Cycles | null;
  readonly ticket: WaitTicket;
  readonly seq: number;
}

/** One wake-up, expected or seen. */
export interface Wake {
  readonly waiter: WaiterId;
  readonly kind: string;
  readonly index: number;
}

/** The wait model beside the real objects and host (built by the wait laws for each run). */
export class WaitWorld {
  readonly space = new ObjectSpace();
  readonly type: ObjectType;
  readonly objects: KernelObject[] = [];
  readonly pending: PendingWait[] = [];
  readonly expected: Wake[] = [];
  readonly actual: Wake[] = [];
  readonly woken = new Set<WaiterId>();
  readonly host: WaitHost;
  private nextWaiter = 1;
  private seq = 0;

  constructor(readonly harness: WaitHarness) {
    this.type = this.space.defineType({ name: "gate", signals: ["a", "b", "c"] });
    for (let i = 0; i < 3; i++) {
      const o = new KernelObject(this.space, this.type);
      o.retain(); // the world's own reference keeps every object alive through the run
      this.objects.push(o);
    }
    const inner = harness.host;
    // Every timer the object layer asks for is watched: WaitHost's contract is one call of `fire`,
    // at or after the deadline, and none once `cancelTimer` forgot the timer. A late or repeated
    // call is harmless to a wait that already completed, so only this watch can see it.
    const timers = new Map<TimerId, { state: "pending" | "cancelled" | "fired" }>();
    this.host = {
      now: () => inner.now(),
      schedule: (d, f) => {
        const timer = { state: "pending" as "pending" | "cancelled" | "fired" };
        const id = inner.schedule(d, () => {
          if (timer.state !== "pending")
            throw new Error(
              `timer for deadline ${d} fired ${timer.state === "fired" ? "twice" : "after cancelTimer"}`,
            );
          if (inner.now() < d)
            throw new Error(`timer for deadline ${d} fired at now=${inner.now()}, before it`);
          timer.state = "fired";
          f();
        });
        timers.set(id, timer);
        return id;
      },
      cancelTimer: (t) => {
        const timer = timers.get(t);
        if (timer?.state !== "pending")
          throw new Error(`cancelTimer(${t}): not a pending timer of this host`);
        timer.state = "cancelled";
        inner.cancelTimer(t);
      },
      wake: (w, r) => {
        if (this.woken.has(w)) throw new Error(`waiter ${w} woken twice`);
        this.woken.add(w);
        this.checkResult(w, r);
        this.actual.push({ waiter: w, kind: r.kind, index: "index" in r ? r.index : -1 });
        inner.wake(w, r);
      },
    };
  }

  private checkResult(w: WaiterId, r: WaitResult): void {
    const p = this.pending.find((x) => x.waiter === w);
    if (!p) throw new Error(`waiter ${w} woken but not pending in the model`);
    if (r.kind === "satisfied") {
      const item = p.items[r.index]!;
      if ((r.observed[r.index]! & item.mask) === 0)
        throw new Error(`waiter ${w}: satisfied but observed does not meet the mask`);
    }
  }

  newWaiter(): WaiterId {
    return this.nextWaiter++;
  }

  /** Expect completions of the pending waits selected by `which`, in registration order. */
  complete(kind: string, which: (p: PendingWait) => number | null): void {
    for (const p of [...this.pending].sort((a, b) => a.seq - b.seq)) {
      const index = which(p);
      if (index === null) continue;
      this.expected.push({ waiter: p.waiter, kind, index });
      this.pending.splice(this.pending.indexOf(p), 1);
    }
  }

  addPending(p: Omit<PendingWait, "seq">): void {
    this.pending.push({ ...p, seq: this.seq++ });
  }

  compare(): void {
    // The actual log lags until the real call ran; compare whole logs after each command.
    const a = JSON.stringify(this.actual);
    const e = JSON.stringify(this.expected);
    if (a !== e) throw new Error(`wake-ups differ:\n  actual   ${a}\n  expected ${e}`);
    for (const o of this.objects) o.checkInvariants();
    for (const p of this.pending)
      if (!p.ticket.pending) throw new Error(`waiter ${p.waiter}: ticket completed unseen`);
    const blocked = this.pending.length;
    const refs = this.objects.reduce((s, o) => s + o.refCount - 1, 0);
    const items = this.pending.reduce((s, p) => s + p.items.length, 0);
    if (refs !== items)
      throw new Error(`${refs} wait references held for ${items} pending items (${blocked} waits)`);
  }
}

/** A command of the wait model (model and real system are one world, opaque to callers). */
export type WaitCommand = fc.Command<WaitWorld, WaitWorld>;
type WCmd = WaitCommand;

class Wait implements WCmd {
  constructor(
    readonly items: readonly [number, Signals][],
    readonly deadline: number | null,
  ) {}
  check = (): boolean => true;
  run(w: WaitWorld): void {
    const items = this.items.map(([o, mask]) => ({ object: o % w.objects.length, mask }));
    const waiter = w.newWaiter();
    const deadline = this.deadline === null ? null : w.host.now() + this.deadline;
    const real = items.map((i) => ({ object: w.objects[i.object]!, mask: i.mask }));
    const start =
      real.length === 1
        ? objectWait(w.host, waiter, real[0]!.object, real[0]!.mask, deadline)
        : objectWaitMany(w.host, waiter, real, deadline);
    const sat = real.findIndex((i) => (i.object.signals & i.mask) !== 0);
    const dead = real.findIndex((i) => !i.object.alive);
    const expected =
      sat >= 0
        ? "satisfied"
        : dead >= 0
          ? "object-dead"
          : deadline !== null && deadline <= w.host.now()
            ? "timed-out"
            : "blocked";
    if (start.kind !== expected) throw new Error(`wait: ${start.kind}, expected ${expected}`);
    if (start.kind === "satisfied" && start.index !== sat)
      throw new Error(`wait: index ${start.index}, expected ${sat}`);
    if (start.kind === "blocked") w.addPending({ waiter, items, deadline, ticket: start.ticket });
    w.compare();
  }
  toString = (): string => `wait(${JSON.stringify(this.items)}, +${this.deadline})`;
}

class Signal implements WCmd {
  constructor(
    readonly obj: number,
    readonly clear: Signals,
    readonly set: Signals,
  ) {}
  check = (): boolean => true;
  run(w: WaitWorld): void {
    const o = this.obj % w.objects.length;
    const object = w.objects[o]!;
    object.updateSignals(this.clear, this.set);
    const now = object.signals;
    w.complete("satisfied", (p) => {
      const i = p.items.findIndex((it) => it.object === o && (it.mask & now) !== 0);
      return i >= 0 ? i : null;
    });
    w.compare();
  }
  toString = (): string =>
    `signal(o${this.obj}, clear 0x${this.clear.toString(16)}, set 0x${this.set.toString(16)})`;
}

class Kill implements WCmd {
  constructor(readonly obj: number) {}
  check = (w: Readonly<WaitWorld>): boolean => w.objects.some((o) => o.alive);
  run(w: WaitWorld): void {
    const alive = w.objects.map((_, i) => i).filter((i) => w.objects[i]!.alive);
    const o = alive[this.obj % alive.length]!;
    w.objects[o]!.kill();
    w.complete("object-dead", (p) => {
      const i = p.items.findIndex((it) => it.object === o);
      return i >= 0 ? i : null;
    });
    w.compare();
  }
  toString = (): string => `kill(#${this.obj})`;
}

class Advance implements WCmd {
  constructor(readonly by: number) {}
  check = (): boolean => true;
  run(w: WaitWorld): void {
    const to = w.host.now() + this.by;
    const due = w.pending
      .filter((p) => p.deadline !== null && p.deadline <= to)
      .sort((a, b) => a.deadline! - b.deadline! || a.seq - b.seq);
    w.harness.advanceTo(to);
    if (w.host.now() !== to)
      throw new Error(
        `advanceTo(${to}) left now() at ${w.host.now()}: time must reach the target, pending timers or not`,
      );
    for (const p of due) {
      w.expected.push({ waiter: p.waiter, kind: "timed-out", index: -1 });
      w.pending.splice(w.pending.indexOf(p), 1);
    }
    w.compare();
  }
  toString = (): string => `advance(${this.by})`;
}

class Cancel implements WCmd {
  constructor(readonly pick: number) {}
  check = (w: Readonly<WaitWorld>): boolean => w.pending.length > 0;
  run(w: WaitWorld): void {
    const p = w.pending[this.pick % w.pending.length]!;
    const r = cancelWait(p.ticket);
    if (r?.kind !== "cancelled") throw new Error(`cancel: ${r?.kind ?? "null"}`);
    if (cancelWait(p.ticket) !== null) throw new Error("cancel twice: second cancel returned a result");
    w.pending.splice(w.pending.indexOf(p), 1);
    w.compare();
  }
  toString = (): string => `cancel(#${this.pick})`;
}

function params(opts: LawOptions, numRuns: number): fc.Parameters<unknown> {
  return { numRuns: opts.numRuns ?? numRuns, ...(opts.seed === undefined ? {} : { seed: opts.seed }) };
}

const maskArb = fc.oneof(
  fc.constantFrom(0x100, 0x200, 0x400, 1 << USER_SIGNALS_SHIFT),
  fc.nat().map((x) => x & SIGNAL_BITS),
);

/** The wait commands of the model law (exported for students' extra tests). */
export function waitCommands(): fc.Arbitrary<Iterable<WaitCommand>> {
  return fc.commands(
    [
      fc
        .tuple(
          fc.array(fc.tuple(fc.nat(5), maskArb), { minLength: 1, maxLength: 3 }),
          fc.option(fc.nat(40), { nil: null }),
        )
        .map(([items, d]) => new Wait(items, d) as WCmd),
      fc
        .tuple(
          fc.nat(5),
          fc.nat().map((x) => x & SIGNAL_BITS),
          maskArb,
        )
        .map(([o, c, s]) => new Signal(o, c, s)),
      fc
        .tuple(
          fc.nat(5),
          fc.nat().map((x) => x & SIGNAL_BITS),
        )
        .map(([o, c]) => new Signal(o, c, 0)),
      fc.nat(5).map((o) => new Kill(o)),
      fc.nat(30).map((d) => new Advance(d)),
      fc.nat(10).map((p) => new Cancel(p)),
    ],
    { size: "+1" },
  );
}

/**
 * The signal and wait laws against the host built by `factory`.
 * @example
 * ```ts
 * for (const law of waitLaws(() => { const h = new SimulatedWaitHost(); return { host: h, advanceTo: (t) => h.advanceTo(t) }; }))
 *   it(law.name, () => law.check());
 * ```
 */
export function waitLaws(factory: WaitHarnessFactory, opts: LawOptions = {}): Law[] {
  return [
    {
      name: "model: every waiter is woken exactly when its mask is satisfied, dies, or times out; none lost or doubled",
      check: () =>
        fc.assert(
          fc.property(waitCommands(), (cmds) => {
            fc.modelRun(() => {
              const w = new WaitWorld(factory());
              return { model: w, real: w };
            }, cmds);
          }),
          params(opts, 100),
        ),
    },
    {
      // The model law rarely gives two waits the same deadline, or more than two due in one step:
      // a host that keys its timers by deadline (a Map: the later one replaces the earlier, a
      // cancel drops both), breaks ties last-in first-out, or keeps a heap that is only ordered
      // among its first entries passes it. Here several waits share a few deadlines.
      name: "waits sharing deadlines time out in (deadline, registration) order; a cancel removes only its own timer",
      check: () =>
        fc.assert(
          fc.property(
            fc.array(fc.integer({ min: 1, max: 3 }), { minLength: 2, maxLength: 8 }),
            fc.array(fc.nat(7), { maxLength: 3 }),
            fc.integer({ min: 0, max: 3 }),
            (delays, cancels, firstStep) => {
              const cmds: WCmd[] = delays.map((d) => new Wait([[0, 0x100]], d));
              for (const c of cancels) cmds.push(new Cancel(c));
              // One step, or two: timers of one deadline, or of several, fall due together.
              cmds.push(new Advance(firstStep), new Advance(3));
              fc.modelRun(() => {
                const w = new WaitWorld(factory());
                return { model: w, real: w };
              }, cmds);
            },
          ),
          params(opts, 100),
        ),
    },
    {
      name: "a satisfied mask returns at once and registers nothing",
      check: () =>
        fc.assert(
          fc.property(maskArb, maskArb, (signals, mask) => {
            fc.pre((signals & mask) !== 0);
            const w = new WaitWorld(factory());
            const o = w.objects[0]!;
            o.assertSignals(signals);
            const r = objectWait(w.host, 1, o, mask, null);
            if (r.kind !== "satisfied" || r.observed[0] !== o.signals) throw new Error(`wait: ${r.kind}`);
            if (o.observerCount !== 0 || o.refCount !== 1)
              throw new Error("a satisfied wait left an observer or reference");
          }),
          params(opts, 100),
        ),
    },
    {
      name: "a deadline not after now times out at once; a later one fires exactly at the deadline",
      check: () =>
        fc.assert(
          fc.property(fc.nat(1000), fc.integer({ min: 1, max: 1000 }), (start, delay) => {
            const h = factory();
            h.advanceTo(start);
            const w = new WaitWorld(h);
            const o = w.objects[0]!;
            const poll = objectWait(w.host, 1, o, 0x100, w.host.now());
            if (poll.kind !== "timed-out") throw new Error(`poll: ${poll.kind}`);
            const r = objectWait(w.host, 2, o, 0x100, w.host.now() + delay);
            if (r.kind !== "blocked") throw new Error(`wait: ${r.kind}`);
            w.addPending({
              waiter: 2,
              items: [{ object: 0, mask: 0x100 }],
              deadline: start + delay,
              ticket: r.ticket,
            });
            h.advanceTo(start + delay - 1);
            if (!r.ticket.pending) throw new Error("timed out before the deadline");
            h.advanceTo(start + delay);
            if (r.ticket.result?.kind !== "timed-out") throw new Error("did not time out at the deadline");
            if (o.refCount !== 1 || o.observerCount !== 0)
              throw new Error("a timed-out wait kept its reference");
          }),
          params(opts, 100),
        ),
    },
  ];
}

/** Run every wait law; throws on the first violation, with the law's name first (see {@link runLaws}). */
export function runWaitLaws(factory: WaitHarnessFactory, opts: LawOptions = {}): void {
  runLaws(waitLaws(factory, opts));
}
