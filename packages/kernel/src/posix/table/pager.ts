/**
 * The user-level pager's calls: pager_attach, pager_recv, pager_map, pager_reply.
 *
 * Part of the POSIX personality's table (`../table.ts`, which assembles the groups and states
 * where we simplify an ABI); the handlers of these calls are in `../pager-calls.ts`.
 */
import { arg } from "../../syscalls/decl.js";
import { syscallGroup } from "./group.js";
import { Prot } from "./memory.js";

/** The declarations of this group, for `posixSyscalls`. */
export const pagerDecls = syscallGroup({
  pager_attach: {
    nr: 510,
    args: [arg.pid("pid", { doc: "a child of the caller" })],
    result: "zero",
    doc: "Become the external pager of child `pid`: from now on its page faults that its address space cannot resolve (no mapping there) are sent to the caller's pager endpoint as messages, L4-style, instead of raising SIGSEGV.",
    errors: { ESRCH: "no such live process", EPERM: "not a child of the caller" },
  },
  pager_recv: {
    nr: 511,
    args: [
      arg.ptr("msg", {
        access: "out",
        len: 16,
        doc: "receives va (u64), access (u32: 0 read, 1 write, 2 exec), pid (u32)",
      }),
    ],
    result: "int",
    blocks: true,
    doc: "Wait for the next page fault sent to the caller's pager endpoint; store it at msg and return the reply capability to pass to pager_reply.",
    errors: {
      EINVAL: "the caller is no pager (no pager_attach yet)",
      EINTR: "a handler ran",
      EFAULT: "msg not writable (the message is lost)",
    },
  },
  pager_map: {
    nr: 512,
    args: [
      arg.pid("pid", { doc: "a process this pager serves" }),
      arg.addr("va", { aligned: true, doc: "page to map in that process" }),
      arg.flags("prot", Prot, { doc: "protection of the new page" }),
      arg.addr("src", { doc: "a page of the caller's memory to copy into it, or 0 for zeros" }),
    ],
    result: "zero",
    doc: "Map one fresh private page at va in process pid, filled from the caller's page at src (or zero-filled): how a pager resolves a fault before replying.",
    errors: {
      EPERM: "the caller is not pid's pager",
      EEXIST: "something is mapped at va",
      EFAULT: "src unreadable",
      EINVAL: "va outside user space",
    },
  },
  pager_reply: {
    nr: 513,
    args: [
      arg.int("cap", { min: 0, doc: "the reply capability pager_recv returned" }),
      arg.int("ok", { min: 0, max: 1, doc: "1: retry the faulting access; 0: deliver SIGSEGV" }),
    ],
    result: "zero",
    doc: "Answer a page fault: the faulting thread resumes and executes its access again (ok = 1) or takes SIGSEGV (ok = 0).",
    errors: { EINVAL: "the caller is no pager, or cap is unknown or already used" },
  },
});
