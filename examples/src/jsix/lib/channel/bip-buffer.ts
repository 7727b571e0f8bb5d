/**
 * Simon Cooke's bip buffer ("The Bip Buffer — The Circular Buffer with a Twist", 2003): a ring
 * buffer that hands out *contiguous* regions, kept entirely in simulated user memory so that two
 * processes mapping the same pages share it. libj6's `util::bip_buffer` is the model.
 *
 * A plain ring buffer splits a write that reaches the end in two; a bip buffer never does. It
 * keeps up to two regions of committed bytes, A and B, and at most one reservation R:
 *
 * ```
 *   data:  0                                                        capacity
 *          |  B (newer)  | R |   free     |     A (older)      | free |
 *          ^startB = 0                    ^startA
 *   reads come from A only; when A is consumed to its end, B becomes A.
 *   writes go after A while A has room behind it, else at 0 (starting B) — never across the end.
 * ```
 *
 * Worked numbers (capacity 100): commit 60 → A=[0,60). Consume 50 → A=[50,60). Reserve 45: 40
 * bytes are free after A (60..100), too few, but 50 are free before it, so R=[0,45) and the commit
 * makes B=[0,45). get_block now returns A=[50,60), 10 bytes; consume 10 → A := B = [0,45).
 *
 * **Header** (at `base`, little-endian 32-bit words; positions count bytes from the data area):
 *
 * | offset | field     | meaning                                                            |
 * | ------ | --------- | ------------------------------------------------------------------ |
 * | 0      | CAPACITY  | bytes in the data area                                              |
 * | 4      | DATA      | the data area's distance from `base` (≥ 32, so it follows the header) |
 * | 8      | START_A   | first byte of A (0 while A is empty)                                |
 * | 12     | SIZE_A    | bytes in A                                                          |
 * | 16     | START_B   | first byte of B (always 0: B grows from the start)                  |
 * | 20     | SIZE_B    | bytes in B (0 while A is empty: B exists only behind a non-empty A) |
 * | 24     | START_R   | first byte of the reservation                                       |
 * | 28     | SIZE_R    | bytes reserved, 0 for none                                          |
 *
 * Positions are offsets, not addresses: the two processes map the area at different addresses.
 *
 * **Invariants** ({@link checkBipHeader}): every region lies inside the data area; B (when not
 * empty) starts at 0 and ends at or before A's start, so B is before A and disjoint from it;
 * SIZE_A = 0 implies START_A = 0 and SIZE_B = 0; a reservation lies in free space: right after B
 * while B exists, else right after A or at 0 before A (or anywhere while A is empty).
 *
 * **One reservation at a time.** A reserve while another is outstanding throws
 * {@link ChannelStateError} and changes nothing (Cooke's buffer silently forgets the first one,
 * and the bytes written into it are lost; jsix's channel avoids the case by taking its mutex).
 * `commit(0)` cancels a reservation.
 *
 * The functions are not thread-safe: the caller serialises them (the channel holds its mutex).
 * Each is a generator over {@link ChannelMemory}, so a program runs it on its own memory (every
 * load a trap) and a test on a `Uint8Array`.
 *
 * Related: `memory.ts`, `area.ts` (where the channel places this header), `channel.ts`.
 */

import type { UserCode } from "@osbricks/kernel";
import { ChannelArgumentError, ChannelInvariantError, ChannelStateError } from "./errors.js";
import type { ChannelMemory } from "./memory.js";

/** Byte offsets of the header's words (see the banner). */
export const BipField = {
  CAPACITY: 0,
  DATA: 4,
  START_A: 8,
  SIZE_A: 12,
  START_B: 16,
  SIZE_B: 20,
  START_R: 24,
  SIZE_R: 28,
} as const;

/** Bytes the header occupies; the data area starts at least this far from `base`. */
export const BIP_HEADER_BYTES = 32;

/** {@link bipReserve}'s answer when the request does not fit now (the reader must consume first). */
export const BIP_FULL = -1;

/** The header, decoded. Positions are offsets into the data area. */
export interface BipHeader {
  /** Bytes in the data area. */
  readonly capacity: number;
  /** The data area's distance from the header's base. */
  readonly data: number;
  /** Region A (older bytes, read first). */
  readonly startA: number;
  /** Bytes in A. */
  readonly sizeA: number;
  /** Region B (newer bytes, wrapped to the start). */
  readonly startB: number;
  /** Bytes in B. */
  readonly sizeB: number;
  /** The outstanding reservation's first byte. */
  readonly startR: number;
  /** Bytes reserved (0: none). */
  readonly sizeR: number;
}

/** A contiguous run of committed bytes, as {@link bipGetBlock} returns it. */
export interface BipBlock {
  /** Its address in the caller's address space. */
  readonly va: number;
  /** Its length in bytes (≥ 1). */
  readonly length: number;
}

/**
 * Initialise an empty bip buffer: header at `base`, `capacity` data bytes at `base + data`.
 * @param data the data area's distance from `base`, ≥ {@link BIP_HEADER_BYTES} (default: right after).
 * @throws ChannelArgumentError if `base` is not 4-byte aligned, `capacity` is not a positive
 *   integer below 2^31, or `data` would overlap the header.
 * @example
 * ```ts
 * yield* bipInit(userMemory, base, 4096 - 64, 64); // data from base+64 to base+4096
 * ```
 */
export function* bipInit(
  m: ChannelMemory,
  base: number,
  capacity: number,
  data = BIP_HEADER_BYTES,
): UserCode<void> {
  if (!Number.isInteger(base) || base % 4 !== 0)
    throw new ChannelArgumentError(`bipInit(base=${base}): the header must be 4-byte aligned`);
  if (!Number.isInteger(capacity) || capacity < 1 || capacity > 0x7fff_ffff)
    throw new ChannelArgumentError(`bipInit(capacity=${capacity}): must be an integer in 1..2^31-1`);
  if (!Number.isInteger(data) || data < BIP_HEADER_BYTES || data > 0x7fff_ffff)
    throw new ChannelArgumentError(
      `bipInit(data=${data}): the data area must start at least ${BIP_HEADER_BYTES} bytes after the header`,
    );
  const h = new Uint8Array(BIP_HEADER_BYTES);
  const v = new DataView(h.buffer);
  v.setUint32(BipField.CAPACITY, capacity, true);
  v.setUint32(BipField.DATA, data, true);
  yield* m.write(base, h); // every position and size 0: empty, no reservation
}

/**
 * Read and decode the header at `base` (one `read` of 32 bytes: one trap in a program).
 * @example
 * ```ts
 * const h = yield* bipHeader(userMemory, base); h.sizeA + h.sizeB; // bytes readable
 * ```
 */
export function* bipHeader(m: ChannelMemory, base: number): UserCode<BipHeader> {
  const raw = yield* m.read(base, BIP_HEADER_BYTES);
  const v = new DataView(raw.buffer, raw.byteOffset, BIP_HEADER_BYTES);
  return {
    capacity: v.getUint32(BipField.CAPACITY, true),
    data: v.getUint32(BipField.DATA, true),
    startA: v.getUint32(BipField.START_A, true),
    sizeA: v.getUint32(BipField.SIZE_A, true),
    startB: v.getUint32(BipField.START_B, true),
    sizeB: v.getUint32(BipField.SIZE_B, true),
    startR: v.getUint32(BipField.START_R, true),
    sizeR: v.getUint32(BipField.SIZE_R, true),
  };
}

/** Bytes committed and not yet consumed (A + B). */
export function bipUsed(h: BipHeader): number {
  return h.sizeA + h.sizeB;
}

/**
 * The start of the largest request {@link bipReserve} would grant now, and its room: after B
 * while B exists; else after A if `size` fits there, else at 0 if it fits before A. Returns
 * {@link BIP_FULL} when `size` fits nowhere contiguous. Pure: reads the header, changes nothing.
 *
 * Worked numbers (capacity 100, A=[50,60), no B): size 40 → 60 (60..100 is free); size 45 → 0
 * (only 40 after A, 50 before it); size 51 → BIP_FULL.
 */
export function bipPlace(h: BipHeader, size: number): number {
  if (h.sizeB > 0) return size <= h.startA - (h.startB + h.sizeB) ? h.startB + h.sizeB : BIP_FULL;
  const endA = h.startA + h.sizeA;
  if (size <= h.capacity - endA) return endA;
  if (size <= h.startA) return 0;
  return BIP_FULL;
}

/**
 * Reserve `size` contiguous bytes for a write. Returns the region's address (`base + data +
 * start`), or {@link BIP_FULL} when no contiguous run of `size` free bytes exists now — a
 * sentinel rather than an object, as this is the writer's hot path. Never splits a request.
 *
 * @throws ChannelArgumentError if `size` is not an integer in 1..capacity (it could never fit;
 *   jsix's channel answers `j6_err_insufficient`).
 * @throws ChannelStateError if a reservation is already outstanding (see the banner); nothing changes.
 * @example
 * ```ts
 * const va = yield* bipReserve(userMemory, base, 100);
 * if (va !== BIP_FULL) { yield* userMemory.write(va, bytes); yield* bipCommit(userMemory, base, 100); }
 * ```
 */
export function* bipReserve(m: ChannelMemory, base: number, size: number): UserCode<number> {
  const h = yield* bipHeader(m, base);
  if (!Number.isInteger(size) || size < 1 || size > h.capacity)
    throw new ChannelArgumentError(
      `bipReserve(size=${size}): must be an integer in 1..${h.capacity} (the capacity)`,
    );
  if (h.sizeR !== 0)
    throw new ChannelStateError(
      `bipReserve(size=${size}): ${h.sizeR} bytes at ${h.startR} are still reserved (commit them, or commit(0) to cancel)`,
    );
  const start = bipPlace(h, size);
  if (start === BIP_FULL) return BIP_FULL;
  yield* m.store32(base + BipField.START_R, start);
  yield* m.store32(base + BipField.SIZE_R, size);
  return base + h.data + start;
}

/**
 * Publish the first `size` bytes of the outstanding reservation and drop the rest of it
 * (`size` 0 cancels it). The bytes join A when the reservation follows A (or A is empty), else B.
 * @throws ChannelStateError if nothing is reserved and `size` > 0.
 * @throws ChannelArgumentError if `size` is not an integer in 0..reserved.
 * @example
 * ```ts
 * yield* bipCommit(userMemory, base, 60); // capacity 100, R=[0,100) → A=[0,60), no reservation
 * ```
 */
export function* bipCommit(m: ChannelMemory, base: number, size: number): UserCode<void> {
  const h = yield* bipHeader(m, base);
  if (!Number.isInteger(size) || size < 0)
    throw new ChannelArgumentError(`bipCommit(size=${size}): must be a non-negative integer`);
  if (size > h.sizeR) {
    if (h.sizeR === 0) throw new ChannelStateError(`bipCommit(size=${size}): nothing is reserved`);
    throw new ChannelArgumentError(`bipCommit(size=${size}): only ${h.sizeR} bytes are reserved`);
  }
  if (size > 0) {
    if (h.sizeA === 0) {
      yield* m.store32(base + BipField.START_A, h.startR);
      yield* m.store32(base + BipField.SIZE_A, size);
    } else if (h.startR === h.startA + h.sizeA) {
      yield* m.store32(base + BipField.SIZE_A, h.sizeA + size);
    } else if (h.startR === h.startB + h.sizeB) {
      yield* m.store32(base + BipField.SIZE_B, h.sizeB + size);
    } else {
      throw new ChannelInvariantError(
        `bipCommit(size=${size}): reservation at ${h.startR} follows neither A=[${h.startA},+${h.sizeA}) nor B=[${h.startB},+${h.sizeB}) (header corrupted?)`,
      );
    }
  }
  yield* m.store32(base + BipField.START_R, 0);
  yield* m.store32(base + BipField.SIZE_R, 0);
}

/**
 * The next contiguous run of committed bytes (all of A), or `null` when the buffer is empty.
 * Reading does not free anything: {@link bipConsume} does.
 * @example
 * ```ts
 * const b = yield* bipGetBlock(userMemory, base);
 * if (b) { const bytes = yield* userMemory.read(b.va, b.length); yield* bipConsume(userMemory, base, b.length); }
 * ```
 */
export function* bipGetBlock(m: ChannelMemory, base: number): UserCode<BipBlock | null> {
  const h = yield* bipHeader(m, base);
  if (h.sizeA === 0) return null;
  return { va: base + h.data + h.startA, length: h.sizeA };
}

/**
 * Free the first `size` bytes of the readable block. When A is used up, B (if any) becomes A;
 * when everything is consumed, A restarts at 0 so the whole area is one free run again.
 * @throws ChannelArgumentError if `size` is not an integer in 0..(A's length).
 * @example
 * ```ts
 * yield* bipConsume(userMemory, base, 10); // A=[50,60), B=[0,45) → A=[0,45), no B
 * ```
 */
export function* bipConsume(m: ChannelMemory, base: number, size: number): UserCode<void> {
  const h = yield* bipHeader(m, base);
  if (!Number.isInteger(size) || size < 0 || size > h.sizeA)
    throw new ChannelArgumentError(
      `bipConsume(size=${size}): must be an integer in 0..${h.sizeA} (the readable block)`,
    );
  if (size === 0) return;
  if (size < h.sizeA) {
    yield* m.store32(base + BipField.START_A, h.startA + size);
    yield* m.store32(base + BipField.SIZE_A, h.sizeA - size);
    return;
  }
  // A is used up: B (which starts at 0) becomes A; with no B, A restarts empty at 0.
  yield* m.store32(base + BipField.START_A, h.startB);
  yield* m.store32(base + BipField.SIZE_A, h.sizeB);
  yield* m.store32(base + BipField.START_B, 0);
  yield* m.store32(base + BipField.SIZE_B, 0);
}

/**
 * Check a decoded header against the invariants of the banner.
 * @throws ChannelInvariantError naming the first broken invariant.
 * @example
 * ```ts
 * checkBipHeader(yield* bipHeader(userMemory, base));
 * ```
 */
export function checkBipHeader(h: BipHeader): void {
  const fail = (rule: string): never => {
    throw new ChannelInvariantError(
      `bip header {capacity ${h.capacity}, A [${h.startA},+${h.sizeA}), B [${h.startB},+${h.sizeB}), R [${h.startR},+${h.sizeR})}: ${rule}`,
    );
  };
  if (h.capacity < 1) fail("capacity must be at least 1");
  if (h.data < BIP_HEADER_BYTES)
    fail(`the data area must start at least ${BIP_HEADER_BYTES} bytes from the base`);
  if (h.startA + h.sizeA > h.capacity) fail("A must lie inside the data area");
  if (h.startR + h.sizeR > h.capacity) fail("the reservation must lie inside the data area");
  if (h.startB !== 0) fail("B must start at 0");
  if (h.sizeA === 0 && (h.startA !== 0 || h.sizeB !== 0))
    fail("an empty A must sit at 0 with no B behind it");
  if (h.sizeB > 0 && h.startB + h.sizeB > h.startA)
    fail("B must end at or before A's start (B before A, disjoint)");
  if (h.sizeR === 0) {
    if (h.startR !== 0) fail("no reservation, yet START_R is not 0");
    return;
  }
  if (h.sizeA === 0) return; // anywhere in the area: A was drained under an outstanding reservation
  const endR = h.startR + h.sizeR;
  if (h.sizeB > 0) {
    if (h.startR !== h.sizeB || endR > h.startA)
      fail("with B present, the reservation must follow B and end by A");
  } else if (!(h.startR === h.startA + h.sizeA || (h.startR === 0 && endR <= h.startA))) {
    fail("the reservation must follow A, or start at 0 and end by A");
  }
}

/**
 * Read the header at `base` and check it ({@link checkBipHeader}).
 * @throws ChannelInvariantError naming the first broken invariant.
 */
export function* bipCheckInvariants(m: ChannelMemory, base: number): UserCode<void> {
  checkBipHeader(yield* bipHeader(m, base));
}
