/**
 * Physical addresses, frame numbers and the hex formatting every message uses.
 *
 * A physical address is at most 52 bits wide on x86-64 (Intel SDM 4.1.4: MAXPHYADDR ≤ 52), so it
 * fits exactly in a JavaScript number (integers are exact up to 2^53). We therefore keep physical
 * addresses and frame numbers as plain numbers, not BigInt: a page walk does arithmetic on them in
 * its inner loop, and BigInt costs about 8× there (see ../shared/baselines, benchmark 2).
 *
 * ```
 *   physical address  0x0000_0012_3456_7ABC
 *                       └────── pfn ─────┘└off┘    pfn = pa / 4096 = 0x123_4567, offset = 0xABC
 * ```
 *
 * `PhysAddr` and `Pfn` are type aliases (documentation for the reader), not brands: the hot paths
 * and the student-facing examples stay free of casts. Functions that take them validate them.
 *
 * Related: `physical-memory.ts` (the RAM these address), `../paging/virtual-address.ts`.
 */
import { AlignmentError, InvalidArgumentError } from "../errors.js";

/** A physical byte address (an integer in 0..2^52-1). */
export type PhysAddr = number;
/** A physical frame number: a physical address divided by 4096. */
export type Pfn = number;

/** Bytes in a 4 KiB frame (Intel SDM 4.3: the smallest page). */
export const FRAME_SIZE = 4096;
/** log2(FRAME_SIZE): a frame number is an address shifted right by 12. */
export const FRAME_SHIFT = 12;
/** 2^32, the weight of the high half when a 64-bit quantity is kept as two 32-bit halves. */
export const TWO_POW_32 = 4294967296;

/**
 * Format a non-negative integer (or a bigint) as lowercase hex with a `0x` prefix, for messages and
 * dumps. Negative numbers (upper-half virtual addresses) are shown as their 64-bit two's-complement
 * form, as a debugger would: `hex(-4096)` is `0xfffffffffffff000`.
 *
 * @example
 * ```ts
 * hex(0x201000); // "0x201000"
 * hex(-0x800000000000); // "0xffff800000000000"
 * ```
 */
export function hex(value: number | bigint): string {
  if (typeof value === "bigint") {
    return `0x${BigInt.asUintN(64, value).toString(16)}`;
  }
  if (!Number.isFinite(value)) return String(value);
  if (value < 0 && Number.isSafeInteger(value)) {
    return `0x${BigInt.asUintN(64, BigInt(value)).toString(16)}`;
  }
  return `0x${value.toString(16)}`;
}

/** The frame number holding `pa` (rounds down). `pfnOf(0x201abc)` is `0x201`. */
export function pfnOf(pa: PhysAddr): Pfn {
  return Math.floor(pa / FRAME_SIZE);
}

/** The physical address of the first byte of frame `pfn`. `frameAddress(0x201)` is `0x201000`. */
export function frameAddress(pfn: Pfn): PhysAddr {
  return pfn * FRAME_SIZE;
}

/**
 * Check that `pa` is an integer physical address below 2^52 and aligned to `align` bytes.
 *
 * @param call - the caller's name and arguments, used to start the error message.
 * @throws {@link InvalidArgumentError} when `pa` is not a non-negative integer below 2^52.
 * @throws {@link AlignmentError} when `pa` is not a multiple of `align`.
 */
export function checkPhysAddr(call: string, pa: PhysAddr, align: number): void {
  if (!Number.isInteger(pa) || pa < 0 || pa >= 2 ** 52) {
    throw new InvalidArgumentError(
      `${call}: ${String(pa)} is not a physical address (an integer in 0..2^52-1, Intel SDM 4.1.4)`,
    );
  }
  if (pa % align !== 0) {
    throw new AlignmentError(`${call}: ${hex(pa)} is not aligned to ${hex(align)} bytes`);
  }
}
