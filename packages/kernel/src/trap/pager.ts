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
 *   store [va] ── #PF, vm: no area ──▶ MR0 = tag(label PAGE_FAULT_LABEL, 5 words)
 *                                      MR1 = va low, MR2 = va high,
 *                                      MR3 = access (0 read, 1 write, 2 exec), MR4 = pid of P,
 *                                      MR5 = x86 #PF error code (below)
 *                                      endpoint.call(F) ── F blocks (reply-wait) ──▶ pager_recv
 *                                                                                   pager_map(P, va, …)
 *                                      F woken with the reply      ◀────────────── pager_reply(cap, ok)
 *   ok = 1: the store is executed again and now hits the page the pager mapped
 *   ok = 0, or the pager died (endpoint closed, reply dropped): SIGSEGV as without a pager
 * ```
 *
 * What the message says (5 words after the tag):
 *
 * ```
 *   MR1  va bits 0..31          MR2  va bits 32..63
 *   MR3  access: 0 read, 1 write, 2 instruction fetch   (what pager_recv hands a POSIX pager)
 *   MR4  the faulting process's pid
 *   MR5  the x86 page-fault error code of the fault (Intel SDM 4.7, Figure 4-12):
 *          bit 0 P    0 = no page there (no area: SEGV_MAPERR), 1 = a protection violation
 *                     (the area forbids the access: a write to a page mapped read-only)
 *          bit 1 W/R  1 = the access was a write          bit 2 U/S  1 = user mode (always)
 *          bit 4 I/D  1 = an instruction fetch
 *   worked: a user write to a read-only page → P|W|U = 0b0111 = 7; a read of nothing → U = 4
 * ```
 *
 * MR3 keeps its meaning and MR5 is added, so a pager written for the 4-word message still works.
 * Which faults are forwarded: every fault with no area there, and — when the process's
 * `pagerProtectionFaults` is set, as L4 personalities set it — protection faults as well (P = 1),
 * which is how a user-level pager implements copy-on-write: it maps a shared page read-only into
 * two tasks and learns of the first write to it. A non-canonical address (#GP) is never forwarded.
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

/** Bits of the x86 page-fault error code in MR5 (Intel SDM 4.7). */
export const PfErr = {
  /** 1: protection violation on a present page; 0: nothing mapped there. */
  P: 1,
  /** 1: the access was a write. */
  W: 2,
  /** 1: the access came from user mode (always set: the kernel's own copies never forward). */
  U: 4,
  /** 1: the access was an instruction fetch. */
  I: 16,
} as const;

/** Message words after the tag of a page-fault message (va lo, va hi, access, pid, error code). */
export const PAGE_FAULT_WORDS = 5;

/**
 * The x86 error code of a user fault (see the banner).
 * @example pageFaultErrorCode("write", true) === 7 // P | W | U
 */
export function pageFaultErrorCode(access: AccessType, protection: boolean): number {
  return (
    (protection ? PfErr.P : 0) |
    (access === "write" ? PfErr.W : 0) |
    PfErr.U |
    (access === "exec" ? PfErr.I : 0)
  );
}

/**
 * Forward `t`'s fault at `va` to its process's pager; `t` blocks until the reply.
 * @param protection - true for a protection fault (MR5's P bit), false when nothing is mapped.
 * @returns true when forwarded (the caller must not touch `t` further), false when the process
 *   has no pager or no ipc slot is left (the fault then takes the usual SIGSEGV path).
 */
export function forwardFault(
  k: Kernel,
  t: Thread,
  va: number,
  access: AccessType,
  trap: Trap,
  protection: boolean,
): boolean {
  const ep = t.process.pager;
  if (ep === null || ep.destroyed) return false;
  const slot = k.ipcSlotFor(t);
  if (slot < 0) return false;
  const mr = k.ipc.mrs(slot);
  mr[0] = makeTag({ label: PAGE_FAULT_LABEL, words: PAGE_FAULT_WORDS });
  mr[1] = va | 0;
  mr[2] = Math.floor(va / 4294967296) | 0;
  mr[3] = ACCESS_CODE[access];
  mr[4] = t.process.pid;
  mr[5] = pageFaultErrorCode(access, protection);
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
