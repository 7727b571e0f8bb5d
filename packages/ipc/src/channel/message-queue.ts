/**
 * The bounded message queue behind one direction of a message-mode channel.
 *
 * Each message is a byte string plus the handles it carries (already taken out of the sender's
 * table, Zircon-style, so that in flight they belong to no process). The queue is bounded twice,
 * like Zircon's channel (message count) and jsix's (buffer bytes): a write that would exceed
 * either bound is refused whole, never split — a message is atomic.
 *
 * ```
 *   head                                   tail
 *   ┌─────────┬─────────┬─────────┐
 *   │ msg 0   │ msg 1   │ msg 2   │  …  (count ≤ maxMessages, Σ bytes ≤ maxBytes)
 *   └─────────┴─────────┴─────────┘
 *   shift() ◀                        ◀ push()
 * ```
 *
 * Invariants ({@link MessageQueue.checkInvariants}): `count ≤ maxMessages`; `bytes` equals the sum
 * of the queued messages' lengths and is ≤ maxBytes.
 *
 * Related: `byte-ring.ts` (stream mode), `channel.ts` (the object with two queues).
 */
import { InvariantError, IpcArgumentError } from "../errors.js";

/**
 * One queued message. `handles` are in-flight items: for channels, handles parked in the channel's
 * transit table while the message waits (they belong to neither process until it is read).
 */
export interface QueuedMessage<H> {
  readonly bytes: Uint8Array;
  readonly handles: readonly H[];
}

/** Options of {@link MessageQueue}. */
export interface MessageQueueOptions {
  /** Most messages queued at once. Default 64. */
  readonly maxMessages?: number;
  /** Most bytes queued at once (all messages together). Default 65536. */
  readonly maxBytes?: number;
}

/**
 * A FIFO of whole messages with two bounds.
 * @example
 * const q = new MessageQueue<number>({ maxMessages: 2, maxBytes: 8 });
 * q.push({ bytes: new Uint8Array(5), handles: [] });  // true
 * q.fits(4);                                          // false: 5 + 4 > 8 bytes
 */
export class MessageQueue<H> {
  /** Bound on the number of messages. */
  readonly maxMessages: number;
  /** Bound on the total bytes. */
  readonly maxBytes: number;
  private readonly items: QueuedMessage<H>[] = [];
  private head = 0;
  private byteCount = 0;

  /** @throws IpcArgumentError when a bound is not a positive integer. */
  constructor(options: MessageQueueOptions = {}) {
    this.maxMessages = options.maxMessages ?? 64;
    this.maxBytes = options.maxBytes ?? 65536;
    for (const [k, v] of [
      ["maxMessages", this.maxMessages],
      ["maxBytes", this.maxBytes],
    ] as const) {
      if (!Number.isInteger(v) || v < 1)
        throw new IpcArgumentError(`new MessageQueue(${k}=${v}): expected a positive integer`);
    }
  }

  /** Messages queued. */
  get count(): number {
    return this.items.length - this.head;
  }

  /** Bytes queued, all messages together. */
  get bytes(): number {
    return this.byteCount;
  }

  /** Whether a message of `length` bytes fits now. */
  fits(length: number): boolean {
    return this.count < this.maxMessages && this.byteCount + length <= this.maxBytes;
  }

  /** Whether any message of `length` bytes could ever fit (it is within `maxBytes`). */
  couldFit(length: number): boolean {
    return length <= this.maxBytes;
  }

  /** Queue `message` if it fits; returns whether it did (a refused push changes nothing). */
  push(message: QueuedMessage<H>): boolean {
    if (!this.fits(message.bytes.length)) return false;
    this.items.push(message);
    this.byteCount += message.bytes.length;
    return true;
  }

  /** The oldest message, without removing it. */
  peek(): QueuedMessage<H> | undefined {
    return this.items[this.head];
  }

  /** Remove and return the oldest message. */
  shift(): QueuedMessage<H> | undefined {
    const m = this.items[this.head];
    if (m === undefined) return undefined;
    this.head++;
    this.byteCount -= m.bytes.length;
    // Compact once the consumed prefix dominates, so shift stays amortised O(1).
    if (this.head > 32 && this.head * 2 > this.items.length) {
      this.items.splice(0, this.head);
      this.head = 0;
    }
    return m;
  }

  /** The queued messages, oldest first (a copy of the list; the messages are shared). */
  toArray(): QueuedMessage<H>[] {
    return this.items.slice(this.head);
  }

  /** Remove every message and return them oldest first (their handles must be closed by the caller). */
  drain(): QueuedMessage<H>[] {
    const out = this.items.slice(this.head);
    this.items.length = 0;
    this.head = 0;
    this.byteCount = 0;
    return out;
  }

  /** Throws {@link InvariantError} naming the first broken invariant. */
  checkInvariants(): void {
    if (this.count > this.maxMessages)
      throw new InvariantError(`message queue: ${this.count} messages > bound ${this.maxMessages}`);
    let sum = 0;
    for (let i = this.head; i < this.items.length; i++) sum += this.items[i]!.bytes.length;
    if (sum !== this.byteCount)
      throw new InvariantError(`message queue: byte count ${this.byteCount}, messages hold ${sum}`);
    if (sum > this.maxBytes) throw new InvariantError(`message queue: ${sum} bytes > bound ${this.maxBytes}`);
  }
}
