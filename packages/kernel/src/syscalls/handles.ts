/**
 * Handle arguments: how a system call declared with `arg.handle(...)` receives a kernel object.
 *
 * The dispatcher asks the kernel's resolver for every handle argument; this one looks the value up
 * in the calling process's handle table (`@osbricks/objects`), with the object type and rights
 * the declaration names, in that table's order of checks (handle, type, rights):
 *
 * | lookup result                       | system call gets |
 * | ----------------------------------- | ---------------- |
 * | ok                                  | the object       |
 * | bad handle (malformed, closed, stale) | EBADF          |
 * | wrong type                          | EBADF            |
 * | missing rights                      | EPERM (Zircon: ZX_ERR_ACCESS_DENIED) |
 *
 * Related: `dispatch.ts` (the caller), `decl.ts` (`arg.handle`).
 */
import type { Kernel } from "../kernel/kernel.js";
import type { Thread } from "../process/thread.js";
import type { HandleResolver } from "./dispatch.js";
import { Errno } from "./errno.js";

/**
 * The handle resolver of a kernel: pass it to a personality's {@link SyscallDispatcher}.
 * @example
 * ```ts
 * const personality: Personality = (k) => new SyscallDispatcher(table, handlers, { resolveHandle: kernelHandleResolver(k) });
 * ```
 */
export function kernelHandleResolver(k: Kernel): HandleResolver<Thread> {
  return (t, handle, spec) => {
    const type = spec.objectType === undefined ? null : (k.objects.typeNamed(spec.objectType) ?? null);
    if (spec.objectType !== undefined && type === null) return { errno: -Errno.EBADF };
    const r = t.process.handleTable.lookup(handle, type, spec.rights ?? 0);
    if (r.kind === "ok") return { object: r.object };
    return { errno: r.kind === "access-denied" ? -Errno.EPERM : -Errno.EBADF };
  };
}
