/**
 * The reference model of a synchronous endpoint: the naive truth the commands of
 * `endpoint-commands.ts` hold a real endpoint to, and the setup that pairs a fresh model with a
 * fresh real endpoint for each run.
 *
 * The model is two arrays of queued thread ids (senders, receivers), one state per thread, and
 * the reply capabilities each thread holds. It knows nothing of intrusive lists or registers.
 *
 * ```
 *   idle ──send/call──▶ send ──delivered──▶ idle (send)  or  reply (call: waits for its reply)
 *   idle ──receive────▶ recv ──delivered──▶ idle, holding the message (and a reply cap if a call)
 * ```
 *
 * Related: `endpoint-commands.ts` (the commands and what they check), `endpoint-laws.ts`.
 */
import { IpcStatus, type QueueOrder, type SyncEndpoint } from "../api.js";
import { IpcThreads } from "../core/threads.js";

/** A model thread's state. */
export type MState = "idle" | "send" | "recv" | "reply";

/** A moved item (stands for a handle): identity proves "exactly once". */
export interface Item {
  readonly seq: number;
}

/** One model thread. */
export interface MThread {
  state: MState;
  call: boolean;
  deadline: number;
  /** Sequence number of the message it sends or last received. */
  msgSeq: number;
  item: Item | null;
  /** A caller's reply timeout (relative), armed when its call is received; Infinity = none. */
  replyTimeout: number;
  /** Reply capabilities held: [caller, cap value as observed]. */
  caps: Array<[number, number]>;
}

/** The naive endpoint model. */
export class EndpointModel {
  readonly t: MThread[];
  senders: number[] = [];
  receivers: number[] = [];
  now = 0;
  dead = false;
  seq = 1;
  /** Reply capabilities already used or revoked (for the Err twin). */
  readonly spentCaps: Array<[holder: number, cap: number]> = [];
  /** Items delivered so far (each must arrive once). */
  readonly delivered = new Set<Item>();

  constructor(
    readonly n: number,
    readonly order: QueueOrder,
    readonly prio: (t: number) => number,
  ) {
    this.t = Array.from({ length: n }, () => ({
      state: "idle" as MState,
      call: false,
      deadline: Infinity,
      msgSeq: 0,
      item: null,
      replyTimeout: Infinity,
      caps: [],
    }));
  }

  idle(): number[] {
    return this.t.flatMap((x, i) => (x.state === "idle" ? [i] : []));
  }

  enqueue(q: number[], t: number): void {
    if (this.order === "fifo") {
      q.push(t);
      return;
    }
    let i = q.length;
    while (i > 0 && this.prio(q[i - 1]!) < this.prio(t)) i--;
    q.splice(i, 0, t);
  }
}

/** The real side: threads, the endpoint under test, and the log of wakes. */
export interface EndpointReal {
  readonly threads: IpcThreads;
  readonly ep: SyncEndpoint;
  readonly wakes: Array<[number, IpcStatus]>;
}

/**
 * Deliver the message of sender `s` to receiver `to` in the model; returns the wakes it causes.
 * A caller enters its reply phase with the reply deadline counted from now (L4 X.2); with a reply
 * timeout of 0 the phase fails at once: ReplyTimedOut, and the receiver's capability is stale.
 */
export function modelDeliver(
  m: EndpointModel,
  s: number,
  to: number,
  cap: number,
): Array<[number, IpcStatus]> {
  const sender = m.t[s]!;
  const recv = m.t[to]!;
  recv.msgSeq = sender.msgSeq;
  sender.deadline = Infinity;
  if (sender.call) {
    if (sender.replyTimeout === 0) {
      sender.state = "idle";
      m.spentCaps.push([to, cap]);
      return [[s, IpcStatus.ReplyTimedOut]];
    }
    sender.state = "reply";
    sender.deadline = m.now + sender.replyTimeout;
    recv.caps.push([s, cap]);
    return [];
  }
  sender.state = "idle";
  return [[s, IpcStatus.Ok]];
}

/**
 * One model run's setup: a fresh model and a fresh real endpoint (a fresh pair per run, never
 * shared across runs).
 */
export function endpointSetup(
  factory: (threads: IpcThreads, order: QueueOrder) => SyncEndpoint,
  n: number,
  order: QueueOrder,
): () => { model: EndpointModel; real: EndpointReal } {
  const prio = (t: number) => (order === "priority" ? t % 3 : 0);
  return () => {
    const wakes: Array<[number, IpcStatus]> = [];
    const threads = new IpcThreads({ maxThreads: n, waker: { wake: (t, s) => wakes.push([t, s]) } });
    for (let t = 0; t < n; t++) threads.setPriority(t, prio(t));
    const ep = factory(threads, order);
    return { model: new EndpointModel(n, order, prio), real: { threads, ep, wakes } };
  };
}
