// What the microkernels' test benches share: a first program that only passes time (the tests make
// its calls through the dispatcher, as its traps would), registered as "t" ahead of the kernel's
// own boot image.
import { compute, type ProgramMain, ProgramRegistry } from "@osbricks/kernel";

/** The bench's first program: its calls come from the test; it only passes time when run. */
export const idleProgram: ProgramMain = function* () {
  yield* compute(50_000);
  return 0;
};

/** A registry holding "t" ({@link idleProgram}) and then every program of `programs`, in order. */
export function benchRegistry(programs: Readonly<Record<string, ProgramMain>>): ProgramRegistry {
  const reg = new ProgramRegistry();
  reg.register({ name: "t", main: idleProgram });
  for (const [name, main] of Object.entries(programs)) reg.register({ name, main });
  return reg;
}
