/**
 * TLB shootdown: make every CPU forget a translation that one CPU changed.
 *
 * A TLB is per CPU and INVLPG only reaches the executing CPU's TLB (Intel SDM Vol. 3A 4.10.5,
 * "Propagation of Paging-Structure Changes to Multiple Processors"): after changing a PTE that
 * other CPUs may have cached, the kernel must interrupt them and have each invalidate its own.
 * This is the protocol of Linux's `flush_tlb_mm_range` → `smp_call_function_many`, reduced to its
 * steps:
 *
 * ```
 *   initiator                                   each target
 *   1. change the paging entry
 *   2. invalidate locally (INVLPG / INVPCID)
 *   3. post the request in each target's mailbox
 *   4. IPI(vector) to the targets ───────────▶  5. at its next trap, deliverInterrupts():
 *                                                  handler drains the mailbox: INVLPG / INVPCID,
 *   7. the ticket completes when every  ◀──────  6. acknowledges the ticket, signals EOI
 *      target acknowledged; only then may the
 *      old frame be freed or reused
 * ```
 *
 * Step 7 is the point: freeing the old frame before every acknowledgement lets a CPU that has not
 * yet taken the IPI write through its stale entry into memory that now belongs to someone else.
 *
 * Related: `ipi.ts` (delivery), `cpu.ts` (INVLPG/INVPCID, handlers), `../tlb/tlb.ts`.
 */
import { InvalidArgumentError } from "../errors.js";
import { hex } from "../memory/address.js";
import type { VirtAddr } from "../paging/virtual-address.js";
import type { Cpu } from "./cpu.js";
import type { IpiBus } from "./ipi.js";

/** What to invalidate on every target. */
export type ShootdownRequest =
  /** The page holding `va`: current PCID and globals (INVLPG), or one PCID's non-global entries (INVPCID type 0). */
  | { readonly kind: "page"; readonly va: VirtAddr; readonly pcid?: number }
  /** Every non-global entry of one PCID (INVPCID type 1). */
  | { readonly kind: "pcid"; readonly pcid: number }
  /** Every non-global entry (INVPCID type 3). */
  | { readonly kind: "non-global" }
  /** Everything, globals included (INVPCID type 2). */
  | { readonly kind: "everything" };

/** A shootdown in flight; complete when every target has acknowledged. */
export interface ShootdownTicket {
  /** What is being invalidated. */
  readonly request: ShootdownRequest;
  /** APIC ids still to acknowledge. */
  readonly waitingFor: ReadonlySet<number>;
  /** Whether every target has acknowledged. */
  readonly complete: boolean;
}

class Ticket implements ShootdownTicket {
  readonly waitingFor = new Set<number>();
  constructor(readonly request: ShootdownRequest) {}
  get complete(): boolean {
    return this.waitingFor.size === 0;
  }
}

/** Options of {@link TlbShootdown}. */
export interface TlbShootdownOptions {
  /** The IPI vector. Default 0xfd (high class: a shootdown should not wait behind device interrupts). */
  readonly vector?: number;
}

/**
 * The shootdown protocol over an {@link IpiBus}: installs its handler on every CPU of the bus.
 *
 * @example
 * ```ts
 * const sd = new TlbShootdown(bus);
 * // CPU 0 unmapped va; CPUs 1–3 may cache it:
 * const ticket = sd.shootdown(cpus[0], "all-but-self", { kind: "page", va });
 * for (const cpu of cpus.slice(1)) cpu.deliverInterrupts(); // each at its next trap
 * ticket.complete; // true: now the frame may be freed
 * ```
 */
export class TlbShootdown {
  /** The IPI vector used. */
  readonly vector: number;
  readonly #bus: IpiBus;
  readonly #mailboxes = new Map<number, { request: ShootdownRequest; ticket: Ticket }[]>();

  /**
   * @throws {@link InvalidArgumentError} for a vector outside 32..255 or one a CPU already handles.
   */
  constructor(bus: IpiBus, options: TlbShootdownOptions = {}) {
    const vector = options.vector ?? 0xfd;
    if (!Number.isInteger(vector) || vector < 32 || vector > 255) {
      throw new InvalidArgumentError(`new TlbShootdown(vector=${String(vector)}): must be in 32..255`);
    }
    this.vector = vector;
    this.#bus = bus;
    for (const cpu of bus.cpus) {
      this.#mailboxes.set(cpu.id, []);
      cpu.setInterruptHandler(vector, (c) => this.#handle(c));
    }
  }

  /**
   * Start a shootdown from `initiator`: invalidate locally, post the request to the targets, IPI them.
   *
   * @param targets - `"all-but-self"` or the CPUs that may cache the translation (a kernel tracks
   *   which CPUs ran the address space, as Linux's `mm_cpumask`).
   * @returns the ticket; poll {@link ShootdownTicket.complete}.
   * @throws {@link InvalidArgumentError} for a malformed request (an INVPCID the CPU refuses), a
   *   target that is not on the bus; nothing is sent then.
   */
  shootdown(
    initiator: Cpu,
    targets: readonly Cpu[] | "all-but-self",
    request: ShootdownRequest,
  ): ShootdownTicket {
    const list =
      targets === "all-but-self"
        ? this.#bus.cpus.filter((c) => c !== initiator)
        : targets.filter((c) => c !== initiator);
    for (const t of list) {
      if (!this.#mailboxes.has(t.id) || this.#bus.cpu(t.id) !== t) {
        throw new InvalidArgumentError(
          `TlbShootdown.shootdown: CPU ${t.id} is not on the bus this protocol serves`,
        );
      }
    }
    apply(initiator, request);
    const ticket = new Ticket(request);
    for (const t of list) {
      this.#mailboxes.get(t.id)!.push({ request, ticket });
      ticket.waitingFor.add(t.id);
      initiator.sendIpi(t.id, this.vector);
    }
    return ticket;
  }

  /** Requests posted to CPU `id` and not yet handled. */
  pendingFor(id: number): number {
    return this.#mailboxes.get(id)?.length ?? 0;
  }

  #handle(cpu: Cpu): void {
    const box = this.#mailboxes.get(cpu.id) ?? [];
    // Several requests may share one IPI: the IRR has one bit per vector.
    while (box.length > 0) {
      const { request, ticket } = box.shift()!;
      apply(cpu, request);
      ticket.waitingFor.delete(cpu.id);
    }
    cpu.apic.eoi();
  }
}

function apply(cpu: Cpu, r: ShootdownRequest): void {
  let result: ReturnType<Cpu["invpcid"]> | null = null;
  switch (r.kind) {
    case "page":
      if (r.pcid === undefined) cpu.invlpg(r.va);
      else result = cpu.invpcid(0, r.pcid, r.va);
      break;
    case "pcid":
      result = cpu.invpcid(1, r.pcid);
      break;
    case "non-global":
      result = cpu.invpcid(3, 0);
      break;
    case "everything":
      result = cpu.invpcid(2, 0);
      break;
  }
  if (result !== null && result.kind !== "ok") {
    const where = r.kind === "page" ? ` va=${hex(r.va)}` : "";
    throw new InvalidArgumentError(
      `TlbShootdown(${r.kind}${where}) on CPU ${cpu.id}: ${result.reason} (#GP)`,
    );
  }
}
