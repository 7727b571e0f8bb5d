/**
 * The shape of a law suite, shared by every osbricks package (CONTRIBUTING.md, "Laws").
 *
 * A law is a named check that throws on violation; it uses fast-check's `fc.assert` inside, so
 * any runner (vitest, jest, a plain script) can run it:
 *
 * ```ts
 * for (const law of handleTableLaws((space, capacity) => new MyTable(space, capacity))) it(law.name, () => law.check());
 * ```
 */

import type { HandleTable } from "../handles/api.js";
import type { ObjectSpace } from "../object/space.js";

/** One law: `check()` throws (with fast-check's counterexample and replay path) on violation. */
export interface Law {
  readonly name: string;
  check(): void;
}

/** Options of the law suites. */
export interface LawOptions {
  /** Runs per property. Default: 100 for most laws (50 for the slower property laws). */
  readonly numRuns?: number;
  /** Seed for a reproducible run. Default: fast-check's random seed. */
  readonly seed?: number;
}

/**
 * Builds a handle table under test. The table must belong to `space` (use its derivation tree for
 * share/split/revoke and call `acquireHandle`/`releaseHandle` on objects) and hold at most
 * `capacity` handles.
 */
export type HandleTableFactory = (space: ObjectSpace, capacity: number) => HandleTable;
