/**
 * The `fc.commands` that drive a real synchronous endpoint against the reference model of
 * `endpoint-model.ts` under random interleavings of senders, callers, receivers, repliers,
 * timeouts, cancellations, server exits and the endpoint's death.
 *
 * After every command the real endpoint must have returned the same status, woken the same
 * threads with the same statuses in the same order, delivered the message the model names, and
 * hold the same queues. A message is checked word for word: message `seq` has 1 + seq·7 mod 63
 * untyped words (so every length 1..63 occurs), MR1 = seq and MRi a value derived from (seq, i),
 * a tag whose label is seq mod 2^16, and, for a send or call, the badge seq; the moved item is
 * checked by identity.
 *
 * What this catches: a message lost, duplicated, or reordered within a sender; a send completing
 * before a receiver took it (rendezvous: a buffered send returns Ok where the model says Blocked);
 * words, tag or badge not copied exactly; a handle delivered twice or never; a wrong wake status
 * when a peer dies (the endpoint destroyed, a server exiting with reply capabilities, a blocked
 * thread exiting or cancelled); a second reply accepted; with reply timeouts, a call whose reply
 * phase does not time out, times out counted from the call rather than from the receive, reports
 * TimedOut for ReplyTimedOut, or leaves the capability valid. `test/endpoint-laws.test.ts` runs the
 * suite against deliberately broken endpoints to show each of these is caught.
 *
 * Commands follow fast-check's model-based style: one class per operation, targets chosen by index
 * modulo the eligible threads (valid while shrinking), an `Err` twin for the refused reply.
 *
 * Related: `endpoint-model.ts` (the model and the per-run setup), `endpoint-laws.ts`.
 */
import fc from "fast-check";
import { FOREVER, IpcStatus, ipcStatusName, MR_COUNT, NO_WAIT } from "../api.js";
import { makeTag } from "../endpoint/tag.js";
import { type EndpointModel, type EndpointReal, type Item, modelDeliver } from "./endpoint-model.js";

type Cmd = fc.Command<EndpointModel, EndpointReal>;

function timeoutOf(kind: number): number {
  return kind === 0 ? FOREVER : kind === 1 ? NO_WAIT : 5;
}
/** A call's reply timeout: none, 0 (the receive phase does not wait) or 4 cycles. */
function replyTimeoutOf(kind: number): number {
  return kind === 0 ? FOREVER : kind === 1 ? 0 : 4;
}

/** A timeout as a counterexample prints it: `FOREVER`, or its value in cycles (0 is `NO_WAIT`). */
function timeoutText(t: number): string {
  return t === FOREVER ? "FOREVER" : String(t);
}

/** Untyped words of message `seq`: 1..63, every length occurs. */
function wordsOf(seq: number): number {
  return 1 + ((seq * 7) % 63);
}
/** The value of MRi (i ≥ 2) of message `seq`. */
function wordOf(seq: number, i: number): number {
  return Math.imul(seq, 0x01000193) ^ Math.imul(i, 0x9e3779b1);
}

/** Write message `seq` into thread t's registers: tag (label seq mod 2^16), MR1 = seq, MR2..MRu. */
function writeMessage(r: EndpointReal, t: number, seq: number): void {
  const mr = r.threads.mr;
  const b = t * MR_COUNT;
  const u = wordsOf(seq);
  mr[b] = makeTag({ label: seq & 0xffff, words: u });
  mr[b + 1] = seq;
  for (let i = 2; i <= u; i++) mr[b + i] = wordOf(seq, i);
}

/** Check that thread `to` holds message `seq` word for word, with its tag's label and length. */
function expectMessage(r: EndpointReal, to: number, seq: number, what: string): void {
  const mr = r.threads.mr;
  const b = to * MR_COUNT;
  const got = mr[b + 1];
  if (got !== seq) throw new Error(`${what}: thread ${to} holds message ${got}, model expects ${seq}`);
  const u = wordsOf(seq);
  const tag = mr[b]!;
  if ((tag & 0x3f) !== u || tag >>> 16 !== (seq & 0xffff))
    throw new Error(
      `${what}: thread ${to} got tag 0x${(tag >>> 0).toString(16)}, message ${seq} has label ${seq & 0xffff} and ${u} words`,
    );
  for (let i = 2; i <= u; i++) {
    if (mr[b + i] !== wordOf(seq, i))
      throw new Error(`${what}: thread ${to} MR${i} is ${mr[b + i]}, message ${seq} has ${wordOf(seq, i)}`);
  }
}

function expectWakes(r: EndpointReal, expected: Array<[number, IpcStatus]>, what: string): void {
  const got = r.wakes.splice(0);
  const fmt = (w: Array<[number, IpcStatus]>) => w.map(([t, s]) => `${t}:${ipcStatusName(s)}`).join(" ");
  if (fmt(got) !== fmt(expected))
    throw new Error(`${what}: woke [${fmt(got)}], model expects [${fmt(expected)}]`);
}

function expectStatus(got: IpcStatus, want: IpcStatus, what: string): void {
  if (got !== want)
    throw new Error(`${what}: returned ${ipcStatusName(got)}, model expects ${ipcStatusName(want)}`);
}

/** Check that thread `to` holds message `seq` (and item) now. */
function expectDelivered(
  m: EndpointModel,
  r: EndpointReal,
  to: number,
  seq: number,
  item: Item | null,
  what: string,
): void {
  expectMessage(r, to, seq, what);
  const badge = r.threads.badge[to];
  if (badge !== seq) throw new Error(`${what}: thread ${to} got badge ${badge}, the sender used ${seq}`);
  const items = r.threads.inItems[to] ?? null;
  const gotItem = items === null || items.length === 0 ? null : items[0];
  if (gotItem !== item)
    throw new Error(
      `${what}: thread ${to} got item ${JSON.stringify(gotItem)}, expected ${JSON.stringify(item)}`,
    );
  if (item !== null) {
    if (m.delivered.has(item)) throw new Error(`${what}: item ${item.seq} delivered twice`);
    m.delivered.add(item);
  }
  // The kernel collects received items into the thread's table (collectHandles) before it runs.
  r.threads.inItems[to] = null;
}

function compareQueues(m: EndpointModel, r: EndpointReal, what: string): void {
  r.ep.checkInvariants();
  r.threads.checkInvariants();
  const s = r.ep.queuedSenders().join(",");
  const v = r.ep.queuedReceivers().join(",");
  if (s !== m.senders.join(",") || v !== m.receivers.join(",")) {
    throw new Error(`${what}: queues senders [${s}] receivers [${v}], model [${m.senders}] [${m.receivers}]`);
  }
}

class SendCmd implements Cmd {
  constructor(
    readonly pick: number,
    readonly call: boolean,
    readonly timeoutKind: number,
    readonly withItem: boolean,
    /** -1: the call passes no reply timeout (the 4-argument form); else see replyTimeoutOf. */
    readonly replyKind = -1,
  ) {}
  check(m: EndpointModel): boolean {
    return m.idle().length > 0;
  }
  run(m: EndpointModel, r: EndpointReal): void {
    const idle = m.idle();
    const t = idle[this.pick % idle.length]!;
    const me = m.t[t]!;
    const seq = m.seq++;
    const item: Item | null = this.withItem ? { seq } : null;
    writeMessage(r, t, seq);
    const timeout = timeoutOf(this.timeoutKind);
    const replyTimeout = this.replyKind < 0 ? FOREVER : replyTimeoutOf(this.replyKind);
    const what = `${this}`;
    const items = item === null ? null : [item];
    const st = !this.call
      ? r.ep.send(t, timeout, seq, items)
      : this.replyKind < 0
        ? r.ep.call(t, timeout, seq, items)
        : r.ep.call(t, timeout, seq, items, replyTimeout);
    if (m.dead) {
      expectStatus(st, IpcStatus.Closed, what);
      expectWakes(r, [], what);
      compareQueues(m, r, what);
      return;
    }
    me.msgSeq = seq;
    me.item = item;
    me.call = this.call;
    me.replyTimeout = replyTimeout;
    const rcv = m.receivers.shift();
    if (rcv !== undefined) {
      const cap = r.threads.replyCap[rcv]!;
      m.t[rcv]!.state = "idle";
      m.t[rcv]!.deadline = Infinity;
      m.t[rcv]!.msgSeq = seq;
      let want: IpcStatus = this.call ? IpcStatus.Blocked : IpcStatus.Ok;
      if (this.call && replyTimeout === 0) {
        // The receive phase does not wait: delivered, the caller told at once, the cap stale.
        m.spentCaps.push([rcv, cap]);
        want = IpcStatus.ReplyTimedOut;
      } else if (this.call) {
        me.state = "reply";
        me.deadline = m.now + replyTimeout;
        m.t[rcv]!.caps.push([t, cap]);
      }
      expectStatus(st, want, what);
      expectWakes(r, [[rcv, IpcStatus.Ok]], what);
      expectDelivered(m, r, rcv, seq, item, what);
      me.item = null;
    } else if (timeout === NO_WAIT) {
      expectStatus(st, IpcStatus.WouldBlock, what);
      expectWakes(r, [], what);
    } else {
      me.state = "send";
      me.deadline = m.now + timeout;
      m.enqueue(m.senders, t);
      expectStatus(st, IpcStatus.Blocked, what);
      expectWakes(r, [], what);
    }
    compareQueues(m, r, what);
  }
  toString(): string {
    const rt =
      this.call && this.replyKind >= 0 ? `, replyTimeout=${timeoutText(replyTimeoutOf(this.replyKind))}` : "";
    return `${this.call ? "call" : "send"}(pick=${this.pick}, timeout=${timeoutText(timeoutOf(this.timeoutKind))}, item=${this.withItem}${rt})`;
  }
}

class ReceiveCmd implements Cmd {
  constructor(
    readonly pick: number,
    readonly timeoutKind: number,
  ) {}
  check(m: EndpointModel): boolean {
    return m.idle().length > 0;
  }
  run(m: EndpointModel, r: EndpointReal): void {
    const idle = m.idle();
    const t = idle[this.pick % idle.length]!;
    const timeout = timeoutOf(this.timeoutKind);
    const what = `${this}`;
    const st = r.ep.receive(t, timeout);
    if (m.dead) {
      expectStatus(st, IpcStatus.Closed, what);
      compareQueues(m, r, what);
      return;
    }
    const s = m.senders.shift();
    if (s !== undefined) {
      const item = m.t[s]!.item;
      m.t[s]!.item = null;
      const wakes = modelDeliver(m, s, t, r.threads.replyCap[t]!);
      expectStatus(st, IpcStatus.Ok, what);
      expectWakes(r, wakes, what);
      expectDelivered(m, r, t, m.t[t]!.msgSeq, item, what);
      const isCall = m.t[s]!.call; // a call even when its reply phase already timed out (timeout 0)
      if (isCall !== r.threads.replyCap[t]! >= 0)
        throw new Error(`${what}: reply cap ${r.threads.replyCap[t]} for a ${isCall ? "call" : "send"}`);
    } else if (timeout === NO_WAIT) {
      expectStatus(st, IpcStatus.WouldBlock, what);
      expectWakes(r, [], what);
    } else {
      m.t[t]!.state = "recv";
      m.t[t]!.deadline = m.now + timeout;
      m.enqueue(m.receivers, t);
      expectStatus(st, IpcStatus.Blocked, what);
      expectWakes(r, [], what);
    }
    compareQueues(m, r, what);
  }
  toString(): string {
    return `receive(pick=${this.pick}, timeout=${timeoutText(timeoutOf(this.timeoutKind))})`;
  }
}

class ReplyCmd implements Cmd {
  constructor(
    readonly pick: number,
    readonly andReceive: boolean,
    /** For replyReceive: wait for the next message (true) or poll (false). */
    readonly wait: boolean,
  ) {}
  holders(m: EndpointModel): number[] {
    return m.t.flatMap((x, i) => (x.state === "idle" && x.caps.length > 0 ? [i] : []));
  }
  check(m: EndpointModel): boolean {
    return this.holders(m).length > 0;
  }
  run(m: EndpointModel, r: EndpointReal): void {
    const hs = this.holders(m);
    const t = hs[this.pick % hs.length]!;
    const me = m.t[t]!;
    const [caller, cap] = me.caps.splice(this.pick % me.caps.length, 1)[0]!;
    const seq = m.seq++;
    writeMessage(r, t, seq);
    const what = `${this} by ${t} to ${caller}`;
    const st = this.andReceive
      ? r.ep.replyReceive(t, cap, this.wait ? FOREVER : NO_WAIT)
      : r.ep.reply(t, cap);
    m.spentCaps.push([t, cap]);
    const c = m.t[caller]!;
    c.state = "idle";
    c.deadline = Infinity;
    c.msgSeq = seq;
    const wakes: Array<[number, IpcStatus]> = [[caller, IpcStatus.Ok]];
    let want: IpcStatus = IpcStatus.Ok;
    if (this.andReceive) {
      const s = m.dead ? undefined : m.senders.shift();
      if (m.dead) want = IpcStatus.Closed;
      else if (s === undefined && this.wait) {
        want = IpcStatus.Blocked;
        me.state = "recv";
        me.deadline = Infinity;
        m.enqueue(m.receivers, t);
      } else if (s === undefined) want = IpcStatus.WouldBlock;
      else {
        const item = m.t[s]!.item;
        m.t[s]!.item = null;
        wakes.push(...modelDeliver(m, s, t, r.threads.replyCap[t]!));
        expectStatus(st, IpcStatus.Ok, what);
        expectWakes(r, wakes, what);
        expectDelivered(m, r, t, m.t[s]!.msgSeq, item, what);
        expectMessage(r, caller, seq, `${what} (the reply)`);
        compareQueues(m, r, what);
        return;
      }
    }
    expectStatus(st, want, what);
    expectWakes(r, wakes, what);
    expectMessage(r, caller, seq, `${what} (the reply)`);
    compareQueues(m, r, what);
  }
  toString(): string {
    return this.andReceive
      ? `replyReceive(wait=${this.wait}, pick=${this.pick})`
      : `reply(pick=${this.pick})`;
  }
}

/** The Err twin: replying with a spent capability is refused and changes nothing. */
class ReplyErrCmd implements Cmd {
  constructor(readonly pick: number) {}
  check(m: EndpointModel): boolean {
    return m.spentCaps.some(([h]) => m.t[h]!.state === "idle");
  }
  run(m: EndpointModel, r: EndpointReal): void {
    const spent = m.spentCaps.filter(([h]) => m.t[h]!.state === "idle");
    const [t, cap] = spent[this.pick % spent.length]!;
    const before = r.threads.mr.slice();
    const st = r.ep.reply(t, cap);
    expectStatus(st, IpcStatus.InvalidReplyCap, `${this}`);
    expectWakes(r, [], `${this}`);
    for (let i = 0; i < before.length; i++) {
      if (before[i] !== r.threads.mr[i]) throw new Error(`${this}: refused reply changed register word ${i}`);
    }
    compareQueues(m, r, `${this}`);
  }
  toString(): string {
    return `replyTwice(pick=${this.pick})`;
  }
}

/** Caller `t`'s wait for its reply ended without a reply: its holder's capability becomes spent. */
function revokeCapFor(m: EndpointModel, t: number): void {
  for (const h of m.t) {
    const i = h.caps.findIndex(([c]) => c === t);
    if (i >= 0) m.spentCaps.push([m.t.indexOf(h), h.caps.splice(i, 1)[0]![1]]);
  }
}

class AdvanceCmd implements Cmd {
  constructor(readonly dt: number) {}
  check(): boolean {
    return true;
  }
  run(m: EndpointModel, r: EndpointReal): void {
    m.now += this.dt;
    const expired = m.t
      .flatMap((x, i) => (x.state !== "idle" && x.deadline <= m.now ? [i] : []))
      .sort((a, b) => m.t[a]!.deadline - m.t[b]!.deadline || a - b);
    const wakes: Array<[number, IpcStatus]> = [];
    for (const t of expired) {
      const x = m.t[t]!;
      let status: IpcStatus = IpcStatus.TimedOut;
      if (x.state === "send") {
        m.senders = m.senders.filter((s) => s !== t);
        x.item = null;
      } else if (x.state === "recv") m.receivers = m.receivers.filter((s) => s !== t);
      else {
        // The reply phase timed out: the server's capability is revoked (a reply now is refused).
        status = IpcStatus.ReplyTimedOut;
        revokeCapFor(m, t);
      }
      x.state = "idle";
      x.deadline = Infinity;
      wakes.push([t, status]);
    }
    const withItems = expired.filter((t) => (r.threads.outItems[t] ?? null) !== null);
    r.threads.advanceTo(m.now);
    expectWakes(r, wakes, `${this}`);
    for (const t of withItems) {
      if ((r.threads.inItems[t] ?? null) === null)
        throw new Error(`${this}: sender ${t} timed out and lost its items`);
    }
    compareQueues(m, r, `${this}`);
  }
  toString(): string {
    return `advance(${this.dt})`;
  }
}

class CancelCmd implements Cmd {
  constructor(readonly pick: number) {}
  blocked(m: EndpointModel): number[] {
    return m.t.flatMap((x, i) => (x.state !== "idle" ? [i] : []));
  }
  check(m: EndpointModel): boolean {
    return this.blocked(m).length > 0;
  }
  run(m: EndpointModel, r: EndpointReal): void {
    const bs = this.blocked(m);
    const t = bs[this.pick % bs.length]!;
    const x = m.t[t]!;
    if (x.state === "send") m.senders = m.senders.filter((s) => s !== t);
    if (x.state === "recv") m.receivers = m.receivers.filter((s) => s !== t);
    if (x.state === "reply") revokeCapFor(m, t); // the holder's capability is revoked with the wait
    x.state = "idle";
    x.deadline = Infinity;
    x.item = null;
    r.threads.cancel(t);
    expectWakes(r, [[t, IpcStatus.Cancelled]], `${this}`);
    compareQueues(m, r, `${this}`);
  }
  toString(): string {
    return `cancel(pick=${this.pick})`;
  }
}

/**
 * A thread dies (the kernel's `threadExit`): a server holding reply capabilities, or a thread
 * blocked in a send, a receive or waiting for its reply. Its own wait ends without a wake (it is
 * gone), a queued sender's items come back to it, a capability for its reply is revoked, and each
 * caller whose capability it held wakes with ReplyDropped.
 */
class ExitCmd implements Cmd {
  constructor(readonly pick: number) {}
  holders(m: EndpointModel): number[] {
    return m.t.flatMap((x, i) => (x.state !== "idle" || x.caps.length > 0 ? [i] : []));
  }
  check(m: EndpointModel): boolean {
    return this.holders(m).length > 0;
  }
  run(m: EndpointModel, r: EndpointReal): void {
    const hs = this.holders(m);
    const t = hs[this.pick % hs.length]!;
    const x = m.t[t]!;
    if (x.state === "send") m.senders = m.senders.filter((s) => s !== t);
    if (x.state === "recv") m.receivers = m.receivers.filter((s) => s !== t);
    if (x.state === "reply") revokeCapFor(m, t);
    const hadItems = x.state === "send" && (r.threads.outItems[t] ?? null) !== null;
    x.state = "idle";
    x.deadline = Infinity;
    x.item = null;
    const callers = x.caps.map(([c]) => c).sort((a, b) => a - b);
    for (const [c, cap] of m.t[t]!.caps) {
      m.spentCaps.push([t, cap]);
      m.t[c]!.state = "idle";
      m.t[c]!.deadline = Infinity;
    }
    m.t[t]!.caps = [];
    r.threads.threadExit(t);
    expectWakes(
      r,
      callers.map((c) => [c, IpcStatus.ReplyDropped]),
      `${this}`,
    );
    if (hadItems && (r.threads.inItems[t] ?? null) === null)
      throw new Error(`${this}: sender ${t} exited and its items were lost`);
    r.threads.inItems[t] = null;
    compareQueues(m, r, `${this}`);
  }
  toString(): string {
    return `exit(pick=${this.pick})`;
  }
}

class DestroyCmd implements Cmd {
  check(m: EndpointModel): boolean {
    return !m.dead;
  }
  run(m: EndpointModel, r: EndpointReal): void {
    m.dead = true;
    const wakes: Array<[number, IpcStatus]> = [...m.senders, ...m.receivers].map((t) => [
      t,
      IpcStatus.Closed,
    ]);
    for (const t of [...m.senders, ...m.receivers]) {
      m.t[t]!.state = "idle";
      m.t[t]!.deadline = Infinity;
      m.t[t]!.item = null;
    }
    const hadItems = m.senders.filter((t) => (r.threads.outItems[t] ?? null) !== null);
    m.senders = [];
    m.receivers = [];
    r.ep.destroy();
    expectWakes(r, wakes, "destroy");
    for (const t of hadItems) {
      if ((r.threads.inItems[t] ?? null) === null) throw new Error(`destroy: sender ${t} lost its items`);
      r.threads.inItems[t] = null;
    }
    compareQueues(m, r, "destroy");
  }
  toString(): string {
    return "destroy()";
  }
}

/**
 * The command arbitraries of the endpoint model. Sends and receives are drawn twice as often as
 * the rest, and destroy only one draw in five of its slot (otherwise a short wait), so that most
 * runs spend most of their steps on a live endpoint. With `replyTimeouts`, calls also draw a
 * reply timeout (none, 0 or 4 cycles; L4 X.2's receive-phase timeout).
 */
export function endpointCommands(replyTimeouts = false): fc.Arbitrary<Cmd>[] {
  const pick = fc.nat(15);
  const tk = fc.integer({ min: 0, max: 2 });
  const rk = replyTimeouts ? fc.integer({ min: 0, max: 2 }) : fc.constant(-1);
  const send = fc
    .tuple(pick, fc.boolean(), tk, fc.boolean(), rk)
    .map(([p, c, t, i, k]): Cmd => new SendCmd(p, c, t, i, k));
  const receive = fc.tuple(pick, tk).map(([p, t]): Cmd => new ReceiveCmd(p, t));
  return [
    send,
    send,
    receive,
    receive,
    fc.tuple(pick, fc.boolean(), fc.boolean()).map(([p, rr, w]) => new ReplyCmd(p, rr, w)),
    pick.map((p) => new ReplyErrCmd(p)),
    fc.integer({ min: 1, max: 6 }).map((d) => new AdvanceCmd(d)),
    pick.map((p) => new CancelCmd(p)),
    pick.map((p) => new ExitCmd(p)),
    fc.nat(4).map((k): Cmd => (k === 0 ? new DestroyCmd() : new AdvanceCmd(1))),
  ];
}
