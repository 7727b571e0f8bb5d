/**
 * The model-based half of the mapper laws: a small grid of virtual addresses that makes command
 * sequences collide often, and one fast-check command per operation, each run against a
 * {@link PageTableMapper} and a naive model — a `Map` from page base address to (frame, size,
 * flags) — with every answer compared and `checkInvariants()` after each (the rules are in the
 * table of `mapper.ts`).
 *
 * ```
 *   PML4 index ∈ {0, 1, 256, 511}  (lower and upper half)  × PDPT/PD index ∈ {0, 1, 2, 511}
 *   × PT index ∈ {0, 1, 2, 3, 511}  × size ∈ {4 KiB, 2 MiB, 1 GiB}  → pages that overlap, nest
 *   and repeat, and pages in the last slot of a table (where an index taken with 8 bits, or a
 *   loop that stops at 510, shows)
 * ```
 *
 * Besides the answers, the model holds a mapper to the page-table frames an unmap gives back:
 * the tables that the remaining pages no longer need (a lone 4 KiB page needs a PDPT, a PD and a
 * PT), so an unmap that leaks an empty table, or frees one still in use, shows.
 *
 * Related: `mapper.ts` (the laws that use these), `../paging/api.ts` (the interface).
 */
import fc from "fast-check";
import type { LeafFlags, MapFlags, Mapping, PageTableMapper, TlbFlush } from "../paging/api.js";
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

/** Unsigned order of two sign-extended addresses. */
function unsignedKey(va: VirtAddr): number {
  return va < 0 ? va + 2 ** 64 : va;
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

// ── the model and its commands ──────────────────────────────────────────────────────────────────

/** The naive model: page base → mapping, with the A and D bits the mapper must report and keep. */
interface Model {
  readonly pages: Map<
    VirtAddr,
    { pa: number; size: PageSize; flags: MapFlags; accessed: boolean; dirty: boolean }
  >;
}

/** Throws unless the leaf's A and D are the model's. */
function sameAccessedDirty(actual: LeafFlags, m: { accessed: boolean; dirty: boolean }, where: string): void {
  if (actual.accessed !== m.accessed || actual.dirty !== m.dirty) {
    throw new Error(
      `${where}: A=${String(actual.accessed)} D=${String(actual.dirty)}, expected A=${String(m.accessed)} D=${String(m.dirty)}`,
    );
  }
}

type MapperCommand = fc.Command<Model, PageTableMapper>;

/** Throws unless an unmap gave back exactly the tables the remaining pages no longer need. */
function expectFreedTables(got: number, want: number, where: string): void {
  if (got !== want)
    throw new Error(
      `${where}: freedTables=${got}, but ${want} table(s) became empty and must go back to the frame source` +
        (got < want ? " (an empty table leaks its frame)" : " (a table still in use was freed)"),
    );
}

function overlapping(model: Model, va: VirtAddr, size: PageSize): [VirtAddr, { size: PageSize }][] {
  const end = va + size;
  return [...model.pages].filter(([v, m]) => v < end && va < v + m.size);
}

class MapCommand implements MapperCommand {
  constructor(
    readonly page: GridPage,
    readonly frameNo: number,
    readonly flags: MapFlags,
  ) {}
  check(): boolean {
    return true;
  }
  run(model: Model, real: PageTableMapper): void {
    const va = gridVa(this.page);
    const size = this.page.size;
    const pa = frameFor(this.frameNo, size);
    const r = real.map(va, pa, size, this.flags);
    const clash = overlapping(model, va, size);
    if (clash.length === 0) {
      if (r.kind !== "mapped") throw new Error(`${this.toString()}: expected mapped, got ${r.kind}`);
      model.pages.set(va, { pa, size, flags: this.flags, accessed: false, dirty: false });
    } else {
      const [cva, c] = clash[0]!;
      const expected =
        c.size > size
          ? "huge-page-in-the-way"
          : c.size === size && cva === va
            ? "already-mapped"
            : "table-in-the-way";
      if (r.kind !== expected) throw new Error(`${this.toString()}: expected ${expected}, got ${r.kind}`);
    }
    real.checkInvariants();
  }
  toString(): string {
    return `map(${gridVa(this.page)}, ${frameFor(this.frameNo, this.page.size)}, ${this.page.size})`;
  }
}

class UnmapCommand implements MapperCommand {
  constructor(readonly pick: number) {}
  check(model: Readonly<Model>): boolean {
    return model.pages.size > 0;
  }
  run(model: Model, real: PageTableMapper): void {
    const [va, m] = [...model.pages][this.pick % model.pages.size]!;
    const r = real.unmap(va, m.size);
    if (r.kind !== "unmapped") throw new Error(`unmap(${va}): expected unmapped, got ${r.kind}`);
    if (r.mapping.pa !== m.pa || r.mapping.size !== m.size)
      throw new Error(`unmap(${va}): wrong old mapping`);
    expectPageFlush(r.flush, va, m.size, m.flags.global ?? false, `unmap(${va})`);
    const tablesBefore = tablesNeeded(model.pages).size;
    model.pages.delete(va);
    expectFreedTables(r.freedTables, tablesBefore - tablesNeeded(model.pages).size, `unmap(${va})`);
    if (real.translate(va) !== null) throw new Error(`unmap(${va}): still translates`);
    real.checkInvariants();
  }
  toString(): string {
    return `unmap(#${this.pick})`;
  }
}

class UnmapAbsentCommand implements MapperCommand {
  constructor(readonly page: GridPage) {}
  check(): boolean {
    return true;
  }
  run(model: Model, real: PageTableMapper): void {
    const va = gridVa(this.page);
    const covering = [...model.pages].find(([v, m]) => va >= v && va < v + m.size);
    const r = real.unmap(va, this.page.size);
    if (covering === undefined) {
      if (r.kind !== "not-mapped") throw new Error(`${this.toString()}: expected not-mapped, got ${r.kind}`);
    } else if (covering[1].size !== this.page.size) {
      if (r.kind !== "size-mismatch")
        throw new Error(`${this.toString()}: expected size-mismatch, got ${r.kind}`);
    } else if (covering[0] !== va) {
      throw new Error("unreachable: an aligned page base inside a page of its own size is that page");
    } else {
      if (r.kind !== "unmapped") throw new Error(`${this.toString()}: expected unmapped, got ${r.kind}`);
      expectPageFlush(r.flush, va, this.page.size, covering[1].flags.global ?? false, this.toString());
      const tablesBefore = tablesNeeded(model.pages).size;
      model.pages.delete(va);
      expectFreedTables(r.freedTables, tablesBefore - tablesNeeded(model.pages).size, this.toString());
    }
    real.checkInvariants();
  }
  toString(): string {
    return `unmapAny(${gridVa(this.page)}, ${this.page.size})`;
  }
}

class ProtectCommand implements MapperCommand {
  constructor(
    readonly pick: number,
    readonly flags: MapFlags,
    readonly ad: { accessed?: boolean; dirty?: boolean } = {},
  ) {}
  check(model: Readonly<Model>): boolean {
    return model.pages.size > 0;
  }
  run(model: Model, real: PageTableMapper): void {
    const [va, m] = [...model.pages][this.pick % model.pages.size]!;
    const r = real.protect(va, m.size, { ...this.flags, ...this.ad });
    if (r.kind !== "protected") throw new Error(`protect(${va}): expected protected, got ${r.kind}`);
    if (r.after.pa !== m.pa) throw new Error(`protect(${va}): the frame changed`);
    sameFlags(r.after.flags, this.flags, `protect(${va})`);
    sameAccessedDirty(r.before.flags, m, `protect(${va}) before`);
    // A and D: the ones named are set or cleared, the others kept (ProtectFlags).
    const next = {
      ...m,
      flags: this.flags,
      accessed: this.ad.accessed ?? m.accessed,
      dirty: this.ad.dirty ?? m.dirty,
    };
    sameAccessedDirty(r.after.flags, next, `protect(${va}) after`);
    if (r.flush.kind !== "none" || protectNeedsFlush(r.before.flags, r.after.flags))
      expectPageFlush(r.flush, va, m.size, r.before.flags.global, `protect(${va})`);
    model.pages.set(va, next);
    real.checkInvariants();
  }
  toString(): string {
    return `protect(#${this.pick}, ${JSON.stringify({ ...this.flags, ...this.ad })})`;
  }
}

/**
 * protect of a page that is not exactly a mapped page: `not-mapped` if no page covers its base,
 * `size-mismatch` if a page of another size does; nothing changes either way.
 */
class ProtectAbsentCommand implements MapperCommand {
  constructor(
    readonly page: GridPage,
    readonly flags: MapFlags,
  ) {}
  check(model: Readonly<Model>): boolean {
    return model.pages.get(gridVa(this.page))?.size !== this.page.size;
  }
  run(model: Model, real: PageTableMapper): void {
    const va = gridVa(this.page);
    const covering = [...model.pages].find(([v, m]) => va >= v && va < v + m.size);
    const before = JSON.stringify([...real.mappings()]);
    const r = real.protect(va, this.page.size, this.flags);
    const want = covering === undefined ? "not-mapped" : "size-mismatch";
    if (r.kind !== want)
      throw new Error(
        `${this.toString()}: expected ${want}, got ${r.kind} (protect must match the page size too)`,
      );
    if (JSON.stringify([...real.mappings()]) !== before)
      throw new Error(`${this.toString()}: a refused protect changed the mappings`);
    real.checkInvariants();
  }
  toString(): string {
    return `protectAny(${gridVa(this.page)}, ${this.page.size})`;
  }
}

class TranslateCommand implements MapperCommand {
  constructor(
    readonly page: GridPage,
    readonly offset: number,
  ) {}
  check(): boolean {
    return true;
  }
  run(model: Model, real: PageTableMapper): void {
    const va = gridVa({ ...this.page, size: PAGE_4K }) + (this.offset % PAGE_4K);
    const covering = [...model.pages].find(([v, m]) => va >= v && va < v + m.size);
    const t = real.translate(va);
    if (covering === undefined) {
      if (t !== null) throw new Error(`translate(${va}): expected null, got ${t.paOfByte}`);
      return;
    }
    const [v, m] = covering;
    if (t === null) throw new Error(`translate(${va}): expected a mapping, got null`);
    if (t.paOfByte !== m.pa + (va - v) || t.size !== m.size || t.va !== v) {
      throw new Error(
        `translate(${va}): got pa ${t.paOfByte} size ${t.size}, expected ${m.pa + (va - v)} size ${m.size}`,
      );
    }
    sameFlags(t.flags, m.flags, `translate(${va})`);
    sameAccessedDirty(t.flags, m, `translate(${va})`);
  }
  toString(): string {
    return `translate(${gridVa({ ...this.page, size: PAGE_4K }) + (this.offset % PAGE_4K)})`;
  }
}

/** The `…Err` twin of {@link MapCommand}: a misaligned or non-canonical map must throw and change nothing. */
class MapErrCommand implements MapperCommand {
  constructor(
    readonly page: GridPage,
    readonly bad: number,
    readonly how: "va" | "pa" | "canonical",
  ) {}
  check(): boolean {
    return true;
  }
  run(model: Model, real: PageTableMapper): void {
    const va = gridVa(this.page);
    const size = this.page.size;
    const before = [...real.mappings()].map((m) => `${m.va}:${m.pa}:${m.size}`).join(",");
    let threw = false;
    try {
      if (this.how === "va") real.map(va + (1 + (this.bad % 4095)), 0, size, {});
      else if (this.how === "pa") real.map(va, 1 + (this.bad % 4095), size, {});
      else real.map(2 ** 47 + Math.abs(va), 0, size, {});
    } catch {
      threw = true;
    }
    if (!threw) throw new Error(`${this.toString()}: a bad map did not throw`);
    const after = [...real.mappings()].map((m) => `${m.va}:${m.pa}:${m.size}`).join(",");
    if (after !== before) throw new Error(`${this.toString()}: a refused map changed the mappings`);
    if (model.pages.size !== [...real.mappings()].length)
      throw new Error("model and mapper disagree on the count");
    real.checkInvariants();
  }
  toString(): string {
    return `mapErr(${gridVa(this.page)}, ${this.how})`;
  }
}

class ListCommand implements MapperCommand {
  check(): boolean {
    return true;
  }
  run(model: Model, real: PageTableMapper): void {
    const got = [...real.mappings()].map((m: Mapping) => `${m.va}:${m.pa}:${m.size}`);
    const want = [...model.pages]
      .sort((a, b) => unsignedKey(a[0]) - unsignedKey(b[0]))
      .map(([v, m]) => `${v}:${m.pa}:${m.size}`);
    if (got.join(",") !== want.join(",")) throw new Error(`mappings(): got [${got}], expected [${want}]`);
  }
  toString(): string {
    return "mappings()";
  }
}

/** Sequences of up to 60 mapper commands (the model-based law's input). */
export const commandsArb = fc.commands(
  [
    fc.tuple(gridPageArb, fc.nat(), flagsArb).map(([p, n, f]) => new MapCommand(p, n, f)),
    fc.tuple(gridPageArb, flagsArb).map(([p, f]) => new ProtectAbsentCommand(p, f)),
    fc.nat().map((i) => new UnmapCommand(i)),
    gridPageArb.map((p) => new UnmapAbsentCommand(p)),
    fc.tuple(fc.nat(), flagsArb, accessedDirtyArb).map(([i, f, ad]) => new ProtectCommand(i, f, ad)),
    fc
      .tuple(gridPageArb, fc.nat(), fc.constantFrom<"va" | "pa" | "canonical">("va", "pa", "canonical"))
      .map(([p, b, how]) => new MapErrCommand(p, b, how)),
    fc.tuple(gridPageArb, fc.nat()).map(([p, o]) => new TranslateCommand(p, o)),
    fc.constant(new ListCommand()),
  ],
  { maxCommands: 60, size: "max" },
);
