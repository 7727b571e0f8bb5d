/**
 * Baseline benchmark 2 (pagewalk) replayed through osbricks' own classes: `PhysicalMemory` holds
 * the tables, `Mapper` builds them (metric `map`), `Mmu.walkHalves` does the full hardware walk
 * (metric `walk`) and `Mmu.translateHalves` with a 16 × 4 LRU `Tlb` in front does the TLB run
 * (metric `tlb`). The workload, PRNG call order and check values are those of
 * ../shared/baselines/README.md, section 2; the JSON line has the same shape with "impl":"ts".
 *
 * Differences that do not change the work: the walk also checks reserved bits and computes the
 * #PF error code (the C program does not), and the TLB is built with `invalidateOnFault: false`
 * because the baseline keeps an entry when a hit finds a protection fault (the SDM would drop it).
 *
 * Run: pnpm tsx --conditions=@osbricks/source packages/hw-x86/bench/baseline-pagewalk.ts
 */
import {
  Access,
  type AccessKind,
  FAULT,
  Mapper,
  Mmu,
  makeContext,
  PAGE_2M,
  PAGE_4K,
  PhysicalMemory,
  Tlb,
} from "@osbricks/hw-x86";

const MEM_BYTES = 256 * 2 ** 20;
const NREGIONS = 4096;
const PER_REGION = 64;
const N4K = NREGIONS * PER_REGION;
const N2M = 64;
const NMAP = N4K + N2M;
const WALKS = 10_000_000;
const TLB_OPS = 10_000_000;
const HOT_PAGES = 24;
const HOT_PCT = 95;
const SEED = 0x9a6e3a1b;
const DATA_PFN0 = 0x100000;
const HUGE_PA0 = 8 * 2 ** 30;

/** Marsaglia xorshift32 (13, 17, 5): the next state, which is also the drawn value. */
function xorshift(x: number): number {
  x ^= x << 13;
  x ^= x >>> 17;
  x ^= x << 5;
  return x >>> 0;
}
let rng = SEED;
function rnd(): number {
  rng = xorshift(rng);
  return rng;
}

function accessType(r: number): AccessKind {
  const u = r % 10;
  return u < 7 ? Access.Read : u < 9 ? Access.Write : Access.Execute;
}

const now = (): number => performance.now() / 1000;
/** CPU seconds of this process: reported in "info" because a loaded machine inflates wall time. */
const cpu = (): number => {
  const u = process.cpuUsage();
  return (u.user + u.system) / 1e6;
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

// Page-aligned VA of mapping i as 32-bit halves (as the baseline's JS port carries a VA): low half
// at 2i, with bit 0 set for a 2 MiB mapping (as the C program marks those), high half at 2i + 1.
// One interleaved array, like C's uint64_t mva[]: a random mapping costs one cache miss, where
// three parallel arrays cost three (measured: the bare replay loop ran at 29 ns per draw).
const mva = new Int32Array(2 * NMAP);
const mapper = new Mapper({ memory, frames });

/** The baseline's "ensure(va, 1) exists and is not present": no large page above, PD entry clear. */
function pdeFree(va: number): boolean {
  const path = mapper.walkPath(va);
  const last = path[path.length - 1]!;
  return last.level >= 2 && (last.lo & 1) === 0 && (last.level === 2 || (last.lo & 0x80) === 0);
}

const tm0 = now();
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
const tm1 = now();

const ctx = makeContext({ root: mapper.root, cpl: 3, nxe: true, wp: true });

// The timed loops are functions with the PRNG state in a local (not module-level code), so V8
// optimizes them like the baselines' JS port; the stream continues exactly across the phases.

/** (a) A full walk per access, uniform over all mappings. */
function timeWalks(walker: Mmu): { h: number; faults: number } {
  let s = rng;
  let h = 0;
  let faults = 0;
  for (let i = 0; i < WALKS; i++) {
    s = xorshift(s);
    const mi = (s % NMAP) >>> 0;
    s = xorshift(s);
    const off = s;
    s = xorshift(s);
    const acc = accessType(s);
    const lo = mva[2 * mi]!;
    const vlo = (lo & 1) !== 0 ? (lo & ~1) | (off & 0x1fffff) : lo | (off & 0xfff);
    const pa = walker.walkHalves(ctx, mva[2 * mi + 1]!, vlo, acc);
    if (pa !== FAULT) h = (Math.imul(h, 31) + ((pa >>> 0) ^ Math.floor(pa / 4294967296))) | 0;
    else faults++;
  }
  rng = s;
  return { h, faults };
}

/** (b) The TLB in front, skewed: HOT_PCT % of accesses go to HOT_PAGES mappings. */
function timeTlb(mmu: Mmu, hot: Uint32Array): { h: number; faults: number } {
  let s = rng;
  let h = 0;
  let faults = 0;
  for (let i = 0; i < TLB_OPS; i++) {
    s = xorshift(s);
    let mi: number;
    if ((s % 100) >>> 0 < HOT_PCT) {
      s = xorshift(s);
      mi = hot[(s % HOT_PAGES) >>> 0]!;
    } else {
      s = xorshift(s);
      mi = (s % NMAP) >>> 0;
    }
    s = xorshift(s);
    const off = s;
    s = xorshift(s);
    const acc = accessType(s);
    const lo = mva[2 * mi]!;
    const vlo = (lo & 1) !== 0 ? (lo & ~1) | (off & 0x1fffff) : lo | (off & 0xfff);
    const pa = mmu.translateHalves(ctx, mva[2 * mi + 1]!, vlo, acc);
    if (pa !== FAULT) h = (Math.imul(h, 31) + ((pa >>> 0) ^ Math.floor(pa / 4294967296))) | 0;
    else faults++;
  }
  rng = s;
  return { h, faults };
}

const t0 = now();
const c0 = cpu();
const walked = timeWalks(new Mmu({ memory }));
const t1 = now();
const c1 = cpu();

const hot = new Uint32Array(HOT_PAGES);
for (let k = 0; k < HOT_PAGES; k++) hot[k] = (rnd() % NMAP) >>> 0;
const tlb = new Tlb({ sets: 16, ways: 4, replacement: "lru", invalidateOnFault: false });
const t2 = now();
const c2 = cpu();
const translated = timeTlb(new Mmu({ memory, tlb }), hot);
const t3 = now();
const c3 = cpu();

const stats = tlb.stats;
const metric = (n: number, secs: number) => ({
  n,
  secs: Number(secs.toFixed(6)),
  ops_per_s: Number((n / secs).toFixed(1)),
});
console.log(
  JSON.stringify({
    bench: "pagewalk",
    impl: "ts",
    metrics: { map: metric(NMAP, tm1 - tm0), walk: metric(WALKS, t1 - t0), tlb: metric(TLB_OPS, t3 - t2) },
    check: {
      walk_checksum: walked.h >>> 0,
      walk_faults: walked.faults,
      tlb_checksum: translated.h >>> 0,
      tlb_faults: translated.faults,
      tlb_hits: stats.hits,
      tlb_misses: stats.misses,
      table_frames: mapper.tableCount,
    },
    info: {
      tlb_hit_rate: Number((stats.hits / (stats.hits + stats.misses)).toFixed(4)),
      page_table_bytes: mapper.tableCount * 4096,
      walk_cpu_ops_per_s: Math.round(WALKS / (c1 - c0)),
      tlb_cpu_ops_per_s: Math.round(TLB_OPS / (c3 - c2)),
    },
  }),
);
