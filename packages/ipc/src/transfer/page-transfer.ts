/**
 * Page transfer: move or share whole pages between address spaces by editing page tables instead
 * of copying bytes (os2's zero-copy messages; L4's grant and map; Mach's out-of-line memory).
 *
 * ```
 *  move  (L4 grant):  sender  VA s ──▶ frame F          sender  VA s   (not present, TLB shot down)
 *                     receiver VA d     (free)    ══▶   receiver VA d ──▶ frame F
 *  share (L4 map):    both map F afterwards; F's reference count + 1; the receiver may get fewer rights
 *  copy  (baseline):  receiver VA d ──▶ new frame F' ← 4096 bytes copied from F
 * ```
 *
 * Cost per page, which the benchmark (`bench/page-transfer.ts`) measures:
 *
 * | mode  | page-table writes | bytes copied | frames allocated | TLB work                        |
 * |-------|-------------------|--------------|------------------|---------------------------------|
 * | move  | 2 (clear + set)   | 0            | 0                | 1 invalidation in the sender*    |
 * | share | 1                 | 0            | 0                | none                            |
 * | copy  | 1                 | 4096         | 1                | none                            |
 *
 * \* batched: one shootdown round per transfer, whatever the page count; above the pmap's
 * threshold the round is a full flush of the sender's TLB entries instead of n INVLPGs.
 *
 * **All or nothing.** Every source page must be mapped and every destination slot free before
 * anything changes; if the receiver runs out of page-table frames midway, the pages already moved
 * go back, so a refused transfer leaves both spaces as they were (the stale-TLB rule still holds:
 * the sender's removed entries are flushed before the pages come back).
 *
 * The spaces are anything with the pmap operations of `@osbricks/vm` (`Pmap`: lookup, enter,
 * remove, flush), keyed by page-aligned virtual addresses.
 *
 * Related: `../api.ts` (IpcEvent "ipc.pages"), `@osbricks/vm` `space/pmap.ts`, `frames/refcount.ts`.
 */
import type { PhysicalMemory } from "@osbricks/hw-x86";
import type { FrameRefCounts } from "@osbricks/vm";
import type { IpcEvent, Tracer } from "../api.js";
import { IpcArgumentError } from "../errors.js";

/** Bytes per page. */
const PAGE = 4096;

/** Rights of a mapped page, as a pmap reads and writes them. */
export interface PageRights {
  readonly writable: boolean;
  readonly noExecute: boolean;
}

/** The page-table operations a transfer needs from an address space (`@osbricks/vm`'s `Pmap` has them). */
export interface TransferSpace {
  /** The present 4 KiB leaf of `va` (its frame and rights), or null. */
  lookup(va: number): (PageRights & { readonly frame: number }) | null;
  /** Map `va` to `frame`; false when no page-table frame was left (nothing changed). */
  enter(va: number, frame: number, rights: PageRights): boolean;
  /** Unmap `va`; returns the frame it mapped or -1. Leaves a pending TLB invalidation. */
  remove(va: number): number;
  /** Send the pending TLB invalidations (one shootdown round). */
  flush(): void;
}

/** Result of a transfer. Every refusal leaves both spaces unchanged. */
export type TransferResult =
  | { readonly kind: "ok"; readonly pages: number; readonly frames: readonly number[] }
  | { readonly kind: "not-mapped"; readonly va: number }
  | { readonly kind: "already-mapped"; readonly va: number }
  | { readonly kind: "out-of-memory"; readonly pagesDone: number };

/** What transfers have cost so far. */
export interface TransferStats {
  /** Pages moved, shared or copied. */
  readonly pages: number;
  /** Page-table leaf writes (sets and clears). */
  readonly pteWrites: number;
  /** Shootdown rounds requested of the sender (one per move). */
  readonly flushRounds: number;
  /** Bytes copied (copy mode only). */
  readonly bytesCopied: number;
  /** Frames allocated (copy mode only). */
  readonly framesAllocated: number;
}

/** Options of {@link PageTransfer}. */
export interface PageTransferOptions {
  /** Frame reference counts: required for `share` and `copy` (copy allocates through them). */
  readonly refs?: FrameRefCounts;
  /** Physical memory: required for `copy`. */
  readonly memory?: PhysicalMemory;
  /** Receives "ipc.pages" events. */
  readonly tracer?: Tracer<IpcEvent>;
}

/**
 * The page-transfer engine of one machine, with counters.
 * @example
 * const xfer = new PageTransfer({ refs, memory });
 * xfer.move(sender, 0x40_0000, receiver, 0x80_0000, 16);  // 16 pages, 0 bytes copied, 1 flush round
 * xfer.stats();                                            // { pages: 16, pteWrites: 32, flushRounds: 1, ... }
 */
export class PageTransfer {
  private pages = 0;
  private pteWrites = 0;
  private flushRounds = 0;
  private bytesCopied = 0;
  private framesAllocated = 0;

  constructor(private readonly options: PageTransferOptions = {}) {}

  /**
   * Move `count` pages from `src` at `srcVa` to `dst` at `dstVa`: unmapped from the sender (one TLB
   * shootdown round for the batch), mapped in the receiver with the same rights, or fewer when
   * `readOnly`. The frames keep their reference counts: ownership moves with the mapping.
   */
  move(
    src: TransferSpace,
    srcVa: number,
    dst: TransferSpace,
    dstVa: number,
    count: number,
    readOnly = false,
  ): TransferResult {
    const leaves = this.prepare("move", src, srcVa, dst, dstVa, count);
    if (!Array.isArray(leaves)) return leaves;
    const frames: number[] = [];
    for (let i = 0; i < count; i++) {
      const leaf = leaves[i]!;
      src.remove(srcVa + i * PAGE);
      const rights = { writable: leaf.writable && !readOnly, noExecute: leaf.noExecute };
      if (!dst.enter(dstVa + i * PAGE, leaf.frame, rights)) {
        src.flush();
        this.undo(src, srcVa, dst, dstVa, leaves, i);
        return { kind: "out-of-memory", pagesDone: i };
      }
      frames.push(leaf.frame);
    }
    src.flush();
    dst.flush();
    this.pages += count;
    this.pteWrites += 2 * count;
    this.flushRounds++;
    this.options.tracer?.emit({ type: "ipc.pages", mode: "move", pages: count });
    return { kind: "ok", pages: count, frames };
  }

  /**
   * Share `count` pages: the receiver maps the sender's frames too (each frame's reference count
   * + 1); the sender keeps its mappings. `readOnly` maps them read-only in the receiver.
   * @throws IpcArgumentError when no `refs` were given in the options.
   */
  share(
    src: TransferSpace,
    srcVa: number,
    dst: TransferSpace,
    dstVa: number,
    count: number,
    readOnly = false,
  ): TransferResult {
    const refs = this.options.refs;
    if (refs === undefined)
      throw new IpcArgumentError("share: PageTransfer needs `refs` (FrameRefCounts) in its options");
    const leaves = this.prepare("share", src, srcVa, dst, dstVa, count);
    if (!Array.isArray(leaves)) return leaves;
    const frames: number[] = [];
    for (let i = 0; i < count; i++) {
      const leaf = leaves[i]!;
      if (
        !dst.enter(dstVa + i * PAGE, leaf.frame, {
          writable: leaf.writable && !readOnly,
          noExecute: leaf.noExecute,
        })
      ) {
        for (let j = 0; j < i; j++) {
          dst.remove(dstVa + j * PAGE);
          refs.release(leaves[j]!.frame);
        }
        dst.flush();
        return { kind: "out-of-memory", pagesDone: i };
      }
      refs.share(leaf.frame);
      frames.push(leaf.frame);
    }
    dst.flush();
    this.pages += count;
    this.pteWrites += count;
    this.options.tracer?.emit({ type: "ipc.pages", mode: "share", pages: count });
    return { kind: "ok", pages: count, frames };
  }

  /**
   * The baseline zero-copy is measured against: allocate `count` fresh frames, copy 4 KiB into
   * each, map them in the receiver. The sender keeps its pages.
   * @throws IpcArgumentError when `refs` or `memory` is missing from the options.
   */
  copy(src: TransferSpace, srcVa: number, dst: TransferSpace, dstVa: number, count: number): TransferResult {
    const { refs, memory } = this.options;
    if (refs === undefined || memory === undefined) {
      throw new IpcArgumentError("copy: PageTransfer needs `refs` and `memory` in its options");
    }
    const leaves = this.prepare("copy", src, srcVa, dst, dstVa, count);
    if (!Array.isArray(leaves)) return leaves;
    const frames: number[] = [];
    for (let i = 0; i < count; i++) {
      const leaf = leaves[i]!;
      const f = refs.alloc();
      if (
        f === null ||
        !dst.enter(dstVa + i * PAGE, f, { writable: leaf.writable, noExecute: leaf.noExecute })
      ) {
        if (f !== null) refs.release(f);
        for (let j = 0; j < i; j++) {
          dst.remove(dstVa + j * PAGE);
          refs.release(frames[j]!);
        }
        dst.flush();
        return { kind: "out-of-memory", pagesDone: i };
      }
      memory.copyFrame(f, leaf.frame);
      frames.push(f);
    }
    dst.flush();
    this.pages += count;
    this.pteWrites += count;
    this.bytesCopied += count * PAGE;
    this.framesAllocated += count;
    this.options.tracer?.emit({ type: "ipc.pages", mode: "copy", pages: count });
    return { kind: "ok", pages: count, frames };
  }

  /** The counters so far. */
  stats(): TransferStats {
    return {
      pages: this.pages,
      pteWrites: this.pteWrites,
      flushRounds: this.flushRounds,
      bytesCopied: this.bytesCopied,
      framesAllocated: this.framesAllocated,
    };
  }

  /** Validate arguments and both spaces; returns the source leaves, or the refusal. */
  private prepare(
    call: string,
    src: TransferSpace,
    srcVa: number,
    dst: TransferSpace,
    dstVa: number,
    count: number,
  ): Array<PageRights & { readonly frame: number }> | TransferResult {
    for (const [name, va] of [
      ["srcVa", srcVa],
      ["dstVa", dstVa],
    ] as const) {
      if (!Number.isInteger(va) || va < 0 || va % PAGE !== 0) {
        throw new IpcArgumentError(`${call}(${name}=0x${va.toString(16)}): expected a page-aligned address`);
      }
    }
    if (!Number.isInteger(count) || count < 1)
      throw new IpcArgumentError(`${call}(count=${count}): expected an integer ≥ 1`);
    if (src === dst && Math.abs(srcVa - dstVa) < count * PAGE) {
      throw new IpcArgumentError(`${call}: source and destination ranges overlap in one space`);
    }
    const leaves: Array<PageRights & { readonly frame: number }> = [];
    for (let i = 0; i < count; i++) {
      const leaf = src.lookup(srcVa + i * PAGE);
      if (leaf === null) return { kind: "not-mapped", va: srcVa + i * PAGE };
      leaves.push(leaf);
    }
    for (let i = 0; i < count; i++) {
      if (dst.lookup(dstVa + i * PAGE) !== null) return { kind: "already-mapped", va: dstVa + i * PAGE };
    }
    return leaves;
  }

  /** Put the first `done` moved pages back where they came from (after the sender's flush). */
  private undo(
    src: TransferSpace,
    srcVa: number,
    dst: TransferSpace,
    dstVa: number,
    leaves: ReadonlyArray<PageRights & { readonly frame: number }>,
    done: number,
  ): void {
    for (let j = 0; j <= done; j++) {
      if (j < done) dst.remove(dstVa + j * PAGE);
      const leaf = leaves[j]!;
      src.enter(srcVa + j * PAGE, leaf.frame, { writable: leaf.writable, noExecute: leaf.noExecute });
    }
    dst.flush();
  }
}
