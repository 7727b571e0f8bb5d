/**
 * Inter-processor interrupts: how one CPU interrupts others, the building block of TLB shootdown.
 *
 * Intel SDM Vol. 3A 10.6. A CPU sends an IPI by writing its local APIC's interrupt command register
 * (ICR): a vector, a delivery mode and a destination — one APIC id, or a shorthand (self, all
 * including self, all excluding self). The target's local APIC sets the vector's IRR bit; the target
 * CPU takes it at its next instruction boundary with IF=1, runs the handler, and signals EOI.
 *
 * ```
 *   CPU 0                          bus                           CPU 1
 *   change PTE; INVLPG (local) ──▶ send(all-but-self, 0xfd) ──▶  IRR |= 0xfd
 *   wait for acknowledgements                                     … next trap: deliverInterrupts()
 *                                                                 handler: INVLPG; ack; EOI
 * ```
 *
 * Delivery is immediate (the IRR bit is set during `send`); *taking* it is up to the target CPU's
 * next {@link Cpu.deliverInterrupts}. Until then the target's TLB still holds the stale entry:
 * exactly the window a real shootdown protocol waits out.
 *
 * Modelled delivery modes: fixed (a vector) and NMI. Not modelled: INIT/SIPI (CPU start-up), lowest
 * priority and logical destinations, the delivery-status bit.
 *
 * Related: `cpu.ts` (`sendIpi`, `deliverInterrupts`), `shootdown.ts` (the protocol),
 * `../interrupts/apic.ts` (`deliverFixed`).
 */
import { InvalidArgumentError } from "../errors.js";
import { FIRST_EXTERNAL_VECTOR } from "../interrupts/vectors.js";
import type { Cpu } from "./cpu.js";

/** ICR delivery mode (SDM 10.6.1, bits 10:8). */
export type IpiMode = "fixed" | "nmi";

/** ICR destination: one APIC id, or a destination shorthand (SDM 10.6.1, bits 19:18). */
export type IpiDestination = number | "self" | "all" | "all-but-self";

/** Counters of an {@link IpiBus}. */
export interface IpiStats {
  /** ICR writes (one per `send`). */
  readonly sent: number;
  /** Interrupts delivered to CPUs (a broadcast counts once per target). */
  readonly delivered: number;
}

/**
 * The interconnect between the local APICs of a set of CPUs.
 *
 * @example
 * ```ts
 * const bus = new IpiBus();
 * const cpus = [0, 1, 2, 3].map((id) => bus.attach(new Cpu({ id, memory })));
 * cpus[0].sendIpi("all-but-self", 0xfd); // CPUs 1–3 have 0xfd pending
 * ```
 */
export class IpiBus {
  readonly #cpus: Cpu[] = [];
  #sent = 0;
  #delivered = 0;

  /**
   * Connect `cpu` to the bus.
   * @returns the CPU, for chaining.
   * @throws {@link InvalidArgumentError} when another CPU on the bus has the same APIC id, or the
   *   CPU is attached to another bus.
   */
  attach(cpu: Cpu): Cpu {
    if (this.#cpus.includes(cpu)) return cpu;
    if (this.#cpus.some((c) => c.id === cpu.id)) {
      throw new InvalidArgumentError(`IpiBus.attach(cpu ${cpu.id}): APIC id ${cpu.id} is already on the bus`);
    }
    cpu.attachBus(this);
    this.#cpus.push(cpu);
    this.#cpus.sort((a, b) => a.id - b.id);
    return cpu;
  }

  /** The attached CPUs, by APIC id. */
  get cpus(): readonly Cpu[] {
    return this.#cpus;
  }

  /** The CPU with APIC id `id`, or `undefined`. */
  cpu(id: number): Cpu | undefined {
    return this.#cpus.find((c) => c.id === id);
  }

  /** Counters. */
  get stats(): IpiStats {
    return { sent: this.#sent, delivered: this.#delivered };
  }

  /**
   * Deliver an IPI from `from` (what writing its ICR does).
   *
   * @returns the number of CPUs it reached (0 for an id with no CPU: the message is lost, as on a
   *   real bus).
   * @throws {@link InvalidArgumentError} when `from` is not on this bus, the destination is
   *   malformed, or a fixed IPI's vector is outside 32..255 (an illegal vector, SDM 10.5.3);
   *   nothing is delivered then.
   */
  send(from: Cpu, destination: IpiDestination, vector: number, mode: IpiMode = "fixed"): number {
    const call = `IpiBus.send(from=${from.id}, to=${String(destination)}, vector=${String(vector)}, ${mode})`;
    if (!this.#cpus.includes(from)) throw new InvalidArgumentError(`${call}: the sender is not on this bus`);
    if (mode !== "fixed" && mode !== "nmi")
      throw new InvalidArgumentError(`${call}: delivery mode must be fixed or nmi`);
    if (mode === "fixed" && (!Number.isInteger(vector) || vector < FIRST_EXTERNAL_VECTOR || vector > 255)) {
      throw new InvalidArgumentError(
        `${call}: a fixed IPI needs a vector in 32..255 (SDM 10.5.3: illegal vector)`,
      );
    }
    let targets: Cpu[];
    if (destination === "self") targets = [from];
    else if (destination === "all") targets = [...this.#cpus];
    else if (destination === "all-but-self") targets = this.#cpus.filter((c) => c !== from);
    else if (Number.isInteger(destination) && destination >= 0 && destination <= 255) {
      const t = this.cpu(destination);
      targets = t === undefined ? [] : [t];
    } else {
      throw new InvalidArgumentError(`${call}: destination must be an APIC id 0..255 or a shorthand`);
    }
    this.#sent++;
    for (const t of targets) {
      if (mode === "nmi") t.raiseNmi();
      else t.apic.deliverFixed(vector);
      from.traceIpi(t.id, vector, mode);
      this.#delivered++;
    }
    return targets.length;
  }
}
