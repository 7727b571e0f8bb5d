/**
 * The runtime package's typed errors: misuse of the library by the host or by a program's
 * JavaScript (a bad frame size, an invariant check that fails). Simulated outcomes are never
 * thrown: POSIX calls return error numbers, bad memory accesses take SIGSEGV. A program that
 * throws one of these is killed by the kernel like a crashed process, with the message recorded.
 */

/** Base class of every error thrown by `@osbricks/runtime`, with a stable `code`. */
export class RuntimeError extends Error {
  /** Stable machine-readable code, e.g. `"E_RUNTIME_ARGUMENT"`. */
  readonly code: string;
  constructor(code: string, message: string) {
    super(message);
    this.name = new.target.name;
    this.code = code;
  }
}

/** An argument no correct program passes (a negative frame size, a broken initialisation). */
export class RuntimeArgumentError extends RuntimeError {
  constructor(message: string) {
    super("E_RUNTIME_ARGUMENT", message);
  }
}

/** An object in simulated memory breaks its invariant (see `checkMutex`, `checkCond`, ...). */
export class RuntimeInvariantError extends RuntimeError {
  constructor(message: string) {
    super("E_RUNTIME_INVARIANT", message);
  }
}
