/**
 * One simulated CPU as the kernel drives it: its position in simulated time, the thread it runs,
 * its local APIC and timer, its MMU and TLB, and the address space whose root CR3 holds.
 *
 * ```
 *   Cpu ── time (cycles)      advanced by every trap it executes; the trap loop always steps
 *    │                        the CPU that is furthest behind (deterministic lockstep)
 *    ├── apic + timer         TSC-deadline ticks (hw-x86), vector TIMER_VECTOR
 *    ├── mmu + tlb            user translations (hw-x86), flushed on CR3 loads and shootdowns
 *    └── loaded               the space in CR3
 * ```
 *
 * Related: `kernel.ts` (the trap loop), `shootdown.ts` (TLB invalidations from vm).
 */
import { type Apic, Mmu, type PhysicalMemory, type Timer, Tlb } from "@osbricks/hw-x86";
import { type CpuId, cpuId } from "@osbricks/sched";
import type { AddressSpace } from "@osbricks/vm";
import type { Thread } from "../process/thread.js";

/** Vector of the local timer interrupt (Linux uses 0xec, LOCAL_TIMER_VECTOR). */
export const TIMER_VECTOR = 0xec;

/** One simulated CPU: its clock position, its run queue, its local APIC and timer, its MMU and TLB. */
export class Cpu {
  /** Local time: the cycle at which this CPU executes its next step. */
  time = 0;
  /** The running thread, or null when idle. */
  current: Thread | null = null;
  /** Cycles spent idle (no thread on it): with every thread's CPU time, they add up to `time`. */
  idleCycles = 0;
  /** Cycle of the last scheduler tick. */
  lastTick = 0;
  /** Timer expiries already handled (the APIC is only consulted when the timer fired again). */
  seenExpirations = 0;
  /** The address space whose root CR3 holds, or null. */
  loaded: AddressSpace | null = null;
  /** The id as `@osbricks/sched` types it. */
  readonly cpuId: CpuId;
  /** This CPU's page walker; its TLB is `mmu.tlb`. */
  readonly mmu: Mmu;
  readonly tlb: Tlb;
  constructor(
    readonly id: number,
    readonly apic: Apic,
    readonly timer: Timer,
    memory: PhysicalMemory,
  ) {
    this.cpuId = cpuId(id);
    this.tlb = new Tlb();
    this.mmu = new Mmu({ memory, tlb: this.tlb });
  }

  /** MOV CR3: switch to `space`; without PCIDs this drops every non-global TLB entry (SDM 4.10.4.1). */
  load(space: AddressSpace | null): void {
    this.loaded = space;
    this.tlb.writeCr3(false, 0);
  }
}
