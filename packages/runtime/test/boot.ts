// Test helper: boot a small kernel whose init runs a threaded main, run it to the end.
import {
  compute,
  Kernel,
  type KernelEvent,
  ProgramRegistry,
  type RunResult,
  type Tracer,
  type UserCode,
} from "@osbricks/kernel";
import { type Pthread, type PthreadMain, pthreadMain } from "../src/index.js";

export interface Booted {
  readonly kernel: Kernel;
  readonly run: RunResult;
  /** init's wait status (exited: code << 8; killed: signal number). */
  readonly status: number;
}

export interface BootOptions {
  readonly cpus?: number;
  readonly tick?: number;
  readonly seed?: number;
  readonly paranoid?: boolean;
  readonly maxSteps?: number;
  readonly tracer?: Tracer<KernelEvent>;
  readonly maxThreads?: number;
}

/** Boot a kernel with the pthread personality, run `main` as init, return its wait status. */
export function boot(main: PthreadMain, o: BootOptions = {}): Booted {
  const programs = new ProgramRegistry().register({ name: "init", main: pthreadMain(main) });
  const kernel = new Kernel({
    programs,
    cpus: o.cpus ?? 1,
    tick: o.tick ?? 1000,
    seed: o.seed ?? 1,
    paranoid: o.paranoid ?? false,
    memoryFrames: 8192,
    ...(o.maxThreads ? { maxThreads: o.maxThreads } : {}),
    ...(o.tracer ? { tracer: o.tracer } : {}),
  });
  const p = kernel.boot("init");
  const run = kernel.run({ maxSteps: o.maxSteps ?? 5_000_000 });
  const status = kernel.life.reapedByKernel.find((x) => x.pid === p.pid)?.status ?? -1;
  return { kernel, run, status };
}

/** Yield and compute until `cond()` holds, at most `rounds` times; whether it held. */
export function* spinUntil(self: Pthread, cond: () => boolean, rounds = 10_000): UserCode<boolean> {
  for (let i = 0; i < rounds; i++) {
    if (cond()) return true;
    yield* self.yield();
    yield* compute(200);
  }
  return cond();
}

/** Give the other threads `rounds` turns (yield, then 500 cycles of work), so they reach their waits. */
export function* settle(self: Pthread, rounds: number): UserCode<void> {
  for (let i = 0; i < rounds; i++) {
    yield* self.yield();
    yield* compute(500);
  }
}
