/**
 * Laws of notifications and futexes, runnable against any implementation over {@link IpcThreads}.
 *
 * - Notification: no bit is lost or invented (the OR of all signals equals the OR of all
 *   collections plus what is pending), and a signal wakes at most one waiter.
 * - Futex: waiters on one physical address are woken oldest first, at most n per wake, never across
 *   addresses, and timeouts wake exactly the expired ones; and under every interleaving of a
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

/** What the notification laws use of a notification. */
export type NotificationUnderTest = Pick<Notification, "signal" | "wait" | "pending" | "checkInvariants">;

/** What the futex laws use of a futex table. */
export type FutexUnderTest = Pick<Futex, "wait" | "wake" | "waiters" | "checkInvariants">;

function rig(n: number) {
  const woken: Array<[ThreadId, IpcStatus]> = [];
  const threads = new IpcThreads({ maxThreads: n, waker: { wake: (t, s) => woken.push([t, s]) } });
  return { threads, woken };
}

/** The notification laws. */
export function notificationLaws(
  factory: (threads: IpcThreads) => NotificationUnderTest,
  options: LawOptions = {},
): Law[] {
  const maxLength = options.maxSteps ?? 40;
  return [
    {
      name: "notification: no bit is lost or invented, and each signal wakes at most one waiter",
      check: () =>
        fc.assert(
          fc.property(
            fc.array(
              fc.oneof(
                fc.nat(0xffff).map((b) => ({ b })),
                fc.nat(3).map((w) => ({ w })),
              ),
              { maxLength, size: "max" }, // default size draws ~10 steps; "max" up to maxLength
            ),
            (ops) => {
              const { threads, woken } = rig(4);
              const note = factory(threads);
              let signalled = 0;
              let collected = 0;
              for (const op of ops) {
                woken.length = 0;
                if ("b" in op) {
                  signalled |= op.b;
                  const w = note.signal(op.b);
                  if (woken.length > 1) throw new Error(`signal(${op.b}) woke ${woken.length} threads`);
                  if (w >= 0) collected |= threads.word[w]!;
                } else if (threads.state[op.w] === 0) {
                  if (note.wait(op.w) === IpcStatus.Ok) collected |= threads.word[op.w]!;
                }
                note.checkInvariants();
                threads.checkInvariants();
              }
              if ((collected | note.pending) >>> 0 !== signalled >>> 0) {
                throw new Error(
                  `signalled 0x${signalled.toString(16)}, collected 0x${collected.toString(16)} + pending 0x${note.pending.toString(16)}`,
                );
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
  return [
    {
      name: "futex: wait blocks only while the word holds the expected value; per-address FIFO wakes, at most n; timeouts wake exactly the expired waiters",
      check: () =>
        fc.assert(
          fc.property(
            fc.array(
              fc.oneof(
                fc.record({ wait: fc.nat(5), key: fc.nat(2) }),
                fc.record({ wake: fc.nat(2), n: fc.nat(3) }),
                fc.record({ tick: fc.integer({ min: 1, max: 4 }) }),
                fc.record({ set: fc.nat(2), value: fc.nat(1) }),
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
                  const st = futex.wait(op.wait, pa, 0, timeout);
                  if (memory.read32(pa) !== 0) {
                    // The word already moved on: blocking now could sleep through the wake-up.
                    same(
                      st,
                      IpcStatus.ValueMismatch,
                      `wait(${op.wait}, word ${memory.read32(pa)}, expected 0)`,
                    );
                    continue;
                  }
                  same(st, IpcStatus.Blocked, `wait(${op.wait})`);
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
                  const expired = [...deadline]
                    .filter(([, d]) => d <= now)
                    .sort((a, b) => a[1] - b[1] || a[0] - b[0]);
                  for (const [t] of expired) {
                    deadline.delete(t);
                    for (const q of model.values()) if (q.includes(t)) q.splice(q.indexOf(t), 1);
                  }
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
