/**
 * The kernel package's typed errors: the "misuse of the library" tier.
 *
 * These are thrown at the host (the code that builds and drives a simulated kernel), never at a
 * simulated program: a program's bad system call gets an errno (`syscalls/errno.ts`), and a
 * program's bad memory access gets SIGSEGV. Each class has a stable `code`; messages name the
 * call, the value and the rule that was broken.
 */

/** Base class of every error thrown by `@osbricks/kernel`. */
export class KernelError extends Error {
  /** Stable machine-readable code, e.g. `"E_SYSCALL_TABLE"`. */
  readonly code: string;
  constructor(code: string, message: string) {
    super(message);
    this.name = new.target.name;
    this.code = code;
  }
}

/** A system-call table declaration is malformed (duplicate number, dangling length reference, ...). */
export class SyscallTableError extends KernelError {
  constructor(message: string) {
    super("E_SYSCALL_TABLE", message);
  }
}

/** A program image or registry was misused (unknown program, overlapping segments, ...). */
export class ProgramError extends KernelError {
  constructor(message: string) {
    super("E_PROGRAM", message);
  }
}

/** A kernel API was called in a state that does not allow it (e.g. run after halt, illegal transition). */
export class KernelStateError extends KernelError {
  constructor(message: string) {
    super("E_KERNEL_STATE", message);
  }
}

/** A bad argument passed by host code to a kernel API. */
export class KernelArgumentError extends KernelError {
  constructor(message: string) {
    super("E_KERNEL_ARGUMENT", message);
  }
}

/** `checkInvariants()` found a broken invariant; the message describes the first one. */
export class KernelInvariantError extends KernelError {
  constructor(message: string) {
    super("E_KERNEL_INVARIANT", message);
  }
}
