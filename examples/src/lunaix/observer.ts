/**
 * The kernel's observer: one tracer that turns the kernel's typed events into the run's counters
 * (the final summary), kernel log lines for the notable ones (a segfault, a crash), and —
 * when a trace was asked for — Chrome trace events.
 *
 * ```
 *   KernelEvent ──▶ KernelObserver.emit ──┬─▶ counters (syscalls, faults by outcome, switches, processes, signals)
 *                                         ├─▶ printk: "pid 7 (/bin/memdemo): segfault at 0x…" , crash reports
 *                                         └─▶ ChromeTraceWriter (optional):
 *                                               cpu lanes: a slice per stretch a thread ran ("X")
 *                                               system calls and page faults: instants on the CPU's lane ("i")
 *                                               process events: instants on the "processes" lane
 *                                               counters: free frames, runnable threads ("C")
 * ```
 *
 * A slice opens at a `kernel.switch` whose `to` is a thread and closes at the next switch on the
 * same CPU (or at the end of the run), so the number of slices equals the number of switches in:
 * the test suite checks exactly that, and that the instants match the syscall and fault counters.
 *
 * Related: `../trace/chrome-trace.ts` (the file format), `system.ts` (who feeds it).
 */
import type { KernelEvent, Tracer } from "@osbricks/kernel";
import type { ChromeTraceWriter } from "../trace/chrome-trace.js";
import { CpuLanes } from "../trace/cpu-lanes.js";

/** Trace process id of the machine (every CPU lane belongs to it). */
export const TRACE_PID = 1;
/** Lane (tid) of process life-cycle events; CPU n is lane n + 1. */
export const PROCESS_LANE = 0;

/** What the run counted. */
export interface RunCounters {
  syscalls: number;
  /** Page faults the VM resolved (demand zero, copy-on-write, …). */
  faultsHandled: number;
  /** Page faults that became SIGSEGV. */
  segfaults: number;
  /** Switches to a thread (a CPU starting to run someone). */
  switches: number;
  /** Processes created (spawn + fork, init included). */
  processes: number;
  execs: number;
  signals: number;
  crashes: number;
}

/** A tracer of the kernel's events (see the banner). */
export class KernelObserver implements Tracer<KernelEvent> {
  readonly counters: RunCounters = {
    syscalls: 0,
    faultsHandled: 0,
    segfaults: 0,
    switches: 0,
    processes: 0,
    execs: 0,
    signals: 0,
    crashes: 0,
  };
  /** The CPU lanes of the trace: a slice per stretch a thread ran, system calls as instants. */
  private readonly lanes: CpuLanes;
  /** Process names by pid, for slice titles. */
  private readonly names = new Map<number, string>();

  /**
   * @param log kernel log lines (printk).
   * @param trace where Chrome events go, or null.
   * @param threadName who `tid` is, for slice titles (`"3 sh"`).
   */
  constructor(
    private readonly log: (line: string) => void,
    private readonly trace: ChromeTraceWriter | null,
    private readonly threadName: (tid: number) => string,
  ) {
    this.lanes = new CpuLanes(trace, TRACE_PID);
  }

  /** Name the lanes: call once the CPU count is known. */
  nameLanes(cpus: number): void {
    this.lanes.name("lunaix machine", "processes", cpus);
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
        if (e.outcome === "resolved") this.counters.faultsHandled++;
        else if (e.outcome === "segv") {
          this.counters.segfaults++;
          this.log(
            `pid ${e.pid} (${this.names.get(e.pid) ?? "?"}): segfault at 0x${e.va.toString(16)} on ${e.access} (tid ${e.tid}, cpu${e.cpu})`,
          );
        }
        tr?.instant(`fault ${e.outcome}`, "fault", TRACE_PID, e.cpu + 1, e.cycle, {
          pid: e.pid,
          va: `0x${e.va.toString(16)}`,
          access: e.access,
        });
        return;
      case "kernel.switch":
        if (e.to !== null) this.counters.switches++;
        this.lanes.switchTo(e.cpu, e.cycle, e.to === null ? null : this.threadName(e.to));
        return;
      case "kernel.process":
        if (e.event === "spawn" || e.event === "fork") this.counters.processes++;
        if (e.event === "exec") this.counters.execs++;
        if (e.event === "spawn" || e.event === "fork" || e.event === "exec") this.names.set(e.pid, e.detail);
        tr?.instant(`${e.event} ${e.pid}`, "process", TRACE_PID, PROCESS_LANE, e.cycle, {
          ppid: e.ppid,
          detail: e.detail,
        });
        return;
      case "kernel.signal":
        this.counters.signals++;
        tr?.instant(e.action, "signal", TRACE_PID, PROCESS_LANE, e.cycle, {
          pid: e.pid,
          tid: e.tid,
          sig: e.sig,
        });
        return;
      case "kernel.crash":
        this.counters.crashes++;
        this.log(`pid ${e.pid} (${this.names.get(e.pid) ?? "?"}) crashed: ${e.message}; killing it`);
        tr?.instant("crash", "process", TRACE_PID, PROCESS_LANE, e.cycle, { pid: e.pid, message: e.message });
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
