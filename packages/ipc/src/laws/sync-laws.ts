/**
 * Laws of notifications and futexes, runnable against any implementation over {@link IpcThreads}.
 *
 * - Notification, against a model (the pending word and the waiters in arrival order): a signal
 *   with waiters wakes exactly the oldest, which collects exactly the signalled bits; without
 *   waiters it ORs them into the word; a wait collects the whole word at once and leaves it 0, or
 *   blocks when it is 0; a zero signal changes nothing; a timed-out waiter leaves the queue. So no
 *   bit is lost, invented or delivered twice, and no waiter sleeps through a signal.
 * - Futex: a wait blocks exactly when the word equals the expected value as whole unsigned 32-bit
 *   words (0x100 is not 0; −1 is 0xFFFFFFFF); waiters on one physical address are woken oldest
 *   first, at most n per wake, never across addresses, and timeouts wake exactly the expired ones; and under every interleaving of a
 *   futex mutex (explored exhaustively) two threads exclude each other and neither sleeps forever.
 *
 * Related: `../notification/notification.ts`, `../futex/futex.ts`, `../explore/explorer.ts`.
 */
import { PhysicalMemory } from "@osbricks/hw-x86";
import fc from "fast-check";
import { IpcStatus, type ThreadId } from "../api.js";
import { IpcThreads } from "../core/threads.js";
import { explore, type Scenario, type ThreadProgram, type Trap } from "../explore/explorer.js";
import type { Futex, FutexMemory } from "../futex/futex.js";
import type { Notification } from "../notification/notification.js";
import { fcParams, type Law, type LawOptions } from "./law.js";
import { takeDue } from "./take-due.js";

/** What the notification laws use of a notification. */
export type NotificationUnderTest = Pick<Notification, "signal" | "wait" | "pending" | "checkInvariants">;

/** What the futex laws use of a futex table. */
export type FutexUnderTest = Pick<Futex, "wait" | "wake" | "waiters" | "checkInvariants">;

function rig(n: number) {
  const woken: Array<[ThreadId, IpcStatus]> = [];
  const threads = new IpcThreads({ maxThreads: n, waker: { wake: (t, s) => woken.push([t, s]) } });
  return { threads, woken };
}

/** One step of the notification law. */
type NoteOp = { readonly b: number } | { readonly w: number } | { readonly tick: number };

/** The notification laws. */
export function notificationLaws(
  factory: (threads: IpcThreads) => NotificationUnderTest,
  options: LawOptions = {},
): Law[] {
  const maxLength = options.maxSteps ?? 40;
  const hex = (x: number) => `0x${(x >>> 0).toString(16)}`;
  const opArb: fc.Arbitrary<NoteOp> = fc.oneof(
    { weight: 4, arbitrary: fc.nat(0xffff).map((b) => ({ b })) },
    { weight: 1, arbitrary: fc.constant({ b: 0 }) },
    { weight: 4, arbitrary: fc.nat(3).map((w) => ({ w })) },
    { weight: 1, arbitrary: fc.integer({ min: 1, max: 4 }).map((tick) => ({ tick })) },
  );
  return [
    {
      name: "notification: every signalled bit is collected exactly once — by the oldest waiter at once, else by the next wait — a zero signal changes nothing, and a timed-out waiter leaves the queue",
      check: () =>
        fc.assert(
          fc.property(
            fc.array(opArb, { maxLength, size: "max" }), // default size draws ~10 steps; "max" up to maxLength
            (ops) => {
              const { threads, woken } = rig(4);
              const note = factory(threads);
              // The model: the bits nobody collected yet, and the waiters in arrival order.
              let pending = 0;
              const queue: number[] = [];
              const deadline = new Map<number, number>();
              let now = 0;
              for (const op of ops) {
                woken.length = 0;
                if ("b" in op) {
                  const w = note.signal(op.b);
                  if (woken.length > 1) throw new Error(`signal(${hex(op.b)}) woke ${woken.length} threads`);
                  if (op.b === 0) {
                    if (w !== -1 || woken.length !== 0)
                      throw new Error(`signal(0) woke thread ${w}: a zero signal changes nothing`);
                  } else if (queue.length === 0) {
                    if (w !== -1 || woken.length !== 0)
                      throw new Error(`signal(${hex(op.b)}) woke thread ${w}, but nobody waits`);
                    pending |= op.b;
                  } else {
                    const oldest = queue.shift()!;
                    deadline.delete(oldest);
                    if (w === -1 || woken.length === 0)
                      throw new Error(
                        `signal(${hex(op.b)}) woke nobody while [${queue.join(",")}${queue.length > 0 ? "," : ""}${oldest}] wait: a waiter must collect it at once (lost wake-up)`,
                      );
                    if (w !== oldest || woken[0]![0] !== oldest)
                      throw new Error(
                        `signal(${hex(op.b)}) woke thread ${w}, not the oldest waiter ${oldest} (waiters are served in arrival order)`,
                      );
                    if (woken[0]![1] !== IpcStatus.Ok)
                      throw new Error(
                        `signal(${hex(op.b)}) woke thread ${w} with status ${woken[0]![1]}, not Ok`,
                      );
                    if (threads.word[w]! >>> 0 !== op.b >>> 0)
                      throw new Error(
                        `thread ${w} woken by signal(${hex(op.b)}) collected ${hex(threads.word[w]!)}`,
                      );
                  }
                } else if ("w" in op) {
                  if (threads.state[op.w] !== 0) continue;
                  const timeout = op.w % 2 === 0 ? 3 : Number.POSITIVE_INFINITY;
                  const st = note.wait(op.w, timeout);
                  if (pending !== 0) {
                    if (st !== IpcStatus.Ok)
                      throw new Error(
                        `wait(${op.w}) with ${hex(pending)} pending gave status ${st}: pending bits are collected at once, without blocking`,
                      );
                    if (threads.word[op.w]! >>> 0 !== pending >>> 0)
                      throw new Error(
                        `wait(${op.w}) collected ${hex(threads.word[op.w]!)}, pending was ${hex(pending)}`,
                      );
                    pending = 0;
                  } else {
                    if (st !== IpcStatus.Blocked)
                      throw new Error(
                        `wait(${op.w}) with nothing pending gave status ${st}, expected Blocked`,
                      );
                    queue.push(op.w);
                    deadline.set(op.w, now + timeout);
                  }
                } else {
                  now += op.tick;
                  const expired = [...deadline]
                    .filter(([, d]) => d <= now)
                    .sort((x, y) => x[1] - y[1] || x[0] - y[0]);
                  threads.advanceTo(now);
                  for (const [t] of expired) {
                    deadline.delete(t);
                    queue.splice(queue.indexOf(t), 1);
                  }
                  const got = JSON.stringify(woken);
                  const want = JSON.stringify(expired.map(([t]) => [t, IpcStatus.TimedOut]));
                  if (got !== want) throw new Error(`advance to ${now}: woke ${got}, expected ${want}`);
                }
                if (note.pending >>> 0 !== pending >>> 0)
                  throw new Error(
                    `pending ${hex(note.pending)} after ${JSON.stringify(op)}, model ${hex(pending)}${note.pending !== 0 && pending === 0 ? ": collected bits must leave the word (else they are delivered twice)" : ""}`,
                  );
                note.checkInvariants();
                threads.checkInvariants();
              }
            },
          ),
          fcParams(options),
        ),
    },
  ];
}

/** The futex laws. */
export function futexLaws(
  factory: (threads: IpcThreads, memory: FutexMemory) => FutexUnderTest,
  options: LawOptions = {},
): Law[] {
  const maxLength = options.maxSteps ?? 40;
  // Words that differ only above the low byte (0x100 and 0), and −1 passed for 0xFFFFFFFF: the
  // comparison is of whole unsigned 32-bit words.
  const valueArb = fc.oneof(
    { weight: 3, arbitrary: fc.nat(1) },
    { weight: 1, arbitrary: fc.constantFrom(0x100, 0xffff_ffff) },
  );
  const expectedArb = fc.oneof(
    { weight: 3, arbitrary: fc.constant(0) },
    { weight: 2, arbitrary: fc.constantFrom(1, 0x100, 0xffff_ffff, -1) },
  );
  const hex = (x: number) => `0x${(x >>> 0).toString(16)}`;
  return [
    {
      name: "futex: wait blocks only while the word holds the expected value; per-address FIFO wakes, at most n; timeouts wake exactly the expired waiters",
      check: () =>
        fc.assert(
          fc.property(
            fc.array(
              fc.oneof(
                fc.record({ wait: fc.nat(5), key: fc.nat(2), expected: expectedArb }),
                fc.record({ wake: fc.nat(2), n: fc.nat(3) }),
                fc.record({ tick: fc.integer({ min: 1, max: 4 }) }),
                fc.record({ set: fc.nat(2), value: valueArb }),
              ),
              { maxLength, size: "max" }, // default size draws ~10 steps; "max" up to maxLength
            ),
            (ops) => {
              const { threads, woken } = rig(6);
              const memory = new PhysicalMemory({ size: 1 << 16 });
              const futex = factory(threads, memory);
              const model = new Map<number, number[]>();
              const deadline = new Map<number, number>();
              let now = 0;
              const same = (a: unknown, b: unknown, what: string) => {
                if (JSON.stringify(a) !== JSON.stringify(b))
                  throw new Error(`${what}: got ${JSON.stringify(a)}, model ${JSON.stringify(b)}`);
              };
              for (const op of ops) {
                woken.length = 0;
                if ("set" in op) {
                  memory.write32(op.set * 4, op.value); // the word changes; waiters stay until woken
                } else if ("wait" in op) {
                  if (threads.state[op.wait] !== 0) continue;
                  const pa = op.key * 4;
                  const timeout = op.wait % 2 === 0 ? 3 : Number.POSITIVE_INFINITY;
                  const st = futex.wait(op.wait, pa, op.expected, timeout);
                  const word = memory.read32(pa);
                  const call = `wait(${op.wait}, word ${hex(word)}, expected ${op.expected === -1 ? "-1" : hex(op.expected)})`;
                  if (word >>> 0 !== op.expected >>> 0) {
                    // The word already moved on: blocking now could sleep through the wake-up.
                    same(st, IpcStatus.ValueMismatch, `${call}, the words differ`);
                    continue;
                  }
                  same(
                    st,
                    IpcStatus.Blocked,
                    `${call}, the same unsigned 32-bit word${op.expected === -1 ? " (−1 is 0xFFFFFFFF)" : ""}`,
                  );
                  model.set(pa, [...(model.get(pa) ?? []), op.wait]);
                  deadline.set(op.wait, now + timeout);
                } else if ("wake" in op) {
                  const pa = op.wake * 4;
                  const want = (model.get(pa) ?? []).splice(0, op.n);
                  same(futex.wake(pa, op.n), want.length, `wake(${pa}, ${op.n})`);
                  same(
                    woken.map(([t]) => t),
                    want,
                    `threads woken by wake(${pa}, ${op.n})`,
                  );
                } else {
                  now += op.tick;
                  const expired = takeDue(deadline, now);
                  for (const [t] of expired)
                    for (const q of model.values()) if (q.includes(t)) q.splice(q.indexOf(t), 1);
                  threads.advanceTo(now);
                  same(
                    woken,
                    expired.map(([t]) => [t, IpcStatus.TimedOut]),
                    `advance to ${now}`,
                  );
                }
                for (const [t] of woken) deadline.delete(t);
                for (const [pa, q] of model) same(futex.waiters(pa), q.length, `waiters(${pa})`);
                futex.checkInvariants();
                threads.checkInvariants();
              }
            },
          ),
          fcParams(options),
        ),
    },
    {
      name: "futex: a futex mutex excludes and never loses a wake-up, under every interleaving of 2 threads",
      check: () => {
        explore(futexMutexScenario(factory));
      },
    },
  ];
}

const LOCK = 0x1000;
const COUNTER = 0x2000;

/**
 * Drepper's futex mutex ("Futexes Are Tricky", mutex 2: 0 free, 1 locked, 2 contended), two
 * threads each doing lock / non-atomic increment / unlock, one scheduling point per memory access.
 */
export function futexMutexScenario(
  factory: (threads: IpcThreads, memory: FutexMemory) => FutexUnderTest,
): Scenario<{ mem: PhysicalMemory; futex: FutexUnderTest }> {
  const user =
    (f: () => void): Trap =>
    () => {
      f();
      return IpcStatus.Ok;
    };
  return {
    name: "futex mutex, 2 threads",
    threads: 2,
    setup: (threads) => {
      const mem = new PhysicalMemory({ size: 1 << 16 });
      return { mem, futex: factory(threads, mem) };
    },
    *program({ mem, futex }, t): ThreadProgram {
      const xchg = (v: number) => {
        const old = mem.read32(LOCK);
        mem.write32(LOCK, v);
        return old;
      };
      let c = 0;
      yield user(() => {
        c = mem.read32(LOCK);
        if (c === 0) mem.write32(LOCK, 1);
      });
      if (c !== 0) {
        if (c !== 2) yield user(() => (c = xchg(2)));
        while (c !== 0) {
          yield () => {
            const st = futex.wait(t, LOCK, 2);
            return st === IpcStatus.ValueMismatch ? IpcStatus.Ok : st;
          };
          yield user(() => (c = xchg(2)));
        }
      }
      let v = 0;
      yield user(() => (v = mem.read32(COUNTER)));
      yield user(() => mem.write32(COUNTER, v + 1));
      let old = 0;
      yield user(() => {
        old = mem.read32(LOCK);
        mem.write32(LOCK, old - 1);
      });
      if (old !== 1) {
        yield user(() => mem.write32(LOCK, 0));
        yield user(() => void futex.wake(LOCK, 1));
      }
    },
    check({ mem, futex }, outcome) {
      if (!outcome.finished.every(Boolean))
        throw new Error("a thread never finished (deadlock or lost wake-up)");
      if (mem.read32(COUNTER) !== 2)
        throw new Error(`counter ${mem.read32(COUNTER)}: the critical sections overlapped`);
      futex.checkInvariants();
    },
  };
}
