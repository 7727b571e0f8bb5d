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
 * Related: `shootdown.ts` (the interface, and the synchronous variant), hw-x86 `cpu/shootdown.ts`.
 */
import type { Cpu, ShootdownRequest, ShootdownTicket, TlbShootdown } from "@osbricks/hw-x86";
import type { ShootdownTarget } from "./shootdown.js";

/** Options of {@link IpiShootdown}. */
export interface IpiShootdownOptions {
  /** The machine's CPUs; CPU index i of the {@link ShootdownTarget} calls is `cpus[i]`. */
  readonly cpus: readonly Cpu[];
  /** hw-x86's IPI shootdown protocol on the bus these CPUs share. */
  readonly protocol: TlbShootdown;
  /** The CPU running the kernel path that changed the page tables. */
  readonly initiator: () => Cpu;
  /** The id of the address space a CPU runs now (its CR3 holds that space's root), or `null`. */
  readonly spaceOn: (cpu: Cpu) => number | null;
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

  constructor(options: IpiShootdownOptions) {
    this.#o = options;
  }

  activeCpus(spaceId: number): readonly number[] {
    const out: number[] = [];
    this.#o.cpus.forEach((c, i) => {
      if (this.#o.spaceOn(c) === spaceId) out.push(i);
    });
    return out;
  }

  invalidatePages(cpu: number, _spaceId: number, vas: readonly number[]): void {
    for (const va of vas) this.#send(cpu, { kind: "page", va });
  }

  invalidateSpace(cpu: number, _spaceId: number): void {
    this.#send(cpu, { kind: "non-global" });
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
      if (!ticket.complete) this.#open.push(ticket);
    }
  }
}
