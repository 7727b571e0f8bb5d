/**
 * TLB shootdown, the kernel's side: `@osbricks/vm` tells a {@link ShootdownTarget} which
 * translations a page-table change made stale, and this one finds the CPUs that may cache them
 * and invalidates there, as Linux's `flush_tlb_mm_range` does with IPIs.
 *
 * Without PCIDs a CPU can only hold translations of the space in its CR3 (loading CR3 drops the
 * others, SDM 4.10.4.1), so "active" means "loaded".
 *
 * Related: `cpu.ts`, `@osbricks/vm` `space/shootdown.ts`.
 */
import type { ShootdownTarget } from "@osbricks/vm";
import type { Cpu } from "./cpu.js";

/** The shootdown target over a kernel's CPUs. */
export class CpuShootdown implements ShootdownTarget {
  constructor(private readonly cpus: readonly Cpu[]) {}

  /** CPUs whose CR3 holds space `spaceId`: only they can cache its translations. */
  activeCpus(spaceId: number): readonly number[] {
    const out: number[] = [];
    for (const c of this.cpus) if (c.loaded !== null && c.loaded.id === spaceId) out.push(c.id);
    return out;
  }

  /** INVLPG on `cpu` for each page (an IPI on a real machine when `cpu` is not the current one). */
  invalidatePages(cpu: number, _spaceId: number, vas: readonly number[]): void {
    const hw = this.cpus[cpu]!.hw;
    for (const va of vas) hw.invlpg(va);
  }

  /** Drop every non-global translation on `cpu` (a CR3 reload: MOV CR3, CR3). */
  invalidateSpace(cpu: number, _spaceId: number): void {
    const hw = this.cpus[cpu]!.hw;
    hw.writeCr3(hw.cr3);
  }
}
