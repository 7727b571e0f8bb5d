/**
 * The kernel-stack cache: fixed-size kernel stacks with an unmapped guard below each, carved from
 * a kernel virtual region, and kept mapped on a free list for reuse (jsix caches free stacks;
 * Lunaix puts a guard page under every stack).
 *
 * ```
 *   high addresses
 *   ┌───────────────┐ ← top: the initial stack pointer (stacks grow down)
 *   │ stack page 3  │  mapped: present, R/W, supervisor, XD, global
 *   │ stack page 2  │
 *   │ stack page 1  │
 *   │ stack page 0  │ ← base
 *   ├───────────────┤
 *   │ guard page    │  reserved in the region, never mapped: an overflow faults (not present)
 *   └───────────────┘ ← the range allocated from the virtual-range allocator
 *   low addresses
 * ```
 *
 * A stack overflow touches the guard and takes a #PF the kernel can recognise
 * ({@link KernelStackCache.classify}) instead of silently corrupting the memory below, which is
 * the whole point of the guard. Freed stacks go to the cache (still mapped, zeroed on reuse) up to
 * `cacheLimit`; beyond that they are unmapped, the caller-supplied `invalidate` runs for each
 * page (kernel mappings are global: every CPU must drop them), and the frames and the range go
 * back once every CPU acknowledged (`whenAcknowledged`; at once by default).
 *
 * Invariants ({@link KernelStackCache.checkInvariants}): every stack (live or cached) has its
 * stack pages mapped to its own frames and its guard pages unmapped; no two stacks overlap; live
 * and cached sets are disjoint.
 *
 * Related: `../vrange/` (the region allocators), hw-x86 `Mapper`.
 */
import { frameWordOffset, type Mapper, type PhysicalMemory, SEGMENT_FRAMES } from "@osbricks/hw-x86";
import { InvariantError, StackStateError, VmArgumentError } from "../errors.js";
import type { FrameAllocator } from "../frames/api.js";
import type { VirtualRangeAllocator } from "../vrange/api.js";

/** One kernel stack. */
export interface KernelStack {
  /** Lowest address of the range (the first guard page). */
  readonly rangeStart: number;
  /** Lowest usable address (just above the guard). */
  readonly base: number;
  /** One past the highest usable address: the initial stack pointer. */
  readonly top: number;
  /** The frames backing the stack pages, lowest page first. */
  readonly frames: readonly number[];
}

/** Options of {@link KernelStackCache}. */
export interface KernelStackCacheOptions {
  /** The kernel virtual region stacks are carved from. */
  readonly ranges: VirtualRangeAllocator;
  /** The kernel page tables. */
  readonly mapper: Mapper;
  /** Frames for the stack pages. */
  readonly frames: FrameAllocator;
  /** Memory, to zero a stack taken from the cache. */
  readonly memory: PhysicalMemory;
  /** Stack pages per stack. Default 4 (16 KiB, Linux x86-64's THREAD_SIZE). */
  readonly stackPages?: number;
  /** Guard pages below each stack. Default 1. */
  readonly guardPages?: number;
  /** Freed stacks kept mapped for reuse. Default 8. */
  readonly cacheLimit?: number;
  /** Invalidate the kernel translation of `va` on every CPU (a global INVLPG shootdown). Default: none. */
  readonly invalidate?: (va: number) => void;
  /**
   * Run `done` once every invalidation `invalidate` sent so far has been acknowledged by every
   * CPU (the MMU gather's rule, `../space/mmu-gather.ts`): an unmapped stack's frames and range
   * are given back only then, so no CPU that still caches the old translation can write into a
   * frame with a new owner. Default: at once (`invalidate` is synchronous).
   */
  readonly whenAcknowledged?: (done: () => void) => void;
}

/** Counters of a {@link KernelStackCache}. */
export interface KernelStackStats {
  /** Stacks handed out and not yet freed. */
  readonly live: number;
  /** Freed stacks kept mapped. */
  readonly cached: number;
  /** Allocations served from the cache. */
  readonly hits: number;
  /** Allocations that built a new stack. */
  readonly misses: number;
}

/**
 * A cache of guarded kernel stacks (see the file banner).
 *
 * @example
 * ```ts
 * const stacks = new KernelStackCache({
 *   ranges: new FirstFitRanges({ base: -(2 ** 39), size: 2 ** 26 }), mapper: kernelMapper, frames, memory,
 * });
 * const s = stacks.alloc()!;                 // 4 pages mapped, 1 guard page below
 * stacks.classify(s.base - 8);               // { kind: "guard", stack: s }: an overflow
 * stacks.free(s);                            // cached, still mapped
 * stacks.alloc() === s;                      // true: reused (and zeroed)
 * ```
 */
export class KernelStackCache {
  /** Stack pages per stack. */
  readonly stackPages: number;
  /** Guard pages per stack. */
  readonly guardPages: number;
  readonly #o: KernelStackCacheOptions;
  readonly #cacheLimit: number;
  readonly #live = new Map<number, KernelStack>();
  readonly #cache: KernelStack[] = [];
  #hits = 0;
  #misses = 0;

  /** @throws {@link VmArgumentError} for a page count or limit that is not a valid integer. */
  constructor(options: KernelStackCacheOptions) {
    this.#o = options;
    this.stackPages = options.stackPages ?? 4;
    this.guardPages = options.guardPages ?? 1;
    this.#cacheLimit = options.cacheLimit ?? 8;
    if (!Number.isInteger(this.stackPages) || this.stackPages < 1) {
      throw new VmArgumentError(`KernelStackCache(stackPages=${this.stackPages}): need at least one page`);
    }
    if (!Number.isInteger(this.guardPages) || this.guardPages < 0) {
      throw new VmArgumentError(`KernelStackCache(guardPages=${this.guardPages}): not a page count`);
    }
    if (!Number.isInteger(this.#cacheLimit) || this.#cacheLimit < 0) {
      throw new VmArgumentError(`KernelStackCache(cacheLimit=${this.#cacheLimit}): not a count`);
    }
  }

  /**
   * A stack: from the cache (zeroed) or newly built.
   * @returns the stack, or `null` when no virtual range or no frame is left (nothing is kept).
   */
  alloc(): KernelStack | null {
    const cached = this.#cache.pop();
    if (cached !== undefined) {
      this.#clear(cached.frames);
      this.#live.set(cached.base, cached);
      this.#hits++;
      return cached;
    }
    const { ranges, mapper, frames, memory } = this.#o;
    const total = (this.stackPages + this.guardPages) * 4096;
    const start = ranges.alloc(total);
    if (start === null) return null;
    const base = start + this.guardPages * 4096;
    const got: number[] = [];
    for (let i = 0; i < this.stackPages; i++) {
      const f = frames.alloc(0);
      const ok =
        f !== null &&
        mapper.map(base + i * 4096, f * 4096, 4096, {
          writable: true,
          user: false,
          noExecute: true,
          global: true,
        }).kind === "mapped";
      if (!ok) {
        if (f !== null) frames.free(f, 0);
        this.#release(start, base, got);
        return null;
      }
      memory.zeroFrame(f);
      got.push(f);
    }
    const stack: KernelStack = { rangeStart: start, base, top: base + this.stackPages * 4096, frames: got };
    this.#live.set(base, stack);
    this.#misses++;
    return stack;
  }

  /**
   * Give back a stack from {@link KernelStackCache.alloc}: cached while there is room, else unmapped.
   * @throws {@link StackStateError} when `stack` is not live in this cache (foreign, or freed twice).
   */
  free(stack: KernelStack): void {
    if (this.#live.get(stack.base) !== stack) {
      throw new StackStateError(
        `free(stack base=0x${stack.base.toString(16)}): not a live stack of this cache`,
      );
    }
    this.#live.delete(stack.base);
    if (this.#cache.length < this.#cacheLimit) this.#cache.push(stack);
    else this.#release(stack.rangeStart, stack.base, stack.frames);
  }

  /** Unmap and free every cached stack (memory pressure). @returns how many were released. */
  trim(): number {
    const n = this.#cache.length;
    for (const s of this.#cache.splice(0)) this.#release(s.rangeStart, s.base, s.frames);
    return n;
  }

  /**
   * What a kernel fault at `va` hit: a guard page of a stack (a stack overflow: kill the thread or
   * panic), a live stack's own page, or nothing of this cache.
   */
  classify(va: number): { kind: "guard" | "stack"; stack: KernelStack } | null {
    for (const s of this.#live.values()) {
      if (va >= s.rangeStart && va < s.base) return { kind: "guard", stack: s };
      if (va >= s.base && va < s.top) return { kind: "stack", stack: s };
    }
    return null;
  }

  /** Counters (see {@link KernelStackStats}). */
  stats(): KernelStackStats {
    return { live: this.#live.size, cached: this.#cache.length, hits: this.#hits, misses: this.#misses };
  }

  /** @throws {@link InvariantError} naming the first broken invariant (see the file banner). */
  checkInvariants(): void {
    const all = [...this.#live.values(), ...this.#cache];
    const sorted = [...all].sort((a, b) => a.rangeStart - b.rangeStart);
    for (let i = 1; i < sorted.length; i++) {
      if (sorted[i]!.rangeStart < sorted[i - 1]!.top)
        throw new InvariantError(`kernel stacks overlap at 0x${sorted[i]!.rangeStart.toString(16)}`);
    }
    for (const s of this.#cache)
      if (this.#live.get(s.base) === s)
        throw new InvariantError(`stack 0x${s.base.toString(16)} both live and cached`);
    for (const s of all) {
      for (let va = s.rangeStart; va < s.base; va += 4096) {
        if (this.#o.mapper.translate(va) !== null)
          throw new InvariantError(`guard page 0x${va.toString(16)} is mapped`);
      }
      s.frames.forEach((f, i) => {
        const t = this.#o.mapper.translate(s.base + i * 4096);
        if (t === null || t.pa !== f * 4096)
          throw new InvariantError(
            `stack page 0x${(s.base + i * 4096).toString(16)} does not map frame ${f}`,
          );
        if (!this.#o.frames.isAllocated(f)) throw new InvariantError(`stack frame ${f} is free`);
      });
    }
    this.#o.ranges.checkInvariants();
  }

  /**
   * Zero a reused stack, as Linux clears a cached stack before handing it out again (kernel/fork.c,
   * "Clear stale pointers from reused stack": one memset of THREAD_SIZE). When the frames are
   * consecutive within one RAM segment — the usual case: the buddy hands out the halves of a split
   * block in order — that is one `fill` over the segment's words; otherwise frame by frame.
   *
   * Worked: frames 0x1f4..0x1f7 → words 0x1f4·1024 = 0x7d000 up to 0x7e000 of segment 0, one fill
   * of 4096 words; frames 0x1f4, 0x3a0, … → four fills of 1024.
   */
  #clear(frames: readonly number[]): void {
    const memory = this.#o.memory;
    const n = frames.length;
    const first = frames[0]!;
    let run = 1;
    while (run < n && frames[run] === first + run) run++;
    if (run === n && Math.floor(first / SEGMENT_FRAMES) === Math.floor((first + n - 1) / SEGMENT_FRAMES)) {
      const off = frameWordOffset(first);
      memory.peekSegment(first)?.fill(0, off, off + n * 1024); // an unbacked segment reads as 0
      return;
    }
    for (let i = 0; i < n; i++) memory.zeroFrame(frames[i]!);
  }

  /**
   * Unmap the pages at `base` backed by `got`, then (once every CPU acknowledged the
   * invalidations) free them and the range from `start`.
   */
  #release(start: number, base: number, got: readonly number[]): void {
    const { ranges, mapper, frames } = this.#o;
    got.forEach((_f, i) => {
      const va = base + i * 4096;
      const r = mapper.unmap(va, 4096);
      if (r.kind === "unmapped" && r.flush.kind === "page") this.#o.invalidate?.(va);
    });
    const giveBack = (): void => {
      for (const f of got) frames.free(f, 0);
      ranges.free(start, (this.stackPages + this.guardPages) * 4096);
    };
    if (this.#o.whenAcknowledged !== undefined) this.#o.whenAcknowledged(giveBack);
    else giveBack();
  }
}
