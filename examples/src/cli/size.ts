/**
 * Memory sizes on the command line: `--mem 512M`, `--mem 4GiB`, `--mem 65536K`.
 *
 * Binary units throughout (K = 2^10, M = 2^20, G = 2^30, T = 2^40), as `free -h` and the kernel's
 * own boot log use them; a bare number is bytes. The result must be a whole number of 4 KiB frames
 * because the machine is built from frames.
 */

/** Thrown for a size the command line cannot use; the message names the flag, the value and the rule. */
export class SizeError extends Error {
  readonly code = "bad-size";
}

const UNITS: Readonly<Record<string, number>> = { "": 1, K: 2 ** 10, M: 2 ** 20, G: 2 ** 30, T: 2 ** 40 };
const FRAME = 4096;

/**
 * Parse a size such as `512M`, `1.5G` or `4GiB` into bytes.
 *
 * @param text  what the user typed
 * @param flag  the flag it came from, for the message (`--mem`)
 * @param limits inclusive bounds in bytes
 * @throws SizeError on syntax errors, sizes that are not a multiple of 4 KiB, or sizes out of range.
 * @example parseSize("512M", "--mem") === 536870912
 */
export function parseSize(
  text: string,
  flag: string,
  limits: { readonly min: number; readonly max: number } = { min: 1 << 20, max: 2 ** 46 },
): number {
  const m = /^(\d+(?:\.\d+)?)\s*([KMGT]?)(?:i?B)?$/i.exec(text.trim());
  if (!m) {
    throw new SizeError(
      `${flag} ${JSON.stringify(text)}: not a size (expected a number with K, M, G or T, e.g. 512M)`,
    );
  }
  const bytes = Number(m[1]) * (UNITS[(m[2] ?? "").toUpperCase()] ?? 1);
  if (!Number.isSafeInteger(bytes) || bytes % FRAME !== 0) {
    throw new SizeError(`${flag} ${text}: ${bytes} bytes is not a whole number of 4 KiB frames`);
  }
  if (bytes < limits.min || bytes > limits.max) {
    throw new SizeError(
      `${flag} ${text}: expected between ${formatSize(limits.min)} and ${formatSize(limits.max)}`,
    );
  }
  return bytes;
}

/** Format bytes with the largest binary unit that divides them evenly: 536870912 → "512 MiB". */
export function formatSize(bytes: number): string {
  for (const [unit, scale] of [
    ["TiB", 2 ** 40],
    ["GiB", 2 ** 30],
    ["MiB", 2 ** 20],
    ["KiB", 2 ** 10],
  ] as const) {
    if (bytes >= scale && bytes % scale === 0) return `${bytes / scale} ${unit}`;
  }
  return `${bytes} B`;
}
