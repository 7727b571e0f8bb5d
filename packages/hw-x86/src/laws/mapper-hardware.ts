/**
 * The mapper law that looks past the mapper's own answers: the tree it built is walked by the
 * {@link Mmu}, as the CPU would walk it, and every access right the MMU grants or denies must be
 * the one the mapping asked for.
 *
 * A mapper's `translate` reads back the leaf, so a tree whose upper entries are wrong agrees with
 * itself. The hardware does not read the leaf alone: it combines the rights over every level
 * (Intel SDM 4.6.1), so a table entry above the leaf must restrict nothing —
 *
 * ```
 *   PML4E  P RW US        ← R/W AND, U/S AND, XD OR over all four levels
 *   PDPTE  P RW US           (Linux's _PAGE_TABLE, JOS's PTE_P|PTE_W|PTE_U for the same reason)
 *   PDE    P RW US
 *   PTE    P US XD  ...   ← the mapping's own flags decide
 * ```
 *
 * — or the mapper that wrote an upper entry with the flags of the first page mapped under it (a
 * kernel page, say) makes every later user page of that table fault. Every unmapped page of the
 * grid must fault not-present, which a table freed with its parent entry left behind breaks.
 *
 * Expected rights, with CR0.WP = 1, EFER.NXE = 1, SMEP = SMAP = PKE = 0 (SDM 4.6.1):
 *
 * | access          | CPL 3 (user)             | CPL 0 (supervisor) |
 * | --------------- | ------------------------ | ------------------ |
 * | read            | U/S                      | always             |
 * | write           | U/S and R/W              | R/W                |
 * | instruction fetch | U/S and not XD         | not XD             |
 *
 * Related: `mapper.ts` (where the law joins the others), `../mmu/mmu.ts` (the walker),
 * `../mmu/rights.ts` (the full rights check).
 */
import fc from "fast-check";
import type { PhysicalMemory } from "../memory/physical-memory.js";
import { makeContext } from "../mmu/context.js";
import { Access, type AccessKind } from "../mmu/fault.js";
import { Mmu } from "../mmu/mmu.js";
import type { MapFlags, PageTableMapper } from "../paging/api.js";
import type { PageSize, VirtAddr } from "../paging/virtual-address.js";
import { flagsArb, frameFor, gridPageArb, gridVa } from "./mapper-grid.js";

/** A mapper together with the physical memory its tables live in, so that the MMU can walk them. */
export interface MapperUnderTest {
  /** The mapper (fresh and empty, 4-level paging). */
  readonly mapper: PageTableMapper;
  /** The physical memory that holds its page tables. */
  readonly memory: PhysicalMemory;
}

/** Whether `x` is a {@link MapperUnderTest} rather than a bare mapper. */
export function isMapperUnderTest(x: PageTableMapper | MapperUnderTest): x is MapperUnderTest {
  return "mapper" in x && "memory" in x;
}

/** Whether the MMU must allow `access` at `cpl` to a page mapped with `flags` (table in the banner). */
function allowed(flags: MapFlags, cpl: 0 | 3, access: AccessKind): boolean {
  if (cpl === 3 && flags.user !== true) return false;
  if (access === Access.Write) return flags.writable === true;
  if (access === Access.Execute) return flags.noExecute !== true;
  return true;
}

const ACCESS_NAMES = ["read", "write", "fetch"] as const;

/** Map, then protect or unmap some of the pages: the steps of the hardware-walk law. */
const stepsArb = fc.array(
  fc.record({
    page: gridPageArb,
    frameNo: fc.nat(),
    flags: flagsArb,
    afterwards: fc.constantFrom("keep", "keep", "protect", "unmap"),
    newFlags: flagsArb,
  }),
  { minLength: 1, maxLength: 12 },
);

/**
 * The property: build a tree through `factory`'s mapper, walk every mapped page (and every
 * unmapped page of the same grid points) with the MMU, and compare each access with the table of
 * the banner. Throws an `Error` naming the page, the access and what the MMU said.
 */
export function hardwareWalkProperty(factory: () => MapperUnderTest) {
  return fc.property(stepsArb, fc.nat(4095), (steps, offset) => {
    const { mapper, memory } = factory();
    const mmu = new Mmu({ memory });
    const pages = new Map<VirtAddr, { pa: number; size: PageSize; flags: MapFlags }>();
    for (const s of steps) {
      const va = gridVa(s.page);
      const pa = frameFor(s.frameNo, s.page.size);
      if (mapper.map(va, pa, s.page.size, s.flags).kind !== "mapped") continue;
      pages.set(va, { pa, size: s.page.size, flags: s.flags });
    }
    for (const s of steps) {
      const va = gridVa(s.page);
      const p = pages.get(va);
      if (p === undefined || p.size !== s.page.size) continue;
      if (s.afterwards === "unmap") {
        mapper.unmap(va, p.size);
        pages.delete(va);
      } else if (s.afterwards === "protect") {
        mapper.protect(va, p.size, s.newFlags);
        pages.set(va, { ...p, flags: s.newFlags });
      }
    }
    const ctx = {
      0: makeContext({ root: mapper.root, cpl: 0 }),
      3: makeContext({ root: mapper.root, cpl: 3 }),
    } as const;
    for (const [va, p] of pages) {
      const at = va + (offset % p.size);
      for (const cpl of [0, 3] as const) {
        for (const access of [Access.Read, Access.Write, Access.Execute]) {
          const r = mmu.walk(ctx[cpl], at, access);
          const what = `MMU ${ACCESS_NAMES[access]} at CPL ${cpl} of ${at} (page ${va}, ${p.size} bytes, mapped ${JSON.stringify(p.flags)})`;
          if (allowed(p.flags, cpl, access)) {
            if (r.kind !== "ok") {
              throw new Error(
                `${what}: ${r.kind === "page-fault" ? `#PF (${r.reason})` : r.kind}, but the mapping allows it` +
                  " (an entry above the leaf restricts R/W, U/S or XD: SDM 4.6.1 combines them over every level)",
              );
            }
            if (r.pa !== p.pa + (at - va) || r.pageSize !== p.size)
              throw new Error(`${what}: walked to ${r.pa} in a ${r.pageSize}-byte page`);
          } else if (r.kind !== "page-fault" || r.reason !== "protection") {
            throw new Error(`${what}: ${r.kind === "ok" ? "allowed" : r.kind}, but the mapping denies it`);
          }
        }
      }
    }
    for (const s of steps) {
      const va = gridVa(s.page);
      if ([...pages].some(([v, p]) => va >= v && va < v + p.size)) continue;
      const r = mmu.walk(ctx[0], va, Access.Read);
      if (r.kind !== "page-fault" || r.reason !== "not-present")
        throw new Error(
          `MMU read of unmapped ${va}: ${r.kind === "ok" ? `walked to ${r.pa}` : r.kind}, expected a not-present #PF` +
            " (a stale entry left behind by unmap?)",
        );
    }
  });
}
