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

/**
 * Run every law of a suite, throwing on the first violation with the law's name first:
 * `law "<name>" violated:` and fast-check's report; the law's own error is the `cause`.
 * @example
 * ```ts
 * runLaws([{ name: "holds", check: () => {} }]); // nothing thrown
 * ```
 */
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
