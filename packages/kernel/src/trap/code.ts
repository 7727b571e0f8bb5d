/**
 * Code addresses: what a "jump" to a user address finds. A program names its code by address (a
 * signal handler, a thread's start routine), as in C; the kernel accepts an address only if it
 * is a function of the process's text and lies in an executable mapping, as the CPU would only
 * fetch instructions from a page whose PTE allows it (Intel SDM 4.6: NX).
 *
 * ```
 *   addr ── text.at(addr) ──▶ a function of the image?   no → null (EFAULT, or SIGSEGV at delivery)
 *        └─ MMU, "exec" ───▶ an executable mapping?      no → null
 * ```
 *
 * It sits apart from `memory.ts` so that signal delivery (`../posix/deliver.ts`), which needs it,
 * and the memory path, which raises signals, do not import each other.
 *
 * Related: `memory.ts` (translateOrFault), `../program/image.ts` (the text's addresses),
 * `../posix/deliver.ts` and `../posix/syscalls.ts` (sigaction, thread_create, clone).
 */
import type { Kernel } from "../kernel/kernel.js";
import type { Thread } from "../process/thread.js";
import type { UserFunction } from "../program/image.js";
import { translateOrFault } from "./memory.js";

/**
 * The code at `addr` in `t`'s process, if `addr` is a function of its text and lies in an
 * executable mapping; `null` otherwise (jumping there would fault).
 * @example
 * ```ts
 * codeAt(k, t, s.addressOf(handler)); // handler
 * codeAt(k, t, 0xdead_0000);          // null
 * ```
 */
export function codeAt(k: Kernel, t: Thread, addr: number): UserFunction | null {
  const fn = t.process.text.at(addr);
  if (fn === null || t.process.addressSpace === null) return null;
  return translateOrFault(k, t.process.addressSpace, addr, "exec", t) >= 0 ? fn : null;
}
