/**
 * The `CondVar` interface: a condition variable a student writes over a few words of simulated
 * memory, used with this library's mutex, and two of ours.
 *
 * | implementation  | state                         | spurious returns | signal wakes          |
 * | --------------- | ----------------------------- | ---------------- | --------------------- |
 * | `nptlCondVar`   | seqs under an internal lock   | none             | at most one waiter    |
 * | `seqCondVar`    | one sequence word (bionic)    | possible         | one sleeper, plus any waiter between its unlock and its sleep |
 *
 * `seqCondVar` is the smallest correct design: a waiter reads the sequence word *before* it
 * releases the mutex and sleeps only while the word still holds that value; signal and broadcast
 * bump the word before they wake, so a signal that lands between the unlock and the sleep makes
 * the sleep return at once. It never loses a wakeup, but it may wake more than asked: POSIX
 * allows that, which is why callers wait in a `while` loop.
 *
 * Laws: `condVarLaws` (`@osbricks/runtime/laws`).
 *
 * Related: `cond.ts` (the NPTL scheme), `mutex.ts`, `../laws/condvar-laws.ts`.
 */
import { mem, type UserCode } from "@osbricks/kernel";
import type { Pthread } from "../thread/pthread.js";
import { atomic } from "./atomic.js";
import { condBroadcast, condSignal, condWait } from "./cond.js";
import { futexWait, futexWake, WAKE_ALL } from "./lll.js";
import { mutexLock, mutexUnlock } from "./mutex.js";

/** A condition variable over `size` zero-initialised bytes at `c`, used with a mutex at `m`. */
export interface CondVar {
  /** Shown in law names and failures. */
  readonly name: string;
  /** Bytes it occupies (4-byte aligned, zero-filled before first use). */
  readonly size: number;
  /** Atomically release `m` and wait; return with `m` held again. Spurious returns are allowed. */
  wait(self: Pthread, c: number, m: number): UserCode<unknown>;
  /** Wake at least one waiter, if any waits. */
  signal(self: Pthread, c: number): UserCode<unknown>;
  /** Wake every waiter. */
  broadcast(self: Pthread, c: number): UserCode<unknown>;
}

/**
 * This library's condition variable (`cond.ts`, NPTL's scheme before glibc 2.25).
 * @example
 * ```ts
 * while (!(yield* ready())) yield* nptlCondVar.wait(self, c, m);
 * ```
 */
export const nptlCondVar: CondVar = {
  name: "NPTL condition variable (sequence counters)",
  size: 32,
  wait: (self, c, m) => condWait(self, c, m),
  signal: (_self, c) => condSignal(c),
  broadcast: (_self, c) => condBroadcast(c),
};

/** A single-word condition variable (Android bionic's design): correct, with spurious returns. */
export const seqCondVar: CondVar = {
  name: "sequence-word condition variable (bionic)",
  size: 4,
  *wait(self, c, m) {
    const seq = yield* mem.load32(c); // before the unlock: a signal after it changes the word
    yield* mutexUnlock(self, m);
    yield* futexWait(c, seq);
    yield* mutexLock(self, m);
  },
  *signal(_self, c) {
    yield* atomic.add32(c, 1);
    yield* futexWake(c, 1);
  },
  *broadcast(_self, c) {
    yield* atomic.add32(c, 1);
    yield* futexWake(c, WAKE_ALL);
  },
};
