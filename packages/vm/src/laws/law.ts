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
