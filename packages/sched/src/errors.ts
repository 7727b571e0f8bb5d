/**
 * The typed errors of `@osbricks/sched`: misuse of the library, never simulated outcomes.
 *
 * Every error extends {@link SchedError} and carries a stable string `code`. A call that throws
 * one of these leaves the structure it was called on exactly as it was before the call (the tests
 * check this for every kind). Expected scheduling outcomes (an empty run queue, a lock that is
 * held) are returned values instead: `null`, `{ kind: "blocked", holder }`.
 *
 * | class                      | code                  | raised when                                      |
 * | -------------------------- | --------------------- | ------------------------------------------------ |
 * | `UnknownThreadError`       | `unknown-thread`      | a thread id the structure never admitted          |
 * | `DuplicateThreadError`     | `duplicate-thread`    | admitting or queueing a thread twice             |
 * | `IllegalTransitionError`   | `illegal-transition`  | a thread state change the life cycle forbids      |
 * | `InvalidArgumentError`     | `invalid-argument`    | quantum/weight/tickets ≤ 0, bad nice, bad cpu id |
 * | `EmptyAffinityError`       | `empty-affinity`      | an affinity mask that names no existing CPU       |
 * | `InvalidJobError`          | `invalid-job`         | a workload job with a negative or fractional time |
 * | `InvariantError`           | `invariant`           | `checkInvariants()` found a broken invariant      |
 */

/** Base class of every error thrown by `@osbricks/sched`; `code` is stable across versions. */
export class SchedError extends Error {
  /** Stable machine-readable kind of the error. */
  readonly code: string;
  /**
   * @param code - stable kind of the error.
   * @param message - names the call, the value and the rule that was broken.
   */
  constructor(code: string, message: string) {
    super(message);
    this.code = code;
    this.name = new.target.name;
  }
}

/** A thread id that the policy, scheduler or queue was never told about (or already forgot). */
export class UnknownThreadError extends SchedError {
  /** @param message - names the call and the thread id. */
  constructor(message: string) {
    super("unknown-thread", message);
  }
}

/** A thread admitted twice, queued twice, or waiting twice on one queue. */
export class DuplicateThreadError extends SchedError {
  /** @param message - names the call and the thread id. */
  constructor(message: string) {
    super("duplicate-thread", message);
  }
}

/** A thread state change that the life cycle (`thread/state.ts`) does not allow. */
export class IllegalTransitionError extends SchedError {
  /** @param message - names the thread, the current state and the requested state. */
  constructor(message: string) {
    super("illegal-transition", message);
  }
}

/** An out-of-range argument: a quantum, weight or ticket count ≤ 0, a nice value outside -20..19. */
export class InvalidArgumentError extends SchedError {
  /** @param message - names the call, the value and the accepted range. */
  constructor(message: string) {
    super("invalid-argument", message);
  }
}

/** An affinity mask that allows no CPU of the machine, so the thread could never run. */
export class EmptyAffinityError extends SchedError {
  /** @param message - names the thread and the mask. */
  constructor(message: string) {
    super("empty-affinity", message);
  }
}

/** A simulator job with a negative, fractional or missing time, or no CPU burst at all. */
export class InvalidJobError extends SchedError {
  /** @param message - names the job and the offending field. */
  constructor(message: string) {
    super("invalid-job", message);
  }
}

/** Thrown by `checkInvariants()` with a precise description of the first broken invariant. */
export class InvariantError extends SchedError {
  /** @param message - the first broken invariant, with the values that break it. */
  constructor(message: string) {
    super("invariant", message);
  }
}
