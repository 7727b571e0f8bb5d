/**
 * The user side of the microkernel's ABI: what a Codezero task links against (its l4lib). Typed
 * system-call stubs derived from the table, and helpers that put a message in the UTCB, read one
 * out, and make the usual IPC shapes in one line.
 *
 * ```ts
 * const utcb = utcbOf(0);                                        // the main thread's UTCB
 * const r = yield* call(utcb, kv, KvLabel.GET, [key]);           // MR0 = tag, MR1 = key; l4_ipc(kv, kv, …)
 * if (r === 0) value = yield* word(utcb, 2);                      // the reply's MR2
 * ```
 *
 * Every helper is a generator: each load, store and system call is a trap, so a message of u
 * words costs u + 1 stores and one kernel entry, as it would with the MRs in memory.
 *
 * Related: `abi.ts`, `servers/` and `programs/` (the users).
 */

import { makeTag, TAG_LABEL_SHIFT } from "@osbricks/ipc";
import { makeStubs, mem, type UserCode } from "@osbricks/kernel";
import {
  CapOp,
  codezeroSyscalls,
  FOREVER_TIMEOUT,
  NIL,
  REPLY,
  ThreadOp,
  UTCB_BUF,
  UTCB_BUF_BYTES,
} from "./abi.js";

/** The typed stubs: `yield* l4.l4_ipc(to, from, timeout, utcb)` and so on. */
export const l4 = makeStubs(codezeroSyscalls);

/** Write a message (tag, then its words) into the UTCB at `utcb`. */
export function* putMessage(utcb: number, label: number, words: readonly number[]): UserCode<void> {
  yield* mem.store32(utcb, makeTag({ label, words: words.length }));
  for (let i = 0; i < words.length; i++) yield* mem.store32(utcb + 4 * (i + 1), words[i]! | 0);
}

/** Message register `i` of the UTCB, as a signed 32-bit number. */
export function* word(utcb: number, i: number): UserCode<number> {
  return (yield* mem.load32(utcb + 4 * i)) | 0;
}

/** The label of the message in the UTCB (MR0's top 16 bits). */
export function* label(utcb: number): UserCode<number> {
  return (yield* mem.load32(utcb)) >>> TAG_LABEL_SHIFT;
}

/** Call `ep` with a message and wait for the reply (in the UTCB on success). */
export function* call(utcb: number, ep: number, lbl: number, words: readonly number[]): UserCode<number> {
  yield* putMessage(utcb, lbl, words);
  return yield* l4.l4_ipc(ep, ep, FOREVER_TIMEOUT, utcb);
}

/** Wait for the next message on `ep` (`timeout` cycles, -1 forever). */
export function* receive(utcb: number, ep: number, timeout = FOREVER_TIMEOUT): UserCode<number> {
  return yield* l4.l4_ipc(NIL, ep, timeout, utcb);
}

/** Reply to the caller whose capability is in the UTCB, then wait for the next message on `ep`. */
export function* replyWait(
  utcb: number,
  ep: number,
  lbl: number,
  words: readonly number[],
): UserCode<number> {
  yield* putMessage(utcb, lbl, words);
  return yield* l4.l4_ipc(REPLY, ep, FOREVER_TIMEOUT, utcb);
}

/** Reply without waiting for anything else. */
export function* reply(utcb: number, lbl: number, words: readonly number[]): UserCode<number> {
  yield* putMessage(utcb, lbl, words);
  return yield* l4.l4_ipc(REPLY, NIL, FOREVER_TIMEOUT, utcb);
}

/** Put `text` (Latin-1, cut to the buffer) in the UTCB's buffer; returns its length. */
export function* putString(utcb: number, text: string): UserCode<number> {
  const n = Math.min(text.length, UTCB_BUF_BYTES);
  const bytes = new Uint8Array(n);
  for (let i = 0; i < n; i++) bytes[i] = text.charCodeAt(i) & 0xff;
  yield* mem.write(utcb + UTCB_BUF, bytes);
  return n;
}

/** Print a line on the kernel console (`l4_kdebug`). */
export function* print(utcb: number, text: string): UserCode<number> {
  const n = yield* putString(utcb, text);
  return yield* l4.l4_kdebug(utcb + UTCB_BUF, n);
}

/** Create a task running program `name`, paged by `pager` (NIL for none), suspended; its handle or an error. */
export function* createTask(utcb: number, name: string, pager: number, arg: number): UserCode<number> {
  const n = yield* putString(utcb, name);
  return yield* l4.l4_thread_control(ThreadOp.CREATE, utcb + UTCB_BUF, n, pager, arg);
}

/** The index-th endpoint capability the task holds (slot order), or an error. */
export function* findEndpoint(index: number): UserCode<number> {
  return yield* l4.l4_capability_control(CapOp.FIND, index, 0, 0);
}

/** `0x…` for log lines. */
export function hex(n: number): string {
  return `0x${(n >>> 0).toString(16)}`;
}
