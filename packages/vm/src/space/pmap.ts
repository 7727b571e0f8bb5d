/**
 * The pmap: the machine-dependent half of an address space, as Mach splits it. The VM objects and
 * copy-on-write strategies decide *which* frame a page should map and with which rights; the pmap
 * writes that into the x86-64 page tables (through the hw-x86 `Mapper`) and collects the TLB
 * invalidations each change obliges, sending them out in one shootdown per operation.
 *
 * | call        | Mach         | page-table effect                              | TLB obligation |
 * | ----------- | ------------ | ---------------------------------------------- | -------------- |
 * | `enter`     | pmap_enter   | leaf := frame + rights (replacing an old leaf) | old leaf: page |
 * | `remove`    | pmap_remove  | leaf := not present, empty tables freed        | page           |
 * | `protect`   | pmap_protect | leaf rights changed, frame kept                | page           |
 * | `flush`     | pmap_update  | —                                              | send them all  |
 *
 * Leaves are always user pages (U/S = 1). R/W is set only when the caller says the page may be
 * written now; a page whose area allows writes but that is shared (copy-on-write) stays read-only,
 * and the write fault decides. Bit 9 (ignored by the MMU, Intel SDM 4.5 Table 4-20) marks a leaf
 * read-only because shared — informative for dumps, the area's protection is the authority.
 *
 * Related: `shootdown.ts`, `address-space.ts`, `../cow/`.
 */
import {
  frameWordOffset,
  type Mapper,
  type PhysicalMemory,
  PTE_HI_ADDR,
  PTE_HI_XD,
  PTE_P,
  PTE_PS,
  PTE_RW,
  PTE_US,
} from "@osbricks/hw-x86";
import { InvariantError } from "../errors.js";
import { FULL_FLUSH_THRESHOLD, type ShootdownStats, type ShootdownTarget } from "./shootdown.js";

/** Bit 9 of a leaf: read-only because the frame is shared copy-on-write. */
export const LEAF_COW = 1 << 9;

/** A present leaf as the pmap reads it. */
export interface PmapLeaf {
  /** Frame number mapped. */
  readonly frame: number;
  /** R/W set. */
  readonly writable: boolean;
  /** U/S set (user accesses allowed). */
  readonly user: boolean;
  /** XD set. */
  readonly noExecute: boolean;
  /** The copy-on-write mark (bit 9). */
  readonly cow: boolean;
  /** Frame of the page table holding the leaf. */
  readonly table: number;
  /** Index of the leaf in that table. */
  readonly index: number;
}

/** Rights of a leaf the pmap writes. */
export interface LeafRights {
  /** R/W. */
  readonly writable: boolean;
  /** Clear U/S: the page is present but user accesses fault (PROT_NONE). Default false. */
  readonly kernelOnly?: boolean;
  /** XD. */
  readonly noExecute: boolean;
  /** Set the copy-on-write mark. Default false. */
  readonly cow?: boolean;
}

const SPAN = [0, 2 ** 12, 2 ** 21, 2 ** 30, 2 ** 39] as const;

/** One space's page tables plus its pending TLB invalidations. */
export class Pmap {
  /** The hw-x86 mapper that owns the tree. */
  readonly mapper: Mapper;
  readonly #memory: PhysicalMemory;
  readonly #spaceId: number;
  readonly #shootdown: ShootdownTarget | null;
  readonly #pending: number[] = [];
  #all = false;
  #rounds = 0;
  #pages = 0;
  #full = 0;
  #remote = 0;

  /** @param memory - the memory the mapper's tree lives in (read for software walks). */
  constructor(mapper: Mapper, memory: PhysicalMemory, spaceId: number, shootdown: ShootdownTarget | null) {
    this.mapper = mapper;
    this.#memory = memory;
    this.#spaceId = spaceId;
    this.#shootdown = shootdown;
  }

  /** Frame of the root table (what CR3 holds). */
  get rootFrame(): number {
    return this.mapper.root / 4096;
  }

  /**
   * Map `va` to `frame` with `rights`, replacing any leaf there. A leaf that maps another frame is
   * rewritten in place (Linux's `set_pte_at` after `ptep_clear_flush`): removing it first could
   * free its page table, and mapping again could then find no frame for a new one, losing the
   * old leaf. So only a `va` with no leaf can need a table, and only then can `enter` fail.
   * @returns false when no frame was left for a page table (nothing changed).
   */
  enter(va: number, frame: number, rights: LeafRights): boolean {
    const flags = {
      writable: rights.writable,
      user: rights.kernelOnly !== true,
      noExecute: rights.noExecute,
      available: rights.cow === true ? 1 : 0,
    };
    const old = this.lookup(va);
    if (old !== null) {
      if (old.frame === frame) {
        const r = this.mapper.protect(va, 4096, flags);
        if (r.kind === "protected" && r.flush.kind === "page") this.#pending.push(va);
        return true;
      }
      // The words the mapper's `map` would write (A and D clear), e.g. frame 0x123, writable user
      // page, no XD: lo = 0x0012_3007 (P RW US), hi = 0; with XD, hi = 0x8000_0000.
      const words = this.#memory.segment(old.table);
      const w = frameWordOffset(old.table) + 2 * old.index;
      let lo = ((frame % 1048576) * 4096 + PTE_P) | (flags.available << 9);
      if (flags.writable) lo |= PTE_RW;
      if (flags.user) lo |= PTE_US;
      words[w] = lo;
      words[w + 1] = Math.floor(frame / 1048576) | (flags.noExecute ? PTE_HI_XD : 0);
      this.#pending.push(va);
      return true;
    }
    const r = this.mapper.map(va, frame * 4096, 4096, flags);
    if (r.kind === "mapped") return true;
    if (r.kind === "out-of-frames") return false;
    throw new InvariantError(`pmap.enter(va=0x${va.toString(16)}): mapper said ${r.kind}`);
  }

  /** Remove the leaf of `va`. @returns the frame it mapped, or -1 when nothing was mapped. */
  remove(va: number): number {
    const r = this.mapper.unmap(va, 4096);
    if (r.kind !== "unmapped") return -1;
    if (r.flush.kind === "page") this.#pending.push(va);
    return r.mapping.pa / 4096;
  }

  /** Change the rights of the leaf of `va` (frame kept). @returns false when `va` is not mapped. */
  protect(va: number, rights: LeafRights): boolean {
    const r = this.mapper.protect(va, 4096, {
      writable: rights.writable,
      user: rights.kernelOnly !== true,
      noExecute: rights.noExecute,
      available: rights.cow === true ? 1 : 0,
    });
    if (r.kind !== "protected") return false;
    if (r.flush.kind === "page") this.#pending.push(va);
    return true;
  }

  /** Note that the leaf of `va` was changed in place (e.g. by `cowWriteFault`): invalidate it. */
  touched(va: number): void {
    this.#pending.push(va);
  }

  /** Note that every translation of the space must go (cheaper than listing them, e.g. after fork). */
  touchedAll(): void {
    this.#all = true;
  }

  /** The present 4 KiB leaf of `va`, or `null`. A read-only software walk. */
  lookup(va: number): PmapLeaf | null {
    const mem = this.#memory;
    let t = this.rootFrame;
    for (let level = 4; level >= 1; level--) {
      const words = mem.peekSegment(t);
      if (words === undefined) return null;
      const i = Math.floor(va / SPAN[level as 1 | 2 | 3 | 4]) % 512;
      const w = frameWordOffset(t) + 2 * i;
      const lo = words[w]!;
      const hi = words[w + 1]!;
      if ((lo & PTE_P) === 0) return null;
      if (level > 1 && (lo & PTE_PS) !== 0) return null;
      if (level === 1) return leafOf(lo, hi, t, i);
      t = (hi & PTE_HI_ADDR) * 1048576 + (lo >>> 12);
    }
    return null;
  }

  /** Every present 4 KiB leaf with `start <= va < end`, in address order, as `[va, leaf]`. */
  leaves(start: number, end: number): [number, PmapLeaf][] {
    const out: [number, PmapLeaf][] = [];
    if (end > start) this.#collect(this.rootFrame, 4, 0, start, end, out);
    return out;
  }

  #collect(
    table: number,
    level: number,
    base: number,
    start: number,
    end: number,
    out: [number, PmapLeaf][],
  ): void {
    const words = this.#memory.peekSegment(table);
    if (words === undefined) return;
    const o = frameWordOffset(table);
    const span = SPAN[level as 1 | 2 | 3 | 4];
    const i0 = start <= base ? 0 : Math.floor((start - base) / span);
    const i1 = Math.min(511, Math.floor((end - 1 - base) / span));
    for (let i = i0; i <= i1; i++) {
      const lo = words[o + 2 * i]!;
      if ((lo & PTE_P) === 0) continue;
      const hi = words[o + 2 * i + 1]!;
      if (level === 1) out.push([base + i * span, leafOf(lo, hi, table, i)]);
      else if ((lo & PTE_PS) === 0) {
        this.#collect(
          (hi & PTE_HI_ADDR) * 1048576 + (lo >>> 12),
          level - 1,
          base + i * span,
          start,
          end,
          out,
        );
      }
    }
  }

  /**
   * Send the pending invalidations to every CPU where the space is active (see `shootdown.ts`).
   * Called once at the end of each operation that changed leaves: the address space does so after
   * every operation and every call into a copy-on-write strategy, so a strategy need not. Code
   * that edits a pmap outside an address space operation calls it itself.
   */
  flush(): void {
    const n = this.#pending.length;
    if (n === 0 && !this.#all) return;
    this.#rounds++;
    const sd = this.#shootdown;
    if (sd !== null) {
      const cpus = sd.activeCpus(this.#spaceId);
      const full = this.#all || n > FULL_FLUSH_THRESHOLD;
      for (let k = 0; k < cpus.length; k++) {
        if (k > 0) this.#remote++;
        if (full) {
          sd.invalidateSpace(cpus[k]!, this.#spaceId);
          this.#full++;
        } else {
          sd.invalidatePages(cpus[k]!, this.#spaceId, this.#pending);
          this.#pages += n;
        }
      }
    }
    this.#pending.length = 0;
    this.#all = false;
  }

  /** Invalidations still waiting for {@link Pmap.flush} (tests check that operations leave none). */
  get pendingFlushes(): number {
    return this.#pending.length + (this.#all ? 1 : 0);
  }

  /** What this pmap asked for so far. */
  stats(): ShootdownStats {
    return { rounds: this.#rounds, pages: this.#pages, fullFlushes: this.#full, remoteCpus: this.#remote };
  }
}

function leafOf(lo: number, hi: number, table: number, index: number): PmapLeaf {
  return {
    frame: (hi & PTE_HI_ADDR) * 1048576 + (lo >>> 12),
    writable: (lo & PTE_RW) !== 0,
    user: (lo & PTE_US) !== 0,
    noExecute: (hi & PTE_HI_XD) !== 0,
    cow: (lo & LEAF_COW) !== 0,
    table,
    index,
  };
}
