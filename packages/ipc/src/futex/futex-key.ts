/**
 * The futex key of a user address: the physical address its word lives at, found through the
 * thread's address space the way the kernel's futex system call does (Linux `get_futex_key`).
 *
 * ```
 *   process A: VA 0x7000_0010 ─┐                     shared object page ─▶ frame 0x42
 *                              ├─ MMU walk ─▶ PA 0x42_010  ◀── one futex queue
 *   process B: VA 0x0001_0010 ─┘
 *   process C: VA 0x7000_0010 ─── private page ─▶ frame 0x57 ─▶ PA 0x57_010 (another queue)
 * ```
 *
 * The walk goes through `@osbricks/vm`'s `userTranslate`, so a page not yet present is faulted in
 * first (demand zero, copy-on-write): the key is the frame the word is in after the fault, as a
 * write would see it. A copy-on-write page is resolved for writing here, because the word will be
 * written by whoever wakes the waiter; resolving for reading would key the shared pre-fork frame
 * and a later write would move the word away from its waiters.
 *
 * Related: `futex.ts` (the table keyed by these addresses).
 */
import type { Mmu } from "@osbricks/hw-x86";
import { type AccessFault, type AddressSpace, userTranslate } from "@osbricks/vm";
import { IpcArgumentError } from "../errors.js";

/**
 * The physical address of the 32-bit word at user address `va` in `space`, or the fault that
 * stopped the walk (the system call then fails with EFAULT).
 * @param pcid the PCID the space runs with on this MMU's CPU. Default 0.
 * @throws IpcArgumentError when `va` is not 4-byte aligned.
 */
export function futexKey(space: AddressSpace, mmu: Mmu, va: number, pcid = 0): number | AccessFault {
  if (!Number.isInteger(va) || va < 0 || va % 4 !== 0) {
    throw new IpcArgumentError(`futexKey(va=${va}): expected a 4-byte aligned user address`);
  }
  return userTranslate(space, mmu, va, "write", pcid);
}
