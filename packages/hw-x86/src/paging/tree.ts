/**
 * Reading a page-table tree in physical memory without changing it: the path of one walk, every
 * mapping, a `vmprint`-style dump, the table frames, and the tree's invariants.
 *
 * ```
 *   { memory, root, levels }  ──►  treeWalkPath(tree, va)   PML4E → PDPTE → PDE → PTE (entries read)
 *                             ──►  treeMappings(tree)       every leaf, in address order
 *                             ──►  treeDump(tree)           xv6 vmprint, one line per present entry
 *                             ──►  checkTreeInvariants(…)   a tree, tables in RAM, no empty tables
 * ```
 *
 * The functions take any root address, so a kernel (or a debugger) can inspect whatever CR3 holds,
 * not only trees a `Mapper` built. They set no accessed bit and consult no TLB.
 *
 * Related: `mapper.ts` (builds the trees and delegates its read-only methods here), `entry.ts`.
 */
import { InvariantError } from "../errors.js";
import { FRAME_SIZE, hex, type Pfn, type PhysAddr, TWO_POW_32 } from "../memory/address.js";
import { frameWordOffset, type PhysicalMemory } from "../memory/physical-memory.js";
import type { LeafFlags, Mapping } from "./api.js";
import {
  describeEntry,
  isLeafEntry,
  PTE_A,
  PTE_D,
  PTE_G,
  PTE_HI_ADDR,
  PTE_HI_PK_SHIFT,
  PTE_HI_XD,
  PTE_P,
  PTE_PAT_4K,
  PTE_PAT_LARGE,
  PTE_PCD,
  PTE_PWT,
  PTE_RW,
  PTE_US,
  reservedMask,
} from "./entry.js";
import {
  addressOfIndex,
  indexFromHalves,
  LEVEL_NAMES,
  type PagingLevel,
  pageSizeOfLevel,
  type VirtAddr,
  vaHigh,
} from "./virtual-address.js";

/** A page-table tree: where its root table is, and how deep it is. */
export interface PageTableTree {
  /** The memory holding the tables. */
  readonly memory: PhysicalMemory;
  /** Physical address of the root table (what CR3 holds). */
  readonly root: PhysAddr;
  /** 4 (PML4 root) or 5 (PML5 root). */
  readonly levels: 4 | 5;
}

/** One entry on the path of a software walk (see {@link treeWalkPath}). */
export interface PathEntry {
  /** Level of the table holding the entry. */
  readonly level: PagingLevel;
  /** Index of the entry in its table. */
  readonly index: number;
  /** Physical address of the entry (table address + 8 × index). */
  readonly entryAddress: PhysAddr;
  /** Bits 0..31. */
  readonly lo: number;
  /** Bits 32..63. */
  readonly hi: number;
}

/**
 * The entries a walk for `va` reads, root first, down to the leaf or the first not-present entry
 * (the path a student traces by hand; see the README's worked translation). `va` must be canonical
 * for the tree's depth (not checked here).
 */
export function treeWalkPath(tree: PageTableTree, va: VirtAddr): PathEntry[] {
  const out: PathEntry[] = [];
  const vhi = vaHigh(va);
  const vlo = va >>> 0;
  let table = tree.root / FRAME_SIZE;
  for (let level = tree.levels as PagingLevel; level >= 1; level--) {
    const index = indexFromHalves(vhi, vlo, level);
    const words = tableWords(tree.memory, table);
    const lo = words === undefined ? 0 : words[2 * index]! >>> 0;
    const hi = words === undefined ? 0 : words[2 * index + 1]! >>> 0;
    out.push({ level, index, entryAddress: table * FRAME_SIZE + 8 * index, lo, hi });
    if ((lo & PTE_P) === 0 || isLeafEntry(lo, level)) break;
    table = nextTable(lo, hi);
  }
  return out;
}

/** Every present mapping of the tree, in increasing unsigned address order (lower half first). */
export function* treeMappings(tree: PageTableTree): IterableIterator<Mapping> {
  yield* walkTable(tree, tree.root / FRAME_SIZE, tree.levels, 0);
}

function* walkTable(tree: PageTableTree, pfn: Pfn, level: PagingLevel, prefix: VirtAddr): Generator<Mapping> {
  const words = tableWords(tree.memory, pfn);
  if (words === undefined) return;
  for (let i = 0; i < 512; i++) {
    const lo = words[2 * i]!;
    if ((lo & PTE_P) === 0) continue;
    const hi = words[2 * i + 1]!;
    const va = addressOfIndex(prefix, level, i, tree.levels === 5);
    if (isLeafEntry(lo, level)) yield mappingOfLeaf(va, lo, hi, level);
    else yield* walkTable(tree, nextTable(lo, hi), (level - 1) as PagingLevel, va);
  }
}

/**
 * The tree as text, one line per present entry, indented by depth, like xv6's `vmprint`:
 * ```
 * page table 0x1000 (PML4, 4-level)
 *  ..[0] PML4E → table 0x2000 [P RW US]
 *  .. ..[0] PDPTE → table 0x3000 [P RW US]
 *  .. .. ..[2] PDE → 2MiB page 0x200000 [P RW US PS]  va 0x400000
 * ```
 */
export function treeDump(tree: PageTableTree): string {
  const lines = [`page table ${hex(tree.root)} (${LEVEL_NAMES[tree.levels]}, ${tree.levels}-level)`];
  const visit = (pfn: Pfn, level: PagingLevel, prefix: VirtAddr, depth: number): void => {
    const words = tableWords(tree.memory, pfn);
    if (words === undefined) return;
    for (let i = 0; i < 512; i++) {
      const lo = words[2 * i]! >>> 0;
      if ((lo & PTE_P) === 0) continue;
      const hi = words[2 * i + 1]! >>> 0;
      const va = addressOfIndex(prefix, level, i, tree.levels === 5);
      const leaf = isLeafEntry(lo, level);
      lines.push(
        `${" ..".repeat(depth)}[${i}] ${describeEntry(lo, hi, level)}${leaf ? `  va ${hex(va)}` : ""}`,
      );
      if (!leaf) visit(nextTable(lo, hi), (level - 1) as PagingLevel, va, depth + 1);
    }
  };
  visit(tree.root / FRAME_SIZE, tree.levels, 0, 1);
  return lines.join("\n");
}

/** Frame numbers of every table in the tree, root first, in walk order. */
export function treeTableFrames(tree: PageTableTree): Pfn[] {
  const out: Pfn[] = [];
  const visit = (pfn: Pfn, level: PagingLevel): void => {
    out.push(pfn);
    if (level === 1) return;
    const words = tableWords(tree.memory, pfn);
    if (words === undefined) return;
    for (let i = 0; i < 512; i++) {
      const lo = words[2 * i]!;
      if ((lo & PTE_P) === 0 || isLeafEntry(lo, level)) continue;
      visit(nextTable(lo, words[2 * i + 1]!), (level - 1) as PagingLevel);
    }
  };
  visit(tree.root / FRAME_SIZE, tree.levels);
  return out;
}

/**
 * Check that the tables form a tree as a `Mapper` keeps it: no table frame linked twice or linked
 * back to the root; every linked table a RAM frame; no empty table below the root; intermediate
 * entries `P | R/W | U/S` with XD clear; no reserved bit set (for `maxPhysAddr`, with NXE).
 * @returns the number of tables, the root included.
 * @throws {@link InvariantError} naming the table, the entry and the broken rule.
 */
export function checkTreeInvariants(tree: PageTableTree, maxPhysAddr: number): number {
  const rootPfn = tree.root / FRAME_SIZE;
  const seen = new Set<Pfn>([rootPfn]);
  // The names in the messages are built only to throw: paranoid runs check every table of every
  // address space after each trap.
  const tableName = (pfn: Pfn, level: PagingLevel): string =>
    `table ${hex(pfn * FRAME_SIZE)} (${LEVEL_NAMES[level]})`;
  const entryName = (pfn: Pfn, level: PagingLevel, i: number, lo: number, hi: number): string =>
    `${LEVEL_NAMES[level]}E ${i} of ${tableName(pfn, level)} (${describeEntry(lo, hi, level)})`;
  const visit = (pfn: Pfn, level: PagingLevel): void => {
    const words = tableWords(tree.memory, pfn);
    if (words === undefined || isFrameZero(words, 0)) {
      if (pfn !== rootPfn) throw new InvariantError(`${tableName(pfn, level)} is empty but still linked`);
      return;
    }
    for (let i = 0; i < 512; i++) {
      const lo = words[2 * i]! >>> 0;
      const hi = words[2 * i + 1]! >>> 0;
      if ((lo & PTE_P) === 0) continue;
      const rsvd = reservedMask(level, lo, maxPhysAddr, true);
      if ((lo & rsvd.lo) !== 0 || (hi & rsvd.hi) !== 0)
        throw new InvariantError(`${entryName(pfn, level, i, lo, hi)} has reserved bits set`);
      if (isLeafEntry(lo, level)) continue;
      if ((lo & (PTE_RW | PTE_US)) !== (PTE_RW | PTE_US) || (hi & PTE_HI_XD) !== 0) {
        throw new InvariantError(
          `${entryName(pfn, level, i, lo, hi)}: intermediate entries must be P|RW|US with XD clear`,
        );
      }
      const child = nextTable(lo, hi);
      if (!tree.memory.isRamFrame(child))
        throw new InvariantError(`${entryName(pfn, level, i, lo, hi)} points outside RAM`);
      if (seen.has(child)) {
        throw new InvariantError(
          `${entryName(pfn, level, i, lo, hi)} links table ${hex(child * FRAME_SIZE)} a second time`,
        );
      }
      seen.add(child);
      visit(child, (level - 1) as PagingLevel);
    }
  };
  visit(rootPfn, tree.levels);
  return seen.size;
}

/** The mapping a present leaf at `level` describes, for the page containing `va`. */
export function mappingOfLeaf(va: VirtAddr, lo: number, hi: number, level: PagingLevel): Mapping {
  const size = pageSizeOfLevel(level as 1 | 2 | 3);
  const base = va - (((va % size) + size) % size);
  const frameLo = size === 4096 ? 0xfffff000 : size === 2097152 ? 0xffe00000 : 0xc0000000;
  return {
    va: base,
    pa: (hi & PTE_HI_ADDR) * TWO_POW_32 + ((lo & frameLo) >>> 0),
    size,
    flags: leafFlagsOf(lo, hi, level),
  };
}

/** The attributes of a leaf entry. */
export function leafFlagsOf(lo: number, hi: number, level: PagingLevel): LeafFlags {
  return {
    writable: (lo & PTE_RW) !== 0,
    user: (lo & PTE_US) !== 0,
    noExecute: (hi & PTE_HI_XD) !== 0,
    global: (lo & PTE_G) !== 0,
    writeThrough: (lo & PTE_PWT) !== 0,
    cacheDisable: (lo & PTE_PCD) !== 0,
    pat: level === 1 ? (lo & PTE_PAT_4K) !== 0 : (lo & PTE_PAT_LARGE) !== 0,
    protectionKey: (hi >>> PTE_HI_PK_SHIFT) & 15,
    available: (lo >>> 9) & 7,
    availableHigh: (hi >>> 20) & 0x7f,
    accessed: (lo & PTE_A) !== 0,
    dirty: (lo & PTE_D) !== 0,
  };
}

/** Whether the 1024 words of a frame starting at `offset` of `words` are all zero. */
export function isFrameZero(words: Int32Array, offset: number): boolean {
  for (let i = offset; i < offset + 1024; i++) if (words[i] !== 0) return false;
  return true;
}

/** A view of table frame `pfn`'s 1024 words, or `undefined` when it has no backing (all zeros). */
function tableWords(memory: PhysicalMemory, pfn: Pfn): Int32Array | undefined {
  const segment = memory.peekSegment(pfn);
  if (segment === undefined) return undefined;
  const off = frameWordOffset(pfn);
  return segment.subarray(off, off + 1024);
}

/** Frame number of the table an entry references (bits 51:12). */
function nextTable(lo: number, hi: number): Pfn {
  return (hi & PTE_HI_ADDR) * 1048576 + (lo >>> 12);
}
