/**
 * The user side of the jsix-like kernel's ABI: what a jsix program links against (its libj6).
 * Typed system-call stubs derived from the table, and the helpers every program needs: a scratch
 * page of its own, strings into it, the kernel log, mailbox message blocks, and the handle list.
 *
 * ```ts
 * const buf = yield* scratch(0);                          // a VMA mapped at SCRATCH_BASE
 * yield* log(buf, "hello");                               // j6_log
 * const sys = yield* findHandle(buf, J6ObjectType.system);        // libj6's j6_find_first_handle
 * const r = yield* call(buf, mailbox, TAG, [1, 2]);       // j6_mailbox_call; reply in the block
 * ```
 *
 * **Memory.** A jsix program gets memory from VMAs, not from a brk: {@link scratch} creates a
 * one-page VMA mapped at `SCRATCH_BASE + slot * 4096` (slot = the thread's own index, chosen by
 * the program), where strings, message blocks and handle lists live. Every helper is a
 * generator: each load, store and system call is a trap.
 *
 * Related: `abi.ts` (the table, the message layout), `programs/` (the users), `lib/channel/`
 * (the user-space channel library built on `j6_vma_*` and `j6_futex_*`).
 */
import { makeStubs, mem, type UserCode } from "@osbricks/kernel";
import {
  HANDLE_DESCRIPTOR_BYTES,
  J6_HANDLE_INVALID,
  jsixSyscalls,
  MAX_LOG_LINE,
  Msg,
  VmaFlags,
} from "./abi.js";

/** The typed stubs: `yield* j6.j6_vma_create(size, flags)` and so on. */
export const j6 = makeStubs(jsixSyscalls);

const PAGE = 4096;
/** Where {@link scratch} maps a program's scratch pages: 512 MiB, far above the text (4 MiB) and heap, far below the stack. */
export const SCRATCH_BASE = 0x2000_0000;
/** Offset of the string area in a scratch page (the message block sits at 0). */
export const SCRATCH_TEXT = 256;
/** Offset of the handle-list area in a scratch page. */
export const SCRATCH_LIST = 2048;
/** Descriptors the handle-list area holds. */
export const SCRATCH_LIST_MAX = Math.floor((PAGE - SCRATCH_LIST) / HANDLE_DESCRIPTOR_BYTES);

/**
 * Map a one-page writable VMA at `SCRATCH_BASE + slot * 4096` and return its address; negative
 * j6 status on failure (the VMA's handle stays in the table: it is the page's owner).
 */
export function* scratch(slot: number): UserCode<number> {
  const addr = SCRATCH_BASE + slot * PAGE;
  const h = yield* j6.j6_vma_create_map(PAGE, addr, VmaFlags.WRITE);
  return h < 0 ? h : addr;
}

/** Put `text` (Latin-1, cut to {@link MAX_LOG_LINE}) in the scratch page's string area; returns its length. */
export function* putString(buf: number, text: string): UserCode<number> {
  const n = Math.min(text.length, MAX_LOG_LINE);
  const bytes = new Uint8Array(n);
  for (let i = 0; i < n; i++) bytes[i] = text.charCodeAt(i) & 0xff;
  yield* mem.write(buf + SCRATCH_TEXT, bytes);
  return n;
}

/** Read `len` bytes of the string area back as text. */
export function* getString(buf: number, len: number): UserCode<string> {
  const bytes = yield* mem.read(buf + SCRATCH_TEXT, len);
  return String.fromCharCode(...bytes);
}

/** Write a line to the kernel log (`j6_log`); srv.logger prints it. */
export function* log(buf: number, text: string): UserCode<number> {
  const n = yield* putString(buf, text);
  return yield* j6.j6_log(buf + SCRATCH_TEXT, n);
}

/** Fill the message block at `buf` (offset 0 of the scratch page). */
export function* putMessage(
  buf: number,
  tag: number,
  words: readonly number[],
  handle: number = J6_HANDLE_INVALID,
  replyTag = 0,
): UserCode<void> {
  yield* mem.store32(buf + Msg.TAG, tag | 0);
  yield* mem.store32(buf + Msg.REPLY_TAG, replyTag | 0);
  yield* mem.store32(buf + Msg.HANDLE, handle | 0);
  for (let i = 0; i < Msg.WORDS; i++) yield* mem.store32(buf + Msg.DATA + 4 * i, (words[i] ?? 0) | 0);
}

/** A field of the message block (`Msg.TAG`, `Msg.BADGE`, …) as a signed int32. */
export function* field(buf: number, offset: number): UserCode<number> {
  return (yield* mem.load32(buf + offset)) | 0;
}

/** Data word `i` of the message block. */
export function* word(buf: number, i: number): UserCode<number> {
  return (yield* mem.load32(buf + Msg.DATA + 4 * i)) | 0;
}

/** Call mailbox `mb` with a message and wait for the reply (in the block on success). */
export function* call(
  buf: number,
  mb: number,
  tag: number,
  words: readonly number[],
  handle: number = J6_HANDLE_INVALID,
): UserCode<number> {
  yield* putMessage(buf, tag, words, handle);
  return yield* j6.j6_mailbox_call(mb, buf);
}

/** Wait for the first message on `mb` (nothing to answer yet). */
export function* receive(buf: number, mb: number, timeout = -1): UserCode<number> {
  yield* mem.store32(buf + Msg.REPLY_TAG, 0);
  return yield* j6.j6_mailbox_respond(mb, buf, timeout);
}

/** Answer the call whose reply tag is in the block with `tag`/`words`/`handle`, then wait for the next. */
export function* respond(
  buf: number,
  mb: number,
  tag: number,
  words: readonly number[],
  handle: number = J6_HANDLE_INVALID,
  timeout = -1,
): UserCode<number> {
  const replyTag = yield* field(buf, Msg.REPLY_TAG);
  yield* putMessage(buf, tag, words, handle, replyTag);
  return yield* j6.j6_mailbox_respond(mb, buf, timeout);
}

/** One `j6_handle_list` descriptor. */
export interface HandleDescriptor {
  readonly handle: number;
  readonly type: number;
  readonly caps: number;
}

/** The caller's handles (at most {@link SCRATCH_LIST_MAX}), in slot order. */
export function* handleList(buf: number): UserCode<HandleDescriptor[]> {
  const n = yield* j6.j6_handle_list(buf + SCRATCH_LIST, SCRATCH_LIST_MAX);
  const out: HandleDescriptor[] = [];
  for (let i = 0; i < Math.min(n, SCRATCH_LIST_MAX); i++) {
    const at = buf + SCRATCH_LIST + i * HANDLE_DESCRIPTOR_BYTES;
    out.push({
      handle: (yield* mem.load32(at)) | 0,
      type: (yield* mem.load32(at + 4)) | 0,
      caps: (yield* mem.load32(at + 8)) | 0,
    });
  }
  return out;
}

/**
 * The `index`-th handle of type `type` the caller holds (slot order), or {@link J6_HANDLE_INVALID}
 * (libj6's `j6_find_first_handle`, with an index).
 */
export function* findHandle(buf: number, type: number, index = 0): UserCode<number> {
  let i = 0;
  for (const d of yield* handleList(buf)) if (d.type === type && i++ === index) return d.handle;
  return J6_HANDLE_INVALID;
}

/** `0x…` for log lines. */
export function hex(n: number): string {
  return `0x${(n >>> 0).toString(16)}`;
}
