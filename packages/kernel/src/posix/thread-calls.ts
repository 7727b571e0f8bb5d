/**
 * The thread calls of the POSIX personality: thread_create, gettid, sched_yield, futex, and the
 * thread's clock: clock_gettime and nanosleep. A futex wait is an ipc wait on the word's
 * physical address (`Kernel.futex`), so threads of processes sharing the page meet on it.
 *
 * Related: `syscalls.ts` (the table of contents), `../kernel/kernel.ts` (sleep, the futex table).
 */

import { FOREVER, IpcStatus } from "@osbricks/ipc";
import type { Kernel } from "../kernel/kernel.js";
import type { Thread, WaitRecord } from "../process/thread.js";
import type { Trap } from "../program/trap.js";
import type { SyscallHandlers } from "../syscalls/dispatch.js";
import { Errno } from "../syscalls/errno.js";
import { codeAt } from "../trap/code.js";
import { translateOrFault } from "../trap/memory.js";
import { FutexOp, type posixSyscalls } from "./table.js";

type PosixHandlers = SyscallHandlers<Thread, typeof posixSyscalls.decls>;

/**
 * A futex wait: cancelled by taking the thread's ipc slot off the futex queue. A class rather than
 * an object literal with an arrow function, since a thread library waits on every join: one small
 * object per wait, no closure.
 */
class FutexWait implements WaitRecord {
  readonly on = "futex";
  readonly interruptible = true;
  /**
   * @param restart the futex trap, run again when a handler with SA_RESTART interrupts an untimed
   *   wait (Linux restarts it: the word is compared again); `null` for a timed wait, which returns
   *   EINTR instead of starting its timeout over.
   */
  constructor(
    private readonly k: Kernel,
    private readonly slot: number,
    readonly restart: Trap | null,
  ) {}
  cancel(): void {
    this.k.ipc.threadExit(this.slot);
  }
}

/** The thread calls, for `posixPersonality`: each returns a result or `-errno`, never throws. */
export function threadCalls(
  k: Kernel,
): Pick<PosixHandlers, "thread_create" | "gettid" | "sched_yield" | "futex" | "clock_gettime" | "nanosleep"> {
  return {
    thread_create(t, entry, arg, stack, tidptr) {
      const fn = codeAt(k, t, entry);
      if (fn === null) return -Errno.EFAULT;
      if (k.threads.size >= k.ipc.maxThreads) return -Errno.EAGAIN;
      if (tidptr % 4 !== 0) return -Errno.EINVAL; // a futex word must be aligned
      // The tid word is translated for writing first, so a bad pointer fails before anything is
      // created; nothing runs between here and the store, so the translation stays valid.
      let tidPa = -1;
      if (tidptr !== 0) {
        tidPa = translateOrFault(k, t.process.vm, tidptr, "write", null);
        if (tidPa < 0) return -Errno.EFAULT;
      }
      const kstack = k.stacks.alloc();
      if (kstack === null) return -Errno.ENOMEM;
      const nt = k.life.createThread(t.process, fn, [arg], entry, stack, kstack);
      nt.sigBlocked = t.sigBlocked;
      if (tidptr !== 0) {
        k.memory.write32(tidPa, nt.tid); // CLONE_PARENT_SETTID
        nt.clearTid = tidptr; // CLONE_CHILD_CLEARTID
      }
      return nt.tid;
    },
    gettid: (t) => t.tid,
    sched_yield(t) {
      k.yieldThread(t);
      return 0;
    },
    futex(t, uaddr, op, val, timeout) {
      if (uaddr % 4 !== 0) return -Errno.EINVAL;
      const pa = translateOrFault(k, t.process.vm, uaddr, "read", t);
      if (pa < 0) return -Errno.EFAULT;
      if (op === FutexOp.FUTEX_WAKE) {
        // Linux's futex_wake takes `int nr_wake` and wakes a waiter before it tests
        // `++ret >= nr_wake`: 0, or a u32 val of 2^31 and more (negative as an int: 2^32 − 1 is
        // −1), wakes one waiter, not none; INT_MAX wakes them all.
        const nrWake = val | 0;
        return k.futex.wake(pa, nrWake > 0 ? nrWake : 1);
      }
      const slot = k.ipcSlotFor(t);
      if (slot < 0) return -Errno.EAGAIN;
      // A timed wait's deadline counts from now, so ipc's clock is brought up to date first. An
      // untimed wait (every join) needs no clock: the tick expires others' deadlines (kernel.ts).
      if (timeout !== 0 && k.now > k.ipc.now) k.ipc.advanceTo(k.now);
      const st = k.futex.wait(slot, pa, val >>> 0, timeout === 0 ? FOREVER : timeout);
      if (st === IpcStatus.ValueMismatch) return -Errno.EAGAIN;
      return k.block(t, new FutexWait(k, slot, timeout === 0 ? k.currentTrap : null));
    },
    clock_gettime: (t) => k.cpus[t.cpu]!.time,
    nanosleep(t, cycles) {
      return cycles === 0 ? 0 : k.sleepThread(t, cycles);
    },
  };
}
