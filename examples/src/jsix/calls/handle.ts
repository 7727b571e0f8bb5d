/**
 * `j6_handle_list`, `j6_handle_clone`, `j6_handle_close`: a process's view of its own handle
 * table (`@osbricks/objects`' SlotHandleTable, one per process, made by the kernel core).
 *
 * ```
 *   call                 needs            does                                        returns
 *   ───────────────────  ───────────────  ──────────────────────────────────────────  ─────────
 *   handle_list(buf, n)  —                descriptors (handle, type code, caps) of    how many
 *                                         every handle, slot order; at most n written  handles
 *   handle_clone(h, m)   h: clone         a new handle, caps = h's caps & m            handle
 *                        (DUPLICATE)      (a child of h in the derivation tree)
 *   handle_close(h)      —                close h; the object's last handle closing    0
 *                                         ends it (no_handles), unless a live process
 *                                         or thread is the object
 * ```
 *
 * Worked (the denied demo): a VMA handle with caps map|unmap|resize|clone|… cloned with mask
 * `~resize` gives a handle whose j6_vma_resize is refused with j6_err_denied, while
 * j6_vma_map through it still works.
 *
 * **Simplification: closing a missing handle is refused.** Ours: `handle_close` of a value that
 * names no handle of the caller returns `j6_err_invalid_arg` (the grinder's stale handles meet
 * this every step). jsix's handle_close (src/kernel/syscalls/handle.cpp) calls
 * `process::remove_handle` and returns `j6_status_ok` whatever it found.
 *
 * Related: `../abi.ts` (J6Cap), `@osbricks/objects` handles/slot-table.ts.
 */
import { copyOut } from "@osbricks/kernel";
import { Right } from "@osbricks/objects";
import { HANDLE_DESCRIPTOR_BYTES, J6Status } from "../abi.js";
import type { JsixState } from "../personality.js";
import type { Handlers } from "./common.js";

/** Most descriptors one `j6_handle_list` writes. */
export const MAX_LIST = 256;

/** The handle-table handlers. */
export function handleCalls(
  s: JsixState,
): Pick<Handlers, "j6_handle_list" | "j6_handle_clone" | "j6_handle_close"> {
  const k = s.k;
  return {
    j6_handle_list(t, buf, cap) {
      if (cap < 0 || cap > MAX_LIST || (buf === 0 && cap > 0)) return -J6Status.err_invalid_arg;
      const list = t.process.handleTable.list();
      const n = Math.min(cap, list.length);
      if (n > 0) {
        const out = new Uint8Array(n * HANDLE_DESCRIPTOR_BYTES);
        const dv = new DataView(out.buffer);
        for (let i = 0; i < n; i++) {
          const d = list[i]!;
          dv.setInt32(i * HANDLE_DESCRIPTOR_BYTES, d.handle, true);
          dv.setInt32(i * HANDLE_DESCRIPTOR_BYTES + 4, s.typeCode(d.object.type), true);
          dv.setInt32(i * HANDLE_DESCRIPTOR_BYTES + 8, d.rights, true);
        }
        if (!copyOut(k, t.process.vm, buf, out)) return -J6Status.err_invalid_arg;
      }
      return list.length;
    },
    j6_handle_clone(t, orig, mask) {
      const table = t.process.handleTable;
      const r = table.lookup(orig, null, Right.DUPLICATE);
      if (r.kind !== "ok") return s.refusal(r.kind);
      const d = table.duplicate(orig, r.rights & mask);
      return d.kind === "ok" ? d.handle : s.refusal(d.kind);
    },
    j6_handle_close(t, h) {
      const r = t.process.handleTable.close(h);
      return r.kind === "ok" ? 0 : -J6Status.err_invalid_arg;
    },
  };
}
