/**
 * The thread calls: thread_create, gettid, sched_yield, futex, nanosleep, clock_gettime; the futex operations.
 *
 * Part of the POSIX personality's table (`../table.ts`, which assembles the groups and states
 * where we simplify an ABI); the handlers of these calls are in `../thread-calls.ts`.
 */
import { arg } from "../../syscalls/decl.js";
import { i64, syscallGroup } from "./group.js";

/** futex operations (Linux `FUTEX_WAIT`, `FUTEX_WAKE`). */
export const FutexOp = { FUTEX_WAIT: 0, FUTEX_WAKE: 1 } as const;

/** The declarations of this group, for `posixSyscalls`. */
export const threadDecls = syscallGroup({
  thread_create: {
    nr: 56,
    args: [
      arg.code("entry", { doc: "start routine, called with arg" }),
      arg.int("arg", { ...i64, doc: "the routine's argument" }),
      arg.addr("stack", { doc: "initial stack pointer (top of a mapped stack), or 0 for none" }),
      arg.ptr("tidptr", {
        access: "out",
        len: 4,
        nullable: true,
        doc: "stores the tid here; cleared and futex-woken at exit",
      }),
    ],
    result: "int",
    doc: "Start a thread in the calling process (Linux clone with CLONE_VM|CLONE_THREAD|CLONE_PARENT_SETTID|CLONE_CHILD_CLEARTID). Returns the new thread id. When the thread exits, the kernel stores 0 at tidptr and wakes one futex waiter there, which is how pthread_join waits.",
    errors: {
      EAGAIN: "thread limit reached",
      EFAULT: "entry is not executable, or tidptr not writable",
      EINVAL: "tidptr not 4-byte aligned",
      ENOMEM: "no memory for a kernel stack",
    },
  },
  sched_yield: {
    nr: 24,
    args: [],
    result: "zero",
    doc: "Give up the CPU: the caller goes back to its run queue.",
  },
  gettid: { nr: 186, args: [], result: "int", doc: "The calling thread's id." },
  futex: {
    nr: 202,
    args: [
      arg.ptr("uaddr", { access: "in", len: 4, doc: "4-byte aligned word" }),
      arg.int("op", { min: 0, max: 1, doc: "FUTEX_WAIT or FUTEX_WAKE" }),
      arg.int("val", {
        min: -(2 ** 31),
        max: 2 ** 32 - 1,
        doc: "WAIT: expected value; WAKE: most threads to wake (Linux's int nr_wake: 0, or 2^31 and more, wakes one)",
      }),
      arg.int("timeout", {
        min: 0,
        max: 2 ** 53 - 1,
        doc: "WAIT: most cycles to sleep, 0 for no limit; ignored by WAKE",
      }),
    ],
    result: "int",
    blocks: true,
    doc: "FUTEX_WAIT: if the word still equals val, sleep until woken (returns 0) or until the timeout (ETIMEDOUT, at the first timer tick after it), else EAGAIN. FUTEX_WAKE: wake up to val waiters (at least one: Linux's futex_wake wakes one before it compares the count), return how many. Waiters are keyed by physical address, so a futex in a MAP_SHARED page works across processes.",
    errors: {
      EAGAIN: "the word changed",
      EINVAL: "uaddr not 4-byte aligned",
      EINTR: "a handler ran (an untimed wait whose handler has SA_RESTART is restarted instead)",
      ETIMEDOUT: "the timeout passed",
    },
  },
  nanosleep: {
    nr: 35,
    args: [arg.int("cycles", { min: 0, max: 2 ** 53 - 1, doc: "simulated cycles to sleep" })],
    result: "zero",
    blocks: true,
    doc: "Sleep for `cycles` simulated cycles (nanosleep with the simulator's unit of time); woken at the first timer tick after the deadline. 0 returns at once.",
    errors: { EINTR: "a handler ran before the time was up" },
  },
  clock_gettime: {
    nr: 228,
    args: [
      arg.int("clockid", {
        min: 0,
        max: 1,
        doc: "CLOCK_REALTIME (0) or CLOCK_MONOTONIC (1): the same clock here",
      }),
    ],
    result: "int",
    doc: "The calling CPU's simulated cycle counter (simplified ABI: the value in the result register instead of a struct timespec). Monotonic per CPU; CPUs run in lockstep, so readings across CPUs differ by less than one trap.",
  },
});
