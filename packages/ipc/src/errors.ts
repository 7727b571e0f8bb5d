/**
 * Typed errors of @osbricks/ipc: the first tier of failure (CONTRIBUTING.md, "Errors: two tiers").
 *
 * These are thrown only for misuse of the library: an argument out of range, an operation issued
 * for a thread that is already blocked (a blocked thread cannot trap), a broken invariant. Expected
 * simulated outcomes (no partner, timeout, closed peer, missing right, message too large) are
 * returned values, never exceptions. A refused call leaves every structure as it was.
 */

/** Base class of every error this package throws; `code` is stable across versions. */
export class IpcError extends Error {
  /** Stable machine-readable kind, e.g. `"ipc.argument"`. */
  readonly code: string;
  constructor(code: string, message: string) {
    super(message);
    this.name = new.target.name;
    this.code = code;
  }
}

/** An argument is out of its documented range (thread id, word count, buffer size, bit mask). */
export class IpcArgumentError extends IpcError {
  constructor(message: string) {
    super("ipc.argument", message);
  }
}

/**
 * The call is illegal in the current state: a thread that is blocked issued an operation, an
 * object was used after `destroy()`, a thread id was registered twice.
 */
export class IpcStateError extends IpcError {
  constructor(message: string) {
    super("ipc.state", message);
  }
}

/** `checkInvariants()` found a broken invariant; the message names the first one. */
export class InvariantError extends IpcError {
  constructor(message: string) {
    super("ipc.invariant", message);
  }
}
