/**
 * The slot handle table: handles as (generation, index) pairs over typed arrays, so a lookup with
 * its type and rights check is three array reads and three integer compares.
 *
 * Layout of a handle value, for a table of `capacity` slots with `b = ceil(log2(capacity))`
 * index bits (bit 31 stays clear so every handle is a non-negative small integer):
 *
 * ```
 *   bit 30 ............... b  b-1 ......... 0
 *       [ generation ≥ 1    ][ slot index    ]
 * ```
 *
 * Worked, capacity 1024 (b = 10): slot 5 at generation 3 is handle (3 << 10) | 5 = 3077 = 0xC05.
 * Closing it bumps slot 5 to generation 4; the next handle placed there is (4 << 10) | 5 = 4101.
 * A program that kept 3077 gets `{ kind: "bad-handle", reason: "stale" }`: 3077 & 0x3FF = 5, but
 * slot 5 holds 4101 ≠ 3077. Without the generation, the stale number would silently name the new
 * object: the use-after-free of handle tables. Since generations start at 1, every handle is
 * ≥ 2^b and the value 0 is never valid.
 *
 * Per slot, in parallel arrays that start at 64 entries and double as the table fills (up to
 * 2^b), so a large table costs memory only once it holds many handles:
 *
 * | array      | type         | content                                                  |
 * |------------|--------------|----------------------------------------------------------|
 * | `live`     | Int32Array   | the handle value open in the slot, 0 when free           |
 * | `gens`     | Int32Array   | the slot's current (or next) generation                  |
 * | `rights`   | Int32Array   | the handle's rights                                      |
 * | `typeIds`  | Int32Array   | the object's type id, copied so lookup needs no pointer  |
 * | `objects`  | Array        | the object                                               |
 * | `nodes`    | Array        | the handle's derivation-tree node                        |
 * | `freeNext` | Int32Array   | free-list link; the free list is LIFO, so a closed slot  |
 * |            |              | is the next one reused (and its generation matters)      |
 *
 * A slot whose generation would pass 2^(31-b) - 1 is retired instead of reused, so a handle value
 * is never handed out twice by one table, however long it runs (capacity 1024 gives each slot
 * 2,097,151 generations).
 *
 * Invariants (checkInvariants): `size` = number of live slots; every live slot holds exactly
 * `gen << b | index`, a non-destroyed object of the cached type, rights within the type's rights,
 * and a derivation node that points back at it; the free list holds each free, non-retired slot
 * once and no live slot.
 *
 * Related: `handles/api.ts` (the contract), `caps/derivation.ts`, `object/kernel-object.ts`.
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
  AccessDenied,
  BadHandle,
  CloseResult,
  CreateResult,
  HandleInfo,
  HandleResult,
  HandleTable,
  InvalidRights,
  LookupResult,
  RevokeResult,
  SplitResult,
  TableFull,
} from "./api.js";
import { checkCreate, checkDestination, createAllowed, denied, deriveRefusal } from "./checks.js";

/** Options of {@link SlotHandleTable}. */
export interface SlotHandleTableOptions {
  /** Number of slots, 1..65536. Default: 1024. */
  readonly capacity?: number;
}

/**
 * Slot arrays start this long and double as the table fills. 16 slots make each `Int32Array` 64
 * bytes, the most V8 keeps inside its own heap object (`--typed-array-max-size-in-heap`); a longer
 * one gets a separately allocated backing store, and a table's five of them cost about 5 µs, where
 * a process that forks and exits uses a handful of handles. Measured: create + dispose of a table,
 * 5.4 µs at 64 slots, 0.3–0.6 µs at 16.
 */
const INITIAL_SLOTS = 16;

/** Largest table: 2^16 slots leaves 15 generation bits. */
export const MAX_TABLE_CAPACITY = 1 << 16;

/** A per-process handle table over typed arrays (see the file banner). */
export class SlotHandleTable implements HandleTable, CapSlotOwner {
  readonly id: number;
  readonly capacity: number;
  /** The machine this table belongs to. */
  readonly space: ObjectSpace;
  /** Number of low bits of a handle that hold the slot index. */
  readonly indexBits: number;
  private readonly indexMask: number;
  /** `length - 1` of the slot arrays, which grow by doubling up to 2^indexBits. */
  private slotMask: number;
  /** Slots in use or on the free list so far: min(array length, capacity). */
  private usable: number;
  private readonly maxGen: number;
  private live: Int32Array;
  private gens: Int32Array;
  private rightsOf: Int32Array;
  private typeIds: Int32Array;
  private freeNext: Int32Array;
  private objects: (KernelObject | null)[];
  private nodes: (CapNode | null)[];
  private freeHead: number;
  private count = 0;
  private retired = 0;
  private disposed = false;

  /**
   * An empty table registered with `space`.
   * @throws InvalidArgumentError when the capacity is not an integer in 1..65536.
   * @example
   * ```ts
   * const space = new ObjectSpace();
   * const eventType = space.defineType({ name: "event" });
   * const ev = new KernelObject(space, eventType);
   * const table = new SlotHandleTable(space, { capacity: 64 });
   * const r = table.create(ev, Right.WAIT | Right.DUPLICATE);
   * if (r.kind === "ok") table.lookup(r.handle, eventType, Right.WAIT); // { kind: "ok", object: ev, rights: 0x101 }
   * ```
   */
  constructor(space: ObjectSpace, options: SlotHandleTableOptions = {}) {
    const capacity = options.capacity ?? 1024;
    if (!Number.isInteger(capacity) || capacity < 1 || capacity > MAX_TABLE_CAPACITY) {
      throw new InvalidArgumentError(
        `new SlotHandleTable(capacity=${capacity}): expected an integer in 1..65536`,
      );
    }
    this.space = space;
    this.capacity = capacity;
    this.indexBits = Math.max(1, Math.ceil(Math.log2(capacity)));
    this.indexMask = (1 << this.indexBits) - 1;
    this.maxGen = ALL_BITS >>> this.indexBits;
    // Start small and double on demand: a 65536-slot table costs memory only once it is used.
    const initial = Math.min(INITIAL_SLOTS, 1 << this.indexBits);
    this.slotMask = initial - 1;
    this.usable = 0;
    this.live = new Int32Array(initial);
    this.gens = new Int32Array(initial).fill(1);
    this.rightsOf = new Int32Array(initial);
    this.typeIds = new Int32Array(initial);
    this.freeNext = new Int32Array(initial);
    this.objects = new Array<KernelObject | null>(initial).fill(null);
    this.nodes = new Array<CapNode | null>(initial).fill(null);
    this.freeHead = -1;
    this.addFreeSlots(Math.min(initial, capacity));
    this.id = space.registerTable(this);
  }

  get size(): number {
    return this.count;
  }

  /** Slots that reached their last generation and will never be used again. */
  get retiredSlots(): number {
    return this.retired;
  }

  /** CapSlotOwner: the table id. */
  get tableId(): number {
    return this.id;
  }

  create(object: KernelObject, rights: Rights): CreateResult {
    if (this.disposed || !createAllowed(this.space, object, rights)) {
      // Refused: only now is the call formatted (the same checks, in the same order, throw).
      const call = `table ${this.id}: create(${object}, rights=0x${rights.toString(16)})`;
      checkCreate(call, this.space, object, rights);
      throw new LifeCycleError(`${call}: the table is disposed`);
    }
    const slot = this.freeSlot();
    if (slot < 0) return this.full();
    const handle = this.occupy(slot, object, rights);
    object.acquireHandle();
    this.nodes[slot] = this.space.derivations.root(this, slot);
    this.space.tracer?.emit({ type: "handle.created", table: this.id, handle, koid: object.koid, rights });
    return { kind: "ok", handle };
  }

  lookup<T extends KernelObject>(
    handle: number,
    type: ObjectType<T> | null,
    required: Rights,
  ): LookupResult<T> {
    // Masking with the arrays' size, not the index field's, keeps the read in bounds; the compare
    // of the whole value still rejects any handle whose index lies beyond the arrays.
    const slot = handle & this.slotMask;
    const open = this.live[slot]!;
    if (open !== handle || open === 0) return this.badHandle(handle);
    if (type !== null && this.typeIds[slot] !== type.id) return this.wrongType(handle, slot, type);
    const held = this.rightsOf[slot]!;
    if ((held & required) !== required) return denied(handle, held, required);
    return { kind: "ok", object: this.objects[slot] as T, rights: held };
  }

  /**
   * The allocation-free twin of {@link SlotHandleTable.lookup} for hot paths: the object when
   * `handle` is open, of `type` (any type when `null`) and holds `required`, else `null` (call
   * `lookup` again to learn why; refusals are rare on a system-call path).
   */
  resolve<T extends KernelObject>(handle: number, type: ObjectType<T> | null, required: Rights): T | null {
    const slot = handle & this.slotMask;
    const open = this.live[slot]!;
    if (open !== handle || open === 0) return null;
    if (type !== null && this.typeIds[slot] !== type.id) return null;
    if ((this.rightsOf[slot]! & required) !== required) return null;
    return this.objects[slot] as T;
  }

  duplicate(handle: number, rights: Rights): HandleResult {
    const slot = this.slotOf(handle);
    if (slot < 0) return this.badHandle(handle);
    const refused = this.checkDerive(handle, slot, Right.DUPLICATE, rights);
    if (refused) return refused;
    const dst = this.freeSlot();
    if (dst < 0) return this.full();
    const object = this.objects[slot]!;
    const h = this.occupy(dst, object, rights);
    object.acquireHandle();
    this.nodes[dst] = this.space.derivations.child(this.nodes[slot]!, this, dst);
    this.space.tracer?.emit({ type: "handle.created", table: this.id, handle: h, koid: object.koid, rights });
    return { kind: "ok", handle: h };
  }

  replace(handle: number, rights: Rights): HandleResult {
    const slot = this.slotOf(handle);
    if (slot < 0) return this.badHandle(handle);
    const refused = this.checkDerive(handle, slot, 0, rights);
    if (refused) return refused;
    const object = this.objects[slot]!;
    const node = this.nodes[slot]!;
    if (this.gens[slot]! < this.maxGen) {
      // Same slot, next generation: the old value turns stale, and no free slot is needed.
      this.gens[slot]!++;
      const h = ((this.gens[slot]! << this.indexBits) | slot) as Handle;
      this.live[slot] = h;
      this.rightsOf[slot] = rights;
      this.traceMove(handle, h, object);
      return { kind: "ok", handle: h };
    }
    const dst = this.freeSlot();
    if (dst < 0) return this.full();
    const h = this.occupy(dst, object, rights);
    this.nodes[dst] = node;
    node.slot = dst;
    this.vacate(slot);
    this.traceMove(handle, h, object);
    return { kind: "ok", handle: h };
  }

  close(handle: number): CloseResult {
    const slot = this.slotOf(handle);
    if (slot < 0) return this.badHandle(handle);
    this.closeSlot(slot);
    return { kind: "ok" };
  }

  moveTo(handle: number, dest: HandleTable, rights?: Rights): HandleResult {
    checkDestination(this, "moveTo", dest);
    const slot = this.slotOf(handle);
    if (slot < 0) return this.badHandle(handle);
    const held = this.rightsOf[slot]!;
    const mask = rights ?? held;
    const refused = this.checkDerive(handle, slot, Right.TRANSFER, mask);
    if (refused) return refused;
    const object = this.objects[slot]!;
    const node = this.nodes[slot]!;
    // The destination places it first; only then does it leave this table (atomic either way).
    const h = dest.accept(object, mask, (owner, at) => {
      node.owner = owner;
      node.slot = at;
      return node;
    });
    if (h === null) return { kind: "table-full", table: dest.id, capacity: dest.capacity };
    this.nodes[slot] = null;
    this.vacate(slot);
    this.space.tracer?.emit({
      type: "handle.moved",
      from: this.id,
      to: dest.id,
      handle: handle as Handle,
      newHandle: h,
      koid: object.koid,
    });
    return { kind: "ok", handle: h };
  }

  share(handle: number, dest: HandleTable, rights: Rights): HandleResult {
    checkDestination(this, "share", dest);
    const slot = this.slotOf(handle);
    if (slot < 0) return this.badHandle(handle);
    const refused = this.checkDerive(handle, slot, Right.DUPLICATE | Right.TRANSFER, rights);
    if (refused) return refused;
    const object = this.objects[slot]!;
    const parent = this.nodes[slot]!;
    const h = dest.accept(object, rights, (owner, at) => this.space.derivations.child(parent, owner, at));
    if (h === null) return { kind: "table-full", table: dest.id, capacity: dest.capacity };
    object.acquireHandle();
    this.space.tracer?.emit({ type: "handle.created", table: dest.id, handle: h, koid: object.koid, rights });
    return { kind: "ok", handle: h };
  }

  accept(
    object: KernelObject,
    rights: Rights,
    node: (owner: CapSlotOwner, slot: number) => CapNode,
  ): Handle | null {
    if (this.disposed) throw new LifeCycleError(`table ${this.id}: accept: the table is disposed`);
    const slot = this.freeSlot();
    if (slot < 0) return null;
    const h = this.occupy(slot, object, rights);
    this.nodes[slot] = node(this, slot);
    return h;
  }

  split(handle: number, rights: Rights): SplitResult {
    const slot = this.slotOf(handle);
    if (slot < 0) return this.badHandle(handle);
    const refused = this.checkDerive(handle, slot, Right.DUPLICATE, rights);
    if (refused) return refused;
    const held = this.rightsOf[slot]!;
    if (rights === 0 || rights === held) {
      // A split must leave both pieces non-empty.
      return { kind: "invalid-rights", handle, requested: rights, valid: held };
    }
    const dst = this.freeSlot();
    if (dst < 0) return this.full();
    const object = this.objects[slot]!;
    const h = this.occupy(dst, object, rights);
    object.acquireHandle();
    this.nodes[dst] = this.space.derivations.sibling(this.nodes[slot]!, this, dst);
    this.rightsOf[slot] = held & ~rights;
    this.space.tracer?.emit({ type: "handle.created", table: this.id, handle: h, koid: object.koid, rights });
    return { kind: "ok", kept: this.live[slot] as Handle, split: h };
  }

  revoke(handle: number): RevokeResult {
    const slot = this.slotOf(handle);
    if (slot < 0) return this.badHandle(handle);
    const revoked = this.space.derivations.revokeBelow(this.nodes[slot]!);
    this.space.tracer?.emit({
      type: "handle.revoked",
      table: this.id,
      handle: handle as Handle,
      count: revoked,
    });
    return { kind: "ok", revoked };
  }

  /** CapSlotOwner: close the handle in `slot` because an ancestor was revoked. */
  revokeSlot(slot: number): void {
    if (this.live[slot] === 0) throw new InvariantError(`table ${this.id}: revoke reached free slot ${slot}`);
    this.closeSlot(slot);
  }

  list(): HandleInfo[] {
    const out: HandleInfo[] = [];
    for (let slot = 0; slot < this.usable; slot++) {
      const object = this.objects[slot];
      if (this.live[slot] === 0 || !object) continue;
      out.push({
        handle: this.live[slot] as Handle,
        object,
        koid: object.koid,
        type: object.type.name,
        rights: this.rightsOf[slot]!,
      });
    }
    return out;
  }

  dispose(): void {
    if (this.disposed) return;
    for (let slot = 0; slot < this.usable; slot++) if (this.live[slot] !== 0) this.closeSlot(slot);
    this.disposed = true;
    this.space.unregisterTable(this);
  }

  checkInvariants(): void {
    const me = `table ${this.id}`;
    let open = 0;
    if (this.live.length !== this.slotMask + 1 || this.usable !== Math.min(this.live.length, this.capacity)) {
      throw new InvariantError(`${me}: slot arrays of ${this.live.length} with ${this.usable} usable slots`);
    }
    for (let slot = 0; slot < this.live.length; slot++) {
      const h = this.live[slot]!;
      const object = this.objects[slot];
      const node = this.nodes[slot];
      if (h === 0) {
        if (object || node)
          throw new InvariantError(`${me}: free slot ${slot} still holds an object or node`);
        continue;
      }
      open++;
      if (slot >= this.usable) throw new InvariantError(`${me}: slot ${slot} beyond capacity is open`);
      if (h !== ((this.gens[slot]! << this.indexBits) | slot)) {
        throw new InvariantError(
          `${me}: slot ${slot} holds handle 0x${h.toString(16)}, not its generation ${this.gens[slot]}`,
        );
      }
      if (!object || object.state === "destroyed")
        throw new InvariantError(`${me}: slot ${slot} holds no live object`);
      if (this.typeIds[slot] !== object.type.id)
        throw new InvariantError(`${me}: slot ${slot} caches a wrong type id`);
      if ((this.rightsOf[slot]! & ~object.type.validRights) !== 0) {
        throw new InvariantError(`${me}: slot ${slot} holds rights outside type ${object.type.name}`);
      }
      if (!node || node.owner !== this || node.slot !== slot) {
        throw new InvariantError(`${me}: slot ${slot} has no derivation node pointing back at it`);
      }
    }
    if (open !== this.count)
      throw new InvariantError(`${me}: size says ${this.count}, ${open} slots are open`);
    const seen = new Set<number>();
    for (let s = this.freeHead; s >= 0; s = this.freeNext[s]!) {
      if (seen.has(s)) throw new InvariantError(`${me}: free list loops at slot ${s}`);
      if (this.live[s] !== 0) throw new InvariantError(`${me}: open slot ${s} is on the free list`);
      if (this.gens[s]! > this.maxGen)
        throw new InvariantError(`${me}: retired slot ${s} is on the free list`);
      seen.add(s);
    }
    if (seen.size !== this.usable - this.count - this.retired) {
      throw new InvariantError(
        `${me}: free list has ${seen.size} slots, expected ${this.usable} usable - ${this.count} open - ${this.retired} retired`,
      );
    }
  }

  // ---- internals --------------------------------------------------------------------------

  /** The slot of an open handle, or -1. */
  private slotOf(handle: number): number {
    const slot = handle & this.slotMask;
    const open = this.live[slot]!;
    return open === handle && open !== 0 ? slot : -1;
  }

  /** Check a derivation from the handle in `slot` (see `checks.ts`). */
  private checkDerive(
    handle: number,
    slot: number,
    op: Rights,
    rights: Rights,
  ): AccessDenied | InvalidRights | null {
    return deriveRefusal(handle, this.rightsOf[slot]!, op, rights, this.objects[slot]!.type.validRights);
  }

  /** The free-list head, growing the slot arrays first when the list is empty; -1 when full. */
  private freeSlot(): number {
    if (this.freeHead < 0 && this.usable < this.capacity) this.grow();
    return this.freeHead;
  }

  /** Double the slot arrays (up to 2^indexBits) and put the new usable slots on the free list. */
  private grow(): void {
    const length = this.live.length * 2;
    const widen = (a: Int32Array, fill: number): Int32Array => {
      const b = new Int32Array(length).fill(fill);
      b.set(a);
      return b;
    };
    this.live = widen(this.live, 0);
    this.gens = widen(this.gens, 1);
    this.rightsOf = widen(this.rightsOf, 0);
    this.typeIds = widen(this.typeIds, 0);
    this.freeNext = widen(this.freeNext, 0);
    this.objects = this.objects.concat(
      new Array<KernelObject | null>(length - this.objects.length).fill(null),
    );
    this.nodes = this.nodes.concat(new Array<CapNode | null>(length - this.nodes.length).fill(null));
    this.slotMask = length - 1;
    this.addFreeSlots(Math.min(length, this.capacity));
  }

  /** Make slots usable..upTo-1 usable, lowest first on the free list. */
  private addFreeSlots(upTo: number): void {
    for (let slot = upTo - 1; slot >= this.usable; slot--) {
      this.freeNext[slot] = this.freeHead;
      this.freeHead = slot;
    }
    this.usable = upTo;
  }

  /** Put a handle into free slot `slot` (the free-list head) and return its value. */
  private occupy(slot: number, object: KernelObject, rights: Rights): Handle {
    this.freeHead = this.freeNext[slot]!;
    const h = ((this.gens[slot]! << this.indexBits) | slot) as Handle;
    this.live[slot] = h;
    this.rightsOf[slot] = rights;
    this.typeIds[slot] = object.type.id;
    this.objects[slot] = object;
    this.count++;
    return h;
  }

  /** Empty `slot`, bump its generation, and free or retire it. Counts and nodes are the caller's. */
  private vacate(slot: number): void {
    this.live[slot] = 0;
    this.rightsOf[slot] = 0;
    this.objects[slot] = null;
    this.nodes[slot] = null;
    this.count--;
    if (++this.gens[slot]! > this.maxGen) {
      this.retired++;
      return;
    }
    this.freeNext[slot] = this.freeHead;
    this.freeHead = slot;
  }

  private closeSlot(slot: number): void {
    const object = this.objects[slot]!;
    const node = this.nodes[slot]!;
    const handle = this.live[slot] as Handle;
    this.vacate(slot);
    this.space.derivations.remove(node);
    this.space.tracer?.emit({ type: "handle.closed", table: this.id, handle, koid: object.koid });
    object.releaseHandle(); // last: hooks and destruction see consistent tables
  }

  private traceMove(handle: number, newHandle: Handle, object: KernelObject): void {
    this.space.tracer?.emit({
      type: "handle.moved",
      from: this.id,
      to: this.id,
      handle: handle as Handle,
      newHandle,
      koid: object.koid,
    });
  }

  private full(): TableFull {
    return { kind: "table-full", table: this.id, capacity: this.capacity };
  }

  private badHandle(handle: number): BadHandle {
    let reason: BadHandle["reason"] = "malformed";
    if (Number.isInteger(handle) && handle > this.indexMask && handle <= ALL_BITS) {
      const slot = handle & this.indexMask;
      const gen = handle >>> this.indexBits;
      // An older generation was handed out from this slot and closed since; anything else was never issued.
      if (slot < this.usable) reason = gen < this.gens[slot]! ? "stale" : "not-open";
      else if (slot < this.capacity) reason = "not-open";
    }
    return { kind: "bad-handle", handle, reason };
  }

  private wrongType(handle: number, slot: number, type: ObjectType): LookupResult<never> {
    return { kind: "wrong-type", handle, expected: type.name, actual: this.objects[slot]!.type.name };
  }
}
