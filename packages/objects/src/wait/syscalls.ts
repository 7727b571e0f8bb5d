/**
 * The system calls of this package as a kernel's trap handler calls them: each takes the
 * calling process's handle table and the raw numbers a program passed, checks handle, type and
 * rights in one lookup, and returns a result for every mistake a program can make (nothing a
 * program passes makes these throw).
 *
 * | call            | right  | what it does                                                  |
 * |-----------------|--------|---------------------------------------------------------------|
 * | `sysObjectWait` | WAIT   | jsix `object_wait`: block until any signal of `mask`          |
 * | `sysObjectWaitMany` | WAIT on each | jsix `object_wait_many`                            |
 * | `sysObjectSignal` | SIGNAL | Zircon `object_signal`: clear then set *user* signals       |
 * | `sysObjectInfo` | INSPECT | jsix `object_koid`, Zircon `object_get_info`: koid, type, counts |
 *
 * ```ts
 * // In a kernel's syscall table (the thread's generator is resumed with the value):
 * case "object_wait": {
 *   const r = sysObjectWait(host, thread.id, process.handles, h, mask, deadline);
 *   if (r.kind === "blocked") return BLOCK;      // host.wake(thread.id, result) resumes it later
 *   return r;                                    // satisfied / object-dead / timed-out / bad-handle / ...
 * }
 * ```
 *
 * Related: `wait/wait.ts`, `handles/api.ts`.
 */
import type { Cycles, Koid, Rights, Signals } from "../api.js";
import { ALL_BITS, USER_SIGNALS_MASK } from "../api.js";
import type { AccessDenied, BadHandle, HandleTable } from "../handles/api.js";
import type { LifeState } from "../object/lifecycle.js";
import { Right } from "../rights/rights.js";
import type { WaiterId, WaitHost } from "./api.js";
import { MAX_WAIT_ITEMS, objectWaitMany, type WaitItem, type WaitStart } from "./wait.js";

/** A signal mask a program passed that the call cannot use. */
export interface InvalidSignals {
  readonly kind: "invalid-signals";
  readonly requested: Signals;
  /** The bits the call accepts. */
  readonly allowed: Signals;
}

/** A wait whose arguments a program got wrong in shape (too many items, negative deadline). */
export interface InvalidWait {
  readonly kind: "invalid-args";
  readonly reason: string;
}

/** What a wait system call returns. */
export type SysWaitResult = WaitStart | BadHandle | AccessDenied | InvalidSignals | InvalidWait;

/**
 * `object_wait(handle, mask, deadline)`: look `handle` up with WAIT, then {@link objectWaitMany}.
 * @returns the wait's start (result or `blocked`), or the lookup's or argument's refusal.
 */
export function sysObjectWait(
  host: WaitHost,
  waiter: WaiterId,
  table: HandleTable,
  handle: number,
  mask: Signals,
  deadline: Cycles | null,
): SysWaitResult {
  return sysObjectWaitMany(host, waiter, table, [{ handle, mask }], deadline);
}

/**
 * `object_wait_many([(handle, mask)...], deadline)`: every handle needs WAIT; the first refusal,
 * in item order, is returned and nothing is registered.
 */
export function sysObjectWaitMany(
  host: WaitHost,
  waiter: WaiterId,
  table: HandleTable,
  items: readonly { readonly handle: number; readonly mask: Signals }[],
  deadline: Cycles | null,
): SysWaitResult {
  if (items.length === 0 || items.length > MAX_WAIT_ITEMS) {
    return { kind: "invalid-args", reason: `expected 1..${MAX_WAIT_ITEMS} items, got ${items.length}` };
  }
  if (deadline !== null && !(deadline >= 0))
    return { kind: "invalid-args", reason: `deadline ${deadline} is not a time ≥ 0` };
  const resolved: WaitItem[] = [];
  for (const { handle, mask } of items) {
    if (!Number.isInteger(mask) || mask < 0 || mask > ALL_BITS)
      return { kind: "invalid-signals", requested: mask, allowed: ALL_BITS };
    const r = table.lookup(handle, null, Right.WAIT);
    if (r.kind !== "ok") return r as BadHandle | AccessDenied;
    resolved.push({ object: r.object, mask });
  }
  return objectWaitMany(host, waiter, resolved, deadline);
}

/**
 * `object_signal(handle, clear, set)`: change the object's *user* signals (bits 23..30); needs
 * SIGNAL. Waiters satisfied by `set` wake before this returns.
 */
export function sysObjectSignal(
  table: HandleTable,
  handle: number,
  clear: Signals,
  set: Signals,
): { readonly kind: "ok"; readonly signals: Signals } | BadHandle | AccessDenied | InvalidSignals {
  const r = table.lookup(handle, null, Right.SIGNAL);
  if (r.kind !== "ok") return r as BadHandle | AccessDenied;
  for (const bits of [clear, set]) {
    if (!Number.isInteger(bits) || bits < 0 || (bits & ~USER_SIGNALS_MASK) !== 0) {
      return { kind: "invalid-signals", requested: bits, allowed: USER_SIGNALS_MASK };
    }
  }
  r.object.updateSignals(clear, set);
  return { kind: "ok", signals: r.object.signals };
}

/** What `sysObjectInfo` reports about the object behind a handle. */
export interface ObjectInfo {
  readonly kind: "ok";
  readonly koid: Koid;
  readonly type: string;
  readonly state: LifeState;
  /** The rights of the handle used to ask. */
  readonly rights: Rights;
  readonly handleCount: number;
  readonly signals: Signals;
}

/** `object_info(handle)`: the koid, type, life state, counts and signals; needs INSPECT. */
export function sysObjectInfo(table: HandleTable, handle: number): ObjectInfo | BadHandle | AccessDenied {
  const r = table.lookup(handle, null, Right.INSPECT);
  if (r.kind !== "ok") return r as BadHandle | AccessDenied;
  const o = r.object;
  return {
    kind: "ok",
    koid: o.koid,
    type: o.type.name,
    state: o.state,
    rights: r.rights,
    handleCount: o.handleCount,
    signals: o.signals,
  };
}
