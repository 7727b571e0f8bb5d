/**
 * mm0, the root pager: Codezero's memory manager. The kernel turns a task's page fault into a call
 * on the task's pager endpoint; mm0 receives it, decides, maps a page of its pool with `l4_map` and
 * replies, and the kernel retries the faulting access. On the same endpoint it serves fork, exit
 * and wait, and runs copy-on-write itself, with Mach-style shadow chains (`cow.ts`).
 *
 * ```
 *   task T                      kernel                          mm0 (pool: 32 shared pages)
 *   store [0x4000_0000] ─#PF─▶  call T's pager ───────────────▶ receive: label 0xfa17, MR1..5 =
 *   (blocked, reply-wait)                                         va lo, hi, access, T, error code
 *                                                                 cow.fault(T, page, W, P) → actions:
 *                                                                   zero/copy pool pages (mm0's own
 *                                                                   stores), l4_unmap, l4_map
 *   store retried ◀──────────── reply MR1 = 1 ◀───────────────── replyWait(ok = 1)
 *                               reply MR1 = 0: SIGSEGV, T dies   (outside the area, pool exhausted)
 *
 *   parent P: call FORK("kid") ────────────────────────────────▶ l4_thread_control(CREATE "kid",
 *                                                                 pager = this endpoint), GRANT it
 *                                                                 WRITE here; cow.fork(P, C): P's
 *                                                                 pages read-only in P and C; RUN C
 *   P resumes with C's id ◀──────────────────────────────────── reply [C]
 *   C: call EXIT(status) ──────────────────────────────────────▶ cow.exit(C) (chains collapse),
 *                                                                 DESTROY C, reap it, answer P's WAIT
 * ```
 *
 * Policy, all of it here and none in the kernel: each task mm0 pages may have the 16 pages at
 * PAGED_BASE, demand-zeroed; a fault anywhere else is refused, and so is one when the pool is
 * exhausted. A task's pages go back to the pool when it exits through mm0 or when the root task
 * reports its death (DEATH, sent after it reaped a task mm0 paged; taken from ROOT_TASK only).
 * Unknown requests get BAD_REQUEST. STATS answers mm0's counters (the boot summary prints them).
 *
 * argv[1] is the number of pool pages at POOL_BASE; its first endpoint capability is the one it
 * serves (READ to receive, WRITE to name it as the pager of the tasks it creates, DUPLICATE and
 * TRANSFER to grant them WRITE on it), granted by the root task before it runs.
 *
 * Related: `cow.ts` (the bookkeeping), `../calls/map.ts` (the rule for which frames a pager may
 * hand out), `protocol.ts` (the labels).
 */
import { mem, PAGE_FAULT_LABEL, PfErr, type ProcessStart, type UserCode } from "@osbricks/kernel";
import { Right } from "@osbricks/objects";
import { CapOp, l4ErrorName, MapProt, ThreadOp, UTCB_REPLY, UTCB_SENDER, utcbOf } from "../abi.js";
import { createTask, findEndpoint, hex, l4, label, print, receive, reply, replyWait, word } from "../lib.js";
import { CowPager, type PagerAction } from "./cow.js";
import {
  BAD_REQUEST,
  Mm0Label,
  NAME_WORDS,
  PAGED_BASE,
  PAGED_PAGES,
  POOL_BASE,
  ROOT_TASK,
  unpackName,
} from "./protocol.js";

const PAGE = 4096;
const ACCESS = ["read", "write", "exec"];
const ZERO_PAGE = new Uint8Array(PAGE);
/** The wait status of a task killed by SIGSEGV (POSIX's encoding: the signal in the low 7 bits). */
const SIGSEGV_STATUS = 11;

/**
 * Carry out `cow.ts`'s decisions: byte work through mm0's own pool mapping, mappings through the
 * kernel. Returns 0, or the first l4_map/l4_unmap error.
 */
function* perform(actions: readonly PagerAction[]): UserCode<number> {
  for (const a of actions) {
    if (a.kind === "zero") yield* mem.write(POOL_BASE + a.frame * PAGE, ZERO_PAGE);
    else if (a.kind === "copy") {
      const bytes = yield* mem.read(POOL_BASE + a.src * PAGE, PAGE);
      yield* mem.write(POOL_BASE + a.dst * PAGE, bytes);
    } else if (a.kind === "unmap") {
      const r = yield* l4.l4_unmap(a.task, PAGED_BASE + a.index * PAGE, 1);
      if (r < 0) return r;
    } else {
      const prot = a.writable ? MapProt.READ | MapProt.WRITE : MapProt.READ;
      const r = yield* l4.l4_map(a.task, POOL_BASE + a.frame * PAGE, PAGED_BASE + a.index * PAGE, 1, prot);
      if (r < 0) return r;
    }
  }
  return 0;
}

/** The pager's entry point. */
export function* mm0Main(start: ProcessStart): UserCode<number> {
  const utcb = utcbOf(0);
  const poolPages = Number(start.argv[1] ?? 0);
  const ep = yield* findEndpoint(0);
  if (ep < 0) return 1;
  yield* print(utcb, `mm0: paging from a ${poolPages}-page pool at ${hex(POOL_BASE)}`);
  const cow = new CowPager(poolPages, PAGED_PAGES);
  /** Tasks mm0 created by FORK: their task handle, their parent. */
  const children = new Map<number, { readonly handle: number; readonly parent: number }>();
  /**
   * Forked children that exited before their parent waited: the parent, the only task whose WAIT
   * collects the status (POSIX's wait: a zombie is reaped once, by its parent).
   */
  const zombies = new Map<number, { readonly parent: number; readonly status: number }>();
  /** Parents waiting for a child: the child's id → the parent's reply capability. */
  const waiting = new Map<number, number>();

  /** A fault message: resolve it with cow.ts, or refuse. Returns MR1 of the reply. */
  function* fault(): UserCode<number> {
    const va = (yield* word(utcb, 2)) * 2 ** 32 + ((yield* word(utcb, 1)) >>> 0);
    const access = ACCESS[yield* word(utcb, 3)] ?? "?";
    const task = yield* word(utcb, 4);
    const err = yield* word(utcb, 5);
    const page = va - (va % PAGE);
    const index = (page - PAGED_BASE) / PAGE;
    const ans = cow.fault(task, index, (err & PfErr.W) !== 0, (err & PfErr.P) !== 0);
    if (!ans.ok) {
      const why =
        ans.why === "exhausted"
          ? ": pool exhausted, refused"
          : ` (${access}) outside its paged area: refused`;
      yield* print(utcb, `mm0: task ${task} faulted at ${hex(va)}${why}`);
      return 0;
    }
    const m = yield* perform(ans.actions);
    if (m !== 0) {
      yield* print(utcb, `mm0: mapping for task ${task} at ${hex(page)} failed (${l4ErrorName(m)})`);
      return 0;
    }
    const at = cow.mappedAt(task, index)!;
    if ((err & PfErr.P) !== 0) {
      const copy = ans.actions.find((a) => a.kind === "copy");
      yield* print(
        utcb,
        copy === undefined
          ? `mm0: task ${task} wrote ${hex(page)}, no longer shared: pool page ${at.frame} now writable`
          : `mm0: task ${task} wrote shared ${hex(page)}: copied pool page ${copy.src} to ${copy.dst}, mapped writable`,
      );
    } else
      yield* print(
        utcb,
        `mm0: task ${task} faulted at ${hex(va)} (${access}): mapped pool page ${at.frame}${at.writable ? "" : " read-only (shared)"}`,
      );
    return 1;
  }

  /** FORK from `parent`: create the child, share every page copy-on-write, run it. */
  function* fork(parent: number): UserCode<number> {
    const words: number[] = [];
    for (let i = 1; i <= NAME_WORDS; i++) words.push(yield* word(utcb, i));
    const arg = yield* word(utcb, NAME_WORDS + 1);
    const name = unpackName(words);
    const h = yield* createTask(utcb, name, ep, arg);
    if (h < 0) return h;
    yield* l4.l4_capability_control(CapOp.GRANT, ep, h, Right.WRITE);
    const child = yield* l4.l4_thread_control(ThreadOp.ID, h, 0, 0, 0);
    children.set(child, { handle: h, parent });
    if (cow.has(child)) cow.exit(child); // a stale record: a task by that id died unreported
    const actions = cow.fork(parent, child);
    const m = yield* perform(actions);
    const shared = actions.filter((a) => a.kind === "map" && a.task === child).length;
    yield* print(
      utcb,
      `mm0: fork: task ${parent} -> task ${child} (${name}): ${shared} pages shared read-only, chain ${cow.chainLength(child)} objects`,
    );
    if (m !== 0) return m;
    yield* l4.l4_thread_control(ThreadOp.RUN, h, 0, 0, 0);
    return child;
  }

  /** A forked child is gone with `status`: reclaim, reap, answer a waiting parent. */
  function* exited(child: number, status: number): UserCode<void> {
    const c = children.get(child);
    if (c === undefined) return;
    children.delete(child);
    const free = cow.frames.freeFrames();
    cow.exit(child);
    yield* print(
      utcb,
      `mm0: task ${child} exited (${status}): ${cow.frames.freeFrames() - free} pool pages back, task ${c.parent}'s chain now ${cow.chainLength(c.parent)} object(s)`,
    );
    yield* l4.l4_thread_control(ThreadOp.DESTROY, c.handle, 0, 0, 0);
    yield* l4.l4_thread_control(ThreadOp.WAIT, c.handle, 0, 0, 0);
    const cap = waiting.get(child);
    if (cap === undefined) {
      zombies.set(child, { parent: c.parent, status });
      return;
    }
    waiting.delete(child);
    yield* mem.store32(utcb + UTCB_REPLY, cap);
    yield* reply(utcb, 0, [status]);
  }

  let r = yield* receive(utcb, ep);
  for (;;) {
    if (r < 0) {
      r = yield* receive(utcb, ep);
      continue;
    }
    const op = yield* label(utcb);
    const sender = (yield* mem.load32(utcb + UTCB_SENDER)) | 0;
    if (op === PAGE_FAULT_LABEL) {
      const task = yield* word(utcb, 4); // a fault message's sender is the kernel: MR4 names the task
      const ok = yield* fault();
      if (ok === 0 && children.has(task)) {
        // A task mm0 forked is refused: it dies of SIGSEGV, and mm0, its creator, reaps it at once
        // so that its pages come back and its parent's WAIT is answered (wait status 11: SIGSEGV).
        yield* exited(task, SIGSEGV_STATUS);
        r = yield* receive(utcb, ep);
      } else r = yield* replyWait(utcb, ep, PAGE_FAULT_LABEL, [ok]);
    } else if (op === Mm0Label.FORK) {
      const child = yield* fork(sender);
      r = yield* replyWait(utcb, ep, 0, [child]);
    } else if (op === Mm0Label.EXIT && children.has(sender)) {
      const status = yield* word(utcb, 1);
      yield* exited(sender, status);
      r = yield* receive(utcb, ep); // no reply: the caller is destroyed
    } else if (op === Mm0Label.WAIT) {
      const child = yield* word(utcb, 1);
      const z = zombies.get(child);
      if (z !== undefined && z.parent === sender) {
        zombies.delete(child);
        r = yield* replyWait(utcb, ep, 0, [z.status]);
      } else if (children.get(child)?.parent === sender && !waiting.has(child)) {
        waiting.set(child, (yield* mem.load32(utcb + UTCB_REPLY)) | 0);
        r = yield* receive(utcb, ep); // answered when the child exits
      } else r = yield* replyWait(utcb, ep, BAD_REQUEST, []);
    } else if (op === Mm0Label.DEATH && sender === ROOT_TASK) {
      // Only the root task, which creates and reaps the tasks mm0 pages, reports deaths. "A task
      // mm0 holds no pages of" is not enough: a client that has not faulted yet is one.
      const task = yield* word(utcb, 1);
      r = yield* replyWait(utcb, ep, 0, [cow.exit(task) ? 1 : 0]);
    } else if (op === Mm0Label.STATS) {
      const c = cow.counters;
      const st = cow.stats();
      r = yield* replyWait(utcb, ep, 0, [
        c.cowFaults,
        c.pagesCopied,
        c.forks,
        c.reclaimed,
        cow.frames.freeFrames(),
        st.objects,
        st.maxChain,
        cow.chainLength(sender),
      ]);
    } else {
      r = yield* replyWait(utcb, ep, BAD_REQUEST, []);
    }
  }
}
