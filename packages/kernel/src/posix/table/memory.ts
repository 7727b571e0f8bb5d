/**
 * The memory calls: mmap, mprotect, munmap, brk; the protection bits and mmap's flags.
 *
 * Part of the POSIX personality's table (`../table.ts`, which assembles the groups and states
 * where we simplify an ABI); the handlers of these calls are in `../memory-calls.ts`.
 */
import { arg } from "../../syscalls/decl.js";
import { syscallGroup } from "./group.js";

/** mmap/mprotect protection bits (`<sys/mman.h>`). PROT_NONE is 0. */
export const Prot = { PROT_READ: 1, PROT_WRITE: 2, PROT_EXEC: 4 } as const;
/** PROT_NONE: no access (a guard page). */
export const PROT_NONE = 0;
/** mmap flags (`<sys/mman.h>`, Linux values). */
export const MapFlags = {
  MAP_SHARED: 0x01,
  MAP_PRIVATE: 0x02,
  MAP_FIXED: 0x10,
  MAP_ANONYMOUS: 0x20,
} as const;

/** The declarations of this group, for `posixSyscalls`. */
export const memoryDecls = syscallGroup({
  mmap: {
    nr: 9,
    args: [
      arg.addr("addr", {
        hint: true,
        doc: "placement hint (any address, rounded up to a page), or with MAP_FIXED the exact, page-aligned address",
      }),
      arg.size("length", { doc: "bytes, rounded up to pages" }),
      arg.flags("prot", Prot, { doc: "PROT_ bits; 0 is PROT_NONE" }),
      arg.flags("flags", MapFlags, {
        doc: "exactly one of MAP_SHARED/MAP_PRIVATE, plus MAP_ANONYMOUS, MAP_FIXED",
      }),
      arg.int("fd", { min: -1, max: -1, doc: "must be -1: only anonymous memory" }),
      arg.size("offset", { doc: "must be 0" }),
    ],
    result: "addr",
    doc: "Map anonymous memory. MAP_PRIVATE pages are copied on write across fork; MAP_SHARED pages stay shared with children. MAP_FIXED replaces whatever was mapped there. Without MAP_FIXED the range starts at the hint if it is free there, else at the first free range above the hint, else at the lowest free range (Lunaix's hinted placement); with no hint (0, or outside user space) the search starts at MMAP_BASE (64 GiB).",
    errors: {
      EINVAL:
        "length 0, offset not 0, not MAP_ANONYMOUS, neither or both of SHARED/PRIVATE, MAP_FIXED with an address that is not page-aligned",
      ENOMEM: "no room for the range; MAP_FIXED with a range outside user space (page 0 included)",
    },
  },
  mprotect: {
    nr: 10,
    args: [
      arg.addr("addr", { aligned: true, doc: "first page" }),
      arg.size("length", { doc: "bytes, rounded up to pages" }),
      arg.flags("prot", Prot, { doc: "new protection" }),
    ],
    result: "zero",
    doc: "Change the protection of every page in the range; mappings are split at its edges.",
    errors: { ENOMEM: "part of the range is not mapped" },
  },
  munmap: {
    nr: 11,
    args: [
      arg.addr("addr", { aligned: true, doc: "first page" }),
      arg.size("length", { doc: "bytes, rounded up to pages" }),
    ],
    result: "zero",
    doc: "Remove mappings in the range (holes are fine); a mapping cut in the middle becomes two.",
    errors: { EINVAL: "length 0 or range outside user space" },
  },
  brk: {
    nr: 12,
    args: [arg.addr("addr", { doc: "new program break, or 0 to ask for the current one" })],
    result: "addr",
    doc: "Set the end of the heap. Returns the new break, or the old one unchanged when the request is refused (Linux's convention; sbrk in libc builds on it).",
  },
});
