/**
 * The microkernel's observer: `../trace/kernel-observer.ts` in this kernel's words — tasks — with
 * the one distinction this design needs: a fault the VM cannot resolve is *forwarded* when the
 * task has a live pager, and only a SIGSEGV otherwise; a kill is logged.
 *
 * ```
 *   KernelEvent ──▶ emit ──┬─▶ counters: syscalls, switches, faults (resolved / to pager / fatal), kills
 *                          ├─▶ log: "kernel: task 7 (wild): SIGSEGV killed (core)"
 *                          └─▶ trace: a slice per stretch a thread ran on a CPU lane ("X"),
 *                                     system calls and faults as instants ("i"), task events
 * ```
 *
 * A slice opens at a switch to a thread and closes at the next switch on that CPU or at
 * {@link KernelObserver.finish}: slices = switches, which the tests check, with the instants
 * against the counters.
 *
 * Related: `boot.ts`, `../trace/kernel-observer.ts`, `../jsix/observer.ts` (the same observer).
 */
import { KernelObserver } from "../trace/kernel-observer.js";

/** The codezero-like kernel's tracer of kernel events (see the banner). */
export class CodezeroObserver extends KernelObserver {
  /**
   * @param log kernel log lines.
   * @param trace where Chrome events go, or null.
   * @param hasPager whether task `pid` has a live pager now (decides "forwarded").
   * @param taskOf the task of live thread `tid` (the kernel's thread table), for slice titles.
   */
  constructor(
    log: (line: string) => void,
    trace: ConstructorParameters<typeof KernelObserver>[1],
    hasPager: (pid: number) => boolean,
    taskOf: (tid: number) => number,
  ) {
    super(log, trace, {
      machine: "codezero machine",
      noun: "task",
      nouns: "tasks",
      sliceName: (tid, o) => `${tid} ${o.nameOf(taskOf(tid))}`,
      toPager: hasPager,
      logKills: true,
    });
  }
}
