/**
 * The setup of baseline benchmark 2 (pagewalk), shared by the replay (`baseline-pagewalk.ts`) and
 * the calibration (`calibrate-pagewalk.ts`): 4096 random 2 MiB regions of 64 random 4 KiB pages
 * plus 64 huge pages, built through our `Mapper` in a 256 MiB `PhysicalMemory`, with the PRNG call
 * order of ../shared/baselines/README.md, section 2. Both scripts then continue the same stream.
 *
 * Timed loops import only functions and numbers from here and copy the numbers into locals: an
 * imported binding is a live cell that V8 reloads and checks at every use inside a loop.
 */
import {
  Access,
  type AccessKind,
  Mapper,
  type Mmu,
  PAGE_2M,
  PAGE_4K,
  PhysicalMemory,
  type TranslationContext,
} from "@osbricks/hw-x86";

export const MEM_BYTES = 256 * 2 ** 20;
const NREGIONS = 4096;
const PER_REGION = 64;
const N2M = 64;
/** Mappings: 2^18 4 KiB pages and 64 huge pages. */
export const NMAP = NREGIONS * PER_REGION + N2M;
export const WALKS = 10_000_000;
export const TLB_OPS = 10_000_000;
export const HOT_PAGES = 24;
export const HOT_PCT = 95;
const SEED = 0x9a6e3a1b;
const DATA_PFN0 = 0x100000;
const HUGE_PA0 = 8 * 2 ** 30;

// The timed loops write NMAP, HOT_PAGES, HOT_PCT and the access kinds as literals at the point of
// use (a divisor V8 can see is a constant becomes a multiply, as gcc makes of C's `% NMAP`; a copy
// of a module constant stays an unknown and costs a 32-bit div, about 26 cycles ahead of every
// mapping's load). Not even a local `const n = 262208` before the loop will do: each replay is one
// call of a 10M-iteration loop, so V8 compiles it on-stack (OSR), and OSR code takes every local
// defined before the loop from the interpreter's frame as an unknown value. Keep them in step:
if (NMAP !== 262208 || HOT_PAGES !== 24 || HOT_PCT !== 95) {
  throw new Error("pagewalk workload: update the literals");
}
if (Access.Read !== 0 || Access.Write !== 1 || Access.Execute !== 2) {
  throw new Error("pagewalk workload: accessType's literals no longer match Access");
}

/** The baseline's expected check values (README section 2). */
export const EXPECTED = {
  walkChecksum: 2339775047,
  walkFaults: 749936,
  tlbChecksum: 3353491415,
  tlbFaults: 788314,
  tableFrames: 8455,
} as const;

/**
 * Marsaglia xorshift32 (13, 17, 5): the next state, which is also the drawn value, as an int32
 * (the same 32 bits as C's uint32; take `>>> 0` where the unsigned value matters, as in a modulus).
 * An int32 state stays in a register; a uint32 above 2^31 is no small integer to V8, and a loop
 * carrying one keeps it as a double or boxes it.
 */
export function xorshift(x: number): number {
  x ^= x << 13;
  x ^= x >>> 17;
  x ^= x << 5;
  return x;
}

/**
 * C's `r % n` on uint32s. Both operands unsigned and the result truncated: V8 then emits one
 * integer division. With an `n` it cannot prove non-zero (any `n` not written as a literal in the
 * loop, e.g. a copy of an imported constant) and no truncation, `%` may give NaN and compiles to
 * an x87 `fprem` loop, which took a sixth of the TLB phase (`perf annotate`).
 */
export function umod(r: number, n: number): number {
  return ((r >>> 0) % (n >>> 0)) | 0;
}

/**
 * The access of a draw: `r % 10` below 7 reads (`Access.Read`, 0), below 9 writes (1), else
 * executes (2), i.e. `(u ≥ 7) + (u ≥ 9)`. Computed without a branch, as gcc compiles the C
 * program's `u < 7 ? R : (u < 9 ? W : X)` (setcc/cmov): `(6 − u) >>> 31` is 1 exactly when
 * u ≥ 7 (worked: u = 8 → −2 >>> 31 = 1; u = 6 → 0). Written as two conditionals, V8 emitted two
 * branches that a random draw mispredicts about one time in three, each flushing the work the CPU
 * had started on the next translation: TLB phase about 10 % faster without them (one process,
 * eight alternations). The values are `Access`'s, checked when the module loads; `Access.Read`
 * itself was reloaded and checked three times per draw (module cell, hole check, map check).
 */
export function accessType(r: number): AccessKind {
  const u = umod(r, 10);
  return (((6 - u) >>> 31) + ((8 - u) >>> 31)) as AccessKind;
}

/** What the setup leaves for the timed phases. */
export interface PagewalkWorkload {
  readonly memory: PhysicalMemory;
  readonly mapper: Mapper;
  /**
   * Page-aligned VA of mapping i as 32-bit halves: low half at 2i, with bit 0 set for a 2 MiB
   * mapping (as the C program marks those), high half at 2i + 1. One interleaved array, like C's
   * `uint64_t mva[]`: a random mapping costs one cache miss, where parallel arrays cost several.
   */
  readonly mva: Int32Array;
  /** PRNG state after the setup's draws: the timed phases continue from it. */
  readonly rng: number;
  /** Wall seconds of the mapping loop (metric `map`). */
  readonly mapSeconds: number;
}

/** Build the tables and the mapping list exactly as the baseline does. */
export function buildPagewalkWorkload(): PagewalkWorkload {
  let rng = SEED;
  const rnd = (): number => {
    rng = xorshift(rng);
    return rng;
  };
  // Memory: backed and touched before timing, as the baseline's xmalloc does.
  const memory = new PhysicalMemory({ size: MEM_BYTES });
  let nextFrame = 1;
  const frames = {
    allocFrame: (): number | null => (nextFrame * 4096 + 4096 > MEM_BYTES ? null : nextFrame++),
    freeFrame: (): void => {
      throw new Error("the pagewalk workload never frees a table");
    },
  };
  for (let pfn = 0; pfn < 9000; pfn++) memory.frameWords(pfn).fill(1);
  for (let pfn = 0; pfn < 9000; pfn++) memory.frameWords(pfn).fill(0);
  const mva = new Int32Array(2 * NMAP);
  const mapper = new Mapper({ memory, frames });

  /** The baseline's "ensure(va, 1) exists and is not present": no large page above, PD entry clear. */
  const pdeFree = (va: number): boolean => {
    const path = mapper.walkPath(va);
    const last = path[path.length - 1]!;
    return last.level >= 2 && (last.lo & 1) === 0 && (last.level === 2 || (last.lo & 0x80) === 0);
  };

  const t0 = performance.now();
  let m = 0;
  for (let g = 0; g < NREGIONS; g++) {
    let region: number;
    for (;;) {
      region = (rnd() & (2 ** 26 - 1)) * 2 ** 21;
      if (pdeFree(region)) break;
    }
    for (let k = 0; k < PER_REGION; k++) {
      let va: number;
      do va = region + (rnd() & 511) * 4096;
      while (mapper.translate(va) !== null);
      const f = rnd();
      const flags = { user: true, writable: (f & 3) !== 0, noExecute: ((f >>> 2) & 3) === 0 };
      const r = mapper.map(va, (DATA_PFN0 + m) * 4096, PAGE_4K, flags);
      if (r.kind !== "mapped") throw new Error(`setup: ${r.kind}`);
      mva[2 * m] = va | 0;
      mva[2 * m + 1] = Math.floor(va / 2 ** 32);
      m++;
    }
  }
  for (let j = 0; j < N2M; j++) {
    for (;;) {
      const va = (rnd() & (2 ** 26 - 1)) * 2 ** 21;
      const r = mapper.map(va, HUGE_PA0 + j * 2 ** 21, PAGE_2M, { writable: true, user: true });
      if (r.kind === "mapped") {
        mva[2 * m] = va | 1;
        mva[2 * m + 1] = Math.floor(va / 2 ** 32);
        m++;
        break;
      }
    }
  }
  const mapSeconds = (performance.now() - t0) / 1000;
  return { memory, mapper, mva, rng, mapSeconds };
}

/** The 24 hot mappings of the TLB phase, drawn from `rng`; returns them and the next state. */
export function drawHotMappings(rng: number): { hot: Int32Array; rng: number } {
  // Int32Array, not Uint32Array: a Uint32Array element is a double to V8 until proven small.
  const hot = new Int32Array(HOT_PAGES);
  let s = rng;
  for (let k = 0; k < HOT_PAGES; k++) {
    s = xorshift(s);
    hot[k] = umod(s, NMAP);
  }
  return { hot, rng: s };
}

// ── the timed loops through our MMU, shared by the replay and the calibration ─────────────────
//
// Functions with the PRNG state and the workload's numbers in locals (not module-level code or
// imported bindings), so V8 optimizes them like the baselines' JS port. The VA and checksum lines
// are written out in each loop on purpose: moved into two small shared functions (inlined, same
// draws, same checksums), the walk phase ran about 7 % slower in six alternating process pairs.

/** (a) A full walk per access, uniform over all mappings. */
export function replayWalks(
  walker: Mmu,
  ctx: TranslationContext,
  mva: Int32Array,
  rng: number,
): { h: number; faults: number; rng: number } {
  const walks = WALKS;
  let s = rng;
  let h = 0;
  let faults = 0;
  for (let i = 0; i < walks; i++) {
    s = xorshift(s);
    const mi = umod(s, 262208); // NMAP, a literal here (see the top of the file)
    s = xorshift(s);
    const off = s;
    s = xorshift(s);
    const acc = accessType(s);
    const lo = mva[2 * mi]!;
    const vlo = (lo & 1) !== 0 ? (lo & ~1) | (off & 0x1fffff) : lo | (off & 0xfff);
    const pa = walker.walkHalves(ctx, mva[2 * mi + 1]!, vlo, acc);
    // -1 is FAULT, a literal: an imported constant is a tagged cell, unboxed at every compare.
    if (pa !== -1) h = (Math.imul(h, 31) + ((pa >>> 0) ^ Math.floor(pa / 4294967296))) | 0;
    else faults++;
  }
  return { h, faults, rng: s };
}

/** (b) The TLB in front, skewed: HOT_PCT % of accesses go to HOT_PAGES mappings. */
export function replayTlb(
  mmu: Mmu,
  ctx: TranslationContext,
  mva: Int32Array,
  hot: Int32Array,
  rng: number,
): { h: number; faults: number } {
  const ops = TLB_OPS;
  let s = rng;
  let h = 0;
  let faults = 0;
  // NMAP, HOT_PAGES and HOT_PCT are literals at their use (see the top of the file).
  for (let i = 0; i < ops; i++) {
    s = xorshift(s);
    let mi: number;
    if (umod(s, 100) < 95) {
      s = xorshift(s);
      mi = hot[umod(s, 24)]!;
    } else {
      s = xorshift(s);
      mi = umod(s, 262208);
    }
    s = xorshift(s);
    const off = s;
    s = xorshift(s);
    const acc = accessType(s);
    const lo = mva[2 * mi]!;
    const vlo = (lo & 1) !== 0 ? (lo & ~1) | (off & 0x1fffff) : lo | (off & 0xfff);
    const pa = mmu.translateHalves(ctx, mva[2 * mi + 1]!, vlo, acc);
    if (pa !== -1) h = (Math.imul(h, 31) + ((pa >>> 0) ^ Math.floor(pa / 4294967296))) | 0;
    else faults++;
  }
  return { h, faults };
}
