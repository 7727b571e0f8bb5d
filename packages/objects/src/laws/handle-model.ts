/**
 * The naive model of handle tables, kept beside a real implementation that the commands of
 * `handle-commands.ts` drive (the pattern of fast-check's musicPlayer example).
 *
 * The model keeps what a reader can check by eye: per table, a map from handle value to
 * (object, rights, derivation node); a parent link per node; per object, its references and
 * whether it died. After every command `compare()` checks the real system against it:
 *
 * - every table lists exactly the model's handles, with the model's objects and rights (so no
 *   right was ever amplified, and a move left exactly one copy);
 * - every value a table ever issued and no longer holds is `bad-handle` with reason `stale` (closed
 *   never resolves, and the program is told why);
 * - an object is destroyed exactly when it had a handle or reference and has none left, and its
 *   destroy hook ran exactly once;
 * - `space.checkInvariants()` passes.
 *
 * Related: `laws/handle-commands.ts`, `laws/handle-table-laws.ts`, `handles/api.ts` (the contract).
 */
import type { Rights } from "../api.js";
import type { HandleTable } from "../handles/api.js";
import { KernelObject } from "../object/kernel-object.js";
import type { ObjectType } from "../object/object-type.js";
import { ObjectSpace } from "../object/space.js";
import { Right } from "../rights/rights.js";
import type { HandleTableFactory } from "./api.js";

/** A handle as the model sees it. */
export interface ModelHandle {
  /** Index into `HandleWorld.objects`. */
  readonly object: number;
  readonly rights: Rights;
  /** Model derivation node id (see `HandleWorld.parent`). */
  readonly node: number;
}

/** An object as the model sees it, beside the real one. */
export interface ModelObject {
  readonly real: KernelObject;
  /** References taken by retain commands and not released. */
  refs: number;
  /** Whether it ever had a handle or reference (only then can it be destroyed). */
  touched: boolean;
  dead: boolean;
  /** How often its onDestroy hook ran (must end at 0 or 1). */
  destroyCalls: number;
}

/** A table as the model sees it, beside the real one. */
export interface ModelTable {
  readonly real: HandleTable;
  readonly capacity: number;
  /** Open handles: value → model handle. */
  readonly handles: Map<number, ModelHandle>;
  /** Every value the real table ever returned. */
  readonly issued: Set<number>;
}

/** The model state plus the real system it shadows. */
export class HandleWorld {
  readonly space = new ObjectSpace();
  readonly types: readonly ObjectType[];
  readonly objects: ModelObject[] = [];
  readonly tables: ModelTable[];
  /** Derivation parents: node id → parent node id (0 = root). */
  readonly parent = new Map<number, number>();
  private nextNode = 1;

  constructor(factory: HandleTableFactory, capacities: readonly number[]) {
    this.types = [
      this.space.defineType({ name: "port", rights: ["send", "receive"], signals: ["readable"] }),
      this.space.defineType({
        name: "vmo",
        rights: ["resize"],
        genericRights: Right.DUPLICATE | Right.TRANSFER | Right.READ | Right.WRITE | Right.MAP,
      }),
    ];
    this.tables = capacities.map((capacity) => ({
      real: factory(this.space, capacity),
      capacity,
      handles: new Map(),
      issued: new Set(),
    }));
    this.newObject(0); // one object of each type from the start, so the first commands have targets
    this.newObject(1);
  }

  /** Build a new real object of type `typeIndex` (modulo the types) and track it. */
  newObject(typeIndex: number): void {
    const type = this.types[typeIndex % this.types.length]!;
    const entry: ModelObject = {
      real: null as unknown as KernelObject,
      refs: 0,
      touched: false,
      dead: false,
      destroyCalls: 0,
    };
    (entry as { real: KernelObject }).real = new KernelObject(this.space, type, {
      hooks: { onDestroy: () => void entry.destroyCalls++ },
    });
    this.objects.push(entry);
  }

  /** Live (not destroyed in the model) object indices. */
  liveObjects(): number[] {
    const out: number[] = [];
    for (let i = 0; i < this.objects.length; i++) if (!this.destroyed(i)) out.push(i);
    return out;
  }

  /** Open handles to object `object` over all model tables. */
  handleCount(object: number): number {
    let n = 0;
    for (const t of this.tables) for (const h of t.handles.values()) if (h.object === object) n++;
    return n;
  }

  /** Whether the model says object `object` is destroyed: touched, and no handles or references left. */
  destroyed(object: number): boolean {
    const o = this.objects[object]!;
    return o.touched && o.refs === 0 && this.handleCount(object) === 0;
  }

  /** Pick the `pick`-th live object (modulo their number), or null when none is live. */
  pickObject(pick: number): ModelObject | null {
    const live = this.liveObjects();
    if (live.length === 0) return null;
    return this.objects[live[pick % live.length]!]!;
  }

  /** Pick the `pick`-th open handle of table `t` (in issue order), or a never-issued value when empty. */
  pickHandle(t: number, pick: number): number {
    const handles = [...this.tables[t]!.handles.keys()];
    if (handles.length === 0) return 0x7fff_fff0 - pick; // no handle open: any value must be refused
    return handles[pick % handles.length]!;
  }

  /** A new model derivation node under `parent` (0 = root). */
  newNode(parent: number): number {
    const id = this.nextNode++;
    this.parent.set(id, parent);
    return id;
  }

  /** Remove a node; its children move up to its parent (seL4 delete). */
  removeNode(id: number): void {
    const up = this.parent.get(id)!;
    for (const [child, p] of this.parent) if (p === id) this.parent.set(child, up);
    this.parent.delete(id);
  }

  /** Every node below `id`, transitively. */
  descendants(id: number): Set<number> {
    const out = new Set<number>();
    let grew = true;
    while (grew) {
      grew = false;
      for (const [child, p] of this.parent) {
        if ((p === id || out.has(p)) && !out.has(child)) {
          out.add(child);
          grew = true;
        }
      }
    }
    return out;
  }

  /** Every check listed in the file banner. */
  compare(): void {
    this.space.checkInvariants();
    for (const t of this.tables) {
      const real = t.real.list();
      if (real.length !== t.handles.size || t.real.size !== t.handles.size) {
        throw new Error(
          `table ${t.real.id}: lists ${real.length} handles (size ${t.real.size}), model has ${t.handles.size}`,
        );
      }
      for (const info of real) {
        const m = t.handles.get(info.handle);
        if (!m)
          throw new Error(
            `table ${t.real.id}: lists handle 0x${info.handle.toString(16)} the model does not have`,
          );
        if (info.object !== this.objects[m.object]!.real)
          throw new Error(`handle 0x${info.handle.toString(16)}: wrong object`);
        if (info.rights !== m.rights) {
          throw new Error(
            `handle 0x${info.handle.toString(16)}: rights 0x${info.rights.toString(16)}, model 0x${m.rights.toString(16)}`,
          );
        }
      }
      for (const v of t.issued) {
        if (t.handles.has(v)) continue;
        const r = t.real.lookup(v, null, 0);
        if (r.kind !== "bad-handle")
          throw new Error(`table ${t.real.id}: closed handle 0x${v.toString(16)} resolves (${r.kind})`);
        if (r.reason !== "stale")
          throw new Error(
            `table ${t.real.id}: closed handle 0x${v.toString(16)}: reason ${r.reason}, expected stale`,
          );
      }
    }
    this.objects.forEach((o, i) => {
      const gone = this.destroyed(i);
      if (gone !== (o.real.state === "destroyed")) {
        throw new Error(
          `${o.real}: state ${o.real.state}, model says ${gone ? "destroyed" : "not destroyed"}`,
        );
      }
      if (o.destroyCalls !== (gone ? 1 : 0))
        throw new Error(`${o.real}: onDestroy ran ${o.destroyCalls} times`);
      if (!gone && o.real.state !== (o.dead ? "dead" : "alive"))
        throw new Error(`${o.real}: state ${o.real.state}`);
      if (!gone && (o.real.handleCount !== this.handleCount(i) || o.real.refCount !== o.refs)) {
        throw new Error(
          `${o.real}: counts ${o.real.handleCount}/${o.real.refCount}, model ${this.handleCount(i)}/${o.refs}`,
        );
      }
    });
  }

  /** Record a handle a table reported as new: it must never have been issued by that table before. */
  issue(t: number, value: number, handle: ModelHandle): void {
    const table = this.tables[t]!;
    if (table.issued.has(value))
      throw new Error(`table ${table.real.id}: handle value 0x${value.toString(16)} issued twice`);
    if (!Number.isInteger(value) || value <= 0)
      throw new Error(`table ${table.real.id}: issued handle ${value}`);
    table.issued.add(value);
    table.handles.set(value, handle);
  }

  /** Drop a handle from the model (closed or revoked), and its node. */
  drop(t: number, value: number): void {
    const h = this.tables[t]!.handles.get(value)!;
    this.tables[t]!.handles.delete(value);
    this.removeNode(h.node);
  }
}
