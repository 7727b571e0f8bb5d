/**
 * A {@link ShootdownTarget} over hw-x86 CPUs and their IPI shootdown protocol (`TlbShootdown` of
 * `@osbricks/hw-x86`): the initiating CPU invalidates its own TLB, posts the request to each CPU
 * where the space is active and sends it an IPI; the target invalidates in its interrupt handler
 * and acknowledges the ticket.
 *
 * ```
 *   pmap.flush() ─▶ activeCpus(space) = [0, 2]          (CPU 0 is the initiator)
 *                   invalidatePages(0, …): INVLPG here
 *                   invalidatePages(2, …): mailbox + IPI 0xfd ─▶ CPU 2 deliverInterrupts():
 *                                                               INVLPG, ack, EOI
 * ```
 *
 * The simulation runs every CPU from one loop, so the adapter lets a target take the IPI at once
 * (`deliverInterrupts`), as the initiator would spin until acknowledged. A target with interrupts
 * disabled cannot take it: its ticket stays open in {@link IpiShootdown.pending}, and the frames
 * the operation freed must not be reused until it completes (Intel SDM 4.10.5). The VM's gather
 * (`mmu-gather.ts`) hands their release to {@link IpiShootdown.whenAcknowledged}; the callback runs
 * at the first {@link IpiShootdown.collectAcknowledgements} after the last ticket it waits for
 * completed — the VM polls at each operation and allocation, a kernel after it delivers
 * interrupts. Nothing spins: a CPU that never enables interrupts keeps the frames allocated.
 *
 * With PCIDs, a CPU that switched to another space with CR3 bit 63 set keeps the old space's
 * entries under its PCID. {@link IpiShootdown.switchTo} performs such CR3 loads and remembers,
 * per CPU, the spaces that ran there since their PCID was last flushed (Linux's `mm_cpumask`);
 * those CPUs are targets too, and get INVPCID requests for the remembered PCID (type 0 per page,
 * type 1 for the whole space, after which the CPU is forgotten).
 *
 * Related: `shootdown.ts` (the interface, and the synchronous variant), hw-x86 `cpu/shootdown.ts`.
 */
import {
  type Cpu,
  CR3_NOFLUSH,
  CR4,
  type ShootdownRequest,
  type ShootdownTicket,
  type TlbShootdown,
} from "@osbricks/hw-x86";
import { VmArgumentError } from "../errors.js";
import { PcidResidency } from "./pcid-residency.js";
import type { ShootdownTarget, SwitchOptions } from "./shootdown.js";

/** Options of {@link IpiShootdown}. */
export interface IpiShootdownOptions {
  /** The machine's CPUs; CPU index i of the {@link ShootdownTarget} calls is `cpus[i]`. */
  readonly cpus: readonly Cpu[];
  /** hw-x86's IPI shootdown protocol on the bus these CPUs share. */
  readonly protocol: TlbShootdown;
  /** The CPU running the kernel path that changed the page tables. */
  readonly initiator: () => Cpu;
  /**
   * The id of the address space a CPU runs now (its CR3 holds that space's root), or `null`.
   * Default: the space of the last {@link IpiShootdown.switchTo} on that CPU.
   */
  readonly spaceOn?: (cpu: Cpu) => number | null;
  /**
   * Called with the index of a target CPU that could not take its IPI at once (interrupts off):
   * its request stays open until that CPU runs `deliverInterrupts`. A kernel whose CPUs run user
   * code between its trap boundaries has the target take it at its next boundary, which is where
   * an interrupt arrives on hardware (between two instructions).
   */
  readonly onPending?: (cpu: number) => void;
}

/**
 * TLB shootdown by IPI on hw-x86 CPUs (see the file banner).
 *
 * @example
 * ```ts
 * const bus = new IpiBus();
 * const cpus = [0, 1].map((id) => bus.attach(new Cpu({ id, memory })));
 * const running = new Map<Cpu, number>();
 * const sys = new VmSystem({
 *   memory, frames,
 *   shootdown: new IpiShootdown({ cpus, protocol: new TlbShootdown(bus), initiator: () => cpus[0]!,
 *     spaceOn: (c) => running.get(c) ?? null }),
 * });
 * ```
 */
export class IpiShootdown implements ShootdownTarget {
  readonly #o: IpiShootdownOptions;
  #open: ShootdownTicket[] = [];
  #ipis = 0;
  readonly #waiters: { readonly tickets: readonly ShootdownTicket[]; readonly done: () => void }[] = [];
  /** Per CPU: the space its CR3 holds after the last `switchTo`. */
  readonly #current: (number | null)[];
  /** The spaces each CPU ran since their PCID was last flushed there. */
  readonly #ran: PcidResidency;

  constructor(options: IpiShootdownOptions) {
    this.#o = options;
    this.#current = options.cpus.map(() => null);
    this.#ran = new PcidResidency(options.cpus.length);
  }

  /**
   * MOV CR3 on `cpu` (at CPL 0): load `root`, the root table of space `spaceId` (or of the
   * kernel's own tables with `null`). Without CR4.PCIDE every non-global entry goes and the CPU
   * forgets every space; with it, `pcid` tags the new space's entries, and `noFlush` (bit 63)
   * keeps the entries of that PCID, while the spaces that ran with other PCIDs stay cached and
   * remembered.
   * @throws {@link VmArgumentError} for a CPU not in `cpus`, a PCID outside 0..4095, or a PCID
   *   or `noFlush` without CR4.PCIDE (the CPU is unchanged).
   */
  switchTo(cpu: Cpu, spaceId: number | null, root: number, options: SwitchOptions = {}): void {
    const i = this.#o.cpus.indexOf(cpu);
    const pcid = options.pcid ?? 0;
    const pcide = (cpu.cr4 & CR4.PCIDE) !== 0;
    const call = `switchTo(cpu=${cpu.id}, space=${spaceId}, pcid=${pcid})`;
    if (i < 0) throw new VmArgumentError(`${call}: not one of this target's CPUs`);
    if (!Number.isInteger(pcid) || pcid < 0 || pcid > 0xfff)
      throw new VmArgumentError(`${call}: PCID outside 0..4095`);
    if (!pcide && (pcid !== 0 || options.noFlush === true))
      throw new VmArgumentError(`${call}: a PCID or noFlush needs CR4.PCIDE`);
    const noFlush = options.noFlush === true;
    this.#ran.switched(i, this.#current[i]!, cpu.context.pcid, spaceId, pcid, pcide, noFlush);
    if (!pcide) cpu.writeCr3(root);
    else cpu.writeCr3(BigInt(root + pcid) | (noFlush ? CR3_NOFLUSH : 0n));
    this.#current[i] = spaceId;
  }

  activeCpus(spaceId: number): readonly number[] {
    const out: number[] = [];
    this.#o.cpus.forEach((c, i) => {
      if (this.#spaceOn(c, i) === spaceId || this.#ran.has(i, spaceId)) out.push(i);
    });
    return out;
  }

  invalidatePages(cpu: number, spaceId: number, vas: readonly number[]): void {
    if (this.#spaceOn(this.#o.cpus[cpu]!, cpu) === spaceId) {
      for (const va of vas) this.#send(cpu, { kind: "page", va });
      return;
    }
    const pcid = this.#ran.pcidOf(cpu, spaceId);
    if (pcid !== undefined) for (const va of vas) this.#send(cpu, { kind: "page", va, pcid });
  }

  invalidateSpace(cpu: number, spaceId: number): void {
    if (this.#spaceOn(this.#o.cpus[cpu]!, cpu) === spaceId) {
      this.#send(cpu, { kind: "non-global" });
      return;
    }
    const pcid = this.#ran.pcidOf(cpu, spaceId);
    if (pcid === undefined) return;
    this.#send(cpu, { kind: "pcid", pcid });
    this.#ran.forget(cpu, spaceId);
  }

  /**
   * A global kernel mapping at `va` changed (a kernel stack unmapped, for one): INVLPG on every
   * CPU, whatever space it runs. A global entry survives CR3 loads (Intel SDM 4.10.2.4: entries
   * with G=1 are not invalidated by MOV to CR3 when CR4.PGE=1), so any CPU may still hold it, and
   * INVLPG drops it whatever PCID is current (SDM 4.10.4.1). Linux's `flush_tlb_kernel_range`
   * does the same with `on_each_cpu`. Pair it with {@link IpiShootdown.whenAcknowledged} before
   * the frame behind `va` gets a new owner.
   * @throws {@link VmArgumentError} for an address that is not a safe integer (kernel addresses
   *   are negative: the upper half); nothing is sent then.
   */
  invalidateKernelPage(va: number): void {
    if (!Number.isSafeInteger(va)) {
      throw new VmArgumentError(`invalidateKernelPage(va=${va}): not an integer address`);
    }
    for (let i = 0; i < this.#o.cpus.length; i++) this.#send(i, { kind: "page", va });
  }

  #spaceOn(c: Cpu, i: number): number | null {
    return this.#o.spaceOn !== undefined ? this.#o.spaceOn(c) : this.#current[i]!;
  }

  /**
   * Tickets not yet acknowledged (a target had interrupts disabled), oldest first. Also runs the
   * `whenAcknowledged` callbacks that became due ({@link IpiShootdown.collectAcknowledgements}).
   */
  pending(): readonly ShootdownTicket[] {
    this.collectAcknowledgements();
    return this.#open;
  }

  /**
   * Run `done` once every ticket open now has been acknowledged: at once when none is open, else
   * from the first {@link IpiShootdown.collectAcknowledgements} after the last acknowledgement.
   */
  whenAcknowledged(done: () => void): void {
    this.collectAcknowledgements();
    if (this.#open.length === 0 && this.#waiters.length === 0) {
      done();
      return;
    }
    this.#waiters.push({ tickets: [...this.#open], done });
  }

  /**
   * Poll the tickets: run, oldest first, every `whenAcknowledged` callback whose tickets have all
   * completed (their targets took the IPI: `sti` and `deliverInterrupts`). Never waits.
   */
  collectAcknowledgements(): void {
    this.#open = this.#open.filter((t) => !t.complete);
    while (this.#waiters.length > 0 && this.#waiters[0]!.tickets.every((t) => t.complete)) {
      this.#waiters.shift()!.done();
    }
  }

  /** Callbacks of {@link IpiShootdown.whenAcknowledged} still waiting for an acknowledgement. */
  get waitingCallbacks(): number {
    return this.#waiters.length;
  }

  /** IPIs sent so far (one per request to a CPU other than the initiator). */
  get ipisSent(): number {
    return this.#ipis;
  }

  #send(cpu: number, request: ShootdownRequest): void {
    const me = this.#o.initiator();
    const target = this.#o.cpus[cpu]!;
    const ticket = this.#o.protocol.shootdown(me, target === me ? [] : [target], request);
    if (target !== me) {
      this.#ipis++;
      if (target.interruptsEnabled) target.deliverInterrupts();
      if (!ticket.complete) {
        this.#open.push(ticket);
        this.#o.onPending?.(cpu);
      }
    }
  }
}
