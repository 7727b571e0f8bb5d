/**
 * The jsix kernel's observer: kernel events → the run's counters, log lines for crashes, and
 * (when asked) Chrome trace events, with the same CPU lanes as the other kernels'.
 *
 * ```
 *   KernelEvent ──▶ emit ──┬─▶ counters: syscalls, switches, faults resolved / fatal, processes
 *                          ├─▶ log: "kernel: process 7 crashed: …"
 *                          └─▶ trace: a slice per stretch a thread ran on a CPU lane ("X"),
 *                                     system calls and faults as instants ("i"), process events
 * ```
 *
 * Related: `boot.ts`, `../trace/cpu-lanes.ts`, `../codezero/observer.ts` (the same shape).
 */
import type { KernelEvent, Tracer } from "@osbricks/kernel";
import type { ChromeTraceWriter } from "../trace/chrome-trace.js";
import { CpuLanes } from "../trace/cpu-lanes.js";

/** Trace process id of the machine; CPU n is lane n + 1, process events lane 0. */
export const JSIX_TRACE_PID = 1;

/** What the run counted from kernel events. */
export interface JsixObserved {
  syscalls: number;
  switches: number;
  /** Page faults resolved by the VM (demand-zero pages of VMAs, stacks, text). */
  pagesFaulted: number;
  /** Faults that killed their process. */
  faultsFatal: number;
  /** Processes started. */
  processes: number;
  /** Processes killed by a signal (j6_process_kill, a fatal fault). */
  kills: number;
}

/** A tracer of the kernel's events (see the banner). */
export class JsixObserver implements Tracer<KernelEvent> {
  readonly counters: JsixObserved = {
    syscalls: 0,
    switches: 0,
    pagesFaulted: 0,
    faultsFatal: 0,
    processes: 0,
    kills: 0,
  };
  private readonly lanes: CpuLanes;

  /**
   * @param log kernel console lines.
   * @param trace where Chrome events go, or null.
   * @param processOf the process of live thread `tid` and its image name, for slice titles.
   */
  constructor(
    private readonly log: (line: string) => void,
    private readonly trace: ChromeTraceWriter | null,
    private readonly processOf: (tid: number) => string,
  ) {
    this.lanes = new CpuLanes(trace, JSIX_TRACE_PID);
  }

  /** Name the lanes, once the CPU count is known. */
  nameLanes(cpus: number): void {
    this.lanes.name("jsix machine", "processes", cpus);
  }

  /** @inheritdoc */
  emit(e: KernelEvent): void {
    const tr = this.trace;
    switch (e.type) {
      case "kernel.syscall":
        this.counters.syscalls++;
        this.lanes.syscall(e);
        return;
      case "kernel.fault":
        if (e.outcome === "resolved") this.counters.pagesFaulted++;
        else this.counters.faultsFatal++;
        tr?.instant(`fault ${e.outcome}`, "fault", JSIX_TRACE_PID, e.cpu + 1, e.cycle, {
          pid: e.pid,
          va: `0x${e.va.toString(16)}`,
          access: e.access,
        });
        return;
      case "kernel.switch":
        if (e.to !== null) this.counters.switches++;
        this.lanes.switchTo(e.cpu, e.cycle, e.to === null ? null : `${e.to} ${this.processOf(e.to)}`);
        return;
      case "kernel.process":
        if (e.event === "spawn") this.counters.processes++;
        tr?.instant(`${e.event} ${e.pid}`, "process", JSIX_TRACE_PID, 0, e.cycle, {
          parent: e.ppid,
          detail: e.detail,
        });
        return;
      case "kernel.signal":
        if (e.action.includes(" killed")) this.counters.kills++;
        tr?.instant(e.action, "signal", JSIX_TRACE_PID, 0, e.cycle, { pid: e.pid, sig: e.sig });
        return;
      case "kernel.crash":
        this.log(`kernel: process ${e.pid} crashed: ${e.message}`);
        return;
      case "kernel.thread":
        return;
    }
  }

  /** Close the slices still open at `cycle` (end of the run). */
  finish(cycle: number): void {
    this.lanes.finish(cycle);
  }
}
