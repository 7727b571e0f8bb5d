/**
 * One simulated CPU as the kernel drives it: hw-x86's `Cpu` (control registers with their checked
 * writes and SDM flush rules, TLB and MMU, local APIC and timer), plus what the kernel's trap loop
 * keeps per CPU: its position in simulated time, the thread it runs, the space in its CR3.
 *
 * ```
 *   Cpu ── time (cycles)      advanced by every trap it executes; the trap loop always steps
 *    │                        the CPU that is furthest behind (deterministic lockstep)
 *    ├── current, loaded      the running thread; the address space whose root CR3 holds
 *    └── hw (hw-x86 Cpu)      CR3 writes (SDM 4.10.4.1: PCIDE=0 drops non-global entries)
 *         ├── apic + timer    TSC-deadline ticks, vector TIMER_VECTOR, armed through IA32_TSC_DEADLINE
 *         ├── IF              1 while idle (HLT: an IPI is taken at once), 0 between the trap
 *         │                   boundaries of a thread (its IPIs wait for the next one)
 *         └── mmu + tlb       user translations, flushed on CR3 loads and shootdowns (IPIs)
 * ```
 *
 * The hardware CPU stays at CPL 0: user code never executes instructions on it. A user access is
 * translated by the trap path with a CPL-3 context of the thread's space (`../trap/memory.ts`),
 * which is what the CPU would build from the same CR3 with CS.RPL = 3.
 *
 * Related: `kernel.ts` (the trap loop), `shootdown.ts` (TLB invalidations from vm).
 */
import {
  type Apic,
  type Clock,
  IA32_TSC_DEADLINE,
  type Mmu,
  type PhysicalMemory,
  type Timer,
  type Tlb,
  Cpu as X86Cpu,
} from "@osbricks/hw-x86";
import { type CpuId, cpuId } from "@osbricks/sched";
import type { AddressSpace } from "@osbricks/vm";
import type { Thread } from "../process/thread.js";

/** Vector of the local timer interrupt (Linux uses 0xec, LOCAL_TIMER_VECTOR). */
export const TIMER_VECTOR = 0xec;

/** One simulated CPU: hw-x86's CPU, its clock position, the thread it runs and the space it has loaded. */
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
  /** The address space whose root CR3 holds, or null (the kernel's own tables). */
  loaded: AddressSpace | null = null;
  /** A shootdown IPI waits in the APIC, to be taken at the next trap boundary (`shootdown.ts`). */
  ipiPending = false;
  /** The timer's gate took a tick during an IPI's delivery; the trap loop handles it as a polled one. */
  timerTaken = false;
  /** The id as `@osbricks/sched` types it. */
  readonly cpuId: CpuId;
  /** The hardware: control registers, TLB, MMU, local APIC and timer (hw-x86). */
  readonly hw: X86Cpu;
  /** This CPU's page walker (`hw.mmu`); its TLB is `tlb`. */
  readonly mmu: Mmu;
  /** This CPU's TLB (`hw.tlb`). */
  readonly tlb: Tlb;
  /** The local APIC (`hw.apic`). */
  readonly apic: Apic;
  /** The local timer (`hw.timer`), in TSC-deadline mode. */
  readonly timer: Timer;

  /**
   * Bring up CPU `id`: local APIC line 0 routed to {@link TIMER_VECTOR}, the timer in TSC-deadline
   * mode (SDM 10.5.4.1) armed for `firstTick`, CR3 on the kernel's page tables.
   */
  constructor(
    readonly id: number,
    memory: PhysicalMemory,
    clock: Clock,
    private readonly kernelRoot: number,
    firstTick: number,
  ) {
    this.cpuId = cpuId(id);
    this.hw = new X86Cpu({ id, memory, clock, timerLine: 0 });
    this.mmu = this.hw.mmu!;
    this.tlb = this.hw.tlb;
    this.apic = this.hw.apic;
    this.timer = this.hw.timer!;
    this.apic.route(0, { vector: TIMER_VECTOR, masked: false });
    // TSC-deadline mode: each tick programs the next one, and an idle CPU can skip ticks
    // altogether (Linux's NO_HZ), so a long sleep costs one interrupt, not millions.
    this.timer.setMode("tsc-deadline");
    this.hw.wrmsr(IA32_TSC_DEADLINE, BigInt(firstTick));
    this.hw.writeCr3(kernelRoot);
    // The kernel polls the APIC for its ticks (kernel.ts, `interrupt`), but an IPI's delivery
    // through the IDT may find a tick pending too: its gate acknowledges it and leaves it to the poll.
    this.hw.setInterruptHandler(TIMER_VECTOR, (hw) => {
      hw.apic.eoi();
      this.timerTaken = true;
    });
    this.hw.sti(); // idle until the scheduler gives it a thread
  }

  /**
   * MOV CR3: switch to `space` (null: the kernel's own tables). Without PCIDs this drops every
   * non-global TLB entry (SDM 4.10.4.1), which the hardware CPU's `writeCr3` applies.
   */
  load(space: AddressSpace | null): void {
    this.loaded = space;
    this.hw.writeCr3(space === null ? this.kernelRoot : space.root);
  }
}
