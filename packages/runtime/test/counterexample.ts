// Test helper: run a law that must fail and return fast-check's shrunk counterexample from its report.
import type { Law } from "../src/laws/index.js";

/** Run `law`, which must be violated; return the first argument of its shrunk counterexample. */
export function counterexampleOf<T>(law: Law): T {
  return counterexampleArgsOf<[T]>(law)[0];
}

/** Run `law`, which must be violated; return every argument of its shrunk counterexample. */
export function counterexampleArgsOf<T extends unknown[]>(law: Law): T {
  try {
    law.check();
  } catch (e) {
    const m = /Counterexample: (\[.*\])/.exec(e instanceof Error ? e.message : String(e));
    if (m === null) throw new Error(`law "${law.name}" failed without a counterexample: ${String(e)}`);
    return JSON.parse(m[1]!) as T;
  }
  throw new Error(`law "${law.name}" held, but the implementation is broken`);
}
