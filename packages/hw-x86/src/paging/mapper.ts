/**
 * The mapper: builds and edits an x86-64 page-table tree in simulated physical memory.
 *
 * ```
 *  CR3 ─► PML4 (root) ──[idx 47:39]──► PDPT ──[38:30]──► PD ──[29:21]──► PT ──[20:12]──► 4 KiB page
 *                                        │ PS=1: 1 GiB page   │ PS=1: 2 MiB page
 * ```
 *
 * Choices (the SDM leaves them to software):
 * - Intermediate entries are created `P | R/W | U/S` with XD = 0, the most permissive value: the
 *   effective rights are the AND (XD: the OR) over all levels (SDM 4.6), so the leaf alone decides
 *   them. This is what Linux and xv6 do.
 * - Table frames come from an injected {@link FrameSource} and are zeroed before they are linked
 *   (a new table must hold only not-present entries). A table whose 4 KiB become all zero after an
 *   unmap is unlinked and given back; the root is never freed (until {@link Mapper.destroy}).
 * - `translate` is a software walk that sets no A/D bits and consults no TLB: it is what the page
 *   tables say, which may differ from what a CPU with a stale TLB does.
 *
 * Invariants ({@link Mapper.checkInvariants}): the tables form a tree (no table frame is linked
 * twice, none is the root); every linked table is a RAM frame owned by this mapper; no non-root
 * table is empty; intermediate entries are `P | R/W | U/S`, XD clear and free of reserved bits; no
 * PS bit in a PML4E/PML5E; every large leaf's frame is aligned to its size.
 *
 * Related: `api.ts` (the interface and result types), `entry.ts` (the bit layout),
 * `frame-source.ts`, `../mmu/mmu.ts` (the hardware walk over the same tree).
 */
import type { PagingTraceEvent, Tracer } from "../api.js";
import {
  AlignmentError,
  ConfigurationError,
  InvalidArgumentError,
  InvariantError,
  PhysicalRangeError,
} from "../errors.js";
import { checkPhysAddr, FRAME_SIZE, hex, type Pfn, type PhysAddr, TWO_POW_32 } from "../memory/address.js";
import { frameWordOffset, type PhysicalMemory } from "../memory/physical-memory.js";
import type {
  MapFlags,
  Mapping,
  MapResult,
  PageTableMapper,
  ProtectFlags,
  ProtectResult,
  TlbFlush,
  Translation,
  UnmapResult,
} from "./api.js";
import {
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
  PTE_PS,
  PTE_PWT,
  PTE_RW,
  PTE_US,
  sizeName,
} from "./entry.js";
import type { FrameSource } from "./frame-source.js";
import {
  checkTreeInvariants,
  isFrameZero,
  mappingOfLeaf,
  type PageTableTree,
  type PathEntry,
  treeDump,
  treeMappings,
  treeTableFrames,
  treeWalkPath,
} from "./tree.js";
import {
  checkCanonical,
  checkIntRange,
  checkPageSize,
  indexFromHalves,
  isCanonical,
  leafLevelOf,
  PAGE_1G,
  PAGE_2M,
  PAGE_4K,
  type PageSize,
  type PagingLevel,
  type VirtAddr,
  vaHigh,
} from "./virtual-address.js";

/** Options of {@link Mapper}. */
export interface MapperOptions {
  /** The physical memory that holds the tables. */
  readonly memory: PhysicalMemory;
  /** Where table frames come from (and go back to). */
  readonly frames: FrameSource;
  /** 4 (default) or 5 for 5-level paging (CR4.LA57). */
  readonly levels?: 4 | 5;
  /**
   * Adopt an existing root table at this physical address instead of taking a fresh one from
   * `frames`. Default: take (and zero) a new root.
   */
  readonly root?: PhysAddr;
  /** MAXPHYADDR: frames must lie below 2^maxPhysAddr. Default 46. */
  readonly maxPhysAddr?: number;
  /** Receives `mapper.*` events. Default: none. */
  readonly tracer?: Tracer<PagingTraceEvent>;
}

/** Intermediate entries: P | R/W | U/S (see the banner). */
const TABLE_FLAGS = PTE_P | PTE_RW | PTE_US;

/**
 * A page-table tree in simulated physical memory (implements {@link PageTableMapper}).
 *
 * @example
 * ```ts
 * const memory = new PhysicalMemory({ size: 16 * 2 ** 20 });
 * let next = 1;
 * const frames = { allocFrame: () => next++, freeFrame: () => {} };
 * const mapper = new Mapper({ memory, frames });
 * mapper.map(0x400000, 0x200000, PAGE_4K, { writable: true, user: true });
 * mapper.translate(0x400123)?.paOfByte; // 0x200123
 * ```
 */
export class Mapper implements PageTableMapper {
  readonly root: PhysAddr;
  readonly levels: 4 | 5;
  /** MAXPHYADDR this mapper checks frames against. */
  readonly maxPhysAddr: number;
  /** 2^maxPhysAddr, computed once: `**` with a variable exponent is a call to pow on every map. */
  private readonly physLimit: number;
  private readonly memory: PhysicalMemory;
  private readonly frames: FrameSource;
  private readonly tracer: Tracer<PagingTraceEvent> | undefined;
  private readonly la57: boolean;
  private tables = 1;
  private destroyed = false;

  /**
   * @throws {@link ConfigurationError} if `levels` is not 4 or 5, `maxPhysAddr` is outside 36..52,
   *   the frame source has no frame for the root, or `root` is not a RAM frame address (or is hidden
   *   by an MMIO region).
   * @throws {@link PhysicalRangeError} if the frame source gives a root frame outside usable RAM.
   */
  constructor(options: MapperOptions) {
    const levels = options.levels ?? 4;
    if (levels !== 4 && levels !== 5) {
      throw new ConfigurationError(`Mapper(levels=${String(levels)}): levels must be 4 or 5`);
    }
    const maxPhysAddr = options.maxPhysAddr ?? 46;
    if (!Number.isInteger(maxPhysAddr) || maxPhysAddr < 36 || maxPhysAddr > 52) {
      throw new ConfigurationError(`Mapper(maxPhysAddr=${String(maxPhysAddr)}): must be in 36..52`);
    }
    this.memory = options.memory;
    this.frames = options.frames;
    this.tracer = options.tracer;
    this.levels = levels;
    this.la57 = levels === 5;
    this.maxPhysAddr = maxPhysAddr;
    this.physLimit = 2 ** maxPhysAddr;
    if (options.root !== undefined) {
      const pfn = options.root / FRAME_SIZE;
      if (!this.memory.isRamFrame(pfn) || this.memory.mmioAt(options.root) !== undefined) {
        throw new ConfigurationError(
          `Mapper(root=${hex(options.root)}): root must be a 4 KiB-aligned RAM address not hidden by MMIO`,
        );
      }
      this.root = options.root;
    } else {
      const pfn = this.frames.allocFrame();
      if (pfn === null)
        throw new ConfigurationError("Mapper: the frame source has no frame for the root table");
      this.checkTableFrame("Mapper", pfn);
      this.memory.zeroFrame(pfn);
      this.root = pfn * FRAME_SIZE;
      this.tracer?.emit({ type: "mapper.table-alloc", pfn, level: levels });
    }
  }

  /** Number of table frames in the tree, the root included. */
  get tableCount(): number {
    return this.tables;
  }

  /**
   * Map the page of `size` at `va` to the frame at `pa`.
   *
   * @returns `mapped` with a `none` flush obligation (the entry was not present, SDM 4.10.4.3), or
   *   why not: `already-mapped`, `huge-page-in-the-way`, `table-in-the-way`, `out-of-frames`. On
   *   any result other than `mapped` the tree is exactly as before (tables created on the way are
   *   given back).
   * @throws {@link NonCanonicalAddressError} if `va` is not canonical for this tree's depth.
   * @throws {@link PageSizeError} if `size` is not 4 KiB, 2 MiB or 1 GiB.
   * @throws {@link AlignmentError} if `va` or `pa` is not aligned to `size`.
   * @throws {@link PhysicalRangeError} if the frame reaches 2^maxPhysAddr, or the frame source gives
   *   a table frame outside RAM or hidden by an MMIO region.
   * @throws {@link InvalidArgumentError} if a numeric flag is out of range.
   */
  map(va: VirtAddr, pa: PhysAddr, size: PageSize, flags: MapFlags): MapResult {
    // The message (callText) is built only when a check fails: formatting it costs more than a
    // map, and so does a closure that would build it (it is created on every call).
    const fast =
      this.vaFits(va, size) &&
      Number.isInteger(pa) &&
      pa >= 0 &&
      pa % size === 0 &&
      pa + size <= this.physLimit;
    if (!fast) {
      const call = callText("map", va, size, pa);
      this.checkVa(call, va, size);
      checkPhysAddr(call, pa, size);
      throw new PhysicalRangeError(`${call}: frame ends above 2^${this.maxPhysAddr} (MAXPHYADDR, SDM 4.1.4)`);
    }
    const leafLevel = leafLevelOf(size);
    const [lo, hi] = leafWords("map", va, size, pa, leafLevel, flags);
    const vhi = vaHigh(va);
    const vlo = va >>> 0;
    const created: { parent: Int32Array; slot: number; pfn: Pfn; level: PagingLevel }[] = [];
    let table = this.root / FRAME_SIZE;
    for (let level = this.levels as PagingLevel; level > leafLevel; level--) {
      // The table's words live in its RAM segment, from word frameWordOffset(table) on.
      const words = this.memory.segment(table);
      const slot = frameWordOffset(table) + 2 * indexFromHalves(vhi, vlo, level);
      const elo = words[slot]!;
      const ehi = words[slot + 1]!;
      if ((elo & PTE_P) === 0) {
        const pfn = this.frames.allocFrame();
        if (pfn === null) {
          this.rollback(created);
          return { kind: "out-of-frames" };
        }
        if (!this.isTableFrame(pfn)) {
          this.frames.freeFrame(pfn);
          this.rollback(created);
          this.checkTableFrame(callText("map", va, size, pa), pfn);
        }
        this.memory.zeroFrame(pfn);
        words[slot] = (pfn % 1048576) * FRAME_SIZE + TABLE_FLAGS;
        words[slot + 1] = Math.floor(pfn / 1048576);
        created.push({ parent: words, slot, pfn, level: (level - 1) as PagingLevel });
        this.tables++;
        this.tracer?.emit({ type: "mapper.table-alloc", pfn, level: level - 1 });
        table = pfn;
      } else if (isLeafEntry(elo, level)) {
        return { kind: "huge-page-in-the-way", existing: this.mappingOf(va, elo, ehi, level) };
      } else {
        table = (ehi & PTE_HI_ADDR) * 1048576 + (elo >>> 12);
      }
    }
    const words = this.memory.segment(table);
    const slot = frameWordOffset(table) + 2 * indexFromHalves(vhi, vlo, leafLevel);
    const elo = words[slot]!;
    if ((elo & PTE_P) !== 0) {
      this.rollback(created);
      if (isLeafEntry(elo, leafLevel)) {
        return { kind: "already-mapped", existing: this.mappingOf(va, elo, words[slot + 1]!, leafLevel) };
      }
      return {
        kind: "table-in-the-way",
        level: (leafLevel - 1) as PagingLevel,
        table: (words[slot + 1]! & PTE_HI_ADDR) * TWO_POW_32 + ((elo & 0xfffff000) >>> 0),
      };
    }
    words[slot] = lo;
    words[slot + 1] = hi;
    this.tracer?.emit({ type: "mapper.map", va, pa, size });
    return { kind: "mapped", flush: NO_FLUSH };
  }

  /**
   * Remove the mapping of the page of `size` at `va`, then give back every table that became empty
   * (bottom up, never the root).
   *
   * @returns `unmapped` with the old mapping and a `page` flush obligation, `not-mapped`, or
   *   `size-mismatch` when a page of another size maps `va` (nothing changed then).
   * @throws as {@link Mapper.map} for a bad `va` or `size`.
   */
  unmap(va: VirtAddr, size: PageSize): UnmapResult {
    if (!this.vaFits(va, size)) this.checkVa(callText("unmap", va, size), va, size);
    const path = this.findLeaf(va);
    if (path === null) return { kind: "not-mapped" };
    const leaf = path[path.length - 1]!;
    const existing = this.mappingOf(va, leaf.words[leaf.slot]!, leaf.words[leaf.slot + 1]!, leaf.level);
    if (existing.size !== size) return { kind: "size-mismatch", existing };
    leaf.words[leaf.slot] = 0;
    leaf.words[leaf.slot + 1] = 0;
    let freed = 0;
    for (let i = path.length - 1; i > 0; i--) {
      const child = path[i]!;
      if (!isFrameZero(child.words, frameWordOffset(child.table))) break;
      const parent = path[i - 1]!;
      parent.words[parent.slot] = 0;
      parent.words[parent.slot + 1] = 0;
      this.frames.freeFrame(child.table);
      this.tables--;
      freed++;
      this.tracer?.emit({ type: "mapper.table-free", pfn: child.table, level: child.level });
    }
    this.tracer?.emit({ type: "mapper.unmap", va, pa: existing.pa, size });
    return {
      kind: "unmapped",
      mapping: existing,
      flush: { kind: "page", va, size, global: existing.flags.global },
      freedTables: freed,
    };
  }

  /**
   * Replace the attributes of the page of `size` at `va` with `flags` (omitted permission flags are
   * off; A and D are kept unless given). The frame is kept.
   *
   * @returns `protected` with the mapping before and after and a `page` flush obligation (for a
   *   global page before *or* after, `global` is true), `not-mapped`, or `size-mismatch`.
   * @throws as {@link Mapper.map} for a bad `va`, `size` or flag value.
   */
  protect(va: VirtAddr, size: PageSize, flags: ProtectFlags): ProtectResult {
    if (!this.vaFits(va, size)) this.checkVa(callText("protect", va, size), va, size);
    const path = this.findLeaf(va);
    if (path === null) return { kind: "not-mapped" };
    const leaf = path[path.length - 1]!;
    const olo = leaf.words[leaf.slot]!;
    const ohi = leaf.words[leaf.slot + 1]!;
    const before = this.mappingOf(va, olo, ohi, leaf.level);
    if (before.size !== size) return { kind: "size-mismatch", existing: before };
    let [lo, hi] = leafWords("protect", va, size, before.pa, leaf.level, flags);
    const accessed = flags.accessed ?? before.flags.accessed;
    const dirty = flags.dirty ?? before.flags.dirty;
    if (accessed) lo |= PTE_A;
    if (dirty) lo |= PTE_D;
    lo >>>= 0;
    hi >>>= 0;
    leaf.words[leaf.slot] = lo;
    leaf.words[leaf.slot + 1] = hi;
    const after = this.mappingOf(va, lo, hi, leaf.level);
    this.tracer?.emit({ type: "mapper.protect", va, size });
    return {
      kind: "protected",
      before,
      after,
      flush: { kind: "page", va, size, global: before.flags.global || after.flags.global },
    };
  }

  /**
   * Software walk: the mapping covering `va`, or `null` if some level is not present. Sets no A/D
   * bit and reads no TLB.
   * @throws {@link NonCanonicalAddressError} if `va` is not canonical for this tree's depth.
   */
  translate(va: VirtAddr): Translation | null {
    if (!isCanonical(va, this.la57)) checkCanonical(`translate(va=${hex(va)})`, va, this.la57);
    const path = this.findLeaf(va);
    if (path === null) return null;
    const leaf = path[path.length - 1]!;
    const m = this.mappingOf(va, leaf.words[leaf.slot]!, leaf.words[leaf.slot + 1]!, leaf.level);
    return { ...m, paOfByte: m.pa + (va - m.va) };
  }

  /**
   * The entries a walk for `va` reads, root first, down to the leaf or the first not-present entry.
   * Reads only (the path a student traces by hand; see the README's worked translation).
   * @throws {@link NonCanonicalAddressError} if `va` is not canonical for this tree's depth.
   */
  walkPath(va: VirtAddr): PathEntry[] {
    checkCanonical(`walkPath(va=${hex(va)})`, va, this.la57);
    return treeWalkPath(this.tree(), va);
  }

  /** Every present mapping, in increasing unsigned address order (lower half, then upper half). */
  mappings(): IterableIterator<Mapping> {
    return treeMappings(this.tree());
  }

  /**
   * The tree as text, one line per present entry, indented by depth, like xv6's `vmprint` (see
   * {@link treeDump}).
   */
  dump(): string {
    return treeDump(this.tree());
  }

  /** Physical frame numbers of every table in the tree, root first, in walk order. */
  tableFrames(): Pfn[] {
    return treeTableFrames(this.tree());
  }

  /**
   * Give every table frame (the root included) back to the frame source. The mapped frames are the
   * caller's and are not touched. The mapper must not be used afterwards; the caller must also make
   * sure no CPU still uses this tree (CR3) or caches its translations.
   */
  destroy(): void {
    if (this.destroyed) return;
    const frames = this.tableFrames().reverse();
    for (const pfn of frames) {
      this.memory.zeroFrame(pfn);
      this.frames.freeFrame(pfn);
    }
    this.tables = 0;
    this.destroyed = true;
  }

  /**
   * Check the invariants listed in the file banner.
   * @throws {@link InvariantError} describing the first broken one (table, index, entry).
   */
  checkInvariants(): void {
    if (this.destroyed) return;
    const tables = checkTreeInvariants(this.tree(), this.maxPhysAddr);
    if (tables !== this.tables) {
      throw new InvariantError(`the tree holds ${tables} tables but the mapper counted ${this.tables}`);
    }
  }

  // ── internals ─────────────────────────────────────────────────────────────────────────────────

  /** Whether `va` and `size` pass {@link Mapper.checkVa} (the common case, tested without a message). */
  private vaFits(va: VirtAddr, size: number): size is PageSize {
    return (
      !this.destroyed &&
      (size === PAGE_4K || size === PAGE_2M || size === PAGE_1G) &&
      isCanonical(va, this.la57) &&
      va % size === 0
    );
  }

  private checkVa(call: string, va: VirtAddr, size: number): asserts size is PageSize {
    if (this.destroyed) throw new ConfigurationError(`${call}: the mapper was destroyed`);
    checkPageSize(call, size);
    checkCanonical(call, va, this.la57);
    if (va % size !== 0) {
      throw new AlignmentError(`${call}: va is not aligned to ${sizeName(size)}`);
    }
  }

  /** This tree, for the read-only functions of tree.ts. */
  private tree(): PageTableTree {
    return { memory: this.memory, root: this.root, levels: this.levels };
  }

  /** Whether `pfn` may hold a table: usable RAM below 2^MAXPHYADDR (see checkTableFrame). */
  private isTableFrame(pfn: Pfn): boolean {
    return (
      this.memory.isRamFrame(pfn) &&
      pfn * FRAME_SIZE < this.physLimit &&
      this.memory.mmioAt(pfn * FRAME_SIZE) === undefined
    );
  }

  private checkTableFrame(call: string, pfn: Pfn): void {
    if (!this.memory.isRamFrame(pfn) || pfn * FRAME_SIZE >= this.physLimit) {
      throw new PhysicalRangeError(
        `${call}: the frame source returned pfn ${hex(pfn)}, which is not a RAM frame below 2^${this.maxPhysAddr}`,
      );
    }
    // RAM under an MMIO region (the PCI hole) is not usable: the CPU's stores to a table there
    // would reach the device. MMIO regions are 4 KiB aligned, so the frame's first byte decides.
    const mmio = this.memory.mmioAt(pfn * FRAME_SIZE);
    if (mmio !== undefined) {
      throw new PhysicalRangeError(
        `${call}: the frame source returned pfn ${hex(pfn)}, which the MMIO region "${mmio.name}" hides (page tables must be in usable RAM)`,
      );
    }
  }

  /**
   * Path from the root to the present leaf mapping `va`, or null. Each step holds the table's RAM
   * segment and the absolute word index of the entry in it.
   */
  private findLeaf(
    va: VirtAddr,
  ): { table: Pfn; words: Int32Array; slot: number; level: PagingLevel }[] | null {
    const vhi = vaHigh(va);
    const vlo = va >>> 0;
    const path: { table: Pfn; words: Int32Array; slot: number; level: PagingLevel }[] = [];
    let table = this.root / FRAME_SIZE;
    for (let level = this.levels as PagingLevel; level >= 1; level--) {
      const words = this.memory.peekSegment(table);
      if (words === undefined) return null;
      const slot = frameWordOffset(table) + 2 * indexFromHalves(vhi, vlo, level);
      const lo = words[slot]!;
      if ((lo & PTE_P) === 0) return null;
      path.push({ table, words, slot, level });
      if (isLeafEntry(lo, level)) return path;
      table = (words[slot + 1]! & PTE_HI_ADDR) * 1048576 + (lo >>> 12);
    }
    return null;
  }

  private mappingOf(va: VirtAddr, lo: number, hi: number, level: PagingLevel): Mapping {
    return mappingOfLeaf(va, lo, hi, level);
  }

  private rollback(created: { parent: Int32Array; slot: number; pfn: Pfn; level: PagingLevel }[]): void {
    for (let i = created.length - 1; i >= 0; i--) {
      const c = created[i]!;
      c.parent[c.slot] = 0;
      c.parent[c.slot + 1] = 0;
      this.frames.freeFrame(c.pfn);
      this.tables--;
      this.tracer?.emit({ type: "mapper.table-free", pfn: c.pfn, level: c.level });
    }
    created.length = 0;
  }
}

const NO_FLUSH: TlbFlush = Object.freeze({ kind: "none" });

/** Whether an optional numeric flag is absent or an integer in 0..max (checkIntRange's rule). */
function intOrAbsent(value: number | undefined, max: number): boolean {
  return value === undefined || (Number.isInteger(value) && value >= 0 && value <= max);
}

/**
 * A mapper call as error messages name it, e.g. `map(va=0x1000, pa=0x5000, size=4096)`. Built
 * only when a check fails.
 */
function callText(op: "map" | "unmap" | "protect", va: VirtAddr, size: number, pa?: PhysAddr): string {
  return pa === undefined
    ? `${op}(va=${hex(va)}, size=${String(size)})`
    : `${op}(va=${hex(va)}, pa=${hex(pa)}, size=${String(size)})`;
}

/**
 * Leaf entry halves for a frame at `pa` mapped at `level` with `flags` (validated). `op`, `va` and
 * `size` name the call in an error message (for protect, without `pa`).
 */
function leafWords(
  op: "map" | "protect",
  va: VirtAddr,
  size: number,
  pa: PhysAddr,
  level: PagingLevel,
  flags: MapFlags,
): [number, number] {
  if (
    typeof flags !== "object" ||
    flags === null ||
    !intOrAbsent(flags.protectionKey, 15) ||
    !intOrAbsent(flags.available, 7) ||
    !intOrAbsent(flags.availableHigh, 127)
  ) {
    const call = callText(op, va, size, op === "map" ? pa : undefined);
    if (typeof flags !== "object" || flags === null) {
      throw new InvalidArgumentError(`${call}: flags must be an object`);
    }
    if (flags.protectionKey !== undefined) checkIntRange(call, "protectionKey", flags.protectionKey, 0, 15);
    if (flags.available !== undefined) checkIntRange(call, "available", flags.available, 0, 7);
    if (flags.availableHigh !== undefined) checkIntRange(call, "availableHigh", flags.availableHigh, 0, 127);
  }
  let lo = (pa % TWO_POW_32) | PTE_P;
  if (flags.writable === true) lo |= PTE_RW;
  if (flags.user === true) lo |= PTE_US;
  if (flags.writeThrough === true) lo |= PTE_PWT;
  if (flags.cacheDisable === true) lo |= PTE_PCD;
  if (level !== 1) lo |= PTE_PS;
  if (flags.pat === true) lo |= level === 1 ? PTE_PAT_4K : PTE_PAT_LARGE;
  if (flags.global === true) lo |= PTE_G;
  lo |= (flags.available ?? 0) << 9;
  let hi = Math.floor(pa / TWO_POW_32);
  hi |= (flags.availableHigh ?? 0) << 20;
  hi |= (flags.protectionKey ?? 0) << PTE_HI_PK_SHIFT;
  if (flags.noExecute === true) hi |= PTE_HI_XD;
  return [lo >>> 0, hi >>> 0];
}
