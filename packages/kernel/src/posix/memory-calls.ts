/**
 * The memory calls of the POSIX personality: mmap (anonymous only), mprotect, munmap and brk,
 * over the process's address space (`@osbricks/vm`). Lengths round up to whole 4 KiB pages, as
 * Linux's PAGE_ALIGN: mmap(len = 5000) maps 8192 bytes.
 *
 * ```
 *   USER_START … heapStart ──brk──▶ [heap] … MMAP_BASE (64 GiB) ──mmap──▶ [mmap] … USER_END
 * ```
 *
 * Related: `syscalls.ts` (the table of contents), `pager-calls.ts` (pages a user pager maps).
 */

import { type Placement, USER_END, USER_START } from "@osbricks/vm";
import type { Thread } from "../process/thread.js";
import type { SyscallHandlers } from "../syscalls/dispatch.js";
import { Errno } from "../syscalls/errno.js";
import { MapFlags, Prot, type posixSyscalls } from "./table.js";

type PosixHandlers = SyscallHandlers<Thread, typeof posixSyscalls.decls>;
const PAGE = 4096;
const pagesOf = (len: number): number => Math.ceil(len / PAGE);
/** Where mmap starts looking when given no usable hint (64 GiB: far above any heap here). */
export const MMAP_BASE = 0x10_0000_0000;

/** The memory calls, for `posixPersonality`: each returns a result or `-errno`, never throws. */
export function memoryCalls(): Pick<PosixHandlers, "mmap" | "mprotect" | "munmap" | "brk"> {
  return {
    mmap(t, addr, length, p, flags, _fd, offset) {
      if (length === 0 || offset !== 0 || (flags & MapFlags.MAP_ANONYMOUS) === 0) return -Errno.EINVAL;
      const shared = (flags & MapFlags.MAP_SHARED) !== 0;
      if (shared === ((flags & MapFlags.MAP_PRIVATE) !== 0)) return -Errno.EINVAL;
      const len = pagesOf(length) * PAGE;
      let placement: Placement;
      if ((flags & MapFlags.MAP_FIXED) !== 0) {
        // POSIX mmap: EINVAL when "the addr argument (if MAP_FIXED was specified) ... [is] not a
        // multiple of the page size"; ENOMEM when "MAP_FIXED was specified, and the range
        // [addr,addr+len) exceeds that allowed for the address space" (page 0 included here).
        // Without MAP_FIXED any address is a hint.
        if (addr % PAGE !== 0) return -Errno.EINVAL;
        if (addr < USER_START || addr + len > USER_END) return -Errno.ENOMEM;
        placement = { kind: "fixed", va: addr };
      } else {
        // Lunaix's hinted placement: the hint's page (rounded up, as Linux's PAGE_ALIGN) if free,
        // else the first fit above it, else the lowest fit.
        const hint = pagesOf(addr) * PAGE;
        const inUser = hint >= USER_START && hint + len <= USER_END;
        placement = { kind: "hint", va: inUser ? hint : MMAP_BASE };
      }
      const out = t.process.vm.map({
        length: len,
        prot: p,
        placement,
        sharing: shared ? "shared" : "private",
        name: "[mmap]",
      });
      return out.kind === "mapped" ? out.va : -Errno.ENOMEM;
    },
    mprotect(t, addr, length, p) {
      if (length === 0) return 0;
      const len = pagesOf(length) * PAGE;
      if (addr < USER_START || addr + len > USER_END) return -Errno.ENOMEM;
      return t.process.vm.protect(addr, len, p).kind === "protected" ? 0 : -Errno.ENOMEM;
    },
    munmap(t, addr, length) {
      const len = pagesOf(length) * PAGE;
      if (length === 0 || addr < USER_START || addr + len > USER_END) return -Errno.EINVAL;
      t.process.vm.unmap(addr, len);
      return 0;
    },
    brk(t, addr) {
      const p = t.process;
      if (addr < p.heapStart || addr > MMAP_BASE) return p.brk;
      const oldEnd = pagesOf(p.brk) * PAGE;
      const newEnd = pagesOf(addr) * PAGE;
      if (newEnd > oldEnd) {
        const out = p.vm.map({
          length: newEnd - oldEnd,
          prot: Prot.PROT_READ | Prot.PROT_WRITE,
          placement: { kind: "fixed", va: oldEnd, replace: false },
          name: "[heap]",
        });
        if (out.kind !== "mapped") return p.brk;
      } else if (newEnd < oldEnd) {
        p.vm.unmap(newEnd, oldEnd - newEnd);
      }
      p.brk = addr;
      return addr;
    },
  };
}
