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
import { Mmu, makeContext, Tlb } from "@osbricks/hw-x86";
import {
  buildPagewalkWorkload,
  drawHotMappings,
  NMAP,
  replayTlb,
  replayWalks,
  TLB_OPS,
  WALKS,
} from "./pagewalk-workload.js";

const now = (): number => performance.now() / 1000;
/** CPU seconds of this process: reported in "info" because a loaded machine inflates wall time. */
const cpu = (): number => {
  const u = process.cpuUsage();
  return (u.user + u.system) / 1e6;
};

const { memory, mapper, mva, rng: rngAfterSetup, mapSeconds } = buildPagewalkWorkload();
const ctx = makeContext({ root: mapper.root, cpl: 3, nxe: true, wp: true });

// The timed loops (`replayWalks`, `replayTlb` in pagewalk-workload.ts) continue the PRNG stream
// exactly across the phases.
const t0 = now();
const c0 = cpu();
const walked = replayWalks(new Mmu({ memory }), ctx, mva, rngAfterSetup);
const t1 = now();
const c1 = cpu();

const { hot, rng: rngHot } = drawHotMappings(walked.rng);
const tlb = new Tlb({ sets: 16, ways: 4, replacement: "lru", invalidateOnFault: false });
const t2 = now();
const c2 = cpu();
const translated = replayTlb(new Mmu({ memory, tlb }), ctx, mva, hot, rngHot);
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
    metrics: { map: metric(NMAP, mapSeconds), walk: metric(WALKS, t1 - t0), tlb: metric(TLB_OPS, t3 - t2) },
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
