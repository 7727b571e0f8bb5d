/**
 * The CPU lanes of an example kernel's Chrome trace: one lane (a trace "thread") per simulated CPU,
 * a slice for every stretch a thread ran there, and the system calls as instants on the lane where
 * they trapped. Both example kernels' observers draw their machines this way, so it lives here once;
 * what each kernel counts and logs stays in its own observer.
 *
 * ```
 *   lane 0        machine events (processes or tasks)
 *   lane 1 cpu0   ▕ 3 sh ▏▕ 4 cat  ▏    ▕ 3 sh ▏        a slice opens at a switch to a thread and
 *   lane 2 cpu1   ▕ 5 wc      ▏▕ 5 wc ▏                 closes at the next switch on that CPU
 * ```
 *
 * A slice opens at a `kernel.switch` to a thread and closes at the next switch on the same CPU or
 * at {@link CpuLanes.finish}, so slices = switches to a thread: the kernels' trace tests check
 * exactly that. With no trace writer nothing is written (the open slices are still tracked, which
 * costs a store per switch).
 *
 * Related: `chrome-trace.ts` (the file format), `../lunaix/observer.ts`, `../codezero/observer.ts`.
 */
import type { KernelEvent } from "@osbricks/kernel";
import type { ChromeTraceWriter } from "./chrome-trace.js";

/** A system-call event of the kernel's tracer. */
type SyscallEvent = Extract<KernelEvent, { type: "kernel.syscall" }>;

/** One trace process's CPU lanes (see the banner): CPU n is lane n + 1, lane 0 the machine's events. */
export class CpuLanes {
  /** Per CPU: the slice running there (thread name, start cycle), or null when idle. */
  private readonly open: ({ name: string; start: number } | null)[] = [];

  /**
   * @param trace where the events go, or null (then nothing is written).
   * @param pid the trace process the lanes belong to.
   */
  constructor(
    private readonly trace: ChromeTraceWriter | null,
    private readonly pid: number,
  ) {}

  /** Name the process, its lane 0 and one lane per CPU: call once the CPU count is known. */
  name(machine: string, lane0: string, cpus: number): void {
    if (this.trace === null) return;
    this.trace.nameProcess(this.pid, machine);
    this.trace.nameThread(this.pid, 0, lane0);
    for (let c = 0; c < cpus; c++) this.trace.nameThread(this.pid, c + 1, `cpu${c}`);
  }

  /** A system call as an instant on its CPU's lane, with who made it and what it returned. */
  syscall(e: SyscallEvent): void {
    this.trace?.instant(e.name, "syscall", this.pid, e.cpu + 1, e.cycle, {
      pid: e.pid,
      tid: e.tid,
      result: e.result,
    });
  }

  /** A switch on `cpu` at `cycle`: the slice running there ends; one for `name` begins (null: idle). */
  switchTo(cpu: number, cycle: number, name: string | null): void {
    this.close(cpu, cycle);
    if (name !== null) this.open[cpu] = { name, start: cycle };
  }

  /** Close the slices still open at `cycle` (the end of the run). */
  finish(cycle: number): void {
    for (let c = 0; c < this.open.length; c++) this.close(c, cycle);
  }

  private close(cpu: number, cycle: number): void {
    const cur = this.open[cpu];
    if (cur && this.trace)
      this.trace.slice(cur.name, "run", this.pid, cpu + 1, cur.start, Math.max(cur.start, cycle));
    this.open[cpu] = null;
  }
}
