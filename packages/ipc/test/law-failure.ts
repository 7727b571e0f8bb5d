/**
 * How the law-rejection tests read a failure: run a law (or several) and return fast-check's
 * report followed by the messages of the errors it wraps (`cause` chain), so a test can match the
 * counterexample's wording; "the law passed" when nothing failed.
 */
export function failureOf(law: { check(): void }): string {
  try {
    law.check();
  } catch (e) {
    const parts: string[] = [];
    for (let x: unknown = e; x instanceof Error; x = x.cause) parts.push(x.message);
    return parts.join("\n");
  }
  return "the law passed";
}
