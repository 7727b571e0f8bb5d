/**
 * Quota pools: how many objects of each type a holder may create, as Codezero's containers hand
 * out resource capabilities ("this pager may create 16 threads and 4 address spaces") and let the
 * holder split them further.
 *
 * A pool has a limit per object type and counts what is in use. Creating an object takes a
 * {@link QuotaCharge} first (`tryCharge`, an expected failure comes back as `quota-exceeded`);
 * the object holds the charge and gives it back when it is destroyed, exactly once. `split`
 * carves a child pool out of a parent's free quota: the child's whole limit counts as used in the
 * parent, so the sum of everything created through a pool and its children never exceeds the
 * parent's limit.
 *
 * ```
 *   root pool  thread: 10 ──split(thread, 4)──▶ child pool thread: 4
 *     used 4 (the child) + 3 (own threads)         used 2 → 2 more threads possible here
 *     available 3                                  the child can never take more than 4
 * ```
 *
 * Invariants: 0 ≤ used ≤ limit for every type; used = live charges + limits of child pools.
 *
 * Related: `object/kernel-object.ts` (takes a charge in its options and refunds it on destroy).
 */
import { InvalidArgumentError, InvariantError, QuotaError } from "../errors.js";

/** The result of asking a pool for quota. */
export type QuotaResult<T> =
  | { readonly kind: "ok"; readonly value: T }
  | {
      readonly kind: "quota-exceeded";
      readonly pool: string;
      readonly type: string;
      readonly limit: number;
      readonly used: number;
      readonly requested: number;
    };

/** One unit of quota taken for one object; refunded once, by the object or by the kernel. */
export class QuotaCharge {
  /** The pool the unit came from. */
  readonly pool: QuotaPool;
  /** The object type it is for. */
  readonly type: string;
  private state: "held" | "bound" | "refunded" = "held";
  /** @internal Built by {@link QuotaPool.tryCharge}. */
  constructor(pool: QuotaPool, type: string) {
    this.pool = pool;
    this.type = type;
  }
  /** Whether the unit is still counted in its pool. */
  get live(): boolean {
    return this.state !== "refunded";
  }
  /**
   * Hand the charge to a new object (done by the KernelObject constructor).
   * @throws QuotaError when the charge is already bound or refunded, or for another type.
   */
  bind(type: string): void {
    if (this.state !== "held")
      throw new QuotaError(`QuotaCharge(${this.type}).bind: charge already ${this.state}`);
    if (type !== this.type) {
      throw new QuotaError(
        `QuotaCharge(${this.type}).bind: charge is for type ${this.type}, object is ${type}`,
      );
    }
    this.state = "bound";
  }
  /**
   * Give the unit back to the pool.
   * @throws QuotaError on a second refund.
   */
  refund(): void {
    if (this.state === "refunded") throw new QuotaError(`QuotaCharge(${this.type}).refund: refunded twice`);
    this.state = "refunded";
    this.pool.giveBack(this.type, 1);
  }
}

/** A per-type quota of objects (see the file banner). */
export class QuotaPool {
  /** Name used in results and messages. */
  readonly name: string;
  private readonly limits = new Map<string, number>();
  private readonly usedBy = new Map<string, number>();
  private readonly children: QuotaPool[] = [];
  /** The pool this one was split from, or `null` for a root pool. */
  readonly parent: QuotaPool | null;
  private readonly liveCharges = new Map<string, number>();

  /**
   * @param limits the number of objects per type name; a type not listed has limit 0.
   * @throws InvalidArgumentError when a limit is not a non-negative integer.
   * @example
   * ```ts
   * const space = new ObjectSpace();
   * const threadType = space.defineType({ name: "thread" });
   * const pool = new QuotaPool("pager", { thread: 16, space: 4 });
   * const r = pool.tryCharge("thread");
   * if (r.kind === "ok") new KernelObject(space, threadType, { charge: r.value });
   * ```
   */
  constructor(name: string, limits: Readonly<Record<string, number>>, parent: QuotaPool | null = null) {
    this.name = name;
    this.parent = parent;
    for (const [type, n] of Object.entries(limits)) {
      if (!Number.isInteger(n) || n < 0) {
        throw new InvalidArgumentError(
          `QuotaPool(${name}): limit for ${type} is ${n}, expected an integer ≥ 0`,
        );
      }
      this.limits.set(type, n);
      this.usedBy.set(type, 0);
    }
  }

  /** The limit for `type` (0 when the pool does not list it). */
  limit(type: string): number {
    return this.limits.get(type) ?? 0;
  }
  /** Units of `type` in use: live charges plus child pools' limits. */
  used(type: string): number {
    return this.usedBy.get(type) ?? 0;
  }
  /** Units of `type` still free. */
  available(type: string): number {
    return this.limit(type) - this.used(type);
  }

  /** Take one unit of `type` for a new object, or report `quota-exceeded` with the figures. */
  tryCharge(type: string): QuotaResult<QuotaCharge> {
    const refused = this.take(type, 1);
    if (refused) return refused;
    this.liveCharges.set(type, (this.liveCharges.get(type) ?? 0) + 1);
    return { kind: "ok", value: new QuotaCharge(this, type) };
  }

  /**
   * Carve a child pool of `amount` units of `type` out of this pool's free quota (Codezero's
   * capability split applied to a quota).
   * @throws InvalidArgumentError when `amount` is not a positive integer.
   */
  split(type: string, amount: number, name = `${this.name}/${type}`): QuotaResult<QuotaPool> {
    if (!Number.isInteger(amount) || amount <= 0) {
      throw new InvalidArgumentError(
        `QuotaPool(${this.name}).split(${type}, ${amount}): expected a positive integer`,
      );
    }
    const refused = this.take(type, amount);
    if (refused) return refused;
    const child = new QuotaPool(name, { [type]: amount }, this);
    this.children.push(child);
    return { kind: "ok", value: child };
  }

  /** @internal Called by {@link QuotaCharge.refund}. */
  giveBack(type: string, n: number): void {
    const used = this.used(type);
    const live = this.liveCharges.get(type) ?? 0;
    if (used < n || live < n)
      throw new QuotaError(`QuotaPool(${this.name}): refund of ${type} with none in use`);
    this.usedBy.set(type, used - n);
    this.liveCharges.set(type, live - n);
  }

  /** @throws InvariantError when a count is out of range or does not add up. */
  checkInvariants(): void {
    for (const [type, limit] of this.limits) {
      const used = this.used(type);
      if (used < 0 || used > limit) {
        throw new InvariantError(`QuotaPool(${this.name}): ${type} used ${used} outside 0..${limit}`);
      }
      const fromChildren = this.children.reduce((s, c) => s + c.limit(type), 0);
      const live = this.liveCharges.get(type) ?? 0;
      if (used !== live + fromChildren) {
        throw new InvariantError(
          `QuotaPool(${this.name}): ${type} used ${used} ≠ ${live} live charges + ${fromChildren} in child pools`,
        );
      }
    }
    for (const c of this.children) c.checkInvariants();
  }

  private take(type: string, n: number): QuotaResult<never> | null {
    const limit = this.limit(type);
    const used = this.used(type);
    if (used + n > limit) {
      return { kind: "quota-exceeded", pool: this.name, type, limit, used, requested: n };
    }
    this.usedBy.set(type, used + n);
    return null;
  }
}
