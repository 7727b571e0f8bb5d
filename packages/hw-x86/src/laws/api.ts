/**
 * The shape of every law suite of `@osbricks/hw-x86/laws` (CONTRIBUTING.md, "Laws"): a list of
 * named checks that throw on a violation, runnable from any test runner or a plain script.
 */

/** A named law; `check()` throws on a violation. */
export interface Law {
  /** What the law states, for a test name. */
  readonly name: string;
  /** Run the law (fast-check `assert`); throws on a counterexample. */
  check(): void;
}

/** Options of the law suites. */
export interface LawOptions {
  /** fast-check runs per property. Default 100. */
  readonly numRuns?: number;
  /** fast-check runs of a model-based law. Default 50. */
  readonly modelRuns?: number;
  /** Seed for reproducible runs. Default: fast-check's. */
  readonly seed?: number;
}
