/**
 * `l4_thread_control`: tasks and threads. In L4 the kernel makes empty spaces and inactive
 * threads, and user level (the root task, the pager) decides what runs in them; Codezero's
 * thread_control creates a thread in a new or an existing space, and THREAD_RUN starts it.
 *
 * ```
 *   op        args                          does                                         returns
 *   ────────  ────────────────────────────  ───────────────────────────────────────────  ───────────
 *   CREATE    namePtr, nameLen, pager, arg  new space + first thread running the program,  task handle
 *                                           suspended; UTCB page mapped; pager set
 *   RUN       task                          start its threads                              0
 *   WAIT      task                          block until it has exited; reap it             wait status
 *   DESTROY   task                          kill it now (SIGKILL)                          0
 *   SPAWN     entry, arg                    a thread in the caller's space at `entry`,     thread id
 *                                           called as fn(arg, its UTCB)
 *   ID        task                          —                                              task id
 * ```
 *
 * The task handle is a capability to the process object with MANAGE (run, wait, destroy, grant
 * into it); only the creator gets one. A pager is named by an endpoint capability with WRITE (the
 * kernel will *call* it on the task's behalf); NIL means no pager, and then a fault outside the
 * task's areas kills it at once.
 *
 * Related: `../abi.ts` (ThreadOp), `ipc.ts` (how faults reach the pager), `@osbricks/kernel`
 * lifecycle.ts (spawn, exit, reap).
 */
import {
  codeAt,
  copyIn,
  FdTable,
  type Process,
  Sig,
  type SyscallHandlers,
  signaledStatus,
  type Thread,
  type UserFunction,
} from "@osbricks/kernel";
import { Right } from "@osbricks/objects";
import { PROT_READ, PROT_WRITE } from "@osbricks/vm";
import {
  type codezeroSyscalls,
  L4Error,
  MAX_SPACE_THREADS,
  NIL,
  ThreadOp,
  UTCB_AREA,
  UTCB_BASE,
  utcbOf,
} from "../abi.js";
import type { CodezeroState } from "../personality.js";
import { endpointOf } from "./ipc.js";

type Handlers = SyscallHandlers<Thread, typeof codezeroSyscalls.decls>;

/** Longest program name CREATE accepts. */
export const MAX_TASK_NAME = 64;
/** Rights of the task capability its creator receives. */
export const TASK_RIGHTS = Right.MANAGE | Right.INSPECT;

/** The task behind handle `h` of `t`'s table, with MANAGE; else the L4 error. */
export function taskOf(s: CodezeroState, t: Thread, h: number): Process | number {
  const r = t.process.handleTable.lookup(h, s.k.processType, Right.MANAGE);
  if (r.kind === "ok") return r.object as Process;
  return s.refused(r.kind === "access-denied" ? -L4Error.EPERM : -L4Error.ECAP);
}

/** The `l4_thread_control` handler. */
export function threadCalls(s: CodezeroState): Pick<Handlers, "l4_thread_control"> {
  const k = s.k;

  function create(t: Thread, namePtr: number, nameLen: number, pagerH: number, arg: number): number {
    if (nameLen < 1 || nameLen > MAX_TASK_NAME) return -L4Error.EINVAL;
    const space = t.process.addressSpace;
    const bytes = space === null ? null : copyIn(k, space, namePtr, nameLen);
    if (bytes === null) return -L4Error.EFAULT;
    const name = String.fromCharCode(...bytes);
    const image = k.programs.lookup(name);
    if (image === undefined || image === null) return -L4Error.ENOENT;
    const pager = pagerH === NIL ? null : endpointOf(s, t, pagerH, Right.WRITE);
    if (typeof pager === "number") return pager;
    const table = t.process.handleTable;
    if (table.size >= table.capacity || k.threads.size >= k.ipc.maxThreads) return -L4Error.ENOMEM;
    const child = k.life.spawn(t.process, image, [name, String(arg)], [], new FdTable(), 0);
    if (typeof child === "number") return -L4Error.ENOMEM;
    const utcb = child.vm.map({
      length: UTCB_AREA,
      prot: PROT_READ | PROT_WRITE,
      placement: { kind: "fixed", va: UTCB_BASE, replace: false },
      name: "[utcb]",
    });
    const h = utcb.kind === "mapped" ? table.create(child, TASK_RIGHTS) : null;
    if (h === null || h.kind !== "ok") {
      // Undo: the task never ran, and the caller is told there was no room.
      k.life.exitProcess(child, signaledStatus(Sig.SIGKILL, false));
      if (child.phase === "zombie") k.life.reap(t.process, child);
      return -L4Error.ENOMEM;
    }
    child.pager = pager === null ? null : pager.endpoint;
    // L4's rule: the pager hears of every fault of its client, protection faults included (a write
    // to a page it mapped read-only is how it learns of a copy-on-write); trap/pager.ts's MR5.
    child.pagerProtectionFaults = pager !== null;
    // Created inactive: the kernel core's "stopped process" (its threads suspended until RUN).
    child.stopped = true;
    for (const th of child.threads) k.suspendThread(th);
    s.counters.tasks++;
    return h.handle;
  }

  function wait(t: Thread, task: Process, h: number): number {
    if (task.parent !== t.process) return s.refused(-L4Error.EPERM);
    if (task.phase === "zombie") {
      const status = k.life.reap(t.process, task);
      t.process.handleTable.close(h);
      return status;
    }
    const parent = t.process;
    const waiter = {
      forPid: task.pid,
      wakeToRetry: () => k.wakeThread(t),
    };
    parent.childWaiters.push(waiter);
    return k.block(t, {
      on: "thread_wait",
      restart: k.currentTrap,
      interruptible: false,
      cancel: () => {
        const i = parent.childWaiters.indexOf(waiter);
        if (i >= 0) parent.childWaiters.splice(i, 1);
      },
    });
  }

  function spawnThread(t: Thread, entry: number, arg: number): number {
    const fn = codeAt(k, t, entry);
    if (fn === null) return -L4Error.EFAULT;
    if (k.threads.size >= k.ipc.maxThreads) return -L4Error.ENOMEM;
    const kstack = k.stacks.alloc();
    if (kstack === null) return -L4Error.ENOMEM;
    const index = s.takeUtcb(t.process, MAX_SPACE_THREADS);
    if (index < 0) {
      k.stacks.free(kstack);
      return -L4Error.ENOMEM;
    }
    const th = k.life.createThread(t.process, fn as UserFunction, [arg, utcbOf(index)], entry, 0, kstack);
    return th.tid;
  }

  return {
    l4_thread_control(t, op, a, b, c, d) {
      switch (op) {
        case ThreadOp.CREATE:
          return create(t, a, b, c, d);
        case ThreadOp.SPAWN:
          return spawnThread(t, a, b);
        case ThreadOp.RUN:
        case ThreadOp.ID:
        case ThreadOp.WAIT:
        case ThreadOp.DESTROY: {
          const task = taskOf(s, t, a);
          if (typeof task === "number") return task;
          if (op === ThreadOp.WAIT) return wait(t, task, a);
          if (op === ThreadOp.ID) return task.pid;
          if (task.phase !== "live") return -L4Error.ENOENT;
          if (op === ThreadOp.RUN) {
            task.stopped = false;
            for (const th of task.threads) k.resumeThread(th);
          } else k.life.exitProcess(task, signaledStatus(Sig.SIGKILL, false));
          return 0;
        }
        default:
          return -L4Error.EINVAL;
      }
    },
  };
}
