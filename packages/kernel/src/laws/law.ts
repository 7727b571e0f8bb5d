// The shapes every law suite of @osbricks/kernel shares: a law, and the options of a suite. Apart
// from index.ts so that the suites' files import it without importing the index that re-exports them.
/** One named property of a law suite; `check()` throws on violation. */
export interface Law {
  readonly name: string;
  check(): void;
}

/** Options shared by the law suites. */
export interface LawOptions {
  /** fast-check runs per property. Default 100. */
  readonly numRuns?: number;
  /** Seed, for replay. Default: fast-check's. */
  readonly seed?: number;
}
