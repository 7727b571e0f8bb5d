/**
 * `j6_mailbox_create`, `j6_mailbox_call`, `j6_mailbox_respond`: jsix's synchronous message
 * passing (2022's mailbox: call blocks for the answer; respond answers one call by its reply tag
 * and waits for the next). A server answers calls in any order: each call it takes carries a
 * fresh reply tag, and the answer names it.
 *
 * ```
 *   client                     mailbox                                 server
 *   call(mb, msg) ───────────▶ queued: [c1]   (has_message up)
 *                              ─── taken: tag 7, inFlight {7: c1} ───▶ respond(mb, msg) returns:
 *                                                                       msg = c1's block, replyTag 7,
 *      (blocked)                                                        badge = client's koid
 *   ◀── the answer overwrites ─ inFlight {} ◀──────────────────────── respond(mb, msg{replyTag 7})
 *       c1's block; returns 0                                           …and waits for the next
 * ```
 *
 * A message carries one handle (block field HANDLE, -1 for none): it needs transfer, and it is
 * *moved* into the receiver's table when the message is delivered (the number the receiver sees
 * is written in its block). Between two threads of one process there is one table: the handle
 * stays where it is and the receiver reads its own value. Checks come first; a refused call moves
 * nothing.
 *
 * **Why not `@osbricks/ipc`'s Endpoint?** An L4 endpoint's call/reply is the same rendezvous,
 * but its messages live in per-thread message registers and its reply capability is one-shot
 * per thread; a jsix mailbox's reply tag lets one server thread hold many calls open at once
 * (take several, answer them in any order), and messages move a handle. So the mailbox keeps its
 * own queues (`../objects.ts`), a few dozen lines, and uses the kernel's block/wake directly.
 *
 * **Simplification: timeout 0 polls.** `j6_mailbox_respond` with timeout 0 and no call queued
 * returns `j6_status_would_block`. jsix's mailbox_respond has no timeout but a flag: without
 * `j6_mailbox_block` it polls (the same would_block), with it it waits until a call comes.
 *
 * Closing the mailbox's last handle wakes every caller and server with `j6_status_closed`. A
 * server that dies with calls in flight leaves their callers blocked until the mailbox closes
 * (jsix has the same hole until the mailbox goes away).
 *
 * Related: `../abi.ts` (Msg layout), `../objects.ts` (MailboxObject), `../programs/init.ts` (the
 * service locator, a server on a mailbox).
 */
import { copyIn, copyOut, type Thread } from "@osbricks/kernel";
import { Right } from "@osbricks/objects";
import { J6_HANDLE_INVALID, J6Status, Msg } from "../abi.js";
import { MailboxObject, type PendingCall } from "../objects.js";
import type { JsixState } from "../personality.js";
import { type Handlers, park, takeExpired } from "./common.js";

const WORDS = Msg.BYTES / 4;
const REPLY_TAG = Msg.REPLY_TAG / 4;
const BADGE = Msg.BADGE / 4;
const HANDLE = Msg.HANDLE / 4;

/** The mailbox handlers. */
export function mailboxCalls(
  s: JsixState,
): Pick<Handlers, "j6_mailbox_create" | "j6_mailbox_call" | "j6_mailbox_respond"> {
  const k = s.k;
  const hasMessage = s.mailboxType.signal("has_message");

  function readBlock(t: Thread, msg: number): Int32Array | null {
    const bytes = copyIn(k, t.process.vm, msg, Msg.BYTES);
    if (bytes === null) return null;
    const words = new Int32Array(WORDS);
    const dv = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
    for (let i = 0; i < WORDS; i++) words[i] = dv.getInt32(i * 4, true);
    return words;
  }

  function writeBlock(t: Thread, msg: number, words: Int32Array): boolean {
    const out = new Uint8Array(Msg.BYTES);
    const dv = new DataView(out.buffer);
    for (let i = 0; i < WORDS; i++) dv.setInt32(i * 4, words[i]!, true);
    return t.process.addressSpace !== null && copyOut(k, t.process.addressSpace, msg, out);
  }

  /** Whether `h` (if not none) is a handle of `t`'s with transfer: 0, or the j6 refusal. */
  function checkCarried(t: Thread, h: number): number {
    if (h === J6_HANDLE_INVALID) return 0;
    const r = t.process.handleTable.lookup(h, null, Right.TRANSFER);
    return r.kind === "ok" ? 0 : s.refusal(r.kind);
  }

  /**
   * Move handle `h` from `from`'s table to `to`'s; the number `to` sees, or -1. Two threads of
   * one process share one table: the handle stays where it is and `to` sees `h` itself.
   */
  function carry(from: Thread, to: Thread, h: number): number {
    if (h === J6_HANDLE_INVALID) return J6_HANDLE_INVALID;
    if (from.process === to.process) return h;
    const r = from.process.handleTable.moveTo(h, to.process.handleTable);
    return r.kind === "ok" ? r.handle : J6_HANDLE_INVALID;
  }

  /** Hand call `c` to server `srv` (its block at `msg`): it is in flight from now. */
  function deliver(mb: MailboxObject, c: PendingCall, srv: Thread, msg: number): boolean {
    const out = c.words.slice();
    out[REPLY_TAG] = c.replyTag;
    out[BADGE] = s.koidOf(c.caller.process);
    out[HANDLE] = carry(c.caller, srv, c.words[HANDLE]!);
    if (!writeBlock(srv, msg, out)) return false;
    mb.inFlight.set(c.replyTag, c);
    return true;
  }

  function updateSignal(mb: MailboxObject): void {
    const want = mb.queued.length > 0;
    const has = (mb.signals & hasMessage) !== 0;
    if (want && !has) {
      mb.assertSignals(hasMessage);
      s.counters.signalsRaised++;
    } else if (!want && has) mb.clearSignals(hasMessage);
  }

  function close(mb: MailboxObject): void {
    mb.closed = true;
    s.mailboxes.delete(mb);
    s.destroyed("mailbox");
    const callers = [...mb.queued, ...mb.inFlight.values()];
    const servers = mb.servers.splice(0);
    mb.queued.length = 0;
    mb.inFlight.clear();
    for (const c of callers) k.wakeThread(c.caller, -J6Status.closed);
    for (const w of servers) k.wakeThread(w.server, -J6Status.closed);
  }

  return {
    j6_mailbox_create(t) {
      const table = t.process.handleTable;
      if (table.size >= table.capacity) return -J6Status.err_insufficient;
      const mb = new MailboxObject(k.objects, s.mailboxType, {
        hooks: { onNoHandles: (o) => close(o as MailboxObject) },
      });
      s.mailboxes.add(mb);
      s.created("mailbox");
      const h = table.create(mb, s.mailboxType.defaultRights);
      return h.kind === "ok" ? h.handle : -J6Status.err_unexpected;
    },
    j6_mailbox_call(t, mb, msg) {
      if (mb.closed) return -J6Status.closed;
      const words = readBlock(t, msg);
      if (words === null) return -J6Status.err_invalid_arg;
      const bad = checkCarried(t, words[HANDLE]!);
      if (bad !== 0) return bad;
      const call: PendingCall = { caller: t, msg, words, replyTag: mb.takeTag() };
      const srv = mb.servers.shift();
      if (srv !== undefined && deliver(mb, call, srv.server, srv.msg)) k.wakeThread(srv.server, 0);
      else {
        if (srv !== undefined) k.wakeThread(srv.server, -J6Status.err_invalid_arg); // its block is gone
        mb.queued.push(call);
        updateSignal(mb);
      }
      return park(s, t, "mailbox_call", -1, () => {
        const i = mb.queued.indexOf(call);
        if (i >= 0) mb.queued.splice(i, 1);
        mb.inFlight.delete(call.replyTag);
        if (!mb.closed) updateSignal(mb);
      });
    },
    j6_mailbox_respond(t, mb, msg, timeout) {
      if (takeExpired(s, t)) return -J6Status.err_timed_out;
      if (timeout < -1) return -J6Status.err_invalid_arg;
      if (mb.closed) return -J6Status.closed;
      const words = readBlock(t, msg);
      if (words === null) return -J6Status.err_invalid_arg;
      const tag = words[REPLY_TAG]!;
      if (tag !== 0) {
        const c = mb.inFlight.get(tag);
        if (c === undefined) return -J6Status.err_invalid_arg;
        const bad = checkCarried(t, words[HANDLE]!);
        if (bad !== 0) return bad;
        const out = words.slice();
        out[REPLY_TAG] = 0;
        out[BADGE] = s.koidOf(t.process);
        out[HANDLE] = carry(t, c.caller, words[HANDLE]!);
        mb.inFlight.delete(tag);
        k.wakeThread(c.caller, writeBlock(c.caller, c.msg, out) ? 0 : -J6Status.err_invalid_arg);
        s.counters.roundTrips++;
      }
      const next = mb.queued.shift();
      if (next !== undefined) {
        updateSignal(mb);
        if (deliver(mb, next, t, msg)) return 0;
        mb.queued.unshift(next);
        updateSignal(mb);
        return -J6Status.err_invalid_arg;
      }
      if (timeout === 0) return -J6Status.would_block;
      const me = { server: t, msg };
      mb.servers.push(me);
      return park(s, t, "mailbox_respond", timeout, () => {
        const i = mb.servers.indexOf(me);
        if (i >= 0) mb.servers.splice(i, 1);
      });
    },
  };
}
