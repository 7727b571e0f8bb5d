/**
 * TLB shootdown, the kernel's side: hw-x86's IPI protocol (`TlbShootdown` on an `IpiBus`), driven
 * by `@osbricks/vm`'s `IpiShootdown`, with the kernel deciding when each CPU takes its IPIs.
 *
 * ```
 *   CPU a runs the trap that changed a page table          CPU b: its CR3 holds the same space
 *   vm: pmap.flush() → INVLPG on a,
 *       request in b's mailbox, IPI 0xfd ─────────────────▶ IRR bit 0xfd
 *   the frames it freed wait (vm's mmu-gather)              idle (HLT, IF=1): taken at once
 *                                                           running a thread: taken at its next
 *                                                           trap boundary, before its next access
 *                                                           → INVLPG there, acknowledge, EOI
 *   next poll: the frames go back to the allocator ◀──────
 * ```
 *
 * Why a running target may wait for its next trap boundary (Intel SDM 4.10.5): every user access
 * is a trap, and the trap loop always steps the CPU furthest behind in simulated time, so b's next
 * access comes after the change and b takes the IPI before making it — which is where hardware
 * takes an interrupt, between two instructions. Until b acknowledges, its stale entry may still
 * name the old frame, so the frame is not reused (the point of the protocol). Linux's initiator
 * spins until every target has acknowledged (`flush_tlb_mm_range` → `smp_call_function_many`);
 * the deferred release replaces the spin, which one loop running every CPU could not do.
 *
 * Without PCIDs a CPU can only hold translations of the space in its CR3 (loading CR3 drops the
 * others, SDM 4.10.4.1), so the targets are the CPUs that have the space loaded; an idle CPU keeps
 * the last one loaded (Linux's lazy TLB), and is a target too.
 *
 * Related: `cpu.ts` (IF and the timer's gate), `kernel.ts` (the trap loop takes pending IPIs),
 * `@osbricks/vm` `space/ipi-shootdown.ts`, `@osbricks/hw-x86` `cpu/shootdown.ts`.
 */
import { IpiBus, TlbShootdown } from "@osbricks/hw-x86";
import { IpiShootdown } from "@osbricks/vm";
import type { Cpu } from "./cpu.js";

/** The kernel's CPUs on one IPI bus, and vm's shootdown target over them. */
export class KernelShootdown {
  /** The bus the CPUs' local APICs share (IPIs sent and delivered: `bus.stats`). */
  readonly bus = new IpiBus();
  /** hw-x86's protocol: mailboxes, the IPI vector's handler on every CPU, tickets. */
  readonly protocol: TlbShootdown;
  /** What vm's address spaces call after changing page tables (see the banner). */
  readonly target: IpiShootdown;

  /**
   * @param cpus the kernel's CPUs, CPU i with APIC id i.
   * @param initiator the CPU running the kernel path now (the one the trap loop steps).
   */
  constructor(cpus: readonly Cpu[], initiator: () => Cpu) {
    for (const c of cpus) this.bus.attach(c.hw);
    this.protocol = new TlbShootdown(this.bus);
    this.target = new IpiShootdown({
      cpus: cpus.map((c) => c.hw),
      protocol: this.protocol,
      initiator: () => initiator().hw,
      spaceOn: (hw) => cpus[hw.id]!.loaded?.id ?? null,
      onPending: (i) => {
        cpus[i]!.ipiPending = true;
      },
    });
  }

  /**
   * CPU `c`, running a thread, reaches a trap boundary with IPIs pending: take them, with
   * interrupts on for the delivery as user mode runs (IF=1), then release the frames whose last
   * acknowledgement this was.
   */
  takePending(c: Cpu): void {
    c.ipiPending = false;
    c.hw.sti();
    c.hw.deliverInterrupts();
    c.hw.cli();
    this.target.collectAcknowledgements();
  }

  /** IPIs sent so far (requests to a CPU other than the initiator). */
  get ipisSent(): number {
    return this.target.ipisSent;
  }
}
