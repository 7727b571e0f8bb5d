/**
 * What a law is: a named check that throws on violation, runnable by any test runner
 * (CONTRIBUTING.md, "Laws").
 */

/** One law of an interface. */
export interface Law {
  /** What the law says, as a sentence. */
  readonly name: string;
  /** Runs the law's property; throws (with fast-check's shrunk counterexample) on violation. */
  check(): void;
}

/** Options of the law suites of this package. */
export interface LawOptions {
  /** Runs per property. Default 50 (each run boots a kernel). */
  readonly numRuns?: number;
  /** fast-check seed, to replay a failure. Default: fast-check picks one (and prints it). */
  readonly seed?: number;
}

/** fast-check parameters from law options. */
export function fcParams(options: LawOptions): { numRuns: number; seed?: number } {
  const numRuns = options.numRuns ?? 50;
  return options.seed === undefined ? { numRuns } : { numRuns, seed: options.seed };
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
