/**
 * Which address spaces a CPU may still cache although it switched away from them: with PCIDs, a
 * MOV to CR3 with bit 63 set keeps the entries of every PCID (Intel SDM 4.10.4.1), so a space's
 * translations stay in that CPU's TLB under the PCID it ran with until that PCID is flushed there.
 * Linux keeps the same fact in `mm_cpumask`. Both shootdown targets (`shootdown.ts`,
 * `ipi-shootdown.ts`) record their CR3 loads here and make every CPU listed a shootdown target.
 *
 * ```
 *   CPU 0: run A (PCID 1) ─ switch to B (PCID 2, bit 63) ─▶ remembers A→1, B→2
 *          switch to C (PCID 1, no bit 63)              ─▶ PCID 1 flushed: forgets A; B→2, C→1
 *          switch without PCIDs                         ─▶ everything flushed: forgets all
 * ```
 */
export class PcidResidency {
  /** Per CPU: space id → the PCID its entries are tagged with there. */
  readonly #ran: Map<number, number>[];

  /** @param cpus - the number of CPUs tracked (indices 0..cpus-1). */
  constructor(cpus: number) {
    this.#ran = Array.from({ length: cpus }, () => new Map<number, number>());
  }

  /**
   * Record a MOV to CR3 on CPU `cpu`: it leaves space `leaving` (tagged `leavingPcid`) for space
   * `arriving` with `pcid`. Without PCIDs (`pcide` false) the load flushes every non-global entry
   * and the CPU caches no other space; with them, the new PCID's entries go unless `noFlush`.
   */
  switched(
    cpu: number,
    leaving: number | null,
    leavingPcid: number,
    arriving: number | null,
    pcid: number,
    pcide: boolean,
    noFlush: boolean,
  ): void {
    const ran = this.#ran[cpu]!;
    if (!pcide) {
      ran.clear();
      return;
    }
    if (leaving !== null && !ran.has(leaving)) ran.set(leaving, leavingPcid);
    if (!noFlush) for (const [s, p] of ran) if (p === pcid) ran.delete(s);
    if (arriving !== null) ran.set(arriving, pcid);
  }

  /** The PCID space `spaceId`'s entries may still carry on CPU `cpu`, or `undefined`. */
  pcidOf(cpu: number, spaceId: number): number | undefined {
    return this.#ran[cpu]!.get(spaceId);
  }

  /** Whether CPU `cpu` may still cache space `spaceId`. */
  has(cpu: number, spaceId: number): boolean {
    return this.#ran[cpu]!.has(spaceId);
  }

  /** CPU `cpu` flushed space `spaceId`'s PCID (INVPCID type 1): it caches the space no more. */
  forget(cpu: number, spaceId: number): void {
    this.#ran[cpu]!.delete(spaceId);
  }
}
