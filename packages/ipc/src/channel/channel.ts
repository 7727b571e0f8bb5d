/**
 * Channels: a pair of kernel objects (jsix's and Zircon's channel), each end a handle-named
 * {@link KernelObject} of `@osbricks/objects`, each direction a bounded queue.
 *
 * ```
 *        end A                                        end B
 *   write(A, msg) ──▶ B.inbound [m1 m2 …]  ──▶ read(B)
 *   read(A)  ◀── A.inbound [ …      ]  ◀────── write(B, msg)
 *
 *   signals of an end:  readable    its inbound queue is non-empty
 *                       writable    the peer is open and its inbound queue has room
 *                       PEER_CLOSED the peer is gone (set once, never cleared)
 * ```
 *
 * Two modes, fixed at creation:
 * - **message**: each write queues one whole message (bytes + handles) or nothing; a read takes
 *   one whole message or nothing (`buffer-too-small` leaves it queued, as Zircon does).
 * - **stream**: a byte pipe; a write moves what fits and reports how much, a read moves what is
 *   there up to the buffer (jsix's stream channels). No handles.
 *
 * **Handles move Zircon-style**: a write first checks every handle (open, TRANSFER right, not one of
 * this channel's ends, no duplicates) and only then moves them all, out of the writer's table into
 * the channel's own in-kernel transit table, with `HandleTable.moveTo`; so a refused write leaves
 * every handle with the writer, and a successful one leaves none. In flight a handle keeps its
 * place in the derivation tree (revoking its parent kills it there too). A read moves them into
 * the reader's table (after checking it has room). Messages still queued when their reader's end
 * closes are dropped and their handles closed.
 *
 * **Blocking** is the objects layer's: a `would-block` result names the signals to wait for
 * (always with PEER_CLOSED), the kernel waits with `objectWait` and retries; so closing one end
 * wakes every waiter of the other with PEER_CLOSED observed, and the retry reports `peer-closed`.
 *
 * Invariants ({@link ChannelEnd.checkInvariants}): each end's signals match its queues and its
 * peer; the transit table holds exactly the handles of queued messages.
 *
 * Related: `message-queue.ts`, `byte-ring.ts`, `../kobjects/ipc-types.ts`.
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
  Signal,
  type Signals,
  SlotHandleTable,
  type TableFull,
  type WrongType,
} from "@osbricks/objects";
import { InvariantError, IpcArgumentError } from "../errors.js";
import { CHANNEL_READABLE, CHANNEL_WRITABLE, type IpcObjectTypes } from "../kobjects/ipc-types.js";
import { ByteRing } from "./byte-ring.js";
import { MessageQueue } from "./message-queue.js";

/** Most handles in one channel message (Zircon's ZX_CHANNEL_MAX_MSG_HANDLES is 64). */
export const MAX_CHANNEL_HANDLES = 64;

/**
 * Most bytes in one channel message, whatever the queue holds (Zircon's
 * ZX_CHANNEL_MAX_MSG_BYTES is 65536). A message-mode write over it, or over the channel's own
 * `maxBytes` when that is smaller, is `too-large`; a stream channel has no messages and no such
 * limit.
 */
export const MAX_CHANNEL_MESSAGE_BYTES = 65536;

/** Options of {@link createChannel}. */
export interface ChannelOptions {
  /** "message" (whole messages with handles) or "stream" (bytes, partial transfers). Default "message". */
  readonly mode?: "message" | "stream";
  /** Message mode: most messages queued per direction. Default 64. */
  readonly maxMessages?: number;
  /**
   * Message mode: most bytes queued per direction; a message may be as large as this or
   * {@link MAX_CHANNEL_MESSAGE_BYTES}, whichever is smaller. Stream mode: ring size. Default 65536.
   */
  readonly maxBytes?: number;
}

/** A handle that could not be transferred; the write changed nothing. */
export interface BadTransfer {
  readonly kind: "bad-transfer";
  /** Position of the offending handle in the list. */
  readonly index: number;
  readonly handle: number;
  /**
   * `bad-handle`: not open; `access-denied`: no TRANSFER right; `self`: an end of this very
   * channel; `duplicate`: listed twice; `stream`: stream channels carry no handles.
   */
  readonly reason: "bad-handle" | "access-denied" | "self" | "duplicate" | "stream";
}

/** Result of {@link channelWrite} / {@link ChannelEnd.write}. */
export type ChannelWriteResult =
  | { readonly kind: "ok"; readonly bytes: number; readonly handles: number }
  | { readonly kind: "would-block"; readonly waitFor: Signals }
  | { readonly kind: "peer-closed" }
  | { readonly kind: "too-large"; readonly bytes: number; readonly limit: number }
  | { readonly kind: "too-many-handles"; readonly count: number; readonly limit: number }
  | BadTransfer
  | BadHandle
  | WrongType
  | AccessDenied;

/** Result of {@link channelRead} / {@link ChannelEnd.read}. */
export type ChannelReadResult =
  | { readonly kind: "ok"; readonly bytes: Uint8Array; readonly handles: readonly Handle[] }
  | { readonly kind: "would-block"; readonly waitFor: Signals }
  | { readonly kind: "peer-closed" }
  | { readonly kind: "buffer-too-small"; readonly bytes: number; readonly handles: number }
  | TableFull
  | BadHandle
  | WrongType
  | AccessDenied;

/** State shared by the two ends. */
interface Pair {
  readonly transit: SlotHandleTable;
  open: number;
}

/** One end of a channel (build pairs with {@link createChannel}). */
export class ChannelEnd extends KernelObject {
  /** "message" or "stream". */
  readonly mode: "message" | "stream";
  private peerEnd: ChannelEnd | null = null;
  private readonly messages: MessageQueue<Handle> | null;
  private readonly ring: ByteRing | null;
  private readonly readable: Signals;
  private readonly writable: Signals;
  private readonly pair: Pair;
  private closed = false;

  /** @internal Use {@link createChannel}. */
  constructor(
    space: ObjectSpace,
    type: ObjectType<ChannelEnd>,
    mode: "message" | "stream",
    options: ChannelOptions,
    pair: Pair,
  ) {
    super(space, type);
    this.mode = mode;
    this.pair = pair;
    this.readable = type.signal(CHANNEL_READABLE);
    this.writable = type.signal(CHANNEL_WRITABLE);
    if (mode === "message") {
      this.messages = new MessageQueue<Handle>(options);
      this.ring = null;
    } else {
      this.messages = null;
      this.ring = new ByteRing(options.maxBytes ?? 65536);
    }
  }

  /** The other end, or null once it closed. */
  get peer(): ChannelEnd | null {
    return this.peerEnd;
  }

  /** Messages (message mode) or bytes (stream mode) waiting to be read at this end. */
  get pending(): number {
    return this.messages !== null ? this.messages.count : this.ring!.length;
  }

  /**
   * Write `bytes` and move `handles` from `from` (the writer's table) to the peer. The kernel has
   * already checked the writer's handle to this end (see {@link channelWrite}).
   * @returns ok with the bytes moved (message mode: all; stream mode: what fitted, ≥ 1 unless
   *   `bytes` is empty), or why nothing moved.
   */
  write(from: HandleTable, bytes: Uint8Array, handles: readonly number[] = []): ChannelWriteResult {
    const peer = this.peerEnd;
    if (peer === null) return { kind: "peer-closed" };
    if (this.mode === "stream") {
      if (handles.length > 0)
        return { kind: "bad-transfer", index: 0, handle: handles[0]!, reason: "stream" };
      const n = peer.ring!.write(bytes);
      if (n === 0 && bytes.length > 0)
        return { kind: "would-block", waitFor: this.writable | Signal.PEER_CLOSED };
      this.refresh();
      peer.refresh();
      return { kind: "ok", bytes: n, handles: 0 };
    }
    const q = peer.messages!;
    if (bytes.length > MAX_CHANNEL_MESSAGE_BYTES || !q.couldFit(bytes.length)) {
      return {
        kind: "too-large",
        bytes: bytes.length,
        limit: Math.min(q.maxBytes, MAX_CHANNEL_MESSAGE_BYTES),
      };
    }
    if (handles.length > MAX_CHANNEL_HANDLES) {
      return { kind: "too-many-handles", count: handles.length, limit: MAX_CHANNEL_HANDLES };
    }
    // Check every handle before moving any: all move or none.
    for (let i = 0; i < handles.length; i++) {
      const h = handles[i]!;
      const r = from.lookup(h, null, Right.TRANSFER);
      if (r.kind !== "ok") {
        return {
          kind: "bad-transfer",
          index: i,
          handle: h,
          reason: r.kind === "access-denied" ? "access-denied" : "bad-handle",
        };
      }
      if (r.object === this || r.object === peer)
        return { kind: "bad-transfer", index: i, handle: h, reason: "self" };
      if (handles.indexOf(h) !== i) return { kind: "bad-transfer", index: i, handle: h, reason: "duplicate" };
    }
    if (!q.fits(bytes.length) || this.pair.transit.capacity - this.pair.transit.size < handles.length) {
      return { kind: "would-block", waitFor: this.writable | Signal.PEER_CLOSED };
    }
    const moved: Handle[] = [];
    for (const h of handles) {
      const r = from.moveTo(h, this.pair.transit);
      // Checked above; a failure here would be a bug in the handle table.
      if (r.kind !== "ok")
        throw new InvariantError(`channel write: moving checked handle ${h} failed (${r.kind})`);
      moved.push(r.handle);
    }
    q.push({ bytes: bytes.slice(), handles: moved });
    this.refresh();
    peer.refresh();
    return { kind: "ok", bytes: bytes.length, handles: moved.length };
  }

  /**
   * Read at this end into `to` (the reader's table): one whole message, or up to `maxBytes` bytes
   * in stream mode.
   * @param maxBytes the reader's buffer size.
   * @param maxHandles the reader's handle buffer size (message mode).
   */
  read(to: HandleTable, maxBytes: number, maxHandles = MAX_CHANNEL_HANDLES): ChannelReadResult {
    if (!Number.isInteger(maxBytes) || maxBytes < 0 || !Number.isInteger(maxHandles) || maxHandles < 0) {
      throw new IpcArgumentError(
        `${this}.read(maxBytes=${maxBytes}, maxHandles=${maxHandles}): expected integers ≥ 0`,
      );
    }
    if (this.mode === "stream") {
      const ring = this.ring!;
      if (ring.length === 0) {
        return this.peerEnd === null
          ? { kind: "peer-closed" }
          : { kind: "would-block", waitFor: this.readable | Signal.PEER_CLOSED };
      }
      const out = new Uint8Array(Math.min(maxBytes, ring.length));
      ring.read(out);
      this.refresh();
      this.peerEnd?.refresh();
      return { kind: "ok", bytes: out, handles: [] };
    }
    const q = this.messages!;
    const m = q.peek();
    if (m === undefined) {
      return this.peerEnd === null
        ? { kind: "peer-closed" }
        : { kind: "would-block", waitFor: this.readable | Signal.PEER_CLOSED };
    }
    if (m.bytes.length > maxBytes || m.handles.length > maxHandles) {
      return { kind: "buffer-too-small", bytes: m.bytes.length, handles: m.handles.length };
    }
    if (to.capacity - to.size < m.handles.length)
      return { kind: "table-full", table: to.id, capacity: to.capacity };
    q.shift();
    const handles: Handle[] = [];
    for (const h of m.handles) {
      const r = this.pair.transit.moveTo(h, to);
      if (r.kind !== "ok")
        throw new InvariantError(`channel read: moving in-flight handle ${h} failed (${r.kind})`);
      handles.push(r.handle);
    }
    this.refresh();
    this.peerEnd?.refresh();
    return { kind: "ok", bytes: m.bytes, handles };
  }

  /** Recompute readable / writable from the queues (signals are state, set to match it). */
  private refresh(): void {
    if (this.state === "destroyed") return;
    let want = 0;
    if (this.pending > 0) want |= this.readable;
    const peer = this.peerEnd;
    if (peer !== null) {
      const room = peer.messages !== null ? peer.messages.fits(0) : peer.ring!.free > 0;
      if (room) want |= this.writable;
    }
    const have = this.signals & (this.readable | this.writable);
    if (want !== have) this.updateSignals(have & ~want, want & ~have);
  }

  /** The end goes away: its queued messages are dropped (their handles closed), the peer sees PEER_CLOSED. */
  private close(): void {
    if (this.closed) return;
    this.closed = true;
    if (this.messages !== null) {
      for (const m of this.messages.drain()) for (const h of m.handles) this.pair.transit.close(h);
    }
    const peer = this.peerEnd;
    this.peerEnd = null;
    if (peer !== null) {
      peer.peerEnd = null;
      if (peer.state !== "destroyed") {
        peer.refresh();
        peer.assertSignals(Signal.PEER_CLOSED);
      }
    }
    if (--this.pair.open === 0) this.pair.transit.dispose();
  }

  protected override onNoHandles(): void {
    this.close();
  }

  protected override onDead(): void {
    this.close();
  }

  /** Throws {@link InvariantError} naming the first broken invariant of this end (and the base object's). */
  override checkInvariants(): void {
    super.checkInvariants();
    if (this.state === "destroyed") return;
    this.messages?.checkInvariants();
    this.ring?.checkInvariants();
    const readable = (this.signals & this.readable) !== 0;
    if (readable !== this.pending > 0)
      throw new InvariantError(`${this}: readable=${readable} with ${this.pending} pending`);
    if (this.peerEnd === null && !this.closed && (this.signals & Signal.PEER_CLOSED) === 0) {
      throw new InvariantError(`${this}: peer gone but PEER_CLOSED not asserted`);
    }
    if (this.peerEnd !== null && this.peerEnd.peerEnd !== this)
      throw new InvariantError(`${this}: peer does not point back`);
    if (this.messages !== null && !this.closed) {
      let inFlight = 0;
      for (const m of [this.messages, this.peerEnd?.messages ?? null]) {
        if (m === null) continue;
        for (const msg of m.toArray()) inFlight += msg.handles.length;
      }
      if (inFlight !== this.pair.transit.size) {
        throw new InvariantError(
          `${this}: ${inFlight} handles in queued messages, ${this.pair.transit.size} in transit`,
        );
      }
    }
  }

  /** @internal Link two fresh ends. */
  static link(a: ChannelEnd, b: ChannelEnd): void {
    a.peerEnd = b;
    b.peerEnd = a;
    a.refresh();
    b.refresh();
  }
}

/**
 * Create a channel: two linked ends with no handles yet (hand each to a table with
 * `table.create(end, rights)`; an end is destroyed when its last handle closes).
 * @throws IpcArgumentError naming the option for an unknown mode or a `maxMessages` / `maxBytes`
 *   that is not a positive integer; nothing is created then.
 * @example
 * const space = new ObjectSpace();
 * const types = defineIpcTypes(space);
 * const [a, b] = createChannel(space, types);
 * const ta = new SlotHandleTable(space);
 * const ha = ta.create(a, Right.READ | Right.WRITE | Right.WAIT);
 */
export function createChannel(
  space: ObjectSpace,
  types: IpcObjectTypes,
  options: ChannelOptions = {},
): [ChannelEnd, ChannelEnd] {
  const mode = options.mode ?? "message";
  const maxMessages = options.maxMessages ?? 64;
  // Every option is checked before the transit table and the two ends are registered in the
  // space: a refused call must leave no half-built object behind.
  if (mode !== "message" && mode !== "stream")
    throw new IpcArgumentError(`createChannel(mode=${String(mode)}): expected "message" or "stream"`);
  for (const [what, v] of [
    ["maxMessages", maxMessages],
    ["maxBytes", options.maxBytes ?? 65536],
  ] as const) {
    if (!Number.isInteger(v) || v < 1)
      throw new IpcArgumentError(`createChannel(${what}=${v}): expected a positive integer`);
  }
  const pair: Pair = {
    transit: new SlotHandleTable(space, {
      capacity: Math.min(2 * maxMessages * MAX_CHANNEL_HANDLES, 1 << 16),
    }),
    open: 2,
  };
  const a = new ChannelEnd(space, types.channel, mode, options, pair);
  const b = new ChannelEnd(space, types.channel, mode, options, pair);
  ChannelEnd.link(a, b);
  return [a, b];
}

/**
 * The `channel_write` system call: check the writer's handle (type channel, right WRITE), then
 * {@link ChannelEnd.write}.
 */
export function channelWrite(
  table: HandleTable,
  types: IpcObjectTypes,
  handle: number,
  bytes: Uint8Array,
  handles: readonly number[] = [],
): ChannelWriteResult {
  const r = table.lookup(handle, types.channel, Right.WRITE);
  if (r.kind !== "ok") return r;
  return r.object.write(table, bytes, handles);
}

/**
 * The `channel_read` system call: check the reader's handle (type channel, right READ), then
 * {@link ChannelEnd.read}.
 */
export function channelRead(
  table: HandleTable,
  types: IpcObjectTypes,
  handle: number,
  maxBytes: number,
  maxHandles = MAX_CHANNEL_HANDLES,
): ChannelReadResult {
  const r = table.lookup(handle, types.channel, Right.READ);
  if (r.kind !== "ok") return r;
  return r.object.read(table, maxBytes, maxHandles);
}
