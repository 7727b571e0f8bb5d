/**
 * The kernel object: the one base every kernel resource in osbricks builds on (jsix's `kobject`,
 * Zircon's `Dispatcher`, Twizzler's refcounted object handle).
 *
 * It keeps four things and nothing type-specific:
 *
 * | field         | meaning                                                                   |
 * |---------------|---------------------------------------------------------------------------|
 * | `koid`        | machine-wide id, never reused (from its {@link ObjectSpace})             |
 * | `type`        | the {@link ObjectType} tag, compared on every handle lookup              |
 * | counts        | `handleCount` (open handles in all tables) and `refCount` (kernel-internal|
 * |               | references: a thread's reference to its process, a pending wait, ...)     |
 * | `signals`     | the signal set waiters watch (`signals/signals.ts`)                       |
 *
 * Life cycle (all transitions in `object/lifecycle.ts`):
 *
 * ```
 *   new ──▶ alive ──kill()──▶ dead ──(handles = 0 and refs = 0)──▶ destroyed
 *             └──────────(handles = 0 and refs = 0)─────────────────▲ (kill, then reap)
 *
 *   handles 1 → 0 : NO_HANDLES asserted, onNoHandles()   (jsix on_no_handles, Twizzler drop notification)
 *   kill()        : onDead(), then waiters not satisfied end "object-dead"
 *   destroyed     : onDestroy() exactly once, quota charge refunded, koid leaves the live map
 * ```
 *
 * Two ways to specialise it, both first-class: **subclass** and override the protected hooks
 * (`onNoHandles`, `onDead`, `onDestroy`), or **compose**: build a plain `KernelObject` with
 * `hooks` in the options and keep it as a field. Type code raises its signals with
 * `assertSignals` / `clearSignals` / `updateSignals` (a channel asserts `readable` when a message
 * arrives and PEER_CLOSED when the other end goes).
 *
 * Invariants: counts ≥ 0; NO_HANDLES is asserted exactly when `handleCount` is 0 (while not
 * destroyed); signals ⊆ `type.validSignals`; no registered observer is already satisfied (it
 * would have been woken); a destroyed object has no counts, no observers, and left the live map.
 *
 * Related: `object/space.ts`, `wait/wait.ts` (observers), `handles/slot-table.ts` (handle counts).
 */
import type { Koid, Signals } from "../api.js";
import type { QuotaCharge } from "../caps/quota.js";
import { InvalidArgumentError, InvariantError, LifeCycleError, RefCountError } from "../errors.js";
import { checkBitSet, isBitSet } from "../rights/rights.js";
import { Signal } from "../signals/signals.js";
import { type LifeState, lifeTransition, nextLifeState } from "./lifecycle.js";
import type { ObjectType } from "./object-type.js";
import type { ObjectSpace } from "./space.js";

/** Callbacks for composition: the same moments as the protected hooks. */
export interface KernelObjectHooks {
  /** The last handle closed (jsix `on_no_handles`). The object may still be referenced. */
  readonly onNoHandles?: (object: KernelObject) => void;
  /** The object became dead (before waiters are told). */
  readonly onDead?: (object: KernelObject) => void;
  /** The object is being destroyed; called exactly once. */
  readonly onDestroy?: (object: KernelObject) => void;
}

/** Options of {@link KernelObject}. */
export interface KernelObjectOptions {
  /** Type and user signals asserted at creation. Default: none (NO_HANDLES is added by the object). */
  readonly signals?: Signals;
  /** A quota unit taken for this object; refunded when it is destroyed. Default: none. */
  readonly charge?: QuotaCharge;
  /** Composition callbacks (see {@link KernelObjectHooks}). Default: none. */
  readonly hooks?: KernelObjectHooks;
}

/**
 * Something watching an object's signals: a pending wait (`wait/wait.ts`) or a kernel-internal
 * watcher (an ipc port). Observers are told in registration order.
 */
export interface SignalObserver {
  /** Signals of interest; the observer is told once any of them is asserted. */
  readonly mask: Signals;
  /** A signal of `mask` is now asserted; `signals` is the object's whole set. */
  signalled(object: KernelObject, signals: Signals): void;
  /** The object died while the observer's mask was not satisfied. */
  died(object: KernelObject): void;
}

/** The options of an object built without any: shared, so a construction allocates no bag. */
const NO_OPTIONS: KernelObjectOptions = Object.freeze({});

/** A kernel object (see the file banner). */
export class KernelObject {
  /** Machine-wide id, never reused. */
  readonly koid: Koid;
  /** The object's type tag. */
  readonly type: ObjectType;
  /** The machine the object lives in. */
  readonly space: ObjectSpace;
  private lifeState: LifeState = "alive";
  private handles = 0;
  private refs = 0;
  private signalSet: Signals;
  private readonly observers: SignalObserver[] = [];
  private readonly charge: QuotaCharge | undefined;
  private readonly hooks: KernelObjectHooks | undefined;

  /**
   * A new alive object with no handles and no references. It is destroyed the first time both
   * counts return to zero after a release, so hand it to a table or `retain` it.
   *
   * @throws InvalidArgumentError when `type` belongs to another space or `signals` has bits the
   *   type does not define or system bits.
   * @throws QuotaError when the charge is already used or is for another type.
   * @example
   * ```ts
   * const space = new ObjectSpace();
   * const eventType = space.defineType({ name: "event" });
   * const table = new SlotHandleTable(space);
   * const ev = new KernelObject(space, eventType);
   * table.create(ev, eventType.defaultRights);   // handleCount 1
   * ev.assertSignals(userSignal(0));              // wakes waiters on user signal 0
   * ```
   */
  constructor(space: ObjectSpace, type: ObjectType, options: KernelObjectOptions = NO_OPTIONS) {
    if (space.types()[type.id - 1] !== type) {
      throw new InvalidArgumentError(
        `new KernelObject(type=${type.name}): the type was not defined in this space`,
      );
    }
    const initial = options.signals ?? 0;
    if (!isBitSet(initial)) checkBitSet(`new KernelObject(type=${type.name})`, "signals", initial); // throws
    if ((initial & ~type.validSignals) !== 0 || (initial & Signal.NO_HANDLES) !== 0) {
      throw new InvalidArgumentError(
        `new KernelObject(type=${type.name}): signals=0x${initial.toString(16)} has bits the type does not define (or NO_HANDLES, which the object manages)`,
      );
    }
    options.charge?.bind(type.name);
    this.space = space;
    this.type = type;
    this.signalSet = initial | Signal.NO_HANDLES;
    this.charge = options.charge;
    this.hooks = options.hooks;
    this.koid = space.register(this);
    space.tracer?.emit({ type: "object.created", koid: this.koid, objectType: type.name });
  }

  /** `alive`, `dead` or `destroyed`. */
  get state(): LifeState {
    return this.lifeState;
  }
  /** Whether the object is alive (not dead, not destroyed). */
  get alive(): boolean {
    return this.lifeState === "alive";
  }
  /** Open handles to this object in all tables. */
  get handleCount(): number {
    return this.handles;
  }
  /** Kernel-internal references. */
  get refCount(): number {
    return this.refs;
  }
  /** The current signal set. */
  get signals(): Signals {
    return this.signalSet;
  }

  /** Human-readable name for messages: `channel#7`. */
  toString(): string {
    return `${this.type.name}#${this.koid}`;
  }

  // ---- references -------------------------------------------------------------------------

  /**
   * Take a kernel-internal reference (keeps the object from being destroyed).
   * @throws LifeCycleError on a destroyed object.
   */
  retain(): void {
    this.requireNotDestroyed("retain");
    this.refs++;
  }

  /**
   * Drop a reference taken with {@link KernelObject.retain}; may destroy the object.
   * @throws RefCountError when no reference is held.
   */
  release(): void {
    if (this.refs === 0)
      throw new RefCountError(`${this}.release: refCount is already 0 (release without retain?)`);
    this.refs--;
    this.reapIfUnreferenced();
  }

  /**
   * Count one more open handle; called by handle tables (a student's table too).
   * Clears NO_HANDLES when the count leaves 0.
   * @throws LifeCycleError on a destroyed object.
   */
  acquireHandle(): void {
    this.requireNotDestroyed("acquireHandle");
    this.handles++;
    if (this.handles === 1) this.setSignals(this.signalSet & ~Signal.NO_HANDLES);
  }

  /**
   * Count one open handle fewer; called by handle tables after the handle is gone. On the last
   * one: asserts NO_HANDLES, runs `onNoHandles`, and destroys the object if nothing references it.
   * @throws RefCountError when the count is already 0.
   */
  releaseHandle(): void {
    if (this.handles === 0) throw new RefCountError(`${this}.releaseHandle: handleCount is already 0`);
    this.handles--;
    if (this.handles > 0) return;
    // Pin the object while telling everyone: the waiters NO_HANDLES wakes drop their references,
    // and the object must outlive its own onNoHandles hooks.
    this.refs++;
    this.setSignals(this.signalSet | Signal.NO_HANDLES);
    this.space.tracer?.emit({ type: "object.no-handles", koid: this.koid });
    this.onNoHandles();
    this.hooks?.onNoHandles?.(this);
    this.refs--;
    this.reapIfUnreferenced();
  }

  // ---- life cycle -------------------------------------------------------------------------

  /**
   * alive → dead: the object stops working (a thread exits, a process is killed) while handles
   * may remain. Runs `onDead` (which may assert final signals such as `terminated`), then ends
   * every wait whose mask is still unsatisfied with `object-dead`.
   * @throws LifeCycleError when the object is not alive.
   */
  kill(): void {
    // The message (naming the object) is built only when the move is refused: this runs per exit.
    this.lifeState =
      nextLifeState(this.lifeState, "kill") ?? lifeTransition(this.lifeState, "kill", `${this}.kill`);
    this.space.tracer?.emit({ type: "object.dead", koid: this.koid });
    this.onDead();
    this.hooks?.onDead?.(this);
    if (this.observers.length === 0) return; // the usual case: no copy to walk
    for (const o of this.observers.slice()) {
      if (this.observers.includes(o)) o.died(this);
    }
  }

  // ---- signals ----------------------------------------------------------------------------

  /** Assert `set` (type or user signals, or PEER_CLOSED). See {@link KernelObject.updateSignals}. */
  assertSignals(set: Signals): void {
    this.updateSignals(0, set);
  }

  /** Clear `clear`. See {@link KernelObject.updateSignals}. */
  clearSignals(clear: Signals): void {
    this.updateSignals(clear, 0);
  }

  /**
   * Clear `clear`, then assert `set`, as one step; observers whose mask is now satisfied are told
   * in registration order. NO_HANDLES is the object's own and cannot be changed here.
   * @throws InvalidArgumentError for bits the type does not define or NO_HANDLES.
   * @throws LifeCycleError on a destroyed object.
   */
  updateSignals(clear: Signals, set: Signals): void {
    if (
      !isBitSet(clear) ||
      !isBitSet(set) ||
      ((clear | set) & (~this.type.validSignals | Signal.NO_HANDLES)) !== 0
    ) {
      this.refuseSignals(clear, set);
    }
    this.requireNotDestroyed("updateSignals");
    this.setSignals((this.signalSet & ~clear) | set);
  }

  /** {@link KernelObject.updateSignals}'s refusal, out of line so the message is built only here. */
  private refuseSignals(clear: Signals, set: Signals): never {
    const call = `${this}.updateSignals(clear=0x${clear.toString(16)}, set=0x${set.toString(16)})`;
    checkBitSet(call, "clear", clear);
    checkBitSet(call, "set", set);
    const bad = (clear | set) & (~this.type.validSignals | Signal.NO_HANDLES);
    throw new InvalidArgumentError(
      `${call}: bits 0x${bad.toString(16)} are not signals this object may change`,
    );
  }

  // ---- observers --------------------------------------------------------------------------

  /** Register an observer; the caller has checked that its mask is not yet satisfied. */
  addObserver(observer: SignalObserver): void {
    this.requireNotDestroyed("addObserver");
    this.observers.push(observer);
  }

  /** Unregister an observer; returns whether it was registered. */
  removeObserver(observer: SignalObserver): boolean {
    const i = this.observers.indexOf(observer);
    if (i < 0) return false;
    this.observers.splice(i, 1);
    return true;
  }

  /** Number of registered observers (pending waits included). */
  get observerCount(): number {
    return this.observers.length;
  }

  // ---- hooks for subclasses ---------------------------------------------------------------

  /** The last handle closed. Default: nothing. */
  protected onNoHandles(): void {}
  /** The object became dead; assert final signals here. Default: nothing. */
  protected onDead(): void {}
  /** The object is destroyed (exactly once): release what it holds. Default: nothing. */
  protected onDestroy(): void {}

  // ---- invariants -------------------------------------------------------------------------

  /** @throws InvariantError describing the first broken invariant (see the file banner). */
  checkInvariants(): void {
    const me = String(this);
    if (this.handles < 0 || this.refs < 0) throw new InvariantError(`${me}: negative count`);
    if ((this.signalSet & ~this.type.validSignals) !== 0) {
      throw new InvariantError(`${me}: signals 0x${this.signalSet.toString(16)} outside the type's signals`);
    }
    if (this.lifeState === "destroyed") {
      if (this.handles !== 0 || this.refs !== 0 || this.observers.length !== 0) {
        throw new InvariantError(`${me}: destroyed but still has handles, references or observers`);
      }
      return;
    }
    const noHandles = (this.signalSet & Signal.NO_HANDLES) !== 0;
    if (noHandles !== (this.handles === 0)) {
      throw new InvariantError(
        `${me}: NO_HANDLES is ${noHandles ? "set" : "clear"} with ${this.handles} handles`,
      );
    }
    for (const o of this.observers) {
      if ((o.mask & this.signalSet) !== 0) {
        throw new InvariantError(
          `${me}: an observer with mask 0x${o.mask.toString(16)} is satisfied but still waiting`,
        );
      }
    }
  }

  private setSignals(after: Signals): void {
    const before = this.signalSet;
    if (after === before) return;
    this.signalSet = after;
    this.space.tracer?.emit({ type: "signals.changed", koid: this.koid, before, after });
    if ((after & ~before) === 0 || this.observers.length === 0) return;
    for (const o of this.observers.slice()) {
      // An earlier observer's completion may have removed this one, or changed the signals.
      if ((o.mask & this.signalSet) !== 0 && this.observers.includes(o)) o.signalled(this, this.signalSet);
    }
  }

  private reapIfUnreferenced(): void {
    if (this.handles !== 0 || this.refs !== 0 || this.lifeState === "destroyed") return;
    if (this.lifeState === "alive") {
      this.kill();
      // onDead hooks may have taken a reference or made a handle: then the object lives on, dead.
      // ... or an observer's reaction destroyed it already (kill's loop can reach reap itself).
      if (this.handles !== 0 || this.refs !== 0 || this.state !== "dead") return;
    }
    this.lifeState =
      nextLifeState(this.lifeState, "reap") ?? lifeTransition(this.lifeState, "reap", `${this}.reap`);
    this.observers.length = 0;
    this.space.unregister(this);
    this.space.tracer?.emit({ type: "object.destroyed", koid: this.koid });
    this.onDestroy();
    this.hooks?.onDestroy?.(this);
    this.charge?.refund();
  }

  private requireNotDestroyed(call: string): void {
    if (this.lifeState === "destroyed") {
      throw new LifeCycleError(`${this}.${call}: the object is destroyed (use after free?)`);
    }
  }
}
