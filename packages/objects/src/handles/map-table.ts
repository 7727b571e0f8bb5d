/**
 * The map handle table: the simplest correct handle table, to read first and to measure against.
 *
 * Handles are 1, 2, 3, ... from a counter that never goes back, kept in a `Map` from value to
 * entry. Because no value is ever issued twice, a closed or guessed handle can never name a new
 * object, without any generation bits; the price is that values grow without bound (a table
 * refuses new handles with `table-full` after 2^31 - 1 of them) and that every lookup is a hash
 * lookup instead of an array index.
 *
 * ```
 *   create → 1   create → 2   close(1)   create → 3   lookup(1) → bad-handle "stale" (1 < next, not open)
 *   entries: { 2 → (obj A, rw), 3 → (obj B, r) }   next = 4
 * ```
 *
 * Compare `slot-table.ts`, which reuses slots and pays with generation bits, and gets array speed
 * (README: both in the lookup benchmark). Both pass the same laws (`laws/handle-table-laws.ts`).
 *
 * Invariants (checkInvariants): `size` ≤ capacity; every key is in 1..next-1; every entry holds a
 * non-destroyed object, rights within its type, and a derivation node pointing back at its key.
 *
 * Related: `handles/api.ts`, `handles/checks.ts`, `handles/slot-table.ts`.
 */
import type { Handle, Rights } from "../api.js";
import { ALL_BITS } from "../api.js";
import type { CapNode, CapSlotOwner } from "../caps/derivation.js";
import { InvalidArgumentError, InvariantError, LifeCycleError } from "../errors.js";
import type { KernelObject } from "../object/kernel-object.js";
import type { ObjectType } from "../object/object-type.js";
import type { ObjectSpace } from "../object/space.js";
import { Right } from "../rights/rights.js";
import type {
  BadHandle,
  CloseResult,
  CreateResult,
  HandleInfo,
  HandleResult,
  HandleTable,
  LookupResult,
  RevokeResult,
  SplitResult,
  TableFull,
} from "./api.js";
import { checkCreate, checkDestination, denied, deriveRefusal } from "./checks.js";

/** Options of {@link MapHandleTable}. */
export interface MapHandleTableOptions {
  /** Maximum number of open handles. Default: 1024. */
  readonly capacity?: number;
}

interface Entry {
  readonly object: KernelObject;
  rights: Rights;
  readonly node: CapNode;
}

/** A handle table over a `Map`, with handle values that are never reused (see the file banner). */
export class MapHandleTable implements HandleTable, CapSlotOwner {
  readonly id: number;
  readonly capacity: number;
  readonly space: ObjectSpace;
  private readonly entries = new Map<number, Entry>();
  private next = 1;
  private disposed = false;

  /**
   * An empty table registered with `space`.
   * @throws InvalidArgumentError when the capacity is not a positive integer.
   */
  constructor(space: ObjectSpace, options: MapHandleTableOptions = {}) {
    const capacity = options.capacity ?? 1024;
    if (!Number.isInteger(capacity) || capacity < 1) {
      throw new InvalidArgumentError(`new MapHandleTable(capacity=${capacity}): expected a positive integer`);
    }
    this.space = space;
    this.capacity = capacity;
    this.id = space.registerTable(this);
  }

  get size(): number {
    return this.entries.size;
  }

  /** CapSlotOwner: the table id. */
  get tableId(): number {
    return this.id;
  }

  create(object: KernelObject, rights: Rights): CreateResult {
    const call = `table ${this.id}: create(${object}, rights=0x${rights.toString(16)})`;
    checkCreate(call, this.space, object, rights);
    if (this.disposed) throw new LifeCycleError(`${call}: the table is disposed`);
    const h = this.accept(object, rights, (owner, slot) => this.space.derivations.root(owner, slot));
    if (h === null) return this.full();
    object.acquireHandle();
    this.space.tracer?.emit({ type: "handle.created", table: this.id, handle: h, koid: object.koid, rights });
    return { kind: "ok", handle: h };
  }

  lookup<T extends KernelObject>(
    handle: number,
    type: ObjectType<T> | null,
    required: Rights,
  ): LookupResult<T> {
    const e = this.entries.get(handle);
    if (e === undefined) return this.badHandle(handle);
    if (type !== null && e.object.type !== type) {
      return { kind: "wrong-type", handle, expected: type.name, actual: e.object.type.name };
    }
    if ((e.rights & required) !== required) return denied(handle, e.rights, required);
    return { kind: "ok", object: e.object as T, rights: e.rights };
  }

  duplicate(handle: number, rights: Rights): HandleResult {
    const e = this.entries.get(handle);
    if (e === undefined) return this.badHandle(handle);
    const refused = deriveRefusal(handle, e.rights, Right.DUPLICATE, rights, e.object.type.validRights);
    if (refused) return refused;
    const h = this.accept(e.object, rights, (owner, slot) =>
      this.space.derivations.child(e.node, owner, slot),
    );
    if (h === null) return this.full();
    e.object.acquireHandle();
    this.space.tracer?.emit({
      type: "handle.created",
      table: this.id,
      handle: h,
      koid: e.object.koid,
      rights,
    });
    return { kind: "ok", handle: h };
  }

  replace(handle: number, rights: Rights): HandleResult {
    const e = this.entries.get(handle);
    if (e === undefined) return this.badHandle(handle);
    const refused = deriveRefusal(handle, e.rights, 0, rights, e.object.type.validRights);
    if (refused) return refused;
    if (this.next > ALL_BITS) return this.full();
    const h = this.next++ as Handle;
    this.entries.delete(handle);
    this.entries.set(h, { object: e.object, rights, node: e.node });
    e.node.slot = h;
    this.traceMove(handle, h, this.id, e.object);
    return { kind: "ok", handle: h };
  }

  close(handle: number): CloseResult {
    if (!this.entries.has(handle)) return this.badHandle(handle);
    this.closeEntry(handle);
    return { kind: "ok" };
  }

  moveTo(handle: number, dest: HandleTable, rights?: Rights): HandleResult {
    checkDestination(this, "moveTo", dest);
    const e = this.entries.get(handle);
    if (e === undefined) return this.badHandle(handle);
    const mask = rights ?? e.rights;
    const refused = deriveRefusal(handle, e.rights, Right.TRANSFER, mask, e.object.type.validRights);
    if (refused) return refused;
    const h = dest.accept(e.object, mask, (owner, slot) => {
      e.node.owner = owner;
      e.node.slot = slot;
      return e.node;
    });
    if (h === null) return { kind: "table-full", table: dest.id, capacity: dest.capacity };
    this.entries.delete(handle);
    this.traceMove(handle, h, dest.id, e.object);
    return { kind: "ok", handle: h };
  }

  share(handle: number, dest: HandleTable, rights: Rights): HandleResult {
    checkDestination(this, "share", dest);
    const e = this.entries.get(handle);
    if (e === undefined) return this.badHandle(handle);
    const refused = deriveRefusal(
      handle,
      e.rights,
      Right.DUPLICATE | Right.TRANSFER,
      rights,
      e.object.type.validRights,
    );
    if (refused) return refused;
    const h = dest.accept(e.object, rights, (owner, slot) =>
      this.space.derivations.child(e.node, owner, slot),
    );
    if (h === null) return { kind: "table-full", table: dest.id, capacity: dest.capacity };
    e.object.acquireHandle();
    this.space.tracer?.emit({
      type: "handle.created",
      table: dest.id,
      handle: h,
      koid: e.object.koid,
      rights,
    });
    return { kind: "ok", handle: h };
  }

  split(handle: number, rights: Rights): SplitResult {
    const e = this.entries.get(handle);
    if (e === undefined) return this.badHandle(handle);
    const refused = deriveRefusal(handle, e.rights, Right.DUPLICATE, rights, e.object.type.validRights);
    if (refused) return refused;
    if (rights === 0 || rights === e.rights)
      return { kind: "invalid-rights", handle, requested: rights, valid: e.rights };
    const h = this.accept(e.object, rights, (owner, slot) =>
      this.space.derivations.sibling(e.node, owner, slot),
    );
    if (h === null) return this.full();
    e.object.acquireHandle();
    e.rights &= ~rights;
    this.space.tracer?.emit({
      type: "handle.created",
      table: this.id,
      handle: h,
      koid: e.object.koid,
      rights,
    });
    return { kind: "ok", kept: handle as Handle, split: h };
  }

  revoke(handle: number): RevokeResult {
    const e = this.entries.get(handle);
    if (e === undefined) return this.badHandle(handle);
    const revoked = this.space.derivations.revokeBelow(e.node);
    this.space.tracer?.emit({
      type: "handle.revoked",
      table: this.id,
      handle: handle as Handle,
      count: revoked,
    });
    return { kind: "ok", revoked };
  }

  accept(
    object: KernelObject,
    rights: Rights,
    node: (owner: CapSlotOwner, slot: number) => CapNode,
  ): Handle | null {
    if (this.disposed) throw new LifeCycleError(`table ${this.id}: accept: the table is disposed`);
    if (this.entries.size >= this.capacity || this.next > ALL_BITS) return null;
    const h = this.next++ as Handle;
    this.entries.set(h, { object, rights, node: node(this, h) });
    return h;
  }

  /** CapSlotOwner: close the handle whose value is `slot` because an ancestor was revoked. */
  revokeSlot(slot: number): void {
    if (!this.entries.has(slot))
      throw new InvariantError(`table ${this.id}: revoke reached closed handle ${slot}`);
    this.closeEntry(slot);
  }

  list(): HandleInfo[] {
    const out: HandleInfo[] = [];
    for (const [h, e] of this.entries) {
      out.push({
        handle: h as Handle,
        object: e.object,
        koid: e.object.koid,
        type: e.object.type.name,
        rights: e.rights,
      });
    }
    return out.sort((a, b) => a.handle - b.handle);
  }

  dispose(): void {
    if (this.disposed) return;
    for (const h of [...this.entries.keys()].sort((a, b) => a - b)) this.closeEntry(h);
    this.disposed = true;
    this.space.unregisterTable(this);
  }

  checkInvariants(): void {
    const me = `table ${this.id}`;
    if (this.entries.size > this.capacity)
      throw new InvariantError(`${me}: ${this.entries.size} handles exceed capacity ${this.capacity}`);
    for (const [h, e] of this.entries) {
      if (!Number.isInteger(h) || h < 1 || h >= this.next)
        throw new InvariantError(`${me}: handle ${h} was never issued`);
      if (e.object.state === "destroyed")
        throw new InvariantError(`${me}: handle ${h} holds a destroyed object`);
      if ((e.rights & ~e.object.type.validRights) !== 0)
        throw new InvariantError(`${me}: handle ${h} holds rights outside its type`);
      if (e.node.owner !== this || e.node.slot !== h)
        throw new InvariantError(`${me}: handle ${h} has no derivation node pointing back at it`);
    }
  }

  private closeEntry(handle: number): void {
    const e = this.entries.get(handle)!;
    this.entries.delete(handle);
    this.space.derivations.remove(e.node);
    this.space.tracer?.emit({
      type: "handle.closed",
      table: this.id,
      handle: handle as Handle,
      koid: e.object.koid,
    });
    e.object.releaseHandle();
  }

  private traceMove(handle: number, newHandle: Handle, to: number, object: KernelObject): void {
    this.space.tracer?.emit({
      type: "handle.moved",
      from: this.id,
      to,
      handle: handle as Handle,
      newHandle,
      koid: object.koid,
    });
  }

  private full(): TableFull {
    return { kind: "table-full", table: this.id, capacity: this.capacity };
  }

  private badHandle(handle: number): BadHandle {
    const wellFormed = Number.isInteger(handle) && handle >= 1 && handle <= ALL_BITS;
    return {
      kind: "bad-handle",
      handle,
      reason: !wellFormed ? "malformed" : handle < this.next ? "stale" : "not-open",
    };
  }
}
