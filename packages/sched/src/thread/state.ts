/**
 * The thread life cycle: six states and the one function that moves a thread between them.
 *
 * ```
 *                 start            dispatch
 *        ┌─────┐ ───────▶ ┌───────┐ ───────▶ ┌─────────┐ ── exit ──▶ ┌────────┐
 *        │ new │          │ ready │          │ running │             │ exited │
 *        └─────┘          └───────┘ ◀─────── └─────────┘             └────────┘
 *           │               ▲  │  ▲  preempt/yield │  │                  ▲
 *           │         wake  │  │  │                │  │ suspend          │ kill (from any
 *           │   ┌─────────┐ │  │  └─── resume ──┐  │  ▼                  │ live state)
 *           │   │ blocked │─┘  └── suspend ──▶ ┌───────────┐             │
 *           │   │(reason) │ ◀────── block ──── │ suspended │─────────────┘
 *           │   └─────────┘   (from running)   └───────────┘
 *           └──────────────────── kill ─────────────────────────────────▶
 * ```
 *
 * Invariants: a thread is `running` on at most one CPU; only a `running` thread blocks (it is the
 * one executing the blocking call); only a `blocked` thread is woken; `exited` is final. Every
 * change goes through {@link transition}, which rejects any move not in {@link THREAD_TRANSITIONS}
 * with an {@link IllegalTransitionError} and leaves the thread untouched.
 *
 * How two real kernels' states map onto these six:
 *
 * | osbricks    | Lunaix (`PS_*` in process.h)             | Twizzler (`ExecutionState`)                 |
 * | ----------- | ---------------------------------------- | ------------------------------------------- |
 * | `new`       | `PS_CREATED`                             | (thread object built, not yet spawned)      |
 * | `ready`     | `PS_READY`                               | `Running` (runnable, on a run queue)        |
 * | `running`   | `PS_RUNNING`                             | `Running` (on a CPU)                        |
 * | `blocked`   | `PS_BLOCKED`, `PS_PAUSED` (pause(2))     | `Sleeping` (thread_sync on a word, timeout) |
 * | `suspended` | `PS_STOPPED` (SIGSTOP / SIGCONT resumes) | `Suspended` (suspend/resume control)        |
 * | `exited`    | `PS_TERMNAT`; `PS_DESTROY` = record freed | `Exited` (exit code published)             |
 *
 * Twizzler does not tell ready from running in its ABI state (both are `Running`); Lunaix folds
 * "terminated" and "destroyed" into one group (Dt) — we keep the record until the owner drops it.
 *
 * Related: `smp/scheduler.ts` drives these transitions; `wait/wait-queue.ts` blocks and wakes.
 */
import type { BlockReason, ThreadId } from "../api.js";
import { IllegalTransitionError } from "../errors.js";

/** The six states of a thread's life cycle. */
export type ThreadState = "new" | "ready" | "running" | "blocked" | "suspended" | "exited";

/** Every state, in life-cycle order. */
export const THREAD_STATES: readonly ThreadState[] = [
  "new",
  "ready",
  "running",
  "blocked",
  "suspended",
  "exited",
];

/** The allowed moves: `THREAD_TRANSITIONS[from]` lists every legal `to`. */
export const THREAD_TRANSITIONS: Readonly<Record<ThreadState, readonly ThreadState[]>> = {
  new: ["ready", "exited"],
  ready: ["running", "suspended", "exited"],
  running: ["ready", "blocked", "suspended", "exited"],
  blocked: ["ready", "exited"],
  suspended: ["ready", "exited"],
  exited: [],
};

/** The mutable life-cycle part of a thread record, as the scheduler keeps it. */
export interface ThreadLifecycle {
  /** The thread this record belongs to. */
  readonly tid: ThreadId;
  /** Current state; change it only through {@link transition}. */
  state: ThreadState;
  /** Why the thread is blocked; non-null exactly when `state === "blocked"`. */
  blockReason: BlockReason | null;
}

/**
 * A state's bit position in the masks below. A `switch` over the six names, which V8 compares as
 * interned strings: the check below runs on every transition, where a lookup in
 * {@link THREAD_TRANSITIONS} by a varying name is a megamorphic keyed load followed by a search.
 */
function stateIndex(s: ThreadState): number {
  switch (s) {
    case "new":
      return 0;
    case "ready":
      return 1;
    case "running":
      return 2;
    case "blocked":
      return 3;
    case "suspended":
      return 4;
    default:
      return s === "exited" ? 5 : -1;
  }
}

/**
 * {@link THREAD_TRANSITIONS} as one bit mask per source state, bit `stateIndex(to)` set for each
 * legal target (worked: `ready` may go to running, suspended, exited → bits 2, 4, 5 = 0b110100).
 * Derived from the table when the module loads, so the table stays the one definition.
 */
const ALLOWED = new Int32Array(THREAD_STATES.length);
for (const from of THREAD_STATES) {
  ALLOWED[stateIndex(from)] = THREAD_TRANSITIONS[from].reduce((mask, to) => mask | (1 << stateIndex(to)), 0);
}

/** Whether the life cycle allows `from → to`. */
export function canTransition(from: ThreadState, to: ThreadState): boolean {
  const f = stateIndex(from);
  const t = stateIndex(to);
  return f >= 0 && t >= 0 && ((ALLOWED[f]! >>> t) & 1) === 1;
}

/**
 * Check the move of thread `tid` from `from` to `to` without making it, the way
 * {@link transition} would: an allowed move, and a reason exactly when the target is `"blocked"`.
 * @throws IllegalTransitionError as {@link transition} does.
 */
export function checkTransition(
  tid: ThreadId,
  from: ThreadState,
  to: ThreadState,
  reason?: BlockReason,
): void {
  if (!canTransition(from, to)) {
    const legal = THREAD_TRANSITIONS[from] ?? [];
    throw new IllegalTransitionError(
      `transition(tid=${tid}, ${from} → ${to}): not allowed; from ${from} a thread may go to ${legal.length ? legal.join(", ") : "nothing (exited is final)"}`,
    );
  }
  if (to === "blocked" && reason === undefined) {
    throw new IllegalTransitionError(
      `transition(tid=${tid}, ${from} → blocked): a blocked thread needs a reason`,
    );
  }
  if (to !== "blocked" && reason !== undefined) {
    throw new IllegalTransitionError(
      `transition(tid=${tid}, ${from} → ${to}): only a move to blocked takes a reason`,
    );
  }
}

/**
 * Move a thread to a new state: the only place where a thread's state changes.
 *
 * @param t - the thread's life-cycle record (mutated on success only).
 * @param to - the requested state.
 * @param reason - required when `to` is `"blocked"`, forbidden otherwise.
 * @returns the previous state.
 * @throws IllegalTransitionError naming the thread, both states and the legal targets when the
 *   move is not in {@link THREAD_TRANSITIONS}, or when a reason is missing or misplaced; `t` is
 *   unchanged then.
 * @example
 * ```ts
 * const t: ThreadLifecycle = { tid: threadId(1), state: "running", blockReason: null };
 * transition(t, "blocked", { kind: "io", on: "disk0" }); // → "running"
 * transition(t, "running");                              // throws: blocked → running is illegal
 * ```
 */
export function transition(t: ThreadLifecycle, to: ThreadState, reason?: BlockReason): ThreadState {
  const from = t.state;
  checkTransition(t.tid, from, to, reason);
  t.state = to;
  t.blockReason = to === "blocked" ? (reason ?? null) : null;
  return from;
}
