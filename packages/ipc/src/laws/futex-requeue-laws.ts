/**
 * The law of futex requeue (Linux FUTEX_REQUEUE and, when the implementation has it,
 * FUTEX_CMP_REQUEUE), runnable against any futex over {@link IpcThreads}.
 *
 * A requeue is how a condition variable's broadcast avoids the thundering herd: it wakes one
 * waiter and moves the others onto the mutex's word, where each is woken by an unlock in turn.
 * The law holds an implementation to a model of per-address FIFO queues:
 *
 * ```
 *   before:  from [a b c d]   to [x]        requeue(from, to, wake 1, move 2)
 *   after:   from [d]         to [x b c]    a woken with Ok; b, c still blocked, behind x
 * ```
 *
 * - the oldest `wake` waiters of `from` are woken with Ok, the next `move` are moved to the tail
 *   of `to`'s queue in their order, still blocked, and the rest stay on `from`; the returned
 *   counts say so (a requeue of a word onto itself moves nobody anywhere; its count is not
 *   judged, as Linux counts them and ours does not);
 * - from then on a moved waiter belongs to `to`: a wake of `to` reaches it in queue order, a wake
 *   of `from` never does, and its timeout takes it off `to`;
 * - `cmpRequeue(…, expected)`, if present, does exactly that when the word at `from` holds
 *   `expected` (whole unsigned 32-bit words), and otherwise wakes and moves nobody and returns
 *   ValueMismatch.
 *
 * Mistakes it rejects (`test/sync-laws.test.ts` plants each): a requeue that wakes the moved
 * waiters too, one that moves the newest waiters first, one that forgets a moved waiter's new
 * word (its timeout then unlinks it from the old word's queue), a cmpRequeue that ignores the word.
 *
 * Related: `sync-laws.ts` (wait and wake), `../futex/futex.ts`.
 */
import { PhysicalMemory } from "@osbricks/hw-x86";
import fc from "fast-check";
import { IpcStatus, type ThreadId } from "../api.js";
import { IpcThreads } from "../core/threads.js";
import type { Futex, FutexMemory } from "../futex/futex.js";
import { fcParams, type Law, type LawOptions } from "./law.js";
import type { FutexUnderTest } from "./sync-laws.js";
import { takeDue } from "./take-due.js";

/**
 * What the requeue law uses of a futex table: wait, wake and requeue, and cmpRequeue if the
 * implementation has one (the law then draws it too).
 */
export type FutexRequeueUnderTest = FutexUnderTest &
  Pick<Futex, "requeue"> &
  Partial<Pick<Futex, "cmpRequeue">>;

/** One step of the requeue law. */
type RequeueOp =
  | { readonly wait: number; readonly key: number; readonly timed: boolean }
  | { readonly wake: number; readonly n: number }
  | {
      readonly from: number;
      readonly to: number;
      readonly w: number;
      readonly m: number;
      /** null: plain requeue; a number: cmpRequeue with that expected value. */
      readonly expected: number | null;
    }
  | { readonly set: number; readonly value: number }
  | { readonly tick: number };

/** The futex requeue law (see the file banner). */
export function futexRequeueLaws(
  factory: (threads: IpcThreads, memory: FutexMemory) => FutexRequeueUnderTest,
  options: LawOptions = {},
): Law[] {
  const maxLength = options.maxSteps ?? 40;
  const THREADS = 6;
  const KEYS = 3;
  const TIMEOUT = 3;
  return [
    {
      name: "futex requeue: wakes the oldest w of from, moves the next m in order to the tail of to, still blocked; a moved waiter is woken, counted and timed out on its new word only; cmpRequeue moves nobody unless the word holds the expected value",
      check: () =>
        fc.assert(
          fc.property(
            fc.boolean(),
            fc.array(
              fc.oneof(
                {
                  weight: 4,
                  arbitrary: fc.record({
                    wait: fc.nat(THREADS - 1),
                    key: fc.nat(KEYS - 1),
                    timed: fc.boolean(),
                  }),
                },
                { weight: 1, arbitrary: fc.record({ wake: fc.nat(KEYS - 1), n: fc.nat(3) }) },
                {
                  weight: 3,
                  arbitrary: fc.record({
                    from: fc.nat(KEYS - 1),
                    to: fc.nat(KEYS - 1),
                    w: fc.nat(2),
                    m: fc.nat(3),
                    expected: fc.option(fc.constantFrom(0, 1, 0x100, -1), { nil: null }),
                  }),
                },
                {
                  weight: 1,
                  arbitrary: fc.record({
                    set: fc.nat(KEYS - 1),
                    value: fc.constantFrom(0, 1, 0x100, 0xffff_ffff),
                  }),
                },
                { weight: 1, arbitrary: fc.record({ tick: fc.integer({ min: 1, max: 4 }) }) },
              ),
              { maxLength, size: "max" },
            ),
            (withCmp, ops: RequeueOp[]) => {
              const woken: Array<[ThreadId, IpcStatus]> = [];
              const threads = new IpcThreads({
                maxThreads: THREADS,
                waker: { wake: (t, s) => woken.push([t, s]) },
              });
              const memory = new PhysicalMemory({ size: 1 << 16 });
              const futex = factory(threads, memory);
              const cmp = withCmp && futex.cmpRequeue !== undefined;
              const queues: number[][] = Array.from({ length: KEYS }, () => []);
              const deadline = new Map<number, number>();
              let now = 0;
              const same = (a: unknown, b: unknown, what: string) => {
                if (JSON.stringify(a) !== JSON.stringify(b))
                  throw new Error(`${what}: got ${JSON.stringify(a)}, model ${JSON.stringify(b)}`);
              };
              const shown = () => `queues ${JSON.stringify(queues)}`;
              for (const op of ops) {
                woken.length = 0;
                if ("wait" in op) {
                  if (threads.state[op.wait] !== 0) continue;
                  const pa = op.key * 4;
                  const word = memory.read32(pa);
                  const st = futex.wait(op.wait, pa, word, op.timed ? TIMEOUT : Number.POSITIVE_INFINITY);
                  same(st, IpcStatus.Blocked, `wait(${op.wait}, key ${op.key}) on its current word`);
                  queues[op.key]!.push(op.wait);
                  if (op.timed) deadline.set(op.wait, now + TIMEOUT);
                } else if ("wake" in op) {
                  const want = queues[op.wake]!.splice(0, op.n);
                  const before = shown();
                  same(
                    futex.wake(op.wake * 4, op.n),
                    want.length,
                    `wake(key ${op.wake}, ${op.n}), ${before}`,
                  );
                  same(
                    woken.map(([t]) => t),
                    want,
                    `threads woken by wake(key ${op.wake}, ${op.n}), ${before}`,
                  );
                } else if ("from" in op) {
                  const before = shown();
                  const word = memory.read32(op.from * 4) >>> 0;
                  const useCmp = cmp && op.expected !== null;
                  const call = useCmp
                    ? `cmpRequeue(key ${op.from} → key ${op.to}, wake ${op.w}, move ${op.m}, expected ${op.expected}) with word 0x${word.toString(16)}, ${before}`
                    : `requeue(key ${op.from} → key ${op.to}, wake ${op.w}, move ${op.m}), ${before}`;
                  if (useCmp && word !== op.expected! >>> 0) {
                    const r = futex.cmpRequeue!(op.from * 4, op.to * 4, op.w, op.m, op.expected!);
                    same([r.status, r.woken, r.moved], [IpcStatus.ValueMismatch, 0, 0], call);
                    same(woken, [], `threads woken by ${call}`);
                  } else {
                    const q = queues[op.from]!;
                    const wantWoken = q.splice(0, op.w);
                    const wantMoved = op.from === op.to ? [] : q.splice(0, op.m);
                    queues[op.to]!.push(...wantMoved);
                    const r = useCmp
                      ? futex.cmpRequeue!(op.from * 4, op.to * 4, op.w, op.m, op.expected!)
                      : { status: IpcStatus.Ok, ...futex.requeue(op.from * 4, op.to * 4, op.w, op.m) };
                    same(r.status, IpcStatus.Ok, `status of ${call}`);
                    same(r.woken, wantWoken.length, `woken count of ${call}`);
                    if (op.from !== op.to) same(r.moved, wantMoved.length, `moved count of ${call}`);
                    same(
                      woken,
                      wantWoken.map((t) => [t, IpcStatus.Ok]),
                      `threads woken by ${call} (moved waiters stay blocked)`,
                    );
                  }
                } else if ("set" in op) {
                  memory.write32(op.set * 4, op.value);
                } else {
                  now += op.tick;
                  const expired = takeDue(deadline, now);
                  for (const [t] of expired)
                    for (const q of queues) if (q.includes(t)) q.splice(q.indexOf(t), 1);
                  threads.advanceTo(now);
                  same(
                    woken,
                    expired.map(([t]) => [t, IpcStatus.TimedOut]),
                    `advance to ${now}`,
                  );
                }
                for (const [t] of woken) deadline.delete(t);
                queues.forEach((q, key) => {
                  same(futex.waiters(key * 4), q.length, `waiters(key ${key})`);
                });
                futex.checkInvariants();
                threads.checkInvariants();
              }
              // Drain: every queue wakes in the model's order, so a waiter on the wrong word or
              // in the wrong place shows even if the counts agreed.
              queues.forEach((q, key) => {
                woken.length = 0;
                futex.wake(key * 4, THREADS);
                same(
                  woken.map(([t]) => t),
                  q,
                  `draining key ${key}`,
                );
              });
            },
          ),
          fcParams(options),
        ),
    },
  ];
}
