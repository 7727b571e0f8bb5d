/**
 * For the planted-bug tests of the law suites: what the law whose name starts with `lawPrefix`
 * reports against an implementation, as the message of the check that broke (fast-check's
 * `cause`), or "the law held". A test then asserts that the message names the planted mistake.
 */
import type { Law } from "../src/laws/index.js";

export const LAW_HELD = "the law held";

export function violation(laws: readonly Law[], lawPrefix: string): string {
  const law = laws.find((l) => l.name.startsWith(lawPrefix));
  if (law === undefined) throw new Error(`no law starts with "${lawPrefix}"`);
  try {
    law.check();
  } catch (e) {
    const cause = (e as { cause?: unknown }).cause;
    return String(cause instanceof Error ? cause.message : e);
  }
  return LAW_HELD;
}
