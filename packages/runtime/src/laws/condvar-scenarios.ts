/**
 * The scenarios of the condition-variable laws (`condvar-laws.ts`, whose banner draws each one):
 * the bounded buffer and the sleepers — their shapes, the runners that play them under a
 * simulated kernel with a given {@link CondVar}, what a correct run leaves, the arbitrary of
 * buffer scenarios — and the kernel they share. Exported so that a student can replay the
 * counterexample a law printed, step by step. The signal-window scenario, built to land a burst
 * in one waiter's window, has its own file (`condvar-signal-window.ts`).
 *
 * Related: `condvar-laws.ts` (the laws over these runs), `scenario-kernel.ts` (the kernel),
 * `../sync/condvar-api.ts`.
 */
import { compute, libc, mem, type UserCode } from "@osbricks/kernel";
import fc from "fast-check";
import type { CondVar } from "../sync/condvar-api.js";
import { mutexLock, mutexUnlock } from "../sync/mutex.js";
import type { Pthread } from "../thread/pthread.js";
import { runScenarioKernel } from "./scenario-kernel.js";

/** The shape of one bounded-buffer scenario. */
export interface BufferScenario {
  /** Producer/consumer pairs, 1..3. */
  readonly pairs: number;
  /** Items each producer puts (and each consumer takes). */
  readonly items: number;
  /** Buffer slots, 1..4 (1 makes every put wait for a take). */
  readonly slots: number;
  readonly cpus: number;
  readonly tick: number;
  /** Most cycles of work between two operations (varied per item, so CPUs drift against each other). */
  readonly jitter: number;
  readonly seed: number;
}

/** What a bounded-buffer run observed. */
export interface BufferRun {
  readonly outcome: string;
  /** Items taken, and the sum of their values (each value is unique). */
  readonly taken: number;
  readonly sum: number;
  /** Returns from `wait` without the mutex held again, and overlaps inside it (expected 0). */
  readonly violations: number;
  readonly crashes: readonly string[];
}

/**
 * The "who holds the mutex" watch both scenarios keep: `holder` is a word of simulated memory
 * that a thread sets to its tid right after it takes `m` (by `mutexLock` or by returning from
 * `wait`) and clears right before it lets `m` go (`mutexUnlock` or `wait`). Taking `m` while its
 * lock word (`MutexLayout.LOCK`, 0 when free) is 0, or while another thread is marked, is a
 * violation: POSIX's pthread_cond_wait returns "with the mutex locked and owned by the calling
 * thread", and a `wait` that forgets to retake it shows here, not only as a corrupted buffer.
 */
function holderWatch(m: number, holder: number, onViolation: () => void) {
  return {
    *took(t: Pthread): UserCode<void> {
      if ((yield* mem.load32(m)) === 0 || (yield* mem.load32(holder)) !== 0) onViolation();
      yield* mem.store32(holder, t.tid);
    },
    *leaving(t: Pthread): UserCode<void> {
      if ((yield* mem.load32(holder)) !== t.tid) onViolation();
      yield* mem.store32(holder, 0);
    },
  };
}

/** The sum a correct run takes: producer p puts the values p·1000 + 1 … p·1000 + items. */
export function expectedBufferSum(s: BufferScenario): number {
  let sum = 0;
  for (let p = 0; p < s.pairs; p++) sum += p * 1000 * s.items + (s.items * (s.items + 1)) / 2;
  return sum;
}

/**
 * Boot the condition-variable laws' kernel (init named "cond-law", at most 2,000,000 steps) for a
 * scenario's machine and run `main` to its end. Shared with `condvar-signal-window.ts`; not part
 * of the package's exports (`index.ts` names this file's exports one by one).
 */
export function bootCondVarScenario(
  main: (self: Pthread) => UserCode<number>,
  cpus: number,
  tick: number,
  seed: number,
  memoryCost?: number,
) {
  return runScenarioKernel("cond-law", { cpus, tick, seed, memoryCost }, 2_000_000, main);
}

/**
 * Run one bounded-buffer scenario with `cv` for both conditions.
 * @example
 * ```ts
 * runBufferScenario(nptlCondVar, { pairs: 2, items: 10, slots: 1, cpus: 2, tick: 300, jitter: 50, seed: 1 }).outcome; // "all-exited"
 * ```
 */
export function runBufferScenario(cv: CondVar, s: BufferScenario): BufferRun {
  let taken = 0;
  let sum = 0;
  let violations = 0;
  const cvBytes = Math.ceil(cv.size / 8) * 8;
  const r = bootCondVarScenario(
    function* (self) {
      const base = yield* libc.sbrk(16 + 2 * cvBytes + 16 + 4 * s.slots);
      const m = base;
      const notFull = base + 16;
      const notEmpty = notFull + cvBytes;
      const count = notEmpty + cvBytes;
      const head = count + 4;
      const tail = count + 8;
      const held = holderWatch(m, count + 12, () => void violations++);
      const slots = count + 16;
      // Deterministic per-item work: (i · 7919 + salt) mod (jitter + 1) cycles.
      const work = function* (i: number, salt: number): UserCode<void> {
        if (s.jitter > 0) yield* compute((i * 7919 + salt) % (s.jitter + 1));
      };
      const producer = function* (t: Pthread, p: number): UserCode<number> {
        for (let i = 1; i <= s.items; i++) {
          yield* work(i, p * 31);
          yield* mutexLock(t, m);
          yield* held.took(t);
          while ((yield* mem.load32(count)) === s.slots) {
            yield* held.leaving(t);
            yield* cv.wait(t, notFull, m);
            yield* held.took(t);
          }
          const tl = yield* mem.load32(tail);
          yield* mem.store32(slots + 4 * tl, p * 1000 + i);
          yield* mem.store32(tail, (tl + 1) % s.slots);
          yield* mem.store32(count, (yield* mem.load32(count)) + 1);
          if (i % 2 === 0) yield* cv.broadcast(t, notEmpty);
          else yield* cv.signal(t, notEmpty);
          yield* held.leaving(t);
          yield* mutexUnlock(t, m);
        }
        return 0;
      };
      const consumer = function* (t: Pthread, q: number): UserCode<number> {
        for (let i = 0; i < s.items; i++) {
          yield* work(i, q * 17 + 5);
          yield* mutexLock(t, m);
          yield* held.took(t);
          while ((yield* mem.load32(count)) === 0) {
            yield* held.leaving(t);
            yield* cv.wait(t, notEmpty, m);
            yield* held.took(t);
          }
          const h = yield* mem.load32(head);
          sum += yield* mem.load32(slots + 4 * h);
          taken++;
          yield* mem.store32(head, (h + 1) % s.slots);
          yield* mem.store32(count, (yield* mem.load32(count)) - 1);
          if (i % 2 === 1) yield* cv.broadcast(t, notFull);
          else yield* cv.signal(t, notFull);
          yield* held.leaving(t);
          yield* mutexUnlock(t, m);
        }
        return 0;
      };
      const ts: number[] = [];
      for (let p = 0; p < s.pairs; p++) {
        ts.push((yield* self.create(producer, p)).thread);
        ts.push((yield* self.create(consumer, p)).thread);
      }
      for (const t of ts) yield* self.join(t);
      return 0;
    },
    s.cpus,
    s.tick,
    s.seed,
  );
  return { ...r, taken, sum, violations };
}

/** What a sleepers run observed: waiters gone after each of the k signals, then after the broadcast. */
export interface SleepersRun {
  readonly outcome: string;
  readonly leftAfterSignal: readonly number[];
  readonly leftAfterBroadcast: number;
  /** Returns from `wait` without the mutex held again, and overlaps inside it (expected 0). */
  readonly violations: number;
  readonly crashes: readonly string[];
}

/**
 * `n` threads wait on `cv` until a permit is theirs; main hands out `k` permits, one signal each,
 * then releases everyone with a broadcast. Waiters are counted as they leave.
 */
export function runSleepers(cv: CondVar, n: number, k: number, seed = 1): SleepersRun {
  let waiting = 0;
  let left = 0;
  const leftAfterSignal: number[] = [];
  let leftAfterBroadcast = -1;
  let violations = 0;
  const settle = function* (self: Pthread, rounds: number): UserCode<void> {
    for (let i = 0; i < rounds; i++) {
      yield* self.yield();
      yield* compute(300);
    }
  };
  const r = bootCondVarScenario(
    function* (self) {
      const cvBytes = Math.ceil(cv.size / 8) * 8;
      const base = yield* libc.sbrk(16 + cvBytes + 16);
      const m = base;
      const c = base + 16;
      const permits = c + cvBytes; // how many waiters may leave
      const all = permits + 4; // 1: everyone may leave
      const held = holderWatch(m, permits + 8, () => void violations++);
      const ts: number[] = [];
      for (let i = 0; i < n; i++) {
        const t = yield* self.create(function* (t: Pthread): UserCode<number> {
          yield* mutexLock(t, m);
          yield* held.took(t);
          waiting++;
          for (;;) {
            if ((yield* mem.load32(all)) === 1) break;
            const p = yield* mem.load32(permits);
            if (p > 0) {
              yield* mem.store32(permits, p - 1);
              break;
            }
            yield* held.leaving(t);
            yield* cv.wait(t, c, m);
            yield* held.took(t);
          }
          left++;
          yield* held.leaving(t);
          yield* mutexUnlock(t, m);
          return 0;
        });
        ts.push(t.thread);
      }
      while (waiting < n) yield* settle(self, 1);
      yield* settle(self, 10);
      for (let i = 0; i < k; i++) {
        yield* mutexLock(self, m);
        yield* held.took(self);
        yield* mem.store32(permits, (yield* mem.load32(permits)) + 1);
        yield* cv.signal(self, c);
        yield* held.leaving(self);
        yield* mutexUnlock(self, m);
        yield* settle(self, 10);
        leftAfterSignal.push(left);
      }
      yield* mutexLock(self, m);
      yield* held.took(self);
      yield* mem.store32(all, 1);
      yield* cv.broadcast(self, c);
      yield* held.leaving(self);
      yield* mutexUnlock(self, m);
      for (const t of ts) yield* self.join(t);
      leftAfterBroadcast = left;
      return 0;
    },
    1,
    1000,
    seed,
  );
  return { ...r, leftAfterSignal, leftAfterBroadcast, violations };
}

/** fast-check arbitrary of bounded-buffer scenarios. */
export function bufferScenarioArb(): fc.Arbitrary<BufferScenario> {
  const shape = {
    pairs: fc.integer({ min: 1, max: 3 }),
    items: fc.integer({ min: 1, max: 30 }),
    slots: fc.integer({ min: 1, max: 4 }),
    jitter: fc.integer({ min: 0, max: 200 }),
    seed: fc.integer({ min: 1, max: 0x7fff_ffff }),
  };
  return fc.oneof(
    // One CPU whose quantum (10 ticks: 300..500 cycles) barely exceeds the 300-cycle context
    // switch: every thread runs a few traps per slice, so a preemption often falls between a
    // waiter's unlock and its sleep, the window a lost wakeup needs (measured: about 1 run in 10
    // of a signal that does not change the word deadlocks here, 1 in 300 elsewhere).
    fc.record({ ...shape, cpus: fc.constant(1), tick: fc.integer({ min: 30, max: 50 }) }),
    fc.record({
      ...shape,
      cpus: fc.integer({ min: 1, max: 3 }),
      tick: fc.oneof(fc.integer({ min: 10, max: 40 }), fc.integer({ min: 40, max: 3000 })),
    }),
  );
}
