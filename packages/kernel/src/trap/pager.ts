/**
 * External pagers: page faults forwarded as IPC messages to a user-space pager thread, as L4
 * (and Codezero, and Mach's external memory managers) do.
 *
 * A process may have a pager: an ipc `Endpoint` that a thread of another process receives on.
 * When one of its threads takes a page fault the address space cannot resolve (no area there),
 * the kernel does not raise SIGSEGV at once; it makes the faulting thread *call* the pager:
 *
 * ```
 *   faulting thread F (process P)            kernel                       pager thread G
 *   ─────────────────────────────            ──────                       ──────────────
 *   store [va] ── #PF, vm: no area ──▶ MR0 = tag(label PAGE_FAULT_LABEL, 4 words)
 *                                      MR1 = va low, MR2 = va high,
 *                                      MR3 = access (0 read, 1 write, 2 exec), MR4 = pid of P
 *                                      endpoint.call(F) ── F blocks (reply-wait) ──▶ pager_recv
 *                                                                                   pager_map(P, va, …)
 *                                      F woken with the reply      ◀────────────── pager_reply(cap, ok)
 *   ok = 1: the store is executed again and now hits the page the pager mapped
 *   ok = 0, or the pager died (endpoint closed, reply dropped): SIGSEGV as without a pager
 * ```
 *
 * Faults met by the kernel's own copies (a bad buffer passed to `write`) are not forwarded: they
 * return EFAULT, as a kernel cannot sleep on a user pager in the middle of every copy.
 *
 * Related: `memory.ts` (where the fault is met), `../posix/syscalls.ts` (pager_attach,
 * pager_recv, pager_map, pager_reply), `@osbricks/ipc` `Endpoint`.
 */
import { IpcStatus, makeTag } from "@osbricks/ipc";
import type { AccessType } from "@osbricks/vm";
import type { Kernel } from "../kernel/kernel.js";
import { forceSignal } from "../posix/generate.js";
import { Sig } from "../posix/signals.js";
import type { Thread } from "../process/thread.js";
import type { Trap } from "../program/trap.js";

/** The label of a page-fault message in MR0 (L4 uses a negative label; ours is a 16-bit one). */
export const PAGE_FAULT_LABEL = 0xfa17;

const ACCESS_CODE: Readonly<Record<AccessType, number>> = { read: 0, write: 1, exec: 2 };

/**
 * Forward `t`'s fault at `va` to its process's pager; `t` blocks until the reply.
 * @returns true when forwarded (the caller must not touch `t` further), false when the process
 *   has no pager or no ipc slot is left (the fault then takes the usual SIGSEGV path).
 */
export function forwardFault(k: Kernel, t: Thread, va: number, access: AccessType, trap: Trap): boolean {
  const ep = t.process.pager;
  if (ep === null || ep.destroyed) return false;
  const slot = k.ipcSlotFor(t);
  if (slot < 0) return false;
  const mr = k.ipc.mrs(slot);
  mr[0] = makeTag({ label: PAGE_FAULT_LABEL, words: 4 });
  mr[1] = va | 0;
  mr[2] = Math.floor(va / 4294967296) | 0;
  mr[3] = ACCESS_CODE[access];
  mr[4] = t.process.pid;
  const st = ep.call(slot);
  if (st !== IpcStatus.Blocked) return false; // closed or refused: no pager to speak of
  k.block(t, {
    on: "pager",
    restart: trap,
    interruptible: false,
    cancel: () => k.ipc.threadExit(slot),
    complete: (status) => {
      // The reply's MR1 says whether the pager resolved the fault.
      if (status !== IpcStatus.Ok || k.ipc.mrs(slot)[1] !== 1) forceSignal(k, t, Sig.SIGSEGV);
      return undefined; // execute the faulting access again (or take the signal first)
    },
  });
  return true;
}
