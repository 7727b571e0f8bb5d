/**
 * What a law is: a named check that throws on violation, runnable by any test runner.
 *
 * A law suite is a function from a factory (a fresh structure per run) to a list of laws; a
 * student's vitest, jest or plain script loops over it:
 *
 * ```ts
 * for (const law of frameAllocatorLaws(() => new MyAllocator(256))) it(law.name, () => law.check());
 * ```
 */
import fc from "fast-check";

/** One law of an interface. */
export interface Law {
  /** What the law says, as a sentence: `"allocated blocks never overlap"`. */
  readonly name: string;
  /** Runs the law's property; throws (a fast-check report with the shrunk counterexample) on violation. */
  check(): void;
}

/** Options shared by every law suite of the package. */
export interface LawOptions {
  /** Runs per property. Default 100. */
  readonly numRuns?: number;
  /** fast-check seed, to replay a failure. Default: fast-check picks one (and prints it on failure). */
  readonly seed?: number;
  /** Longest command or operation sequence per run. Default 60. */
  readonly maxSteps?: number;
}

/** Run every law of a suite, throwing on the first violation (with the law's name first). */
export function runLaws(laws: readonly Law[]): void {
  for (const law of laws) {
    try {
      law.check();
    } catch (e) {
      const message = e instanceof Error ? e.message : String(e);
      throw new Error(`law "${law.name}" violated:\n${message}`, { cause: e });
    }
  }
}

/**
 * @internal A suite's law builder: each law it makes runs its property with the options' number
 * of runs (default 100) and seed. The suites share it so that every one reads `opts` alike.
 */
export function lawMaker(
  opts: LawOptions,
): <T extends unknown[]>(name: string, prop: fc.IProperty<T>) => Law {
  const params = { numRuns: opts.numRuns ?? 100, ...(opts.seed !== undefined ? { seed: opts.seed } : {}) };
  return (name, prop) => ({ name, check: () => fc.assert(prop, params) });
}

/** @internal Throw `what: got …, expected …` unless `actual === expected`. */
export function assertEq(actual: unknown, expected: unknown, what: string): void {
  if (actual !== expected) throw new Error(`${what}: got ${String(actual)}, expected ${String(expected)}`);
}
