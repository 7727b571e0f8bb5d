/**
 * srv.logger: drains the kernel log to the serial console, as jsix's logger (the UART driver's
 * log pump) does: wait until the system object asserts `has_log`, take entries one by one with
 * `j6_system_get_log` until it returns 0 (which deasserts `has_log`), write each out, wait again.
 * It also waits on a stop event from srv.init: when that rises it drains what is left and exits.
 *
 * Its handles (given by srv.init, found by type): the system object with get_log, change_iopl
 * (the serial port) and wait — nothing else of the system's —, and the stop event with wait.
 *
 * Related: `../calls/system.ts`, `init.ts`.
 */
import { mem, type UserCode } from "@osbricks/kernel";
import { EVENT_SIGNAL_SHIFT, J6ObjectType, MAX_LOG_LINE } from "../abi.js";
import { findHandle, j6, SCRATCH_TEXT, scratch } from "../lib.js";

/** The system object's has_log signal (its type signal 0: bit 8). */
export const HAS_LOG = 1 << 8;
/** Event bit 0 as an object signal. */
export const EVENT_BIT0 = 1 << EVENT_SIGNAL_SHIFT;
const WAIT_LIST = 64;
const WAIT_OUT = 72;

/** srv.logger's main (see the banner). */
export function* loggerMain(): UserCode<number> {
  const buf = yield* scratch(0);
  if (buf < 0) return 1;
  const sys = yield* findHandle(buf, J6ObjectType.system);
  const stop = yield* findHandle(buf, J6ObjectType.event);
  if (sys < 0 || stop < 0) return 1;
  yield* mem.store32(buf + WAIT_LIST, sys);
  yield* mem.store32(buf + WAIT_LIST + 4, stop);
  for (;;) {
    const which = yield* j6.j6_object_wait_many(buf + WAIT_LIST, 2, HAS_LOG | EVENT_BIT0, buf + WAIT_OUT, -1);
    for (;;) {
      const n = yield* j6.j6_system_get_log(sys, buf + SCRATCH_TEXT, MAX_LOG_LINE);
      if (n <= 0) break;
      yield* j6.j6_system_serial_write(sys, buf + SCRATCH_TEXT, n);
    }
    if (which !== 0) return which === 1 ? 0 : 1;
  }
}
