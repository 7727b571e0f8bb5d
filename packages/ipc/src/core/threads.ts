/**
 * Per-thread IPC state (L4's TCB IPC fields plus its UTCB) and the intrusive wait lists that queue
 * blocked threads on endpoints, notifications and futexes.
 *
 * One `IpcThreads` serves a whole simulated kernel. Its fields are struct-of-arrays indexed by
 * thread id, so the endpoint hot path touches typed arrays only:
 *
 * ```
 *  thread t:  state[t]   Idle | SendBlocked | RecvBlocked | ReplyBlocked | Waiting
 *             qNext[t] qPrev[t]        links in the one WaitList t is on (-1 = none)
 *             deadline[t]               absolute simulated cycle, Infinity = none
 *             blockedOn[t]              the Blocker whose list holds t (null when Idle)
 *             mr[t*64 .. t*64+63]      message registers, MR0 = tag
 *             badge[t] replyCap[t]      what the last receive delivered
 *             long[t] longLen[t]        long-IPC buffer (up to 2 KiB, allocated on first use)
 *             word[t]                   result word (notification bits)
 * ```
 *
 * Invariants (checked by {@link IpcThreads.checkInvariants}):
 * - a thread is Idle iff `blockedOn[t] === null`, and then it is on no list;
 * - a thread with a finite deadline is blocked and is in the timed set exactly once;
 * - every WaitList is a well-formed doubly linked list whose members name it as their blocker's
 *   list (checked by each owner through {@link WaitList.check}).
 *
 * Related: `wait-list.ts` (the queues these links form), `../api.ts` (the waking contract),
 * `../endpoint/endpoint.ts`, `../futex/futex.ts`.
 */
import {
  type IpcEvent,
  IpcStatus,
  ipcStatusName,
  LONG_BUFFER_MAX,
  MR_COUNT,
  type ThreadId,
  type Tracer,
  type Waker,
} from "../api.js";
import { InvariantError, IpcArgumentError, IpcStateError } from "../errors.js";

/** What a thread is doing in the ipc layer. All transitions go through {@link IpcThreads.block} and {@link IpcThreads.finish}. */
export const ThreadIpcState = {
  /** Not blocked in ipc (running, runnable, or blocked elsewhere). */
  Idle: 0,
  /** Queued on an endpoint with a message to send (send or the first half of call). */
  SendBlocked: 1,
  /** Queued on an endpoint, waiting for a message. */
  RecvBlocked: 2,
  /** Its call was received; waiting for the reply (holds no list). */
  ReplyBlocked: 3,
  /** Waiting on a notification or a futex word. */
  Waiting: 4,
} as const;
/** One of the {@link ThreadIpcState} values. */
export type ThreadIpcState = (typeof ThreadIpcState)[keyof typeof ThreadIpcState];

// Module-local copies of the states the per-trap methods test (`checkRunnable`, `finish`,
// `awaitReply`): an exported or imported binding is a live cell that V8 reloads and checks for
// the temporal dead zone at every use, while a module-local `const` number is folded into the
// optimised code. Measured on the ipc baseline (package README, "Speed").
const IDLE = ThreadIpcState.Idle;
const REPLY_BLOCKED = ThreadIpcState.ReplyBlocked;

/**
 * An object that can hold blocked threads. {@link IpcThreads.cancel} and timeouts call `detach`
 * to take the thread off the object's list before waking it.
 */
export interface Blocker {
  /** Short name for traces and errors, e.g. `"endpoint#3"`. */
  readonly name: string;
  /** Remove `t` from this object's wait list and drop anything it had in flight. */
  detach(t: ThreadId): void;
  /**
   * `t`'s priority changed while it waits here: a priority-ordered list moves it to its new place
   * (seL4 reorders an endpoint's queue when a queued thread's priority changes). Optional: an
   * object whose lists are FIFO only needs nothing.
   */
  priorityChanged?(t: ThreadId): void;
  /**
   * `items` were in flight with a queued sender whose thread exited ({@link IpcThreads.threadExit}):
   * nobody will collect them, so the object releases them (an endpoint behind handles closes the
   * handles parked in its transit table, as Zircon closes the handles of an unread message).
   * @returns whether it released them; when not (or without this method) they stay in the dead
   *   thread's `inItems` for the kernel to release, and the endpoint laws check they are there.
   */
  dropItems?(items: readonly unknown[]): boolean;
}

/** Options of {@link IpcThreads}. */
export interface IpcThreadsOptions {
  /** Number of thread slots, ids 0..maxThreads-1. Default 256. */
  readonly maxThreads?: number;
  /** Who turns wake-ups into runnable threads (the kernel, or a test harness). Required. */
  readonly waker: Waker;
  /** Receives {@link IpcEvent}s. Default: none. */
  readonly tracer?: Tracer<IpcEvent>;
}

/** The largest {@link IpcStatus} code. */
const MAX_STATUS = Math.max(...Object.values(IpcStatus));

/** The deadline of a wait without timeout. */
const NO_DEADLINE = Number.POSITIVE_INFINITY;

/** Most thread slots: thread ids fit in the low 16 bits of a reply capability. */
export const MAX_THREADS = 1 << 16;

/** The blocker of a thread whose call was received and that now waits for the reply. */
const REPLY_WAIT: Blocker = { name: "reply", detach: () => {} };

/**
 * The IPC half of every thread's control block, for all threads of one simulated kernel.
 *
 * @example
 * const woken: number[] = [];
 * const threads = new IpcThreads({ maxThreads: 4, waker: { wake: (t) => woken.push(t) } });
 * threads.setPriority(2, 10);
 * threads.mrs(1)[1] = 42;          // MR1 of thread 1
 */
export class IpcThreads {
  /** Number of thread slots. */
  readonly maxThreads: number;
  /** Per-thread {@link ThreadIpcState}. Read-only for callers. */
  readonly state: Uint8Array;
  /** Next link in the thread's wait list, -1 at the tail or when on no list. */
  readonly qNext: Int32Array;
  /** Previous link in the thread's wait list, -1 at the head or when on no list. */
  readonly qPrev: Int32Array;
  /** Scheduling priority used by priority-ordered queues (higher first). Default 0. */
  readonly prio: Int32Array;
  /** Absolute deadline of the current wait in simulated cycles; Infinity when none. */
  readonly deadline: Float64Array;
  /** Message registers, {@link MR_COUNT} words per thread; MR0 is the tag. */
  readonly mr: Int32Array;
  /** Badge of the endpoint capability the last received message came through. */
  readonly badge: Float64Array;
  /** Reply capability delivered by the last received call, or -1. */
  readonly replyCap: Float64Array;
  /** Bytes valid in the thread's long buffer after the last transfer. */
  readonly longLen: Int32Array;
  /** Result word (collected notification bits). */
  readonly word: Int32Array;
  /**
   * Generation of the thread's reply capability; bumped each time one is used or revoked
   * ({@link IpcThreads.finish} of a ReplyBlocked caller, {@link IpcThreads.revokeUnawaitedReply}).
   *
   * @remarks The rule every endpoint keeps: a reply capability for caller `c` is valid exactly
   * while `c` is ReplyBlocked, `replyHolder[c]` is the replying thread, and the generation the
   * capability was issued with equals `replyGen[c]`. The encoding is the endpoint's own (ours:
   * `(replyGen[c] & 0x7fff) << 16 | c`), but its validity must come from these two fields, because
   * `cancel`, `threadExit` and timeouts revoke through them and nothing else; the endpoint laws'
   * directed reply-capability law checks it.
   */
  readonly replyGen: Uint32Array;
  /**
   * Thread holding this thread's reply capability while it is ReplyBlocked (set by
   * {@link IpcThreads.awaitReply}), else -1 (cleared by {@link IpcThreads.finish}).
   */
  readonly replyHolder: Int32Array;
  /** Operation flags of a SendBlocked thread (bit 0: it is a call). */
  readonly sendFlags: Uint8Array;
  /** Badge a SendBlocked thread sends with. */
  readonly sendBadge: Float64Array;
  /** Reply timeout (relative cycles, Infinity = none) of a SendBlocked caller, armed when its call is received. */
  readonly sendReplyTimeout: Float64Array;
  /** Items (handles) a SendBlocked thread carries, already taken out of its table. */
  readonly outItems: (readonly unknown[] | null)[];
  /** Items delivered by the last receive, waiting to be installed by the kernel. */
  readonly inItems: (readonly unknown[] | null)[];
  /** The object whose list holds the thread, or null when Idle. */
  readonly blockedOn: (Blocker | null)[];

  /** The current simulated time, as last given to {@link IpcThreads.advanceTo}. */
  now = 0;

  readonly waker: Waker;
  readonly tracer: Tracer<IpcEvent> | undefined;

  private readonly longBufs: (Uint8Array | null)[];
  /** Threads with a finite deadline, unordered; timedPos[t] is t's index or -1. */
  private readonly timed: number[] = [];
  private readonly timedPos: Int32Array;

  /** @throws IpcArgumentError when maxThreads is not an integer in 1..65536. */
  constructor(options: IpcThreadsOptions) {
    const n = options.maxThreads ?? 256;
    if (!Number.isInteger(n) || n < 1 || n > MAX_THREADS) {
      throw new IpcArgumentError(`new IpcThreads(maxThreads=${n}): expected an integer in 1..${MAX_THREADS}`);
    }
    this.maxThreads = n;
    this.waker = options.waker;
    this.tracer = options.tracer;
    this.state = new Uint8Array(n);
    this.qNext = new Int32Array(n).fill(-1);
    this.qPrev = new Int32Array(n).fill(-1);
    this.prio = new Int32Array(n);
    this.deadline = new Float64Array(n).fill(NO_DEADLINE);
    this.mr = new Int32Array(n * MR_COUNT);
    this.badge = new Float64Array(n);
    this.replyCap = new Float64Array(n).fill(-1);
    this.longLen = new Int32Array(n);
    this.word = new Int32Array(n);
    this.replyGen = new Uint32Array(n);
    this.replyHolder = new Int32Array(n).fill(-1);
    this.sendFlags = new Uint8Array(n);
    this.sendBadge = new Float64Array(n);
    this.sendReplyTimeout = new Float64Array(n).fill(NO_DEADLINE);
    this.outItems = new Array<readonly unknown[] | null>(n).fill(null);
    this.inItems = new Array<readonly unknown[] | null>(n).fill(null);
    this.blockedOn = new Array<Blocker | null>(n).fill(null);
    this.longBufs = new Array<Uint8Array | null>(n).fill(null);
    this.timedPos = new Int32Array(n).fill(-1);
  }

  /** @throws IpcArgumentError naming `call` when `t` is not a thread id of this table. */
  checkThread(t: ThreadId, call: string): void {
    if (!(t >= 0 && t < this.maxThreads && Number.isInteger(t))) {
      throw new IpcArgumentError(`${call}(thread=${t}): thread id out of range 0..${this.maxThreads - 1}`);
    }
  }

  /** @throws IpcStateError when `t` is blocked: a blocked thread cannot issue an operation. */
  checkRunnable(t: ThreadId, call: string): void {
    // One load on the hot path: an id out of range or not an integer reads undefined.
    if (this.state[t] !== IDLE) this.notRunnable(t, call);
  }

  private notRunnable(t: ThreadId, call: string): never {
    this.checkThread(t, call);
    throw new IpcStateError(
      `${call}(thread=${t}): thread is blocked in ${this.blockedOn[t]?.name ?? "?"} and cannot trap`,
    );
  }

  /** A view of thread `t`'s {@link MR_COUNT} message registers (a subarray, no copy). */
  mrs(t: ThreadId): Int32Array {
    this.checkThread(t, "mrs");
    return this.mr.subarray(t * MR_COUNT, (t + 1) * MR_COUNT);
  }

  /** Thread `t`'s long buffer ({@link LONG_BUFFER_MAX} bytes), allocated on first use. */
  longBuffer(t: ThreadId): Uint8Array {
    this.checkThread(t, "longBuffer");
    let b = this.longBufs[t];
    if (b == null) {
      b = new Uint8Array(LONG_BUFFER_MAX);
      this.longBufs[t] = b;
    }
    return b;
  }

  /**
   * Set the priority a priority-ordered queue sorts `t` by (higher is served first). A thread
   * already queued moves to its new place (behind the threads of equal priority), as seL4 reorders
   * an endpoint queue, so the queues stay sorted.
   * @throws IpcArgumentError for a bad thread id or a priority that is not an int32 (nothing changes).
   */
  setPriority(t: ThreadId, priority: number): void {
    this.checkThread(t, "setPriority");
    if (!Number.isInteger(priority) || priority < -(2 ** 31) || priority >= 2 ** 31) {
      throw new IpcArgumentError(`setPriority(thread=${t}, priority=${priority}): expected an int32`);
    }
    if (this.prio[t] === priority) return;
    this.prio[t] = priority;
    this.blockedOn[t]?.priorityChanged?.(t);
  }

  /**
   * Record that `t` blocks on `on` in `state` with a relative `timeout` (cycles, Infinity = none).
   * The caller has already put `t` on its list.
   *
   * @remarks A building block of every ipc object, ours and a lab's endpoint alike: push `t` on
   * your {@link WaitList}, then `block(t, this, ThreadIpcState.SendBlocked, timeout)` (or
   * `RecvBlocked`). From then on a timeout, {@link IpcThreads.cancel} or
   * {@link IpcThreads.threadExit} calls your {@link Blocker.detach} and ends the wait.
   */
  block(t: ThreadId, on: Blocker, state: ThreadIpcState, timeout: number): void {
    this.state[t] = state;
    this.blockedOn[t] = on;
    if (timeout !== NO_DEADLINE) this.setDeadline(t, timeout);
    if (this.tracer !== undefined) this.traceBlock(t, on, state);
  }

  /** The caller's reply capability is used up or revoked: bump its generation. */
  private replyDone(t: ThreadId): void {
    this.replyHolder[t] = -1;
    this.replyGen[t] = this.replyGen[t]! + 1;
  }

  private traceBlock(t: ThreadId, on: Blocker, state: ThreadIpcState): void {
    this.tracer?.emit({ type: "ipc.block", thread: t, object: on.name, op: STATE_NAMES[state] ?? "?" });
  }

  private traceWake(t: ThreadId, status: IpcStatus): void {
    this.tracer?.emit({ type: "ipc.wake", thread: t, status: ipcStatusName(status) });
  }

  /**
   * Turn a received call into a ReplyBlocked wait (no list) without a reply timeout; the send
   * phase's deadline, if any, is dropped, and `holder` becomes `replyHolder[caller]`, the only
   * thread whose reply is valid. The fastpath's form of {@link IpcThreads.awaitReplyFor}.
   */
  awaitReply(caller: ThreadId, holder: ThreadId): void {
    if (this.deadline[caller] !== NO_DEADLINE) this.clearDeadline(caller);
    this.state[caller] = REPLY_BLOCKED;
    this.blockedOn[caller] = REPLY_WAIT;
    this.replyHolder[caller] = holder;
  }

  /**
   * {@link IpcThreads.awaitReply} with the receive phase's own timeout: `replyTimeout` (relative
   * cycles, > 0; Infinity = none) counts from now, as L4 X.2 counts a relative receive timeout
   * from the start of that phase.
   *
   * @remarks A lab endpoint's building block: call it when `holder` receives `caller`'s call
   * (after handing `holder` the reply capability). A reply timeout of 0 does not wait: use
   * {@link IpcThreads.revokeUnawaitedReply} instead.
   */
  awaitReplyFor(caller: ThreadId, holder: ThreadId, replyTimeout: number): void {
    this.awaitReply(caller, holder);
    if (replyTimeout !== NO_DEADLINE) this.setDeadline(caller, replyTimeout);
  }

  /**
   * A call with reply timeout 0 was received: its receive phase fails at once (L4 X.2: a zero
   * receive timeout does not wait). The capability just handed to the receiver is revoked (its
   * generation is bumped).
   *
   * @remarks A lab endpoint's building block. It does not wake the caller: when the caller was
   * queued (SendBlocked) and a receive takes its call, also `finish(caller, IpcStatus.ReplyTimedOut)`;
   * when the caller itself found a waiting receiver, its `call` returns ReplyTimedOut.
   */
  revokeUnawaitedReply(caller: ThreadId): void {
    this.replyGen[caller] = this.replyGen[caller]! + 1;
  }

  /**
   * End `t`'s wait: back to Idle and hand it to the waker with `status`. The caller has already
   * taken `t` off its list. A ReplyBlocked `t`'s reply capability is spent: `replyGen[t]` is
   * bumped and `replyHolder[t]` cleared, so the capability is refused from then on.
   *
   * @remarks A lab endpoint's building block: after taking a waiting thread off your list (a
   * rendezvous, `destroy`), and to wake a caller with its reply. A waiting receiver or sender
   * that a delivery completes gets `IpcStatus.Ok`.
   */
  finish(t: ThreadId, status: IpcStatus): void {
    if (this.deadline[t] !== NO_DEADLINE) this.clearDeadline(t);
    if (this.state[t] === REPLY_BLOCKED) this.replyDone(t);
    this.state[t] = IDLE;
    this.blockedOn[t] = null;
    if (this.tracer !== undefined) this.traceWake(t, status);
    this.waker.wake(t, status);
  }

  /**
   * Cancel `t`'s wait, if any, and wake it with `status` (default Cancelled): how a kernel
   * interrupts a thread it is killing. A ReplyBlocked caller's reply capability is revoked, so a
   * later reply gets {@link IpcStatus.InvalidReplyCap}.
   * @returns whether `t` was blocked.
   * @throws IpcArgumentError for a bad thread id, or a status that is not a wake status (Blocked,
   *   or no {@link IpcStatus} at all: rule 1 of the contract); nothing changes then.
   */
  cancel(t: ThreadId, status: IpcStatus = IpcStatus.Cancelled): boolean {
    this.checkThread(t, "cancel");
    if (!Number.isInteger(status) || status < 0 || status > MAX_STATUS || status === IpcStatus.Blocked) {
      throw new IpcArgumentError(
        `cancel(thread=${t}, status=${status}): expected a wake status (an IpcStatus other than Blocked)`,
      );
    }
    const on = this.blockedOn[t];
    if (on == null) return false;
    on.detach(t);
    this.finish(t, status);
    return true;
  }

  /**
   * Thread `t` is gone: cancel its own wait (without waking it) and wake every caller whose reply
   * capability it held with {@link IpcStatus.ReplyDropped} (seL4 deletes the reply object; the
   * caller sees an error instead of hanging forever). Items a queued sender carried (handles
   * already out of its table) come back in `inItems[t]`, as after a timeout, unless its blocker's
   * {@link Blocker.dropItems} releases them (an `EndpointObject` closes them): a dead thread will
   * never collect them, so a kernel without that hook must release `inItems[t]` itself. Items a
   * completed receive delivered and the kernel has not collected yet are the kernel's too.
   * @returns the callers woken.
   */
  threadExit(t: ThreadId): ThreadId[] {
    this.checkThread(t, "threadExit");
    const on = this.blockedOn[t];
    if (on != null) {
      const carried = this.state[t] === ThreadIpcState.SendBlocked ? this.outItems[t] : null;
      on.detach(t);
      // detach handed them back for the thread to collect; a dead thread never will.
      if (carried != null && on.dropItems?.(carried) === true) {
        if (this.inItems[t] === carried) this.inItems[t] = null;
        this.outItems[t] = null;
      }
      if (this.deadline[t] !== NO_DEADLINE) this.clearDeadline(t);
      if (this.state[t] === ThreadIpcState.ReplyBlocked) {
        this.replyHolder[t] = -1;
        this.replyGen[t] = this.replyGen[t]! + 1;
      }
      this.state[t] = ThreadIpcState.Idle;
      this.blockedOn[t] = null;
    }
    const woken: ThreadId[] = [];
    for (let c = 0; c < this.maxThreads; c++) {
      if (this.replyHolder[c] === t && this.state[c] === ThreadIpcState.ReplyBlocked) {
        this.finish(c, IpcStatus.ReplyDropped);
        woken.push(c);
      }
    }
    this.replyCap[t] = -1;
    return woken;
  }

  /**
   * Advance simulated time to `now` and wake every thread whose deadline is ≤ now, in (deadline,
   * thread id) order so runs are deterministic: with {@link IpcStatus.ReplyTimedOut} a caller
   * waiting for its reply (its reply capability is revoked), with {@link IpcStatus.TimedOut}
   * everyone else.
   * @returns the threads woken.
   * @throws IpcArgumentError when time would go backwards.
   */
  advanceTo(now: number): ThreadId[] {
    if (!(now >= this.now)) {
      throw new IpcArgumentError(`advanceTo(now=${now}): time cannot go back from ${this.now}`);
    }
    this.now = now;
    const expired: ThreadId[] = [];
    for (const t of this.timed) if (this.deadline[t]! <= now) expired.push(t);
    expired.sort((a, b) => this.deadline[a]! - this.deadline[b]! || a - b);
    for (const t of expired) {
      this.blockedOn[t]!.detach(t);
      this.finish(t, this.state[t] === REPLY_BLOCKED ? IpcStatus.ReplyTimedOut : IpcStatus.TimedOut);
    }
    return expired;
  }

  /** The earliest pending deadline, or Infinity: when the kernel should next call advanceTo. */
  nextDeadline(): number {
    let d = NO_DEADLINE;
    for (const t of this.timed) if (this.deadline[t]! < d) d = this.deadline[t]!;
    return d;
  }

  private setDeadline(t: ThreadId, timeout: number): void {
    this.deadline[t] = this.now + timeout;
    this.timedPos[t] = this.timed.length;
    this.timed.push(t);
  }

  private clearDeadline(t: ThreadId): void {
    this.deadline[t] = NO_DEADLINE;
    const i = this.timedPos[t]!;
    if (i < 0) return;
    const last = this.timed.pop()!;
    if (last !== t) {
      this.timed[i] = last;
      this.timedPos[last] = i;
    }
    this.timedPos[t] = -1;
  }

  /** Throws {@link InvariantError} naming the first broken per-thread invariant. */
  checkInvariants(): void {
    for (let t = 0; t < this.maxThreads; t++) {
      const idle = this.state[t] === ThreadIpcState.Idle;
      if (idle !== (this.blockedOn[t] === null)) {
        throw new InvariantError(
          `thread ${t}: state ${this.state[t]} but blockedOn=${this.blockedOn[t]?.name}`,
        );
      }
      if (idle && (this.qNext[t] !== -1 || this.qPrev[t] !== -1)) {
        throw new InvariantError(
          `thread ${t}: idle but still linked (next=${this.qNext[t]}, prev=${this.qPrev[t]})`,
        );
      }
      const timed = this.deadline[t] !== NO_DEADLINE;
      if (timed && idle) throw new InvariantError(`thread ${t}: idle with deadline ${this.deadline[t]}`);
      if (timed !== (this.timedPos[t] !== -1)) {
        throw new InvariantError(
          `thread ${t}: deadline ${this.deadline[t]} but timed-set slot ${this.timedPos[t]}`,
        );
      }
      if ((this.state[t] === ThreadIpcState.ReplyBlocked) !== (this.replyHolder[t] !== -1)) {
        throw new InvariantError(
          `thread ${t}: state ${this.state[t]} with reply holder ${this.replyHolder[t]}`,
        );
      }
    }
    this.timed.forEach((t, i) => {
      if (this.timedPos[t] !== i)
        throw new InvariantError(`timed set: thread ${t} at ${i} records ${this.timedPos[t]}`);
    });
  }
}

const STATE_NAMES = ["idle", "send", "receive", "reply", "wait"];
