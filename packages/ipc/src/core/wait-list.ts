/**
 * Wait lists: the intrusive queues of blocked threads that endpoints, notifications and futexes
 * keep, threaded through {@link IpcThreads.qNext} / `qPrev` as Linux threads a `list_head`
 * through a task, so queueing and unqueueing allocate nothing.
 *
 * ```
 *   head ─▶ t3 ⇄ t7 ⇄ t1 ◀─ tail       qNext[3] = 7, qPrev[7] = 3, qNext[1] = -1, qPrev[3] = -1
 *   priority order: prio[t3] ≥ prio[t7] ≥ prio[t1]; a new t of prio p goes behind the last ≥ p
 * ```
 *
 * FIFO lists serve in arrival order. Priority lists serve the highest priority first and stay
 * FIFO among equals (seL4's MCS endpoint queues; a thread whose priority changes while queued is
 * re-inserted behind its new equals, {@link WaitList.reposition}).
 *
 * Invariants ({@link WaitList.check}, called by each owner's `checkInvariants`): the links are a
 * well-formed doubly linked list of `length` members from `head` to `tail`, every member is
 * blocked on the owner in the owner's state, and priorities never increase along a priority list.
 *
 * Related: `threads.ts` (the per-thread arrays the links live in).
 */
import type { ThreadId } from "../api.js";
import { InvariantError } from "../errors.js";
import type { Blocker, IpcThreads, ThreadIpcState } from "./threads.js";

/**
 * A queue of blocked threads threaded through {@link IpcThreads.qNext}/`qPrev` (an intrusive list,
 * as Linux's `list_head` in a task): O(1) push, shift and removal from the middle, no allocation.
 * In priority order a thread goes behind every thread of equal or higher priority, so equal
 * priorities stay FIFO.
 */
export class WaitList {
  /** First thread, or -1. */
  head = -1;
  /** Last thread, or -1. */
  tail = -1;
  /** Number of threads on the list. */
  length = 0;

  private readonly byPriority: boolean;

  constructor(
    private readonly threads: IpcThreads,
    /** Order in which {@link WaitList.shift} serves threads. */
    readonly order: "fifo" | "priority" = "fifo",
  ) {
    this.byPriority = order === "priority";
  }

  /** Queue `t` (which must be on no list) according to {@link WaitList.order}. */
  push(t: ThreadId): void {
    if (this.byPriority) this.insertByPriority(t);
    else this.append(t);
  }

  private append(t: ThreadId): void {
    const threads = this.threads;
    const tail = this.tail;
    threads.qNext[t] = -1;
    threads.qPrev[t] = tail;
    if (tail === -1) this.head = t;
    else threads.qNext[tail] = t;
    this.tail = t;
    this.length++;
  }

  /** Insert `t` behind the last thread of equal or higher priority. */
  private insertByPriority(t: ThreadId): void {
    const { qNext, qPrev, prio } = this.threads;
    const p = prio[t]!;
    if (this.tail === -1 || prio[this.tail]! >= p) {
      this.append(t);
      return;
    }
    let after = qPrev[this.tail]!;
    while (after !== -1 && prio[after]! < p) after = qPrev[after]!;
    const before = after === -1 ? this.head : qNext[after]!;
    qPrev[t] = after;
    qNext[t] = before;
    qPrev[before] = t;
    if (after === -1) this.head = t;
    else qNext[after] = t;
    this.length++;
  }

  /** Take the first thread off the list; -1 when empty. */
  shift(): ThreadId {
    const t = this.head;
    if (t === -1) return -1;
    const { qNext, qPrev } = this.threads;
    const n = qNext[t]!;
    this.head = n;
    if (n === -1) this.tail = -1;
    else qPrev[n] = -1;
    qNext[t] = -1;
    this.length--;
    return t;
  }

  /** Unlink `t`, which must be on this list. */
  remove(t: ThreadId): void {
    const { qNext, qPrev } = this.threads;
    const n = qNext[t]!;
    const p = qPrev[t]!;
    if (p === -1) this.head = n;
    else qNext[p] = n;
    if (n === -1) this.tail = p;
    else qPrev[n] = p;
    qNext[t] = -1;
    qPrev[t] = -1;
    this.length--;
  }

  /** `t` (on this list) changed priority: a priority-ordered list re-inserts it; FIFO keeps its place. */
  reposition(t: ThreadId): void {
    if (!this.byPriority) return;
    this.remove(t);
    this.insertByPriority(t);
  }

  /** The threads on the list, head first (a copy). */
  toArray(): ThreadId[] {
    const out: ThreadId[] = [];
    for (let t = this.head; t !== -1; t = this.threads.qNext[t]!) out.push(t);
    return out;
  }

  /**
   * Throws {@link InvariantError} unless the list is well formed, its members are blocked on
   * `owner` in `state`, and (priority order) priorities never increase along it.
   */
  check(owner: Blocker, state: ThreadIpcState, what: string): void {
    const { qNext, qPrev } = this.threads;
    let prev = -1;
    let count = 0;
    for (let t = this.head; t !== -1; t = qNext[t]!) {
      if (qPrev[t] !== prev)
        throw new InvariantError(`${owner.name} ${what}: thread ${t} has prev ${qPrev[t]}, expected ${prev}`);
      if (this.threads.blockedOn[t] !== owner || this.threads.state[t] !== state) {
        throw new InvariantError(
          `${owner.name} ${what}: thread ${t} is listed but blocked on ${this.threads.blockedOn[t]?.name} in state ${this.threads.state[t]}`,
        );
      }
      if (this.order === "priority" && prev !== -1 && this.threads.prio[prev]! < this.threads.prio[t]!) {
        throw new InvariantError(
          `${owner.name} ${what}: thread ${t} (prio ${this.threads.prio[t]}) queued behind lower-priority ${prev}`,
        );
      }
      if (++count > this.threads.maxThreads) throw new InvariantError(`${owner.name} ${what}: cycle in list`);
      prev = t;
    }
    if (prev !== this.tail)
      throw new InvariantError(`${owner.name} ${what}: tail ${this.tail}, last member ${prev}`);
    if (count !== this.length)
      throw new InvariantError(`${owner.name} ${what}: length ${this.length}, counted ${count}`);
  }
}
