/**
 * The microkernels' observer: the kernel's events → the run's counters, console lines for crashes
 * (and, if the kernel wants them, kills), and — when asked — Chrome trace events on the CPU lanes
 * of `cpu-lanes.ts`. The codezero-like and the jsix-like kernel observe their runs the same way;
 * what differs is words (a "task" or a "process"), how a run slice is titled, and whether a fault
 * the VM could not resolve goes to a pager. Those come in as a {@link KernelObserverOptions}.
 *
 * ```
 *   KernelEvent ──▶ emit ──┬─▶ counters: syscalls, switches, faults (resolved / to pager / fatal),
 *                          │             kills, spawned
 *                          ├─▶ log: "kernel: task 7 crashed: …"   "kernel: task 7 (wild): SIGSEGV killed (core)"
 *                          └─▶ trace: lane 0   spawn / exit / signal instants (category: the noun)
 *                                     lane n+1 a slice per stretch a thread ran on cpu n ("X"),
 *                                              system calls and faults as instants ("i")
 * ```
 *
 * Invariants the kernels' trace tests check: slices = switches to a thread; syscall instants =
 * `counters.syscalls`; "fault to pager" instants = `counters.faultsToPager`.
 *
 * Related: `cpu-lanes.ts`, `chrome-trace.ts`, `../codezero/observer.ts`, `../jsix/observer.ts`.
 */
import type { KernelEvent, Tracer } from "@osbricks/kernel";
import type { ChromeTraceWriter } from "./chrome-trace.js";
import { CpuLanes } from "./cpu-lanes.js";

/** Trace process id of the machine; CPU n is lane n + 1. */
export const MACHINE_TRACE_PID = 1;
/** Lane of the life-cycle events (spawn, exit, signals). */
export const LIFECYCLE_LANE = 0;

/** What a microkernel's observer counts (see the banner). */
export interface KernelObservedCounters {
  /** System calls trapped. */
  syscalls: number;
  /** Switches to a thread (not to idle). */
  switches: number;
  /** Faults the VM resolved itself (a demand-zero page, a page of a mapped area touched first). */
  faultsResolved: number;
  /** Faults the VM could not resolve, handed to the task's pager. */
  faultsToPager: number;
  /** Faults that killed their process at once. */
  faultsFatal: number;
  /** Processes killed by a signal. */
  kills: number;
  /** Processes started (the first one included). */
  spawned: number;
}

/** How one kernel names and routes what it observes. */
export interface KernelObserverOptions {
  /** The trace's process name, e.g. `"jsix machine"`. */
  readonly machine: string;
  /** What the kernel calls a process: `"task"` or `"process"` (crash lines, life-cycle instants' category). */
  readonly noun: string;
  /** Its plural, lane 0's name: `"tasks"`, `"processes"`. */
  readonly nouns: string;
  /** Title of the run slice of live thread `tid`, e.g. `"12 srv.echo"`. */
  readonly sliceName: (tid: number, observer: KernelObserver) => string;
  /** Whether an unresolved fault of `pid` goes to a pager (counted and titled "to pager"). Default: never. */
  readonly toPager?: (pid: number) => boolean;
  /** Print a line when a signal kills a process. Default: false. */
  readonly logKills?: boolean;
}

/**
 * A tracer of the kernel's events (see the banner).
 * @example
 * ```ts
 * const o = new KernelObserver(console.log, null, { machine: "m", noun: "process", nouns: "processes", sliceName: (t) => `${t}` });
 * const kernel = new Kernel({ programs, tracer: o });
 * kernel.run();
 * o.finish(kernel.now); // o.counters.syscalls …
 * ```
 */
export class KernelObserver implements Tracer<KernelEvent> {
  readonly counters: KernelObservedCounters = {
    syscalls: 0,
    switches: 0,
    faultsResolved: 0,
    faultsToPager: 0,
    faultsFatal: 0,
    kills: 0,
    spawned: 0,
  };
  private readonly lanes: CpuLanes;
  /** Image names of the processes started, by pid (the spawn event's detail). */
  private readonly names = new Map<number, string>();

  /**
   * @param log kernel console lines.
   * @param trace where Chrome events go, or null.
   * @param options the kernel's words and routing.
   */
  constructor(
    private readonly log: (line: string) => void,
    private readonly trace: ChromeTraceWriter | null,
    private readonly options: KernelObserverOptions,
  ) {
    this.lanes = new CpuLanes(trace, MACHINE_TRACE_PID);
  }

  /** Name the lanes, once the CPU count is known. */
  nameLanes(cpus: number): void {
    this.lanes.name(this.options.machine, this.options.nouns, cpus);
  }

  /** The image name process `pid` was spawned with, or "?" for one not seen. */
  nameOf(pid: number): string {
    return this.names.get(pid) ?? "?";
  }

  /** @inheritdoc */
  emit(e: KernelEvent): void {
    const tr = this.trace;
    const { noun } = this.options;
    switch (e.type) {
      case "kernel.syscall":
        this.counters.syscalls++;
        this.lanes.syscall(e);
        return;
      case "kernel.fault": {
        let what: string = e.outcome;
        if (e.outcome === "resolved") this.counters.faultsResolved++;
        else if (this.options.toPager?.(e.pid) === true) {
          this.counters.faultsToPager++;
          what = "to pager";
        } else this.counters.faultsFatal++;
        tr?.instant(`fault ${what}`, "fault", MACHINE_TRACE_PID, e.cpu + 1, e.cycle, {
          pid: e.pid,
          va: `0x${e.va.toString(16)}`,
          access: e.access,
        });
        return;
      }
      case "kernel.switch":
        if (e.to !== null) this.counters.switches++;
        this.lanes.switchTo(e.cpu, e.cycle, e.to === null ? null : this.options.sliceName(e.to, this));
        return;
      case "kernel.process":
        if (e.event === "spawn") {
          this.counters.spawned++;
          this.names.set(e.pid, e.detail);
        }
        tr?.instant(`${e.event} ${e.pid}`, noun, MACHINE_TRACE_PID, LIFECYCLE_LANE, e.cycle, {
          parent: e.ppid,
          detail: e.detail,
        });
        return;
      case "kernel.signal":
        // The kernel names the signal first: "SIGSEGV killed (core)".
        if (e.action.includes(" killed")) {
          this.counters.kills++;
          if (this.options.logKills === true)
            this.log(`kernel: ${noun} ${e.pid} (${this.nameOf(e.pid)}): ${e.action}`);
        }
        tr?.instant(e.action, "signal", MACHINE_TRACE_PID, LIFECYCLE_LANE, e.cycle, {
          pid: e.pid,
          sig: e.sig,
        });
        return;
      case "kernel.crash":
        this.log(`kernel: ${noun} ${e.pid} crashed: ${e.message}`);
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
