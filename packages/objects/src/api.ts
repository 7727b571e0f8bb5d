/**
 * Shared vocabulary of `@osbricks/objects`: the kinds of numbers, the bit layouts of rights and
 * signals, and the trace events.
 *
 * Four kinds of number cross this package's edges, and mixing them up is the classic
 * capability-system bug, so the two that name things are branded:
 *
 * | type      | what it names                          | who sees it     | reused?                   |
 * |-----------|----------------------------------------|-----------------|---------------------------|
 * | `Koid`    | one kernel object, machine-wide        | anyone          | never                     |
 * | `Handle`  | one entry of one process's table       | one process     | the slot is, the value not|
 * | `Rights`  | what a handle allows (a bit set)       | handle holders  | —                         |
 * | `Signals` | an object's observable state (bit set) | waiters         | —                         |
 *
 * Bit layouts (bit 31 is never used, so every set is a non-negative small integer in V8):
 *
 * ```
 *  rights   30 ........ 16 15 ........ 0
 *           [type-specific] [  generic  ]     generic: DUPLICATE, TRANSFER, READ, ... (rights/rights.ts)
 *
 *  signals  30 ... 23 22 ....... 8 7 .... 0
 *           [ user  ] [type bits ] [system]   system: NO_HANDLES, PEER_CLOSED (signals/signals.ts)
 * ```
 *
 * Related: `rights/rights.ts`, `signals/signals.ts`, `wait/api.ts`, `handles/api.ts`.
 */

/**
 * Kernel object id: unique per machine ({@link ObjectSpace}) and never reused, like Zircon's koid
 * or jsix's `j6_koid_t`. 0 is never a valid koid.
 */
export type Koid = number & { readonly __brand: "Koid" };

/**
 * A handle value as a table hands it out: a small integer with a slot index in the low bits and a
 * generation in the high bits (see `handles/slot-table.ts` for the worked layout). Lookups accept
 * any `number`, because a user program can pass anything; only values returned by a table are
 * typed `Handle`. 0 is never a valid handle ({@link HANDLE_INVALID}).
 */
export type Handle = number & { readonly __brand: "Handle" };

/** A set of rights, one bit per right (layout in the file banner). */
export type Rights = number;

/** A set of signals, one bit per signal (layout in the file banner). */
export type Signals = number;

/** Simulated time, in CPU cycles of the simulated machine. */
export type Cycles = number;

/** The value no table ever hands out (Zircon's `ZX_HANDLE_INVALID`). */
export const HANDLE_INVALID = 0 as Handle;

/** Mask of all usable bits of a rights or signal set (bits 0..30). */
export const ALL_BITS = 0x7fff_ffff;

/** Generic rights occupy bits 0..15; every object type understands them. */
export const GENERIC_RIGHTS_MASK = 0x0000_ffff;
/** Type-specific rights occupy bits 16..30; their names come from the object type. */
export const TYPE_RIGHTS_MASK = 0x7fff_0000;
/** First bit of the type-specific rights range. */
export const TYPE_RIGHTS_SHIFT = 16;
/** Number of type-specific right bits (16..30). */
export const TYPE_RIGHTS_COUNT = 15;

/** System signals occupy bits 0..7; the object layer raises them itself. */
export const SYSTEM_SIGNALS_MASK = 0x0000_00ff;
/** Type signals occupy bits 8..22 (readable, writable, terminated, ...), named per object type. */
export const TYPE_SIGNALS_MASK = 0x007f_ff00;
/** First bit of the type-signal range. */
export const TYPE_SIGNALS_SHIFT = 8;
/** Number of type-signal bits (8..22). */
export const TYPE_SIGNALS_COUNT = 15;
/** User signals occupy bits 23..30; a program may set and clear them (jsix's user signals). */
export const USER_SIGNALS_MASK = 0x7f80_0000;
/** First bit of the user-signal range. */
export const USER_SIGNALS_SHIFT = 23;

/**
 * The structural tracer every osbricks package accepts (CONTRIBUTING.md, "Tracing"). No package
 * imports another for it: any object with a matching `emit` will do.
 */
export interface Tracer<E extends { readonly type: string }> {
  /** Receive one event; must not call back into the object layer. */
  emit(event: E): void;
}

/** Trace events of the object layer. Fields are plain data: koids, handle values, bit sets. */
export type ObjectEvent =
  | { readonly type: "object.created"; readonly koid: Koid; readonly objectType: string }
  | { readonly type: "object.no-handles"; readonly koid: Koid }
  | { readonly type: "object.dead"; readonly koid: Koid }
  | { readonly type: "object.destroyed"; readonly koid: Koid }
  | {
      readonly type: "signals.changed";
      readonly koid: Koid;
      readonly before: Signals;
      readonly after: Signals;
    }
  | {
      readonly type: "handle.created";
      readonly table: number;
      readonly handle: Handle;
      readonly koid: Koid;
      readonly rights: Rights;
    }
  | { readonly type: "handle.closed"; readonly table: number; readonly handle: Handle; readonly koid: Koid }
  | {
      readonly type: "handle.moved";
      readonly from: number;
      readonly to: number;
      readonly handle: Handle;
      readonly newHandle: Handle;
      readonly koid: Koid;
    }
  | {
      readonly type: "handle.revoked";
      readonly table: number;
      readonly handle: Handle;
      readonly count: number;
    }
  | { readonly type: "wait.blocked"; readonly waiter: number; readonly koids: readonly Koid[] }
  | { readonly type: "wait.completed"; readonly waiter: number; readonly kind: string };
