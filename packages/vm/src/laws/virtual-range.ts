/**
 * The laws of a virtual-range allocator (`VirtualRangeAllocator` in `../vrange/api.ts`), as
 * fast-check properties. os2's buddy over virtual pages and Lunaix's hinted first fit pass the
 * same suite, and so must a student's:
 *
 * | law                               | what it rules out                                               |
 * |-----------------------------------|-----------------------------------------------------------------|
 * | aligned, inside, over free pages  | a range handed out twice, outside the region or misaligned      |
 * | free bytes add up                 | pages lost or invented by alloc, claim or free                  |
 * | null only when nothing fits       | a spurious "no space" while an aligned free run exists          |
 * | freeing everything frees it all   | fragments that survive freeing every range                      |
 * | refused free changes nothing      | a double free, or a free straddling a hole, that half-happens   |
 * | claim is all or nothing           | a fixed placement over a used page, or a refused claim that took pages |
 * | bad sizes are refused             | a zero, fractional or unaligned request that corrupts state      |
 *
 * The reference model is one state per page of the region (free or used) and the list of live
 * ranges. The interface lets an implementation take more than a request (a buddy rounds it up
 * to a power of two), so the laws learn what an `alloc` took from `freeBytes()`: an allocation of `bytes` at `va`
 * is taken to cover `[va, va + taken)`, `taken` being the drop in free bytes, and freeing it with
 * the same `bytes` must give all of it back. Nothing else is assumed about placement: the hint is a
 * wish. What was really taken is checked page by page with `claim`, which the interface defines
 * exactly: a free page can be claimed, a used one cannot (the laws give every probe back).
 *
 * The "null" law is the one rule that depends on rounding, so it is stated for the strictest
 * rounding the interface allows: when `alloc(bytes, { align })` returns null, no free run of
 * 2^⌈log2 pages⌉ pages, or of `align` bytes if that is more, aligned to its own size may exist. A
 * buddy needs exactly such a block (an alignment above the size raises the order); a first fit
 * needs less, so it must find one then too.
 */
import type { VirtAddr } from "@osbricks/hw-x86";
import fc from "fast-check";
import { hex } from "../format.js";
import { type VirtualRangeAllocator, VPAGE_SIZE } from "../vrange/api.js";
import { assertEq, type Law, type LawOptions, lawMaker, runLaws } from "./law.js";

const P = VPAGE_SIZE;

/** One step of a sequence: an allocation, a free of a live range, or a fixed placement. */
type Op =
  | { readonly kind: "alloc"; readonly pages: number; readonly hint: number; readonly alignShift: number }
  | { readonly kind: "free"; readonly index: number }
  | { readonly kind: "claim"; readonly page: number; readonly pages: number };

/** Requests of 1–8 pages aligned to 4–32 KiB, as kernel stacks and small mappings are. */
const opArb: fc.Arbitrary<Op> = fc.oneof(
  {
    weight: 4,
    arbitrary: fc.record({
      kind: fc.constant("alloc" as const),
      pages: fc.integer({ min: 1, max: 8 }),
      hint: fc.nat(),
      alignShift: fc.nat({ max: 3 }),
    }),
  },
  { weight: 3, arbitrary: fc.record({ kind: fc.constant("free" as const), index: fc.nat() }) },
  {
    weight: 1,
    arbitrary: fc.record({
      kind: fc.constant("claim" as const),
      page: fc.nat(),
      pages: fc.integer({ min: 1, max: 4 }),
    }),
  },
);

/** A live range as the laws saw it taken: `bytes` asked for, `taken` bytes gone from the pool. */
interface LiveRange {
  readonly va: VirtAddr;
  readonly bytes: number;
  readonly taken: number;
}

/** The reference model: free/used per page of the region, and the live ranges. */
class RangeModel {
  readonly pages: number;
  private readonly used: Uint8Array;
  readonly live: LiveRange[] = [];
  freeBytes: number;

  constructor(
    readonly base: VirtAddr,
    readonly size: number,
  ) {
    this.pages = size / P;
    this.used = new Uint8Array(this.pages);
    this.freeBytes = size;
  }

  /** Whether `[va, va + bytes)` lies in the region and every page of it is free. */
  rangeFree(va: VirtAddr, bytes: number): boolean {
    const p0 = (va - this.base) / P;
    if (!Number.isInteger(p0) || p0 < 0 || p0 + bytes / P > this.pages) return false;
    for (let p = p0; p < p0 + bytes / P; p++) if (this.used[p] === 1) return false;
    return true;
  }

  /** Page `p` of the region is free. */
  pageFree(p: number): boolean {
    return this.used[p] === 0;
  }

  /** Record what `alloc(bytes, align)` returned at `va`, `taken` bytes gone; check it was right. */
  allocated(va: VirtAddr, bytes: number, align: number, taken: number, call: string): void {
    const at = `${call} returned ${hex(va)} and took ${taken} bytes`;
    if (taken < bytes || taken % P !== 0) {
      throw new Error(`${at}: expected at least ${bytes} bytes, in whole pages`);
    }
    if (((va % align) + align) % align !== 0) throw new Error(`${at}: not aligned to ${align}`);
    if (va < this.base || va + taken > this.base + this.size) {
      throw new Error(`${at}: outside the region [${hex(this.base)}, +${hex(this.size)})`);
    }
    if (!this.rangeFree(va, taken)) throw new Error(`${at}: some of those pages were already taken`);
    this.mark(va, taken, 1);
    this.live.push({ va, bytes, taken });
  }

  /** Record a successful `claim(va, bytes)`. */
  claimed(va: VirtAddr, bytes: number): void {
    this.mark(va, bytes, 1);
    this.live.push({ va, bytes, taken: bytes });
  }

  /** Remove and return the live range chosen by `index` (any natural number), marking it free. */
  takeLive(index: number): LiveRange {
    const [r] = this.live.splice(index % this.live.length, 1);
    this.mark(r!.va, r!.taken, 0);
    return r!;
  }

  /**
   * Throw if a free run of the request's power-of-two size (at least `align`), aligned to its own
   * size, exists: `alloc(bytes, { align })` may not return null then (see the file comment).
   */
  expectNoFit(bytes: number, align: number, call: string): void {
    const run = Math.max(2 ** Math.ceil(Math.log2(bytes / P)) * P, align);
    for (let va = Math.ceil(this.base / run) * run; va + run <= this.base + this.size; va += run) {
      if (this.rangeFree(va, run)) {
        throw new Error(`${call} returned null, but the ${run} bytes at ${hex(va)} are free`);
      }
    }
  }

  private mark(va: VirtAddr, bytes: number, state: 0 | 1): void {
    const p0 = (va - this.base) / P;
    this.used.fill(state, p0, p0 + bytes / P);
    this.freeBytes += state === 1 ? -bytes : bytes;
  }
}

/**
 * Compare the allocator with the model page by page: `claim` of one page must succeed exactly where
 * the model has the page free. Every page claimed is given back, so the state is as before.
 */
function samePages(r: VirtualRangeAllocator, m: RangeModel, what: string): void {
  const claimed: VirtAddr[] = [];
  try {
    for (let p = 0; p < m.pages; p++) {
      const va = m.base + p * P;
      const got = r.claim(va, P);
      if (got) claimed.push(va);
      if (got !== m.pageFree(p)) {
        throw new Error(
          `${what}: the page at ${hex(va)} is ${m.pageFree(p) ? "free" : "in use"}, ` +
            `but claim(${hex(va)}, ${P}) returned ${got}`,
        );
      }
    }
  } finally {
    for (const va of claimed) r.free(va, P);
  }
  assertEq(r.freeBytes(), m.freeBytes, `${what}: freeBytes()`);
  r.checkInvariants();
}

/** Replays `ops` on `r` and its model, checking each result; `after` runs after every step. */
function replay(
  r: VirtualRangeAllocator,
  ops: readonly Op[],
  after: (r: VirtualRangeAllocator, m: RangeModel) => void = () => {},
): RangeModel {
  const m = new RangeModel(r.base, r.size);
  for (const op of ops) {
    if (op.kind === "alloc" || (op.kind === "free" && m.live.length === 0)) {
      const a = op.kind === "alloc" ? op : { pages: 1 + (op.index % 8), hint: op.index, alignShift: 0 };
      const bytes = a.pages * P;
      const align = P << a.alignShift;
      const hint = m.base + (a.hint % m.pages) * P;
      const call = `alloc(${bytes}, { hint: ${hex(hint)}, align: ${align} })`;
      const before = r.freeBytes();
      const va = r.alloc(bytes, { hint, align });
      if (va === null) {
        assertEq(r.freeBytes(), before, `freeBytes() after ${call} returned null`);
        m.expectNoFit(bytes, align, call);
      } else {
        m.allocated(va, bytes, align, before - r.freeBytes(), call);
      }
    } else if (op.kind === "free") {
      const x = m.takeLive(op.index);
      r.free(x.va, x.bytes);
    } else {
      const va = m.base + (op.page % m.pages) * P;
      const bytes = Math.min(op.pages, m.pages - (op.page % m.pages)) * P;
      const free = m.rangeFree(va, bytes);
      const got = r.claim(va, bytes);
      if (got !== free) {
        throw new Error(
          `claim(${hex(va)}, ${bytes}) returned ${got}; the range is ${free ? "" : "not "}wholly free`,
        );
      }
      if (got) m.claimed(va, bytes);
    }
    after(r, m);
  }
  return m;
}

/**
 * The laws every virtual-range allocator keeps. `factory` must return a fresh allocator with its
 * whole region free: 16–256 pages, based on a multiple of 32 KiB (the laws ask for alignments up
 * to 32 KiB, and a buddy's base must be aligned to its largest block). An `alloc` must take its
 * pages as one run starting at the address it returns (see the file comment).
 *
 * @example
 * ```ts
 * for (const law of virtualRangeLaws(() => new FirstFitRanges({ base: 0x40_0000, size: 64 * 4096 }))) {
 *   it(law.name, () => law.check());
 * }
 * ```
 */
export function virtualRangeLaws(factory: () => VirtualRangeAllocator, opts: LawOptions = {}): Law[] {
  const ops = fc.array(opArb, { maxLength: opts.maxSteps ?? 60, size: "max" });
  const law = lawMaker(opts);
  /** A call that must throw and leave everything as it was. */
  const refused = (r: VirtualRangeAllocator, m: RangeModel, call: string, run: () => unknown): void => {
    let threw = false;
    try {
      run();
    } catch {
      threw = true;
    }
    if (!threw) throw new Error(`${call} did not throw`);
    samePages(r, m, `after the refused ${call}`);
  };
  return [
    law(
      "alloc returns an aligned range inside the region, over free pages, of at least the bytes asked",
      fc.property(ops, (o) => {
        // RangeModel.allocated checks every successful alloc.
        replay(factory(), o);
      }),
    ),
    law(
      "freeBytes() adds up after every alloc, claim and free, and checkInvariants() holds",
      fc.property(ops, (o) => {
        replay(factory(), o, (r, m) => {
          assertEq(r.freeBytes(), m.freeBytes, "freeBytes()");
          r.checkInvariants();
        });
      }),
    ),
    law(
      "alloc returns null only when no free block of the request's power-of-two size (at least its alignment) exists",
      fc.property(ops, fc.integer({ min: 1, max: 8 }), fc.nat({ max: 3 }), (o, pages, shift) => {
        const r = factory();
        const m = replay(r, o);
        // Allocate one request until the region is full for it; the final null is checked.
        const bytes = pages * P;
        const align = P << shift;
        const call = `alloc(${bytes}, { align: ${align} })`;
        for (let n = 0; ; n++) {
          if (n > m.pages) throw new Error(`${call} succeeded ${n} times in a region of ${m.pages} pages`);
          const before = r.freeBytes();
          const va = r.alloc(bytes, { align });
          if (va === null) break;
          m.allocated(va, bytes, align, before - r.freeBytes(), call);
        }
        m.expectNoFit(bytes, align, call);
        samePages(r, m, `after ${call} returned null`);
      }),
    ),
    law(
      "freeing every range gives back the whole region, whatever the order",
      fc.property(ops, fc.nat(), (o, shuffle) => {
        const r = factory();
        const m = replay(r, o);
        while (m.live.length > 0) {
          const x = m.takeLive(shuffle++ * 7919);
          r.free(x.va, x.bytes);
        }
        assertEq(r.freeBytes(), r.size, "freeBytes() after freeing every range");
        // All of it as one piece again: the whole region can be claimed at once.
        assertEq(r.claim(r.base, r.size), true, "claim of the whole region after freeing every range");
        r.free(r.base, r.size);
        r.checkInvariants();
      }),
    ),
    law(
      "a free of a range that is not wholly allocated throws and changes nothing",
      fc.property(ops, fc.nat(), (o, pick) => {
        const r = factory();
        const m = replay(r, o);
        const calls: Array<[VirtAddr, number]> = [];
        // A free page, freed alone; then a range straddling the end of a live range and a free page.
        for (let i = 0; i < m.pages; i++) {
          const p = (pick + i) % m.pages;
          if (m.pageFree(p)) {
            calls.push([m.base + p * P, P]);
            break;
          }
        }
        for (const x of m.live) {
          const end = x.va + x.taken;
          if (m.rangeFree(end, P)) {
            calls.push([end - P, 2 * P]);
            break;
          }
        }
        // The last freed range again: a double free.
        if (m.live.length > 0) {
          const x = m.takeLive(pick);
          r.free(x.va, x.bytes);
          calls.push([x.va, x.bytes]);
        }
        for (const [va, bytes] of calls) refused(r, m, `free(${hex(va)}, ${bytes})`, () => r.free(va, bytes));
      }),
    ),
    law(
      "claim takes exactly a wholly free range, and refuses one that is not, taking nothing",
      fc.property(ops, fc.nat(), fc.integer({ min: 1, max: 8 }), (o, page, pages) => {
        const r = factory();
        const m = replay(r, o);
        const va = m.base + (page % m.pages) * P;
        const bytes = Math.min(pages, m.pages - (page % m.pages)) * P;
        const free = m.rangeFree(va, bytes);
        assertEq(r.claim(va, bytes), free, `claim(${hex(va)}, ${bytes}) (wholly free: ${free})`);
        if (free) m.claimed(va, bytes);
        samePages(r, m, `after claim(${hex(va)}, ${bytes})`);
      }),
    ),
    law(
      "alloc of a size that is not a positive multiple of 4 KiB, or with a bad alignment, throws and changes nothing",
      fc.property(
        ops,
        fc.constantFrom(0, -P, 100, P + 1, 1.5 * P, Number.NaN),
        fc.constantFrom(3 * P, P / 2, 0, -P, 1.5),
        fc.boolean(),
        (o, badBytes, badAlign, whichBad) => {
          const r = factory();
          const m = replay(r, o);
          const [bytes, align] = whichBad ? [badBytes, P] : [P, badAlign];
          refused(r, m, `alloc(${bytes}, { align: ${align} })`, () => r.alloc(bytes, { align }));
        },
      ),
    ),
    law(
      "model-based: random alloc/claim/free sequences agree with a page-state model, page by page",
      fc.property(ops, (o) => {
        const r = factory();
        let step = 0;
        replay(r, o, (real, m) => samePages(real, m, `after step ${++step}`));
      }),
    ),
  ];
}

/**
 * Run every virtual-range law, throwing on the first violation.
 * @example
 * ```ts
 * runVirtualRangeLaws(() => new VirtualBuddy({ base: 0x8000_0000, pages: 64, maxOrder: 5 }), { numRuns: 50 });
 * ```
 */
export function runVirtualRangeLaws(factory: () => VirtualRangeAllocator, opts: LawOptions = {}): void {
  runLaws(virtualRangeLaws(factory, opts));
}
