/**
 * The handle-table interface: one per process, the only way a program names kernel objects.
 *
 * A handle is to a kernel object what a file descriptor is to an open file: a small integer that
 * means something only inside one process, checked by the kernel on every use. Unlike a pointer it
 * cannot be forged into authority (a guessed number either is not open or is someone's own
 * handle in the same table), it carries rights (the same object can be read-only through one
 * handle and writable through another), and it can be revoked or closed without the object going
 * away. The generation part of the value (see `slot-table.ts`) makes a closed handle stay dead
 * even after its slot is reused.
 *
 * Refusals are checked in a fixed order, the same for every implementation (`checks.ts`):
 * bad-handle, then the operation's own right (access-denied), then the mask's bits
 * (invalid-rights), then the mask against the held rights (access-denied), then room in the
 * destination (table-full).
 *
 * Every operation a *program* can get wrong returns a result; nothing here throws for a bad,
 * closed, stale or forged handle, a missing right, or a full table, and a refused operation
 * changes nothing. Operations that make a handle from a handle take a rights mask; the new handle
 * gets exactly that mask, which must be a subset of the rights held (rights only shrink).
 *
 * | operation    | right needed          | derivation tree          | after                     |
 * |--------------|-----------------------|--------------------------|---------------------------|
 * | `create`     | — (kernel)            | new root                 | jsix/Zircon create        |
 * | `lookup`     | the caller's `required`| —                       | jsix `get_handle<T>`      |
 * | `duplicate`  | DUPLICATE             | child                    | Zircon handle_duplicate   |
 * | `replace`    | —                     | same node                | Zircon replace; Codezero deduce |
 * | `close`      | —                     | removed, children move up| close                     |
 * | `moveTo`     | TRANSFER              | same node, other table   | Codezero grant; handles in messages |
 * | `share`      | DUPLICATE and TRANSFER| child, other table       | Codezero share; seL4 copy |
 * | `split`      | DUPLICATE             | sibling                  | Codezero split            |
 * | `revoke`     | —                     | all descendants closed   | seL4 revoke               |
 *
 * Related: `handles/slot-table.ts` (the implementation), `laws/handle-table-laws.ts` (the laws
 * any implementation must pass), `caps/derivation.ts`.
 */
import type { Handle, Koid, Rights } from "../api.js";
import type { CapNode, CapSlotOwner } from "../caps/derivation.js";
import type { KernelObject } from "../object/kernel-object.js";
import type { ObjectType } from "../object/object-type.js";
import type { ObjectSpace } from "../object/space.js";

/** The handle value does not name an open handle of this table. */
export interface BadHandle {
  readonly kind: "bad-handle";
  /** The value as the program passed it. */
  readonly handle: number;
  /**
   * `malformed`: not a possible handle value (0, negative, fractional, index beyond the table);
   * `not-open`: well formed, but this table never issued it (guessed or forged);
   * `stale`: this table issued it and it is gone since (closed, revoked, replaced or moved away),
   * whether or not its slot holds a newer handle now. The laws check the last two.
   */
  readonly reason: "malformed" | "not-open" | "stale";
}

/** The handle names an object of another type than the call expects. */
export interface WrongType {
  readonly kind: "wrong-type";
  readonly handle: number;
  /** The type the call wanted. */
  readonly expected: string;
  /** The type of the object behind the handle. */
  readonly actual: string;
}

/** The handle lacks a right the call needs, or a mask asked for rights the handle does not hold. */
export interface AccessDenied {
  readonly kind: "access-denied";
  readonly handle: number;
  /** The rights the handle holds. */
  readonly held: Rights;
  /** The rights the call needed (or the mask it asked for). */
  readonly required: Rights;
  /** `required & ~held`: what was missing. */
  readonly missing: Rights;
}

/** A rights mask with bits that the object's type does not define. */
export interface InvalidRights {
  readonly kind: "invalid-rights";
  readonly handle: number;
  readonly requested: Rights;
  /** The rights the object's type defines. */
  readonly valid: Rights;
}

/** The destination table has no free slot. */
export interface TableFull {
  readonly kind: "table-full";
  /** Table id (see `HandleTable.id`). */
  readonly table: number;
  readonly capacity: number;
}

/** Result of `lookup`: the typed object and the handle's rights, or why not. */
export type LookupResult<T extends KernelObject> =
  | { readonly kind: "ok"; readonly object: T; readonly rights: Rights }
  | BadHandle
  | WrongType
  | AccessDenied;

/** Result of `create`. */
export type CreateResult = { readonly kind: "ok"; readonly handle: Handle } | TableFull;

/** Result of operations that produce one handle. */
export type HandleResult =
  | { readonly kind: "ok"; readonly handle: Handle }
  | BadHandle
  | AccessDenied
  | InvalidRights
  | TableFull;

/** Result of `split`: the original handle (rights reduced) and the new one. */
export type SplitResult =
  | { readonly kind: "ok"; readonly kept: Handle; readonly split: Handle }
  | BadHandle
  | AccessDenied
  | InvalidRights
  | TableFull;

/** Result of `close`. */
export type CloseResult = { readonly kind: "ok" } | BadHandle;

/** Result of `revoke`: how many derived handles were closed. */
export type RevokeResult = { readonly kind: "ok"; readonly revoked: number } | BadHandle;

/** One open handle, as `list` reports it. */
export interface HandleInfo {
  readonly handle: Handle;
  readonly object: KernelObject;
  readonly koid: Koid;
  readonly type: string;
  readonly rights: Rights;
}

/** A per-process handle table (see the file banner for the operations and their rules). */
export interface HandleTable {
  /** Id of the table within its machine (for traces and results). */
  readonly id: number;
  /** The machine the table belongs to; handles move and derive only between tables of one machine. */
  readonly space: ObjectSpace;
  /** Maximum number of open handles. */
  readonly capacity: number;
  /** Number of open handles. */
  readonly size: number;

  /**
   * Open a handle to `object` with `rights` (the kernel's call: a root of the derivation tree).
   * @throws UnknownRightError when `rights` has bits the object's type does not define.
   * @throws LifeCycleError when the object is destroyed.
   * @throws InvalidArgumentError when the object belongs to another machine.
   */
  create(object: KernelObject, rights: Rights): CreateResult;

  /**
   * Resolve `handle` to an object of `type` (or any type when `type` is `null`) holding every
   * right of `required`, checked in this order: handle, type, rights. Never throws for any
   * `handle` value; the hot path of every system call.
   */
  lookup<T extends KernelObject>(
    handle: number,
    type: ObjectType<T> | null,
    required: Rights,
  ): LookupResult<T>;

  /** A second handle in this table with rights `rights` ⊆ held; needs DUPLICATE. */
  duplicate(handle: number, rights: Rights): HandleResult;

  /**
   * Close `handle` and return a new handle with `rights` ⊆ held, in one step; the old value turns
   * stale. Needs no right. `table-full` only when the table has no free slot and the new handle
   * cannot reuse the old one's (a slot table whose slot ran out of generations).
   */
  replace(handle: number, rights: Rights): HandleResult;

  /** Close `handle`. The object may be destroyed as a consequence. */
  close(handle: number): CloseResult;

  /**
   * Move `handle` into `dest` with `rights` ⊆ held (default: all held), atomically: on success it
   * is gone from this table and present in `dest`; on any refusal both tables are unchanged.
   * Needs TRANSFER.
   * @throws InvalidArgumentError when `dest` is this table or belongs to another machine.
   * @throws LifeCycleError when `dest` is disposed or was never registered
   * ({@link ObjectSpace.registerTable}).
   */
  moveTo(handle: number, dest: HandleTable, rights?: Rights): HandleResult;

  /**
   * A new handle in `dest`, derived from `handle`, with `rights` ⊆ held; needs DUPLICATE and TRANSFER.
   * @throws InvalidArgumentError and LifeCycleError as {@link HandleTable.moveTo}.
   */
  share(handle: number, dest: HandleTable, rights: Rights): HandleResult;

  /**
   * Split the rights of `handle`: a new handle with `rights` (non-empty, ⊆ held, not all held), while
   * `handle` keeps the rest. Needs DUPLICATE.
   *
   * @remarks An empty `rights` or one equal to every held right is refused as `invalid-rights`
   * (`valid` is then the held rights): a split must leave both handles something, or it would be
   * a duplicate or a move. The refusal order is the others': bad handle, DUPLICATE, then the mask
   * (`invalid-rights` outside the type's rights, `access-denied` beyond the held ones, then
   * `invalid-rights` for empty or all), then room in the table.
   */
  split(handle: number, rights: Rights): SplitResult;

  /** Close every handle derived from `handle`, in every table of the machine; `handle` stays open. */
  revoke(handle: number): RevokeResult;

  /**
   * The primitive behind `moveTo` and `share` between tables, of any implementation, of one
   * machine: place a handle to `object` with `rights` in a free slot, give it the derivation node
   * `node(this, slot)` returns, and return its value, or `null` when the table is full (and then
   * change nothing). Handle counts are the caller's business. Kernels do not call this.
   * @throws LifeCycleError when the table is disposed.
   */
  accept(
    object: KernelObject,
    rights: Rights,
    node: (owner: CapSlotOwner, slot: number) => CapNode,
  ): Handle | null;

  /** Every open handle, in slot order. */
  list(): HandleInfo[];

  /**
   * Close every handle, exactly as `close` would (the process exits): each object is told, and one
   * left with no handle and no reference is destroyed; then detach the table from its machine.
   */
  dispose(): void;

  /** @throws InvariantError describing the first broken invariant. */
  checkInvariants(): void;
}
