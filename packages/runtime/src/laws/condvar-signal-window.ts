/**
 * The signal-window scenario of the condition-variable laws: a burst of signals aimed at the one
 * stretch of a waiter's way into `wait` — after it read the condition variable's word, before it
 * sleeps — where a sequence word that wraps (at 2, 4, 8…) comes back to the value the waiter read.
 *
 * ```
 *   one CPU, episode after episode, a fresh waiter W and signaller G each time:
 *     W: compute(x); lock; while (!flag) wait; unlock      x = 0, 5, 10, … across a quantum
 *     G: once W is in: lock; flag = 1; unlock; signal × burst
 *   a correct condition variable: every episode ends; a wrapping word: W sleeps through the burst
 * ```
 *
 * A file of its own because it is a different kind of scenario from the bounded buffer and the
 * sleepers (`condvar-scenarios.ts`): those draw random shapes and wait for a preemption to fall in
 * the window; this one sweeps the waiter's head start so that the quantum ends at every trap of
 * its way into `wait` in turn, the window included, which neither of the others reaches with
 * several signals (see the power note in `condvar-laws.ts`).
 *
 * Related: `condvar-laws.ts` (the law over these runs), `condvar-scenarios.ts` (the kernel they
 * boot), `../sync/condvar-api.ts` (`seqCondVar`, the one-word design it probes).
 */
import { compute, libc, mem, type UserCode } from "@osbricks/kernel";
import fc from "fast-check";
import type { CondVar } from "../sync/condvar-api.js";
import { futexWait, futexWake } from "../sync/lll.js";
import { mutexLock, mutexUnlock } from "../sync/mutex.js";
import type { Pthread } from "../thread/pthread.js";
import { bootCondVarScenario } from "./condvar-scenarios.js";

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
  const r = bootCondVarScenario(
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
