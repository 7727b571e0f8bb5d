/**
 * Endpoints: L4-style synchronous rendezvous IPC.
 *
 * An endpoint holds no messages. A message moves only when a sender and a receiver meet: whoever
 * comes first is queued on the endpoint and blocks, and the second one copies the message straight
 * from the sender's message registers into the receiver's (no kernel buffer, the point of L4's
 * synchronous design). So at any moment at most one of the two queues is non-empty.
 *
 * ```
 *  client C                         endpoint                          server S
 *  ────────                         ────────                          ────────
 *                                   receivers: [S]  ◀──── receive(S) → Blocked
 *  call(C) ──── S waiting: copy MR0..MRu C→S, S.replyCap = cap(C),
 *               C → ReplyBlocked, wake(S, Ok) ─────────────────────▶  S runs, reads MRs
 *  (C blocked)                                                        reply(S, cap): copy S→C,
 *  ◀──────────────────────── wake(C, Ok) ───────────────────────────  cap used up (one shot)
 *  C runs, reads MRs                                                  receive(S) → Blocked ...
 * ```
 *
 * The reply capability is one-shot: it names the caller and the caller's reply generation, which
 * is bumped when the reply is delivered, when the caller is cancelled, and when its holder exits.
 * Replying twice therefore finds a stale generation and gets {@link IpcStatus.InvalidReplyCap},
 * with the replier's message left in its registers.
 *
 * Invariants ({@link Endpoint.checkInvariants}):
 * - at most one of `senders` and `receivers` is non-empty (a sender and a receiver never wait on
 *   the same endpoint at once: the later one would have met the earlier);
 * - every queued sender is SendBlocked on this endpoint and every receiver RecvBlocked on it;
 * - a destroyed endpoint has empty queues.
 *
 * Timeouts (relative, in simulated cycles) bound the wait for a partner: {@link NO_WAIT} polls,
 * {@link FOREVER} waits. A call has two, as L4 X.2's `Ipc` (send timeout and receive timeout):
 *
 * ```
 *   call(C, timeout = 10, …, replyTimeout = 50) at time 0, no server waiting:
 *     0 ── send phase: C SendBlocked, deadline 10 ──┬── 10: nobody came → wake(C, TimedOut)
 *                                                   └── 4: S receives → receive phase starts:
 *     4 ── C ReplyBlocked, deadline 4 + 50 = 54 ────┬── S replies before 54 → wake(C, Ok)
 *                                                   └── 54: wake(C, ReplyTimedOut), cap revoked,
 *                                                        S's late reply → InvalidReplyCap
 * ```
 *
 * The receive phase's relative timeout counts from the start of that phase, as in X.2, and the
 * two outcomes have two statuses, as X.2's error code has a phase bit: after TimedOut the server
 * never saw the request, after ReplyTimedOut it did. A reply timeout of 0 (X.2: a receive that
 * does not wait) fails the receive phase as soon as the server takes the message. seL4's
 * `seL4_Call` has no reply timeout; FOREVER, the default, behaves like it.
 *
 * Related: `tag.ts` (MR0), `../core/threads.ts` (registers and wait lists), `../api.ts` (contract).
 */
import {
  FOREVER,
  IpcStatus,
  LONG_BUFFER_MAX,
  MAX_MESSAGE_HANDLES,
  MR_COUNT,
  type QueueOrder,
  type SyncEndpoint,
  type ThreadId,
} from "../api.js";
import { type Blocker, type IpcThreads, ThreadIpcState } from "../core/threads.js";
import { WaitList } from "../core/wait-list.js";
import { InvariantError, IpcArgumentError } from "../errors.js";
import { IRQ_LABEL, makeTag, TAG_FLAG_LONG, TAG_H_MASK, TAG_H_SHIFT, TAG_U_MASK } from "./tag.js";

/** Options of {@link Endpoint}. */
export interface EndpointOptions {
  /** Order blocked senders (and receivers) are served in. Default "fifo". */
  readonly order?: QueueOrder;
  /** Name used in traces and errors. Default `"endpoint"`. */
  readonly name?: string;
  /**
   * Release the items of a queued sender whose thread exited ({@link Blocker.dropItems}); an
   * `EndpointObject` closes them in its transit table. Default: none, and the items stay in the
   * dead thread's `inItems` for the kernel to release.
   */
  readonly dropItems?: (items: readonly unknown[]) => void;
}

/** Tag bits that need more than a register copy: the long flag and the handle count. */
const TAG_EXTRAS = TAG_FLAG_LONG | (TAG_H_MASK << TAG_H_SHIFT);

// Module-local copies of the imported constants that the fastpath reads. An imported binding is
// a live cell: V8 reloads it, checks it for the temporal dead zone and (for `IpcStatus.Ok`) loads
// the property at every use; a module-local `const` of a number is folded into the optimised
// code as an immediate. Only the fastpath functions below use these; the rest reads the
// exported names.
const OK = IpcStatus.Ok;
const BLOCKED = IpcStatus.Blocked;
const IDLE = ThreadIpcState.Idle;
const RECV_BLOCKED = ThreadIpcState.RecvBlocked;
const REPLY_BLOCKED = ThreadIpcState.ReplyBlocked;
const MRS = MR_COUNT;
const WAIT_FOREVER = FOREVER;
const U_MASK = TAG_U_MASK;

/** sendFlags bit: the queued sender is a call and wants a reply capability. */
const CALL = 1;
/**
 * A reply capability is one int32: the caller's thread id in bits 0..15 and its reply generation
 * (mod 2^15) in bits 16..30. Worked: caller 5 at generation 3 → (3 << 16) | 5 = 0x3_0005.
 * Decoding is two integer operations (`& 0xFFFF`, `>>> 16`), no division on the hot path. A stale
 * capability is recognised unless exactly a multiple of 32768 calls of the same caller passed
 * while its holder kept it.
 */
const CAP_TID_MASK = 0xffff;
const CAP_GEN_SHIFT = 16;
const CAP_GEN_MASK = 0x7fff;

function replyCapOf(caller: ThreadId, gen: number): number {
  return ((gen & CAP_GEN_MASK) << CAP_GEN_SHIFT) | caller;
}

/**
 * A synchronous IPC endpoint over the threads of one {@link IpcThreads}.
 *
 * Before `send`/`call`/`reply` the thread writes its tag into MR0 and the words into MR1..MRu (and
 * its long buffer plus `longLen` if the tag has {@link TAG_FLAG_LONG}). After a successful receive
 * (or a call's wake with Ok) its MRs hold the message, `badge` the sender's badge, `replyCap` the
 * reply capability (or -1 for a plain send) and `inItems` any handles moved.
 *
 * @example
 * const woken: [number, number][] = [];
 * const threads = new IpcThreads({ maxThreads: 2, waker: { wake: (t, s) => woken.push([t, s]) } });
 * const ep = new Endpoint(threads);
 * ep.receive(1);                                   // Blocked: server waits
 * threads.mr[0 * MR_COUNT] = makeTag({ label: 7, words: 1 });
 * threads.mr[0 * MR_COUNT + 1] = 41;
 * ep.call(0);                                      // Blocked; woken = [[1, Ok]]
 * threads.mr[1 * MR_COUNT + 1] += 1;               // server computes 42 in place
 * ep.reply(1, threads.replyCap[1]!);               // Ok; woken = [[1, Ok], [0, Ok]], MR1 of 0 is 42
 */
export class Endpoint implements Blocker, SyncEndpoint {
  readonly name: string;
  private readonly senders: WaitList;
  private readonly receivers: WaitList;
  private readonly mr: Int32Array;
  /** The same registers seen as 64-bit words, for the copy. */
  private readonly mr64: BigInt64Array;
  private dead = false;
  /** Interrupt lines signalled and not yet received (bit n = line n). */
  private irqs = 0;
  private readonly releaseItems: ((items: readonly unknown[]) => void) | undefined;

  constructor(
    private readonly threads: IpcThreads,
    options: EndpointOptions = {},
  ) {
    this.name = options.name ?? "endpoint";
    this.releaseItems = options.dropItems;
    const order = options.order ?? "fifo";
    this.senders = new WaitList(threads, order);
    this.receivers = new WaitList(threads, order);
    this.mr = threads.mr;
    this.mr64 = new BigInt64Array(threads.mr.buffer, threads.mr.byteOffset, threads.mr.length >>> 1);
  }

  /** Whether {@link Endpoint.destroy} ran. */
  get destroyed(): boolean {
    return this.dead;
  }

  /** Threads queued to send, in service order (a copy). */
  queuedSenders(): ThreadId[] {
    return this.senders.toArray();
  }

  /** Threads queued to receive, in service order (a copy). */
  queuedReceivers(): ThreadId[] {
    return this.receivers.toArray();
  }

  /**
   * Send thread `t`'s message; return when a receiver has it.
   *
   * @param timeout cycles to wait for a receiver; {@link NO_WAIT} polls. Default {@link FOREVER}.
   * @param badge delivered to the receiver (the badge of the capability used, as in seL4).
   * @param items handles already taken out of the sender's table; they reach the receiver's
   *   `inItems`, or come back in the sender's own `inItems` if the send fails after blocking.
   * @returns Ok (a receiver was waiting and has the message), Blocked, WouldBlock (polling, no
   *   receiver), TooLarge (long buffer over 2 KiB or over 15 handles; nothing moved) or Closed.
   * @throws IpcArgumentError / IpcStateError for a bad thread id or a thread that is blocked.
   */
  send(
    t: ThreadId,
    timeout: number = FOREVER,
    badge = 0,
    items: readonly unknown[] | null = null,
  ): IpcStatus {
    return this.sendOrCall(t, 0, timeout, badge, items);
  }

  /**
   * Send and then wait for the reply, atomically: the receiver gets a one-shot reply capability,
   * and `t` is never left between the two halves.
   *
   * Two timeouts, as L4 X.2 (see the file banner): `timeout` bounds the send phase (the wait for
   * a receiver; expiry wakes `t` with TimedOut), `replyTimeout` the receive phase, counted from
   * the moment a receiver takes the message (expiry wakes `t` with ReplyTimedOut and revokes the
   * reply capability). FOREVER, the default, waits for the reply as seL4's `Call` does.
   * @param replyTimeout cycles to wait for the reply once received; 0 gives up at once (the
   *   message is delivered, `t` gets ReplyTimedOut, the receiver's capability is already stale).
   * @returns Blocked (the normal case: the wake brings Ok with the reply in t's MRs, or Closed,
   *   TimedOut, ReplyTimedOut, ReplyDropped, Cancelled), WouldBlock, TooLarge, Closed, or
   *   ReplyTimedOut at once for a reply timeout of 0 and a waiting receiver; see
   *   {@link Endpoint.send}.
   * @throws IpcArgumentError for a timeout or reply timeout that is not ≥ 0 (nothing changes).
   */
  call(
    t: ThreadId,
    timeout: number = FOREVER,
    badge = 0,
    items: readonly unknown[] | null = null,
    replyTimeout: number = FOREVER,
  ): IpcStatus {
    const r = this.receivers.head;
    if (
      r !== -1 &&
      items === null &&
      timeout >= 0 &&
      replyTimeout === WAIT_FOREVER &&
      this.registersOnly(t, r)
    )
      return this.fastCall(t, r, badge);
    return this.sendOrCall(t, CALL, timeout, badge, items, replyTimeout);
  }

  /**
   * What a send or call by `t` carrying `itemCount` items would return if refused at once
   * (Closed, TooLarge, WouldBlock), or Ok if it would be accepted (delivered or queued). Lets a
   * system call refuse before it moves any handle. Changes nothing.
   * @throws IpcArgumentError for a bad thread id or a timeout that is not ≥ 0 (which the send
   *   itself would refuse by throwing, after the caller had moved its handles).
   */
  precheck(t: ThreadId, timeout: number, itemCount: number): IpcStatus {
    this.threads.checkRunnable(t, "precheck");
    if (!(timeout >= 0)) badTimeout("precheck", t, timeout);
    if (this.dead) return IpcStatus.Closed;
    if (itemCount > MAX_MESSAGE_HANDLES || !this.fits(t, null)) return IpcStatus.TooLarge;
    if (timeout === 0 && this.receivers.length === 0) return IpcStatus.WouldBlock;
    return IpcStatus.Ok;
  }

  // Each path is its own small function: V8 inlines only call sites that have run, so a
  // workload pays the inlining budget for the paths it takes, not for all of them.
  private sendOrCall(
    t: ThreadId,
    flags: number,
    timeout: number,
    badge: number,
    items: readonly unknown[] | null,
    replyTimeout: number = FOREVER,
  ): IpcStatus {
    this.threads.checkRunnable(t, flags === CALL ? "call" : "send");
    if (!(timeout >= 0)) badTimeout(flags === CALL ? "call" : "send", t, timeout);
    if (!(replyTimeout >= 0)) {
      throw new IpcArgumentError(
        `call(thread=${t}, replyTimeout=${replyTimeout}): expected a reply timeout ≥ 0`,
      );
    }
    if (this.dead) return IpcStatus.Closed;
    if (!this.fits(t, items)) return IpcStatus.TooLarge;
    const r = this.receivers.shift();
    if (r !== -1) return this.meetReceiver(t, r, flags, badge, items, replyTimeout);
    if (timeout === 0) return IpcStatus.WouldBlock;
    return this.queueSender(t, flags, timeout, badge, items, replyTimeout);
  }

  /** A receiver was waiting: hand it the message (and, for a call, the reply capability). */
  private meetReceiver(
    t: ThreadId,
    r: ThreadId,
    flags: number,
    badge: number,
    items: readonly unknown[] | null,
    replyTimeout: number,
  ): IpcStatus {
    const threads = this.threads;
    this.transfer(t, r, badge, items);
    if (flags === CALL) {
      threads.replyCap[r] = replyCapOf(t, threads.replyGen[t]!);
      if (replyTimeout === 0) {
        // The receive phase does not wait: the message is delivered, the capability is stale.
        threads.revokeUnawaitedReply(t);
        threads.finish(r, IpcStatus.Ok);
        return IpcStatus.ReplyTimedOut;
      }
      threads.awaitReplyFor(t, r, replyTimeout);
      threads.finish(r, IpcStatus.Ok);
      return IpcStatus.Blocked;
    }
    threads.replyCap[r] = -1;
    threads.finish(r, IpcStatus.Ok);
    return IpcStatus.Ok;
  }

  /** No receiver: the sender waits on the endpoint with its message in its registers. */
  private queueSender(
    t: ThreadId,
    flags: number,
    timeout: number,
    badge: number,
    items: readonly unknown[] | null,
    replyTimeout: number,
  ): IpcStatus {
    const threads = this.threads;
    threads.sendFlags[t] = flags;
    threads.sendBadge[t] = badge;
    threads.sendReplyTimeout[t] = replyTimeout;
    threads.outItems[t] = items;
    this.senders.push(t);
    threads.block(t, this, ThreadIpcState.SendBlocked, timeout);
    return IpcStatus.Blocked;
  }

  /**
   * Wait for a message. If a sender is queued its message is copied at once.
   * @returns Ok (message in t's MRs; `replyCap[t]` ≥ 0 if it was a call), Blocked, WouldBlock or
   *   Closed.
   */
  receive(t: ThreadId, timeout: number = FOREVER): IpcStatus {
    this.threads.checkRunnable(t, "receive");
    return this.receiveChecked(t, timeout);
  }

  /** receive() for a thread already known to be runnable (reply-and-receive checked it). */
  private receiveChecked(t: ThreadId, timeout: number): IpcStatus {
    if (!(timeout >= 0)) badTimeout("receive", t, timeout);
    if (this.dead) return IpcStatus.Closed;
    if (this.irqs !== 0) return this.takeIrq(t);
    const s = this.senders.shift();
    if (s !== -1) return this.meetSender(t, s);
    if (timeout === 0) return IpcStatus.WouldBlock;
    this.receivers.push(t);
    this.threads.block(t, this, ThreadIpcState.RecvBlocked, timeout);
    return IpcStatus.Blocked;
  }

  /** A sender was queued: take its message; a plain sender is released, a caller awaits the reply. */
  private meetSender(t: ThreadId, s: ThreadId): IpcStatus {
    const threads = this.threads;
    const items = threads.outItems[s] ?? null;
    threads.outItems[s] = null;
    this.transfer(s, t, threads.sendBadge[s]!, items);
    if (threads.sendFlags[s] === CALL) {
      threads.replyCap[t] = replyCapOf(s, threads.replyGen[s]!);
      const replyTimeout = threads.sendReplyTimeout[s]!;
      if (replyTimeout === 0) {
        threads.revokeUnawaitedReply(s);
        threads.finish(s, IpcStatus.ReplyTimedOut);
      } else {
        threads.awaitReplyFor(s, t, replyTimeout);
      }
    } else {
      threads.replyCap[t] = -1;
      threads.finish(s, IpcStatus.Ok);
    }
    return IpcStatus.Ok;
  }

  /**
   * Reply through a one-shot reply capability: copy t's message to the caller and wake it with Ok.
   * Never blocks. Works even after the endpoint was destroyed (the capability is the caller's, not
   * the endpoint's).
   * @returns Ok, InvalidReplyCap (unknown, already used, revoked, or held by another thread — the
   *   message stays in t's MRs) or TooLarge.
   */
  reply(t: ThreadId, cap: number, items: readonly unknown[] | null = null): IpcStatus {
    const threads = this.threads;
    threads.checkRunnable(t, "reply");
    const caller = cap & CAP_TID_MASK;
    if (!this.holdsReplyCap(t, cap, caller)) return IpcStatus.InvalidReplyCap;
    if (!this.fits(t, items)) return IpcStatus.TooLarge;
    this.transfer(t, caller, 0, items);
    threads.replyCap[caller] = -1;
    if (threads.replyCap[t] === cap) threads.replyCap[t] = -1;
    if (threads.tracer !== undefined) traceReply(threads, t, caller);
    threads.finish(caller, IpcStatus.Ok);
    return IpcStatus.Ok;
  }

  /**
   * Reply, then receive the next message, in one trap (L4's ReplyWait, seL4's ReplyRecv): the
   * server's loop costs one kernel entry per request.
   * @returns the receive's status, or the reply's error (InvalidReplyCap, TooLarge) without
   *   receiving.
   * @throws IpcArgumentError for a bad thread id or a timeout that is not ≥ 0, IpcStateError for a
   *   blocked thread; both before the reply is delivered (nothing changes).
   */
  replyReceive(t: ThreadId, cap: number, timeout: number = FOREVER): IpcStatus {
    const caller = cap & CAP_TID_MASK;
    if (
      timeout === WAIT_FOREVER &&
      this.senders.head === -1 &&
      this.irqs === 0 &&
      !this.dead &&
      this.registersOnly(t, caller) &&
      this.holdsReplyCap(t, cap, caller)
    ) {
      return this.fastReplyReceive(t, caller, cap);
    }
    // Refuse a bad thread or timeout before the reply goes out: a refused call changes nothing.
    this.threads.checkRunnable(t, "replyReceive");
    if (!(timeout >= 0)) badTimeout("replyReceive", t, timeout);
    const st = this.reply(t, cap);
    if (st !== OK) return st;
    return this.receiveChecked(t, timeout);
  }

  // ── The fastpath (seL4's fastpath_call / fastpath_reply_recv) ──────────────────────────────
  // The common case of a client/server loop, checked up front and then done in a straight line:
  // a runnable thread, a short message (registers only: no long buffer, no handles), a partner
  // already waiting, no tracer. Anything else takes the general path above, which the fastpath
  // must match exactly; the endpoint laws run both (they hit the fastpath on every call that
  // meets a waiting receiver, and on every reply-and-receive without a queued sender).

  /** Whether `t` may take the fastpath to `partner`: t runnable, a registers-only message, nothing pending for partner. */
  private registersOnly(t: ThreadId, partner: ThreadId): boolean {
    const threads = this.threads;
    return (
      threads.state[t] === IDLE &&
      (this.mr[t * MRS]! & TAG_EXTRAS) === 0 &&
      threads.inItems[partner] === null &&
      threads.tracer === undefined
    );
  }

  /** call() when receiver `r` waits: hand over registers and reply capability, block the caller. */
  private fastCall(t: ThreadId, r: ThreadId, badge: number): IpcStatus {
    const threads = this.threads;
    this.receivers.shift();
    this.copyRegisters(t, r);
    threads.badge[r] = badge;
    threads.longLen[r] = 0;
    threads.replyCap[r] = replyCapOf(t, threads.replyGen[t]!);
    threads.awaitReply(t, r);
    threads.finish(r, OK);
    return BLOCKED;
  }

  /** replyReceive() with a valid capability and no queued sender: reply, then wait for the next call. */
  private fastReplyReceive(t: ThreadId, caller: ThreadId, cap: number): IpcStatus {
    const threads = this.threads;
    this.copyRegisters(t, caller);
    threads.badge[caller] = 0;
    threads.longLen[caller] = 0;
    threads.replyCap[caller] = -1;
    if (threads.replyCap[t] === cap) threads.replyCap[t] = -1;
    threads.finish(caller, OK);
    this.receivers.push(t);
    threads.block(t, this, RECV_BLOCKED, WAIT_FOREVER);
    return BLOCKED;
  }

  /** Whether `cap` is the live reply capability of `caller`, held by `t` (one-shot: generations). */
  private holdsReplyCap(t: ThreadId, cap: number, caller: ThreadId): boolean {
    const threads = this.threads;
    return (
      cap === (cap | 0) &&
      cap >= 0 &&
      threads.state[caller] === REPLY_BLOCKED &&
      threads.replyHolder[caller] === t &&
      cap >>> CAP_GEN_SHIFT === (threads.replyGen[caller]! & CAP_GEN_MASK)
    );
  }

  /**
   * An interrupt line bound to this endpoint fired (see `../notification/irq.ts`): deliver it as a
   * kernel message to the first waiting receiver, or keep it pending (one bit per line, so a line
   * that fires twice before a receive is delivered once, like a level in jsix's IRQ signals) until
   * the next receive, which takes it before any queued sender.
   *
   * The message: tag label {@link IRQ_LABEL}, one word, MR1 = line; badge -1; no reply capability.
   * @returns the thread woken, or -1.
   * @throws IpcArgumentError when line is not in 0..31.
   */
  signalIrq(line: number): ThreadId {
    if (!Number.isInteger(line) || line < 0 || line > 31) {
      throw new IpcArgumentError(`${this.name}.signalIrq(line=${line}): expected a line in 0..31`);
    }
    if (this.dead) return -1;
    const r = this.receivers.shift();
    if (r === -1) {
      this.irqs |= 1 << line;
      return -1;
    }
    this.deliverIrq(r, line);
    this.threads.finish(r, IpcStatus.Ok);
    return r;
  }

  /** Interrupt lines pending on this endpoint, as a bit mask. */
  get pendingIrqs(): number {
    return this.irqs >>> 0;
  }

  /** Receive the lowest pending line first: 0b1010 delivers line 1, then line 3. */
  private takeIrq(t: ThreadId): IpcStatus {
    const line = 31 - Math.clz32(this.irqs & -this.irqs);
    this.irqs &= ~(1 << line);
    this.deliverIrq(t, line);
    return IpcStatus.Ok;
  }

  private deliverIrq(t: ThreadId, line: number): void {
    const threads = this.threads;
    const b = t * MR_COUNT;
    this.mr[b] = makeTag({ label: IRQ_LABEL, words: 1 });
    this.mr[b + 1] = line;
    threads.longLen[t] = 0;
    threads.badge[t] = -1;
    threads.replyCap[t] = -1;
    threads.inItems[t] = null;
  }

  /**
   * Destroy the endpoint: every queued sender and receiver is woken with {@link IpcStatus.Closed}
   * (senders get their items back in `inItems`), later operations return Closed. Callers already
   * waiting for a reply are not affected: their server can still reply.
   * @returns the threads woken, in queue order (senders first).
   */
  destroy(): ThreadId[] {
    const woken: ThreadId[] = [];
    if (this.dead) return woken;
    this.dead = true;
    this.irqs = 0;
    for (let s = this.senders.shift(); s !== -1; s = this.senders.shift()) {
      this.returnItems(s);
      this.threads.finish(s, IpcStatus.Closed);
      woken.push(s);
    }
    for (let r = this.receivers.shift(); r !== -1; r = this.receivers.shift()) {
      this.threads.finish(r, IpcStatus.Closed);
      woken.push(r);
    }
    this.threads.tracer?.emit({ type: "ipc.destroy", object: this.name, woken: woken.length });
    return woken;
  }

  /** Blocker: take `t` off whichever queue holds it (timeout or cancel); a sender gets its items back. */
  detach(t: ThreadId): void {
    const st = this.threads.state[t];
    if (st === ThreadIpcState.SendBlocked) {
      this.senders.remove(t);
      this.returnItems(t);
    } else if (st === ThreadIpcState.RecvBlocked) {
      this.receivers.remove(t);
    }
  }

  /** Blocker: a queued sender exited with `items` in flight; the `dropItems` option, if any, releases them. */
  dropItems(items: readonly unknown[]): boolean {
    if (this.releaseItems === undefined) return false;
    this.releaseItems(items);
    return true;
  }

  /** Blocker: a queued thread's priority changed; a priority-ordered queue moves it. */
  priorityChanged(t: ThreadId): void {
    const st = this.threads.state[t];
    if (st === ThreadIpcState.SendBlocked) this.senders.reposition(t);
    else if (st === ThreadIpcState.RecvBlocked) this.receivers.reposition(t);
  }

  /** Throws {@link InvariantError} naming the first broken invariant of this endpoint. */
  checkInvariants(): void {
    if (this.senders.length > 0 && this.receivers.length > 0) {
      throw new InvariantError(
        `${this.name}: senders [${this.senders.toArray()}] and receivers [${this.receivers.toArray()}] wait at once (missed rendezvous)`,
      );
    }
    if (this.irqs !== 0 && this.receivers.length > 0) {
      throw new InvariantError(
        `${this.name}: irqs 0x${this.pendingIrqs.toString(16)} pending while receivers wait`,
      );
    }
    if (this.dead && this.senders.length + this.receivers.length > 0) {
      throw new InvariantError(`${this.name}: destroyed but threads still queued`);
    }
    this.senders.check(this, ThreadIpcState.SendBlocked, "senders");
    this.receivers.check(this, ThreadIpcState.RecvBlocked, "receivers");
  }

  private returnItems(s: ThreadId): void {
    const threads = this.threads;
    threads.inItems[s] = threads.outItems[s] ?? null;
    threads.outItems[s] = null;
  }

  /** Whether t's message is within the limits (checked before anything moves). */
  private fits(t: ThreadId, items: readonly unknown[] | null): boolean {
    // A registers-only message always fits: the common case costs one load and two tests.
    return ((this.mr[t * MR_COUNT]! & TAG_FLAG_LONG) === 0 && items === null) || this.withinLimits(t, items);
  }

  private withinLimits(t: ThreadId, items: readonly unknown[] | null): boolean {
    if (items !== null && items.length > MAX_MESSAGE_HANDLES) return false;
    if ((this.mr[t * MR_COUNT]! & TAG_FLAG_LONG) === 0) return true;
    const n = this.threads.longLen[t]!;
    return n >= 0 && n <= LONG_BUFFER_MAX;
  }

  /**
   * Copy the message from `from` to `to`: MR0..MRu, the long buffer if flagged, the items; the
   * delivered tag's `h` is the number of items moved. Word-by-word, as a kernel copies a UTCB.
   */
  private transfer(from: ThreadId, to: ThreadId, badge: number, items: readonly unknown[] | null): void {
    const tag = this.copyRegisters(from, to);
    const threads = this.threads;
    threads.badge[to] = badge;
    if (
      (tag & TAG_EXTRAS) === 0 &&
      items === null &&
      threads.inItems[to] === null &&
      threads.tracer === undefined
    ) {
      threads.longLen[to] = 0; // registers only: the short-IPC fast path
      return;
    }
    this.transferExtras(from, to, tag, items);
  }

  /** Copy MR0..MRu (u from the sender's tag) from `from` to `to`; returns the tag. */
  private copyRegisters(from: ThreadId, to: ThreadId): number {
    const mr = this.mr;
    const fb = from * MRS;
    const tb = to * MRS;
    const tag = mr[fb]!;
    const u = tag & U_MASK;
    // MR0..MRu as 64-bit moves, as a kernel's memcpy would (every thread's block starts 8-byte
    // aligned): u = 16 is 8 moves for MR0..MR15 plus one 32-bit move for MR16. BigInt64Array
    // moves are exact bit copies (a Float64Array could canonicalise NaN patterns), and V8 copies
    // them without allocating. Nothing past MRu is copied: the receiver never sees stale words.
    const mr64 = this.mr64;
    const pairs = (u + 1) >>> 1;
    const fp = fb >>> 1;
    const tp = tb >>> 1;
    for (let i = 0; i < pairs; i++) mr64[tp + i] = mr64[fp + i]!;
    if ((u & 1) === 0) mr[tb + u] = mr[fb + u]!;
    return tag;
  }

  /** The rest of a transfer: handle count in the tag, the long buffer, the items, the trace. */
  private transferExtras(from: ThreadId, to: ThreadId, tag: number, items: readonly unknown[] | null): void {
    const threads = this.threads;
    this.mr[to * MR_COUNT] =
      (tag & ~(TAG_H_MASK << TAG_H_SHIFT)) | ((items === null ? 0 : items.length) << TAG_H_SHIFT);
    const longBytes = (tag & TAG_FLAG_LONG) !== 0 ? copyLong(threads, from, to) : 0;
    threads.longLen[to] = longBytes;
    threads.inItems[to] = items;
    if (threads.tracer !== undefined) traceTransfer(threads, from, to, tag & TAG_U_MASK, longBytes);
  }
}

// Cold paths kept out of the hot functions, so that V8 inlines the whole rendezvous into its
// caller (its inlining budget counts bytecode, and message formatting is most of it).

function badTimeout(call: string, t: ThreadId, timeout: number): never {
  throw new IpcArgumentError(`${call}(thread=${t}, timeout=${timeout}): expected a timeout ≥ 0`);
}

function traceReply(threads: IpcThreads, from: ThreadId, to: ThreadId): void {
  threads.tracer?.emit({ type: "ipc.reply", from, to });
}

function traceTransfer(
  threads: IpcThreads,
  from: ThreadId,
  to: ThreadId,
  words: number,
  longBytes: number,
): void {
  threads.tracer?.emit({ type: "ipc.transfer", from, to, words, longBytes });
}

/** Copy the sender's long buffer (Codezero long IPC); returns its length. */
function copyLong(threads: IpcThreads, from: ThreadId, to: ThreadId): number {
  const n = threads.longLen[from]!;
  threads.longBuffer(to).set(threads.longBuffer(from).subarray(0, n));
  return n;
}
