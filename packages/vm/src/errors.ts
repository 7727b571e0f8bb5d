/**
 * The typed errors of `@osbricks/vm`: misuse of the library, never simulated outcomes.
 *
 * Two tiers of failure (CONTRIBUTING.md, "Errors"):
 *
 * | tier                       | example                                   | how it shows              |
 * |----------------------------|-------------------------------------------|---------------------------|
 * | misuse / broken invariant  | `free(pfn=0x1200, order=2)` twice         | throws a `VmError`        |
 * | expected simulated outcome | out of memory, page fault, range taken    | a returned value (`null`) |
 *
 * Every class carries a stable string `code` (tests and student code match on it, never on the
 * message), and every message names the call, the value and the rule that was broken. A call
 * that throws one of these leaves its structure exactly as it was before the call.
 *
 * Layout: the base class, then one subclass per kind of mistake, grouped by the part of the
 * package that throws it (frames, slab, page tree, virtual ranges). The address-space part of the
 * package appends its own subclasses below the marked line.
 */

/**
 * Base class of every error `@osbricks/vm` throws.
 *
 * @example
 * ```ts
 * try { buddy.free(0x1200, 2); } catch (e) { if (e instanceof VmError) console.log(e.code); }
 * ```
 */
export class VmError extends Error {
  /** Stable machine-readable kind, e.g. `"double-free"`; one per subclass. */
  readonly code: string;
  constructor(code: string, message: string) {
    super(message);
    this.code = code;
    this.name = new.target.name;
  }
}

/** `checkInvariants()` found a broken invariant; the message names the first one found. */
export class InvariantError extends VmError {
  constructor(message: string) {
    super("invariant", message);
  }
}

/** An argument that no call could accept: a bad option, a negative size, a non-integer count. */
export class VmArgumentError extends VmError {
  constructor(message: string) {
    super("invalid-argument", message);
  }
}

// ---------------------------------------------------------------------------------------------
// Frames (src/frames/)
// ---------------------------------------------------------------------------------------------

/** An order outside `0..maxOrder-1`, or not an integer. */
export class InvalidOrderError extends VmError {
  constructor(message: string) {
    super("invalid-order", message);
  }
}

/** A frame number (or a range of them) outside `0..frameCount-1`. */
export class FrameRangeError extends VmError {
  constructor(message: string) {
    super("frame-range", message);
  }
}

/** A frame number or an address not aligned as the call requires (an order-k block starts at a multiple of 2^k). */
export class MisalignedError extends VmError {
  constructor(message: string) {
    super("misaligned", message);
  }
}

/** Freeing a block that is already free. */
export class DoubleFreeError extends VmError {
  constructor(message: string) {
    super("double-free", message);
  }
}

/** Freeing an allocated block with an order other than the one it was allocated with. */
export class WrongOrderError extends VmError {
  constructor(message: string) {
    super("wrong-order", message);
  }
}

/** Freeing a frame that does not start an allocated block: never allocated, reserved, or inside a block. */
export class NotAllocatedError extends VmError {
  constructor(message: string) {
    super("not-allocated", message);
  }
}

/** Reserving (or otherwise claiming) frames that are not all free. */
export class FrameBusyError extends VmError {
  constructor(message: string) {
    super("frame-busy", message);
  }
}

/** A per-frame reference count taken below zero, above its limit, or on a frame nobody holds. */
export class RefCountError extends VmError {
  constructor(message: string) {
    super("refcount", message);
  }
}

/** The debug mode found a freed frame whose poison pattern was overwritten (a use after free). */
export class PoisonError extends VmError {
  constructor(message: string) {
    super("poison-overwritten", message);
  }
}

// ---------------------------------------------------------------------------------------------
// Slab caches (src/slab/)
// ---------------------------------------------------------------------------------------------

/** Freeing an address that is not a live object of this cache (foreign, interior, or already free). */
export class SlabObjectError extends VmError {
  constructor(message: string) {
    super("slab-object", message);
  }
}

/** Destroying a cache that still has live objects. */
export class SlabBusyError extends VmError {
  constructor(message: string) {
    super("slab-busy", message);
  }
}

// ---------------------------------------------------------------------------------------------
// Page tree (src/pagetree/)
// ---------------------------------------------------------------------------------------------

/** A page-tree key or value outside what the tree can hold. */
export class PageTreeKeyError extends VmError {
  constructor(message: string) {
    super("page-tree-key", message);
  }
}

// ---------------------------------------------------------------------------------------------
// Virtual ranges (src/vrange/)
// ---------------------------------------------------------------------------------------------

/** Freeing or claiming a virtual range that is not (wholly) in the state the call needs. */
export class RangeStateError extends VmError {
  constructor(message: string) {
    super("range-state", message);
  }
}

// ---------------------------------------------------------------------------------------------
// VM objects, areas, address spaces (src/objects, cow, areas, space, stacks): append below.
// ---------------------------------------------------------------------------------------------

/** A VM object used in a state that does not allow the call (dead, shared where it must be exclusive). */
export class ObjectStateError extends VmError {
  constructor(message: string) {
    super("object-state", message);
  }
}

/** A page index outside the object (or area) it is applied to. */
export class PageIndexError extends VmError {
  constructor(message: string) {
    super("page-index", message);
  }
}

/** A virtual address or length that is not canonical, not a multiple of 4 KiB, or empty. */
export class AddressRangeError extends VmError {
  constructor(message: string) {
    super("address-range", message);
  }
}

/** An address space used after it was destroyed, or an operation it is not in a state for. */
export class SpaceStateError extends VmError {
  constructor(message: string) {
    super("space-state", message);
  }
}

/** A named shared-memory segment that already exists, does not exist, or is still mapped. */
export class ShmNameError extends VmError {
  constructor(message: string) {
    super("shm-name", message);
  }
}

/** A kernel-stack cache call with a stack it did not hand out (foreign or already returned). */
export class StackStateError extends VmError {
  constructor(message: string) {
    super("stack-state", message);
  }
}
