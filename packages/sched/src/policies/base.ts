/**
 * The generic engine behind every policy: membership, the ready/current protocol, argument
 * checks and the shared invariants. A concrete policy supplies only its ordering rule through
 * six hooks (`insertReady`, `removeReady`, `takeBest`, `charge`, `orderedReady`, `makeEntry`),
 * which is where the teaching point of each file lives.
 *
 * Protocol invariants (checked by `checkInvariants()` and by the laws):
 *   - every admitted thread is in exactly one of: not runnable, ready, current;
 *   - at most one thread is current;
 *   - `readyCount` equals the number of entries flagged ready equals what `orderedReady()` lists.
 *
 * A hook is only called after the engine has validated the request, so hooks never throw for
 * misuse, and a refused call changes nothing.
 */
import {
  type Cycles,
  DEFAULT_THREAD_PARAMS,
  NICE_MAX,
  NICE_MIN,
  PRI_MAX,
  PRI_MIN,
  type ReadyReason,
  type SchedPolicy,
  type ThreadId,
  type ThreadParams,
} from "../api.js";
import {
  DuplicateThreadError,
  IllegalTransitionError,
  InvalidArgumentError,
  InvariantError,
  UnknownThreadError,
} from "../errors.js";
import { EntryTable } from "../structs/entry-table.js";

/** The per-thread record every policy keeps; policies extend it with their own fields. */
export interface PolicyEntry {
  /** The thread. */
  readonly tid: ThreadId;
  /** Its current parameters (validated). */
  params: ThreadParams;
  /** Whether it is in the ready set. */
  ready: boolean;
}

/**
 * Whether a full parameter set is valid: {@link validateParams} without the message, so a hot path
 * (`admit`, once per thread created) formats `call` only when it is about to throw.
 */
export function paramsValid(p: ThreadParams): boolean {
  return (
    Number.isInteger(p.priority) &&
    p.priority >= PRI_MIN &&
    p.priority <= PRI_MAX &&
    Number.isInteger(p.nice) &&
    p.nice >= NICE_MIN &&
    p.nice <= NICE_MAX &&
    Number.isInteger(p.tickets) &&
    p.tickets > 0 &&
    !Number.isNaN(p.expectedRuntime) &&
    p.expectedRuntime >= 0
  );
}

/**
 * What is wrong with a full parameter set: the first bad field, its value and the accepted range
 * (e.g. `"nice 99 is not an integer in -20..19"`), or null when it is valid.
 */
export function paramsProblem(p: ThreadParams): string | null {
  if (!Number.isInteger(p.priority) || p.priority < PRI_MIN || p.priority > PRI_MAX)
    return `priority ${p.priority} is not an integer in ${PRI_MIN}..${PRI_MAX}`;
  if (!Number.isInteger(p.nice) || p.nice < NICE_MIN || p.nice > NICE_MAX)
    return `nice ${p.nice} is not an integer in ${NICE_MIN}..${NICE_MAX}`;
  if (!Number.isInteger(p.tickets) || p.tickets <= 0)
    return `tickets ${p.tickets} must be a positive integer`;
  if (Number.isNaN(p.expectedRuntime) || p.expectedRuntime < 0)
    return `expectedRuntime ${p.expectedRuntime} must be ≥ 0`;
  return null;
}

/**
 * Check a full parameter set; used by `Scheduler.spawn`/`setParams` and every policy's `admit`
 * and `setParams`.
 * @throws InvalidArgumentError naming the call, the field, the value and the accepted range.
 */
export function validateParams(call: string, p: ThreadParams): void {
  const problem = paramsProblem(p);
  if (problem !== null) throw new InvalidArgumentError(`${call}: ${problem}`);
}

/**
 * Check that a time quantity given to a policy option is a positive finite number.
 * @throws InvalidArgumentError naming the option and the value.
 */
export function positive(call: string, what: string, v: number, allowInfinity = false): number {
  if (Number.isNaN(v) || v <= 0 || (!allowInfinity && !Number.isFinite(v))) {
    throw new InvalidArgumentError(
      `${call}: ${what} ${v} must be a positive${allowInfinity ? "" : " finite"} number`,
    );
  }
  return v;
}

/** The engine: implements the {@link SchedPolicy} protocol around a policy's ordering hooks. */
export abstract class PolicyBase<E extends PolicyEntry> implements SchedPolicy {
  /** Short policy name. */
  abstract readonly name: string;
  /** See {@link SchedPolicy.starvationFree}. */
  abstract readonly starvationFree: boolean;
  /** Every admitted thread, by id (iteration is deterministic: see `structs/entry-table.ts`). */
  protected readonly entries = new EntryTable<E>();
  /** The current thread's entry. */
  protected cur: E | null = null;
  private nReady = 0;

  // ---- the hooks a policy implements ----

  /** Build the record of a newly admitted thread (params already validated). */
  protected abstract makeEntry(tid: ThreadId, params: ThreadParams): E;
  /** Put `e` (not ready, possibly the current thread that is being requeued) in the ready structure. */
  protected abstract insertReady(e: E, reason: ReadyReason): void;
  /** Take the ready `e` out of the ready structure. */
  protected abstract removeReady(e: E): void;
  /** Remove and return the entry to run next, or null when nothing is ready (nReady > 0 guaranteed). */
  protected abstract takeBest(): E | null;
  /** Account `cycles` to `e` (or to idle time when null); return whether to preempt `e`. */
  protected abstract charge(e: E | null, cycles: Cycles): boolean;
  /** The ready set in the order the policy would consider it. */
  protected abstract orderedReady(): ThreadId[];
  /** Called when `e` was picked (becomes current). */
  protected onPicked(_e: E): void {}
  /** Called when the current `e` blocked, was suspended or exited. */
  protected onDescheduled(_e: E): void {}
  /** Called after `e.params` changed from `old`; default re-sorts a ready thread. */
  protected onParamsChanged(e: E, _old: ThreadParams): void {
    if (e.ready) {
      this.removeReady(e);
      this.insertReady(e, "yielded");
    }
  }
  /** Policy-specific invariants, called by `checkInvariants()` after the shared ones. */
  protected checkOwnInvariants(): void {}
  /** See {@link SchedPolicy.shouldPreempt}; default: never (non-preemptive on wakeup). */
  shouldPreempt(current: ThreadId, woken: ThreadId): boolean {
    this.lookup("shouldPreempt", current);
    this.lookup("shouldPreempt", woken);
    return false;
  }

  // ---- the protocol ----

  /** Number of ready threads. */
  get readyCount(): number {
    return this.nReady;
  }

  /** The current thread, or null. */
  get current(): ThreadId | null {
    return this.cur === null ? null : this.cur.tid;
  }

  /** See {@link SchedPolicy.admit}. */
  admit(tid: ThreadId, params: Partial<ThreadParams> = {}): void {
    if (this.entries.has(tid))
      throw new DuplicateThreadError(`${this.name}.admit(tid=${tid}): already admitted`);
    const full: ThreadParams = { ...DEFAULT_THREAD_PARAMS, ...params };
    if (!paramsValid(full)) validateParams(`${this.name}.admit(tid=${tid})`, full); // throws
    this.entries.set(tid, this.makeEntry(tid, full));
  }

  /** See {@link SchedPolicy.retire}. */
  retire(tid: ThreadId): void {
    const e = this.lookup("retire", tid);
    if (e.ready || e === this.cur) {
      throw new IllegalTransitionError(
        `${this.name}.retire(tid=${tid}): thread is ${e.ready ? "ready" : "current"}; dequeue or deschedule it first`,
      );
    }
    this.entries.delete(tid);
  }

  /** See {@link SchedPolicy.enqueue}. */
  enqueue(tid: ThreadId, reason: ReadyReason): void {
    const e = this.lookup("enqueue", tid);
    if (e.ready)
      throw new DuplicateThreadError(`${this.name}.enqueue(tid=${tid}, ${reason}): already in the ready set`);
    if (e === this.cur) this.cur = null;
    this.insertReady(e, reason);
    e.ready = true;
    this.nReady++;
  }

  /** See {@link SchedPolicy.dequeue}. */
  dequeue(tid: ThreadId): void {
    const e = this.lookup("dequeue", tid);
    if (!e.ready)
      throw new IllegalTransitionError(`${this.name}.dequeue(tid=${tid}): thread is not in the ready set`);
    this.removeReady(e);
    e.ready = false;
    this.nReady--;
  }

  /** See {@link SchedPolicy.pickNext}. */
  pickNext(): ThreadId | null {
    if (this.cur !== null) {
      throw new IllegalTransitionError(
        `${this.name}.pickNext(): tid=${this.cur.tid} is still current; enqueue or deschedule it first`,
      );
    }
    if (this.nReady === 0) return null;
    const e = this.takeBest();
    if (e === null) return null;
    e.ready = false;
    this.nReady--;
    this.cur = e;
    this.onPicked(e);
    return e.tid;
  }

  /** See {@link SchedPolicy.tick}. */
  tick(current: ThreadId | null, cycles: Cycles): boolean {
    if (!(cycles > 0 && cycles < Number.POSITIVE_INFINITY)) positive(`${this.name}.tick`, "cycles", cycles); // throws
    if (current !== null) {
      this.lookup("tick", current);
      if (this.cur === null || this.cur.tid !== current) {
        throw new IllegalTransitionError(
          `${this.name}.tick(tid=${current}): thread is not the current thread`,
        );
      }
    } else if (this.cur !== null) {
      throw new IllegalTransitionError(
        `${this.name}.tick(null): tid=${this.cur.tid} is current, the CPU is not idle`,
      );
    }
    return this.charge(this.cur, cycles);
  }

  /** See {@link SchedPolicy.descheduled}. */
  descheduled(tid: ThreadId): void {
    const e = this.lookup("descheduled", tid);
    if (e !== this.cur)
      throw new IllegalTransitionError(`${this.name}.descheduled(tid=${tid}): thread is not current`);
    this.onDescheduled(e);
    this.cur = null;
  }

  /** See {@link SchedPolicy.setParams}. */
  setParams(tid: ThreadId, params: Partial<ThreadParams>): void {
    const e = this.lookup("setParams", tid);
    const full: ThreadParams = { ...e.params, ...params };
    validateParams(`${this.name}.setParams(tid=${tid})`, full);
    const old = e.params;
    e.params = full;
    this.onParamsChanged(e, old);
  }

  /** See {@link SchedPolicy.isAdmitted}. */
  isAdmitted(tid: ThreadId): boolean {
    return this.entries.has(tid);
  }

  /** See {@link SchedPolicy.isReady}. */
  isReady(tid: ThreadId): boolean {
    return this.entries.get(tid)?.ready === true;
  }

  /** See {@link SchedPolicy.readyThreads}. */
  readyThreads(): ThreadId[] {
    return this.orderedReady();
  }

  /** See {@link SchedPolicy.checkInvariants}. */
  checkInvariants(): void {
    let flagged = 0;
    for (const e of this.entries.values()) if (e.ready) flagged++;
    if (flagged !== this.nReady) {
      throw new InvariantError(
        `${this.name}: ${flagged} entries flagged ready but readyCount is ${this.nReady}`,
      );
    }
    const listed = this.orderedReady();
    if (listed.length !== this.nReady) {
      throw new InvariantError(
        `${this.name}: ready structure holds ${listed.length} threads, readyCount is ${this.nReady}`,
      );
    }
    const seen = new Set<ThreadId>();
    for (const t of listed) {
      if (seen.has(t)) throw new InvariantError(`${this.name}: tid=${t} is in the ready structure twice`);
      seen.add(t);
      if (this.entries.get(t)?.ready !== true)
        throw new InvariantError(`${this.name}: tid=${t} is queued but not flagged ready`);
    }
    if (this.cur !== null) {
      if (this.cur.ready) throw new InvariantError(`${this.name}: current tid=${this.cur.tid} is also ready`);
      if (this.entries.get(this.cur.tid) !== this.cur) {
        throw new InvariantError(`${this.name}: current tid=${this.cur.tid} is not admitted`);
      }
    }
    this.checkOwnInvariants();
  }

  /** The entry of `tid`. @throws UnknownThreadError naming the call. */
  protected lookup(call: string, tid: ThreadId): E {
    const e = this.entries.get(tid);
    if (e === undefined)
      throw new UnknownThreadError(`${this.name}.${call}(tid=${tid}): thread not admitted to this policy`);
    return e;
  }
}
