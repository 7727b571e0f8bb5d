/**
 * Typed errors of `@osbricks/objects`: the first tier of failure, misuse of the library by the
 * kernel code that calls it (CONTRIBUTING.md, "Errors: two tiers").
 *
 * What a *simulated program* gets wrong — a bad or stale handle, a missing right, a full table,
 * a wait that times out — is never thrown: it comes back as a result such as
 * `{ kind: "bad-handle", handle, reason: "stale" }`. What the *kernel* gets wrong — killing a
 * dead object, releasing a reference it never took, naming a right that does not exist — throws
 * one of the classes below, with a message that names the call, the value and the rule. A refused
 * call leaves every structure exactly as it was.
 *
 * | class                | code                 | typical cause                                      |
 * |----------------------|----------------------|----------------------------------------------------|
 * | `InvalidArgumentError` | `invalid-argument` | a mask that is not a 31-bit integer, capacity 0    |
 * | `UnknownRightError`  | `unknown-right`      | `type.rights("fly")`, create with undefined bits   |
 * | `LifeCycleError`     | `life-cycle`         | kill twice, handle to a destroyed object           |
 * | `RefCountError`      | `ref-count`          | release without retain                             |
 * | `QuotaError`         | `quota`              | a quota charge used twice, refund of nothing       |
 * | `InvariantError`     | `invariant`          | `checkInvariants()` found a broken invariant       |
 */

/** Stable codes, one per subclass of {@link ObjectsError}. */
export type ObjectsErrorCode =
  | "invalid-argument"
  | "unknown-right"
  | "life-cycle"
  | "ref-count"
  | "quota"
  | "invariant";

/** Base class of every error this package throws. */
export class ObjectsError extends Error {
  /** Stable machine-readable code; the message is for humans and may change. */
  readonly code: ObjectsErrorCode;
  constructor(code: ObjectsErrorCode, message: string) {
    super(message);
    this.code = code;
    this.name = new.target.name;
  }
}

/** An argument outside its documented domain (not an integer, out of range, wrong table). */
export class InvalidArgumentError extends ObjectsError {
  constructor(message: string) {
    super("invalid-argument", message);
  }
}

/** A right or signal name, or bit, that the object type does not define. */
export class UnknownRightError extends ObjectsError {
  constructor(message: string) {
    super("unknown-right", message);
  }
}

/** An illegal life-cycle transition, or use of an object in a state that forbids it. */
export class LifeCycleError extends ObjectsError {
  constructor(message: string) {
    super("life-cycle", message);
  }
}

/** A reference or handle count would go negative (a release without its acquire). */
export class RefCountError extends ObjectsError {
  constructor(message: string) {
    super("ref-count", message);
  }
}

/** Misuse of a quota pool (the pool running out is a result, not this error). */
export class QuotaError extends ObjectsError {
  constructor(message: string) {
    super("quota", message);
  }
}

/** Thrown by `checkInvariants()` with a precise description of the first broken invariant. */
export class InvariantError extends ObjectsError {
  constructor(message: string) {
    super("invariant", message);
  }
}
