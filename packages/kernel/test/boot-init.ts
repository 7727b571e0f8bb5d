// The way most kernel tests run a program: register `init` (and `extra` images), boot a paranoid
// kernel (invariants checked at every trap), run to the end, and report init's exit status.
import {
  type ExecutableImage,
  Kernel,
  type KernelOptions,
  type ProcessStart,
  ProgramRegistry,
  posixStubs as sys,
  type UserCode,
} from "../src/index.js";

/** Boot `init` (plus `extra` images), run to the end, return the kernel, init's status and the console. */
export function boot(
  init: (s: ProcessStart) => UserCode<number | undefined>,
  extra: ExecutableImage[] = [],
  opts: Partial<KernelOptions> = {},
) {
  const programs = new ProgramRegistry().register({ name: "init", main: init });
  for (const e of extra) programs.register(e);
  const k = new Kernel({ programs, paranoid: true, ...opts });
  const p = k.boot("init");
  const r = k.run({ maxCycles: 5e8 });
  const reaped = k.life.reapedByKernel.find((x) => x.pid === p.pid);
  return { k, outcome: r.outcome, status: reaped?.status ?? -1, console: k.life.console.text() };
}

/** Assert inside a program: exit with a distinctive code (100 + `code`) when false. */
export function* check(cond: boolean, code: number): UserCode<void> {
  if (!cond) yield* sys.exit_group(100 + code);
}
