/**
 * The checks every handle table makes the same way, in the order the contract fixes
 * (`handles/api.ts`): handle, then the operation's right, then the mask's validity, then the
 * mask against the held rights, then room in the destination. Shared so that two
 * implementations cannot drift apart on what a refusal means.
 *
 * Related: `handles/slot-table.ts`, `handles/map-table.ts`.
 */
import type { Rights } from "../api.js";
import { InvalidArgumentError, LifeCycleError, UnknownRightError } from "../errors.js";
import type { KernelObject } from "../object/kernel-object.js";
import type { ObjectSpace } from "../object/space.js";
import { checkBitSet, isBitSet } from "../rights/rights.js";
import type { AccessDenied, HandleTable, InvalidRights } from "./api.js";

/** `access-denied` with its evidence. */
export function denied(handle: number, held: Rights, required: Rights): AccessDenied {
  return { kind: "access-denied", handle, held, required, missing: required & ~held };
}

/**
 * Why deriving a handle with `rights` from one holding `held` is refused, or `null` when allowed.
 * `op` is the right the operation itself needs (DUPLICATE, TRANSFER, ...); `valid` the type's rights.
 *
 * Worked: held = DUPLICATE|READ = 0x5, op = DUPLICATE = 0x1, rights = READ|WRITE = 0xC:
 * 0x5 & 0x1 = 0x1 (op held); 0xC within the type; 0x5 & 0xC = 0x4 ≠ 0xC → access-denied, missing 0x8.
 */
export function deriveRefusal(
  handle: number,
  held: Rights,
  op: Rights,
  rights: Rights,
  valid: Rights,
): AccessDenied | InvalidRights | null {
  if ((held & op) !== op) return denied(handle, held, op);
  if (!Number.isInteger(rights) || rights < 0 || (rights & ~valid) !== 0) {
    return { kind: "invalid-rights", handle, requested: rights, valid };
  }
  if ((held & rights) !== rights) return denied(handle, held, rights);
  return null;
}

/**
 * Check that `dest` can receive a handle from `src` (moveTo, share).
 * @throws InvalidArgumentError when `dest` is `src` or belongs to another machine; LifeCycleError
 *   when `dest` is not one of its machine's tables: disposed (its process exited: a disposed table
 *   has left its machine's list) or never registered (its constructor did not call
 *   `space.registerTable(this)`).
 */
export function checkDestination(src: HandleTable, call: string, dest: HandleTable): void {
  if (dest === src) throw new InvalidArgumentError(`table ${src.id}: ${call}: the destination is this table`);
  if (dest.space !== src.space) {
    throw new InvalidArgumentError(`table ${src.id}: ${call}: table ${dest.id} belongs to another machine`);
  }
  // Said here, naming the call, rather than by the destination's `accept` (which kernels never call).
  if (!src.space.hasTable(dest))
    throw new LifeCycleError(
      `table ${src.id}: ${call}: table ${dest.id} is disposed or was never registered (a table calls space.registerTable(this) when it is built)`,
    );
}

/**
 * Whether {@link checkCreate} would accept `create(object, rights)` on a table of `space`, without
 * building its message: tables test this first and format the call only when they will throw
 * (handle creation is on every thread's and process's creation path).
 */
export function createAllowed(space: ObjectSpace, object: KernelObject, rights: Rights): boolean {
  return (
    isBitSet(rights) &&
    (rights & ~object.type.validRights) === 0 &&
    object.state !== "destroyed" &&
    object.space === space
  );
}

/**
 * Check the arguments of `create(object, rights)` on a table of `space`.
 * @throws UnknownRightError when `rights` has bits outside the object's type; LifeCycleError when
 *   the object is destroyed; InvalidArgumentError when it belongs to another machine.
 */
export function checkCreate(call: string, space: ObjectSpace, object: KernelObject, rights: Rights): void {
  checkBitSet(call, "rights", rights);
  if ((rights & ~object.type.validRights) !== 0) {
    throw new UnknownRightError(
      `${call}: bits 0x${(rights & ~object.type.validRights).toString(16)} are not rights of type ${object.type.name}`,
    );
  }
  if (object.state === "destroyed") throw new LifeCycleError(`${call}: the object is destroyed`);
  if (object.space !== space)
    throw new InvalidArgumentError(`${call}: the object belongs to another machine`);
}
