/**
 * Planted bugs: page-table mappers with one mistake each that {@link mapperLaws} must reject,
 * each built as our `Mapper` behind a wrapper that changes one answer the way the student's bug
 * would. All of these passed every mapper law before the law named in their test was
 * strengthened (the three older planted bugs are in mapper.test.ts).
 */
import { describe, expect, it } from "vitest";
import {
  type MapFlags,
  Mapper,
  PAGE_4K,
  type PageTableMapper,
  PhysicalMemory,
  StackFrameSource,
  type VirtAddr,
} from "../src/index.js";
import { type MapperUnderTest, mapperLaws } from "../src/laws/index.js";

/**
 * A mapper that delegates to ours (4 MiB of memory holds its 1023 table frames: the laws build a
 * fresh one per run, and a smaller memory shrinks a failure faster), with methods rewritten.
 */
function broken(override: (real: Mapper) => Partial<PageTableMapper>, given?: Mapper): () => PageTableMapper {
  return () => {
    const real =
      given ??
      new Mapper({
        memory: new PhysicalMemory({ size: 4 * 2 ** 20 }),
        frames: new StackFrameSource(1, 1024),
      });
    return {
      root: real.root,
      levels: real.levels,
      map: (...a) => real.map(...a),
      unmap: (...a) => real.unmap(...a),
      protect: (...a) => real.protect(...a),
      translate: (va) => real.translate(va),
      mappings: () => real.mappings(),
      checkInvariants: () => real.checkInvariants(),
      ...override(real),
    };
  };
}

/**
 * Our mapper with its memory, where after every successful map the upper entries on the page's
 * path are rewritten by `rewrite(lo, hi, flags)` (the halves of each entry above the leaf), as a
 * student's mapper that builds them from the flags would write them.
 */
function upperEntriesRewritten(
  rewrite: (lo: number, hi: number, flags: MapFlags) => [number, number],
): () => MapperUnderTest {
  return () => {
    const memory = new PhysicalMemory({ size: 4 * 2 ** 20 });
    const real = new Mapper({ memory, frames: new StackFrameSource(1, 1024) });
    const map: PageTableMapper["map"] = (va, pa, size, flags) => {
      const r = real.map(va, pa, size, flags);
      if (r.kind === "mapped") {
        const path = real.walkPath(va);
        for (const e of path.slice(0, -1)) {
          const [lo, hi] = rewrite(e.lo, e.hi, flags);
          memory.write32(e.entryAddress, lo);
          memory.write32(e.entryAddress + 4, hi);
        }
      }
      return r;
    };
    // A student's checkInvariants does not know the rule either (ours does, and would say so).
    return { mapper: broken(() => ({ map, checkInvariants: () => {} }), real)(), memory };
  };
}

/** What the law whose name starts with `start` reports (fast-check's `cause`), or "the law held". */
function complaint(factory: () => PageTableMapper | MapperUnderTest, start: string): string {
  const law = mapperLaws(factory, { numRuns: 60, modelRuns: 40, seed: 7 }).find((l) =>
    l.name.startsWith(start),
  );
  if (law === undefined) throw new Error(`no law named ${start}…`);
  try {
    law.check();
  } catch (e) {
    const cause = (e as { cause?: unknown }).cause;
    return String(cause instanceof Error ? cause.message : e);
  }
  return "the law held";
}

/** A student's PX(level, va) with an 8-bit mask: PT index 511 lands in slot 255. */
function eightBitPtIndex(va: VirtAddr): VirtAddr {
  const pt = (((Math.floor(va / 4096) % 512) + 512) % 512) | 0;
  return pt >= 256 ? va - 256 * 4096 : va;
}

describe("mapperLaws reject planted mapper bugs", () => {
  it("a protect that obliges no TLB flush (mprotect without invlpg)", () => {
    const factory = broken((real) => ({
      protect: (va, size, flags) => {
        const r = real.protect(va, size, flags);
        return r.kind === "protected" ? { ...r, flush: { kind: "none" } } : r;
      },
    }));
    expect(complaint(factory, "model")).toMatch(/no flush was obliged/);
  });

  it("an unmap whose flush names a 4 KiB page for a large page", () => {
    const factory = broken((real) => ({
      unmap: (va, size) => {
        const r = real.unmap(va, size);
        return r.kind === "unmapped" && r.flush.kind === "page"
          ? { ...r, flush: { ...r.flush, size: PAGE_4K } }
          : r;
      },
    }));
    expect(complaint(factory, "unmap makes")).toMatch(/flush names page .* of 4096, the change was to/);
  });

  it("an unmap or protect whose flush forgets that the old entry was global", () => {
    const unmapping = broken((real) => ({
      unmap: (va, size) => {
        const r = real.unmap(va, size);
        return r.kind === "unmapped" && r.flush.kind === "page"
          ? { ...r, flush: { ...r.flush, global: false } }
          : r;
      },
    }));
    expect(complaint(unmapping, "unmap makes")).toMatch(/old entry was global/);
    const protecting = broken((real) => ({
      protect: (va, size, flags) => {
        const r = real.protect(va, size, flags);
        return r.kind === "protected" && r.flush.kind === "page"
          ? { ...r, flush: { ...r.flush, global: r.after.flags.global } }
          : r;
      },
    }));
    expect(complaint(protecting, "model")).toMatch(/old entry was global/);
  });

  it("an unmap that never frees the tables it empties (xv6's uvmunmap leaves them to freewalk)", () => {
    const factory = broken((real) => ({
      unmap: (va, size) => {
        const r = real.unmap(va, size);
        return r.kind === "unmapped" ? { ...r, freedTables: 0 } : r;
      },
    }));
    expect(complaint(factory, "unmap makes")).toMatch(/freedTables=0, but all 3 tables/);
    expect(complaint(factory, "model")).toMatch(/an empty table leaks its frame/);
  });

  it("a protect that finds the covering leaf but ignores the size asked for", () => {
    const factory = broken((real) => ({
      protect: (va, size, flags) => {
        const t = va % size === 0 ? real.translate(va) : null;
        return t === null ? real.protect(va, size, flags) : real.protect(t.va, t.size, flags);
      },
    }));
    expect(complaint(factory, "model")).toMatch(/expected size-mismatch, got protected/);
  });

  it("a mapper that takes the PT index with 8 bits (slot 511 lands in 255)", () => {
    const factory = broken((real) => ({
      map: (va, pa, size, flags) => real.map(size === PAGE_4K ? eightBitPtIndex(va) : va, pa, size, flags),
      unmap: (va, size) => real.unmap(size === PAGE_4K ? eightBitPtIndex(va) : va, size),
      protect: (va, size, flags) => real.protect(size === PAGE_4K ? eightBitPtIndex(va) : va, size, flags),
      translate: (va) => {
        const t = real.translate(va);
        return t !== null && t.size !== PAGE_4K ? t : real.translate(eightBitPtIndex(va));
      },
    }));
    expect(complaint(factory, "map then translate")).toMatch(/translate after map/);
    expect(complaint(factory, "model")).toMatch(/flush names page|mappings\(\): got|translate\(/);
  });

  // Only the hardware-walk law sees these: translate reads the leaf back, and the leaf is right.
  it("upper entries written with the U/S and R/W of the page being mapped (JOS without PTE_U in the PDE)", () => {
    const factory = upperEntriesRewritten((lo, hi, f) => [
      (lo & ~6) | (f.writable === true ? 2 : 0) | (f.user === true ? 4 : 0),
      hi,
    ]);
    expect(complaint(factory, "map then translate")).toBe("the law held");
    expect(complaint(factory, "the MMU's walk")).toMatch(/#PF \(protection\), but the mapping allows it/);
  });

  it("upper entries that take XD from the page being mapped (a no-execute page makes its neighbours so)", () => {
    const factory = upperEntriesRewritten((lo, hi, f) => [
      lo,
      f.noExecute === true ? (hi | (1 << 31)) >>> 0 : hi,
    ]);
    expect(complaint(factory, "map then translate")).toBe("the law held");
    expect(complaint(factory, "the MMU's walk")).toMatch(/MMU fetch at CPL \d .*#PF \(protection\)/);
  });
});
