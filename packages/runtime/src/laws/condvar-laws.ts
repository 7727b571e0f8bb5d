/**
 * Laws of a {@link CondVar}, run under a real simulated kernel with this library's mutex.
 *
 * ```
 *   bounded buffer (fast-check draws pairs, items, slots, CPUs, tick, seed):
 *     P producers put n items each; P consumers take n each; slots ∈ 1..4
 *     put:  lock; while full:  wait(notFull);  store; signal(notEmpty); unlock
 *     take: lock; while empty: wait(notEmpty); load;  signal(notFull);  unlock
 *     (every second put and take broadcasts instead of signalling: a broadcast must not lose a
 *     wakeup either)
 *   laws: the run ends "all-exited" with every item taken exactly once   (no lost wakeup)
 *
 *   sleepers (fast-check draws n sleepers and k signals):
 *     n threads wait (each in a `while (!released)` loop, as POSIX asks); once all sleep,
 *     main releases one permit and signals, k times; then releases all and broadcasts
 *   laws: after each signal one more waiter has left (a signal reaches a sleeper);
 *         after the broadcast every waiter leaves
 *
 *   in both: a thread that returns from wait holds the mutex again (its lock word is taken and
 *   no other thread is marked inside), as POSIX's pthread_cond_wait promises
 *
 *   signal window (fast-check draws tick, memory cost, burst ∈ {2, 4, 8}), one CPU, episodes:
 *     W: compute(x); lock; while (!flag) wait; unlock      x = 0, 5, 10, … across a quantum
 *     G: once W is in: lock; flag = 1; unlock; signal × burst
 *   law: every episode ends (a burst in W's window, between its read of the word and its sleep,
 *        must not bring a sequence word back to the value W read: no wrap at 2, 4 or 8)
 * ```
 *
 * **Power.** A lost wakeup needs a preemption (or another CPU) in the one trap boundary between a
 * waiter's unlock and its sleep. Half the scenarios run on one CPU with ticks of 30..50 cycles,
 * where a thread gets only a few traps per slice after the 300-cycle context switch and such a
 * preemption is common; the other half spread over 1..3 CPUs and ticks of 10..3000. Measured with
 * the default 50 runs, seeds 1..12: a signal that does not change the word is caught for 11 seeds,
 * a broadcast that does not for 12, both together for 10 (before the one-CPU half, 1 scenario in
 * 300 deadlocked and 3 seeds in 12 caught it; before every second notification was a broadcast,
 * the lossy broadcast passed). Neither scenario lands several signals in one waiter's window, so
 * a sequence word that wraps at 2 or 4 passed both (seeds 1..3); the window law, which sweeps the
 * waiter's head start until the quantum ends right after its unlock, catches each for 6 seeds in
 * 6. A word that wraps at 256 would need 256 signals inside one quantum: not drawn.
 * `test/condvar-laws.test.ts` pins a seed for each.
 *
 * Related: `../sync/condvar-api.ts`, `lock-laws.ts` (the same shape for locks), `law.ts`.
 */
import { compute, libc, mem, type UserCode } from "@osbricks/kernel";
import fc from "fast-check";
import type { CondVar } from "../sync/condvar-api.js";
import { futexWait, futexWake } from "../sync/lll.js";
import { mutexLock, mutexUnlock } from "../sync/mutex.js";
import type { Pthread } from "../thread/pthread.js";
import { fcParams, type Law, type LawOptions } from "./law.js";
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

function boot(
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
  const r = boot(
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
  const r = boot(
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

/** The shape of one signal-window scenario (see {@link runSignalWindow}). */
export interface WindowScenario {
  /** Timer period in cycles; the quantum is 10 ticks. */
  readonly tick: number;
  /** Cycles one user memory access costs. */
  readonly memoryCost: number;
  /** Signals the signaller sends back to back, once the waiter is on its way to sleep. */
  readonly burst: number;
}

/** What a signal-window run observed. */
export interface WindowRun {
  /** "all-exited", or "deadlock" when a waiter slept through the burst. */
  readonly outcome: string;
  /** Episodes started (the last one is where a waiter was stranded, if any). */
  readonly episodes: number;
  readonly crashes: readonly string[];
}

/** Step, in cycles, of the waiter's head start from one episode to the next. */
const WINDOW_STEP = 5;

/**
 * A burst of signals aimed at a waiter's window: between its read of the condition variable and
 * its sleep. Each episode has a fresh waiter W and signaller G on one CPU:
 *
 * ```
 *   G: sleep until W has arrived; lock; flag = 1; unlock; signal × burst; exit
 *   W: compute(x); lock; arrived = 1, wake G; while (!flag) wait; unlock; exit
 * ```
 *
 * G is ready from W's arrival on but runs only when W's quantum ends. Episode after episode, the
 * head start x grows by 5 cycles across a whole quantum, so the quantum ends at every trap of W's
 * way into `wait` in turn, the trap after the mutex is released included. When it ends there, G's
 * whole burst lands before W sleeps: a sequence word that wraps at `burst` (or a divisor of it)
 * is back at the value W read, W sleeps on it, nothing wakes it, and the run deadlocks. A correct
 * condition variable notices the burst and W leaves.
 */
export function runSignalWindow(cv: CondVar, s: WindowScenario): WindowRun {
  let episodes = 0;
  const r = boot(
    function* (self) {
      const cvBytes = Math.ceil(cv.size / 8) * 8;
      const base = yield* libc.sbrk(16 + cvBytes + 16);
      const m = base;
      const c = base + 16;
      const flag = c + cvBytes; // 1: W may leave
      const arrived = flag + 4; // 1: W holds the mutex and is about to wait (G may go)
      // One function each for all episodes (the head start is an argument): every distinct
      // function a program starts takes a slot of its text image.
      const signaller = function* (t: Pthread): UserCode<number> {
        while ((yield* mem.load32(arrived)) === 0) yield* futexWait(arrived, 0);
        yield* mutexLock(t, m);
        yield* mem.store32(flag, 1);
        yield* mutexUnlock(t, m);
        for (let i = 0; i < s.burst; i++) yield* cv.signal(t, c);
        return 0;
      };
      const waiter = function* (t: Pthread, x: number): UserCode<number> {
        if (x > 0) yield* compute(x);
        yield* mutexLock(t, m);
        yield* mem.store32(arrived, 1);
        yield* futexWake(arrived, 1);
        while ((yield* mem.load32(flag)) === 0) yield* cv.wait(t, c, m);
        yield* mutexUnlock(t, m);
        return 0;
      };
      for (let x = 0; x < 10 * s.tick + 400; x += WINDOW_STEP) {
        episodes++;
        yield* mem.store32(flag, 0);
        yield* mem.store32(arrived, 0);
        const g = yield* self.create(signaller);
        const w = yield* self.create(waiter, x);
        yield* self.join(g.thread);
        yield* self.join(w.thread);
      }
      return 0;
    },
    1,
    s.tick,
    1,
    s.memoryCost,
  );
  return { ...r, episodes };
}

/** fast-check arbitrary of signal-window scenarios. */
export function windowScenarioArb(): fc.Arbitrary<WindowScenario> {
  return fc.record({
    tick: fc.integer({ min: 100, max: 300 }),
    memoryCost: fc.integer({ min: 20, max: 60 }),
    burst: fc.constantFrom(2, 4, 8),
  });
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

/**
 * The laws every {@link CondVar} must obey (see the banner).
 * @example
 * ```ts
 * for (const law of condVarLaws(() => myCondVar)) it(law.name, () => law.check());
 * ```
 */
export function condVarLaws(factory: () => CondVar, options: LawOptions = {}): Law[] {
  const params = fcParams(options);
  const name = factory().name;
  return [
    {
      name: `${name}: no lost wakeup — a bounded buffer with every item taken exactly once finishes`,
      check: () =>
        fc.assert(
          fc.property(bufferScenarioArb(), (s) => {
            const r = runBufferScenario(factory(), s);
            const total = s.pairs * s.items;
            if (
              r.crashes.length > 0 ||
              r.outcome !== "all-exited" ||
              r.taken !== total ||
              r.sum !== expectedBufferSum(s) ||
              r.violations !== 0
            )
              throw new Error(
                `outcome=${r.outcome} taken=${r.taken}/${total} sum=${r.sum}/${expectedBufferSum(s)} returns from wait without the mutex=${r.violations} ${r.crashes.join("; ")}`,
              );
          }),
          params,
        ),
    },
    {
      name: `${name}: each signal reaches a sleeper, and a broadcast reaches them all`,
      check: () =>
        fc.assert(
          fc.property(fc.integer({ min: 1, max: 4 }), fc.integer({ min: 0, max: 5 }), (n, k) => {
            const r = runSleepers(factory(), n, k);
            const want = Array.from({ length: k }, (_, i) => Math.min(i + 1, n));
            const ok =
              r.outcome === "all-exited" &&
              r.leftAfterBroadcast === n &&
              r.leftAfterSignal.every((v, i) => v === want[i]) &&
              r.violations === 0;
            if (!ok)
              throw new Error(
                `n=${n} k=${k}: left after each signal ${JSON.stringify(r.leftAfterSignal)} (want ${JSON.stringify(want)}), after broadcast ${r.leftAfterBroadcast}, outcome ${r.outcome}, returns from wait without the mutex=${r.violations}`,
              );
          }),
          params,
        ),
    },
    {
      name: `${name}: signals that land between a waiter's read of the condition variable and its sleep all count (a sequence word must not wrap back to the value the waiter read)`,
      check: () =>
        fc.assert(
          fc.property(windowScenarioArb(), (s) => {
            const r = runSignalWindow(factory(), s);
            if (r.crashes.length > 0 || r.outcome !== "all-exited")
              throw new Error(
                `tick ${s.tick}, memory ${s.memoryCost} cycles, burst of ${s.burst} signals: outcome ${r.outcome} at episode ${r.episodes} — the waiter slept through the burst that landed in its window (does the word wrap at ${s.burst} or a divisor of it?) ${r.crashes.join("; ")}`,
              );
          }),
          { ...params, numRuns: Math.max(10, Math.ceil(params.numRuns / 2)) },
        ),
    },
  ];
}
