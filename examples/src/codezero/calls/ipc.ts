/**
 * `l4_ipc`: L4's one IPC call, its phases chosen by `to` and `from` (L4 X.2's Ipc, Codezero's
 * l4_ipc), over `@osbricks/ipc`'s rendezvous endpoints. Endpoints are named by capability, as in
 * seL4: a thread can send only through a handle with WRITE, receive only through one with READ.
 *
 * ```
 *   to       from      phases                                   endpoint operation
 *   ───────  ────────  ───────────────────────────────────────  ──────────────────────────────
 *   h ≥ 0    NIL       send                                     send(t, timeout, badge = task id)
 *   h ≥ 0    h         call: send, then wait for the reply      call(t, timeout, badge)
 *   NIL      h ≥ 0     receive (open wait on the endpoint)      receive(t, timeout)
 *   REPLY    NIL       reply to UTCB.REPLY                      reply(t, cap)
 *   REPLY    h ≥ 0     reply, then receive (the server loop)    replyReceive(t, cap, timeout)
 * ```
 *
 * Before any phase the kernel copies MR0..MRu from the UTCB into the thread's message registers
 * (u = the tag's word count, at most 15; no long buffers, no handle items in this personality);
 * after a receive (or the reply of a call) it copies them back, with the sender's task id in
 * UTCB.SENDER and, for a call, the one-shot reply capability in UTCB.REPLY.
 *
 * Checks, in order, before anything changes: the op is one of the five rows (else EINVAL), the
 * timeout is -1 or ≥ 0 (EINVAL), the UTCB lies in the caller's UTCB area (EINVAL) and is mapped
 * (EFAULT), the tag is short enough (EINVAL), the handles name endpoints (ECAP) with the right
 * (EPERM). A reply with a stale capability is ECAP and receives nothing.
 *
 * Related: `../abi.ts` (UTCB layout), `@osbricks/ipc` endpoint.ts (the rendezvous, timeouts).
 */

import { type EndpointObject, FOREVER, IpcStatus, TAG_LABEL_SHIFT, TAG_U_MASK } from "@osbricks/ipc";
import {
  copyIn,
  copyOut,
  PAGE_FAULT_LABEL,
  PfErr,
  type SyscallHandlers,
  type Thread,
} from "@osbricks/kernel";
import { Right } from "@osbricks/objects";
import {
  type codezeroSyscalls,
  L4Error,
  NIL,
  REPLY,
  UTCB_AREA,
  UTCB_BASE,
  UTCB_BYTES,
  UTCB_MRS,
  UTCB_REPLY,
  UTCB_SENDER,
  UTCB_STRIDE,
} from "../abi.js";
import type { CodezeroState } from "../personality.js";

type Handlers = SyscallHandlers<Thread, typeof codezeroSyscalls.decls>;

/** Tag bits other than label and word count: long buffers and handle items, which we refuse. */
const TAG_UNSUPPORTED = ((1 << TAG_LABEL_SHIFT) - 1) & ~TAG_U_MASK;

/**
 * The endpoint behind handle `h` of `t`'s task, if it carries `right`; else the L4 error.
 * Shared by every call that names an endpoint.
 */
export function endpointOf(s: CodezeroState, t: Thread, h: number, right: number): EndpointObject | number {
  const r = t.process.handleTable.lookup(h, s.endpointType, right);
  if (r.kind === "ok") return r.object;
  return s.refused(r.kind === "access-denied" ? -L4Error.EPERM : -L4Error.ECAP);
}

/** The L4 result of an ipc status that ended a wait or refused an operation. */
export function l4Status(st: IpcStatus): number {
  switch (st) {
    case IpcStatus.Ok:
      return 0;
    case IpcStatus.WouldBlock:
    case IpcStatus.TimedOut:
    case IpcStatus.ReplyTimedOut:
      return -L4Error.ETIMEOUT;
    case IpcStatus.Closed:
    case IpcStatus.PeerClosed:
    case IpcStatus.ReplyDropped:
      return -L4Error.ENOPARTNER;
    case IpcStatus.Cancelled:
      return -L4Error.ECANCELLED;
    case IpcStatus.InvalidReplyCap:
      return -L4Error.ECAP;
    default:
      return -L4Error.EINVAL;
  }
}

/** The `l4_ipc` handler. */
export function ipcCalls(s: CodezeroState): Pick<Handlers, "l4_ipc"> {
  const k = s.k;

  /**
   * Copy the message just received into `utcb` and count it: the MRs, and for a request (not the
   * reply to one's own call) the sender and the reply capability. A reply leaves UTCB.SENDER and
   * UTCB.REPLY alone, so a server that calls another server in the middle of a request still holds
   * its own caller's capability afterwards (as fs0 calls mm0 while a client waits).
   */
  function deliver(t: Thread, slot: number, utcb: number, reply: boolean): number {
    const mr = k.ipc.mrs(slot);
    const out = new Uint8Array(reply ? UTCB_SENDER : UTCB_BYTES);
    const dv = new DataView(out.buffer);
    for (let i = 0; i < UTCB_MRS; i++) dv.setInt32(i * 4, mr[i]!, true);
    if (!reply) {
      dv.setInt32(UTCB_SENDER, k.ipc.badge[slot]!, true);
      dv.setInt32(UTCB_REPLY, k.ipc.replyCap[slot]!, true);
      s.counters.ipcMessages++;
      if (mr[0]! >>> TAG_LABEL_SHIFT === PAGE_FAULT_LABEL) {
        s.counters.faultsForwarded++;
        if ((mr[5]! & PfErr.P) !== 0) s.counters.protectionFaults++;
      }
    }
    const space = t.process.addressSpace;
    if (space === null || !copyOut(k, space, utcb, out)) return -L4Error.EFAULT;
    return 0;
  }

  /** Park `t` until the endpoint wakes it; `complete` turns the wake into the call's result. */
  function wait(t: Thread, slot: number, complete: (st: IpcStatus) => number): number {
    return k.block(t, {
      on: "l4_ipc",
      restart: null,
      interruptible: false,
      cancel: () => k.ipc.threadExit(slot),
      complete,
    });
  }

  return {
    l4_ipc(t, to, from, timeout, utcb) {
      const send = to >= 0;
      const isCall = send && from === to;
      const isReply = to === REPLY;
      const recv = from >= 0 && !isCall;
      if (!(send || isReply || (to === NIL && recv))) return -L4Error.EINVAL;
      if (send && !isCall && from !== NIL) return -L4Error.EINVAL;
      if (isReply && from !== NIL && from < 0) return -L4Error.EINVAL;
      if (timeout < -1) return -L4Error.EINVAL;
      const off = utcb - UTCB_BASE;
      if (off < 0 || off >= UTCB_AREA || off % UTCB_STRIDE !== 0) return -L4Error.EINVAL;
      const space = t.process.addressSpace;
      const regs = space === null ? null : copyIn(k, space, utcb, UTCB_BYTES);
      if (regs === null) return -L4Error.EFAULT;
      const dv = new DataView(regs.buffer, regs.byteOffset, regs.byteLength);
      const tag = dv.getInt32(0, true);
      const words = tag & TAG_U_MASK;
      if ((send || isReply) && (words >= UTCB_MRS || (tag & TAG_UNSUPPORTED) !== 0)) return -L4Error.EINVAL;
      // Capabilities before anything moves.
      const sendEp = send ? endpointOf(s, t, to, Right.WRITE) : null;
      if (typeof sendEp === "number") return sendEp;
      const recvEp = recv ? endpointOf(s, t, from, Right.READ) : null;
      if (typeof recvEp === "number") return recvEp;
      const slot = k.ipcSlotFor(t);
      if (slot < 0) return -L4Error.ENOMEM;
      const mr = k.ipc.mrs(slot);
      if (send || isReply) for (let i = 0; i <= words; i++) mr[i] = dv.getInt32(i * 4, true);
      const limit = timeout === -1 ? FOREVER : timeout;
      // A deadline counts from now: bring ipc's clock up to date before arming one (the tick
      // expires deadlines later; kernel.ts).
      if (limit !== FOREVER && limit > 0 && k.now > k.ipc.now) k.ipc.advanceTo(k.now);
      const badge = t.process.pid;

      if (isCall) {
        const st = sendEp!.endpoint.call(slot, limit, badge);
        if (st !== IpcStatus.Blocked) return l4Status(st);
        return wait(t, slot, (w) => (w === IpcStatus.Ok ? deliver(t, slot, utcb, true) : l4Status(w)));
      }
      if (send) {
        const st = sendEp!.endpoint.send(slot, limit, badge);
        if (st !== IpcStatus.Blocked) return l4Status(st);
        return wait(t, slot, l4Status);
      }
      if (isReply) {
        const cap = dv.getInt32(UTCB_REPLY, true);
        if (cap < 0) return s.refused(-L4Error.ECAP);
        if (recvEp === null) {
          const st = s.replier.reply(slot, cap);
          if (st !== IpcStatus.Ok) return s.refused(l4Status(st));
          s.counters.ipcMessages++;
          return 0;
        }
        const st = recvEp.endpoint.replyReceive(slot, cap, limit);
        if (st === IpcStatus.InvalidReplyCap) return s.refused(-L4Error.ECAP);
        if (st === IpcStatus.TooLarge) return -L4Error.EINVAL; // nothing moved (cannot happen: ≤ 15 words)
        s.counters.ipcMessages++; // the reply went out
        if (st === IpcStatus.Ok) return deliver(t, slot, utcb, false);
        if (st !== IpcStatus.Blocked) return l4Status(st);
        return wait(t, slot, (w) => (w === IpcStatus.Ok ? deliver(t, slot, utcb, false) : l4Status(w)));
      }
      const st = recvEp!.endpoint.receive(slot, limit);
      if (st === IpcStatus.Ok) return deliver(t, slot, utcb, false);
      if (st !== IpcStatus.Blocked) return l4Status(st);
      return wait(t, slot, (w) => (w === IpcStatus.Ok ? deliver(t, slot, utcb, false) : l4Status(w)));
    },
  };
}
