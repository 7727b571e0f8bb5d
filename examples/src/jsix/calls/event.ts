/**
 * `j6_event_create`, `j6_event_signal`, `j6_event_wait`: jsix's event, a word of signal bits that
 * one side raises and the other waits for and takes. jsix's event has 64 bits; ours has 8, the
 * object's user signals (`@osbricks/objects` bits 23..30), so that `j6_object_wait` and
 * `j6_object_wait_many` see them like any other signal:
 *
 * ```
 *   user bit i      0     1     …     7
 *   object signal   1<<23 1<<24 …     1<<30        (mask for object_wait: bits << 23)
 * ```
 *
 * `j6_event_wait` returns the bits that are up and lowers them, in one step (a bit raised twice
 * before a wait is seen once: events are state, not counters). Worked: signal(set = 0b101) then
 * wait → 5, and a second wait blocks.
 *
 * **Simplification: timeout 0 polls.** Ours: 0 with no bit up returns `j6_status_would_block`.
 * jsix's event_wait (src/kernel/syscalls/event.cpp) sets a wake timeout only `if (timeout)`: 0
 * there waits until a bit comes up.
 *
 * Related: `object.ts` (waiting on any object), `../objects.ts`.
 */
import type { SignalObserver } from "@osbricks/objects";
import { EVENT_SIGNAL_SHIFT, J6Status } from "../abi.js";
import { EventObject } from "../objects.js";
import type { JsixState } from "../personality.js";
import { type Handlers, park, takeExpired } from "./common.js";

const ALL = 0xff << EVENT_SIGNAL_SHIFT;

function popcount(x: number): number {
  let n = 0;
  for (let v = x >>> 0; v !== 0; v &= v - 1) n++;
  return n;
}

/** The event handlers. */
export function eventCalls(
  s: JsixState,
): Pick<Handlers, "j6_event_create" | "j6_event_signal" | "j6_event_wait"> {
  const k = s.k;
  /** Take the bits that are up: lower them, return them as user bits. */
  const take = (ev: EventObject): number => {
    const up = ev.signals & ALL;
    if (up !== 0) ev.clearSignals(up);
    return up >>> EVENT_SIGNAL_SHIFT;
  };
  return {
    j6_event_create(t) {
      const table = t.process.handleTable;
      if (table.size >= table.capacity) return -J6Status.err_insufficient;
      const ev = new EventObject(k.objects, s.eventType);
      const h = table.create(ev, s.eventType.defaultRights);
      s.created("event");
      return h.kind === "ok" ? h.handle : -J6Status.err_unexpected;
    },
    j6_event_signal(_t, ev, set, clear) {
      const before = ev.signals;
      ev.updateSignals(clear << EVENT_SIGNAL_SHIFT, set << EVENT_SIGNAL_SHIFT);
      s.counters.signalsRaised += popcount(ev.signals & ~before & ALL);
      return 0;
    },
    j6_event_wait(t, ev, timeout) {
      if (takeExpired(s, t)) return -J6Status.err_timed_out;
      if (timeout < -1) return -J6Status.err_invalid_arg;
      const bits = take(ev);
      if (bits !== 0) return bits;
      if (timeout === 0) return -J6Status.would_block;
      const observer: SignalObserver = {
        mask: ALL,
        signalled(o) {
          o.removeObserver(observer);
          k.wakeThread(t, take(o as EventObject));
        },
        died(o) {
          o.removeObserver(observer);
          k.wakeThread(t, -J6Status.destroyed);
        },
      };
      ev.addObserver(observer);
      return park(s, t, "event_wait", timeout, () => ev.removeObserver(observer));
    },
  };
}
