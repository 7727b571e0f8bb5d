/**
 * The address grid of the mapper laws and the checks every law shares: a small grid of virtual
 * addresses that makes operations collide often, arbitraries of grid pages, frames and leaf
 * flags, and the expectations a mapper's answers are held to (same flags, the INVLPG obligation,
 * the page tables a set of pages needs). The property laws (`mapper.ts`), the model-based
 * commands (`mapper-commands.ts`) and the hardware-walk law (`mapper-hardware.ts`) all draw from
 * here; it is a file of its own because it is the vocabulary of all three, not part of any one.
 *
 * ```
 *   PML4 index ∈ {0, 1, 256, 511}  (lower and upper half)  × PDPT/PD index ∈ {0, 1, 2, 511}
 *   × PT index ∈ {0, 1, 2, 3, 511}  × size ∈ {4 KiB, 2 MiB, 1 GiB}  → pages that overlap, nest
 *   and repeat, and pages in the last slot of a table (where an index taken with 8 bits, or a
 *   loop that stops at 510, shows)
 * ```
 *
 * Related: `mapper.ts` (the laws), `mapper-commands.ts` (the model and its commands),
 * `mapper-hardware.ts`, `../paging/api.ts` (the interface).
 */
import fc from "fast-check";
import type { LeafFlags, MapFlags, TlbFlush } from "../paging/api.js";
import { PAGE_1G, PAGE_2M, PAGE_4K, type PageSize, type VirtAddr } from "../paging/virtual-address.js";

/** A point of the small address grid: indices per level and a page size. */
export interface GridPage {
  readonly pml4: number;
  readonly pdpt: number;
  readonly pd: number;
  readonly pt: number;
  readonly size: PageSize;
}

const PML4S = [0, 1, 256, 511] as const;

/** The page base of a grid point, sign-extended from bit 47. */
export function gridVa(p: GridPage): VirtAddr {
  let raw = p.pml4 * 2 ** 39 + p.pdpt * 2 ** 30;
  if (p.size !== PAGE_1G) raw += p.pd * 2 ** 21;
  if (p.size === PAGE_4K) raw += p.pt * 2 ** 12;
  return raw >= 2 ** 47 ? raw - 2 ** 48 : raw;
}

/** Grid points, 4 KiB pages drawn twice as often as each larger size. */
export const gridPageArb: fc.Arbitrary<GridPage> = fc.record({
  pml4: fc.constantFrom(...PML4S),
  pdpt: fc.constantFrom(0, 1, 2, 511),
  pd: fc.constantFrom(0, 1, 2, 511),
  pt: fc.constantFrom(0, 1, 2, 3, 511),
  size: fc.constantFrom<PageSize>(PAGE_4K, PAGE_4K, PAGE_2M, PAGE_1G),
});

/** Any combination of leaf flags a mapper must accept. */
export const flagsArb: fc.Arbitrary<MapFlags> = fc.record({
  writable: fc.boolean(),
  user: fc.boolean(),
  noExecute: fc.boolean(),
  global: fc.boolean(),
  writeThrough: fc.boolean(),
  cacheDisable: fc.boolean(),
  pat: fc.boolean(),
  protectionKey: fc.integer({ min: 0, max: 15 }),
  available: fc.integer({ min: 0, max: 7 }),
  availableHigh: fc.integer({ min: 0, max: 127 }),
});

/**
 * The A/D part of a protect: set, clear or keep (absent) each bit, as a kernel's clock algorithm or
 * write-back does. A mapper must keep the bits a protect does not name.
 */
export const accessedDirtyArb: fc.Arbitrary<{ accessed?: boolean; dirty?: boolean }> = fc
  .tuple(fc.constantFrom(undefined, true, false), fc.constantFrom(undefined, true, false))
  .map(([a, d]) => ({
    ...(a === undefined ? {} : { accessed: a }),
    ...(d === undefined ? {} : { dirty: d }),
  }));

/** A frame address below 2^36 (valid for every MAXPHYADDR) aligned to `size`, chosen by `n`. */
export function frameFor(n: number, size: PageSize): number {
  return (n % (2 ** 36 / size)) * size;
}

/** Throws unless the leaf's flags are the ones mapped (absent flags read as false / 0). */
export function sameFlags(actual: LeafFlags, expected: MapFlags, where: string): void {
  const keys = ["writable", "user", "noExecute", "global", "writeThrough", "cacheDisable", "pat"] as const;
  for (const k of keys) {
    if (actual[k] !== (expected[k] ?? false)) {
      throw new Error(
        `${where}: flag ${k} is ${String(actual[k])}, expected ${String(expected[k] ?? false)}`,
      );
    }
  }
  if (actual.protectionKey !== (expected.protectionKey ?? 0))
    throw new Error(`${where}: protection key differs`);
  if (actual.available !== (expected.available ?? 0)) throw new Error(`${where}: software bits differ`);
  if (actual.availableHigh !== (expected.availableHigh ?? 0))
    throw new Error(`${where}: software bits 58:52 differ`);
}

/**
 * Throws unless `flush` is the INVLPG obligation of a change to the page at `va` of `size`: kind
 * `page`, that page, and `global` whenever the old entry was global (a CR3 write would not drop it).
 */
export function expectPageFlush(
  flush: TlbFlush,
  va: VirtAddr,
  size: PageSize,
  wasGlobal: boolean,
  where: string,
): void {
  if (flush.kind !== "page")
    throw new Error(`${where}: the old translation may be cached (SDM 4.10.4.2) but no flush was obliged`);
  if (flush.va !== va || flush.size !== size)
    throw new Error(
      `${where}: flush names page ${flush.va} of ${flush.size}, the change was to ${va} of ${size}`,
    );
  if (wasGlobal && !flush.global)
    throw new Error(`${where}: the old entry was global; the flush must say so (a CR3 write keeps it)`);
}

/**
 * Whether a protect from `before` to `after` leaves a cached translation wrong enough to need
 * INVLPG: a permission taken away (R/W or U/S cleared, XD set), a memory type, global or
 * protection-key change, or A/D cleared (a cached entry would not set them again). Granting a
 * permission may skip the flush: the stale entry only causes a spurious fault, which re-walks
 * (SDM 4.10.4.3). Software bits are ignored by the hardware.
 */
export function protectNeedsFlush(before: LeafFlags, after: LeafFlags): boolean {
  return (
    (before.writable && !after.writable) ||
    (before.user && !after.user) ||
    (!before.noExecute && after.noExecute) ||
    before.global !== after.global ||
    before.writeThrough !== after.writeThrough ||
    before.cacheDisable !== after.cacheDisable ||
    before.pat !== after.pat ||
    before.protectionKey !== after.protectionKey ||
    (before.accessed && !after.accessed) ||
    (before.dirty && !after.dirty)
  );
}

/**
 * The page tables (below the root) that a set of pages needs, as keys of the table's own
 * position: one PDPT per PML4 slot used, one PD per PDPT slot used by a 2 MiB or 4 KiB page, one
 * PT per PD slot used by a 4 KiB page. Worked: a lone 4 KiB page needs 3 tables; a 2 MiB page
 * beside it in the same 1 GiB region adds none.
 */
export function tablesNeeded(pages: Iterable<readonly [VirtAddr, { readonly size: PageSize }]>): Set<string> {
  const need = new Set<string>();
  for (const [va, m] of pages) {
    const u = va < 0 ? va + 2 ** 48 : va; // the 48 bits the four indices come from
    const pml4 = Math.floor(u / 2 ** 39);
    const pdpt = Math.floor(u / 2 ** 30) % 512;
    const pd = Math.floor(u / 2 ** 21) % 512;
    need.add(`pdpt ${pml4}`);
    if (m.size !== PAGE_1G) need.add(`pd ${pml4}.${pdpt}`);
    if (m.size === PAGE_4K) need.add(`pt ${pml4}.${pdpt}.${pd}`);
  }
  return need;
}
