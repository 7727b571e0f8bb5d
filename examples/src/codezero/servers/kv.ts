/**
 * kv, the service server: a small key-value store in the spirit of Codezero's fs0 (a server that
 * owns some state and answers requests over IPC), with int32 keys and values.
 *
 * The table lives in kv's own paged area, not in JavaScript locals: the first request touches
 * PAGED_BASE, the kernel forwards that fault to mm0, and kv's store is then backed by a frame of
 * mm0's pool. A server paged by another server is the microkernel picture in small.
 *
 * ```
 *   PAGED_BASE + 12·i   bucket i (256 of them, one page): used (0/1) | key | value
 *   bucket of key = top 8 bits of key · 0x9E3779B1 (Fibonacci hashing, Knuth 6.4), then linear probing
 *   worked: key 3 → 3 · 0x9E3779B1 mod 2^32 = 0xDAA66D13 → bucket 0xDA = 218
 * ```
 *
 * The loop is L4's server loop: one receive, then one `replyWait` per request, so each round trip
 * costs the server one kernel entry. Its first endpoint capability (READ) is the one it serves.
 *
 * Related: `protocol.ts` (labels), `mm0.ts` (its pager), `../programs/clients.ts`.
 */
import { mem, type UserCode } from "@osbricks/kernel";
import { utcbOf } from "../abi.js";
import { findEndpoint, label, print, receive, replyWait, word } from "../lib.js";
import { BAD_REQUEST, KvLabel, PAGED_BASE } from "./protocol.js";

/** Buckets of the table (one page of 12-byte buckets). */
export const KV_BUCKETS = 256;
const BUCKET = 12;

/** The bucket a key starts probing at (see the banner's worked example). */
export function kvBucket(key: number): number {
  return Math.imul(key, 0x9e3779b1) >>> 24;
}

/** Find `key`: its bucket's address, or that of the first free bucket on its probe, or -1 (full). */
function* probe(key: number): UserCode<{ readonly at: number; readonly found: boolean }> {
  let b = kvBucket(key);
  for (let n = 0; n < KV_BUCKETS; n++) {
    const at = PAGED_BASE + b * BUCKET;
    if ((yield* mem.load32(at)) === 0) return { at, found: false };
    if (((yield* mem.load32(at + 4)) | 0) === key) return { at, found: true };
    b = (b + 1) % KV_BUCKETS;
  }
  return { at: -1, found: false };
}

/** The server's entry point. */
export function* kvMain(): UserCode<number> {
  const utcb = utcbOf(0);
  const ep = yield* findEndpoint(0);
  if (ep < 0) return 1;
  yield* print(utcb, `kv: serving a ${KV_BUCKETS}-bucket store`);
  let r = yield* receive(utcb, ep);
  for (;;) {
    if (r < 0) {
      r = yield* receive(utcb, ep);
      continue;
    }
    const op = yield* label(utcb);
    const key = yield* word(utcb, 1);
    if (op === KvLabel.PUT) {
      const value = yield* word(utcb, 2);
      const p = yield* probe(key);
      if (p.at < 0) {
        r = yield* replyWait(utcb, ep, KvLabel.FULL, []);
        continue;
      }
      yield* mem.store32(p.at + 4, key);
      yield* mem.store32(p.at + 8, value);
      yield* mem.store32(p.at, 1);
      r = yield* replyWait(utcb, ep, 0, []);
    } else if (op === KvLabel.GET) {
      const p = yield* probe(key);
      const value = p.found ? (yield* mem.load32(p.at + 8)) | 0 : 0;
      r = yield* replyWait(utcb, ep, 0, [p.found ? 1 : 0, value]);
    } else {
      r = yield* replyWait(utcb, ep, BAD_REQUEST, []);
    }
  }
}
