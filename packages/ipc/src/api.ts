/**
 * The IPC contract: what an operation returns, how a blocked thread is woken, and the constants.
 *
 * The ipc layer never runs threads. A kernel's trap loop calls an operation on behalf of the
 * running thread and gets back a status code:
 *
 * ```
 *   trap loop                          ipc object                      waker (kernel)
 *   ─────────                          ──────────                      ──────────────
 *   r = ep.call(t, tag)  ───────────▶  partner waiting? copy MRs,
 *                                      waker.wake(partner, Ok) ──────▶ make partner READY,
 *                                                                       resume it with Ok
 *                       ◀─────────── Blocked (t is now queued in ipc)
 *   r === Blocked: sched.block(t)      ... later, a partner arrives ...
 *                                      waker.wake(t, Ok | TimedOut  ──▶ make t READY, resume
 *                                                  | Closed | …)        it with that status
 *   r === Ok / WouldBlock / error:
 *     resume t at once with r
 * ```
 *
 * Rules of the contract (every object in this package keeps them):
 *
 * 1. An operation returns {@link IpcStatus.Blocked} if and only if it queued the calling thread.
 *    Exactly one later `wake(t, status)` call ends that wait; `status` is never `Blocked`.
 * 2. `wake` is called synchronously from inside an ipc operation (or from
 *    {@link IpcThreads.advanceTo} / {@link IpcThreads.cancel}); the waker must only record the
 *    thread as runnable, never call back into ipc.
 * 3. A thread's data results live in its IPC state, as in L4's UTCB: message registers, the
 *    received badge, reply capability and long-buffer length (see {@link IpcThreads}). The status
 *    says whether they are valid.
 * 4. Results are numbers on the endpoint hot path (no allocation per message); the slower
 *    objects (channels, page transfer) return discriminated unions with evidence.
 *
 * Related: `core/threads.ts` (per-thread IPC state and wait lists), `endpoint/endpoint.ts`.
 */

/**
 * A thread as the ipc layer knows it: an index 0..maxThreads-1 into {@link IpcThreads}. The kernel
 * maps its own thread objects onto these indices.
 */
export type ThreadId = number;

/**
 * Status codes of IPC operations and wake-ups (stable numbers: they are what a simulated system
 * call returns to user space, like jsix's `j6_status_t`).
 */
export const IpcStatus = {
  /** The operation completed; results are in the thread's IPC state. */
  Ok: 0,
  /** The calling thread is now queued; a later `wake` ends the wait (never a wake status). */
  Blocked: 1,
  /** A zero-timeout operation found no partner; nothing changed. */
  WouldBlock: 2,
  /** The deadline passed before a partner came. */
  TimedOut: 3,
  /** The object the thread used or waited on was destroyed (endpoint closed). */
  Closed: 4,
  /** The other end of a channel is gone. */
  PeerClosed: 5,
  /** The thread that held this caller's reply capability died without replying. */
  ReplyDropped: 6,
  /** The wait was cancelled by the kernel (the thread is being killed or interrupted). */
  Cancelled: 7,
  /** Reply with a capability that is unknown or already used (replying twice). */
  InvalidReplyCap: 8,
  /** A futex wait found the word already different from the expected value. */
  ValueMismatch: 9,
  /** The message exceeds a size limit (long buffer over 2 KiB, too many handles); nothing moved. */
  TooLarge: 10,
  /**
   * A call's reply did not come within its reply timeout: L4 X.2's timeout in the receive phase
   * (its error code's phase bit = 1). Unlike {@link IpcStatus.TimedOut} (the send phase), the
   * server did receive the message; the reply capability is revoked, so its late reply gets
   * {@link IpcStatus.InvalidReplyCap}.
   */
  ReplyTimedOut: 11,
} as const;
/** One of the {@link IpcStatus} codes. */
export type IpcStatus = (typeof IpcStatus)[keyof typeof IpcStatus];

const STATUS_NAMES: readonly string[] = [
  "ok",
  "blocked",
  "would-block",
  "timed-out",
  "closed",
  "peer-closed",
  "reply-dropped",
  "cancelled",
  "invalid-reply-cap",
  "value-mismatch",
  "too-large",
  "reply-timed-out",
];

/**
 * The readable name of a status code, for traces and error messages.
 * @example ipcStatusName(IpcStatus.TimedOut) === "timed-out"
 */
export function ipcStatusName(status: number): string {
  return STATUS_NAMES[status] ?? `unknown(${status})`;
}

/**
 * How the ipc layer hands a blocked thread back to the kernel. Implemented by the kernel (or by a
 * test harness); called exactly once per {@link IpcStatus.Blocked} result (rule 1 above).
 */
export interface Waker {
  /**
   * Make `thread` runnable; its blocked operation finished with `status`.
   * Must not call back into the ipc layer (rule 2).
   */
  wake(thread: ThreadId, status: IpcStatus): void;
}

/** Timeout meaning "never block": the operation returns {@link IpcStatus.WouldBlock} instead. */
export const NO_WAIT = 0;
/** Timeout meaning "wait until a partner comes or the object dies". */
export const FOREVER = Number.POSITIVE_INFINITY;

/**
 * Message registers per thread, MR0 included (L4 X.2 has 64; MR0 holds the tag). The 64-byte
 * messages of the ping-pong benchmark use MR1..MR16.
 */
export const MR_COUNT = 64;
/** Largest long-IPC buffer, in bytes (Codezero's long IPC moves up to 2 KiB in one message). */
export const LONG_BUFFER_MAX = 2048;
/** Largest number of handles in one endpoint message (tag field `h` has 4 bits). */
export const MAX_MESSAGE_HANDLES = 15;

/** Order of a queue of blocked threads. */
export type QueueOrder = "fifo" | "priority";

/**
 * Anything that emits typed events. Structural, so a kernel's tracer needs no import of ours
 * (CONTRIBUTING.md, "Tracing").
 */
export interface Tracer<E extends { readonly type: string }> {
  emit(event: E): void;
}

/** The events this package emits. All fields are plain data. */
export type IpcEvent =
  | { readonly type: "ipc.block"; readonly thread: ThreadId; readonly object: string; readonly op: string }
  | { readonly type: "ipc.wake"; readonly thread: ThreadId; readonly status: string }
  | {
      readonly type: "ipc.transfer";
      readonly from: ThreadId;
      readonly to: ThreadId;
      readonly words: number;
      readonly longBytes: number;
    }
  | { readonly type: "ipc.reply"; readonly from: ThreadId; readonly to: ThreadId }
  | { readonly type: "ipc.destroy"; readonly object: string; readonly woken: number }
  | { readonly type: "ipc.notify"; readonly object: string; readonly bits: number }
  | { readonly type: "ipc.futex"; readonly op: "wait" | "wake"; readonly key: number; readonly count: number }
  | { readonly type: "ipc.pages"; readonly mode: "move" | "share" | "copy"; readonly pages: number };

/**
 * A synchronous rendezvous endpoint, as the laws see it (`@osbricks/ipc/laws`,
 * `endpointLaws`). {@link Endpoint} implements it; a student's endpoint over the same
 * `IpcThreads` can run the same laws. Operations follow the contract of this file; message data
 * lives in the threads' registers.
 */
export interface SyncEndpoint {
  /** Send t's message; Ok if a receiver took it at once, Blocked, WouldBlock, TooLarge or Closed. */
  send(t: ThreadId, timeout?: number, badge?: number, items?: readonly unknown[] | null): IpcStatus;
  /**
   * Send, then await the reply through a one-shot reply capability given to the receiver. As L4
   * X.2's `Ipc`, two timeouts: `timeout` bounds the send phase (the wait for a receiver: TimedOut),
   * `replyTimeout` the receive phase, counted from the moment the receiver took the message
   * (ReplyTimedOut). Both default to FOREVER; an implementation without reply timeouts may omit
   * the last parameter.
   */
  call(
    t: ThreadId,
    timeout?: number,
    badge?: number,
    items?: readonly unknown[] | null,
    replyTimeout?: number,
  ): IpcStatus;
  /** Take a message (Ok), or queue (Blocked), WouldBlock, Closed. */
  receive(t: ThreadId, timeout?: number): IpcStatus;
  /** Answer a call through its reply capability; Ok, InvalidReplyCap or TooLarge. Never blocks. */
  reply(t: ThreadId, cap: number, items?: readonly unknown[] | null): IpcStatus;
  /** Reply, then receive, in one operation. */
  replyReceive(t: ThreadId, cap: number, timeout?: number): IpcStatus;
  /** Wake every queued thread with Closed; later operations return Closed. */
  destroy(): ThreadId[];
  /** Threads queued to send, in service order. */
  queuedSenders(): ThreadId[];
  /** Threads queued to receive, in service order. */
  queuedReceivers(): ThreadId[];
  /** Throws on a broken invariant. */
  checkInvariants(): void;
}
