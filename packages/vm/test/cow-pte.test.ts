import { Mapper, PAGE_2M, PhysicalMemory } from "@osbricks/hw-x86";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import {
  type CountedFrames,
  cowCopyRange,
  cowCopyTree,
  cowWriteFault,
  eagerCopyRange,
  eagerCopyTree,
  leafIndex,
  leafTable,
  PTE_COW,
  releaseRange,
} from "../src/cow/pte-cow.js";
import { VmArgumentError } from "../src/errors.js";
import { BuddyAllocator } from "../src/frames/buddy.js";
import { FrameRefCounts } from "../src/frames/refcount.js";

function setup() {
  const memory = new PhysicalMemory({ size: 512 * 4096 });
  const frames = new BuddyAllocator({ frames: 512 });
  frames.reserve(0, 1);
  const refs = new FrameRefCounts(frames);
  const ctx = { memory, frames: refs };
  const parent = new Mapper({ memory, frames });
  const pages: number[] = [];
  for (let i = 0; i < 3; i++) {
    const f = refs.alloc()!;
    memory.fillFrame(f, 0x10 + i);
    parent.map(0x40_0000 + i * 0x1000, f * 4096, 4096, { writable: i !== 2, user: true });
    pages.push(f);
  }
  const child = new Mapper({ memory, frames });
  const childRoot = child.root / 4096;
  return { memory, frames, refs, ctx, parent, pages, child, childRoot };
}

/** The table that entry `va` of the level-`level` table `t` points to. */
const nextTable = (memory: PhysicalMemory, t: number, va: number, level: number) =>
  Math.floor(memory.read32(t * 4096 + 8 * (Math.floor(va / 2 ** (12 + 9 * (level - 1))) % 512)) / 4096);

const lo = (memory: PhysicalMemory, table: number, va: number) =>
  memory.read32(table * 4096 + leafIndex(va) * 8);

describe("page-refcount COW on page tables", () => {
  it("leafIndex takes bits 20:12: 0x1234_5000 → 0x145", () => {
    expect(leafIndex(0x1234_5000)).toBe(0x145);
  });

  it("cowCopyRange: writable leaves become read-only + COW in both trees, counts grow", () => {
    const { memory, refs, ctx, parent, pages, child, childRoot } = setup();
    const n = cowCopyRange(ctx, parent.root / 4096, child, 0x40_0000, 0x40_3000);
    expect(n).toBe(3);
    const pt = leafTable(memory, parent.root / 4096, 0x40_0000);
    const ct = leafTable(memory, childRoot, 0x40_0000);
    for (let i = 0; i < 3; i++) {
      const va = 0x40_0000 + i * 0x1000;
      expect(lo(memory, pt, va)).toBe(lo(memory, ct, va));
      expect((lo(memory, pt, va) & 2) !== 0).toBe(false);
      expect((lo(memory, pt, va) & PTE_COW) !== 0).toBe(i !== 2); // the read-only page stays plain
      expect(refs.count(pages[i]!)).toBe(2);
    }
  });

  it("cowWriteFault copies while shared, then reuses when the count is 1", () => {
    const { memory, refs, ctx, parent, pages, child, childRoot } = setup();
    cowCopyRange(ctx, parent.root / 4096, child, 0x40_0000, 0x40_3000);
    const ct = leafTable(memory, childRoot, 0x40_0000);
    const nf = cowWriteFault(ctx, ct, leafIndex(0x40_0000));
    expect(nf).not.toBe(pages[0]);
    expect(memory.read8(nf * 4096 + 100)).toBe(0x10);
    expect(refs.count(pages[0]!)).toBe(1);
    expect(lo(memory, ct, 0x40_0000) & (2 | PTE_COW)).toBe(2);
    const pt = leafTable(memory, parent.root / 4096, 0x40_0000);
    expect(cowWriteFault(ctx, pt, leafIndex(0x40_0000))).toBe(pages[0]);
    expect(lo(memory, pt, 0x40_0000) & (2 | PTE_COW)).toBe(2);
  });

  it("cowWriteFault and eagerCopyTree point a leaf at a copy above 4 GiB with the high address bits set", () => {
    // 6 GiB of RAM (one buffer per 256 MiB segment, backed only where stored into). The source
    // page is frame 0x10; each copy goes to a frame above 4 GiB, whose number does not fit the low
    // half's 20 address bits: frame 0x14_0123 is physical address 0x1_4012_3000, so the entry's
    // low half holds 0x4012_3xxx and its high half 0x1.
    const memory = new PhysicalMemory({ size: 6 * 2 ** 30 });
    const high = [0x14_0123, 0x13_ffff];
    const counts = new Map<number, number>([[0x10, 2]]);
    const frames: CountedFrames = {
      alloc: () => {
        const f = high.shift();
        if (f === undefined) return null;
        counts.set(f, 1);
        return f;
      },
      share: (f) => counts.set(f, (counts.get(f) ?? 0) + 1).get(f)!,
      release: (f) => counts.set(f, (counts.get(f) ?? 0) - 1).get(f)!,
      count: (f) => counts.get(f) ?? 0,
    };
    const ctx = { memory, frames };
    memory.fillFrame(0x10, 0x5a);
    // A leaf table in frame 1 whose entry 7 shares frame 0x10: P, U/S, A, D, COW, read-only, XD.
    memory.write32(1 * 4096 + 7 * 8, (0x10 << 12) | 0x65 | PTE_COW);
    memory.write32(1 * 4096 + 7 * 8 + 4, 0x8000_0000);
    expect(cowWriteFault(ctx, 1, 7)).toBe(0x14_0123);
    expect(memory.read32(1 * 4096 + 7 * 8)).toBe((0x4012_3000 | 0x67) >>> 0); // R/W set, COW clear
    expect(memory.read32(1 * 4096 + 7 * 8 + 4)).toBe(0x8000_0001); // XD kept, bits 51:32 = 1
    expect(memory.read8(0x1_4012_3000 + 4095)).toBe(0x5a);
    expect(counts.get(0x10)).toBe(1);

    // An eager copy of a one-page tree (root 2 → 3 → 4 → leaf table 5 → frame 0x10): the new
    // tables come from low frames 7, 8, 9, the page's copy from above 4 GiB (0x13_ffff).
    for (const [t, next] of [
      [2, 3],
      [3, 4],
      [4, 5],
    ] as const) {
      memory.write32(t * 4096, (next << 12) | 7);
    }
    memory.write32(5 * 4096, (0x10 << 12) | 0x67);
    memory.zeroFrame(6);
    const low = [7, 8, 9];
    expect(
      eagerCopyTree(ctx, 2, 6, { allocFrame: () => low.shift() ?? null, freeFrame: () => {} }, 0, 0x1000),
    ).toBe(1);
    expect(memory.read32(9 * 4096)).toBe(0x3fff_f067); // frame bits 19:0 = 0x3_ffff
    expect(memory.read32(9 * 4096 + 4)).toBe(1); // frame bits 39:20 = 1
    expect(memory.read8(0x1_3fff_f000 + 17)).toBe(0x5a);
  });

  it("releaseRange drops leaves and counts; frames go back at zero", () => {
    const { frames, refs, ctx, parent, child, childRoot } = setup();
    const before = frames.freeFrames();
    cowCopyRange(ctx, parent.root / 4096, child, 0x40_0000, 0x40_3000);
    const tables = before - frames.freeFrames();
    expect(releaseRange(ctx, childRoot, 0x40_0000, 0x40_3000)).toBe(3);
    expect(refs.heldFrames()).toBe(3);
    expect(frames.freeFrames()).toBe(before - tables);
  });

  it("eagerCopyRange copies every page into fresh frames", () => {
    const { memory, refs, ctx, parent, pages, child, childRoot } = setup();
    expect(eagerCopyRange(ctx, parent.root / 4096, child, 0x40_0000, 0x40_3000)).toBe(3);
    const ct = leafTable(memory, childRoot, 0x40_2000);
    const f = lo(memory, ct, 0x40_2000) >>> 12;
    expect(f).not.toBe(pages[2]);
    expect(memory.read8(f * 4096)).toBe(0x12);
    expect(refs.count(pages[2]!)).toBe(1);
  });

  it("refuses to share onto a present destination leaf, or a huge page", () => {
    const { ctx, parent, child, memory, frames } = setup();
    cowCopyRange(ctx, parent.root / 4096, child, 0x40_0000, 0x40_1000);
    expect(() => cowCopyRange(ctx, parent.root / 4096, child, 0x40_0000, 0x40_1000)).toThrow(VmArgumentError);
    parent.map(0x4000_0000, 0x20_0000, PAGE_2M, { writable: true, user: true });
    const other = new Mapper({ memory, frames });
    expect(() => cowCopyRange(ctx, parent.root / 4096, other, 0x4000_0000, 0x4020_0000)).toThrow(/huge page/);
  });

  it("cowCopyTree (bare tree) shares exactly what cowCopyRange (mapper tree) shares", () => {
    const a = setup();
    const b = setup();
    cowCopyRange(a.ctx, a.parent.root / 4096, a.child, 0x40_0000, 0x40_3000);
    const bare = b.frames.allocFrame()!;
    b.memory.zeroFrame(bare);
    expect(cowCopyTree(b.ctx, b.parent.root / 4096, bare, b.frames, 0x40_0000, 0x40_3000)).toBe(3);
    for (let i = 0; i < 3; i++) {
      const va = 0x40_0000 + i * 0x1000;
      expect(lo(b.memory, leafTable(b.memory, bare, va), va)).toBe(
        lo(a.memory, leafTable(a.memory, a.childRoot, va), va),
      );
      expect(b.refs.count(b.pages[i]!)).toBe(2);
    }
    const other = b.frames.allocFrame()!;
    b.memory.zeroFrame(other);
    expect(eagerCopyTree(b.ctx, b.parent.root / 4096, other, b.frames, 0x40_0000, 0x40_3000)).toBe(3);
    expect(() => cowCopyTree(b.ctx, b.parent.root / 4096, bare, b.frames, 0x40_0000, 0x40_1000)).toThrow(
      VmArgumentError,
    );
  });

  it("cowCopyTree on dirty table frames: a wholly covered leaf table is the source's, everything else starts zeroed", () => {
    for (const [start, end] of [
      [0x40_0000, 0x60_0000], // the parent's whole leaf table (2 MiB): copied over the dirt, not zeroed first
      [0x40_0000, 0x40_3000], // part of it: the new table is zeroed, then the three leaves copied
    ] as const) {
      const b = setup();
      // Every table frame handed out is full of junk, as a recycled frame would be.
      const dirty = {
        allocFrame: () => {
          const f = b.frames.allocFrame();
          if (f !== null) b.memory.fillFrame(f, 0xab);
          return f;
        },
        freeFrame: (f: number) => b.frames.freeFrame(f),
      };
      const root = dirty.allocFrame()!;
      b.memory.zeroFrame(root); // the caller's root starts empty
      expect(cowCopyTree(b.ctx, b.parent.root / 4096, root, dirty, start, end)).toBe(3);
      const src = leafTable(b.memory, b.parent.root / 4096, 0x40_0000);
      const dst = leafTable(b.memory, root, 0x40_0000);
      for (let w = 0; w < 1024; w++) {
        const want = w < 6 ? b.memory.read32(src * 4096 + 4 * w) : 0;
        expect(b.memory.read32(dst * 4096 + 4 * w)).toBe(want);
      }
      // The tables above the leaf hold only the path: one present entry each, zeros elsewhere.
      for (let t = root, level = 4; level > 1; level--) {
        let present = 0;
        for (let e = 0; e < 512; e++) if (b.memory.read32(t * 4096 + 8 * e) !== 0) present++;
        expect(present).toBe(1);
        t = nextTable(b.memory, t, 0x40_0000, level);
      }
    }
  });

  it("cowCopyTree on any leaf table: present leaves shared once each (frames below and above 4 GiB), absent ones copied untouched, in groups of four or not", () => {
    // shareLeaves takes four leaves per iteration when all four are present below 4 GiB and goes
    // one by one otherwise; every mix of the two, and every range length (so every tail), must
    // give what the one-leaf-at-a-time rule gives.
    const entry = fc.record({
      present: fc.integer({ min: 0, max: 9 }).map((x) => x < 8), // mostly present: groups of four occur
      writable: fc.boolean(),
      frame: fc.oneof(
        { arbitrary: fc.integer({ min: 1, max: 0xfffff }), weight: 4 },
        { arbitrary: fc.integer({ min: 0x100000, max: 2 ** 28 - 1 }), weight: 1 }, // above 4 GiB
      ),
      junk: fc.integer({ min: 0, max: 0x1ff }), // low flag bits of an absent entry (e.g. a swap tag)
    });
    fc.assert(
      fc.property(
        fc.array(entry, { minLength: 512, maxLength: 512 }),
        fc.integer({ min: 0, max: 511 }),
        fc.integer({ min: 1, max: 512 }),
        (entries, first, count) => {
          const b = setup();
          const srcRoot = b.parent.root / 4096;
          const src = leafTable(b.memory, srcRoot, 0x40_0000);
          for (let i = 0; i < 512; i++) {
            const e = entries[i]!;
            const lo = e.present ? ((e.frame & 0xfffff) << 12) | 0x65 | (e.writable ? 2 : 0) : e.junk << 1;
            b.memory.write32(src * 4096 + 8 * i, lo >>> 0);
            b.memory.write32(src * 4096 + 8 * i + 4, e.present ? Math.floor(e.frame / 2 ** 20) : 0);
          }
          const before = Array.from({ length: 1024 }, (_, w) => b.memory.read32(src * 4096 + 4 * w));
          const shares = new Map<number, number>();
          const counting = {
            alloc: () => null,
            share: (pfn: number) => {
              shares.set(pfn, (shares.get(pfn) ?? 0) + 1);
              return 2;
            },
            release: () => 1,
            count: () => 2,
          };
          const root = b.frames.allocFrame()!;
          b.memory.zeroFrame(root);
          const last = Math.min(511, first + count - 1);
          const start = 0x40_0000 + first * 4096;
          const end = 0x40_0000 + (last + 1) * 4096;
          const n = cowCopyTree({ memory: b.memory, frames: counting }, srcRoot, root, b.frames, start, end);
          const dst = leafTable(b.memory, root, 0x40_0000);
          const want = new Map<number, number>();
          let present = 0;
          for (let i = 0; i < 512; i++) {
            const e = entries[i]!;
            const inRange = i >= first && i <= last;
            let lo = before[2 * i]!;
            if (inRange && e.present) {
              present++;
              want.set(e.frame, (want.get(e.frame) ?? 0) + 1);
              if (e.writable) lo = ((lo & ~2) | PTE_COW) >>> 0;
            }
            expect(b.memory.read32(src * 4096 + 8 * i)).toBe(lo);
            expect(b.memory.read32(src * 4096 + 8 * i + 4)).toBe(before[2 * i + 1]);
            // the child's table holds the range's words (marked), and nothing else
            expect(b.memory.read32(dst * 4096 + 8 * i)).toBe(inRange ? lo : 0);
            expect(b.memory.read32(dst * 4096 + 8 * i + 4)).toBe(inRange ? before[2 * i + 1] : 0);
          }
          expect(n).toBe(present);
          expect(shares).toEqual(want);
        },
      ),
      { numRuns: 60 },
    );
  });

  it("a COW copy from one 256 MiB segment to the next gives the same bytes with RAM in one buffer (≤ 2 GiB) and in one buffer per segment (3 GiB)", () => {
    for (const size of [600 * 2 ** 20, 3 * 2 ** 30]) {
      const memory = new PhysicalMemory({ size });
      const tables = new BuddyAllocator({ frames: 2 ** 16 }); // tables and the page in segment 0
      tables.reserve(0, 1);
      const counts = new Map<number, number>();
      let next = 70_000; // copies land in segment 1 (frames 65536..131071)
      const counted: CountedFrames = {
        alloc: () => {
          counts.set(next, 1);
          return next++;
        },
        share: (pfn) => {
          counts.set(pfn, (counts.get(pfn) ?? 0) + 1);
          return counts.get(pfn)!;
        },
        release: (pfn) => {
          counts.set(pfn, (counts.get(pfn) ?? 0) - 1);
          return counts.get(pfn)!;
        },
        count: (pfn) => counts.get(pfn) ?? 0,
      };
      const ctx = { memory, frames: counted };
      const parent = new Mapper({ memory, frames: tables });
      const page = tables.allocFrame()!;
      counts.set(page, 1);
      const bytes = memory.frameBytes(page);
      for (let i = 0; i < 4096; i++) bytes[i] = (i * 7 + 3) & 0xff;
      parent.map(0x40_0000, page * 4096, 4096, { writable: true, user: true });
      const child = tables.allocFrame()!;
      memory.zeroFrame(child);
      expect(cowCopyTree(ctx, parent.root / 4096, child, tables, 0x40_0000, 0x40_1000)).toBe(1);
      expect(memory.ramWords() === undefined).toBe(size > 2 ** 31);
      const leaf = leafTable(memory, child, 0x40_0000);
      expect(cowWriteFault(ctx, leaf, leafIndex(0x40_0000))).toBe(70_000);
      expect(Array.from(memory.frameBytes(70_000))).toEqual(Array.from(bytes));
      expect(lo(memory, leaf, 0x40_0000) >>> 12).toBe(70_000);
      expect(counts.get(page)).toBe(1);
    }
  });
});
