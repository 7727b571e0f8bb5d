/**
 * Per-thread records of a policy, found by thread id: a dense array for the small ids a kernel
 * hands out (0, 1, 2, ...), and a Map for the rare large id, so the lookup on every pick, tick and
 * enqueue is an indexed load instead of a hash probe.
 *
 * ```
 *   id < DENSE_LIMIT (65,536):  dense[id]           (undefined = absent)
 *   id ≥ DENSE_LIMIT:           sparse.get(id)
 * ```
 *
 * Iteration (`values`) visits dense ids in increasing order, then sparse ids in insertion order:
 * deterministic, as CONTRIBUTING.md's determinism rule requires. Invariant: `size` counts the
 * records in both parts.
 */

/** Ids below this live in the dense array. */
export const DENSE_LIMIT = 65536;

/** A Map-like table from thread id to record, dense for small ids. */
export class EntryTable<E> {
  private readonly dense: Array<E | undefined> = [];
  private readonly sparse = new Map<number, E>();
  private count = 0;

  /** Number of records. */
  get size(): number {
    return this.count;
  }

  /** The record of `id`, or undefined. */
  get(id: number): E | undefined {
    return id < DENSE_LIMIT ? this.dense[id] : this.sparse.get(id);
  }

  /** Whether `id` has a record. */
  has(id: number): boolean {
    return this.get(id) !== undefined;
  }

  /** Store the record of `id` (replacing any). */
  set(id: number, e: E): void {
    if (!this.has(id)) this.count++;
    if (id < DENSE_LIMIT) {
      while (this.dense.length < id) this.dense.push(undefined);
      this.dense[id] = e;
    } else this.sparse.set(id, e);
  }

  /** Remove the record of `id`. @returns whether there was one. */
  delete(id: number): boolean {
    if (!this.has(id)) return false;
    this.count--;
    if (id < DENSE_LIMIT) this.dense[id] = undefined;
    else this.sparse.delete(id);
    return true;
  }

  /** Every record: dense ids ascending, then sparse ids in insertion order. */
  *values(): IterableIterator<E> {
    for (const e of this.dense) if (e !== undefined) yield e;
    yield* this.sparse.values();
  }
}
