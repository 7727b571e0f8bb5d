/**
 * Cross-cutting types of `@osbricks/hw-x86`: the structural tracer and the trace events of the
 * memory-management parts (mapper, MMU, TLB).
 *
 * Subsystems never print (CONTRIBUTING.md, "Tracing"): they emit plain-data events through a
 * {@link Tracer}, a structural type, so that a kernel can pass one tracer object to every package
 * without any of them importing the others.
 *
 * Related: `paging/mapper.ts`, `mmu/mmu.ts`, `tlb/tlb.ts` emit these events.
 */
import type { Pfn, PhysAddr } from "./memory/address.js";
import type { PageSize, VirtAddr } from "./paging/virtual-address.js";

/** Receives typed trace events. Structural: any object with `emit` fits. */
export interface Tracer<E extends { readonly type: string }> {
  /** Record one event (must not throw). */
  emit(event: E): void;
}

/** Trace events of the mapper, MMU and TLB. */
export type PagingTraceEvent =
  | { readonly type: "mapper.map"; readonly va: VirtAddr; readonly pa: PhysAddr; readonly size: PageSize }
  | { readonly type: "mapper.unmap"; readonly va: VirtAddr; readonly pa: PhysAddr; readonly size: PageSize }
  | { readonly type: "mapper.protect"; readonly va: VirtAddr; readonly size: PageSize }
  | { readonly type: "mapper.table-alloc"; readonly pfn: Pfn; readonly level: number }
  | { readonly type: "mapper.table-free"; readonly pfn: Pfn; readonly level: number }
  | {
      readonly type: "mmu.fault";
      readonly va: VirtAddr;
      readonly vector: number;
      readonly errorCode: number;
      readonly reason: string;
    }
  | { readonly type: "tlb.invlpg"; readonly va: VirtAddr; readonly pcid: number; readonly dropped: number }
  | { readonly type: "tlb.flush"; readonly reason: string; readonly dropped: number };
