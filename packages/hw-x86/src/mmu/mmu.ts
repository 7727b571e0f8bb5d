/**
 * The MMU: translates a linear address the way the hardware does (Intel SDM chapter 4), with an
 * optional TLB in front.
 *
 * ```
 *  translate(ctx, va, access)
 *    │ non-canonical? ───────────────────────────────► #GP(0)          (SDM 3.3.7.1)
 *    │ TLB hit (PCID or global)? ── rights check ────► pa  or  #PF(P=1)
 *    ▼ miss
 *  walk: CR3 ─► PML4E ─► PDPTE ─► PDE ─► PTE           (PML5E first with CR4.LA57)
 *    each level: P=0 ───────────────────────────────► #PF(P=0)
 *                reserved bit set ──────────────────► #PF(P=1, RSVD=1)
 *                R/W &= , U/S &= , XD |=              (SDM 4.6: rights combine over levels)
 *                not a leaf: set A, descend
 *    leaf: rights check (CPL, CR0.WP, SMEP, SMAP+AC, NXE, PKRU) ─► #PF(P=1, …)
 *          set A (and D on a write), fill the TLB ─► pa
 * ```
 *
 * Access rights (SDM 4.6.1/4.6.2, with protection keys) are decided by `rights.ts`.
 *
 * Choices where the SDM leaves freedom (documented so a student can rely on them):
 * - **Accessed bits on a faulting walk.** Every present, well-formed non-leaf entry passed on the
 *   way down gets A = 1 *before* the walk knows whether it will fault; the entry that faults (not
 *   present, reserved bit) and a leaf that denies the access are left untouched. The SDM only
 *   promises that A is set on entries used for a *successful* translation (4.8).
 * - **D bit.** Set on the leaf for a write, only when the write is allowed; never set on non-leaf
 *   entries (D is ignored there).
 * - **The walker never clears A or D**, and stores an entry back only when it changes.
 * - **A TLB hit for a write whose entry has D = 0 walks again** to set D in memory (SDM 4.8), and
 *   refreshes the entry from that walk; if that walk faults the entry is dropped.
 * - **A table outside RAM** gives #MC (see fault.ts); paging structures in MMIO are not supported:
 *   a table in RAM that an MMIO region hides (the PCI hole) is read from that RAM, not from the
 *   device (the mapper refuses such frames).
 * - **A page fault drops the page's TLB entries** (SDM 4.10.4.1) unless the TLB was built with
 *   `invalidateOnFault: false`.
 *
 * Two APIs: {@link Mmu.translate} / {@link Mmu.walk} return a {@link TranslateResult} object (one
 * allocation per call); {@link Mmu.translateHalves} / {@link Mmu.walkHalves} take the address as
 * 32-bit halves and return the physical address or {@link FAULT} (-1), leaving the details in the
 * `last*` fields — the hot-path form the benchmarks use, with no object allocation.
 *
 * Related: `context.ts` (the CPU state read here), `rights.ts`, `fault.ts`, `../tlb/tlb.ts`,
 * `../paging/entry.ts` (the bit layout), `../paging/mapper.ts` (builds the tables).
 */
import type { PagingTraceEvent, Tracer } from "../api.js";
import { InvalidArgumentError, NonCanonicalAddressError } from "../errors.js";
import { FRAME_SIZE, type PhysAddr, TWO_POW_32 } from "../memory/address.js";
import type { PhysicalMemory } from "../memory/physical-memory.js";
import type { PageSize, PagingLevel, VirtAddr } from "../paging/virtual-address.js";
import { TLB_DIRTY, TLB_GLOBAL, TLB_LEVEL_SHIFT, TLB_NX, TLB_RW, TLB_US } from "../tlb/api.js";
import type { Tlb } from "../tlb/tlb.js";
import type { TranslationContext } from "./context.js";
import {
  Access,
  type AccessKind,
  type PageFaultReason,
  PF_I,
  PF_P,
  PF_PK,
  PF_RSVD,
  PF_U,
  PF_W,
  type TranslateResult,
} from "./fault.js";
import { checkRights } from "./rights.js";

/** The sentinel the halves API returns for any fault (details in the `last*` fields). */
export const FAULT = -1;

/** Options of {@link Mmu}. */
export interface MmuOptions {
  /** The physical memory holding the page tables. */
  readonly memory: PhysicalMemory;
  /** A TLB to consult and fill; without one every translation walks. Default: none. */
  readonly tlb?: Tlb;
  /** Receives `mmu.fault` events. Default: none. */
  readonly tracer?: Tracer<PagingTraceEvent>;
}

/**
 * Reserved low-half bits of a present entry, indexed by `level << 1 | PS` (SDM 4.5 tables): PS in
 * a PML4E or PML5E; bits 29:13 of a 1 GiB PDPTE; bits 20:13 of a 2 MiB PDE; none otherwise (in a
 * PTE bit 7 is PAT). Worked: a PDE with PS=1 is index 2·2+1 = 5 → 0x1fe000 = bits 20:13.
 */
const RSVD_LO = Int32Array.of(0, 0, 0, 0, 0, 0x1fe000, 0, 0x3fffe000, 1 << 7, 1 << 7, 1 << 7, 1 << 7);
/** The root segment of no context (keeps the field's type one kind of array). */
const NO_WORDS = new Int32Array(0);
const P = 1;
const A = 1 << 5;
const D = 1 << 6;
const PS = 1 << 7;
const G = 1 << 8;
/** Fields of {@link Mmu}'s packed `last` word (see there); its low byte is a TLB entry's flags. */
const LAST_TLB_HIT = 0x100;
/** The way translateHalves passes on when it did not look the TLB up (a TLB way is ≥ -1). */
const NOT_LOOKED_UP = -2;
const LAST_PKEY_SHIFT = 9;

/**
 * The hardware page walker (and TLB front end) of one CPU.
 *
 * @example
 * ```ts
 * const mmu = new Mmu({ memory, tlb: new Tlb() });
 * const r = mmu.translate(makeContext({ root: mapper.root, cpl: 3 }), 0x400123, Access.Write);
 * if (r.kind === "page-fault") console.log(describePageFaultErrorCode(r.errorCode), hex(r.cr2));
 * ```
 */
export class Mmu {
  /** The physical memory walked. */
  declare readonly memory: PhysicalMemory;
  /** The TLB in front of the walker, if any. */
  declare readonly tlb: Tlb | null;
  declare private readonly tracer: Tracer<PagingTraceEvent> | undefined;

  /** Vector of the last fault (14 #PF, 13 #GP, 18 #MC); meaningful after a {@link FAULT}. */
  lastVector = 0;
  /** Error code of the last fault. */
  lastErrorCode = 0;
  /** Classification of the last page fault. */
  lastReason: PageFaultReason = "not-present";
  /** CR2 of the last page fault, high half (signed). */
  lastCr2Hi = 0;
  /** CR2 of the last page fault, low half (unsigned). */
  get lastCr2Lo(): number {
    return this.cr2Lo >>> 0;
  }
  /**
   * The low half of CR2 as an int32. Kept signed so the field stays a small integer: an address
   * half at or above 2^31 stored unsigned is a double to V8, which would change this object's
   * layout at the first such fault and throw away the code compiled for it.
   */
  private cr2Lo = 0;
  /** Table address of the last machine check. */
  lastTableAddress: PhysAddr = 0;
  private walkCount = 0;
  /** Physical address of the last successful walk: bits 51:32, and bits 31:0 as an int32. */
  private paHi = 0;
  private paLo = 0;

  /**
   * The facts of the last translation packed in one word, so that the hot paths end with a single
   * store: bits 0–4 the TLB entry flags of the page (`TLB_RW`, `TLB_US`, `TLB_NX`, `TLB_DIRTY`,
   * `TLB_GLOBAL`: exactly what a fill stores), bits 5–7 the paging level of the leaf (or of the
   * entry where a fault stopped), bit 8 set when the TLB answered, bits 9–12 the protection key.
   * Worked: a 2 MiB writable user page found by a walk, D clear, key 0 → 0b010_00011 = 0x43.
   */
  private last = 1 << TLB_LEVEL_SHIFT;

  // Per-context constants, recomputed when a different context object comes in.
  private ctx: TranslationContext | null = null;
  private rootPfn = 0;
  private top = 4;
  private signShift = 15;
  private rsvdHi = 0;
  /** The current context if it can use the compact walker (4-level paging, no protection keys). */
  private fastCtx: TranslationContext | null = null;
  /**
   * The segment holding the current root table, the word where that table starts in it, and the
   * memory's `layoutVersion` when they were fetched: every walk starts at the root, and taking it
   * from here spares the compact walker the segment lookup (about a tenth of its time).
   */
  private rootWords: Int32Array = NO_WORDS;
  private rootBase = 0;
  private rootLayout = -1;
  /** The root's segment number in bits 31:28, with A, U/S, R/W and P: what walkUpper expects. */
  private rootTag = 0x21;
  /**
   * What an upper entry's high half must not have on the compact path: rsvdHi, every address bit
   * above 4 GiB (bits 51:32: that path follows tables below 4 GiB only) and XD (bit 63).
   */
  private hiBad = 0xfffff;
  /** G (bit 8) when CR4.PGE makes G meaningful, else 0. */
  private globalMask = 0;
  /**
   * The rights check of {@link checkRights} tabulated for the current context (without protection
   * keys): entry `access × 8 + (R/W | U/S << 1 | XD << 2)` holds the error-code bits, 0 if allowed.
   */
  private readonly denied = new Uint8Array(24);

  /** @param options - see {@link MmuOptions}. */
  constructor(options: MmuOptions) {
    this.memory = options.memory;
    this.tlb = options.tlb ?? null;
    this.tracer = options.tracer;
  }

  /**
   * Translate `va` for `access` as the CPU would: TLB first (if any), else a walk that sets A/D bits.
   * @returns the physical address and page size, or the fault (#PF, #GP, #MC) as a value.
   * @throws {@link NonCanonicalAddressError} only if `va` is not a safe integer (a library misuse;
   *   a non-canonical safe integer is a simulated #GP, returned).
   * @throws {@link InvalidArgumentError} if `access` is not 0, 1 or 2 ({@link Access}).
   */
  translate(ctx: TranslationContext, va: VirtAddr, access: AccessKind): TranslateResult {
    checkAccess("translate", access);
    const [hi, lo] = halves("translate", va);
    return this.result(this.translateHalves(ctx, hi, lo, access));
  }

  /**
   * Walk the page tables for `va`, bypassing (and not filling) the TLB. Same semantics otherwise.
   * @throws as {@link Mmu.translate}.
   */
  walk(ctx: TranslationContext, va: VirtAddr, access: AccessKind): TranslateResult {
    checkAccess("walk", access);
    const [hi, lo] = halves("walk", va);
    return this.result(this.walkHalves(ctx, hi, lo, access));
  }

  /**
   * Hot-path {@link Mmu.translate}: `vhi`/`vlo` are bits 63..32 (signed or unsigned) and 31..0 of
   * the address. Returns the physical address, or {@link FAULT} with the details in `last*`.
   * No allocation, no argument checks.
   */
  translateHalves(ctx: TranslationContext, vhi: number, vlo: number, access: AccessKind): number {
    // Only the common TLB hit is handled here (kept small so that V8 inlines it into the caller's
    // loop); misses, refused accesses, writes that must set D, protection keys and new contexts go
    // to translateSlow. That one returns a status and leaves the address in paHi/paLo, so every
    // address this returns is computed here, as a double in a register: a double returned by a
    // call is boxed, and every path that merges with it would be boxed too (see walkHalves). For
    // the same reason the fault value is written -1 here, not FAULT: a module constant is read
    // from the module's context as a tagged value, and one tagged input boxes the merge.
    // One comparison admits the common case: the current context, 4-level, no protection keys.
    const tlb = this.tlb;
    let w = NOT_LOOKED_UP;
    if (ctx === this.fastCtx && tlb !== null) {
      // Canonical: bits 63:47 all equal, i.e. vhi >> 15 is 0 or -1.
      if (((vhi >> 15) + 1) >>> 1 !== 0) {
        this.generalProtection(vhi, vlo);
        return -1; // FAULT
      }
      w = tlb.lookup(ctx.pcid, vhi, vlo);
      if (w >= 0) {
        // The entry's flags carry the page's level in bits 7:5 (TLB_LEVEL_SHIFT), as `last` does.
        // `access & ~(f >>> 3) & 1` is 1 for a write (1) to an entry whose D (bit 3) is clear.
        const f = tlb.flags[w]!;
        if ((this.denied[access * 8 + (f & 7)]! | (access & ~(f >>> 3) & 1)) === 0) {
          this.last = f | 0x100;
          return tlb.frame[w]! + (vlo & 0xfff);
        }
      }
    }
    return this.translateSlow(ctx, vhi, vlo, access, w) === 0
      ? this.paHi * 4294967296 + (this.paLo >>> 0) // 2^32 (a literal, see walkHalves)
      : -1; // FAULT
  }

  /**
   * {@link Mmu.translateHalves} for a miss, a hit that needs more than the common checks, a new
   * context, LA57, protection keys, or no TLB. `w` is the way the fast path found (-1 for a miss)
   * or NOT_LOOKED_UP. Returns as `walkTo` does.
   */
  private translateSlow(
    ctx: TranslationContext,
    vhi: number,
    vlo: number,
    access: AccessKind,
    w: number,
  ): number {
    const tlb = this.tlb;
    if (tlb === null) return this.walkTo(ctx, vhi, vlo, access);
    if (w === NOT_LOOKED_UP) {
      if (ctx !== this.ctx) this.prepare(ctx);
      if (((vhi >> this.signShift) + 1) >>> 1 !== 0) return this.generalProtection(vhi, vlo);
      w = tlb.lookup(ctx.pcid, vhi, vlo);
    }
    return w < 0 ? this.tlbMiss(tlb, ctx, vhi, vlo, access) : this.tlbHitSlow(tlb, w, ctx, vhi, vlo, access);
  }

  /**
   * A TLB miss: walk, and cache the translation if it succeeded (faults are never cached).
   * Returns as `walkTo` does.
   */
  private tlbMiss(tlb: Tlb, ctx: TranslationContext, vhi: number, vlo: number, access: AccessKind): number {
    if (this.walkTo(ctx, vhi, vlo, access) !== 0) return FAULT;
    const last = this.last;
    const frame = this.paHi * TWO_POW_32 + ((this.paLo & ~0xfff) >>> 0);
    tlb.fill(ctx.pcid, vhi, vlo, frame, last & 0xff, last >>> LAST_PKEY_SHIFT, this.lastPageShift);
    return 0;
  }

  /**
   * A TLB hit in full: the rights check against the cached R/W, U/S, XD (and PKRU), a #PF that
   * drops the page's entries, or a write to an entry whose D is clear, which walks again to set D
   * in memory (SDM 4.8) and refreshes the entry from that walk. Returns as `walkTo` does.
   */
  private tlbHitSlow(
    tlb: Tlb,
    w: number,
    ctx: TranslationContext,
    vhi: number,
    vlo: number,
    access: AccessKind,
  ): number {
    const f = tlb.flags[w]!;
    const denied = ctx.pke
      ? checkRights(ctx, access, f & TLB_RW, f & TLB_US, f & TLB_NX, tlb.pkey[w]!)
      : this.denied[access * 8 + (f & 7)]!;
    if (denied !== 0) {
      if (tlb.invalidateOnFault) tlb.dropPage(ctx.pcid, vhi, vlo, true);
      const reason = (denied & PF_PK) !== 0 ? "protection-key" : "protection";
      const level = ((f >>> TLB_LEVEL_SHIFT) & 7) as PagingLevel; // the cached page's level
      return this.pageFault(ctx, vhi, vlo, access, denied, reason, level);
    }
    if (access === Access.Write && (f & TLB_DIRTY) === 0) {
      if (this.walkTo(ctx, vhi, vlo, access) !== 0) {
        tlb.invalidateEntry(w);
        return FAULT;
      }
      const last = this.last;
      const frame = this.paHi * TWO_POW_32 + ((this.paLo & ~0xfff) >>> 0);
      tlb.refreshEntry(w, frame, last & 0xff, last >>> LAST_PKEY_SHIFT, this.lastPageShift);
      this.last = last | LAST_TLB_HIT;
      return 0;
    }
    this.last = f | LAST_TLB_HIT;
    const pa = tlb.frame[w]! + (vlo & 0xfff);
    this.paHi = Math.floor(pa / TWO_POW_32) | 0; // bits 51:32: an int32, so the field stays one
    this.paLo = pa | 0;
    return 0;
  }

  /**
   * Hot-path {@link Mmu.walk}: the full hardware walk of SDM 4.5 on address halves. Returns the
   * physical address or {@link FAULT}. Never reads or fills the TLB (but a fault still drops the
   * page's TLB entries when the TLB invalidates on faults).
   */
  walkHalves(ctx: TranslationContext, vhi: number, vlo: number, access: AccessKind): number {
    // Small enough for V8 to inline into the caller's loop: the walk itself (walkTo) returns a
    // small integer and leaves the address in two int32 fields, and the double is assembled here,
    // in the caller's code. A call returning the double would box it (a heap number per walk:
    // a physical address at or above 2 GiB is no small integer), and so would every path that
    // merges with it, the TLB hits of translateHalves included.
    // 4294967296 = 2^32, a literal: an imported constant is read from its module cell at each use.
    return this.walkTo(ctx, vhi, vlo, access) === 0 ? this.paHi * 4294967296 + (this.paLo >>> 0) : -1; // FAULT
  }

  /**
   * The walk of {@link Mmu.walkHalves}: returns 0 with the physical address in `paHi`/`paLo`, or
   * {@link FAULT} with the details in the `last*` fields.
   */
  private walkTo(ctx: TranslationContext, vhi: number, vlo: number, access: AccessKind): number {
    // Why two walkers. This one, the compact walker, is the common case only: a known 4-level
    // context without protection keys, a canonical address, a 4 KiB page, every entry present and
    // well formed, upper entries that grant everything (R/W, U/S, XD clear) with A already set,
    // every table in the root table's 256 MiB segment, and an access the page allows. Anything
    // else (a new context, LA57, PKE, a large page, a fault of any kind, a restrictive or
    // not-yet-accessed upper entry, a table elsewhere) goes to walkFull, which starts again from
    // CR3 and is the reference for every rule. Starting again is always safe: this walker stores
    // nothing before it has decided to finish.
    //
    // Why it is written this way. A walk is four dependent loads into tables spread over tens of
    // MiB, so its speed is how many walks the CPU keeps in flight at once, which is set by how
    // few instructions each walk costs between two table misses. The largest saving is the call:
    // V8 inlines a function into its caller's loop only while its bytecode is at most 460 bytes
    // and the caller's inlined total stays under 920 (TurboFan's max_inlined_bytecode_size and
    // ..._cumulative, with a 1.2 reserve per candidate). So the walk is two small functions,
    // this one (the PTE and the leaf) and walkUpper (the three upper levels), written to
    // compile to little bytecode: masks as locals, tests as truthiness, no level loop (a loop
    // of three levels is smaller still but as slow as a call). Inlined, the walk ran 1.2–1.3×
    // as fast as the same checks as one out-of-line function (docs/journal/hw-x86.md).
    // The facts of the translation leave in one packed store (`last`), decoded on demand.
    // biome-ignore lint/suspicious/noConfusingLabels: a labelled block is the one-exit bail-out above
    fast: if (ctx === this.fastCtx) {
      if (this.memory.layoutVersion !== this.rootLayout) break fast; // walkFull fetches the root again
      const up = this.walkUpper(vhi, vlo);
      if (up < 0) break fast;
      const words = this.rootWords;
      // PTE, index bits 20:12. Bit 7 is PAT here, not PS; no low bit is reserved.
      const slot = up | ((vlo >>> 11) & 0x3fe);
      const lo = words[slot]!;
      const hi = words[slot + 1]!;
      if (((lo ^ 1) & 1) | (hi & this.rsvdHi)) break fast;
      // The rights are the leaf's (walkUpper admits only upper entries that grant everything):
      // flags = R/W | U/S << 1 | XD << 2 indexes the tabulated rights check.
      const flags = ((lo >>> 1) & 3) | ((hi >>> 29) & 4);
      if (this.denied[(access << 3) | flags]) break fast; // walkFull raises the #PF
      this.walkCount++;
      const next = lo | 0x20 | ((access & 1) << 6); // A, and D for a write (SDM 4.8)
      if (next !== lo) words[slot] = next;
      // The packed facts in one store: D (bit 6) → TLB_DIRTY (bit 3); G (bit 8) → TLB_GLOBAL
      // (bit 4) through globalMask, which is G only when CR4.PGE is set; level 1 (bits 7:5);
      // the protection key (bits 62:59, hi bits 30:27) → bits 12:9.
      this.last =
        flags | ((next & 0x40) >>> 3) | ((lo & this.globalMask) >>> 4) | 0x20 | ((hi >>> 18) & 0x1e00);
      this.paHi = (hi << 12) >>> 12; // address bits 51:32
      this.paLo = ((lo ^ vlo) & -4096) ^ vlo; // the frame's bits 31:12, the offset's 11:0
      return 0;
    }
    return this.walkFull(ctx, vhi, vlo, access);
  }

  /**
   * The three upper levels of the compact walk (PML4E, PDPTE, PDE) for `walkTo`. Returns the PT's
   * first word in `rootWords`, or -1 to leave the walk to walkFull: a non-canonical address, or an
   * upper entry that is not the common kind (present, R/W, U/S and A set, PS and XD clear, no
   * reserved bit, its table below 4 GiB in the root's segment). Upper entries of that kind grant
   * everything, so the leaf's R/W, U/S and XD alone decide the rights (SDM 4.6.1: they combine by
   * AND and OR over the levels); our Mapper writes every upper entry so (`P | R/W | U/S`), as
   * Linux does for user tables. Kernel-only, read-only or no-execute directories take walkFull.
   * Reads only.
   */
  private walkUpper(vhi: number, vlo: number): number {
    const words = this.rootWords;
    const bad = this.hiBad;
    // One test per entry: bits 31:28 (the table's segment, pfn >>> 16 below 4 GiB), PS (7), A (5),
    // U/S (2), R/W (1) and P (0) masked by 0xf00000a7 must equal rootTag = segment << 28 | 0x27.
    // Worked: a PDE 0x0012_3027 (P RW US A, table 0x123) in segment 0 → 0x27 ^ 0x27 = 0.
    const tag = this.rootTag;
    const m = -268435289; // 0xf00000a7 as an int32
    const ix = 0x3fe; // a 9-bit index × 2: the entry's low word
    const tw = 0x3fffc00; // (pfn & 0xffff) << 10: a table's first word in its segment
    // PML4E, index bits 47:39 (SDM Figure 4-8). Also here: a non-canonical address (bits 63:47
    // not all equal, i.e. vhi >> 15 neither 0 nor -1).
    let slot = this.rootBase | ((vhi >>> 6) & ix);
    let lo = words[slot]!;
    if (((lo & m) ^ tag) | (words[slot + 1]! & bad) | (((vhi >> 15) + 1) >>> 1)) return -1;
    // PDPTE, index bits 38:30 (straddling the halves).
    slot = ((lo >>> 2) & tw) | (((vlo >>> 29) | (vhi << 3)) & ix);
    lo = words[slot]!;
    if (((lo & m) ^ tag) | (words[slot + 1]! & bad)) return -1;
    // PDE, index bits 29:21.
    slot = ((lo >>> 2) & tw) | ((vlo >>> 20) & ix);
    lo = words[slot]!;
    if (((lo & m) ^ tag) | (words[slot + 1]! & bad)) return -1;
    return (lo >>> 2) & tw;
  }

  /**
   * The reference walker: every case of SDM 4.5 (4 or 5 levels, protection keys, faults of every
   * kind, machine checks). `walkTo`'s compact path handles the common case and calls this for
   * the rest. Returns as `walkTo` does.
   */
  private walkFull(ctx: TranslationContext, vhi: number, vlo: number, access: AccessKind): number {
    if (ctx !== this.ctx) this.prepare(ctx);
    else if (this.memory.layoutVersion !== this.rootLayout) this.fetchRoot();
    const sign = vhi >> this.signShift;
    if (sign !== 0 && sign !== -1) return this.generalProtection(vhi, vlo);
    this.walkCount++;
    const memory = this.memory;
    const rsvdHi = this.rsvdHi;
    let pfn = this.rootPfn;
    let rw = 1;
    let us = 1;
    let nx = 0;
    // The 9-bit index of each level (SDM Figure 4-8); PDPT's straddles the halves (bits 38:30).
    const i1 = (vlo >>> 12) & 511;
    const i2 = (vlo >>> 21) & 511;
    const i3 = ((vlo >>> 30) | (vhi << 2)) & 511;
    const i4 = (vhi >>> 7) & 511;
    const i5 = (vhi >>> 16) & 511;
    for (let level = this.top; level >= 1; level--) {
      const words = memory.peekSegment(pfn);
      if (words === undefined) {
        if (!memory.isRamFrame(pfn)) return this.machineCheck(pfn, level as PagingLevel);
        return this.pageFault(ctx, vhi, vlo, access, 0, "not-present", level as PagingLevel);
      }
      // The 9-bit index of this level (SDM Figure 4-8); level 3 straddles the halves.
      const index = level === 1 ? i1 : level === 2 ? i2 : level === 3 ? i3 : level === 4 ? i4 : i5;
      // Entry `index` of frame pfn: words 2·index and 2·index+1 after the frame's start in its
      // segment (frameWordOffset, inlined).
      const slot = (index << 1) + ((pfn & 0xffff) << 10);
      const lo = words[slot]!;
      const hi = words[slot + 1]!;
      if ((lo & P) === 0)
        return this.pageFault(ctx, vhi, vlo, access, 0, "not-present", level as PagingLevel);
      const ps = lo & PS;
      // Reserved bits (SDM 4.5 tables): RSVD_LO by level and PS; address bits 51:MAXPHYADDR and
      // (without NXE) bit 63 at every level.
      if (((lo & RSVD_LO[(level << 1) | (ps >>> 7)]!) | (hi & rsvdHi)) !== 0) {
        return this.pageFault(ctx, vhi, vlo, access, PF_P | PF_RSVD, "reserved-bit", level as PagingLevel);
      }
      rw &= lo >>> 1;
      us &= lo >>> 2;
      nx |= hi >>> 31;
      if (level === 1 || (ps !== 0 && level <= 3)) {
        const pkey = (hi >>> 27) & 15;
        const denied = ctx.pke
          ? checkRights(ctx, access, rw, us, nx, pkey)
          : this.denied[access * 8 + ((rw & 1) | ((us & 1) << 1) | ((nx & 1) << 2))]!;
        if (denied !== 0) {
          return this.pageFault(
            ctx,
            vhi,
            vlo,
            access,
            denied,
            (denied & PF_PK) !== 0 ? "protection-key" : "protection",
            level as PagingLevel,
          );
        }
        const next = access === Access.Write ? lo | A | D : lo | A;
        if (next !== lo) words[slot] = next;
        let frameLo: number;
        let offset: number;
        if (level === 1) {
          frameLo = lo & 0xfffff000;
          offset = vlo & 0xfff;
        } else if (level === 2) {
          frameLo = lo & 0xffe00000;
          offset = vlo & 0x1fffff;
        } else {
          frameLo = lo & 0xc0000000;
          offset = vlo & 0x3fffffff;
        }
        this.last =
          (rw & 1) |
          ((us & 1) << 1) |
          ((nx & 1) << 2) |
          ((next & D) !== 0 ? TLB_DIRTY : 0) |
          ((lo & G) !== 0 && ctx.pge ? TLB_GLOBAL : 0) |
          (level << TLB_LEVEL_SHIFT) |
          (pkey << LAST_PKEY_SHIFT);
        this.paHi = hi & 0xfffff;
        this.paLo = frameLo | offset;
        return 0;
      }
      if ((lo & A) === 0) words[slot] = lo | A;
      // Next table's frame number, bits 51:12 of the entry. RAM ends below 1 TiB (pfn < 2^28), so a
      // high half ≥ 2048 cannot be RAM: keep pfn a small integer and let peekSegment reject it.
      const addrHi = hi & 0xfffff;
      pfn = addrHi < 2048 ? (addrHi << 20) | (lo >>> 12) : addrHi * 1048576 + (lo >>> 12);
    }
    return this.pageFault(ctx, vhi, vlo, access, 0, "not-present", 1); // not reached: level 1 is a leaf
  }

  /** Page size of the last successful translation. */
  get lastPageSize(): PageSize {
    return shiftToSize(this.lastPageShift);
  }

  /** Level at which the last walk stopped (fault) or found the leaf (success; also for a TLB hit). */
  get lastLevel(): PagingLevel {
    return ((this.last >>> TLB_LEVEL_SHIFT) & 7) as PagingLevel;
  }

  /** log2 of the page size of the last successful translation (12, 21 or 30). */
  get lastPageShift(): number {
    return 3 + 9 * ((this.last >>> TLB_LEVEL_SHIFT) & 7);
  }

  /** Whether the last successful translation came from the TLB. */
  get lastTlbHit(): boolean {
    return (this.last & LAST_TLB_HIT) !== 0;
  }

  /** Walks performed (TLB misses, D-bit refresh walks and direct walks, canonical ones only). */
  get walks(): number {
    return this.walkCount;
  }

  /** CR2 of the last page fault as a number (exact for every 48-bit address). */
  get lastCr2(): VirtAddr {
    return this.lastCr2Hi * TWO_POW_32 + (this.cr2Lo >>> 0);
  }

  // ── internals ─────────────────────────────────────────────────────────────────────────────────

  private prepare(ctx: TranslationContext): void {
    this.ctx = ctx;
    this.rootPfn = ctx.root / FRAME_SIZE;
    this.top = ctx.la57 ? 5 : 4;
    this.signShift = ctx.la57 ? 24 : 15;
    this.fastCtx = !ctx.la57 && !ctx.pke ? ctx : null;
    this.globalMask = ctx.pge ? G : 0;
    // Address bits 51:MAXPHYADDR live in hi bits 19:(MAXPHYADDR-32). Worked: 46 → 0xfc000.
    let rsvdHi = 0xfffff & ~((1 << (ctx.maxPhysAddr - 32)) - 1);
    if (!ctx.nxe) rsvdHi |= 0x80000000;
    this.rsvdHi = rsvdHi | 0;
    this.hiBad = rsvdHi | 0x800fffff;
    this.fetchRoot();
    for (let access = 0; access < 3; access++) {
      for (let f = 0; f < 8; f++) {
        this.denied[access * 8 + f] = checkRights(ctx, access as AccessKind, f & 1, f & 2, f & 4, 0);
      }
    }
  }

  /** Fetch the root table's segment for the compact walker (see `rootWords`). */
  private fetchRoot(): void {
    const memory = this.memory;
    const words = memory.peekSegment(this.rootPfn);
    // A root outside RAM or in a segment not yet created: the compact walker stays off (version
    // -1 never matches) and walkFull reports what the hardware would.
    this.rootWords = words ?? NO_WORDS;
    this.rootBase = (this.rootPfn & 0xffff) << 10;
    this.rootLayout = words === undefined ? -1 : memory.layoutVersion;
    // A root at or above 4 GiB (pfn ≥ 2^20) has a segment number bits 31:28 cannot hold: 0x20
    // (P clear) matches no present entry, so the compact path stays off and walkFull walks.
    this.rootTag = this.rootPfn < 1048576 ? ((this.rootPfn >>> 16) << 28) | 0x27 : 0x20;
  }

  private pageFault(
    ctx: TranslationContext,
    vhi: number,
    vlo: number,
    access: AccessKind,
    bits: number,
    reason: PageFaultReason,
    level: PagingLevel,
  ): number {
    let code = bits;
    if (access === Access.Write) code |= PF_W;
    if (ctx.cpl === 3) code |= PF_U;
    // SDM 4.7: I/D is reported for fetches only when SMEP or NXE is enabled.
    if (access === Access.Execute && (ctx.smep || ctx.nxe)) code |= PF_I;
    this.lastVector = 14;
    this.lastErrorCode = code;
    this.lastReason = reason;
    this.last = level << TLB_LEVEL_SHIFT;
    this.lastCr2Hi = vhi | 0;
    this.cr2Lo = vlo | 0;
    const tlb = this.tlb;
    if (tlb?.invalidateOnFault) tlb.dropPage(ctx.pcid, vhi, vlo, true);
    if (this.tracer !== undefined) {
      this.tracer.emit({ type: "mmu.fault", va: this.lastCr2, vector: 14, errorCode: code, reason });
    }
    return FAULT;
  }

  private generalProtection(vhi: number, vlo: number): number {
    this.lastVector = 13;
    this.lastErrorCode = 0;
    if (this.tracer !== undefined) {
      const va = Number(BigInt.asIntN(64, (BigInt(vhi >>> 0) << 32n) | BigInt(vlo >>> 0)));
      this.tracer.emit({ type: "mmu.fault", va, vector: 13, errorCode: 0, reason: "non-canonical" });
    }
    return FAULT;
  }

  private machineCheck(pfn: number, level: PagingLevel): number {
    this.lastVector = 18;
    this.lastErrorCode = 0;
    this.last = level << TLB_LEVEL_SHIFT;
    this.lastTableAddress = pfn * FRAME_SIZE;
    return FAULT;
  }

  private result(pa: number): TranslateResult {
    if (pa !== FAULT) return { kind: "ok", pa, pageSize: this.lastPageSize, tlbHit: this.lastTlbHit };
    if (this.lastVector === 13)
      return { kind: "general-protection", vector: 13, errorCode: 0, reason: "non-canonical" };
    if (this.lastVector === 18) {
      return {
        kind: "machine-check",
        vector: 18,
        tableAddress: this.lastTableAddress,
        level: this.lastLevel,
      };
    }
    return {
      kind: "page-fault",
      vector: 14,
      errorCode: this.lastErrorCode,
      cr2: this.lastCr2,
      reason: this.lastReason,
      level: this.lastLevel,
    };
  }
}

function shiftToSize(shift: number): PageSize {
  return shift === 12 ? 4096 : shift === 21 ? 2097152 : 1073741824;
}

/**
 * The object API's check of the access kind. The halves API does not check: an access kind
 * outside 0..2 would index past the tabulated rights and come out as a #PF without an error code.
 */
function checkAccess(call: string, access: AccessKind): void {
  if (access !== 0 && access !== 1 && access !== 2) {
    throw new InvalidArgumentError(
      `${call}(access=${String(access)}): an access is Access.Read (0), Access.Write (1) or Access.Execute (2)`,
    );
  }
}

function halves(call: string, va: VirtAddr): [number, number] {
  if (!Number.isSafeInteger(va)) {
    throw new NonCanonicalAddressError(
      `${call}(va=${String(va)}): not an exact virtual address (a safe integer; use translateHalves beyond ±2^53)`,
    );
  }
  return [Math.floor(va / TWO_POW_32) | 0, va >>> 0];
}
