/**
 * The laws of a page-table mapper ({@link PageTableMapper}), as fast-check properties runnable
 * against any implementation — ours (`Mapper`) or a student's xv6-style `mappages`/`walk`.
 *
 * The model-based law runs random command sequences against the mapper and a naive model — a `Map`
 * from page base address to (frame, size, flags) — and compares every answer:
 *
 * | command     | model rule                                                                        |
 * | ----------- | --------------------------------------------------------------------------------- |
 * | map         | refused with `already-mapped` (same page), `huge-page-in-the-way` (a larger page  |
 * |             | covers it) or `table-in-the-way` (smaller pages inside it); else recorded         |
 * | unmap       | `not-mapped` / `size-mismatch` / `unmapped` with the recorded mapping, and a     |
 * |             | `page` flush of that page (`global` if it was), and `freedTables` = the tables no |
 * |             | remaining page needs                                                              |
 * | protect     | the frame stays, the flags become the new ones, A/D set or cleared if named, else kept; |
 * |             | a `page` flush of that page unless it only granted permissions                    |
 * | protect of  | `not-mapped` if no page covers its base, `size-mismatch` if a page of another     |
 * | a non-page  | size does; nothing changes                                                        |
 * | translate   | the covering page's frame + offset, flags and A/D, or `null`                      |
 * | mappings()  | exactly the model's pages, in increasing unsigned address order                   |
 *
 * Given the physical memory of the tables too (a {@link MapperUnderTest} from the factory), one more
 * law walks the tree with the MMU and holds every access right to the mapping's flags: an upper
 * entry that restricts R/W, U/S or sets XD agrees with `translate` and shows only there.
 *
 * Virtual addresses are drawn from a small grid (a few indices per level, lower and upper half) so
 * that sequences collide often; `checkInvariants()` runs after every command.
 *
 * Related: `mapper-grid.ts` (the address grid and the shared checks), `mapper-commands.ts` (the
 * model and its commands), `../paging/api.ts` (the interface), `index.ts` (the exported entry
 * points).
 */
import fc from "fast-check";
import type { PageTableMapper } from "../paging/api.js";
import { PAGE_4K, type PageSize } from "../paging/virtual-address.js";
import type { Law, LawOptions } from "./api.js";
import { commandsArb } from "./mapper-commands.js";
import {
  expectPageFlush,
  flagsArb,
  frameFor,
  gridPageArb,
  gridVa,
  sameFlags,
  tablesNeeded,
} from "./mapper-grid.js";
import { hardwareWalkProperty, isMapperUnderTest, type MapperUnderTest } from "./mapper-hardware.js";

// ── the laws ────────────────────────────────────────────────────────────────────────────────────

/**
 * The laws every {@link PageTableMapper} obeys. `factory` must return a fresh, empty mapper with
 * 4-level paging and MAXPHYADDR ≥ 36 each time it is called — bare, or with the physical memory
 * its tables live in ({@link MapperUnderTest}). Given the memory, one more law walks the tree with
 * the MMU (`Mmu`) and holds every access right to the mapping's flags (`mapper-hardware.ts`): the
 * only law that sees an upper-level entry restricting a page its leaf allows. The factory is
 * called once here to see which of the two it returns.
 *
 * @example
 * ```ts
 * for (const law of mapperLaws(() => new Mapper({ memory: new PhysicalMemory(), frames: new StackFrameSource(1, 4096) })))
 *   it(law.name, () => law.check());
 * ```
 */
export function mapperLaws(
  factory: () => PageTableMapper | MapperUnderTest,
  options: LawOptions = {},
): Law[] {
  const withMemory = isMapperUnderTest(factory());
  const factoryOf = (): PageTableMapper => {
    const made = factory();
    return isMapperUnderTest(made) ? made.mapper : made;
  };
  const params = (runs: number) => ({
    numRuns: runs,
    ...(options.seed === undefined ? {} : { seed: options.seed }),
  });
  const numRuns = options.numRuns ?? 100;
  const modelRuns = options.modelRuns ?? 50;
  const laws: Law[] = [
    {
      name: "map then translate gives the frame plus the offset, with the flags mapped",
      check: () =>
        fc.assert(
          fc.property(gridPageArb, fc.nat(), flagsArb, fc.nat(), (page, n, flags, off) => {
            const m = factoryOf();
            const va = gridVa(page);
            const pa = frameFor(n, page.size);
            const r = m.map(va, pa, page.size, flags);
            if (r.kind !== "mapped" || r.flush.kind !== "none") throw new Error(`map: ${r.kind}`);
            const t = m.translate(va + (off % page.size));
            if (t === null || t.paOfByte !== pa + (off % page.size) || t.size !== page.size || t.va !== va) {
              throw new Error(`translate after map: ${JSON.stringify(t)}`);
            }
            sameFlags(t.flags, flags, "translate");
            m.checkInvariants();
          }),
          params(numRuns),
        ),
    },
    {
      name: "unmap makes the page not-present, returns the old mapping and obliges a flush",
      check: () =>
        fc.assert(
          fc.property(gridPageArb, fc.nat(), flagsArb, (page, n, flags) => {
            const m = factoryOf();
            const va = gridVa(page);
            const pa = frameFor(n, page.size);
            m.map(va, pa, page.size, flags);
            const r = m.unmap(va, page.size);
            if (r.kind !== "unmapped" || r.mapping.pa !== pa) throw new Error(`unmap: ${r.kind}`);
            expectPageFlush(r.flush, va, page.size, flags.global ?? false, "unmap");
            const lone = tablesNeeded([[va, page]]).size; // 3, 2 or 1 below the root
            if (r.freedTables !== lone)
              throw new Error(
                `unmap of the only page: freedTables=${r.freedTables}, but all ${lone} tables under the root became empty`,
              );
            if (m.translate(va) !== null) throw new Error("still mapped after unmap");
            if ([...m.mappings()].length !== 0) throw new Error("mappings() not empty after unmap");
            if (m.unmap(va, page.size).kind !== "not-mapped")
              throw new Error("second unmap must be not-mapped");
            m.checkInvariants();
          }),
          params(numRuns),
        ),
    },
    {
      name: "a refused call (misaligned, non-canonical, bad size) throws and changes nothing",
      check: () =>
        fc.assert(
          fc.property(
            gridPageArb,
            fc.nat(),
            flagsArb,
            fc.integer({ min: 1, max: 4095 }),
            (page, n, flags, bad) => {
              const m = factoryOf();
              const va = gridVa(page);
              const pa = frameFor(n, page.size);
              m.map(va, pa, page.size, flags);
              const before = JSON.stringify([...m.mappings()]);
              const attempts: (() => unknown)[] = [
                () => m.map(va + bad, pa, PAGE_4K, flags),
                () => m.map(va, pa + bad, page.size, flags),
                () => m.map(2 ** 47 + Math.abs(va), pa, page.size, flags),
                () => m.map(va, pa, 8192 as PageSize, flags),
                () => m.unmap(va + bad, page.size),
                () => m.protect(va + bad, page.size, flags),
              ];
              for (const attempt of attempts) {
                let threw = false;
                try {
                  attempt();
                } catch {
                  threw = true;
                }
                if (!threw) throw new Error(`a bad call did not throw: ${attempt.toString()}`);
                if (JSON.stringify([...m.mappings()]) !== before)
                  throw new Error("a refused call changed the mappings");
              }
              m.checkInvariants();
            },
          ),
          params(numRuns),
        ),
    },
    {
      name: "model: agrees with a Map from page to (frame, size, flags) on every command",
      check: () =>
        fc.assert(
          fc.property(commandsArb, (cmds) => {
            fc.modelRun(() => ({ model: { pages: new Map() }, real: factoryOf() }), cmds);
          }),
          params(modelRuns),
        ),
    },
  ];
  if (withMemory) {
    laws.push({
      name: "the MMU's walk of the tree grants exactly the rights each mapping asks for (no upper entry restricts them), and unmapped pages fault",
      check: () =>
        fc.assert(
          hardwareWalkProperty(() => factory() as MapperUnderTest),
          params(numRuns),
        ),
    });
  }
  return laws;
}

/**
 * Run every law of {@link mapperLaws}; throws on the first violation.
 * @example
 * ```ts
 * runMapperLaws(() => new Mapper({ memory: new PhysicalMemory(), frames: new StackFrameSource(1, 4096) }));
 * ```
 */
export function runMapperLaws(
  factory: () => PageTableMapper | MapperUnderTest,
  options: LawOptions = {},
): void {
  for (const law of mapperLaws(factory, options)) law.check();
}
