/**
 * `j6_object_koid`, `j6_object_wait`, `j6_object_wait_many`: what every object has, whatever its
 * type: a koid and a set of signals that threads can wait on (jsix 2020–2022's object_wait).
 * The waiting itself is `@osbricks/objects`' `objectWaitMany` (observers on each object, one
 * ticket per wait); this room is the kernel's side of it: a {@link WaitHost} whose `wake`
 * resumes the blocked thread with the call's result.
 *
 * ```
 *   call                              needs       returns
 *   ────────────────────────────────  ──────────  ──────────────────────────────────────────────
 *   object_koid(h)                    —           type << 24 | serial
 *   object_wait(h, mask, timeout)     h: wait     the object's signals once one of mask is up
 *   object_wait_many(list, n, mask,   each: wait  the index of the first object with one of mask
 *                    out, timeout)                up; *out = its signals
 * ```
 *
 * A wait on an object that dies first returns `j6_status_destroyed`; a wait whose mask is
 * already satisfied returns at once (signals are state, not events: nothing is lost between a
 * check and a wait). Worked: srv.init waits on a child process with mask `terminated` (type
 * signal 0 = bit 8, 0x100) and, once the child has exited, gets 0x100: `no_handles` (bit 0)
 * cannot be up then, since the waiter holds a handle to the process.
 *
 * **Simplification: a timeout, and 0 polls.** Ours take a timeout (-1 forever, n cycles); 0 polls:
 * nothing up → `j6_status_would_block`. jsix's object_wait and object_wait_many
 * (src/kernel/syscalls/object.cpp) take no timeout: they return at once if a signal of the mask
 * is up, else block until one is.
 *
 * Related: `@osbricks/objects` wait/wait.ts, `common.ts` (timeouts).
 */
import { copyIn, copyOut, type Thread } from "@osbricks/kernel";
import {
  cancelWait,
  type KernelObject,
  objectWaitMany,
  sysObjectWaitMany,
  type WaitHost,
  type WaitResult,
  type WaitStart,
} from "@osbricks/objects";
import { J6Status } from "../abi.js";
import type { JsixState } from "../personality.js";
import { type Handlers, park, takeExpired } from "./common.js";

/** Most objects one `j6_object_wait_many` names (its list is 64 bytes). */
export const MAX_WAIT_MANY = 16;

/** The object-wait handlers. */
export function objectCalls(
  s: JsixState,
): Pick<Handlers, "j6_object_koid" | "j6_object_wait" | "j6_object_wait_many"> {
  const k = s.k;
  /** How each blocked waiter's result becomes its call's result, by thread id. */
  const completions = new Map<number, (r: WaitResult) => number>();
  const host: WaitHost = {
    now: () => k.now,
    // Deadlines are the kernel's (Kernel.blockUntil in park); objects only see null or "now".
    schedule: () => 0,
    cancelTimer: () => {},
    wake(waiter, result) {
      const done = completions.get(waiter);
      if (done === undefined) return; // cancelled: the thread is no longer waiting here
      completions.delete(waiter);
      const t = k.threads.get(waiter);
      if (t !== undefined) k.wakeThread(t, done(result));
    },
  };

  /** Finish a wait start: at once, or park the thread. */
  function settle(t: Thread, start: WaitStart, timeout: number, done: (r: WaitResult) => number): number {
    if (start.kind !== "blocked") return done(start);
    const ticket = start.ticket;
    completions.set(t.tid, done);
    return park(s, t, "object_wait", timeout, () => {
      completions.delete(t.tid);
      cancelWait(ticket);
    });
  }

  const deadline = (timeout: number): number | null => (timeout === 0 ? k.now : null);

  return {
    j6_object_koid: (_t, o) => s.koidOf(o as KernelObject),
    j6_object_wait(t, o, mask, timeout) {
      if (takeExpired(s, t)) return -J6Status.err_timed_out;
      if (mask <= 0 || timeout < -1) return -J6Status.err_invalid_arg;
      const start = objectWaitMany(host, t.tid, [{ object: o as KernelObject, mask }], deadline(timeout));
      return settle(t, start, timeout, (r) =>
        r.kind === "satisfied"
          ? r.observed[0]!
          : r.kind === "object-dead"
            ? -J6Status.destroyed
            : timeout === 0
              ? -J6Status.would_block // a poll that found nothing up (common.ts)
              : -J6Status.err_timed_out,
      );
    },
    j6_object_wait_many(t, list, count, mask, out, timeout) {
      if (takeExpired(s, t)) return -J6Status.err_timed_out;
      if (count < 1 || count > MAX_WAIT_MANY || mask <= 0 || timeout < -1) return -J6Status.err_invalid_arg;
      const bytes = copyIn(k, t.process.vm, list, count * 4);
      if (bytes === null) return -J6Status.err_invalid_arg;
      const dv = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
      const items = [];
      for (let i = 0; i < count; i++) items.push({ handle: dv.getInt32(i * 4, true), mask });
      const start = sysObjectWaitMany(host, t.tid, t.process.handleTable, items, deadline(timeout));
      if (start.kind === "bad-handle" || start.kind === "access-denied") return s.refusal(start.kind);
      if (start.kind === "invalid-signals" || start.kind === "invalid-args") return -J6Status.err_invalid_arg;
      const space = t.process.vm;
      return settle(t, start, timeout, (r) => {
        if (r.kind === "timed-out" || r.kind === "cancelled")
          return timeout === 0 ? -J6Status.would_block : -J6Status.err_timed_out;
        const w = new Uint8Array(4);
        new DataView(w.buffer).setInt32(0, r.observed[r.index]!, true);
        if (!copyOut(k, space, out, w)) return -J6Status.err_invalid_arg;
        return r.kind === "satisfied" ? r.index : -J6Status.destroyed;
      });
    },
  };
}
