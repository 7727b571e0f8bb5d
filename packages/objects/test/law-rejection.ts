// For the planted-bug tests of the law suites: find a law by a fragment of its name, and require
// that it rejects an implementation with the law's own complaint (not merely "something threw").
import { expect } from "vitest";
import type { Law } from "../src/laws/index.js";

/** The one law whose name contains `fragment`. */
export function law(laws: Law[], fragment: string): Law {
  const found = laws.filter((l) => l.name.includes(fragment));
  if (found.length !== 1) throw new Error(`${found.length} laws named like ${JSON.stringify(fragment)}`);
  return found[0]!;
}

/** `l` must fail, and its report must carry `complaint` (fast-check puts the law's error in `cause`). */
export function expectRejected(l: Law, complaint: RegExp): void {
  let message: string | null = null;
  try {
    l.check();
  } catch (e) {
    message = "";
    for (let x: unknown = e; x !== undefined; x = x instanceof Error ? x.cause : undefined)
      message += `${x instanceof Error ? x.message : String(x)}\n`;
  }
  if (message === null) throw new Error(`law "${l.name}" passed a broken implementation`);
  expect(message).toMatch(complaint);
}
