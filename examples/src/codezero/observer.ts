/**
 * The microkernel's observer: kernel events → the run's counters, log lines for kills, and (when
 * asked) Chrome trace events. The same shape as the Lunaix kernel's observer, with the one
 * distinction this design needs: a fault the VM cannot resolve is *forwarded* when the task has a
 * live pager, and only a SIGSEGV otherwise.
 *
 * ```
 *   KernelEvent ──▶ emit ──┬─▶ counters: syscalls, switches, faults (resolved / forwarded / fatal), kills
 *                          ├─▶ log: "kernel: task 7 (wild): SIGSEGV killed (core)"
 *                          └─▶ trace: a slice per stretch a thread ran on a CPU lane ("X"),
 *                                     system calls and faults as instants ("i"), task events
 * ```
 *
 * A slice opens at a switch to a thread and closes at the next switch on that CPU or at
 * {@link CodezeroObserver.finish}: slices = switches, which the tests check, with the instants
 * against the counters.
 *
 * Related: `boot.ts`, `../trace/chrome-trace.ts`.
 */
import type { KernelEvent, Tracer } from "@osbricks/kernel";
import type { ChromeTraceWriter } from "../trace/chrome-trace.js";
import { CpuLanes } from "../trace/cpu-lanes.js";

/** Trace process id of the machine; CPU n is lane n + 1, task events lane 0. */
export const CZ_TRACE_PID = 1;
/** Lane of task life-cycle events. */
export const CZ_TASK_LANE = 0;

/** What the run counted from kernel events. */
export interface ObservedCounters {
  syscalls: number;
  switches: number;
  /** Faults the VM resolved inside an existing area (a pager's page touched the first time). */
  faultsResolved: number;
  /** Faults handed to a pager. */
  faultsToPager: number;
  /** Faults that became SIGSEGV at once (no pager). */
  faultsFatal: number;
  /** Tasks killed by a signal. */
  kills: number;
  /** Tasks started (the root task included). */
  tasks: number;
}

/** A tracer of the kernel's events (see the banner). */
export class CodezeroObserver implements Tracer<KernelEvent> {
  readonly counters: ObservedCounters = {
    syscalls: 0,
    switches: 0,
    faultsResolved: 0,
    faultsToPager: 0,
    faultsFatal: 0,
    kills: 0,
    tasks: 0,
  };
  /** The CPU lanes of the trace: a slice per stretch a thread ran, system calls as instants. */
  private readonly lanes: CpuLanes;
  /** Task names by id. */
  private readonly names = new Map<number, string>();

  /**
   * @param log kernel log lines.
   * @param trace where Chrome events go, or null.
   * @param hasPager whether task `pid` has a live pager now (decides "forwarded").
   * @param taskOf the task of live thread `tid` (the kernel's thread table), for slice titles.
   */
  constructor(
    private readonly log: (line: string) => void,
    private readonly trace: ChromeTraceWriter | null,
    private readonly hasPager: (pid: number) => boolean,
    private readonly taskOf: (tid: number) => number,
  ) {
    this.lanes = new CpuLanes(trace, CZ_TRACE_PID);
  }

  /** Name the lanes, once the CPU count is known. */
  nameLanes(cpus: number): void {
    this.lanes.name("codezero machine", "tasks", cpus);
  }

  private threadName(pid: number, tid: number): string {
    return `${tid} ${this.names.get(pid) ?? "?"}`;
  }

  /** @inheritdoc */
  emit(e: KernelEvent): void {
    const tr = this.trace;
    switch (e.type) {
      case "kernel.syscall":
        this.counters.syscalls++;
        this.lanes.syscall(e);
        return;
      case "kernel.fault": {
        let what: string = e.outcome;
        if (e.outcome === "resolved") this.counters.faultsResolved++;
        else if (this.hasPager(e.pid)) {
          this.counters.faultsToPager++;
          what = "to pager";
        } else this.counters.faultsFatal++;
        tr?.instant(`fault ${what}`, "fault", CZ_TRACE_PID, e.cpu + 1, e.cycle, {
          pid: e.pid,
          va: `0x${e.va.toString(16)}`,
          access: e.access,
        });
        return;
      }
      case "kernel.switch":
        if (e.to !== null) this.counters.switches++;
        this.lanes.switchTo(e.cpu, e.cycle, e.to === null ? null : this.threadName(this.taskOf(e.to), e.to));
        return;
      case "kernel.process":
        if (e.event === "spawn") {
          this.counters.tasks++;
          this.names.set(e.pid, e.detail);
        }
        tr?.instant(`${e.event} ${e.pid}`, "task", CZ_TRACE_PID, CZ_TASK_LANE, e.cycle, {
          parent: e.ppid,
          detail: e.detail,
        });
        return;
      case "kernel.signal":
        // The kernel names the signal first: "SIGSEGV killed (core)".
        if (e.action.includes(" killed")) {
          this.counters.kills++;
          this.log(`kernel: task ${e.pid} (${this.names.get(e.pid) ?? "?"}): ${e.action}`);
        }
        tr?.instant(e.action, "signal", CZ_TRACE_PID, CZ_TASK_LANE, e.cycle, { pid: e.pid, sig: e.sig });
        return;
      case "kernel.crash":
        this.log(`kernel: task ${e.pid} crashed: ${e.message}`);
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
