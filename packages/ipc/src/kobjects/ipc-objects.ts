/**
 * Endpoints and notifications as kernel objects: what a handle names, and the system calls that
 * check a handle before reaching the ipc core (`../endpoint/endpoint.ts`,
 * `../notification/notification.ts`).
 *
 * ```
 *  program                 syscall helper (this file)                 ipc core
 *  ───────                 ──────────────────────────                 ────────
 *  send(h, t, handles) ──▶ lookup(h, endpoint, WRITE) ──▶ refuse early (dead, too large, poll
 *                          with no receiver, bad handle list) ──▶ move handles into the
 *                          endpoint's transit table ──▶ endpoint.send(t, …, items)
 *  after any wake:         collectHandles(t, table): move inItems[t] out of transit into the
 *                          thread's table (received handles, or its own back after a failure)
 * ```
 *
 * The object's death (its last handle closed, even if the kernel still references it, or `kill()`)
 * destroys the endpoint: every queued thread
 * wakes with {@link IpcStatus.Closed} and the `closed` signal is asserted for `objectWait`ers.
 *
 * Related: `ipc-types.ts`, `../channel/channel.ts` (the same handle discipline for channels).
 */
import {
  type AccessDenied,
  type BadHandle,
  type Handle,
  type HandleTable,
  KernelObject,
  type ObjectSpace,
  type ObjectType,
  Right,
  SlotHandleTable,
  type WrongType,
} from "@osbricks/objects";
import { FOREVER, IpcStatus, MAX_MESSAGE_HANDLES, type ThreadId } from "../api.js";
import type { IpcThreads } from "../core/threads.js";
import { Endpoint, type EndpointOptions } from "../endpoint/endpoint.js";
import { InvariantError, IpcArgumentError } from "../errors.js";
import { Notification, type NotificationOptions } from "../notification/notification.js";
import type { IpcObjectTypes } from "./ipc-types.js";

/** An endpoint behind handles. */
export class EndpointObject extends KernelObject {
  /** The rendezvous core. */
  readonly endpoint: Endpoint;
  /** In-kernel table holding handles in flight through this endpoint. */
  readonly transit: SlotHandleTable;

  constructor(
    space: ObjectSpace,
    type: ObjectType<EndpointObject>,
    threads: IpcThreads,
    options: EndpointOptions = {},
  ) {
    super(space, type);
    this.endpoint = new Endpoint(threads, {
      ...options,
      name: options.name ?? `endpoint#${this.koid}`,
      // A queued sender that exits leaves its handles here with no one to collect them: close
      // them, as Zircon closes the handles of a message nobody will read.
      dropItems: (items) => {
        if (this.transitOpen) for (const h of items as readonly Handle[]) this.transit.close(h);
        options.dropItems?.(items);
      },
    });
    this.transit = new SlotHandleTable(space, {
      capacity: Math.min(threads.maxThreads * MAX_MESSAGE_HANDLES, 1 << 16),
    });
  }

  /** No handle left: nobody can ever serve the queued threads, so the endpoint dies now. */
  protected override onNoHandles(): void {
    if (this.alive) this.kill();
  }

  protected override onDead(): void {
    this.endpoint.destroy();
    this.assertSignals(this.type.signal("closed"));
  }

  /** Destroyed: handles still in flight are closed (as Zircon closes those of an unread message). */
  protected override onDestroy(): void {
    this.transitOpen = false;
    this.transit.dispose();
  }

  /** Whether the transit table still exists (false once the object is destroyed). */
  transitOpen = true;
}

/** A notification behind handles. */
export class NotificationObject extends KernelObject {
  /** The notification core. */
  readonly notification: Notification;

  constructor(
    space: ObjectSpace,
    type: ObjectType<NotificationObject>,
    threads: IpcThreads,
    options: NotificationOptions = {},
  ) {
    super(space, type);
    this.notification = new Notification(threads, {
      ...options,
      name: options.name ?? `notification#${this.koid}`,
    });
  }

  /** No handle left: nobody can signal the waiters any more. */
  protected override onNoHandles(): void {
    if (this.alive) this.kill();
  }

  protected override onDead(): void {
    this.notification.destroy();
  }
}

/** A handle in a message's list that cannot be transferred; nothing moved. */
export interface UntransferableHandle {
  readonly kind: "bad-transfer";
  readonly index: number;
  readonly handle: number;
  /** `bad-handle`, `access-denied` (no TRANSFER), `self` (the endpoint's own handle), `duplicate`. */
  readonly reason: "bad-handle" | "access-denied" | "self" | "duplicate";
}

/** Result of the endpoint system calls: an ipc status, or why the handles were refused. */
export type EndpointCallResult =
  | { readonly kind: "status"; readonly status: IpcStatus }
  | UntransferableHandle
  | BadHandle
  | WrongType
  | AccessDenied;

/**
 * The `endpoint_send` / `endpoint_call` system call for thread `t` of the process whose table is
 * `table`: check the handle (type endpoint, right WRITE), refuse what would fail before anything
 * moves, then move `handles` into the endpoint's transit table and send.
 *
 * A refused call (bad endpoint handle, untransferable handle, Closed, TooLarge, WouldBlock) leaves
 * the message in t's registers and every handle in `table`.
 * @param op "send" or "call".
 * @param timeout the send phase's timeout (see {@link Endpoint.call}). Default FOREVER.
 * @param replyTimeout a call's receive-phase timeout, from the moment the server takes the
 *   message (L4 X.2); ignored for a send. Default FOREVER.
 * @throws IpcArgumentError for a timeout or reply timeout that is not ≥ 0, before anything moves.
 */
export function endpointSend(
  table: HandleTable,
  types: IpcObjectTypes,
  handle: number,
  t: ThreadId,
  op: "send" | "call",
  handles: readonly number[] = [],
  timeout: number = FOREVER,
  replyTimeout: number = FOREVER,
): EndpointCallResult {
  // Misuse first: the endpoint would throw these only after the handles moved into its transit table.
  if (!(timeout >= 0))
    throw new IpcArgumentError(`endpointSend(thread=${t}, timeout=${timeout}): expected a timeout ≥ 0`);
  if (op === "call" && !(replyTimeout >= 0)) {
    throw new IpcArgumentError(
      `endpointSend(thread=${t}, replyTimeout=${replyTimeout}): expected a reply timeout ≥ 0`,
    );
  }
  const r = table.lookup(handle, types.endpoint, Right.WRITE);
  if (r.kind !== "ok") return r;
  const obj = r.object;
  const ep = obj.endpoint;
  const early = ep.precheck(t, timeout, handles.length);
  if (early !== IpcStatus.Ok) return { kind: "status", status: early };
  for (let i = 0; i < handles.length; i++) {
    const h = handles[i]!;
    const l = table.lookup(h, null, Right.TRANSFER);
    if (l.kind !== "ok")
      return {
        kind: "bad-transfer",
        index: i,
        handle: h,
        reason: l.kind === "access-denied" ? "access-denied" : "bad-handle",
      };
    if (l.object === obj) return { kind: "bad-transfer", index: i, handle: h, reason: "self" };
    if (handles.indexOf(h) !== i) return { kind: "bad-transfer", index: i, handle: h, reason: "duplicate" };
  }
  let items: Handle[] | null = null;
  if (handles.length > 0) {
    items = [];
    for (const h of handles) {
      const m = table.moveTo(h, obj.transit);
      if (m.kind !== "ok")
        throw new InvariantError(`endpointSend: moving checked handle ${h} failed (${m.kind})`);
      items.push(m.handle);
    }
  }
  const status =
    op === "call" ? ep.call(t, timeout, obj.koid, items, replyTimeout) : ep.send(t, timeout, obj.koid, items);
  return { kind: "status", status };
}

/** The `endpoint_receive` system call: check the handle (type endpoint, right READ), then receive. */
export function endpointReceive(
  table: HandleTable,
  types: IpcObjectTypes,
  handle: number,
  t: ThreadId,
  timeout: number = FOREVER,
): EndpointCallResult {
  const r = table.lookup(handle, types.endpoint, Right.READ);
  if (r.kind !== "ok") return r;
  return { kind: "status", status: r.object.endpoint.receive(t, timeout) };
}

/**
 * After thread `t` of the process owning `table` got Ok from a receive (or was woken from a send
 * that failed), move the handles waiting in `inItems[t]` out of the endpoint's transit table into
 * `table`. Handles that do not fit (table full) are closed.
 * @returns the new handle values, in message order, and how many were dropped.
 */
export function collectHandles(
  threads: IpcThreads,
  endpoint: EndpointObject,
  t: ThreadId,
  table: HandleTable,
): { handles: Handle[]; dropped: number } {
  const items = threads.inItems[t] ?? null;
  threads.inItems[t] = null;
  const out: Handle[] = [];
  let dropped = 0;
  if (items === null) return { handles: out, dropped };
  if (!endpoint.transitOpen) return { handles: out, dropped: items.length };
  for (const h of items as readonly Handle[]) {
    const m = endpoint.transit.moveTo(h, table);
    if (m.kind === "ok") out.push(m.handle);
    else {
      endpoint.transit.close(h);
      dropped++;
    }
  }
  return { handles: out, dropped };
}
