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
 * disabled cannot take it: its ticket stays open in {@link IpiShootdown.pending}, and the kernel
 * must not reuse a frame freed by the same operation until it completes (Intel SDM 4.10.5).
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

  /** Tickets not yet acknowledged (a target had interrupts disabled), oldest first. */
  pending(): readonly ShootdownTicket[] {
    this.#open = this.#open.filter((t) => !t.complete);
    return this.#open;
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
