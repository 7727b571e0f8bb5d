/**
 * What the microkernel examples' boot drivers (Codezero-like, jsix-like) do the same way: print
 * the machine lines every kernel prints first, run the demo until everything has exited, and
 * close the summary with simulated time and leaks. Each kernel's own boot file keeps what is
 * about its design (the first task, its handles or its σ0 pool, its counters).
 *
 * ```
 *   bootAndRun(boot, args, write, trace)
 *     boot({ mem, cpus, seed, policy?, trace?, output })   the kernel's System.boot
 *       └─ machineLines(...)                               booting / memory / cpus / kernel lines
 *     system.run()        ─▶ runToEnd(kernel, observer)    outcome; observer.finish(furthest cycle)
 *     system.printSummary()  summaryHead … summaryTail     rule, outcome … switches, calls,
 *                                                          simulated time, leaks
 * ```
 *
 * Worked (the simulated-time line): 2 500 000 cycles at 1 GHz are 2.500 ms.
 *
 * Related: `codezero/boot.ts`, `jsix/boot.ts`, `boot.ts` (the command line).
 */
import type { Kernel } from "@osbricks/kernel";
import { formatSize } from "./cli/size.js";
import { TICK } from "./lunaix/kernel.js";
import type { Machine, MachineOptions } from "./lunaix/machine.js";
import type { ChromeTraceWriter } from "./trace/chrome-trace.js";

/** The command line's machine choice, as a boot driver takes it. */
export interface MachineArgs {
  readonly seed: number;
  readonly cpus: number;
  readonly mem: number;
  readonly policy?: string | undefined;
}

/** What every example system's `boot` takes besides its own options. */
export interface SystemBootOptions extends MachineOptions {
  /** Receives console output, one line at a time (with its newline). */
  readonly output: (text: string) => void;
  /** Where Chrome trace events go. */
  readonly trace?: ChromeTraceWriter;
}

/** A booted system that runs its demo and prints its summary. */
export interface RunnableSystem {
  /** Run until every process has exited (or nothing can run); the kernel's outcome. */
  run(): string;
  /** Print the final summary on the console. */
  printSummary(): void;
}

/** A system call table, as far as its boot line needs it. */
export interface NamedCallTable {
  readonly entries: readonly { readonly name: string; readonly decl: { readonly nr: number } }[];
}

/**
 * Boot with the command line's machine, run the demo, print the summary.
 * @param extra options of this kernel's own (e.g. `{ paranoid: true }`), passed to `boot`.
 * @throws whatever `boot` throws (MachineConfigError for a machine that cannot be built).
 * @example
 * ```ts
 * bootAndRun((o) => CodezeroSystem.boot(o), { seed: 1, cpus: 2, mem: 2 ** 28 }, (t) => out.push(t));
 * ```
 */
export function bootAndRun<S extends RunnableSystem, X extends object>(
  boot: (o: SystemBootOptions & X) => S,
  args: MachineArgs,
  write: (text: string) => void,
  trace: ChromeTraceWriter | undefined,
  extra: X,
): S {
  const system = boot({
    mem: args.mem,
    cpus: args.cpus,
    seed: args.seed,
    ...extra,
    ...(args.policy !== undefined ? { policy: args.policy } : {}),
    ...(trace !== undefined ? { trace } : {}),
    output: write,
  });
  system.run();
  system.printSummary();
  return system;
}

/**
 * The four lines every microkernel example prints first: `<title> booting: …`, the buddy's
 * frames, the CPUs and their timer tick, and the system call table by name and number.
 * @example
 * ```ts
 * machineLines(log, "jsix-like kernel", k, m, jsixSyscalls);
 * // "jsix-like kernel booting: seed 1, 2 CPU(s), 256 MiB, policy cfs", "memory: …", …
 * ```
 */
export function machineLines(
  log: (line: string) => void,
  title: string,
  k: Kernel,
  m: Machine,
  table: NamedCallTable,
): void {
  log(`${title} booting: seed ${m.seed}, ${m.cpus} CPU(s), ${formatSize(m.mem)}, policy ${m.policy}`);
  log(
    `memory: ${k.frames.frameCount} frames in the buddy allocator, ${k.reservedFrames} reserved by the firmware map, ${k.frames.freeFrames()} free`,
  );
  log(`cpus: ${m.cpus}, an APIC timer each, tick every ${TICK} cycles; scheduler ${m.policy} per CPU`);
  log(
    `kernel: ${table.entries.length} system calls: ${table.entries.map((e) => `${e.name}=${e.decl.nr}`).join(" ")}`,
  );
}

/**
 * Simulated cycles so far: the furthest of the kernel's clock and every CPU's.
 * @example
 * ```ts
 * const cycles = furthestCycle(system.kernel); // ≥ kernel.now
 * ```
 */
export function furthestCycle(k: Kernel): number {
  let c = k.now;
  for (const cpu of k.cpus) c = Math.max(c, cpu.time);
  return c;
}

/** An observer that closes its trace at the run's last cycle. */
export interface FinishingObserver {
  /** The run is over at simulated cycle `cycles`: close open spans. */
  finish(cycles: number): void;
}

/**
 * Run the kernel until every process has exited (or nothing can run), then tell the observer
 * the run ended at the furthest clock; the kernel's outcome.
 * @example
 * ```ts
 * runToEnd(system.kernel, system.observer); // "all-exited"
 * ```
 */
export function runToEnd(k: Kernel, observer: FinishingObserver): string {
  const r = k.run();
  observer.finish(furthestCycle(k));
  return r.outcome;
}

/**
 * The first two summary lines: the rule and how the run ended.
 * @example
 * ```ts
 * summaryHead("all-exited"); // ["---- summary ----", "run ended:             all-exited"]
 * ```
 */
export function summaryHead(outcome: string): string[] {
  return ["---- summary ----", `run ended:             ${outcome}`];
}

/** The figures every summary ends with. */
export interface RunFigures {
  readonly switches: number;
  readonly syscalls: number;
  readonly cycles: number;
  readonly leaks: readonly string[];
}

/**
 * The last four summary lines: context switches, system calls, simulated time (at 1 GHz:
 * cycles / 10⁶ ms) and the leak check.
 * @example
 * ```ts
 * summaryTail({ switches: 40, syscalls: 900, cycles: 2_500_000, leaks: [] }, 2);
 * // […, "simulated time:        2500000 cycles (2.500 ms at 1 GHz) on 2 CPU(s)", "leaks after the run:   none"]
 * ```
 */
export function summaryTail(f: RunFigures, cpus: number): string[] {
  return [
    `context switches:      ${f.switches}`,
    `system calls:          ${f.syscalls}`,
    `simulated time:        ${f.cycles} cycles (${(f.cycles / 1e6).toFixed(3)} ms at 1 GHz) on ${cpus} CPU(s)`,
    `leaks after the run:   ${f.leaks.length === 0 ? "none" : f.leaks.join("; ")}`,
  ];
}
