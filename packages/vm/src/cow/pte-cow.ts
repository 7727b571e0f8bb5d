/**
 * Page-refcount copy-on-write on the page tables themselves: the xv6 COW lab's `uvmcopy` and
 * write-fault handler, on x86-64 4-level tables in simulated physical memory.
 *
 * Fork copies the page-table tree of a range, not the pages. Every leaf that was writable loses
 * R/W (bit 1) and gains the software COW mark (bit 9, one of the bits the MMU ignores, Intel SDM
 * 4.5 Table 4-20 "Ignored"), in both the parent and the child, and its frame's share count grows
 * by one:
 *
 * ```
 *   parent PT[5] = 0x0000_0000_0012_3067  (P RW US A D, frame 0x123)   count(0x123) = 1
 *   fork ──▶ parent PT[5] = 0x…0012_3265  (P US A D COW)                count(0x123) = 2
 *            child  PT[5] = 0x…0012_3265
 *   child writes ──▶ #PF(P=1, W=1); COW set ⇒ count 2 > 1 ⇒ copy to frame 0x456,
 *            child PT[5] = 0x…0045_6067 (P RW US A D), count(0x123) = 1
 *   parent writes ──▶ #PF; count 1 ⇒ nobody else shares it: set RW, clear COW, no copy
 * ```
 *
 * Entries are read and written as two int32 halves straight in hw-x86's memory segments (no
 * BigInt, no allocation per entry): this is the hot path the cowfork benchmark times. The
 * functions only touch 4 KiB leaves; a huge page in a copied range is refused.
 *
 * Related: `../frames/refcount.ts` (the counts), `refcount.ts` (the strategy an address space uses),
 * `../../bench/baseline-cowfork.ts`.
 */
import {
  type FrameSource,
  frameWordOffset,
  PTE_HI_ADDR as HW_HI_ADDR,
  PTE_LO_ADDR as HW_LO_ADDR,
  PTE_P as HW_P,
  PTE_PS as HW_PS,
  PTE_RW as HW_RW,
  PTE_US as HW_US,
  type PageTableMapper,
  type PhysicalMemory,
} from "@osbricks/hw-x86";
import { VmArgumentError } from "../errors.js";

/** Software-available bit 9 of a leaf: "read-only because shared, writable after a copy". */
export const PTE_COW = 1 << 9;

// Module-local copies of the entry bits, used by every loop below. An imported or exported
// binding is a live cell: V8 reloads it and checks it for the temporal dead zone at each use,
// inside the per-leaf loop too. A module-local `const` is folded into the optimised code as an
// immediate (`lo & 1`, `lo | 0x200`). Measured on the cowfork baseline: −25 % time per fork.
const PTE_P = HW_P;
const PTE_RW = HW_RW;
const PTE_US = HW_US;
const PTE_PS = HW_PS;
const PTE_LO_ADDR = HW_LO_ADDR;
const PTE_HI_ADDR = HW_HI_ADDR;
const COW = PTE_COW;

/** Bytes covered by one entry at levels 1..4: 4 KiB, 2 MiB, 1 GiB, 512 GiB. */
const SPAN = [0, 2 ** 12, 2 ** 21, 2 ** 30, 2 ** 39] as const;

/** Frame number held in an entry's address field. */
function entryPfn(lo: number, hi: number): number {
  return (hi & PTE_HI_ADDR) * 1048576 + ((lo & PTE_LO_ADDR) >>> 12);
}

/**
 * Frames with a share count, as page-refcount COW needs them. `FrameRefCounts` (src/frames) is
 * the implementation; the interface only names what this file calls, so a benchmark or a student
 * can pass their own. `share`/`release` must be cheap and allocation-free: a fork calls `share`
 * once per shared page.
 */
export interface CountedFrames {
  /** Take a frame with count 1, or `null` when none is free (out of memory is a result). */
  alloc(): number | null;
  /** Add one sharer to a held frame; returns the new count. */
  share(pfn: number): number;
  /** Drop one sharer (the frame is freed at 0); returns the count left. */
  release(pfn: number): number;
  /** Current count (0 for a frame nobody holds). */
  count(pfn: number): number;
}

/** Where the COW functions find memory and counted data frames. */
export interface PteCowContext {
  /** The physical memory that holds the tables and the pages. */
  readonly memory: PhysicalMemory;
  /** Data frames with share counts. */
  readonly frames: CountedFrames;
}

/**
 * Share the 4 KiB leaves of `[start, end)` from the tree at `srcRoot` into the tree `dst` edits
 * (a fork, xv6's `uvmcopy` with COW): writable leaves become read-only + COW in both trees, every
 * shared frame's count grows by one.
 *
 * The destination's tables are created by `dst.map` (one call per page table: it maps the first
 * leaf of each source table, which builds the path the way the mapper keeps its books), then the
 * table's leaves are copied in bulk, as the C baseline's `memcpy` of a table. The caller
 * invalidates the source's TLB entries (every writable leaf of the range lost R/W).
 *
 * @returns the number of leaves shared, or -1 when `dst` found no frame for a table (the leaves
 *   shared so far stay consistent: counts match the leaves in both trees).
 * @throws {@link VmArgumentError} when the range meets a huge page or a present destination leaf.
 */
export function cowCopyRange(
  ctx: PteCowContext,
  srcRoot: number,
  dst: PageTableMapper,
  start: number,
  end: number,
): number {
  return copyLevel(ctx, srcRoot, dst, 4, 0, start, end, false);
}

/**
 * Copy the 4 KiB leaves of `[start, end)` eagerly into the tree `dst` edits: every page gets a
 * fresh frame with a copy of its bytes (what fork did before copy-on-write). Leaves keep their
 * flags.
 *
 * @returns the number of pages copied, or -1 when out of frames (what was copied stays mapped).
 * @throws {@link VmArgumentError} as {@link cowCopyRange}.
 */
export function eagerCopyRange(
  ctx: PteCowContext,
  srcRoot: number,
  dst: PageTableMapper,
  start: number,
  end: number,
): number {
  return copyLevel(ctx, srcRoot, dst, 4, 0, start, end, true);
}

function copyLevel(
  ctx: PteCowContext,
  srcTable: number,
  dst: PageTableMapper,
  level: number,
  base: number,
  start: number,
  end: number,
  eager: boolean,
): number {
  const mem = ctx.memory;
  const src = mem.segment(srcTable);
  const so = frameWordOffset(srcTable);
  const span = SPAN[level as 1 | 2 | 3 | 4];
  const i0 = start <= base ? 0 : Math.floor((start - base) / span);
  const i1 = Math.min(511, Math.floor((end - 1 - base) / span));
  let n = 0;
  if (level > 1) {
    for (let i = i0; i <= i1; i++) {
      const lo = src[so + 2 * i]!;
      if ((lo & PTE_P) === 0) continue;
      if (level < 4 && (lo & PTE_PS) !== 0) {
        throw new VmArgumentError(
          `cowCopyRange: huge page at level ${level}, index ${i}: only 4 KiB leaves are shared`,
        );
      }
      const k = copyLevel(
        ctx,
        entryPfn(lo, src[so + 2 * i + 1]!),
        dst,
        level - 1,
        base + i * span,
        start,
        end,
        eager,
      );
      if (k < 0) return -1;
      n += k;
    }
    return n;
  }
  // The first present leaf: map it through the destination mapper, which builds the path.
  let first = i0;
  while (first <= i1 && (src[so + 2 * first]! & PTE_P) === 0) first++;
  if (first > i1) return 0;
  const fva = base + first * 4096;
  const flo = src[so + 2 * first]!;
  const fhi = src[so + 2 * first + 1]!;
  // Map the source frame first (also for an eager copy, so the tables are taken before the data
  // frame, in the order the C baseline allocates them); an eager copy replaces it just below.
  const r = dst.map(fva, entryPfn(flo, fhi) * 4096, 4096, { user: true });
  if (r.kind === "out-of-frames") return -1;
  if (r.kind !== "mapped") {
    throw new VmArgumentError(`cowCopyRange: destination at 0x${fva.toString(16)}: ${r.kind}`);
  }
  const dstTable = leafTable(mem, dst.root / 4096, fva);
  const d = mem.segment(dstTable);
  const dof = frameWordOffset(dstTable);
  for (let i = first + 1; i <= i1; i++) {
    if ((src[so + 2 * i]! & PTE_P) !== 0 && (d[dof + 2 * i]! & PTE_P) !== 0) {
      dst.unmap(fva, 4096);
      throw new VmArgumentError(
        `cowCopyRange: destination leaf ${i} of table ${dstTable} is already present`,
      );
    }
  }
  if (eager) {
    d[dof + 2 * first] = 0; // the placeholder goes; copyLeavesEager fills the slot with a copy
    d[dof + 2 * first + 1] = 0;
    return copyLeavesEager(ctx, src, so, d, dof, first, i1);
  }
  // Write-protect and count the source's present leaves in place, then copy the words in bulk
  // (the other destination slots are not present; the bulk copy replaces the first one too).
  const shared = shareLeaves(ctx.frames, src, so + 2 * first, so + 2 * i1 + 2);
  copyTableWords(mem, srcTable, src, dstTable, d, 2 * first, 2 * i1 + 2);
  return shared;
}

/**
 * {@link cowCopyRange} for a bare tree that no mapper keeps books on (an xv6-style kernel, or the
 * cowfork benchmark): missing destination tables are taken from `tables`, zeroed and linked
 * `P | R/W | U/S` here, as the C baseline's `copy_cow` does, which saves the mapper's per-table
 * checks. Do not use it on a tree a `Mapper` owns: the mapper would not know the new tables.
 *
 * @returns the number of leaves shared, or -1 when `tables` had no frame (consistent as above).
 * @throws {@link VmArgumentError} as {@link cowCopyRange}.
 */
export function cowCopyTree(
  ctx: PteCowContext,
  srcRoot: number,
  dstRoot: number,
  tables: FrameSource,
  start: number,
  end: number,
): number {
  return copyTreeLevel(ctx, tables, srcRoot, dstRoot, 4, 0, start, end, false, false);
}

/**
 * {@link eagerCopyRange} for a bare tree (see {@link cowCopyTree}).
 * @returns the number of pages copied, or -1 when out of frames.
 */
export function eagerCopyTree(
  ctx: PteCowContext,
  srcRoot: number,
  dstRoot: number,
  tables: FrameSource,
  start: number,
  end: number,
): number {
  return copyTreeLevel(ctx, tables, srcRoot, dstRoot, 4, 0, start, end, true, false);
}

function copyTreeLevel(
  ctx: PteCowContext,
  tables: FrameSource,
  srcTable: number,
  dstTable: number,
  level: number,
  base: number,
  start: number,
  end: number,
  eager: boolean,
  fresh: boolean,
): number {
  const mem = ctx.memory;
  const src = mem.segment(srcTable);
  const so = frameWordOffset(srcTable);
  const dst = mem.segment(dstTable);
  const dof = frameWordOffset(dstTable);
  const span = SPAN[level as 1 | 2 | 3 | 4];
  const i0 = start <= base ? 0 : Math.floor((start - base) / span);
  const i1 = Math.min(511, Math.floor((end - 1 - base) / span));
  let n = 0;
  if (level > 1) {
    for (let i = i0; i <= i1; i++) {
      const lo = src[so + 2 * i]!;
      if ((lo & PTE_P) === 0) continue;
      if (level < 4 && (lo & PTE_PS) !== 0) {
        throw new VmArgumentError(
          `cowCopyTree: huge page at level ${level}, index ${i}: only 4 KiB leaves are shared`,
        );
      }
      const dlo = dst[dof + 2 * i]!;
      let child: number;
      const made = (dlo & PTE_P) === 0;
      if (made) {
        const t = tables.allocFrame();
        if (t === null) return -1;
        // A new table must start with every entry not present (Intel SDM 4.5), except a leaf
        // table that the range covers wholly on a COW copy: the bulk copy below overwrites all
        // 512 entries with the source's, present or not (the C baseline copies such a table
        // without zeroing it first). An eager copy writes only the present leaves: zero it.
        const from = base + i * span;
        if (eager || level !== 2 || start > from || end < from + span) mem.zeroFrame(t);
        dst[dof + 2 * i] = ((t & 0xfffff) << 12) | PTE_P | PTE_RW | PTE_US;
        dst[dof + 2 * i + 1] = Math.floor(t / 1048576) & PTE_HI_ADDR;
        child = t;
      } else {
        child = entryPfn(dlo, dst[dof + 2 * i + 1]!);
      }
      const k = copyTreeLevel(
        ctx,
        tables,
        entryPfn(lo, src[so + 2 * i + 1]!),
        child,
        level - 1,
        base + i * span,
        start,
        end,
        eager,
        made,
      );
      if (k < 0) return -1;
      n += k;
    }
    return n;
  }
  if (!fresh) {
    for (let i = i0; i <= i1; i++) {
      if ((src[so + 2 * i]! & PTE_P) !== 0 && (dst[dof + 2 * i]! & PTE_P) !== 0) {
        throw new VmArgumentError(
          `cowCopyTree: destination leaf ${i} of table ${dstTable} is already present`,
        );
      }
    }
  }
  if (eager) return copyLeavesEager(ctx, src, so, dst, dof, i0, i1);
  const shared = shareLeaves(ctx.frames, src, so + 2 * i0, so + 2 * i1 + 2);
  copyTableWords(mem, srcTable, src, dstTable, dst, 2 * i0, 2 * i1 + 2);
  return shared;
}

/**
 * Mark the present leaves in words `j0..j1-1` of the source table `src` COW (writable ones lose
 * R/W); one more sharer each. The caller then copies the words into the child's table in bulk, so
 * both trees end up with the same entries.
 *
 * Why this order (mark, then copy) and not the C baseline's (copy, then mark both): the per-leaf
 * loop then touches one table array and the counts, not two tables. V8 re-checks each typed
 * array's map and reloads its data pointer on every iteration of such a loop (it does not hoist
 * them), so one array fewer in the loop is about a quarter less time per leaf; the bulk copy
 * afterwards is a memcpy.
 *
 * For the same reason the loop takes four leaves (eight words) per iteration: when all four are
 * present and map frames below 4 GiB (high halves' address bits zero), the usual case, their
 * frame numbers are the low halves' bits 31:12 and the four are handled with one test and the
 * per-iteration reloads paid once; any other group of four, and the last `< 4` leaves, go one by
 * one through {@link shareLeavesOneByOne}. Same result either way. Measured on the cowfork
 * baseline (in one process, alternating forks): fork part 200 -> 170 µs.
 */
function shareLeaves(frames: CountedFrames, src: Int32Array, j0: number, j1: number): number {
  let n = 0;
  let j = j0;
  for (; j + 8 <= j1; j += 8) {
    // `(j + k) | 0`: the same index (j + 7 < j1 ≤ 2^31), written so that V8 emits a plain add where
    // `j + k` gets an overflow check: fork part 3-4 % faster (cowfork, in one process, 4 runs).
    const l0 = src[j]!;
    const h0 = src[(j + 1) | 0]!;
    const l1 = src[(j + 2) | 0]!;
    const h1 = src[(j + 3) | 0]!;
    const l2 = src[(j + 4) | 0]!;
    const h2 = src[(j + 5) | 0]!;
    const l3 = src[(j + 6) | 0]!;
    const h3 = src[(j + 7) | 0]!;
    if (((h0 | h1 | h2 | h3) & PTE_HI_ADDR) !== 0 || (l0 & l1 & l2 & l3 & PTE_P) === 0) {
      n += shareLeavesOneByOne(frames, src, j, j + 8);
      continue;
    }
    if ((l0 & PTE_RW) !== 0) src[j] = (l0 & ~PTE_RW) | COW;
    if ((l1 & PTE_RW) !== 0) src[(j + 2) | 0] = (l1 & ~PTE_RW) | COW;
    if ((l2 & PTE_RW) !== 0) src[(j + 4) | 0] = (l2 & ~PTE_RW) | COW;
    if ((l3 & PTE_RW) !== 0) src[(j + 6) | 0] = (l3 & ~PTE_RW) | COW;
    frames.share(l0 >>> 12);
    frames.share(l1 >>> 12);
    frames.share(l2 >>> 12);
    frames.share(l3 >>> 12);
    n += 4;
  }
  return n + shareLeavesOneByOne(frames, src, j, j1);
}

/** {@link shareLeaves} one leaf at a time: any mix of present, absent and high frames. */
function shareLeavesOneByOne(frames: CountedFrames, src: Int32Array, j0: number, j1: number): number {
  let n = 0;
  for (let j = j0; j < j1; j += 2) {
    let lo = src[j]!;
    if ((lo & PTE_P) === 0) continue;
    if ((lo & PTE_RW) !== 0) {
      lo = (lo & ~PTE_RW) | COW;
      src[j] = lo;
    }
    const hi = src[j + 1]!;
    frames.share((hi & PTE_HI_ADDR) === 0 ? lo >>> 12 : entryPfn(lo, hi));
    n++;
  }
  return n;
}

function copyLeavesEager(
  ctx: PteCowContext,
  src: Int32Array,
  so: number,
  dst: Int32Array,
  dof: number,
  i0: number,
  i1: number,
): number {
  let n = 0;
  for (let i = i0; i <= i1; i++) {
    const lo = src[so + 2 * i]!;
    if ((lo & PTE_P) === 0) continue;
    const hi = src[so + 2 * i + 1]!;
    const nf = ctx.frames.alloc();
    if (nf === null) return -1;
    ctx.memory.copyFrame(nf, entryPfn(lo, hi));
    dst[dof + 2 * i] = (lo & ~PTE_LO_ADDR) | ((nf & 0xfffff) << 12);
    dst[dof + 2 * i + 1] = (hi & ~PTE_HI_ADDR) | (Math.floor(nf / 1048576) & PTE_HI_ADDR);
    n++;
  }
  return n;
}

/**
 * Resolve a write to a shared leaf: entry `index` of the page table in frame `table`. If nobody
 * else holds the frame (count 1) the leaf just becomes writable again; otherwise the page is
 * copied to a fresh frame, the leaf points there, writable, and the old frame loses a sharer.
 * COW is cleared either way. The caller invalidates the TLB entry for the page.
 *
 * @returns the frame the leaf maps now (the same one when reused), or -1 when out of memory (the
 *   leaf is unchanged).
 */
export function cowWriteFault(ctx: PteCowContext, table: number, index: number): number {
  const words = ctx.memory.segment(table);
  const w = frameWordOffset(table) + 2 * index;
  const lo = words[w]!;
  const hi = words[w + 1]!;
  const f = entryPfn(lo, hi);
  const frames = ctx.frames;
  if (frames.count(f) === 1) {
    words[w] = (lo | PTE_RW) & ~COW;
    return f;
  }
  const nf = frames.alloc();
  if (nf === null) return -1;
  ctx.memory.copyFrame(nf, f);
  frames.release(f);
  words[w] = ((lo & ~PTE_LO_ADDR) | ((nf & 0xfffff) << 12) | PTE_RW) & ~COW;
  words[w + 1] = (hi & ~PTE_HI_ADDR) | (Math.floor(nf / 1048576) & PTE_HI_ADDR);
  return nf;
}

/** `to[at..] = from[start..end)`: a `copyWithin` when both are the same array, else a `set`. */
function copyWords(from: Int32Array, start: number, end: number, to: Int32Array, at: number): void {
  if (from === to) to.copyWithin(at, start, end);
  else to.set(from.subarray(start, end), at);
}

/**
 * Words `w0..w1-1` of the table in frame `srcTable` (its segment `src`) onto the same words of the
 * table in frame `dstTable` (segment `dst`, already fetched with `segment`, so marked as stored
 * into). While hw-x86 keeps RAM in one buffer (`ramWords()`, RAM up to 2 GiB) that is one
 * `copyWithin` of the whole-RAM view; otherwise {@link copyWords}, which needs a view of the source
 * when the two tables lie in different segments (a young-generation allocation per copy).
 */
function copyTableWords(
  mem: PhysicalMemory,
  srcTable: number,
  src: Int32Array,
  dstTable: number,
  dst: Int32Array,
  w0: number,
  w1: number,
): void {
  const ram = mem.ramWords();
  if (ram !== undefined) {
    ram.copyWithin(dstTable * 1024 + w0, srcTable * 1024 + w0, srcTable * 1024 + w1);
    return;
  }
  const so = frameWordOffset(srcTable);
  copyWords(src, so + w0, so + w1, dst, frameWordOffset(dstTable) + w0);
}

/**
 * The frame of the page table that holds the leaf for `va` in the tree at `root`, or -1 when an
 * intermediate entry on the way is not present. A software walk (xv6's `walk` with alloc = 0):
 * it sets no accessed bits.
 */
export function leafTable(memory: PhysicalMemory, root: number, va: number): number {
  let t = root;
  for (let level = 4; level > 1; level--) {
    const words = memory.peekSegment(t);
    if (words === undefined) return -1;
    const w = frameWordOffset(t) + 2 * (Math.floor(va / SPAN[level as 2 | 3 | 4]) % 512);
    const lo = words[w]!;
    if ((lo & PTE_P) === 0 || (lo & PTE_PS) !== 0) return -1;
    t = entryPfn(lo, words[w + 1]!);
  }
  return t;
}

/** Index of `va`'s entry in its page table (bits 20:12 of the address). `leafIndex(0x1234_5000) = 0x145`. */
export function leafIndex(va: number): number {
  return Math.floor(va / 4096) % 512;
}

/**
 * Drop every 4 KiB leaf of `[start, end)` in the tree at `root`: each frame loses one sharer
 * (freed at 0) and the leaf is cleared. Tables are kept (the mapper frees empty ones). The caller
 * invalidates the TLB for the range.
 * @returns the number of leaves dropped.
 */
export function releaseRange(ctx: PteCowContext, root: number, start: number, end: number): number {
  return releaseLevel(ctx, root, 4, 0, start, end);
}

function releaseLevel(
  ctx: PteCowContext,
  table: number,
  level: number,
  base: number,
  start: number,
  end: number,
): number {
  const words = ctx.memory.peekSegment(table);
  if (words === undefined) return 0;
  const o = frameWordOffset(table);
  const span = SPAN[level as 1 | 2 | 3 | 4];
  const i0 = start <= base ? 0 : Math.floor((start - base) / span);
  const i1 = Math.min(511, Math.floor((end - 1 - base) / span));
  let n = 0;
  for (let i = i0; i <= i1; i++) {
    const lo = words[o + 2 * i]!;
    if ((lo & PTE_P) === 0) continue;
    const pfn = entryPfn(lo, words[o + 2 * i + 1]!);
    if (level > 1) {
      n += releaseLevel(ctx, pfn, level - 1, base + i * span, start, end);
    } else {
      words[o + 2 * i] = 0;
      words[o + 2 * i + 1] = 0;
      ctx.frames.release(pfn);
      n++;
    }
  }
  return n;
}
