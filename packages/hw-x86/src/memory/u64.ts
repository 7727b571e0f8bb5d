/**
 * 64-bit quantities as two 32-bit halves, and back. A page-table entry, a CR3 or an MSR is 64 bits
 * wide; JavaScript numbers are exact only to 2^53 and its bitwise operators work on 32 bits, so
 * the hot paths keep such a value as `lo` (bits 31:0) and `hi` (bits 63:32), each read with one
 * `read32` (`PhysicalMemory.read32` at `pa` and `pa + 4`, little-endian). These helpers
 * convert at the edges: to and from a BigInt (every 64-bit value, exactly) and to a number (exact
 * below 2^53, which every physical address is: MAXPHYADDR ≤ 52, SDM 4.1.4).
 *
 * ```
 *   0x0000_0001_0000_0002n  ──splitU64──▶  [lo = 2, hi = 1]  ──joinU64──▶  0x1_0000_0002n
 *                                                          └─joinHalvesToNumber─▶  4294967298
 * ```
 *
 * A file of its own because none of this is about memory's storage: it is how a 64-bit value
 * crosses between the halves the hot paths hold (a paging entry is `lo`/`hi` words) and the
 * BigInt or number an API or a test speaks, and a reader looks for it by that name.
 *
 * Related: `physical-memory.ts` (`read64`/`write64`/`write64Halves`), `address.ts` (`TWO_POW_32`).
 */
import { TWO_POW_32 } from "./address.js";

/** Split a 64-bit BigInt into `[lo, hi]` unsigned 32-bit halves. `splitU64(0x1_0000_0002n)` is `[2, 1]`. */
export function splitU64(value: bigint): [lo: number, hi: number] {
  const v = BigInt.asUintN(64, value);
  return [Number(v & 0xffffffffn), Number(v >> 32n)];
}

/** Join unsigned 32-bit halves into a BigInt. `joinU64(2, 1)` is `0x1_0000_0002n`. */
export function joinU64(lo: number, hi: number): bigint {
  return (BigInt(hi >>> 0) << 32n) | BigInt(lo >>> 0);
}

/** Join halves into a number when the value is below 2^53 (a physical address always is). */
export function joinHalvesToNumber(lo: number, hi: number): number {
  return (hi >>> 0) * TWO_POW_32 + (lo >>> 0);
}
