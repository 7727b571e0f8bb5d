/**
 * Number formatting for error messages and reports (internal; not exported from the package).
 *
 * Frame numbers and addresses are shown in hex, as kernels print them: `free(pfn=0x1200, order=2)`.
 */

/** `0x1200` for 4608; non-integers and negatives are shown as they are, so a bad value stays visible. */
export function hex(n: number): string {
  return Number.isInteger(n) && n >= 0 ? `0x${n.toString(16)}` : String(n);
}
