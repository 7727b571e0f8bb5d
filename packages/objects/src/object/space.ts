/**
 * The object space of one machine: its object types, its koid counter, its live objects, its
 * handle tables and their derivation tree. Everything machine-wide in this package hangs here,
 * so two simulated machines in one test never share a koid or a type id (no global singletons).
 *
 * Invariants (checked by {@link ObjectSpace.checkInvariants}):
 * - koids are handed out in increasing order from 1 and never reused;
 * - the live-object map holds exactly the objects not yet destroyed;
 * - every object's handle count equals the number of open handles to it over all tables;
 * - every open handle has exactly one derivation-tree node, and the tree is well formed.
 *
 * Related: `object/kernel-object.ts`, `handles/slot-table.ts`, `caps/derivation.ts`.
 */
import type { Koid, ObjectEvent, Tracer } from "../api.js";
import { DerivationTree } from "../caps/derivation.js";
import { InvalidArgumentError, InvariantError } from "../errors.js";
import type { HandleTable } from "../handles/api.js";
import type { KernelObject } from "./kernel-object.js";
import { ObjectType, type ObjectTypeSpec } from "./object-type.js";

/** Options of {@link ObjectSpace}. */
export interface ObjectSpaceOptions {
  /** Receives object, handle, signal and wait events. Default: none (no cost). */
  readonly tracer?: Tracer<ObjectEvent>;
}

/** All kernel objects and handle tables of one simulated machine. */
export class ObjectSpace {
  /** The tracer given in the options, if any. */
  readonly tracer: Tracer<ObjectEvent> | undefined;
  /** The capability derivation tree over every table of this machine. */
  readonly derivations = new DerivationTree();
  private readonly typeList: ObjectType[] = [];
  private readonly live = new Map<Koid, KernelObject>();
  private readonly tableList: HandleTable[] = [];
  /** The same tables, for the O(1) membership test of {@link ObjectSpace.hasTable}. */
  private readonly tableSet = new Set<HandleTable>();
  private nextKoid = 1;
  private nextTableId = 1;

  constructor(options: ObjectSpaceOptions = {}) {
    this.tracer = options.tracer;
  }

  /**
   * Define an object type for this machine (see `object/object-type.ts`).
   * @throws InvalidArgumentError when the name is taken or the spec is malformed.
   * @example
   * ```ts
   * const space = new ObjectSpace();
   * const event = space.defineType({ name: "event" });
   * class Channel extends KernelObject {}
   * const channel = space.defineType<Channel>({ name: "channel", rights: ["send", "receive"], signals: ["readable"] });
   * ```
   */
  defineType<T extends KernelObject = KernelObject>(spec: ObjectTypeSpec): ObjectType<T> {
    if (this.typeList.some((t) => t.name === spec.name)) {
      throw new InvalidArgumentError(`defineType(${JSON.stringify(spec.name)}): a type of that name exists`);
    }
    const type = new ObjectType<T>(this.typeList.length + 1, spec);
    this.typeList.push(type);
    return type;
  }

  /** The type called `name`, if defined. */
  typeNamed(name: string): ObjectType | undefined {
    return this.typeList.find((t) => t.name === name);
  }

  /** Every type, in definition order. */
  types(): readonly ObjectType[] {
    return this.typeList;
  }

  /** @internal Called once by the KernelObject constructor: the next koid, and track the object. */
  register(object: KernelObject): Koid {
    const koid = this.nextKoid++ as Koid;
    this.live.set(koid, object);
    return koid;
  }

  /** @internal Called once when an object is destroyed. */
  unregister(object: KernelObject): void {
    if (!this.live.delete(object.koid)) {
      throw new InvariantError(`ObjectSpace: koid ${object.koid} destroyed but was not live`);
    }
  }

  /** The live (not destroyed) object with that koid, if any. */
  objectByKoid(koid: number): KernelObject | undefined {
    return this.live.get(koid as Koid);
  }

  /** Every object not yet destroyed, in creation order. */
  liveObjects(): KernelObject[] {
    return [...this.live.values()];
  }

  /**
   * Join this machine: every {@link HandleTable} (ours and a student's alike) calls it once, in its
   * constructor, and uses the number returned as its `id`.
   *
   * @remarks Until a table is registered, and after it unregisters, it is not one of the
   * machine's tables ({@link ObjectSpace.hasTable} is false), so a `moveTo` or `share` into it is
   * refused with a LifeCycleError ("table 7 is disposed or was never registered").
   * In outline (`dispose` closes every handle first):
   * ```
   *   constructor(space, capacity) { …; this.id = space.registerTable(this); }
   *   dispose() { …close every handle…; this.space.unregisterTable(this); }
   * ```
   * @returns the table's id: 1, 2, 3, … in registration order, never reused.
   */
  registerTable(table: HandleTable): number {
    this.tableList.push(table);
    this.tableSet.add(table);
    return this.nextTableId++;
  }

  /**
   * Leave this machine: a table calls it at the end of its `dispose`, after closing its handles
   * (their derivation nodes are gone by then). Later moves into it are refused; calling it for a
   * table that is not registered does nothing.
   */
  unregisterTable(table: HandleTable): void {
    const i = this.tableList.indexOf(table);
    if (i >= 0) this.tableList.splice(i, 1);
    this.tableSet.delete(table);
  }

  /**
   * Whether `table` is one of this space's tables and not disposed. O(1): a handle moved over a
   * channel asks it twice, and a machine has a table per process and per channel.
   */
  hasTable(table: HandleTable): boolean {
    return this.tableSet.has(table);
  }

  /** Every handle table not yet disposed, in creation order. */
  tables(): readonly HandleTable[] {
    return this.tableList;
  }

  /** @throws InvariantError describing the first broken invariant of the whole space. */
  checkInvariants(): void {
    if (this.tableSet.size !== this.tableList.length || this.tableList.some((t) => !this.tableSet.has(t))) {
      throw new InvariantError(
        `ObjectSpace: the table set (${this.tableSet.size}) and the table list (${this.tableList.length}) disagree`,
      );
    }
    const handles = new Map<KernelObject, number>();
    let open = 0;
    for (const t of this.tableList) {
      t.checkInvariants();
      for (const info of t.list()) {
        handles.set(info.object, (handles.get(info.object) ?? 0) + 1);
        open++;
      }
    }
    for (const [koid, o] of this.live) {
      if (o.koid !== koid) throw new InvariantError(`ObjectSpace: live map key ${koid} holds koid ${o.koid}`);
      if (o.state === "destroyed")
        throw new InvariantError(`ObjectSpace: koid ${koid} is destroyed but still live`);
      o.checkInvariants();
      const n = handles.get(o) ?? 0;
      if (o.handleCount !== n) {
        throw new InvariantError(
          `ObjectSpace: koid ${koid} counts ${o.handleCount} handles, the tables hold ${n}`,
        );
      }
    }
    for (const o of handles.keys()) {
      if (!this.live.has(o.koid))
        throw new InvariantError(`ObjectSpace: a table holds a handle to dead koid ${o.koid}`);
    }
    this.derivations.checkInvariants();
    if (this.derivations.size !== open) {
      throw new InvariantError(
        `ObjectSpace: ${open} open handles but ${this.derivations.size} derivation nodes`,
      );
    }
  }
}
