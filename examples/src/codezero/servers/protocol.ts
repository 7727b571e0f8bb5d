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
 *   pager    0xfa17 (the kernel's page-fault message: va lo, va hi, access, task) → MR1 = 1 mapped, 0 refused
 * ```
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
