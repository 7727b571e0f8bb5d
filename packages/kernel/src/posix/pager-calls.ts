/**
 * The pager calls of the POSIX personality: a user-level pager, as Mach's external memory
 * managers. A parent attaches itself to a child (pager_attach); the child's page faults in
 * unmapped user memory become messages on the parent's endpoint (`../trap/pager.ts`), which it
 * receives (pager_recv), answers by mapping a page into the child (pager_map), and replies to
 * (pager_reply), and the child's faulting access runs again.
 *
 * ```
 *   child faults ──IPC call──▶ pager endpoint ──pager_recv──▶ parent
 *   child runs again ◀──reply── pager_reply(cap, ok) ◀── pager_map(pid, va, prot, src)
 * ```
 *
 * Related: `syscalls.ts` (the table of contents), `../trap/pager.ts` (the fault side).
 */

import { Endpoint, IpcStatus, makeTag } from "@osbricks/ipc";
import { USER_END, USER_START } from "@osbricks/vm";
import type { Kernel } from "../kernel/kernel.js";
import type { Thread } from "../process/thread.js";
import type { SyscallHandlers } from "../syscalls/dispatch.js";
import { Errno } from "../syscalls/errno.js";
import { copyIn, copyOut } from "../trap/memory.js";
import { PAGE_FAULT_LABEL } from "../trap/pager.js";
import { Prot, type posixSyscalls } from "./table.js";

type PosixHandlers = SyscallHandlers<Thread, typeof posixSyscalls.decls>;
const PAGE = 4096;

/** The pager calls, for `posixPersonality`: each returns a result or `-errno`, never throws. */
export function pagerCalls(
  k: Kernel,
): Pick<PosixHandlers, "pager_attach" | "pager_recv" | "pager_map" | "pager_reply"> {
  return {
    pager_attach(t, pid) {
      const target = k.processes.get(pid);
      if (target === undefined || target.phase !== "live") return -Errno.ESRCH;
      if (target.parent !== t.process) return -Errno.EPERM;
      const p = t.process;
      p.pagerEndpoint ??= new Endpoint(k.ipc, { name: `pager#${p.pid}` });
      target.pager = p.pagerEndpoint;
      return 0;
    },
    pager_recv(t, msg) {
      const ep = t.process.pagerEndpoint;
      if (ep === null) return -Errno.EINVAL;
      const slot = k.ipcSlotFor(t);
      if (slot < 0) return -Errno.EAGAIN;
      const deliver = (): number => {
        const mr = k.ipc.mrs(slot);
        const out = new Uint8Array(16);
        const dv = new DataView(out.buffer);
        dv.setUint32(0, mr[1]! >>> 0, true);
        dv.setUint32(4, mr[2]! >>> 0, true);
        dv.setUint32(8, mr[3]! >>> 0, true);
        dv.setUint32(12, mr[4]! >>> 0, true);
        if (!copyOut(k, t.process.vm, msg, out)) return -Errno.EFAULT;
        return k.ipc.replyCap[slot]!;
      };
      const st = ep.receive(slot);
      if (st === IpcStatus.Ok) return deliver();
      if (st !== IpcStatus.Blocked) return -Errno.EINVAL;
      return k.block(t, {
        on: "pager_recv",
        restart: null,
        interruptible: true,
        cancel: () => k.ipc.threadExit(slot),
        complete: (status) => (status === IpcStatus.Ok ? deliver() : -Errno.EINTR),
      });
    },
    pager_map(t, pid, va, p, src) {
      const target = k.processes.get(pid);
      if (target === undefined || target.phase !== "live") return -Errno.ESRCH;
      if (target.pager === null || target.pager !== t.process.pagerEndpoint) return -Errno.EPERM;
      if (va < USER_START || va + PAGE > USER_END) return -Errno.EINVAL;
      const bytes = src === 0 ? null : copyIn(k, t.process.vm, src, PAGE);
      if (src !== 0 && bytes === null) return -Errno.EFAULT;
      const space = target.vm;
      // Map writable to fill it through the user's rights, then set the protection asked for.
      const rw = Prot.PROT_READ | Prot.PROT_WRITE;
      const out = space.map({
        length: PAGE,
        prot: rw,
        placement: { kind: "fixed", va, replace: false },
        name: "[paged]",
      });
      if (out.kind !== "mapped") return -Errno.EEXIST;
      if (bytes !== null) copyOut(k, space, va, bytes);
      if (p !== rw) space.protect(va, PAGE, p);
      return 0;
    },
    pager_reply(t, cap, ok) {
      const ep = t.process.pagerEndpoint;
      if (ep === null) return -Errno.EINVAL;
      const slot = k.ipcSlotFor(t);
      if (slot < 0) return -Errno.EAGAIN;
      const mr = k.ipc.mrs(slot);
      mr[0] = makeTag({ label: PAGE_FAULT_LABEL, words: 1 });
      mr[1] = ok;
      return ep.reply(slot, cap) === IpcStatus.Ok ? 0 : -Errno.EINVAL;
    },
  };
}
