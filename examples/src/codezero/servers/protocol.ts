/**
 * The user-level protocols: what the servers and their clients agree on, outside the kernel.
 * In L4 the kernel knows nothing of these: a label is just 16 bits of MR0.
 *
 * ```
 *   who      label            request words         reply (label 0 = ok, else an error label)
 *   ───────  ───────────────  ────────────────────  ─────────────────────────────────────────
 *   kv       KV_PUT  0x0101   key, value            ok                        | KV_FULL
 *   kv       KV_GET  0x0102   key                   ok, found (0/1), value
 *   root     CTL_MORE 0x0201  —                     ok, the granted handle (in the caller's table)
 *   root     CTL_DONE 0x0202  —                     ok, how many capabilities the revoke closed
 *   pager    0xfa17 (the kernel's page-fault message: va lo, va hi, access, task, x86 error code)
 *                                                  MR1 = 1 resolved, 0 refused
 *   mm0      FORK  0x0301   name (3 words), arg    ok, the child's task id    | an L4 error in MR1 < 0
 *   mm0      EXIT  0x0302   status                 (no reply: the caller is destroyed)
 *   mm0      WAIT  0x0303   child task id          ok, the child's exit status (once it has exited)
 *   mm0      DEATH 0x0304   task id                ok, 1 if mm0 held pages of it (sent by the root task)
 *   mm0      STATS 0x0305   —                      ok, cow faults, pages copied, forks, reclaimed,
 *                                                  free pool pages, live VM objects, the longest
 *                                                  chain seen, the caller's chain length
 * ```
 *
 * A FORK's name is the child's program (Codezero's clone with a new entry: a generator cannot be
 * copied mid-run, see docs/tour-codezero.md), packed 4 Latin-1 characters a word, low byte first:
 * "kid" → 0x0064696b, 0, 0.
 *
 * Memory layout every paged task shares (each in its own space):
 *
 * ```
 *   0x2000_0000  POOL        the pool a pager hands out (σ0's at the root task, part of it at mm0)
 *   0x3000_0000  UTCB        one page, mapped by the kernel at creation (abi.ts)
 *   0x4000_0000  PAGED_BASE  16 pages the pager demand-zeroes on first touch; anything else unmapped
 *                            is refused, and the kernel kills the task
 * ```
 *
 * Related: `mm0.ts`, `kv.ts`, `../programs/`.
 */

/** The error label a server replies with for a request it does not know. */
export const BAD_REQUEST = 0x00ff;

/** Labels of the key-value server (`kv.ts`). */
export const KvLabel = { PUT: 0x0101, GET: 0x0102, FULL: 0x0103 } as const;

/** Labels of the root task's control endpoint (the capability demo talks to it). */
export const CtlLabel = { MORE: 0x0201, DONE: 0x0202 } as const;

/**
 * The root task's id, well known to the servers as L4 X.2's kernel interface page makes σ0's and
 * the root task's thread ids known to all: the first task the kernel boots is task 1. mm0 takes
 * DEATH notices from it alone (a client could otherwise report a live sibling dead and have its
 * pages handed to someone else while it still maps them).
 */
export const ROOT_TASK = 1;

/** Where a pool is mapped, in the root task and in mm0. */
export const POOL_BASE = 0x2000_0000;
/** Pages of the machine's pool that the boot code gives the root task (σ0's grant). */
export const ROOT_POOL_PAGES = 64;
/** Pages of it the root task maps into mm0. */
export const MM0_POOL_PAGES = 32;
/** The area mm0 demand-zeroes in each task it pages. */
export const PAGED_BASE = 0x4000_0000;
/** Its size in pages. */
export const PAGED_PAGES = 16;

/** Labels of mm0's process-management requests (Codezero's mm0 serves fork, exit, wait). */
export const Mm0Label = { FORK: 0x0301, EXIT: 0x0302, WAIT: 0x0303, DEATH: 0x0304, STATS: 0x0305 } as const;

/** Words a FORK packs the child's program name into (12 characters). */
export const NAME_WORDS = 3;

/**
 * A program name packed into {@link NAME_WORDS} words, 4 characters each, low byte first.
 * @example packName("kid") → [0x0064696b, 0, 0]
 */
export function packName(name: string): number[] {
  const w = new Array<number>(NAME_WORDS).fill(0);
  for (let i = 0; i < Math.min(name.length, 4 * NAME_WORDS); i++)
    w[i >> 2] = w[i >> 2]! | ((name.charCodeAt(i) & 0xff) << (8 * (i & 3)));
  return w;
}

/** The name {@link packName} packed (up to the first zero byte). */
export function unpackName(words: readonly number[]): string {
  let s = "";
  for (let i = 0; i < 4 * NAME_WORDS; i++) {
    const c = ((words[i >> 2] ?? 0) >>> (8 * (i & 3))) & 0xff;
    if (c === 0) break;
    s += String.fromCharCode(c);
  }
  return s;
}
