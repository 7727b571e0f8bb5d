/**
 * The jsix kernel's observer: `../trace/kernel-observer.ts` in this kernel's words — processes —
 * with each run slice titled by the thread's process image ("12 srv.echo"). jsix has no pagers: a
 * fault the VM cannot resolve kills its process, and the kernel's crash line says so.
 *
 * ```
 *   KernelEvent ──▶ emit ──┬─▶ counters: syscalls, switches, faults resolved / fatal, processes
 *                          ├─▶ log: "kernel: process 7 crashed: …"
 *                          └─▶ trace: a slice per stretch a thread ran on a CPU lane ("X"),
 *                                     system calls and faults as instants ("i"), process events
 * ```
 *
 * Related: `boot.ts`, `../trace/kernel-observer.ts`, `../codezero/observer.ts` (the same observer).
 */
import { KernelObserver } from "../trace/kernel-observer.js";

/** The jsix-like kernel's tracer of kernel events (see the banner). */
export class JsixObserver extends KernelObserver {
  /**
   * @param log kernel console lines.
   * @param trace where Chrome events go, or null.
   * @param processOf the image name of live thread `tid`'s process, for slice titles.
   */
  constructor(
    log: (line: string) => void,
    trace: ConstructorParameters<typeof KernelObserver>[1],
    processOf: (tid: number) => string,
  ) {
    super(log, trace, {
      machine: "jsix machine",
      noun: "process",
      nouns: "processes",
      sliceName: (tid) => `${tid} ${processOf(tid)}`,
    });
  }
}
