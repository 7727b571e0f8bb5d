/**
 * `j6_log` and `j6_system_get_log`: the kernel log. jsix's kernel keeps a log buffer; the system
 * object asserts `has_log` while it holds entries, and srv.logger (a user process holding the
 * system handle with `get_log`) waits on that signal and drains the entries one at a time. The
 * kernel writes its own lines there too (process exits, refusals worth telling).
 *
 * ```
 *   j6_log(buf, len)   ──▶  system.log.push("[pid] text")  ──▶  has_log asserted
 *   srv.logger: j6_object_wait(sys, has_log) ──▶ j6_system_get_log(sys, buf, len) until it returns 0
 *                                                (the last entry taken deasserts has_log)
 * ```
 *
 * `j6_system_get_log` with a buffer too small for the oldest entry returns j6_err_insufficient
 * and takes nothing (jsix also reports the size needed; ours has one result register, and
 * entries are at most MAX_LOG_LINE bytes).
 *
 * Related: `../objects.ts` (SystemObject), `../programs/logger.ts`.
 */
import { copyIn, copyOut } from "@osbricks/kernel";
import { J6Status, MAX_LOG_LINE } from "../abi.js";
import type { JsixState } from "../personality.js";
import type { Handlers } from "./common.js";

/** The `j6_log`, `j6_system_get_log` and `j6_system_serial_write` handlers. */
export function systemCalls(
  s: JsixState,
): Pick<Handlers, "j6_log" | "j6_system_get_log" | "j6_system_serial_write"> {
  const k = s.k;
  return {
    j6_log(t, buf, len) {
      if (len > MAX_LOG_LINE) return -J6Status.err_invalid_arg;
      const bytes = copyIn(k, t.process.vm, buf, len);
      if (bytes === null) return -J6Status.err_invalid_arg;
      s.klog(`[${t.process.pid}] ${String.fromCharCode(...bytes)}`);
      return 0;
    },
    j6_system_get_log(t, sys, buf, len) {
      const line = sys.log[0];
      if (line === undefined) return 0;
      if (len < line.length) return -J6Status.err_insufficient;
      const bytes = new Uint8Array(line.length);
      for (let i = 0; i < line.length; i++) bytes[i] = line.charCodeAt(i) & 0xff;
      if (!copyOut(k, t.process.vm, buf, bytes)) return -J6Status.err_invalid_arg;
      sys.log.shift();
      if (sys.log.length === 0) sys.clearSignals(s.systemType.signal("has_log"));
      return bytes.length;
    },
    j6_system_serial_write(t, _sys, buf, len) {
      if (len > MAX_LOG_LINE) return -J6Status.err_invalid_arg;
      const bytes = copyIn(k, t.process.vm, buf, len);
      if (bytes === null) return -J6Status.err_invalid_arg;
      s.serial(String.fromCharCode(...bytes));
      return 0;
    },
  };
}
