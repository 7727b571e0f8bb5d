/**
 * Priority donation through locks (Pintos project 1): a thread waiting for a lock lends its
 * effective priority to the lock's holder, so a low-priority holder cannot be starved by
 * medium-priority threads while a high-priority thread waits (priority inversion).
 *
 * ```
 *   chain (nested donation):                multiple donation:
 *     H(50) waits on L2, held by M(30)        L(10) holds A and B
 *     M     waits on L1, held by L(10)        M(30) waits on A, H(50) waits on B
 *     → M runs at 50, L runs at 50            → L runs at 50; releases B → 30; releases A → 10
 * ```
 *
 * The rule, computed exactly after every acquire, release and priority change:
 *   eff(t) = max(base(t), max { eff(w) : w waits on a lock that t holds })
 * followed through at most `maxDepth` holders (Pintos' tests nest 8 deep). The wait-for graph is
 * a forest as long as there is no deadlock; a cycle (deadlock) is reported by `acquire` as an
 * expected outcome, not thrown, because a simulated program may well deadlock.
 *
 * Release hands the lock to the waiter with the highest effective priority (ties: the one that
 * waited longest), as Pintos' `sema_up` wakes the highest-priority waiter. The caller blocks and
 * wakes threads; this class keeps the lock graph and pushes effective priorities into the
 * {@link PriorityPolicy} through `setDonation`.
 *
 * Invariants: a waiter is never the holder of the lock it waits on; each thread waits on at most
 * one lock; every donation pushed to the policy equals the formula above.
 */
import type { ThreadId } from "../api.js";
import {
  IllegalTransitionError,
  InvalidArgumentError,
  InvariantError,
  UnknownThreadError,
} from "../errors.js";
import type { PriorityPolicy } from "./priority.js";

/** A lock id handed out by {@link PriorityDonation.createLock}. */
export type LockId = number;

/** Result of {@link PriorityDonation.acquire}: the lock was free, or the caller must block. */
export type AcquireResult =
  | { readonly kind: "acquired" }
  | { readonly kind: "blocked"; readonly holder: ThreadId; readonly chain: readonly ThreadId[] }
  | { readonly kind: "deadlock"; readonly cycle: readonly ThreadId[] };

/** Options of {@link PriorityDonation}. */
export interface DonationOptions {
  /**
   * How many holders a donation travels through; integer ≥ 0. Default 8 (Pintos). 0 turns
   * donation off (to demonstrate priority inversion).
   */
  readonly maxDepth?: number;
}

interface LockState {
  holder: ThreadId | null;
  /** Waiters in arrival order. */
  waiters: ThreadId[];
}

/**
 * Locks with priority donation over a {@link PriorityPolicy}.
 * @example
 * ```ts
 * const pol = new PriorityPolicy();
 * for (const [t, pri] of [[1, 10], [2, 50]] as const) pol.admit(threadId(t), { priority: pri });
 * const d = new PriorityDonation(pol);
 * const lock = d.createLock();
 * d.acquire(threadId(1), lock);      // { kind: "acquired" }
 * d.acquire(threadId(2), lock);      // { kind: "blocked", holder: 1, ... }
 * pol.effectivePriority(threadId(1)); // → 50
 * d.release(threadId(1), lock);      // → 2 now holds it; thread 1 is back to 10
 * ```
 */
export class PriorityDonation {
  private readonly locks: LockState[] = [];
  private readonly waitingOn = new Map<ThreadId, LockId>();
  private readonly held = new Map<ThreadId, Set<LockId>>();
  private readonly maxDepth: number;

  private readonly policyOf: (tid: ThreadId) => PriorityPolicy;

  /**
   * @param policy - the priority policy whose threads take part, or, with several CPUs, a function
   *   naming the policy that holds each thread (e.g. `(t) => sched.policyOf(sched.info(t).cpu)`).
   * @throws InvalidArgumentError when `maxDepth` is not an integer ≥ 0.
   */
  constructor(policy: PriorityPolicy | ((tid: ThreadId) => PriorityPolicy), options: DonationOptions = {}) {
    this.policyOf = typeof policy === "function" ? policy : () => policy;
    const d = options.maxDepth ?? 8;
    if (!Number.isInteger(d) || d < 0)
      throw new InvalidArgumentError(`PriorityDonation: maxDepth ${d} must be an integer ≥ 0`);
    this.maxDepth = d;
  }

  /** Make a new, free lock. */
  createLock(): LockId {
    this.locks.push({ holder: null, waiters: [] });
    return this.locks.length - 1;
  }

  /** Whether `lock` was created here. */
  hasLock(lock: LockId): boolean {
    return this.locks[lock] !== undefined;
  }

  /** The holder of `lock`, or null. @throws InvalidArgumentError for a lock never created. */
  holder(lock: LockId): ThreadId | null {
    return this.lock("holder", lock).holder;
  }

  /** Waiters of `lock` in arrival order (a copy). */
  waiters(lock: LockId): ThreadId[] {
    return [...this.lock("waiters", lock).waiters];
  }

  /** The lock `tid` waits on, or null. */
  waitingFor(tid: ThreadId): LockId | null {
    return this.waitingOn.get(tid) ?? null;
  }

  /**
   * `tid` tries to take `lock`. If it is free, `tid` holds it; otherwise `tid` becomes a waiter
   * (the caller must block it) and donates along the chain of holders.
   * @returns `acquired`, `blocked` with the holder and the donation chain, or `deadlock` (the
   *   lock graph is unchanged then) when waiting would close a cycle.
   * @throws UnknownThreadError if `tid` is not admitted to the policy; IllegalTransitionError if
   *   `tid` already holds or waits for `lock`, or waits for another lock (it would be blocked).
   */
  acquire(tid: ThreadId, lock: LockId): AcquireResult {
    const l = this.lock("acquire", lock);
    this.known("acquire", tid);
    if (l.holder === tid)
      throw new IllegalTransitionError(
        `acquire(tid=${tid}, lock=${lock}): already holds it (locks are not recursive)`,
      );
    const w = this.waitingOn.get(tid);
    if (w !== undefined)
      throw new IllegalTransitionError(`acquire(tid=${tid}, lock=${lock}): thread is blocked on lock ${w}`);
    if (l.holder === null) {
      l.holder = tid;
      this.heldBy(tid).add(lock);
      return { kind: "acquired" };
    }
    // Walk the chain of holders; reaching tid again means waiting would deadlock.
    const chain: ThreadId[] = [];
    let h: ThreadId | null = l.holder;
    while (h !== null) {
      if (h === tid) return { kind: "deadlock", cycle: [tid, ...chain] };
      chain.push(h);
      const next = this.waitingOn.get(h);
      h = next === undefined ? null : this.locks[next]!.holder;
    }
    l.waiters.push(tid);
    this.waitingOn.set(tid, lock);
    this.recompute();
    return { kind: "blocked", holder: l.holder, chain };
  }

  /**
   * `tid` releases `lock`. The waiter with the highest effective priority (longest-waiting among
   * equals) becomes the holder; the caller wakes it.
   * @returns the new holder, or null when nobody waited.
   * @throws IllegalTransitionError if `tid` does not hold `lock`.
   */
  release(tid: ThreadId, lock: LockId): ThreadId | null {
    const l = this.lock("release", lock);
    if (l.holder !== tid)
      throw new IllegalTransitionError(
        `release(tid=${tid}, lock=${lock}): lock is held by ${l.holder ?? "nobody"}`,
      );
    this.heldBy(tid).delete(lock);
    l.holder = null;
    let next: ThreadId | null = null;
    if (l.waiters.length > 0) {
      let bi = 0;
      for (let i = 1; i < l.waiters.length; i++) {
        if (this.eff(l.waiters[i]!) > this.eff(l.waiters[bi]!)) bi = i;
      }
      next = l.waiters.splice(bi, 1)[0]!;
      this.waitingOn.delete(next);
      l.holder = next;
      this.heldBy(next).add(lock);
    }
    this.recompute();
    return next;
  }

  /**
   * Forget `tid` (it exited): it must hold no lock; if it waited for one it stops waiting.
   * @throws IllegalTransitionError when it still holds a lock.
   */
  forget(tid: ThreadId): void {
    const h = this.held.get(tid);
    if (h !== undefined && h.size > 0)
      throw new IllegalTransitionError(`forget(tid=${tid}): still holds locks ${[...h].join(", ")}`);
    const w = this.waitingOn.get(tid);
    if (w !== undefined) {
      const l = this.locks[w]!;
      l.waiters.splice(l.waiters.indexOf(tid), 1);
      this.waitingOn.delete(tid);
    }
    this.held.delete(tid);
    this.recompute();
  }

  /** Recompute every donation after a base priority changed outside this class. */
  refresh(): void {
    this.recompute();
  }

  /** Throws InvariantError when the lock graph or a pushed donation is inconsistent. */
  checkInvariants(): void {
    this.locks.forEach((l, id) => {
      for (const w of l.waiters) {
        if (w === l.holder)
          throw new InvariantError(`PriorityDonation: tid=${w} waits on lock ${id} that it holds`);
        if (this.waitingOn.get(w) !== id)
          throw new InvariantError(
            `PriorityDonation: tid=${w} listed on lock ${id} but waits on ${this.waitingOn.get(w)}`,
          );
      }
      if (l.holder === null && l.waiters.length > 0)
        throw new InvariantError(`PriorityDonation: free lock ${id} has waiters`);
      if (l.holder !== null && !this.held.get(l.holder)?.has(id))
        throw new InvariantError(`PriorityDonation: holder ${l.holder} of lock ${id} does not list it`);
    });
    const want = this.donations();
    for (const t of this.participants()) {
      const exp = want.get(t) ?? null;
      const eff = this.eff(t);
      const base = this.policyOf(t).basePriority(t);
      const expEff = exp === null ? base : Math.max(base, exp);
      if (eff !== expEff)
        throw new InvariantError(`PriorityDonation: tid=${t} runs at ${eff}, donation rule gives ${expEff}`);
    }
  }

  /**
   * Stop `tid` waiting for its lock without acquiring it (the waiter was killed or timed out);
   * donations are recomputed.
   * @throws IllegalTransitionError when it waits for no lock.
   */
  cancelWait(tid: ThreadId): void {
    const w = this.waitingOn.get(tid);
    if (w === undefined) throw new IllegalTransitionError(`cancelWait(tid=${tid}): not waiting for a lock`);
    const l = this.locks[w]!;
    l.waiters.splice(l.waiters.indexOf(tid), 1);
    this.waitingOn.delete(tid);
    this.recompute();
  }

  private eff(tid: ThreadId): number {
    return this.policyOf(tid).effectivePriority(tid);
  }

  private lock(call: string, lock: LockId): LockState {
    const l = this.locks[lock];
    if (l === undefined)
      throw new InvalidArgumentError(`${call}(lock=${lock}): no such lock (created ${this.locks.length})`);
    return l;
  }
  private known(call: string, tid: ThreadId): void {
    if (!this.policyOf(tid).isAdmitted(tid))
      throw new UnknownThreadError(`${call}(tid=${tid}): thread not admitted to the priority policy`);
  }
  private heldBy(tid: ThreadId): Set<LockId> {
    let s = this.held.get(tid);
    if (s === undefined) {
      s = new Set();
      this.held.set(tid, s);
    }
    return s;
  }
  private participants(): ThreadId[] {
    const s = new Set<ThreadId>();
    for (const l of this.locks) {
      if (l.holder !== null) s.add(l.holder);
      for (const w of l.waiters) s.add(w);
    }
    for (const t of this.held.keys()) s.add(t);
    return [...s].filter((t) => this.policyOf(t).isAdmitted(t)).sort((a, b) => a - b);
  }

  /**
   * The donation each holder receives: for every waiter, its effective priority travels up the
   * chain of holders for at most maxDepth steps. Waiters are processed from the top of each
   * chain down (effective priorities computed on demand, depth-limited).
   */
  private donations(): Map<ThreadId, number> {
    const memo = new Map<string, number>();
    const eff = (t: ThreadId, depth: number): number => {
      const k = `${t}:${depth}`;
      const m = memo.get(k);
      if (m !== undefined) return m;
      let best = this.policyOf(t).basePriority(t);
      if (depth > 0) {
        for (const lock of this.held.get(t) ?? []) {
          for (const w of this.locks[lock]!.waiters) best = Math.max(best, eff(w, depth - 1));
        }
      }
      memo.set(k, best);
      return best;
    };
    const out = new Map<ThreadId, number>();
    if (this.maxDepth === 0) return out;
    for (const t of this.participants()) {
      let d = -1;
      for (const lock of this.held.get(t) ?? []) {
        for (const w of this.locks[lock]!.waiters) d = Math.max(d, eff(w, this.maxDepth - 1));
      }
      if (d >= 0) out.set(t, d);
    }
    return out;
  }

  private recompute(): void {
    const want = this.donations();
    for (const t of this.participants()) {
      const d = want.get(t);
      const base = this.policyOf(t).basePriority(t);
      this.policyOf(t).setDonation(t, d !== undefined && d > base ? d : null);
    }
  }
}
