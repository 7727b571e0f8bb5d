/**
 * What every runtime law suite needs to run one scenario: a fresh simulated kernel whose init is
 * a pthread program, run to its end, and a hash that varies each thread's work.
 *
 * ```
 *   scenario { cpus, tick, seed, memoryCost? }  ──▶  new Kernel(…) ─ boot(init = pthreadMain(main))
 *                                                          │ run({ maxSteps })
 *   { outcome, steps, cycles, crashes }  ◀─────────────────┘
 * ```
 *
 * Why the work varies with `workHash(seed, tid, i)`: with fixed amounts of work the schedule is
 * periodic, and a periodic schedule preempts at the same few traps every time; a hash of
 * (scenario, thread, iteration) spreads the preemptions over every trap of a protocol.
 *
 * Related: `lock-laws.ts`, `condvar-laws.ts`, `semaphore-laws.ts`.
 */
import { Kernel, ProgramRegistry, type UserCode } from "@osbricks/kernel";
import { pthreadMain } from "../thread/init.js";
import type { Pthread } from "../thread/pthread.js";

/** The machine a scenario runs on. */
export interface ScenarioMachine {
  /** CPUs of the simulated machine. */
  readonly cpus: number;
  /** Cycles per timer tick (the preemption grain). */
  readonly tick: number;
  /** The kernel's seed (its scheduling choices). */
  readonly seed: number;
  /** Cycles per user memory access; the kernel's default when omitted. */
  readonly memoryCost?: number | undefined;
}

/** How a scenario's kernel run ended. */
export interface ScenarioOutcome {
  /** The kernel's run outcome: `all-exited` unless something hung or crashed. */
  readonly outcome: string;
  /** Trap-loop steps taken. */
  readonly steps: number;
  /** Simulated cycles elapsed. */
  readonly cycles: number;
  /** Messages of the kernel's crash reports (a program that threw). */
  readonly crashes: readonly string[];
}

/**
 * Boot a kernel for `machine` whose init, named `name`, runs `main` as a pthread program, and run
 * it for at most `maxSteps` trap-loop steps.
 */
export function runScenarioKernel(
  name: string,
  machine: ScenarioMachine,
  maxSteps: number,
  main: (self: Pthread) => UserCode<number>,
): ScenarioOutcome {
  const programs = new ProgramRegistry().register({ name, main: pthreadMain(main) });
  const k = new Kernel({
    programs,
    cpus: machine.cpus,
    tick: machine.tick,
    seed: machine.seed,
    ...(machine.memoryCost === undefined ? {} : { costs: { memory: machine.memoryCost } }),
  });
  k.boot(name);
  const r = k.run({ maxSteps });
  return { outcome: r.outcome, steps: r.steps, cycles: r.cycles, crashes: k.crashes.map((c) => c.message) };
}

/** A deterministic 32-bit mix of three small numbers (an xorshift-multiply hash). */
export function workHash(a: number, b: number, c: number): number {
  let h =
    Math.imul(a ^ 0x9e37_79b9, 0x85eb_ca6b) ^ Math.imul(b + 1, 0xc2b2_ae35) ^ Math.imul(c + 1, 0x27d4_eb2f);
  h ^= h >>> 15;
  h = Math.imul(h, 0x2c1b_3c6d);
  return (h ^ (h >>> 13)) >>> 0;
}
