/**
 * The channel library's typed errors: misuse of the library (a bad size, a commit without a
 * reservation, a consume past the readable block) and a broken header invariant.
 *
 * A program that misuses the library throws, and the kernel kills it with a crash report naming
 * the message, as an `assert` in libj6 would stop the process. Expected outcomes — the buffer is
 * full, nothing to read — are returned values, never errors (see `bip-buffer.ts`).
 *
 * Related: `bip-buffer.ts`, `area.ts`, `channel.ts`.
 */

/** Base class of every channel-library error; `code` is stable and machine-readable. */
export class ChannelError extends Error {
  /** Stable code, e.g. `"E_CHANNEL_ARGUMENT"`. */
  readonly code: string;
  constructor(code: string, message: string) {
    super(message);
    this.name = new.target.name;
    this.code = code;
  }
}

/** A bad argument: a size that is not allowed, a length past what the call may touch. */
export class ChannelArgumentError extends ChannelError {
  constructor(message: string) {
    super("E_CHANNEL_ARGUMENT", message);
  }
}

/** A call in the wrong state: commit without a reservation, a second reservation while one is open. */
export class ChannelStateError extends ChannelError {
  constructor(message: string) {
    super("E_CHANNEL_STATE", message);
  }
}

/** A header in user memory that breaks one of the buffer's invariants (corrupted or mis-initialised). */
export class ChannelInvariantError extends ChannelError {
  constructor(message: string) {
    super("E_CHANNEL_INVARIANT", message);
  }
}
