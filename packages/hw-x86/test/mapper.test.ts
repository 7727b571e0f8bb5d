import fc from "fast-check";
import { describe, expect, it } from "vitest";
import {
  AlignmentError,
  checkTreeInvariants,
  type FrameSource,
  InvariantError,
  Mapper,
  NonCanonicalAddressError,
  PAGE_1G,
  PAGE_2M,
  PAGE_4K,
  type PageSize,
  PageSizeError,
  type PageTableMapper,
  PhysicalMemory,
  PhysicalRangeError,
  StackFrameSource,
  treeDump,
  treeMappings,
  vaFromBigInt,
} from "../src/index.js";
import { mapperLaws } from "../src/laws/index.js";

function setup(opts: { frames?: number; levels?: 4 | 5 } = {}) {
  const memory = new PhysicalMemory({ size: 16 * 2 ** 20 });
  const frames = new StackFrameSource(1, opts.frames ?? 1024);
  const mapper = new Mapper({
    memory,
    frames,
    ...(opts.levels === undefined ? {} : { levels: opts.levels }),
  });
  return { memory, frames, mapper };
}

/** Everything a refused call must leave unchanged. */
function snapshot(s: ReturnType<typeof setup>) {
  return JSON.stringify({
    maps: [...s.mapper.mappings()],
    tables: s.mapper.tableFrames(),
    used: s.frames.framesInUse,
    dump: s.mapper.dump(),
  });
}

describe("Mapper", () => {
  for (const law of mapperLaws(
    () => {
      const { mapper, memory } = setup();
      return { mapper, memory };
    },
    { numRuns: 60, modelRuns: 40 },
  )) {
    it(`law: ${law.name}`, () => law.check());
  }

  describe("the mapper laws catch broken mappers", () => {
    /** A mapper that delegates to ours, with one method overridden. */
    function broken(override: Partial<PageTableMapper>): () => PageTableMapper {
      return () => {
        const real = setup().mapper;
        return {
          root: real.root,
          levels: real.levels,
          map: (...a) => real.map(...a),
          unmap: (...a) => real.unmap(...a),
          protect: (...a) => real.protect(...a),
          translate: (va) => real.translate(va),
          mappings: () => real.mappings(),
          checkInvariants: () => real.checkInvariants(),
          ...override,
        };
      };
    }
    const lawNamed = (factory: () => PageTableMapper, start: string) =>
      mapperLaws(factory, { numRuns: 60, modelRuns: 40, seed: 7 }).find((l) => l.name.startsWith(start))!;

    it("one that forgets the flush obligation of unmap", () => {
      const factory = (): PageTableMapper => {
        const m = broken({})();
        const unmap = m.unmap.bind(m);
        return {
          ...m,
          unmap: (va, size) => {
            const r = unmap(va, size);
            return r.kind === "unmapped" ? { ...r, flush: { kind: "none" } } : r;
          },
        };
      };
      expect(() => lawNamed(factory, "unmap makes").check()).toThrow(/Property failed/);
    });
    it("one whose translate keeps only a 4 KiB offset inside large pages", () => {
      const factory = (): PageTableMapper => {
        const m = broken({})();
        const translate = m.translate.bind(m);
        return {
          ...m,
          translate: (va) => {
            const t = translate(va);
            return t === null ? null : { ...t, paOfByte: t.pa + (((va % 4096) + 4096) % 4096) };
          },
        };
      };
      expect(() => lawNamed(factory, "map then translate").check()).toThrow(/Property failed/);
    });
    it("one whose protect clears the accessed and dirty bits it should keep", () => {
      const factory = (): PageTableMapper => {
        const m = broken({})();
        const protect = m.protect.bind(m);
        return {
          ...m,
          protect: (va, size, flags) => protect(va, size, { ...flags, accessed: false, dirty: false }),
        };
      };
      expect(() => lawNamed(factory, "model").check()).toThrow(/Property failed/);
    });
  });

  it("maps a 4 KiB page through four fresh tables and translates it without side effects", () => {
    const s = setup();
    const r = s.mapper.map(0x400000, 0x200000, PAGE_4K, { writable: true, user: true });
    expect(r).toEqual({ kind: "mapped", flush: { kind: "none" } });
    expect(s.mapper.tableCount).toBe(4);
    expect(s.frames.framesInUse).toBe(4);
    const t = s.mapper.translate(0x400abc);
    expect(t).toMatchObject({ va: 0x400000, pa: 0x200000, paOfByte: 0x200abc, size: PAGE_4K });
    expect(t?.flags).toMatchObject({ writable: true, user: true, accessed: false, dirty: false });
    expect(s.mapper.walkPath(0x400abc).map((e) => [e.level, e.index])).toEqual([
      [4, 0],
      [3, 0],
      [2, 2],
      [1, 0],
    ]);
    s.mapper.checkInvariants();
  });

  it("dumps the tree like xv6's vmprint", () => {
    const s = setup();
    s.mapper.map(0x400000, 0x200000, PAGE_2M, { writable: true, user: true, noExecute: true });
    expect(s.mapper.dump()).toBe(
      [
        "page table 0x1000 (PML4, 4-level)",
        " ..[0] PML4E → table 0x2000 [P RW US]",
        " .. ..[0] PDPTE → table 0x3000 [P RW US]",
        " .. .. ..[2] PDE → 2MiB page 0x200000 [P RW US PS XD]  va 0x400000",
      ].join("\n"),
    );
  });

  it("maps 2 MiB and 1 GiB pages as PS leaves (SDM Tables 4-16, 4-18)", () => {
    const s = setup();
    expect(s.mapper.map(2 ** 30, 2 ** 31, PAGE_1G, { writable: true }).kind).toBe("mapped");
    expect(s.mapper.map(0x200000, 0x400000, PAGE_2M, {}).kind).toBe("mapped");
    expect(s.mapper.translate(2 ** 30 + 0x12345)?.paOfByte).toBe(2 ** 31 + 0x12345);
    expect(s.mapper.translate(0x3fffff)?.paOfByte).toBe(0x5fffff);
    expect(s.mapper.tableCount).toBe(3); // PML4, PDPT, one PD
  });

  it("maps upper-half (kernel) addresses", () => {
    const s = setup();
    const va = vaFromBigInt(0xffff800000000000n);
    s.mapper.map(va, 0x1000000, PAGE_2M, { global: true, writable: true });
    expect(s.mapper.walkPath(va)[0]!.index).toBe(256);
    expect(s.mapper.translate(va + 5)?.paOfByte).toBe(0x1000005);
    expect([...s.mapper.mappings()].map((m) => m.va)).toEqual([va]);
  });

  it("reports overlaps as results and leaves the tree unchanged", () => {
    const s = setup();
    s.mapper.map(0x200000, 0x400000, PAGE_2M, {});
    s.mapper.map(0x1000, 0x5000, PAGE_4K, {});
    const before = snapshot(s);
    expect(s.mapper.map(0x200000, 0x800000, PAGE_2M, {})).toMatchObject({
      kind: "already-mapped",
      existing: { va: 0x200000, pa: 0x400000, size: PAGE_2M },
    });
    expect(s.mapper.map(0x201000, 0x9000, PAGE_4K, {})).toMatchObject({
      kind: "huge-page-in-the-way",
      existing: { va: 0x200000, size: PAGE_2M },
    });
    expect(s.mapper.map(0, 0x800000, PAGE_2M, {})).toMatchObject({ kind: "table-in-the-way", level: 1 });
    expect(s.mapper.map(0, 0, PAGE_1G, {})).toMatchObject({ kind: "table-in-the-way", level: 2 });
    expect(snapshot(s)).toBe(before);
  });

  it("gives back the tables it created when the frame source runs dry", () => {
    const s = setup({ frames: 3 }); // root + 2 tables: the PT cannot be had
    const before = snapshot(s);
    expect(s.mapper.map(0x400000, 0x1000, PAGE_4K, {})).toEqual({ kind: "out-of-frames" });
    expect(snapshot(s)).toBe(before);
    expect(s.frames.framesInUse).toBe(1);
    s.frames.checkInvariants();
    s.mapper.checkInvariants();
  });

  it("frees tables that become empty on unmap, bottom up, never the root", () => {
    const s = setup();
    s.mapper.map(0x400000, 0x1000, PAGE_4K, {});
    s.mapper.map(0x401000, 0x2000, PAGE_4K, {});
    expect(s.mapper.unmap(0x400000, PAGE_4K)).toMatchObject({ kind: "unmapped", freedTables: 0 });
    const r = s.mapper.unmap(0x401000, PAGE_4K);
    expect(r).toMatchObject({
      kind: "unmapped",
      freedTables: 3,
      flush: { kind: "page", va: 0x401000, size: PAGE_4K, global: false },
    });
    expect(s.mapper.tableCount).toBe(1);
    expect(s.frames.framesInUse).toBe(1);
    s.mapper.checkInvariants();
  });

  it("refuses unmap and protect of the wrong size", () => {
    const s = setup();
    s.mapper.map(0x200000, 0x200000, PAGE_2M, { writable: true });
    const before = snapshot(s);
    expect(s.mapper.unmap(0x200000, PAGE_4K)).toMatchObject({
      kind: "size-mismatch",
      existing: { size: PAGE_2M },
    });
    expect(s.mapper.protect(0x201000, PAGE_4K, {})).toMatchObject({ kind: "size-mismatch" });
    expect(snapshot(s)).toBe(before);
  });

  it("protect changes permissions, keeps the frame and A/D, and marks the flush global when needed", () => {
    const s = setup();
    s.mapper.map(0x5000, 0x9000, PAGE_4K, { writable: true, global: true, available: 5 });
    // The MMU would set A and D; emulate it through protect's explicit A/D.
    s.mapper.protect(0x5000, PAGE_4K, { writable: true, global: true, accessed: true, dirty: true });
    const r = s.mapper.protect(0x5000, PAGE_4K, { writable: false });
    expect(r).toMatchObject({
      kind: "protected",
      before: { flags: { writable: true, global: true, accessed: true } },
      after: {
        pa: 0x9000,
        flags: { writable: false, global: false, accessed: true, dirty: true, available: 0 },
      },
      flush: { kind: "page", va: 0x5000, global: true },
    });
  });

  describe("bad input throws a typed error naming call, value and rule, and changes nothing", () => {
    const cases: [string, (s: ReturnType<typeof setup>) => unknown, RegExp, new (...a: never[]) => Error][] =
      [
        [
          "misaligned va",
          (s) => s.mapper.map(0x1001, 0, PAGE_4K, {}),
          /map\(va=0x1001.*not aligned to 4KiB/,
          AlignmentError,
        ],
        [
          "misaligned 2 MiB va",
          (s) => s.mapper.map(0x1000, 0, PAGE_2M, {}),
          /not aligned to 2MiB/,
          AlignmentError,
        ],
        [
          "misaligned 1 GiB pa",
          (s) => s.mapper.map(0, 0x200000, PAGE_1G, {}),
          /0x200000 is not aligned/,
          AlignmentError,
        ],
        [
          "non-canonical va",
          (s) => s.mapper.map(2 ** 47, 0, PAGE_4K, {}),
          /not canonical/,
          NonCanonicalAddressError,
        ],
        [
          "inexact va",
          (s) => s.mapper.map(2 ** 64, 0, PAGE_4K, {}),
          /not an exact virtual address/,
          NonCanonicalAddressError,
        ],
        [
          "unknown size",
          (s) => s.mapper.map(0, 0, 8192 as PageSize, {}),
          /size=8192 is not a page size/,
          PageSizeError,
        ],
        [
          "pa beyond MAXPHYADDR",
          (s) => s.mapper.map(0, 2 ** 46, PAGE_4K, {}),
          /MAXPHYADDR/,
          PhysicalRangeError,
        ],
        [
          "protection key 16",
          (s) => s.mapper.map(0, 0, PAGE_4K, { protectionKey: 16 }),
          /protectionKey=16/,
          Error,
        ],
        [
          "flags not an object (message names the call)",
          (s) => s.mapper.map(0x1000, 0x2000, PAGE_4K, null as never),
          /^map\(va=0x1000, pa=0x2000, size=4096\): flags must be an object$/,
          Error,
        ],
        [
          "protect of a misaligned va (message names the call)",
          (s) => s.mapper.protect(0x400800, PAGE_4K, {}),
          /^protect\(va=0x400800, size=4096\): va is not aligned to 4KiB$/,
          Error,
        ],
        [
          "protect with available=8",
          (s) => s.mapper.protect(0x400000, PAGE_4K, { available: 8 }),
          /^protect\(va=0x400000, size=4096\): available=8 must be an integer in 0\.\.7$/,
          Error,
        ],
        [
          "unmap of a non-canonical va",
          (s) => s.mapper.unmap(2 ** 47, PAGE_4K),
          /^unmap\(va=0x800000000000, size=4096\).*not canonical/,
          NonCanonicalAddressError,
        ],
        [
          "non-canonical translate",
          (s) => s.mapper.translate(-(2 ** 48)),
          /not canonical/,
          NonCanonicalAddressError,
        ],
      ];
    for (const [name, call, message, type] of cases) {
      it(name, () => {
        const s = setup();
        s.mapper.map(0x400000, 0x1000, PAGE_4K, {});
        const before = snapshot(s);
        expect(() => call(s)).toThrow(type);
        expect(() => call(s)).toThrow(message);
        expect(snapshot(s)).toBe(before);
      });
    }

    it("a frame source that hands out a frame an MMIO region hides (the PCI hole over RAM)", () => {
      // On hardware the table's stores would reach the device and walks would read the device; a
      // page table there is never what the kernel meant. The boot map lists the range as mmio.
      const memory = new PhysicalMemory({ size: 16 << 20 });
      memory.addMmio(0x800000, 0x100000, { read: () => 0xffffffff, write: () => {} }, "hole");
      const good = new StackFrameSource(1, 4);
      let calls = 0;
      const frames: FrameSource = {
        allocFrame: () => (++calls === 1 ? good.allocFrame() : 0x800),
        freeFrame: (pfn) => (pfn === 0x800 ? undefined : good.freeFrame(pfn)),
      };
      const mapper = new Mapper({ memory, frames });
      expect(() => mapper.map(0, 0, PAGE_4K, {})).toThrow(/MMIO/);
      expect(mapper.tableCount).toBe(1);
      mapper.checkInvariants();
      expect(() => new Mapper({ memory, frames: good, root: 0x800000 })).toThrow(/MMIO/);
    });

    it("a frame source that hands out a frame outside RAM", () => {
      const memory = new PhysicalMemory({ size: 1 << 20 });
      const good = new StackFrameSource(1, 4);
      let calls = 0;
      const frames: FrameSource = {
        allocFrame: () => (++calls === 1 ? good.allocFrame() : 0x10000),
        freeFrame: (pfn) => (pfn === 0x10000 ? undefined : good.freeFrame(pfn)),
      };
      const mapper = new Mapper({ memory, frames });
      expect(() => mapper.map(0, 0, PAGE_4K, {})).toThrow(/not a RAM frame/);
      expect(mapper.tableCount).toBe(1);
      mapper.checkInvariants();
    });
  });

  describe("5-level paging (CR4.LA57)", () => {
    it("walks five levels and accepts 57-bit canonical addresses", () => {
      const s = setup({ levels: 5 });
      const va = 2 ** 52; // PML5 index 16: not canonical with 48 bits
      expect(s.mapper.map(va, 0x3000, PAGE_4K, {}).kind).toBe("mapped");
      expect(s.mapper.walkPath(va).map((e) => [e.level, e.index])).toEqual([
        [5, 16],
        [4, 0],
        [3, 0],
        [2, 0],
        [1, 0],
      ]);
      expect(s.mapper.tableCount).toBe(5);
      expect(() => setup().mapper.map(va, 0x3000, PAGE_4K, {})).toThrow(NonCanonicalAddressError);
    });
  });

  describe("checkInvariants finds a corrupted tree (InvariantError naming the entry)", () => {
    const corrupt = (damage: (s: ReturnType<typeof setup>) => void, message: RegExp) => {
      const s = setup();
      s.mapper.map(0x400000, 0x1000, PAGE_4K, {});
      s.mapper.map(0x40000000, 0x2000, PAGE_4K, {});
      s.mapper.checkInvariants();
      damage(s);
      expect(() => s.mapper.checkInvariants()).toThrow(InvariantError);
      expect(() => s.mapper.checkInvariants()).toThrow(message);
    };
    it("a table linked twice", () =>
      corrupt((s) => {
        const [pml4e, pdpte] = s.mapper.walkPath(0x400000);
        const other = s.mapper.walkPath(0x40000000)[1]!; // PDPTE 1 → its own PD
        s.memory.write64(other.entryAddress, s.memory.read64(pdpte!.entryAddress));
        expect(pml4e!.index).toBe(0);
      }, /a second time/));
    it("PS set in a PML4E", () =>
      corrupt((s) => {
        const pml4e = s.mapper.walkPath(0x400000)[0]!;
        s.memory.write64(pml4e.entryAddress, s.memory.read64(pml4e.entryAddress) | 0x80n);
      }, /reserved bits/));
    it("an empty table left linked", () =>
      corrupt((s) => {
        const pte = s.mapper.walkPath(0x400000)[3]!;
        s.memory.write64(pte.entryAddress, 0n);
      }, /empty but still linked/));
    it("an intermediate entry that is not P|RW|US", () =>
      corrupt((s) => {
        const pde = s.mapper.walkPath(0x400000)[2]!;
        s.memory.write64(pde.entryAddress, s.memory.read64(pde.entryAddress) & ~2n);
      }, /intermediate entries/));
  });

  it("the tree functions read any root, like a debugger reading CR3", () => {
    const s = setup();
    s.mapper.map(0x400000, 0x1000, PAGE_4K, { writable: true });
    const tree = { memory: s.memory, root: s.mapper.root, levels: 4 as const };
    expect(treeDump(tree)).toBe(s.mapper.dump());
    expect([...treeMappings(tree)]).toEqual([...s.mapper.mappings()]);
    expect(checkTreeInvariants(tree, 46)).toBe(4);
  });

  it("destroy gives every table back", () => {
    const s = setup();
    s.mapper.map(0x400000, 0x1000, PAGE_4K, {});
    s.mapper.map(-(2 ** 30), 0, PAGE_1G, {});
    s.mapper.destroy();
    expect(s.frames.framesInUse).toBe(0);
    expect(() => s.mapper.map(0, 0, PAGE_4K, {})).toThrow(/destroyed/);
  });

  it("property: the table count follows the set of mapped prefixes (no leak, no early free)", () => {
    const pageArb = fc.record({
      idx: fc.integer({ min: 0, max: 40 }),
      size: fc.constantFrom<PageSize>(PAGE_4K, PAGE_2M, PAGE_1G),
    });
    fc.assert(
      fc.property(fc.array(fc.tuple(fc.boolean(), pageArb), { maxLength: 40, size: "max" }), (ops) => {
        const s = setup();
        const live = new Map<number, PageSize>();
        for (const [doMap, p] of ops) {
          const va = (p.idx % 3) * 2 ** 39 + (p.idx % 5) * p.size * 3;
          if (doMap) {
            if (s.mapper.map(va, 0, p.size, {}).kind === "mapped") live.set(va, p.size);
          } else if (s.mapper.unmap(va, p.size).kind === "unmapped") {
            live.delete(va);
          }
          const prefixes = new Set<string>(["root"]);
          for (const [v, size] of live) {
            prefixes.add(`pdpt${Math.floor(v / 2 ** 39)}`);
            if (size <= PAGE_2M) prefixes.add(`pd${Math.floor(v / 2 ** 30)}`);
            if (size === PAGE_4K) prefixes.add(`pt${Math.floor(v / 2 ** 21)}`);
          }
          expect(s.mapper.tableCount).toBe(prefixes.size);
          expect(s.frames.framesInUse).toBe(prefixes.size);
        }
        s.mapper.checkInvariants();
        s.frames.checkInvariants();
      }),
      { numRuns: 60 },
    );
  });
});
