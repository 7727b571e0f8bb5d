// Test helper: the handle table a student writes first, an array of entries with small values,
// correct by default and with switchable planted bugs. `test/handle-table-laws.test.ts` checks that
// the correct one passes every handle-table law and that each bug is rejected by the law meant
// for it; a law that passed a planted bug would pass a wrong lab.
//
// Values: slot s at generation g is g · 1024 + s + 1 (capacity ≤ 1023), so the generation is in
// plain sight; the `reuseValues` bug never moves a generation, so a closed value names the slot's
// next occupant.
import {
  ALL_BITS,
  type BadHandle,
  type CapNode,
  type CapSlotOwner,
  type CloseResult,
  type CreateResult,
  checkCreate,
  checkDestination,
  denied,
  deriveRefusal,
  type Handle,
  type HandleInfo,
  type HandleResult,
  type HandleTable,
  InvariantError,
  type KernelObject,
  LifeCycleError,
  type LookupResult,
  type ObjectSpace,
  type ObjectType,
  type RevokeResult,
  Right,
  type Rights,
  type SplitResult,
  type TableFull,
} from "../src/index.js";

/** The planted bugs, each off by default. */
export interface Bugs {
  /** No generations: a closed value is handed out again at once (use after free of handles). */
  readonly reuseValues?: boolean;
  /** Derivations do not check that the mask is within the held rights: they grant the mask. */
  readonly widen?: boolean;
  /** Derivations silently trim the mask to the held rights instead of refusing it. */
  readonly trimMask?: boolean;
  /** `moveTo` copies: the handle stays in the source too. */
  readonly moveLeavesCopy?: boolean;
  /** `moveTo` into a full table closes the source handle anyway (a refusal with a side effect). */
  readonly fullMoveLosesHandle?: boolean;
  /** `revoke` closes only the handles derived directly from the revoked one. */
  readonly shallowRevoke?: boolean;
  /** `lookup` checks the handle and the type but not the rights. */
  readonly lookupIgnoresRights?: boolean;
  /** `replace` answers `table-full` whenever it would succeed, whatever room the table has. */
  readonly replaceAlwaysFull?: boolean;
  /** A closed value is reported `not-open` rather than `stale`. */
  readonly closedNotStale?: boolean;
  /** `close` forgets to tell the object (its handle count never drops). */
  readonly closeKeepsCount?: boolean;
  /** Derivations do not check the right the operation itself needs (DUPLICATE, TRANSFER). */
  readonly skipOperationRight?: boolean;
  /** `split` gives the new handle its rights but leaves the kept handle all of them. */
  readonly splitKeepsRights?: boolean;
  /** `duplicate` records the copy as a new root, not as derived from its source. */
  readonly duplicateAsRoot?: boolean;
  /** `dispose` drops its entries without closing them (the objects never hear of it). */
  readonly disposeKeepsHandles?: boolean;
  /**
   * Every operation but `lookup` finds its slot by the index alone: a stale value closes, revokes,
   * duplicates or moves whatever handle now sits in its old slot.
   */
  readonly operationsIgnoreGeneration?: boolean;
  /** The constructor never calls `space.registerTable` (its id is made up), nor `dispose` unregister. */
  readonly neverRegisters?: boolean;
}

interface Entry {
  readonly object: KernelObject;
  rights: Rights;
  readonly node: CapNode;
}

const SPAN = 1024;

/** A handle table over an array (see the file banner). */
export class ArrayTable implements HandleTable, CapSlotOwner {
  readonly id: number;
  readonly space: ObjectSpace;
  readonly capacity: number;
  private readonly slots: (Entry | null)[];
  private readonly gens: number[];
  private disposed = false;

  constructor(
    space: ObjectSpace,
    capacity: number,
    private readonly bugs: Bugs = {},
  ) {
    if (capacity > SPAN - 1) throw new Error("ArrayTable: capacity ≤ 1023");
    this.space = space;
    this.capacity = capacity;
    this.slots = new Array<Entry | null>(capacity).fill(null);
    this.gens = new Array<number>(capacity).fill(1);
    this.id = bugs.neverRegisters === true ? 7 : space.registerTable(this);
  }

  get size(): number {
    return this.slots.filter((e) => e !== null).length;
  }
  get tableId(): number {
    return this.id;
  }

  create(object: KernelObject, rights: Rights): CreateResult {
    checkCreate(`table ${this.id}: create`, this.space, object, rights);
    if (this.disposed) throw new LifeCycleError(`table ${this.id}: create: disposed`);
    const h = this.accept(object, rights, (o, s) => this.space.derivations.root(o, s));
    if (h === null) return this.full();
    object.acquireHandle();
    return { kind: "ok", handle: h };
  }

  lookup<T extends KernelObject>(
    handle: number,
    type: ObjectType<T> | null,
    required: Rights,
  ): LookupResult<T> {
    const s = this.slotOf(handle);
    if (s < 0) return this.bad(handle);
    const e = this.slots[s]!;
    if (type !== null && e.object.type !== type)
      return { kind: "wrong-type", handle, expected: type.name, actual: e.object.type.name };
    if (!this.bugs.lookupIgnoresRights && (e.rights & required) !== required)
      return denied(handle, e.rights, required);
    return { kind: "ok", object: e.object as T, rights: e.rights };
  }

  duplicate(handle: number, rights: Rights): HandleResult {
    const s = this.opSlot(handle);
    if (s < 0) return this.bad(handle);
    const e = this.slots[s]!;
    const mask = this.mask(e, rights);
    const refused = this.refusal(handle, e, Right.DUPLICATE, mask);
    if (refused) return refused;
    const h = this.accept(e.object, mask, (o, at) =>
      this.bugs.duplicateAsRoot
        ? this.space.derivations.root(o, at)
        : this.space.derivations.child(e.node, o, at),
    );
    if (h === null) return this.full();
    e.object.acquireHandle();
    return { kind: "ok", handle: h };
  }

  replace(handle: number, rights: Rights): HandleResult {
    const s = this.opSlot(handle);
    if (s < 0) return this.bad(handle);
    const e = this.slots[s]!;
    const mask = this.mask(e, rights);
    const refused = this.refusal(handle, e, 0, mask);
    if (refused) return refused;
    if (this.bugs.replaceAlwaysFull) return this.full();
    if (!this.bugs.reuseValues) this.gens[s]!++;
    e.rights = mask;
    return { kind: "ok", handle: this.value(s) };
  }

  close(handle: number): CloseResult {
    const s = this.opSlot(handle);
    if (s < 0) return this.bad(handle);
    this.closeSlot(s);
    return { kind: "ok" };
  }

  moveTo(handle: number, dest: HandleTable, rights?: Rights): HandleResult {
    checkDestination(this, "moveTo", dest);
    const s = this.opSlot(handle);
    if (s < 0) return this.bad(handle);
    const e = this.slots[s]!;
    const mask = this.mask(e, rights ?? e.rights);
    const refused = this.refusal(handle, e, Right.TRANSFER, mask);
    if (refused) return refused;
    if (this.bugs.moveLeavesCopy) return this.copyInto(e, dest, mask); // a share, not a move
    const h = dest.accept(e.object, mask, (o, at) => {
      e.node.owner = o;
      e.node.slot = at;
      return e.node;
    });
    if (h === null) {
      if (this.bugs.fullMoveLosesHandle) this.closeSlot(s);
      return { kind: "table-full", table: dest.id, capacity: dest.capacity };
    }
    this.vacate(s);
    return { kind: "ok", handle: h };
  }

  share(handle: number, dest: HandleTable, rights: Rights): HandleResult {
    checkDestination(this, "share", dest);
    const s = this.opSlot(handle);
    if (s < 0) return this.bad(handle);
    const e = this.slots[s]!;
    const mask = this.mask(e, rights);
    const refused = this.refusal(handle, e, Right.DUPLICATE | Right.TRANSFER, mask);
    if (refused) return refused;
    return this.copyInto(e, dest, mask);
  }

  /** A new handle in `dest`, derived from `e`'s, with `mask`: what `share` makes. */
  private copyInto(e: Entry, dest: HandleTable, mask: Rights): HandleResult {
    const h = dest.accept(e.object, mask, (o, at) => this.space.derivations.child(e.node, o, at));
    if (h === null) return { kind: "table-full", table: dest.id, capacity: dest.capacity };
    e.object.acquireHandle();
    return { kind: "ok", handle: h };
  }

  split(handle: number, rights: Rights): SplitResult {
    const s = this.opSlot(handle);
    if (s < 0) return this.bad(handle);
    const e = this.slots[s]!;
    const mask = this.mask(e, rights);
    const refused = this.refusal(handle, e, Right.DUPLICATE, mask);
    if (refused) return refused;
    if (mask === 0 || mask === e.rights)
      return { kind: "invalid-rights", handle, requested: mask, valid: e.rights };
    const h = this.accept(e.object, mask, (o, at) => this.space.derivations.sibling(e.node, o, at));
    if (h === null) return this.full();
    e.object.acquireHandle();
    if (!this.bugs.splitKeepsRights) e.rights &= ~mask;
    return { kind: "ok", kept: handle as Handle, split: h };
  }

  revoke(handle: number): RevokeResult {
    const s = this.opSlot(handle);
    if (s < 0) return this.bad(handle);
    const node = this.slots[s]!.node;
    if (!this.bugs.shallowRevoke) return { kind: "ok", revoked: this.space.derivations.revokeBelow(node) };
    const children: CapNode[] = [];
    for (let c = node.firstChild; c !== null; c = c.next) children.push(c);
    for (const c of children) c.owner!.revokeSlot(c.slot);
    return { kind: "ok", revoked: children.length };
  }

  accept(
    object: KernelObject,
    rights: Rights,
    node: (owner: CapSlotOwner, slot: number) => CapNode,
  ): Handle | null {
    if (this.disposed) throw new LifeCycleError(`table ${this.id}: accept: disposed`);
    const s = this.slots.indexOf(null); // lowest free slot: a closed slot is the next one used
    if (s < 0) return null;
    this.slots[s] = { object, rights, node: node(this, s) };
    return this.value(s);
  }

  revokeSlot(slot: number): void {
    this.closeSlot(slot);
  }

  list(): HandleInfo[] {
    const out: HandleInfo[] = [];
    this.slots.forEach((e, s) => {
      if (e)
        out.push({
          handle: this.value(s),
          object: e.object,
          koid: e.object.koid,
          type: e.object.type.name,
          rights: e.rights,
        });
    });
    return out;
  }

  dispose(): void {
    if (this.disposed) return;
    if (this.bugs.disposeKeepsHandles) this.slots.fill(null); // dropped, not closed: nobody is told
    this.slots.forEach((e, s) => {
      if (e) this.closeSlot(s);
    });
    this.disposed = true;
    if (this.bugs.neverRegisters !== true) this.space.unregisterTable(this);
  }

  checkInvariants(): void {
    this.slots.forEach((e, s) => {
      if (e && (e.node.owner !== this || e.node.slot !== s))
        throw new InvariantError(`table ${this.id}: slot ${s} has no node pointing back at it`);
    });
  }

  private value(s: number): Handle {
    return (this.gens[s]! * SPAN + s + 1) as Handle;
  }

  private slotOf(handle: number): number {
    if (!Number.isInteger(handle) || handle < SPAN) return -1;
    const s = (handle % SPAN) - 1;
    return s >= 0 && s < this.capacity && this.slots[s] !== null && this.value(s) === handle ? s : -1;
  }

  /** The slot an operation acts on: `slotOf`, or (the bug) any occupied slot the index names. */
  private opSlot(handle: number): number {
    if (!this.bugs.operationsIgnoreGeneration) return this.slotOf(handle);
    if (!Number.isInteger(handle) || handle < SPAN) return -1;
    const s = (handle % SPAN) - 1;
    return s >= 0 && s < this.capacity && this.slots[s] !== null ? s : -1;
  }

  private mask(e: Entry, rights: Rights): Rights {
    return this.bugs.trimMask ? rights & e.rights : rights;
  }

  private refusal(handle: number, e: Entry, op: Rights, mask: Rights) {
    const r = deriveRefusal(
      handle,
      e.rights,
      this.bugs.skipOperationRight ? 0 : op,
      mask,
      e.object.type.validRights,
    );
    // The widening bug keeps the operation's own right and the mask's validity, drops the subset rule.
    if (this.bugs.widen && r?.kind === "access-denied" && (e.rights & op) === op) return null;
    return r;
  }

  private closeSlot(s: number): void {
    const e = this.slots[s]!;
    this.vacate(s);
    this.space.derivations.remove(e.node);
    if (!this.bugs.closeKeepsCount) e.object.releaseHandle();
  }

  /** Empty slot `s` (the handle left: closed or moved); a new generation unless values are reused. */
  private vacate(s: number): void {
    this.slots[s] = null;
    if (!this.bugs.reuseValues) this.gens[s]!++;
  }

  private full(): TableFull {
    return { kind: "table-full", table: this.id, capacity: this.capacity };
  }

  private bad(handle: number): BadHandle {
    if (!Number.isInteger(handle) || handle < SPAN || handle > ALL_BITS)
      return { kind: "bad-handle", handle, reason: "malformed" };
    const s = (handle % SPAN) - 1;
    if (s < 0 || s >= this.capacity) return { kind: "bad-handle", handle, reason: "malformed" };
    const gen = Math.floor(handle / SPAN);
    const stale = !this.bugs.closedNotStale && gen < this.gens[s]!;
    return { kind: "bad-handle", handle, reason: stale ? "stale" : "not-open" };
  }
}
