/**
 * The TLB: a set-associative cache of translations, tagged with PCIDs, that keeps stale entries
 * until software invalidates them — exactly the behaviour that makes a forgotten INVLPG a bug.
 *
 * ```
 *   va bits:  56 ........ 44 43 ............. 12 11 ... 0
 *             [   tagHi    ][      tagLo       ][offset ]      set = tagLo mod sets
 *
 *   set 0: [way 0][way 1][way 2][way 3]     each way: valid, tag, PCID, frame, R/W, U/S, XD,
 *   set 1: [     ][     ][     ][     ]               dirty, global, protection key, page size
 *   …
 * ```
 *
 * Rules modelled (Intel SDM 4.10):
 * - An entry caches the AND of R/W and U/S, the OR of XD over the walk, the leaf's D bit and
 *   protection key, and the frame (4.10.2.2). PKRU, CPL, CR0.WP, SMEP, SMAP and RFLAGS.AC are read
 *   at access time, not cached.
 * - Entries are tagged with the current PCID (0 when CR4.PCIDE = 0). A *global* entry (leaf G = 1
 *   while CR4.PGE = 1) matches every PCID (4.10.2.4).
 * - A translation for a 2 MiB or 1 GiB page is cached as the 4 KiB piece that was used; the SDM
 *   allows it ("some processors may choose to cache multiple smaller-page TLB entries", 4.10.2.3)
 *   and INVLPG anywhere in the large page drops every piece (we remember each piece's page size).
 * - Not-present or faulting translations are never cached (4.10.2.3).
 * - INVLPG drops the page's entries for the current PCID and global entries for it (4.10.4.1).
 * - INVPCID types 0–3, MOV to CR3 with its PCID and bit-63 rules, MOV to CR4 (PGE, PCIDE, SMEP) and
 *   MOV to CR0 (PG) flushes (4.10.4.1).
 * - Paging-structure caches (PML4/PDPTE/PDE caches) are not modelled: every miss walks from CR3.
 *
 * Invariants ({@link Tlb.checkInvariants}): a valid entry sits in the set its tag selects; no two
 * valid entries of one set have the same tag and PCID; PCIDs are 0..4095; page shifts are 12, 21
 * or 30, and the level in the flags (bits 7:5) is the same size; the match key agrees with the
 * tag, PCID and G.
 *
 * Related: `api.ts` (options, counters, entry views and the `TLB_*` flag bits), `../mmu/mmu.ts`
 * (looks up and fills), `../paging/api.ts` (`TlbFlush` obligations).
 */
import type { PagingTraceEvent, Tracer } from "../api.js";
import { ConfigurationError, InvalidArgumentError, InvariantError } from "../errors.js";
import { hex, type PhysAddr } from "../memory/address.js";
import { isCanonical, type VirtAddr, vaHigh } from "../paging/virtual-address.js";
import {
  type InvpcidResult,
  type ReplacementPolicy,
  TLB_DIRTY,
  TLB_GLOBAL,
  TLB_LEVEL_SHIFT,
  TLB_NX,
  TLB_RW,
  TLB_US,
  type TlbEntryView,
  type TlbOptions,
  type TlbStats,
} from "./api.js";

/**
 * A set-associative, PCID-tagged TLB. One per CPU.
 *
 * The typed arrays are public so that the MMU reads a hit without a call or an allocation; treat
 * them as read-only and change entries only through the methods.
 *
 * @example
 * ```ts
 * const tlb = new Tlb({ sets: 16, ways: 4 });
 * const mmu = new Mmu({ memory, tlb });
 * mmu.translate(ctx, 0x400000, Access.Read); // miss: walks, fills
 * mmu.translate(ctx, 0x400008, Access.Read); // hit
 * tlb.invlpg(ctx.pcid, 0x400000); // after changing the PTE
 * ```
 */
export class Tlb {
  /** Number of sets. */
  declare readonly sets: number;
  /** Ways per set. */
  declare readonly ways: number;
  /** Victim policy. */
  declare readonly replacement: ReplacementPolicy;
  /** Whether a page fault drops the page's entries (SDM behaviour, default). */
  declare readonly invalidateOnFault: boolean;
  /** 1 if the way holds a translation. */
  declare readonly valid: Uint8Array;
  /** Virtual address bits 43..12 of the cached piece. */
  declare readonly tagLo: Int32Array;
  /** Virtual address bits 56..44 of the cached piece. */
  declare readonly tagHi: Int32Array;
  /** PCID the entry was created under. */
  declare readonly pcid: Uint16Array;
  /** Physical address of the cached 4 KiB piece. */
  declare readonly frame: Float64Array;
  /** `TLB_*` flag bits, and the page's level in bits 7:5 ({@link TLB_LEVEL_SHIFT}). */
  declare readonly flags: Uint8Array;
  /** Protection key. */
  declare readonly pkey: Uint8Array;
  /** 12, 21 or 30: the size of the page the piece belongs to. */
  declare readonly pageShift: Uint8Array;
  /**
   * The match key of each way, so that a lookup compares two words: `KEY_VALID | KEY_GLOBAL? |
   * pcid << 13 | tagHi` (0 when the way is invalid). Kept in step with `valid`, `tagHi`, `pcid` and
   * the global flag by every method that changes them.
   */
  declare private readonly key: Int32Array;
  declare private readonly stamp: Float64Array;
  declare private readonly fifoNext: Uint32Array;
  declare private readonly setMask: number;
  declare private readonly tracer: Tracer<PagingTraceEvent> | undefined;
  private clock = 0;
  declare private rng: number;
  private hits = 0;
  private misses = 0;
  private fills = 0;
  private evictions = 0;
  private invalidated = 0;
  private invlpgs = 0;
  private invpcids = 0;
  private flushes = 0;

  /** @throws {@link ConfigurationError} if `sets` is not a power of two ≥ 1, `ways` < 1, or the policy is unknown. */
  constructor(options: TlbOptions = {}) {
    const sets = options.sets ?? 16;
    const ways = options.ways ?? 4;
    const replacement = options.replacement ?? "lru";
    if (!Number.isInteger(sets) || sets < 1 || (sets & (sets - 1)) !== 0 || sets > 65536) {
      throw new ConfigurationError(`Tlb(sets=${String(sets)}): sets must be a power of two in 1..65536`);
    }
    if (!Number.isInteger(ways) || ways < 1 || ways > 64) {
      throw new ConfigurationError(`Tlb(ways=${String(ways)}): ways must be an integer in 1..64`);
    }
    if (replacement !== "lru" && replacement !== "fifo" && replacement !== "random") {
      throw new ConfigurationError(
        `Tlb(replacement=${String(replacement)}): must be "lru", "fifo" or "random"`,
      );
    }
    this.sets = sets;
    this.ways = ways;
    this.replacement = replacement;
    this.invalidateOnFault = options.invalidateOnFault ?? true;
    this.tracer = options.tracer;
    this.setMask = sets - 1;
    const n = sets * ways;
    this.valid = new Uint8Array(n);
    this.tagLo = new Int32Array(n);
    this.tagHi = new Int32Array(n);
    this.pcid = new Uint16Array(n);
    this.frame = new Float64Array(n);
    this.flags = new Uint8Array(n);
    this.pkey = new Uint8Array(n);
    this.pageShift = new Uint8Array(n);
    this.key = new Int32Array(n);
    this.stamp = new Float64Array(n);
    this.fifoNext = new Uint32Array(sets);
    this.rng = (options.seed ?? 1) >>> 0 || 1;
  }

  /** Total entries (`sets × ways`). */
  get capacity(): number {
    return this.sets * this.ways;
  }

  /** A snapshot of the counters. */
  get stats(): TlbStats {
    return {
      hits: this.hits,
      misses: this.misses,
      fills: this.fills,
      evictions: this.evictions,
      invalidated: this.invalidated,
      invlpgs: this.invlpgs,
      invpcids: this.invpcids,
      flushes: this.flushes,
    };
  }

  /** Reset the counters (not the entries). */
  resetStats(): void {
    this.hits = this.misses = this.fills = this.evictions = 0;
    this.invalidated = this.invlpgs = this.invpcids = this.flushes = 0;
  }

  /**
   * Find the entry for the 4 KiB piece holding `(vhi, vlo)` usable under `pcid` (same PCID, or
   * global). Counts a hit or a miss and, for LRU, refreshes the entry's age. Hot path: no
   * allocation, no argument checks.
   * @returns the entry index (set × ways + way), or -1 on a miss.
   */
  lookup(pcid: number, vhi: number, vlo: number): number {
    const tagLo = (vlo >>> 12) | (vhi << 20);
    // The key a non-global entry of this page and PCID has; a global entry matches it with the
    // PCID bits ignored (SDM 4.10.2.4). One comparison of tagLo rejects most ways.
    const want = KEY_VALID | (pcid << 13) | ((vhi >> 12) & 0x1fff);
    const wantGlobal = (want & ~KEY_PCID) | KEY_GLOBAL;
    const base = (tagLo & this.setMask) * this.ways;
    const end = base + this.ways;
    const tags = this.tagLo;
    const keys = this.key;
    for (let w = base; w < end; w++) {
      if (tags[w] === tagLo) {
        const k = keys[w]!;
        if (k === want || (k & ~KEY_PCID) === wantGlobal) {
          this.hits++;
          this.stamp[w] = ++this.clock;
          return w;
        }
      }
    }
    ++this.clock;
    this.misses++;
    return -1;
  }

  /**
   * Cache a translation of the 4 KiB piece holding `(vhi, vlo)`, replacing a victim if the set is
   * full (first invalid way, else by the replacement policy).
   * @param frame - physical address of the 4 KiB piece.
   * @param flags - `TLB_*` bits (bits 7:5 are replaced by the level that `pageShift` gives).
   * @param pageShift - 12, 21 or 30: the size of the page it belongs to.
   * @returns the entry index used.
   */
  fill(
    pcid: number,
    vhi: number,
    vlo: number,
    frame: PhysAddr,
    flags: number,
    pkey: number,
    pageShift: number,
  ): number {
    const tagLo = (vlo >>> 12) | (vhi << 20);
    const base = (tagLo & this.setMask) * this.ways;
    const end = base + this.ways;
    let victim = -1;
    for (let w = base; w < end; w++) {
      if (this.valid[w] === 0) {
        victim = w;
        break;
      }
    }
    if (victim < 0) {
      victim = this.chooseVictim(base, end);
      this.evictions++;
    }
    this.valid[victim] = 1;
    this.tagLo[victim] = tagLo;
    this.tagHi[victim] = (vhi >> 12) & 0x1fff;
    this.pcid[victim] = pcid;
    this.frame[victim] = frame;
    this.flags[victim] = withLevel(flags, pageShift);
    this.pkey[victim] = pkey;
    this.pageShift[victim] = pageShift;
    this.key[victim] = keyOf(pcid, (vhi >> 12) & 0x1fff, flags);
    this.stamp[victim] = this.clock;
    this.fills++;
    return victim;
  }

  /** Drop entry `index` (used by the MMU when a refreshing walk faults). */
  invalidateEntry(index: number): void {
    if (this.valid[index] !== 0) {
      this.valid[index] = 0;
      this.key[index] = 0;
      this.invalidated++;
    }
  }

  /**
   * Replace what valid entry `index` caches for its page after a walk refreshed it (the MMU's
   * write to an entry whose D was clear walks again and stores the result here, SDM 4.8).
   */
  refreshEntry(index: number, frame: PhysAddr, flags: number, pkey: number, pageShift: number): void {
    this.frame[index] = frame;
    this.flags[index] = withLevel(flags, pageShift);
    this.pkey[index] = pkey;
    this.pageShift[index] = pageShift;
    this.key[index] = keyOf(this.pcid[index]!, this.tagHi[index]!, flags);
  }

  /**
   * INVLPG: drop every entry for the page containing `va` that belongs to `pcid` or is global
   * (SDM 4.10.4.1), including every cached piece of a large page.
   * @returns the number of entries dropped.
   * @throws {@link InvalidArgumentError} if `pcid` is not in 0..4095 or `va` is not a safe integer.
   */
  invlpg(pcid: number, va: VirtAddr): number {
    checkPcid("invlpg", pcid);
    if (!Number.isSafeInteger(va))
      throw new InvalidArgumentError(`invlpg(va=${String(va)}): not a virtual address`);
    this.invlpgs++;
    const dropped = this.dropPage(pcid, vaHigh(va), va >>> 0, true);
    this.tracer?.emit({ type: "tlb.invlpg", va, pcid, dropped });
    return dropped;
  }

  /**
   * Drop the entries for the page containing `(vhi, vlo)`, whatever size of page they came from:
   * the non-global entries of `pcid`, and the global entries (of any PCID) if `global`. INVLPG and a
   * page fault pass `global = true`; INVPCID type 0 passes `false` ("except global translations").
   * @returns the number dropped.
   */
  dropPage(pcid: number, vhi: number, vlo: number, global: boolean): number {
    const tagLo = (vlo >>> 12) | (vhi << 20);
    const tagHi = (vhi >> 12) & 0x1fff;
    let dropped = 0;
    for (let w = 0; w < this.valid.length; w++) {
      if (this.valid[w] === 0 || this.tagHi[w] !== tagHi) continue;
      if ((this.flags[w]! & TLB_GLOBAL) !== 0) {
        if (!global) continue;
      } else if (this.pcid[w] !== pcid) {
        continue;
      }
      const shift = this.pageShift[w]!;
      const ignore = shift === 12 ? 0 : shift === 21 ? 0x1ff : 0x3ffff;
      if (((this.tagLo[w]! ^ tagLo) & ~ignore) !== 0) continue;
      this.valid[w] = 0;
      this.key[w] = 0;
      dropped++;
    }
    this.invalidated += dropped;
    return dropped;
  }

  /**
   * INVPCID (SDM vol. 2, INVPCID): type 0 drops non-global entries of `pcid` for the page of `va`;
   * type 1 all non-global entries of `pcid`; type 2 everything, globals included; type 3 every
   * non-global entry.
   *
   * @param pcide - CR4.PCIDE of the executing CPU.
   * @returns `ok` with the number dropped, or the #GP(0) the instruction raises: type > 3, PCID >
   *   4095, a non-canonical `va` for type 0, or types 0/1 with PCIDE = 0 and PCID ≠ 0.
   */
  invpcid(type: number, pcid: number, va: VirtAddr, pcide: boolean, la57 = false): InvpcidResult {
    const gp = (reason: string): InvpcidResult => ({ kind: "general-protection", vector: 13, reason });
    if (type !== 0 && type !== 1 && type !== 2 && type !== 3)
      return gp(`INVPCID type ${String(type)} is not 0..3`);
    if (!Number.isInteger(pcid) || pcid < 0 || pcid > 0xfff)
      return gp(`descriptor PCID ${String(pcid)} > 4095`);
    if (type === 0 && !isCanonical(va, la57)) return gp(`type 0 with non-canonical address ${hex(va)}`);
    if ((type === 0 || type === 1) && !pcide && pcid !== 0) return gp(`PCID ${pcid} with CR4.PCIDE = 0`);
    this.invpcids++;
    let dropped: number;
    if (type === 0) {
      dropped = this.dropPage(pcid, vaHigh(va), va >>> 0, false);
    } else {
      dropped = this.dropWhere(
        (w) => type === 2 || ((this.flags[w]! & TLB_GLOBAL) === 0 && (type === 3 || this.pcid[w] === pcid)),
      );
    }
    this.tracer?.emit({ type: "tlb.flush", reason: `invpcid type ${type}`, dropped });
    return { kind: "ok", dropped };
  }

  /**
   * The TLB side of MOV to CR3 (SDM 4.10.4.1): with CR4.PCIDE = 0, drop every non-global entry;
   * with PCIDE = 1, drop the non-global entries of the new PCID, unless bit 63 of the source
   * (`noFlush`) is set, in which case nothing is dropped.
   * @returns the number of entries dropped.
   * @throws {@link InvalidArgumentError} if `newPcid` is not in 0..4095, or non-zero without PCIDE,
   *   or `noFlush` is set without PCIDE (bit 63 of CR3 is reserved then, SDM 4.5 Table 4-12).
   */
  writeCr3(pcide: boolean, newPcid: number, noFlush = false): number {
    checkPcid("writeCr3", newPcid);
    if (!pcide && newPcid !== 0) {
      throw new InvalidArgumentError(
        `writeCr3(pcid=${newPcid}): PCID must be 0 when CR4.PCIDE = 0 (SDM 4.10.1)`,
      );
    }
    if (!pcide && noFlush) {
      throw new InvalidArgumentError(
        "writeCr3(noFlush): bit 63 is reserved when CR4.PCIDE = 0 (SDM 4.5, Table 4-12 → #GP)",
      );
    }
    if (pcide && noFlush) return 0;
    this.flushes++;
    const dropped = this.dropWhere(
      (w) => (this.flags[w]! & TLB_GLOBAL) === 0 && (!pcide || this.pcid[w] === newPcid),
    );
    this.tracer?.emit({
      type: "tlb.flush",
      reason: pcide ? `cr3 write, pcid ${newPcid}` : "cr3 write",
      dropped,
    });
    return dropped;
  }

  /**
   * The TLB side of MOV to CR4 (SDM 4.10.4.1): changing PGE, or clearing PCIDE, drops everything
   * (globals included); setting SMEP drops the entries of the current PCID.
   * @param oldCr4 - CR4 before the write. @param newCr4 - CR4 after. @param currentPcid - CR3's PCID.
   * @returns the number of entries dropped.
   */
  writeCr4(oldCr4: number, newCr4: number, currentPcid: number): number {
    const PGE = 1 << 7;
    const PCIDE = 1 << 17;
    const SMEP = 1 << 20;
    let dropped = 0;
    if (((oldCr4 ^ newCr4) & PGE) !== 0 || ((oldCr4 & PCIDE) !== 0 && (newCr4 & PCIDE) === 0)) {
      dropped = this.flushAll("cr4 write (PGE or PCIDE)");
    } else if ((oldCr4 & SMEP) === 0 && (newCr4 & SMEP) !== 0) {
      this.flushes++;
      dropped = this.dropWhere((w) => this.pcid[w] === currentPcid);
      this.tracer?.emit({ type: "tlb.flush", reason: "cr4 write (SMEP set)", dropped });
    }
    return dropped;
  }

  /**
   * The TLB side of MOV to CR0: changing PG (bit 31) drops everything, globals included.
   * @returns the number of entries dropped.
   */
  writeCr0(oldCr0: number, newCr0: number): number {
    return ((oldCr0 ^ newCr0) & 0x80000000) !== 0 ? this.flushAll("cr0 write (PG)") : 0;
  }

  /** Drop every entry, globals included. @returns the number dropped. */
  flushAll(reason = "flush all"): number {
    this.flushes++;
    const dropped = this.dropWhere(() => true);
    this.tracer?.emit({ type: "tlb.flush", reason, dropped });
    return dropped;
  }

  /** Copies of the valid entries, in index order (for tests, dumps and teaching). */
  entries(): TlbEntryView[] {
    const out: TlbEntryView[] = [];
    for (let w = 0; w < this.valid.length; w++) {
      if (this.valid[w] === 0) continue;
      const f = this.flags[w]!;
      const tagLo = this.tagLo[w]! >>> 0;
      const tagHi = this.tagHi[w]!;
      const signed = tagHi & 0x1000 ? tagHi - 0x2000 : tagHi;
      out.push({
        set: Math.floor(w / this.ways),
        way: w % this.ways,
        va: signed * 2 ** 44 + tagLo * 4096,
        frame: this.frame[w]!,
        pcid: this.pcid[w]!,
        writable: (f & TLB_RW) !== 0,
        user: (f & TLB_US) !== 0,
        noExecute: (f & TLB_NX) !== 0,
        dirty: (f & TLB_DIRTY) !== 0,
        global: (f & TLB_GLOBAL) !== 0,
        protectionKey: this.pkey[w]!,
        pageShift: this.pageShift[w]!,
      });
    }
    return out;
  }

  /**
   * Check the invariants listed in the file banner.
   * @throws {@link InvariantError} describing the first broken one.
   */
  checkInvariants(): void {
    for (let w = 0; w < this.valid.length; w++) {
      if (this.valid[w] === 0) continue;
      const set = Math.floor(w / this.ways);
      if ((this.tagLo[w]! & this.setMask) !== set) {
        throw new InvariantError(
          `TLB entry ${w} (tag ${hex(this.tagLo[w]! >>> 0)}) is in set ${set}, not its own`,
        );
      }
      if (this.pcid[w]! > 0xfff) throw new InvariantError(`TLB entry ${w} has PCID ${this.pcid[w]}`);
      if (this.key[w] !== keyOf(this.pcid[w]!, this.tagHi[w]!, this.flags[w]!)) {
        throw new InvariantError(
          `TLB entry ${w}: match key ${hex(this.key[w]!)} does not match its tag, PCID and G`,
        );
      }
      const s = this.pageShift[w];
      if (s !== 12 && s !== 21 && s !== 30) throw new InvariantError(`TLB entry ${w} has page shift ${s}`);
      if (this.flags[w]! >>> TLB_LEVEL_SHIFT !== (s - 3) / 9) {
        throw new InvariantError(
          `TLB entry ${w}: flag level ${this.flags[w]! >>> TLB_LEVEL_SHIFT} for page shift ${s}`,
        );
      }
      for (let v = set * this.ways; v < w; v++) {
        if (
          this.valid[v] !== 0 &&
          this.tagLo[v] === this.tagLo[w] &&
          this.tagHi[v] === this.tagHi[w] &&
          this.pcid[v] === this.pcid[w]
        ) {
          throw new InvariantError(`TLB entries ${v} and ${w} cache the same page for PCID ${this.pcid[w]}`);
        }
      }
    }
  }

  private chooseVictim(base: number, end: number): number {
    if (this.replacement === "lru") {
      let victim = base;
      for (let w = base + 1; w < end; w++) if (this.stamp[w]! < this.stamp[victim]!) victim = w;
      return victim;
    }
    if (this.replacement === "fifo") {
      const set = base / this.ways;
      const w = base + this.fifoNext[set]!;
      this.fifoNext[set] = (this.fifoNext[set]! + 1) % this.ways;
      return w;
    }
    let x = this.rng;
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    this.rng = x >>> 0;
    return base + (this.rng % this.ways);
  }

  private dropWhere(pred: (w: number) => boolean): number {
    let dropped = 0;
    for (let w = 0; w < this.valid.length; w++) {
      if (this.valid[w] !== 0 && pred(w)) {
        this.valid[w] = 0;
        this.key[w] = 0;
        dropped++;
      }
    }
    this.invalidated += dropped;
    return dropped;
  }
}

/** Bits of {@link Tlb}'s match key: tagHi in 12:0, the PCID in 24:13, valid, global. */
const KEY_PCID = 0xfff << 13;
const KEY_VALID = 1 << 25;
const KEY_GLOBAL = 1 << 26;

/** `TLB_*` flags with bits 7:5 set to the level of a page of 2^pageShift bytes. */
function withLevel(flags: number, pageShift: number): number {
  const level = pageShift === 12 ? 1 : pageShift === 21 ? 2 : 3;
  return (flags & 0x1f) | (level << TLB_LEVEL_SHIFT);
}

/** The match key of a valid entry. Worked: PCID 3, tagHi 0, not global → 0x2006000. */
function keyOf(pcid: number, tagHi: number, flags: number): number {
  return KEY_VALID | ((flags & TLB_GLOBAL) !== 0 ? KEY_GLOBAL : 0) | (pcid << 13) | tagHi;
}

function checkPcid(call: string, pcid: number): void {
  if (!Number.isInteger(pcid) || pcid < 0 || pcid > 0xfff) {
    throw new InvalidArgumentError(`${call}(pcid=${String(pcid)}): a PCID is 12 bits, 0..4095 (SDM 4.10.1)`);
  }
}
