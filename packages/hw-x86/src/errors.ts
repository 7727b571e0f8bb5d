/**
 * The typed errors of `@osbricks/hw-x86`: misuse of the simulated machine.
 *
 * Two tiers of failure (CONTRIBUTING.md, "Errors"):
 *
 * | what happened                                   | how it is reported                      |
 * | ----------------------------------------------- | --------------------------------------- |
 * | the *library* was called wrongly (bad argument) | a thrown {@link HwError} subclass        |
 * | the *simulated program* did something illegal   | a returned value (`#PF`, `#GP`, …)       |
 *
 * So a page fault is never an exception here: `Mmu.translate` returns it. An exception means the
 * caller broke a precondition (a misaligned frame passed to `Mapper.map`, a physical address
 * outside installed memory, a register value with reserved bits set). Every refused call leaves
 * the machine exactly as it was; the tests check that.
 *
 * Every message names the call, the value and the rule, e.g.
 * `map(va=0x200000, pa=0x201000, size=2097152): 0x201000 is not aligned to 0x200000 bytes`.
 *
 * Each class has a stable string `code` that programs can switch on; messages may be reworded.
 * Other parts of this package (CPUs, interrupts, devices) add their own subclasses of
 * {@link HwError}.
 */

/** Base class of every error thrown by `@osbricks/hw-x86`. */
export class HwError extends Error {
  /** A stable, machine-readable code such as `"E_ALIGN"`; the message is for humans. */
  readonly code: string;

  /**
   * @param code - stable error code (`E_…`).
   * @param message - names the call, the offending value and the rule that was broken.
   */
  constructor(code: string, message: string) {
    super(message);
    this.code = code;
    this.name = new.target.name;
  }
}

/** An address or frame that must be aligned (to 4 KiB, 2 MiB, 1 GiB, or an access width) is not. */
export class AlignmentError extends HwError {
  /** @param message - names the call, the value and the required alignment. */
  constructor(message: string) {
    super("E_ALIGN", message);
  }
}

/**
 * A physical address or frame number lies outside installed memory, outside every MMIO region, or
 * above MAXPHYADDR.
 */
export class PhysicalRangeError extends HwError {
  /** @param message - names the call, the address and the valid range. */
  constructor(message: string) {
    super("E_PHYS_RANGE", message);
  }
}

/**
 * A virtual address given to a library call is not canonical (bits 63..47, or 63..56 with 5-level
 * paging, are not all equal; Intel SDM 3.3.7.1), or is not representable exactly as a number.
 *
 * A *simulated* access to a non-canonical address is not an exception: the MMU returns a `#GP`.
 */
export class NonCanonicalAddressError extends HwError {
  /** @param message - names the call, the address and the canonical form expected. */
  constructor(message: string) {
    super("E_NONCANONICAL", message);
  }
}

/** A page size other than 4 KiB, 2 MiB or 1 GiB was asked for, or one the paging level cannot hold. */
export class PageSizeError extends HwError {
  /** @param message - names the call and the size. */
  constructor(message: string) {
    super("E_PAGE_SIZE", message);
  }
}

/** A value written to an architectural register or entry has reserved bits set. */
export class ReservedBitsError extends HwError {
  /** @param message - names the register or entry, the value and the reserved bits. */
  constructor(message: string) {
    super("E_RESERVED_BITS", message);
  }
}

/** An argument has the wrong type or range (not an integer, a negative count, an unknown option). */
export class InvalidArgumentError extends HwError {
  /** @param message - names the call, the argument and what was expected. */
  constructor(message: string) {
    super("E_ARGUMENT", message);
  }
}

/** A machine configuration is inconsistent (overlapping MMIO regions, memory larger than supported). */
export class ConfigurationError extends HwError {
  /** @param message - names the configuration item and the conflict. */
  constructor(message: string) {
    super("E_CONFIG", message);
  }
}

/**
 * A structure's invariant does not hold (thrown by `checkInvariants()`); the message describes the
 * first broken invariant precisely.
 */
export class InvariantError extends HwError {
  /** @param message - which invariant, where, and the values that break it. */
  constructor(message: string) {
    super("E_INVARIANT", message);
  }
}
