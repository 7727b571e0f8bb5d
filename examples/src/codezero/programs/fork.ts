/**
 * The fork demo: a task forks through mm0 and parent and child write different values to pages
 * that were shared and become private, copy-on-write done by the user-level pager.
 *
 * ```
 *   forkdemo (parent P)                          mm0                              forkkid (child C)
 *   store 100 → page 0, 200 → page 1  ──#PF──▶  demand-zero, mapped RW
 *   round r:  call FORK("forkkid", r) ───────▶  CREATE C; P's pages → read-only
 *                                               in P, the same frames read-only
 *                                               in C; RUN C  ─────────────────▶  load page 0, page 1
 *             call WAIT(C) (blocks)                                               (no fault: mapped)
 *                                               ◀──── #PF P|W|U ───────────────  store 1000+r → page 0
 *                                               copy pool page, map it RW ───▶  load it back
 *                                               ◀──── EXIT(0) ─────────────────  exit
 *                                               reclaim C: its shadow freed,
 *             ◀── reply status ──────────────   P's chain merges back to 1
 *   load page 0: still P's value; store a new one: a protection fault mm0 resolves without a copy
 * ```
 *
 * The child starts at its own entry (`forkkidMain`), as Codezero's clone with a new entry: a
 * generator cannot be copied in the middle of a run, and the kernel core's fork by replay answers
 * the forking trap, which here is mm0's, not the kernel's (docs/tour-codezero.md). What it shares
 * with its parent is the memory: the paged area, page for page, copy-on-write.
 *
 * The parent waits for each child before writing again, so every schedule prints the same lines.
 *
 * Related: `../servers/mm0.ts`, `../servers/cow.ts`, `root.ts` (who runs it, and grants it WRITE
 * on mm0's endpoint).
 */
import { mem, type ProcessStart, type ProgramMain, type UserCode } from "@osbricks/kernel";
import { L4Error, utcbOf } from "../abi.js";
import { call, findEndpoint, label, print, word } from "../lib.js";
import { BAD_REQUEST, Mm0Label, PAGED_BASE, packName } from "../servers/protocol.js";

const PAGE = 4096;
/** The first value the parent stores in page 0 (round r's child expects FORK_BASE + r). */
export const FORK_BASE = 100;
/** What the parent stores in page 1 once (every child reads it). */
export const FORK_PAGE1 = 200;
/** What round r's child stores in page 0. */
export const KID_BASE = 1000;

/** Ask mm0 for a fork running `name` with `arg`; the child's task id or an error. */
export function* mm0Fork(utcb: number, mm0: number, name: string, arg: number): UserCode<number> {
  const r = yield* call(utcb, mm0, Mm0Label.FORK, [...packName(name), arg]);
  return r < 0 ? r : yield* word(utcb, 1);
}

/**
 * Wait (through mm0) for a child it forked; its exit status or an error: the IPC's, or
 * `-L4Error.ENOENT` when mm0 answers BAD_REQUEST (not a child of the caller, or already waited for).
 * A BAD_REQUEST reply carries no words, so MR1 then holds nothing of mm0's.
 */
export function* mm0Wait(utcb: number, mm0: number, child: number): UserCode<number> {
  const r = yield* call(utcb, mm0, Mm0Label.WAIT, [child]);
  if (r < 0) return r;
  if ((yield* label(utcb)) === BAD_REQUEST) return -L4Error.ENOENT;
  return yield* word(utcb, 1);
}

/** Exit through mm0 (Codezero's tasks exit through their pager); does not return if it works. */
export function* mm0Exit(utcb: number, mm0: number, status: number): UserCode<number> {
  return yield* call(utcb, mm0, Mm0Label.EXIT, [status]);
}

/**
 * What a program mm0 forks is linked with (Codezero's crt0 with its POSIX library: `exit(main())`):
 * run `main`, then exit through mm0 with its result. A child that simply returns is then reaped by
 * mm0 like one that called EXIT: its pages go back and its parent's WAIT is answered. Without it,
 * the kernel core would make the returning task a zombie of its creator, mm0, which never hears of
 * it (the kernel sends a pager no death notice; the tour's "limits").
 * @example `registry.register({ name: "kid", main: forkedProgram(kidMain) })`
 */
export function forkedProgram(main: (start: ProcessStart) => UserCode<number>): ProgramMain {
  return function* (start) {
    const status = yield* main(start);
    const mm0 = yield* findEndpoint(0);
    if (mm0 >= 0) yield* mm0Exit(utcbOf(0), mm0, status);
    return status; // reached only if mm0 is gone or refused the EXIT
  };
}

/** `forkdemo n`: n rounds of fork, the child writes, wait, the parent writes. */
export function* forkdemoMain(start: ProcessStart): UserCode<number> {
  const utcb = utcbOf(0);
  const rounds = Number(start.argv[1] ?? 3);
  const mm0 = yield* findEndpoint(0);
  if (mm0 < 0) return 1;
  yield* mem.store32(PAGED_BASE, FORK_BASE);
  yield* mem.store32(PAGED_BASE + PAGE, FORK_PAGE1);
  let bad = 0;
  for (let r = 0; r < rounds; r++) {
    const child = yield* mm0Fork(utcb, mm0, "forkkid", r);
    if (child < 0) {
      yield* print(utcb, `forkdemo: fork refused (${child})`);
      return 1;
    }
    const status = yield* mm0Wait(utcb, mm0, child);
    const mine = (yield* mem.load32(PAGED_BASE)) | 0;
    if (mine !== FORK_BASE + r || status !== 0) bad++;
    yield* mem.store32(PAGED_BASE, FORK_BASE + r + 1);
    yield* call(utcb, mm0, Mm0Label.STATS, []);
    const chain = yield* word(utcb, 8);
    yield* print(
      utcb,
      `forkdemo: round ${r}: child ${child} exited with ${status}; page 0 still ${mine} (not ${KID_BASE + r}); wrote ${FORK_BASE + r + 1}; my chain ${chain} object(s)`,
    );
  }
  const p1 = (yield* mem.load32(PAGED_BASE + PAGE)) | 0;
  yield* print(
    utcb,
    `forkdemo: ${rounds} forks, page 1 still ${p1}: ${bad === 0 && p1 === FORK_PAGE1 ? "every value right" : `${bad} wrong`}`,
  );
  return bad === 0 && p1 === FORK_PAGE1 ? 0 : 1;
}

/** `forkkid r`: read the parent's pages, write page 0 (a copy-on-write fault), return (see {@link forkedProgram}). */
export function* forkkidMain(start: ProcessStart): UserCode<number> {
  const utcb = utcbOf(0);
  const r = Number(start.argv[1] ?? 0);
  const mm0 = yield* findEndpoint(0);
  if (mm0 < 0) return 1;
  const p0 = (yield* mem.load32(PAGED_BASE)) | 0;
  const p1 = (yield* mem.load32(PAGED_BASE + PAGE)) | 0;
  yield* mem.store32(PAGED_BASE, KID_BASE + r);
  const back = (yield* mem.load32(PAGED_BASE)) | 0;
  const ok = p0 === FORK_BASE + r && p1 === FORK_PAGE1 && back === KID_BASE + r;
  yield* print(
    utcb,
    `forkkid: round ${r}: read ${p0} and ${p1} from my parent's pages, wrote ${KID_BASE + r} to page 0, read back ${back}`,
  );
  return ok ? 0 : 1; // registered as forkedProgram(forkkidMain): the return exits through mm0
}
