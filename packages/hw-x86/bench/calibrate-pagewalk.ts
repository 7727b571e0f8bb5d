/**
 * How far is our MMU from what V8 can do at all on this workload? Builds the pagewalk baseline's
 * tables once (`pagewalk-workload.ts`), then times, alternately in one process, a plain-JavaScript
 * walk and TLB written the way the baselines' JS port is (one flat `Int32Array`, functions small
 * enough to be inlined into the loop, no model checks: no reserved bits, no #PF error code, no
 * contexts) and ours (`Mmu.walkHalves`, `Mmu.translateHalves` with a 16 × 4 LRU `Tlb`).
 *
 * Every pass does exactly the baseline's work: A and D are cleared in every table before it, so
 * each pass sets them as the first one did, and each pass must produce the baseline's checksum.
 * The first round is discarded (JIT warm-up); the figures are CPU-time medians of the others, so
 * they are warm rates, higher than the cold single pass that `baseline-pagewalk.ts` reports, and
 * less disturbed by other processes than wall-clock rates.
 *
 * Run: pnpm tsx --conditions=@osbricks/source packages/hw-x86/bench/calibrate-pagewalk.ts [rounds]
 */
import { Mmu, makeContext, Tlb } from "@osbricks/hw-x86";
import {
  accessType,
  buildPagewalkWorkload,
  drawHotMappings,
  EXPECTED,
  HOT_PCT,
  replayTlb,
  replayWalks,
  TLB_OPS,
  umod,
  WALKS,
  xorshift,
} from "./pagewalk-workload.js";

const ROUNDS = Number(process.argv[2] ?? 7);
const { memory, mapper, mva, rng: rngWalk } = buildPagewalkWorkload();
const ctx = makeContext({ root: mapper.root, cpl: 3, nxe: true, wp: true });
const tableFrames = mapper.tableFrames();
// All tables sit in the first segment (frames 1..8455 of 256 MiB), so the plain code indexes one
// flat array by frame number, as the baseline's JS port does.
const MEM = memory.peekSegment(1)!;
const ROOT = mapper.root / 4096;

/** Clear A (bit 5) and D (bit 6) in every entry of every table. */
function clearAccessedDirty(): void {
  for (const pfn of tableFrames) {
    const w = memory.frameWords(pfn);
    for (let k = 0; k < 1024; k += 2) w[k] = w[k]! & ~0x60;
  }
}

// ── the plain-JavaScript reference ─────────────────────────────────────────────────────────────

/** Leaf facts of the last plain walk, for the plain TLB's fill: R/W, XD, D. */
let plainLeaf = 0;

/** The baseline's walk, user mode: -1 on any fault. */
function plainWalk(vhi: number, vlo: number, acc: number): number {
  let t = ROOT;
  let rw = 1;
  let us = 1;
  let nx = 0;
  const mem = MEM;
  for (let l = 3; l >= 0; l--) {
    const idx =
      l === 0
        ? (vlo >>> 12) & 511
        : l === 1
          ? (vlo >>> 21) & 511
          : l === 2
            ? ((vlo >>> 30) | (vhi << 2)) & 511
            : (vhi >>> 7) & 511;
    const ea = t * 1024 + idx * 2;
    const lo = mem[ea]!;
    const hi = mem[ea + 1]!;
    if ((lo & 1) === 0) return -1;
    rw &= lo >>> 1;
    us &= lo >>> 2;
    nx |= hi >>> 31;
    if (l === 0 || (l === 1 && (lo & 0x80) !== 0)) {
      if ((us & 1) === 0 || (acc === 1 && (rw & 1) === 0) || (acc === 2 && nx !== 0)) return -1;
      const next = acc === 1 ? lo | 0x60 : lo | 0x20;
      if (next !== lo) mem[ea] = next;
      plainLeaf = (rw & 1) | ((nx & 1) << 1) | (((next >>> 6) & 1) << 2);
      const mask = l === 0 ? 0xfffff000 : 0xffe00000;
      return (hi & 0xfffff) * 4294967296 + ((lo & mask) >>> 0) + (vlo & ~mask);
    }
    if ((lo & 0x20) === 0) mem[ea] = lo | 0x20;
    t = lo >>> 12;
  }
  return -1;
}

// The baseline's TLB: 16 sets × 4 ways, set = VA bits 15:12, tag = the rest, LRU by a stamp.
const tValid = new Uint8Array(64);
const tTag = new Float64Array(64);
const tFrame = new Float64Array(64);
const tLeaf = new Uint8Array(64);
const tStamp = new Float64Array(64);
let tClock = 0;

function plainTranslate(vhi: number, vlo: number, acc: number): number {
  const tag = Math.floor((vhi * 1048576 + (vlo >>> 12)) / 16);
  const stamp = ++tClock;
  const base = ((vlo >>> 12) & 15) * 4;
  for (let w = base; w < base + 4; w++) {
    if (tValid[w] !== 0 && tTag[w] === tag) {
      tStamp[w] = stamp;
      const leaf = tLeaf[w]!;
      if ((acc === 1 && (leaf & 1) === 0) || (acc === 2 && (leaf & 2) !== 0)) return -1;
      if (acc === 1 && (leaf & 4) === 0) {
        if (plainWalk(vhi, vlo, acc) < 0) {
          tValid[w] = 0;
          return -1;
        }
        tLeaf[w] = leaf | 4;
      }
      return tFrame[w]! + (vlo & 0xfff);
    }
  }
  const pa = plainWalk(vhi, vlo, acc);
  if (pa < 0) return -1;
  let victim = -1;
  for (let w = base; w < base + 4; w++) {
    if (tValid[w] === 0) {
      victim = w;
      break;
    }
  }
  if (victim < 0) {
    victim = base;
    for (let w = base + 1; w < base + 4; w++) if (tStamp[w]! < tStamp[victim]!) victim = w;
  }
  tValid[victim] = 1;
  tTag[victim] = tag;
  tFrame[victim] = pa - (vlo & 0xfff);
  tLeaf[victim] = plainLeaf;
  tStamp[victim] = stamp;
  return pa;
}

// ── the plain timed loops: the baseline's draws, in functions of their own so that each call site
// stays monomorphic (a shared loop would inline one implementation and not the other); ours are
// the replay's own loops, `replayWalks` and `replayTlb` ───────────────────────────────────────────

function walkPassPlain(rng: number): number {
  const walks = WALKS;
  const nmap = 262208; // NMAP as a literal: V8 turns % by a literal into a multiply, else a div
  let s = rng;
  let h = 0;
  for (let i = 0; i < walks; i++) {
    s = xorshift(s);
    const mi = umod(s, nmap);
    s = xorshift(s);
    const off = s;
    s = xorshift(s);
    const acc = accessType(s);
    const lo = mva[2 * mi]!;
    const vlo = (lo & 1) !== 0 ? (lo & ~1) | (off & 0x1fffff) : lo | (off & 0xfff);
    const vhi = mva[2 * mi + 1]!;
    const pa = plainWalk(vhi, vlo, acc);
    if (pa >= 0) h = (Math.imul(h, 31) + ((pa >>> 0) ^ Math.floor(pa / 4294967296))) | 0;
  }
  return h >>> 0;
}

function tlbPassPlain(hot: Int32Array, rng: number): number {
  const ops = TLB_OPS;
  const nmap = 262208; // NMAP as a literal: V8 turns % by a literal into a multiply, else a div
  const hotPct = HOT_PCT;
  const hotPages = 24; // HOT_PAGES, a literal for the same reason
  let s = rng;
  let h = 0;
  for (let i = 0; i < ops; i++) {
    s = xorshift(s);
    let mi: number;
    if (umod(s, 100) < hotPct) {
      s = xorshift(s);
      mi = hot[umod(s, hotPages)]!;
    } else {
      s = xorshift(s);
      mi = umod(s, nmap);
    }
    s = xorshift(s);
    const off = s;
    s = xorshift(s);
    const acc = accessType(s);
    const lo = mva[2 * mi]!;
    const vlo = (lo & 1) !== 0 ? (lo & ~1) | (off & 0x1fffff) : lo | (off & 0xfff);
    const vhi = mva[2 * mi + 1]!;
    const pa = plainTranslate(vhi, vlo, acc);
    if (pa >= 0) h = (Math.imul(h, 31) + ((pa >>> 0) ^ Math.floor(pa / 4294967296))) | 0;
  }
  return h >>> 0;
}

// The TLB phase starts where the baseline's does: after the walk phase's 3 draws per walk and the
// hot mappings' draws.
let rngTlb = rngWalk;
for (let i = 0; i < 3 * WALKS; i++) rngTlb = xorshift(rngTlb);
const { hot, rng: rngHot } = drawHotMappings(rngTlb);

function cpuRate(n: number, run: () => number, expected: number, what: string): number {
  clearAccessedDirty();
  const c0 = process.cpuUsage();
  const h = run();
  const c = process.cpuUsage(c0);
  if (h !== expected) throw new Error(`${what}: checksum ${h}, expected ${expected}`);
  return n / ((c.user + c.system) / 1e6);
}

const rates: Record<string, number[]> = {
  "walk plain": [],
  "walk ours": [],
  "tlb plain": [],
  "tlb ours": [],
};
const walker = new Mmu({ memory });
for (let round = 0; round < ROUNDS; round++) {
  const r = [
    cpuRate(WALKS, () => walkPassPlain(rngWalk), EXPECTED.walkChecksum, "walk plain"),
    cpuRate(WALKS, () => replayWalks(walker, ctx, mva, rngWalk).h >>> 0, EXPECTED.walkChecksum, "walk ours"),
  ];
  tValid.fill(0);
  const tlbMmu = new Mmu({
    memory,
    tlb: new Tlb({ sets: 16, ways: 4, replacement: "lru", invalidateOnFault: false }),
  });
  r.push(
    cpuRate(TLB_OPS, () => tlbPassPlain(hot, rngHot), EXPECTED.tlbChecksum, "tlb plain"),
    cpuRate(
      TLB_OPS,
      () => replayTlb(tlbMmu, ctx, mva, hot, rngHot).h >>> 0,
      EXPECTED.tlbChecksum,
      "tlb ours",
    ),
  );
  if (round > 0) {
    Object.values(rates).forEach((list, k) => {
      list.push(r[k]!);
    });
  }
}
const median = (xs: number[]): number => xs.slice().sort((a, b) => a - b)[xs.length >> 1]!;
const out: Record<string, number> = {};
for (const [name, list] of Object.entries(rates)) out[name] = Math.round(median(list) / 1e4) / 100;
console.log(
  JSON.stringify({
    bench: "pagewalk-calibration",
    unit: "M ops per CPU second, median of warm passes",
    rounds: ROUNDS - 1,
    ...out,
    walk_ours_over_plain: Number((out["walk ours"]! / out["walk plain"]!).toFixed(2)),
    tlb_ours_over_plain: Number((out["tlb ours"]! / out["tlb plain"]!).toFixed(2)),
  }),
);
