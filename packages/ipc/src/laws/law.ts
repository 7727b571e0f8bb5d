/**
 * What a law is: a named check that throws on violation, runnable by any test runner
 * (CONTRIBUTING.md, "Laws"). A suite is a function from a factory to a list of laws:
 *
 * ```ts
 * for (const law of endpointLaws((threads, order) => new MyEndpoint(threads, order))) it(law.name, () => law.check());
 * ```
 */

/** One law of an interface. */
export interface Law {
  /** What the law says, as a sentence. */
  readonly name: string;
  /** Runs the law's property; throws (a fast-check report with the shrunk counterexample) on violation. */
  check(): void;
}

/** Options shared by the law suites of this package. */
export interface LawOptions {
  /** Runs per property. Default 100. */
  readonly numRuns?: number;
  /** fast-check seed, to replay a failure. Default: fast-check picks one (and prints it). */
  readonly seed?: number;
  /** Longest command sequence per run. Default 40. */
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

/** fast-check parameters from law options. */
export function fcParams(options: LawOptions): { numRuns: number; seed?: number } {
  return options.seed === undefined
    ? { numRuns: options.numRuns ?? 100 }
    : { numRuns: options.numRuns ?? 100, seed: options.seed };
}
