/**
 * TLB shootdown: after a page-table change, every CPU that may cache the old translation must drop
 * it, or it keeps using the old frame or the old rights (Intel SDM 4.10.4: the processor does not
 * invalidate TLB entries when software changes a paging-structure entry).
 *
 * The address space does not know about CPUs. It asks a {@link ShootdownTarget} — wired by the
 * kernel to its real CPUs — where the space is active, and tells it what to invalidate there.
 * The local CPU executes INVLPG itself; the others get an inter-processor interrupt and run the
 * same handler, as Linux's `flush_tlb_mm_range` does with `smp_call_function_many`:
 *
 * ```
 *   CPU0 (the one that changed the PTE)   CPU1 (space active)       CPU2 (other space)
 *   pending = [va1, va2]
 *   flush ─ invalidatePages(0, …) ─ IPI ─▶ invalidatePages(1, …)     (not sent: not active)
 * ```
 *
 * Which CPUs "may cache" a space: without PCIDs only the one whose CR3 holds it, since loading
 * CR3 drops every non-global entry (SDM 4.10.4.1). With PCIDs a CR3 load with bit 63 set keeps
 * the entries of every PCID, so a CPU that ran the space and switched away still holds them until
 * that PCID is flushed there: like Linux's `mm_cpumask`, {@link SyncTlbShootdown} remembers every
 * CPU the space ran on since its last full flush there, and targets them all.
 *
 * The frames an operation freed are released only once every target acknowledged
 * ({@link ShootdownTarget.whenAcknowledged}; see `mmu-gather.ts`).
 *
 * Above {@link FULL_FLUSH_THRESHOLD} pages (Linux's `tlb_single_page_flush_ceiling`, 33) a CPU
 * flushes the whole space instead: that many INVLPGs cost more than refilling the TLB.
 *
 * Related: `pmap.ts` (collects the pending invalidations), `address-space.ts`.
 */
import type { Tlb } from "@osbricks/hw-x86";
import { VmArgumentError } from "../errors.js";
import { PcidResidency } from "./pcid-residency.js";

/** More pending pages than this and a CPU flushes every translation of the space instead. */
export const FULL_FLUSH_THRESHOLD = 33;

/**
 * Where an address space is active, and how to invalidate translations there. A kernel implements
 * it over its CPUs (each CPU's CR3, its TLB, IPIs — e.g. with hw-x86's `TlbShootdown` protocol,
 * driving each ticket to completion before returning); {@link SyncTlbShootdown} does it directly
 * for a list of TLBs.
 */
export interface ShootdownTarget {
  /**
   * The CPUs that may hold translations of space `spaceId`: its root was loaded there and that
   * CPU has not flushed the space since (with PCIDs, also CPUs that switched away from it).
   */
  activeCpus(spaceId: number): readonly number[];
  /** On CPU `cpu`: INVLPG each address of `vas` (all pages of space `spaceId`). */
  invalidatePages(cpu: number, spaceId: number, vas: readonly number[]): void;
  /** On CPU `cpu`: drop every non-global translation of space `spaceId` (a CR3 reload, or INVPCID type 1). */
  invalidateSpace(cpu: number, spaceId: number): void;
  /**
   * Run `done` once every invalidation sent so far has been acknowledged by its CPU: before
   * returning when none is outstanding, else from {@link ShootdownTarget.collectAcknowledgements}
   * after the last acknowledgement. Never waits. A target without it is synchronous (each
   * invalidation is complete when its call returns), and the gather releases at once.
   */
  whenAcknowledged?(done: () => void): void;
  /** Run the `whenAcknowledged` callbacks whose acknowledgements have all arrived, oldest first. */
  collectAcknowledgements?(): void;
}

/** Counters of the invalidations an address space asked for. */
export interface ShootdownStats {
  /** Flush rounds (one per operation that changed at least one present entry). */
  readonly rounds: number;
  /** Single-page invalidations requested, summed over CPUs. */
  readonly pages: number;
  /** Whole-space flushes requested, summed over CPUs. */
  readonly fullFlushes: number;
  /** CPU visits beyond the first of a round: what would be IPIs on a machine. */
  readonly remoteCpus: number;
}

/** One simulated CPU's TLB and the space it runs now, for {@link SyncTlbShootdown}. */
export interface CpuTlb {
  /** The CPU's TLB. */
  readonly tlb: Tlb;
  /**
   * The id of the space whose root is in CR3, or `null` (idle). Assigning it directly models a
   * switch without PCIDs; with PCIDs switch with {@link SyncTlbShootdown.switchTo}, which
   * remembers the spaces whose entries the CPU keeps.
   */
  activeSpace: number | null;
  /** The PCID the space runs with on this CPU (0 without PCIDs). */
  pcid: number;
}

/** Options of {@link SyncTlbShootdown.switchTo}. */
export interface SwitchOptions {
  /** The PCID to run the space with; 0 (the default) means CR4.PCIDE = 0: the switch flushes every non-global entry. */
  readonly pcid?: number;
  /** Bit 63 of the CR3 value (PCIDs only): keep the new PCID's entries. Default false. */
  readonly noFlush?: boolean;
}

/**
 * A synchronous {@link ShootdownTarget} over `@osbricks/hw-x86` TLBs (no IPIs: every TLB is
 * invalidated on the spot, as if each target acknowledged at once): CPU i is `cpus[i]`. A space
 * may be cached where it runs now, and — with PCIDs, after {@link SyncTlbShootdown.switchTo} away
 * without a flush — where it ran since its PCID was last flushed there. Invalidation is INVLPG
 * per page on the CPU running the space, INVPCID type 0 with the space's PCID on one that
 * switched away; a whole space is INVPCID type 1 (its PCID), or a flush of the TLB without PCIDs.
 * Tests and single-loop simulations use it; hw-x86's `TlbShootdown` is the IPI protocol a
 * multi-CPU kernel wires instead ({@link IpiShootdown}).
 *
 * @example
 * ```ts
 * const cpus = [{ tlb: new Tlb(), activeSpace: null, pcid: 0 }];
 * const target = new SyncTlbShootdown(cpus);
 * const sys = new VmSystem({ memory, frames, strategy: "shadow", shootdown: target });
 * const space = sys.createSpace();
 * target.switchTo(0, space.id, { pcid: 1 }); // "load CR3" with PCID 1
 * ```
 */
export class SyncTlbShootdown implements ShootdownTarget {
  readonly #cpus: readonly CpuTlb[];
  /** The spaces each CPU ran since their PCID was last flushed there. */
  readonly #ran: PcidResidency;

  constructor(cpus: readonly CpuTlb[]) {
    this.#cpus = cpus;
    this.#ran = new PcidResidency(cpus.length);
  }

  /**
   * MOV CR3 on CPU `cpu`: run space `spaceId` (or idle with `null`). Without PCIDs every non-global
   * entry goes (SDM 4.10.4.1) and the CPU forgets every space; with a PCID, the new PCID's entries
   * go unless `noFlush`, and the spaces that ran with other PCIDs stay cached.
   * @throws {@link VmArgumentError} for a CPU index out of range or a PCID outside 0..4095.
   */
  switchTo(cpu: number, spaceId: number | null, options: SwitchOptions = {}): void {
    const c = this.#cpus[cpu];
    const pcid = options.pcid ?? 0;
    if (c === undefined || !Number.isInteger(pcid) || pcid < 0 || pcid > 0xfff) {
      throw new VmArgumentError(`switchTo(cpu=${cpu}, pcid=${pcid}): no such CPU or PCID`);
    }
    const noFlush = options.noFlush === true;
    this.#ran.switched(cpu, c.activeSpace, c.pcid, spaceId, pcid, pcid !== 0, noFlush);
    if (pcid === 0) c.tlb.writeCr3(false, 0);
    else c.tlb.writeCr3(true, pcid, noFlush);
    c.activeSpace = spaceId;
    c.pcid = pcid;
  }

  activeCpus(spaceId: number): readonly number[] {
    const out: number[] = [];
    for (let i = 0; i < this.#cpus.length; i++) {
      if (this.#cpus[i]!.activeSpace === spaceId || this.#ran.has(i, spaceId)) out.push(i);
    }
    return out;
  }

  invalidatePages(cpu: number, spaceId: number, vas: readonly number[]): void {
    const c = this.#cpus[cpu]!;
    if (c.activeSpace === spaceId) {
      for (const va of vas) c.tlb.invlpg(c.pcid, va);
      return;
    }
    const pcid = this.#ran.pcidOf(cpu, spaceId);
    if (pcid === undefined) return;
    for (const va of vas) c.tlb.invpcid(0, pcid, va, pcid !== 0);
  }

  invalidateSpace(cpu: number, spaceId: number): void {
    const c = this.#cpus[cpu]!;
    const running = c.activeSpace === spaceId;
    const pcid = running ? c.pcid : this.#ran.pcidOf(cpu, spaceId);
    if (pcid === undefined) return;
    if (pcid === 0) c.tlb.flushAll("address-space shootdown");
    else c.tlb.invpcid(1, pcid, 0, true);
    if (!running) this.#ran.forget(cpu, spaceId);
  }

  /** Synchronous: every invalidation is complete when its call returns, so `done` runs now. */
  whenAcknowledged(done: () => void): void {
    done();
  }
}
