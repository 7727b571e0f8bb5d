/**
 * The demo clients: each shows one trait of the design and says what it saw.
 *
 * | task       | shows                                                                        |
 * | ---------- | ---------------------------------------------------------------------------- |
 * | `client`   | IPC round trips with kv (PUT then GET of n keys), then a receive that times out |
 * | `pagedemo` | demand paging by a user-level pager: three pages, each read (0) then written  |
 * | `capdemo`  | a capability without WRITE refused, then WRITE granted, then revoked          |
 * | `wild`     | a store outside its paged area: mm0 refuses, the kernel kills the task        |
 *
 * Each finds its capabilities with `findEndpoint(i)` in the order the root task granted them.
 *
 * Related: `root.ts` (who starts them and grants what), `../servers/`.
 */
import { mem, type ProcessStart, type UserCode } from "@osbricks/kernel";
import { CapOp, l4ErrorName, utcbOf } from "../abi.js";
import { call, findEndpoint, hex, l4, label, print, receive, word } from "../lib.js";
import { CtlLabel, KvLabel, PAGED_BASE } from "../servers/protocol.js";

const PAGE = 4096;
/** The timeout of the client's receive on a silent endpoint, in cycles. */
export const SILENT_TIMEOUT = 5000;

/** `client n`: n PUTs and n GETs against kv, checked; then a receive that must time out. */
export function* clientMain(start: ProcessStart): UserCode<number> {
  const utcb = utcbOf(0);
  const n = Number(start.argv[1] ?? 8);
  const kv = yield* findEndpoint(0);
  if (kv < 0) return 1;
  let trips = 0;
  let wrong = 0;
  for (let i = 0; i < n; i++) {
    if ((yield* call(utcb, kv, KvLabel.PUT, [i, i * i + 7])) === 0) trips++;
    if ((yield* label(utcb)) !== 0) wrong++;
  }
  for (let i = 0; i < n; i++) {
    if ((yield* call(utcb, kv, KvLabel.GET, [i])) === 0) trips++;
    if ((yield* word(utcb, 1)) !== 1 || (yield* word(utcb, 2)) !== i * i + 7) wrong++;
  }
  yield* print(
    utcb,
    `client: ${trips} round trips with kv, ${wrong === 0 ? "every answer right" : `${wrong} wrong answers`}`,
  );
  const silent = yield* l4.l4_capability_control(CapOp.CREATE_ENDPOINT, 0, 0, 0);
  const t0 = yield* l4.l4_time();
  const r = yield* receive(utcb, silent, SILENT_TIMEOUT);
  const waited = (yield* l4.l4_time()) - t0;
  yield* print(
    utcb,
    `client: receive on a silent endpoint, timeout ${SILENT_TIMEOUT} cycles: ${l4ErrorName(r)} after ${waited >= SILENT_TIMEOUT ? ">=" : "<"}${SILENT_TIMEOUT} cycles`,
  );
  return wrong === 0 && trips === 2 * n ? 0 : 1;
}

/** `pagedemo`: touch three pages of the paged area; each must read 0 first, then keep what was written. */
export function* pagedemoMain(): UserCode<number> {
  const utcb = utcbOf(0);
  let good = 0;
  for (let p = 0; p < 3; p++) {
    const va = PAGED_BASE + p * PAGE + 8 * p;
    const before = yield* mem.load32(va); // faults: the kernel calls mm0, which maps a page
    yield* mem.store32(va, 0xc0de0000 + p);
    const after = yield* mem.load32(va);
    if (before === 0 && after === 0xc0de0000 + p) good++;
  }
  yield* print(utcb, `pagedemo: ${good} of 3 pages demand-zeroed by mm0, written and read back`);
  return good === 3 ? 0 : 1;
}

/** `capdemo`: holds the root's control endpoint (0) and a kv capability without WRITE (1). */
export function* capdemoMain(): UserCode<number> {
  const utcb = utcbOf(0);
  const ctl = yield* findEndpoint(0);
  const weak = yield* findEndpoint(1);
  if (ctl < 0 || weak < 0) return 1;
  const r1 = yield* call(utcb, weak, KvLabel.GET, [3]);
  yield* print(utcb, `capdemo: GET through a capability without WRITE: ${l4ErrorName(r1)} (refused)`);
  yield* call(utcb, ctl, CtlLabel.MORE, []);
  const granted = yield* word(utcb, 1);
  const r2 = yield* call(utcb, granted, KvLabel.GET, [3]);
  const v = yield* word(utcb, 2);
  yield* print(
    utcb,
    `capdemo: granted WRITE (handle ${hex(granted)}): GET 3 -> ${l4ErrorName(r2)}, value ${v}`,
  );
  yield* call(utcb, ctl, CtlLabel.DONE, []);
  const r3 = yield* call(utcb, granted, KvLabel.GET, [3]);
  yield* print(utcb, `capdemo: after the revoke: GET 3 -> ${l4ErrorName(r3)} (the handle is gone)`);
  return r1 < 0 && r2 === 0 && r3 < 0 ? 0 : 1;
}

/** The address `wild` stores to: unmapped, and outside the area mm0 pages. */
export const WILD_ADDRESS = 0xdead_0000;

/** `wild`: a store mm0 refuses to back; the kernel then kills the task (it never returns). */
export function* wildMain(): UserCode<number> {
  const utcb = utcbOf(0);
  yield* print(utcb, `wild: storing to ${hex(WILD_ADDRESS)}, outside its paged area`);
  yield* mem.store32(WILD_ADDRESS, 1);
  yield* print(utcb, "wild: still alive (the pager should have refused)");
  return 0;
}
