/**
 * Rights: what a handle allows its holder to do with the object behind it.
 *
 * A right is one bit. The low 16 bits are *generic*: every object type gives them the same
 * meaning, so the handle layer can check them without knowing the type (you need DUPLICATE to
 * duplicate any handle, TRANSFER to move it to another process). The bits 16..30 are
 * *type-specific*: each object type names its own (a channel's `send`, jsix's `bind_irq` on the
 * system object, a process's `kill`), see `object/object-type.ts`.
 *
 * | bit | right         | allows                                                     | after     |
 * |----:|---------------|------------------------------------------------------------|-----------|
 * |   0 | `duplicate`   | duplicate, share, split the handle                         | Zircon    |
 * |   1 | `transfer`    | move the handle to another table (send in a message), share| Zircon    |
 * |   2 | `read`        | read state or data                                         | Zircon    |
 * |   3 | `write`       | modify state or data                                       | Zircon    |
 * |   4 | `execute`     | map executable, run                                        | Zircon    |
 * |   5 | `map`         | map into an address space                                  | jsix VMA  |
 * |   6 | `signal`      | assert/clear the object's user signals                     | Zircon    |
 * |   7 | `signal_peer` | assert/clear the peer's user signals                       | Zircon    |
 * |   8 | `wait`        | object_wait on the object                                  | jsix      |
 * |   9 | `inspect`     | read the koid, type and counts                             | Zircon    |
 * |  10 | `manage`      | change policy or properties (priority, name, quota)        |           |
 * | 11–15 | —           | reserved                                                   |           |
 *
 * **Rights only shrink.** Every operation that makes a handle from a handle (duplicate, replace,
 * move, share, split) takes a mask and gives the new handle `held & mask`, and a mask asking for a
 * right that is not held is refused (`access-denied`) rather than silently trimmed, so a program
 * learns that it asked for too much. Nothing in this package ever adds a bit to a handle's rights.
 *
 * Related: `object/object-type.ts` (type-specific names), `handles/slot-table.ts` (the checks).
 */
import type { Rights } from "../api.js";
import { ALL_BITS } from "../api.js";
import { InvalidArgumentError } from "../errors.js";

/** The generic rights, bit by bit (table in the file banner). */
export const Right = {
  DUPLICATE: 1 << 0,
  TRANSFER: 1 << 1,
  READ: 1 << 2,
  WRITE: 1 << 3,
  EXECUTE: 1 << 4,
  MAP: 1 << 5,
  SIGNAL: 1 << 6,
  SIGNAL_PEER: 1 << 7,
  WAIT: 1 << 8,
  INSPECT: 1 << 9,
  MANAGE: 1 << 10,
} as const;

/** No rights at all: a handle that only keeps the object alive. */
export const NO_RIGHTS: Rights = 0;

/** Every defined generic right. */
export const GENERIC_RIGHTS: Rights =
  Right.DUPLICATE |
  Right.TRANSFER |
  Right.READ |
  Right.WRITE |
  Right.EXECUTE |
  Right.MAP |
  Right.SIGNAL |
  Right.SIGNAL_PEER |
  Right.WAIT |
  Right.INSPECT |
  Right.MANAGE;

/** The generic rights by their lower-case names, in bit order (used for formatting and parsing). */
export const GENERIC_RIGHT_NAMES: readonly (readonly [string, Rights])[] = [
  ["duplicate", Right.DUPLICATE],
  ["transfer", Right.TRANSFER],
  ["read", Right.READ],
  ["write", Right.WRITE],
  ["execute", Right.EXECUTE],
  ["map", Right.MAP],
  ["signal", Right.SIGNAL],
  ["signal_peer", Right.SIGNAL_PEER],
  ["wait", Right.WAIT],
  ["inspect", Right.INSPECT],
  ["manage", Right.MANAGE],
];

/**
 * Whether `held` includes every right of `required`.
 *
 * Worked: held = READ|WAIT = 0b1_0000_0100 = 0x104, required = READ = 0x4 → 0x104 & 0x4 = 0x4 =
 * required → yes; required = READ|WRITE = 0xC → 0x104 & 0xC = 0x4 ≠ 0xC → no (WRITE missing).
 */
export function hasRights(held: Rights, required: Rights): boolean {
  return (held & required) === required;
}

/** The rights of `required` that `held` lacks (0 when none are missing). */
export function missingRights(held: Rights, required: Rights): Rights {
  return required & ~held;
}

/**
 * Whether `bits` is a rights or signal set: an integer in 0..2^31-1 ({@link checkBitSet} without
 * the message, for hot paths that build it only when they throw).
 */
export function isBitSet(bits: number): boolean {
  return Number.isInteger(bits) && bits >= 0 && bits <= ALL_BITS;
}

/**
 * Check that `bits` is a rights or signal set: an integer in 0..2^31-1.
 * @throws InvalidArgumentError naming `call` and the value otherwise.
 */
export function checkBitSet(call: string, what: string, bits: number): void {
  if (!isBitSet(bits)) {
    throw new InvalidArgumentError(
      `${call}: ${what}=${String(bits)} is not a bit set (expected an integer in 0..0x7fffffff)`,
    );
  }
}
