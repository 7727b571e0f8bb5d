/**
 * mm0, the root pager: Codezero's memory manager, reduced to its first job. The kernel turns a
 * task's page fault into a call on the task's pager endpoint; mm0 receives it, decides, maps a page
 * of its pool with `l4_map` and replies, and the kernel retries the faulting access.
 *
 * ```
 *   task T                      kernel                          mm0 (pool: 32 shared pages)
 *   store [0x4000_0000] ─#PF─▶  no area: call T's pager ──────▶ receive: label 0xfa17,
 *   (blocked, reply-wait)        MR1..4 = va lo, hi, access, T    va in T's paged area, pool left?
 *                                                                 yes: l4_map(T, pool page n, va, 1, RW)
 *   store retried ◀──────────── reply MR1 = 1 ◀───────────────── replyWait(ok = 1)
 *   (hits the zero page)                                          no:  replyWait(ok = 0)
 *                               reply MR1 = 0: SIGSEGV, T dies
 * ```
 *
 * Policy, all of it here and none in the kernel: each task mm0 pages may have the 16 pages at
 * PAGED_BASE, demand-zeroed (pool pages are fresh shared memory, zero until written); a fault
 * anywhere else is refused; so is one when the pool is exhausted (mm0 does not reclaim pages of
 * dead tasks: the limit of this model). Unknown requests get BAD_REQUEST.
 *
 * argv[1] is the number of pool pages at POOL_BASE; its first endpoint capability is the one it
 * serves (READ), granted by the root task before it runs.
 *
 * Related: `../calls/map.ts` (the rule for which frames a pager may hand out), `protocol.ts`.
 */
import { PAGE_FAULT_LABEL, type ProcessStart, type UserCode } from "@osbricks/kernel";
import { MapProt, utcbOf } from "../abi.js";
import { findEndpoint, hex, l4, label, print, receive, replyWait, word } from "../lib.js";
import { BAD_REQUEST, PAGED_BASE, PAGED_PAGES, POOL_BASE } from "./protocol.js";

const PAGE = 4096;
const ACCESS = ["read", "write", "exec"];

/** The pager's entry point. */
export function* mm0Main(start: ProcessStart): UserCode<number> {
  const utcb = utcbOf(0);
  const poolPages = Number(start.argv[1] ?? 0);
  const ep = yield* findEndpoint(0);
  if (ep < 0) return 1;
  yield* print(utcb, `mm0: paging from a ${poolPages}-page pool at ${hex(POOL_BASE)}`);
  let next = 0;
  let r = yield* receive(utcb, ep);
  for (;;) {
    if (r < 0) {
      r = yield* receive(utcb, ep);
      continue;
    }
    if ((yield* label(utcb)) !== PAGE_FAULT_LABEL) {
      r = yield* replyWait(utcb, ep, BAD_REQUEST, []);
      continue;
    }
    const va = (yield* word(utcb, 2)) * 2 ** 32 + ((yield* word(utcb, 1)) >>> 0);
    const access = ACCESS[yield* word(utcb, 3)] ?? "?";
    const task = yield* word(utcb, 4);
    const page = va - (va % PAGE);
    let ok = 0;
    if (page < PAGED_BASE || page >= PAGED_BASE + PAGED_PAGES * PAGE) {
      yield* print(
        utcb,
        `mm0: task ${task} faulted at ${hex(va)} (${access}) outside its paged area: refused`,
      );
    } else if (next >= poolPages) {
      yield* print(utcb, `mm0: task ${task} faulted at ${hex(va)}: pool exhausted, refused`);
    } else {
      const m = yield* l4.l4_map(task, POOL_BASE + next * PAGE, page, 1, MapProt.READ | MapProt.WRITE);
      if (m === 0) {
        yield* print(utcb, `mm0: task ${task} faulted at ${hex(va)} (${access}): mapped pool page ${next}`);
        next++;
        ok = 1;
      } else yield* print(utcb, `mm0: l4_map for task ${task} at ${hex(page)} failed (${m})`);
    }
    r = yield* replyWait(utcb, ep, PAGE_FAULT_LABEL, [ok]);
  }
}
