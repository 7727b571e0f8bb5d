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
 * Above {@link FULL_FLUSH_THRESHOLD} pages (Linux's `tlb_single_page_flush_ceiling`, 33) a CPU
 * flushes the whole space instead: that many INVLPGs cost more than refilling the TLB.
 *
 * Related: `pmap.ts` (collects the pending invalidations), `address-space.ts`.
 */
import type { Tlb } from "@osbricks/hw-x86";

/** More pending pages than this and a CPU flushes every translation of the space instead. */
export const FULL_FLUSH_THRESHOLD = 33;

/**
 * Where an address space is active, and how to invalidate translations there. A kernel implements
 * it over its CPUs (each CPU's CR3, its TLB, IPIs — e.g. with hw-x86's `TlbShootdown` protocol,
 * driving each ticket to completion before returning); {@link SyncTlbShootdown} does it directly
 * for a list of TLBs.
 */
export interface ShootdownTarget {
  /** The CPUs that may hold translations of space `spaceId` (its root was loaded there and not flushed since). */
  activeCpus(spaceId: number): readonly number[];
  /** On CPU `cpu`: INVLPG each address of `vas` (all pages of space `spaceId`). */
  invalidatePages(cpu: number, spaceId: number, vas: readonly number[]): void;
  /** On CPU `cpu`: drop every non-global translation of space `spaceId` (a CR3 reload, or INVPCID type 1). */
  invalidateSpace(cpu: number, spaceId: number): void;
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
  /** The id of the space whose root is in CR3, or `null` (idle). */
  activeSpace: number | null;
  /** The PCID the space runs with on this CPU (0 without PCIDs). */
  pcid: number;
}

/**
 * A synchronous {@link ShootdownTarget} over `@osbricks/hw-x86` TLBs (no IPIs: every TLB is
 * invalidated on the spot, as if each target acknowledged at once): CPU i is `cpus[i]`; a space is
 * active where it is loaded. Invalidation is INVLPG per page, or a flush of the whole TLB for a
 * whole space. Tests and single-loop simulations use it; hw-x86's `TlbShootdown` is the IPI
 * protocol a multi-CPU kernel wires instead.
 *
 * @example
 * ```ts
 * const cpus = [{ tlb: new Tlb(), activeSpace: null, pcid: 0 }];
 * const sys = new VmSystem({ memory, frames, strategy: "shadow", shootdown: new SyncTlbShootdown(cpus) });
 * const space = sys.createSpace();
 * cpus[0]!.activeSpace = space.id; // "load CR3"
 * ```
 */
export class SyncTlbShootdown implements ShootdownTarget {
  readonly #cpus: readonly CpuTlb[];

  constructor(cpus: readonly CpuTlb[]) {
    this.#cpus = cpus;
  }

  activeCpus(spaceId: number): readonly number[] {
    const out: number[] = [];
    for (let i = 0; i < this.#cpus.length; i++) if (this.#cpus[i]!.activeSpace === spaceId) out.push(i);
    return out;
  }

  invalidatePages(cpu: number, _spaceId: number, vas: readonly number[]): void {
    const c = this.#cpus[cpu]!;
    for (const va of vas) c.tlb.invlpg(c.pcid, va);
  }

  invalidateSpace(cpu: number, _spaceId: number): void {
    const c = this.#cpus[cpu]!;
    c.tlb.flushAll("address-space shootdown");
  }
}
