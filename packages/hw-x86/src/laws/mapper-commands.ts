/**
 * The model-based half of the mapper laws: one fast-check command per operation, each run against
 * a {@link PageTableMapper} and a naive model — a `Map` from page base address to (frame, size,
 * flags) — with every answer compared and `checkInvariants()` after each (the rules are in the
 * table of `mapper.ts`). Targets come from the small address grid of `mapper-grid.ts`, so command
 * sequences collide often.
 *
 * Besides the answers, the model holds a mapper to the page-table frames an unmap gives back:
 * the tables that the remaining pages no longer need (a lone 4 KiB page needs a PDPT, a PD and a
 * PT), so an unmap that leaks an empty table, or frees one still in use, shows.
 *
 * Related: `mapper.ts` (the laws that use these), `mapper-grid.ts` (the grid and the shared
 * checks), `../paging/api.ts` (the interface).
 */
import fc from "fast-check";
import type { LeafFlags, MapFlags, Mapping, PageTableMapper } from "../paging/api.js";
import { PAGE_4K, type PageSize, type VirtAddr } from "../paging/virtual-address.js";
import {
  accessedDirtyArb,
  expectPageFlush,
  flagsArb,
  frameFor,
  type GridPage,
  gridPageArb,
  gridVa,
  protectNeedsFlush,
  sameFlags,
  tablesNeeded,
} from "./mapper-grid.js";

/** Unsigned order of two sign-extended addresses. */
function unsignedKey(va: VirtAddr): number {
  return va < 0 ? va + 2 ** 64 : va;
}

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
