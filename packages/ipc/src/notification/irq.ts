/**
 * IRQ delivery: an interrupt line of `@osbricks/hw-x86` bound to an endpoint or a notification,
 * so a user-space driver receives its device's interrupts as messages (jsix's `bind_irq`, seL4's
 * IRQ handler capabilities, L4's interrupt threads).
 *
 * ```
 *  device ──raise(line)──▶ InterruptController ──acknowledge()──▶ vector
 *                                                                  │ kernel's interrupt entry
 *                                                                  ▼
 *              IrqRouter.dispatch(vector): line of vector → binding
 *                 ├─ endpoint:     endpoint.signalIrq(line)  → message {label 0xFFFF, MR1 = line}
 *                 └─ notification: notification.signal(bits) → the driver's word collects bits
 *              EOI at once; a level line is masked until the driver calls ack(line)
 * ```
 *
 * **Why mask a level line.** A level-triggered device holds its line high until the driver has
 * serviced it; with the line unmasked the controller would request again as soon as the EOI
 * retires it (SDM Vol. 3A 10.8.5: a level interrupt re-requests while asserted), and the CPU
 * would never get back to the driver. So the line is masked on delivery and unmasked by the
 * driver's acknowledgement, which is what Linux's threaded IRQs and seL4's `IRQHandler_Ack` do.
 * An edge line needs no mask: each edge latches one request.
 *
 * **Capability.** Binding needs a handle to the kernel's system object holding the right named
 * `bind_irq`, and a WRITE handle to the target, checked with the objects layer's handle tables.
 *
 * Related: `notification.ts`, `../endpoint/endpoint.ts` (`signalIrq`), `@osbricks/hw-x86`
 * `InterruptController`.
 */
import type { InterruptController } from "@osbricks/hw-x86";
import {
  type AccessDenied,
  type BadHandle,
  type HandleTable,
  type ObjectType,
  Right,
  type WrongType,
} from "@osbricks/objects";
import type { ThreadId } from "../api.js";
import type { Endpoint } from "../endpoint/endpoint.js";
import { InvariantError, IpcArgumentError, IpcStateError } from "../errors.js";
import type { IpcObjectTypes } from "../kobjects/ipc-types.js";
import type { Notification } from "./notification.js";

/** Where a line's interrupts go. */
export type IrqTarget =
  | { readonly kind: "endpoint"; readonly endpoint: Endpoint }
  | { readonly kind: "notification"; readonly notification: Notification; readonly bits: number };

/** Result of {@link IrqRouter.bindWithHandles}. */
export type BindIrqResult =
  | { readonly kind: "ok" }
  | { readonly kind: "already-bound"; readonly line: number }
  | BadHandle
  | WrongType
  | AccessDenied;

/** Counters of one line. */
export interface IrqLineStats {
  /** Interrupts delivered to the target. */
  readonly delivered: number;
  /** Whether the line is masked waiting for the driver's ack. */
  readonly awaitingAck: boolean;
}

interface Binding {
  readonly target: IrqTarget;
  delivered: number;
  awaitingAck: boolean;
}

/**
 * The kernel's table of bound interrupt lines over one interrupt controller.
 * @example
 * const pic = new Pic8259();
 * const router = new IrqRouter(pic);
 * router.bind(4, { kind: "notification", notification: n, bits: 1 << 4 });
 * pic.raise(4);
 * router.dispatch(pic.acknowledge()!);   // n's word gets bit 4, EOI sent
 */
export class IrqRouter {
  private readonly bindings = new Map<number, Binding>();

  constructor(private readonly controller: InterruptController) {}

  /**
   * Bind `line` to `target` (kernel-internal: no capability check; see
   * {@link IrqRouter.bindWithHandles} for the system call). The line is unmasked.
   * @throws IpcArgumentError for a line outside the controller or 32+ (endpoint lines are bits),
   *   or a notification target whose `bits` is not an integer in 1..0xFFFFFFFF (0 would deliver
   *   every interrupt as nothing; a value outside the word would make the interrupt path throw).
   * @throws IpcStateError when the line is already bound.
   */
  bind(line: number, target: IrqTarget): void {
    this.checkLine("bind", line);
    if (target.kind === "notification") checkBits("bind", line, target.bits);
    if (this.bindings.has(line)) throw new IpcStateError(`bind(line=${line}): line already bound`);
    this.bindings.set(line, { target, delivered: 0, awaitingAck: false });
    this.controller.setMasked(line, false);
  }

  /**
   * The `bind_irq` system call: `systemHandle` must name an object of `systemType` with the right
   * `bind_irq`, and `targetHandle` an endpoint or notification with WRITE.
   * @param bits - the bits a notification target receives per interrupt. Default the line's own
   *   bit, `1 << line`.
   * @throws IpcArgumentError, before any handle is looked up, for a line {@link IrqRouter.bind}
   *   refuses or `bits` outside 1..0xFFFFFFFF (the kernel checks the user's arguments first).
   */
  bindWithHandles(
    table: HandleTable,
    types: IpcObjectTypes,
    systemType: ObjectType,
    systemHandle: number,
    line: number,
    targetHandle: number,
    bits = 1 << (line & 31),
  ): BindIrqResult {
    this.checkLine("bindWithHandles", line);
    checkBits("bindWithHandles", line, bits);
    const sys = table.lookup(systemHandle, systemType, systemType.right("bind_irq"));
    if (sys.kind !== "ok") return sys;
    const any = table.lookup(targetHandle, null, Right.WRITE);
    if (any.kind !== "ok") return any;
    let target: IrqTarget;
    if (any.object.type === types.endpoint) {
      target = { kind: "endpoint", endpoint: (any.object as unknown as { endpoint: Endpoint }).endpoint };
    } else if (any.object.type === types.notification) {
      target = {
        kind: "notification",
        notification: (any.object as unknown as { notification: Notification }).notification,
        bits,
      };
    } else {
      return {
        kind: "wrong-type",
        handle: targetHandle,
        expected: "endpoint or notification",
        actual: any.object.type.name,
      };
    }
    if (this.bindings.has(line)) return { kind: "already-bound", line };
    this.bind(line, target);
    return { kind: "ok" };
  }

  /** Remove the binding of `line` and mask it. @returns whether it was bound. */
  unbind(line: number): boolean {
    this.checkLine("unbind", line);
    const had = this.bindings.delete(line);
    if (had) this.controller.setMasked(line, true);
    return had;
  }

  /**
   * The kernel's interrupt entry for `vector` (as returned by `controller.acknowledge()`): deliver
   * to the bound target, mask a level line until {@link IrqRouter.ack}, send the EOI.
   * @returns the thread woken by the delivery, -1 if none; null if no line is bound to the vector
   *   (the EOI is still sent: a spurious or unbound interrupt must not block lower priorities).
   */
  dispatch(vector: number): ThreadId | null {
    let woken: ThreadId | null = null;
    for (const [line, b] of this.bindings) {
      if (this.controller.vectorOf(line) !== vector) continue;
      if (this.controller.triggerOf(line) === "level") {
        this.controller.setMasked(line, true);
        b.awaitingAck = true;
      }
      b.delivered++;
      woken =
        b.target.kind === "endpoint"
          ? b.target.endpoint.signalIrq(line)
          : b.target.notification.signal(b.target.bits);
      break;
    }
    this.controller.eoi();
    return woken;
  }

  /**
   * The driver has serviced its device: unmask a level line masked by delivery.
   * @throws IpcStateError when the line is not bound.
   */
  ack(line: number): void {
    const b = this.bindings.get(line);
    if (b === undefined) throw new IpcStateError(`ack(line=${line}): line is not bound`);
    if (b.awaitingAck) {
      b.awaitingAck = false;
      this.controller.setMasked(line, false);
    }
  }

  /** Counters of a bound line, or undefined. */
  stats(line: number): IrqLineStats | undefined {
    const b = this.bindings.get(line);
    return b === undefined ? undefined : { delivered: b.delivered, awaitingAck: b.awaitingAck };
  }

  /** Throws {@link InvariantError} if a line awaiting ack is unmasked or a bound line is masked otherwise. */
  checkInvariants(): void {
    for (const [line, b] of this.bindings) {
      if (this.controller.isMasked(line) !== b.awaitingAck) {
        throw new InvariantError(
          `irq line ${line}: masked=${this.controller.isMasked(line)} but awaitingAck=${b.awaitingAck}`,
        );
      }
    }
  }

  private checkLine(call: string, line: number): void {
    if (!Number.isInteger(line) || line < 0 || line >= this.controller.lineCount || line > 31) {
      throw new IpcArgumentError(
        `${call}(line=${line}): expected a line in 0..${Math.min(this.controller.lineCount, 32) - 1}`,
      );
    }
  }
}

/** A notification binding's bits: a non-empty 32-bit word. */
function checkBits(call: string, line: number, bits: number): void {
  if (!Number.isInteger(bits) || bits < 1 || bits > 0xffff_ffff) {
    throw new IpcArgumentError(`${call}(line=${line}, bits=${bits}): expected an integer in 1..0xFFFFFFFF`);
  }
}
