/**
 * The root task: the first task, started by the kernel with the machine's pool (σ0's grant). As
 * Codezero's boot brings up mm0, fs0 and test0, it creates every other task, gives each the
 * capabilities it needs and nothing more, runs the demos one after the other, and shuts down.
 *
 * ```
 *   endpoints (root holds all rights):   σ0   pager   kv   ctl
 *   mm0      = CREATE("mm0", pager: σ0)   GRANT(pager → mm0, READ)   l4_map 32 pool pages into it
 *              CLOSE(σ0): nobody pages mm0 any more (a fault outside its areas kills it)
 *   kv       = CREATE("kv", pager: pager) GRANT(kv → kv, READ)
 *   C        = DERIVE(kv, WRITE|DUPLICATE|TRANSFER)          clients' grants come from C …
 *   client   = CREATE(…, pager)  GRANT(C → client, WRITE)    RUN, WAIT
 *   pagedemo = CREATE(…, pager)                               RUN, WAIT
 *   C2       = DERIVE(kv, …)                                  … capdemo's from C2
 *   capdemo  = CREATE(…, pager)  GRANT(ctl → capdemo, WRITE) GRANT(C2 → capdemo, DUPLICATE)
 *              serve ctl: MORE → GRANT(C2 → capdemo, WRITE); DONE → REVOKE(C2)
 *   wild     = CREATE(…, pager)                               RUN, WAIT: killed by SIGSEGV
 *   forkdemo = CREATE(…, pager)  GRANT(pager → forkdemo, WRITE)  RUN, WAIT: it forks through mm0
 *   after each WAIT of a task mm0 paged: call pager DEATH(id) — mm0 takes its pages back
 *   DESTROY kv (and DEATH); ask mm0 for STATS and print them; DESTROY mm0; exit
 * ```
 *
 * argv[1]: the pool pages at POOL_BASE; argv[2]: the client's rounds; argv[3]: forkdemo's forks.
 *
 * Related: `clients.ts`, `../servers/`, `../boot.ts` (who maps the pool and starts this).
 */
import { type ProcessStart, Sig, type UserCode, WIFSIGNALED, WTERMSIG } from "@osbricks/kernel";
import { Right } from "@osbricks/objects";
import { CapOp, l4ErrorName, MapProt, ThreadOp, utcbOf } from "../abi.js";
import { call, createTask, hex, l4, label, print, receive, reply, replyWait, word } from "../lib.js";
import { CtlLabel, MM0_POOL_PAGES, Mm0Label, POOL_BASE } from "../servers/protocol.js";

const cap = l4.l4_capability_control;
const tc = l4.l4_thread_control;

function describe(status: number): string {
  if (WIFSIGNALED(status))
    return `killed by ${WTERMSIG(status) === Sig.SIGSEGV ? "SIGSEGV" : `signal ${WTERMSIG(status)}`}`;
  return `exited with status ${(status >> 8) & 0xff}`;
}

/** Tell mm0 (on `pager`) that task `id`, which it paged, is dead and reaped: its pages may go. */
function* deathNotice(utcb: number, pager: number, id: number): UserCode<void> {
  yield* call(utcb, pager, Mm0Label.DEATH, [id]);
}

/** Create, run and wait for a task paged by `pager`, then tell mm0; its wait status (or the error). */
function* runTask(
  utcb: number,
  name: string,
  pager: number,
  arg: number,
  grants: readonly (readonly [number, number])[],
): UserCode<number> {
  const task = yield* createTask(utcb, name, pager, arg);
  if (task < 0) {
    yield* print(utcb, `root: cannot create ${name}: ${l4ErrorName(task)}`);
    return task;
  }
  for (const [h, rights] of grants) yield* cap(CapOp.GRANT, h, task, rights);
  const id = yield* tc(ThreadOp.ID, task, 0, 0, 0);
  yield* tc(ThreadOp.RUN, task, 0, 0, 0);
  const status = yield* tc(ThreadOp.WAIT, task, 0, 0, 0);
  yield* print(utcb, `root: ${name} ${describe(status)}`);
  yield* deathNotice(utcb, pager, id);
  return status;
}

/** The root task's entry point. */
export function* rootMain(start: ProcessStart): UserCode<number> {
  const utcb = utcbOf(0);
  const poolPages = Number(start.argv[1] ?? 0);
  const rounds = Number(start.argv[2] ?? 8);
  const forks = Number(start.argv[3] ?? 3);
  yield* print(utcb, `root: sigma0 granted me ${poolPages} pages at ${hex(POOL_BASE)}`);
  const sigma0 = yield* cap(CapOp.CREATE_ENDPOINT, 0, 0, 0);
  const pager = yield* cap(CapOp.CREATE_ENDPOINT, 0, 0, 0);
  const kv = yield* cap(CapOp.CREATE_ENDPOINT, 0, 0, 0);
  const ctl = yield* cap(CapOp.CREATE_ENDPOINT, 0, 0, 0);

  // mm0: paged by σ0 (us) just long enough to receive its pool.
  const mm0 = yield* createTask(utcb, "mm0", sigma0, MM0_POOL_PAGES);
  const mm0Id = yield* tc(ThreadOp.ID, mm0, 0, 0, 0);
  const mapped = yield* l4.l4_map(mm0Id, POOL_BASE, POOL_BASE, MM0_POOL_PAGES, MapProt.READ | MapProt.WRITE);
  // READ to serve; WRITE to name the endpoint as the pager of the tasks it forks; DUPLICATE and
  // TRANSFER to grant them WRITE on it.
  yield* cap(CapOp.GRANT, pager, mm0, Right.READ | Right.WRITE | Right.DUPLICATE | Right.TRANSFER);
  yield* cap(CapOp.CLOSE, sigma0, 0, 0);
  yield* print(
    utcb,
    `root: mm0 is task ${mm0Id}: ${MM0_POOL_PAGES} pool pages mapped (${l4ErrorName(mapped)}), pager endpoint granted, sigma0 closed`,
  );
  yield* tc(ThreadOp.RUN, mm0, 0, 0, 0);

  const kvTask = yield* createTask(utcb, "kv", pager, 0);
  yield* cap(CapOp.GRANT, kv, kvTask, Right.READ);
  yield* tc(ThreadOp.RUN, kvTask, 0, 0, 0);
  yield* print(utcb, `root: kv is task ${yield* tc(ThreadOp.ID, kvTask, 0, 0, 0)}, paged by mm0`);

  const clients = yield* cap(CapOp.DERIVE, kv, Right.WRITE | Right.DUPLICATE | Right.TRANSFER, 0);
  yield* runTask(utcb, "client", pager, rounds, [[clients, Right.WRITE]]);
  yield* runTask(utcb, "pagedemo", pager, 0, []);

  // capdemo: a weak kv capability first; more on request over ctl, then revoked.
  const c2 = yield* cap(CapOp.DERIVE, kv, Right.WRITE | Right.DUPLICATE | Right.TRANSFER, 0);
  const capdemo = yield* createTask(utcb, "capdemo", pager, 0);
  const capdemoId = yield* tc(ThreadOp.ID, capdemo, 0, 0, 0);
  yield* cap(CapOp.GRANT, ctl, capdemo, Right.WRITE);
  yield* cap(CapOp.GRANT, c2, capdemo, Right.DUPLICATE);
  yield* tc(ThreadOp.RUN, capdemo, 0, 0, 0);
  let r = yield* receive(utcb, ctl);
  for (let served = 0; r === 0 && served < 2; served++) {
    if ((yield* label(utcb)) === CtlLabel.MORE) {
      const g = yield* cap(CapOp.GRANT, c2, capdemo, Right.WRITE);
      yield* print(utcb, `root: capdemo asks for more: granted WRITE on kv (its handle ${hex(g)})`);
      r = yield* replyWait(utcb, ctl, 0, [g]);
    } else {
      const n = yield* cap(CapOp.REVOKE, c2, 0, 0);
      yield* print(utcb, `root: revoked everything derived from capdemo's kv capability: ${n} closed`);
      r = yield* reply(utcb, 0, [n]);
      break;
    }
  }
  const capStatus = yield* tc(ThreadOp.WAIT, capdemo, 0, 0, 0);
  yield* print(utcb, `root: capdemo ${describe(capStatus)}`);
  yield* deathNotice(utcb, pager, capdemoId);

  yield* runTask(utcb, "wild", pager, 0, []);
  yield* runTask(utcb, "forkdemo", pager, forks, [[pager, Right.WRITE]]);

  const kvId = yield* tc(ThreadOp.ID, kvTask, 0, 0, 0);
  yield* tc(ThreadOp.DESTROY, kvTask, 0, 0, 0);
  yield* tc(ThreadOp.WAIT, kvTask, 0, 0, 0);
  yield* deathNotice(utcb, pager, kvId);
  yield* call(utcb, pager, Mm0Label.STATS, []);
  const w: number[] = [];
  for (let i = 1; i <= 7; i++) w.push(yield* word(utcb, i));
  yield* print(
    utcb,
    `root: mm0 reports ${w[0]} COW faults, ${w[1]} pages copied, ${w[2]} forks, ${w[3]} tasks reclaimed; pool ${w[4]}/${MM0_POOL_PAGES} free, ${w[5]} VM objects left, longest chain ${w[6]}`,
  );
  yield* tc(ThreadOp.DESTROY, mm0, 0, 0, 0);
  yield* tc(ThreadOp.WAIT, mm0, 0, 0, 0);
  yield* print(utcb, "root: servers stopped; the root task exits");
  return 0;
}
