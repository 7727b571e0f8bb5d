/**
 * The Codezero-like microkernel's ABI: its system calls as data, its error codes, the layout of a
 * thread's UTCB (user thread control block) and the constants both sides agree on.
 *
 * An L4 kernel has few calls, and almost all the policy lives in user-level servers. Ours:
 *
 * ```
 *   nr  call                     what                                             Codezero's
 *   ──  ───────────────────────  ───────────────────────────────────────────────  ─────────────────────
 *    0  l4_ipc(to, from, timeout, utcb)   send / receive / call / reply(+wait)    l4_ipc
 *    1  l4_thread_control(op, a, b, c, d) create a task (new space) or a thread     l4_thread_control
 *                                         in the caller's space; run; wait; kill; id
 *    2  l4_map(task, src, dst, pages, prot) a pager maps pages of its pool        l4_map
 *    3  l4_unmap(task, va, pages)         the pager takes them back               l4_unmap
 *    4  l4_capability_control(op, h, a, b) create an endpoint, derive, grant,     l4_capability_control
 *                                         revoke, close, find
 *    5  l4_getid(which)                   the caller's task id or thread id       l4_getid
 *    6  l4_time()                         the CPU's clock, in cycles              l4_time
 *    7  l4_kdebug(buf, len)               print a line on the kernel console      (Fiasco's kdebug)
 * ```
 *
 * Results follow L4's convention: `>= 0` success, `-L4Error.X` failure. Every refused call changes
 * nothing (tests check the handle tables, the spaces and the endpoint queues after each refusal).
 * Arguments are plain int32 registers: the kernel checks them against its own state and answers
 * with an L4 error code, never an errno (the personality translates the generic dispatcher's two
 * refusals, an unknown number and a wrong argument count, into `ENOSYS` and `EINVAL` below).
 *
 * The UTCB is a page the kernel maps at {@link UTCB_BASE} in every task it creates; a thread's
 * message registers travel through it, as Codezero keeps the MRs beyond the first few in the UTCB:
 *
 * ```
 *   UTCB + 0    MR0   tag: label (bits 16..31) | words u (bits 0..5)   (@osbricks/ipc makeTag)
 *   UTCB + 4    MR1 .. MR15                                             the message's words
 *   UTCB + 64   SENDER   written on receive: the task id of the sender (L4's "from")
 *   UTCB + 68   REPLY    written on receive: the one-shot reply capability (-1 after a send);
 *                        the reply to one's own call leaves SENDER and REPLY as they were
 *   UTCB + 128  BUF      128 bytes of the thread's own: strings it passes (a program name, a line)
 *   worked: thread 2's UTCB is UTCB_BASE + 2 * 256 = 0x3000_0200; its MR3 is at 0x3000_020c
 * ```
 *
 * Related: `kernel.ts` (the table of contents), `personality.ts` and `calls/` (the handlers),
 * `lib.ts` (the user side), docs/tour-codezero.md (the same tables, explained).
 */
import { arg, defineSyscallTable } from "@osbricks/kernel";

/**
 * L4 error codes, returned negated. seL4 and L4 X.2 number theirs from 1 in the same spirit; the
 * names say what a student must fix.
 */
export const L4Error = {
  /** An argument is out of range or names no operation (a bad op, timeout, utcb, prot). */
  EINVAL: 1,
  /** The handle names no capability of the right type in the caller's table (closed, stale, revoked). */
  ECAP: 2,
  /** The capability lacks a right the operation needs, or the caller is not the task's pager. */
  EPERM: 3,
  /** The partner is gone: the endpoint was destroyed, or the server died before it replied. */
  ENOPARTNER: 4,
  /** The timeout expired before a partner came (or a zero timeout found none). */
  ETIMEOUT: 5,
  /** The wait was cancelled by the kernel. */
  ECANCELLED: 6,
  /** No memory, no thread, no handle slot left. */
  ENOMEM: 7,
  /** The destination range already holds a mapping. */
  EEXIST: 8,
  /** A user buffer (the UTCB, a name) is not mapped. */
  EFAULT: 9,
  /** No such system call. */
  ENOSYS: 10,
  /** No such program, task or page. */
  ENOENT: 11,
} as const;

/** One of the {@link L4Error} codes. */
export type L4Error = (typeof L4Error)[keyof typeof L4Error];

const ERROR_NAMES: Readonly<Record<number, string>> = Object.fromEntries(
  Object.entries(L4Error).map(([name, code]) => [code, name]),
);

/**
 * The readable name of a result: `"ok"` for success, `"-ECAP"` for an error.
 * @example l4ErrorName(-L4Error.ECAP) === "-ECAP"
 */
export function l4ErrorName(result: number): string {
  if (result >= 0) return "ok";
  return `-${ERROR_NAMES[-result] ?? `E?${-result}`}`;
}

/** The `to`/`from` value meaning "no partner in this phase" (L4's nil thread id). */
export const NIL = -1;
/** The `to` value meaning "reply to the caller whose one-shot capability is in UTCB.REPLY". */
export const REPLY = -2;
/** The timeout meaning "wait as long as it takes". */
export const FOREVER_TIMEOUT = -1;

/** Message registers a UTCB holds (MR0 is the tag, so a message has at most 15 words). */
export const UTCB_MRS = 16;
/** Byte offset of the sender's task id in a UTCB. */
export const UTCB_SENDER = 64;
/** Byte offset of the reply capability in a UTCB. */
export const UTCB_REPLY = 68;
/** Bytes the kernel reads and writes of a UTCB. */
export const UTCB_BYTES = 72;
/** Byte offset of the thread's string buffer in its UTCB. */
export const UTCB_BUF = 128;
/** Bytes of that buffer. */
export const UTCB_BUF_BYTES = 128;
/** Each thread's UTCB is this far from the previous one: registers, then the buffer. */
export const UTCB_STRIDE = 256;
/** Where the UTCB area starts in every task (768 MiB: far above text and heap, far below the stack). */
export const UTCB_BASE = 0x3000_0000;
/** The UTCB area: one page, room for 16 threads per space. */
export const UTCB_AREA = 4096;
/** Threads per space: one UTCB each. */
export const MAX_SPACE_THREADS = UTCB_AREA / UTCB_STRIDE;

/** The UTCB address of the `index`-th thread of a space (0 is the main thread). */
export function utcbOf(index: number): number {
  return UTCB_BASE + index * UTCB_STRIDE;
}

/** Operations of `l4_thread_control`. */
export const ThreadOp = {
  /**
   * (namePtr, nameLen, pager, arg): a new task (a new address space and its first thread) running
   * the program named by the string, paged by the endpoint handle `pager` (or NIL: no pager),
   * with `arg` as argv[1]. It is created suspended; returns a task capability (a handle to it).
   */
  CREATE: 0,
  /** (task): start the task's threads (L4 starts a created thread with exchange_registers). */
  RUN: 1,
  /** (task): block until the task has exited, reap it, return its wait status (Codezero's THREAD_WAIT). */
  WAIT: 2,
  /** (task): kill the task now (as by SIGKILL). */
  DESTROY: 3,
  /** (entry, arg): a thread in the caller's own space running the code at `entry`; returns its thread id. */
  SPAWN: 4,
  /** (task): the task's id, the number fault messages and `l4_map` name it by. */
  ID: 5,
} as const;

/** Operations of `l4_capability_control`. */
export const CapOp = {
  /** (): a new endpoint; returns a handle with every endpoint right. */
  CREATE_ENDPOINT: 0,
  /** (h, rights): a handle derived from h in the caller's table with rights ⊆ h's (needs DUPLICATE). */
  DERIVE: 1,
  /** (h, task, rights): a handle derived from h in the task's table (needs DUPLICATE and TRANSFER on h, MANAGE on task). */
  GRANT: 2,
  /** (h): close every handle derived from h, in every table; h stays (seL4's revoke). */
  REVOKE: 3,
  /** (h): close h; handles derived from it stay, re-attached to h's parent (seL4's delete). */
  CLOSE: 4,
  /** (index): the index-th endpoint capability the caller holds, in slot order (Codezero's CAP_CONTROL_READ). */
  FIND: 5,
  /** (h): the rights h carries. */
  RIGHTS: 6,
} as const;

/** `l4_getid`'s selector. */
export const IdOf = { TASK: 0, THREAD: 1 } as const;

/** Page protections `l4_map` takes (a subset of vm's Prot bits: read 1, write 2). */
export const MapProt = { READ: 1, WRITE: 2 } as const;

const i32 = (name: string, doc: string) => arg.int(name, { doc });

/** The system-call table of the microkernel personality (see the banner). */
export const codezeroSyscalls = defineSyscallTable("codezero", {
  l4_ipc: {
    nr: 0,
    args: [
      i32("to", "endpoint handle to send to, REPLY (-2) to reply, NIL (-1) for no send phase"),
      i32("from", "endpoint handle to receive on, the same as `to` for a call, NIL for no receive phase"),
      i32("timeout", "cycles to wait for a partner; -1 waits forever, 0 polls"),
      i32("utcb", "the calling thread's UTCB (message registers)"),
    ],
    result: "zero",
    blocks: true,
    doc: "Synchronous rendezvous IPC. to≥0, from=NIL: send. to=from≥0: call (send, then wait for the reply on a one-shot capability). to=NIL, from≥0: receive. to=REPLY: reply to UTCB.REPLY, then receive on `from` unless it is NIL.",
  },
  l4_thread_control: {
    nr: 1,
    args: [i32("op", "ThreadOp"), i32("a", ""), i32("b", ""), i32("c", ""), i32("d", "")],
    result: "int",
    blocks: true,
    doc: "Create a task in a new space (suspended, with its pager), start it, wait for it, kill it; or start a thread in the caller's space.",
  },
  l4_map: {
    nr: 2,
    args: [
      i32("task", "task id of the client"),
      i32("src", "page-aligned address in the caller's pool (a shared area of its own space)"),
      i32("dst", "page-aligned address in the client's space"),
      i32("pages", "how many pages, 1..64"),
      i32("prot", "MapProt bits, a subset of the source area's"),
    ],
    result: "zero",
    doc: "A pager maps pages it holds into a task it pages: the client sees the very same frames.",
  },
  l4_unmap: {
    nr: 3,
    args: [i32("task", "task id"), i32("va", "page-aligned"), i32("pages", "1..64")],
    result: "int",
    doc: "A pager takes pages back from a task it pages; returns the number of pages unmapped.",
  },
  l4_capability_control: {
    nr: 4,
    args: [i32("op", "CapOp"), i32("h", "a handle"), i32("a", ""), i32("b", "")],
    result: "int",
    doc: "Capabilities: create an endpoint, derive with fewer rights, grant to a task, revoke, close, find, read rights.",
  },
  l4_getid: {
    nr: 5,
    args: [i32("which", "IdOf.TASK or IdOf.THREAD")],
    result: "int",
    doc: "The caller's task id (its space) or thread id.",
  },
  l4_time: { nr: 6, args: [], result: "int", doc: "The caller's CPU clock in cycles." },
  l4_kdebug: {
    nr: 7,
    args: [
      i32("buf", "address of the text (in the caller's UTCB buffer)"),
      i32("len", "bytes, 0..UTCB_BUF_BYTES"),
    ],
    result: "zero",
    doc: "Print a line on the kernel console, tagged with the caller's task (Fiasco's kdebug outstring: a debugging aid, not a console driver).",
  },
});
