/**
 * Baseline benchmark 4 (../shared/baselines/README.md, "cowfork"), replayed through osbricks:
 * the page tables and pages live in `@osbricks/hw-x86`'s `PhysicalMemory`; fork uses `cowCopyTree`
 * / `eagerCopyTree` and write faults `cowWriteFault` from `src/cow/pte-cow.ts`. The refcount
 * strategy of an address space runs the same leaf code and the same fault function; its fork goes
 * through `cowCopyRange`, which builds the child's tables with the space's hw-x86 `Mapper`
 * (about 2 µs per page table more, for the mapper's bookkeeping).
 *
 * What is the workload's own and therefore written here, as the baseline defines it: the frame
 * stack (pops 1, 2, 3, …, so frame numbers and the checksum match the C program), the parent's
 * setup, the user store (a 4-level walk that sets A and D as the MMU would), the teardown order
 * and `parent_restore`. Prints the baseline's JSON line with "impl":"ts".
 *
 * Run: pnpm tsx --conditions=@osbricks/source packages/vm/bench/baseline-cowfork.ts
 */
import {
  frameWordOffset,
  PTE_A as HW_A,
  PTE_D as HW_D,
  PTE_P as HW_P,
  PTE_RW as HW_RW,
  PTE_US as HW_US,
  PhysicalMemory,
} from "@osbricks/hw-x86";
import {
  type CountedFrames,
  cowCopyTree,
  cowWriteFault,
  eagerCopyTree,
  type PteCowContext,
  PTE_COW as VM_COW,
} from "../src/cow/pte-cow.js";

// Module-local copies of the entry bits: V8 folds a module-local const into the code, but reloads
// and TDZ-checks an imported binding at every use (see src/cow/pte-cow.ts).
const PTE_P = HW_P;
const PTE_RW = HW_RW;
const PTE_US = HW_US;
const PTE_A = HW_A;
const PTE_D = HW_D;
const PTE_COW = VM_COW;

const NPAGES = 65536;
const NVMAS = 4;
const VMA_PAGES = NPAGES / NVMAS;
const NFRAMES = 2 * NPAGES + 4096;
const EAGER_ITERS = 10;
const COW_ITERS = 200;
const WRITES = Math.floor(NPAGES / 100);
const SEED = 0xc0f0f0c5;

let rng = SEED | 0;
function rnd(): number {
  let x = rng;
  x ^= x << 13;
  x ^= x >>> 17;
  x ^= x << 5;
  rng = x;
  return x >>> 0;
}

/** The baseline's frame stack with share counts: alloc pops, put pushes at count 0. */
class StackFrames implements CountedFrames {
  readonly counts = new Uint32Array(NFRAMES);
  readonly stack = new Uint32Array(NFRAMES);
  nfree = 0;
  constructor() {
    for (let f = NFRAMES - 1; f >= 1; f--) this.stack[this.nfree++] = f;
  }
  alloc(): number {
    if (this.nfree === 0) throw new Error("out of frames");
    const f = this.stack[--this.nfree]!;
    this.counts[f] = 1;
    return f;
  }
  allocFrame(): number {
    return this.alloc();
  }
  freeFrame(pfn: number): void {
    this.release(pfn);
  }
  share(pfn: number): number {
    return ++this.counts[pfn]!;
  }
  release(pfn: number): number {
    const c = --this.counts[pfn]!;
    if (c === 0) this.stack[this.nfree++] = pfn;
    return c;
  }
  count(pfn: number): number {
    return this.counts[pfn]!;
  }
}

const memory = new PhysicalMemory({ size: NFRAMES * 4096 });
for (let f = 0; f < NFRAMES; f += 65536) memory.segment(f).fill(1).fill(0); // touch every frame before timing
const frames = new StackFrames();
/**
 * All of RAM as one word array (hw-x86 keeps RAM of up to 2 GiB in one buffer): the replay's walk
 * reads the tables and sets A/D through it, frame `f` at word `f * 1024`, as the MMU addresses
 * physical memory (the C program's `mem + pa`), with no segment lookup per level. Every table
 * frame it writes to was stored into when it was made, so no "stored into" mark is skipped.
 * Measured in one process: fork + writes 1-3 % faster than `peekSegment` per level (six runs).
 */
const RAM: Int32Array = (() => {
  const ram = memory.ramWords();
  if (ram === undefined) throw new Error("cowfork replay: RAM is expected in one buffer (at most 2 GiB)");
  return ram;
})();
const ctx: PteCowContext = { memory, frames };

const vmaBase: number[] = [];
for (let v = 0; v < NVMAS; v++) vmaBase.push(0x1000_0000_0000 + v * 2 ** 40);
/** VMA v starts at 0x1000_0000_0000 + v * 2^40: high half 0x1000 + v * 0x100, low half 0. */
const VA_HI_BASE = 0x1000;
const VMA_HI_STRIDE = 0x100;
const VMA_SHIFT = 14; // VMA_PAGES = 2^14
/** The VA of page p as (hi, lo) halves (setup and checks; `childWrites` computes it). */
const vaHi = new Uint32Array(NPAGES);
const vaLo = new Uint32Array(NPAGES);
for (let p = 0; p < NPAGES; p++) {
  const va = vmaBase[Math.floor(p / VMA_PAGES)]! + (p % VMA_PAGES) * 4096;
  vaHi[p] = Math.floor(va / 2 ** 32);
  vaLo[p] = va % 2 ** 32;
  if (vaHi[p] !== VA_HI_BASE + (p >>> VMA_SHIFT) * VMA_HI_STRIDE || vaLo[p] !== (p & (VMA_PAGES - 1)) << 12) {
    throw new Error(`page_va(${p}): the halves childWrites computes disagree with the VMA layout`);
  }
}

function newTable(): number {
  const t = frames.alloc();
  memory.zeroFrame(t);
  return t;
}

function idx(level: number, hi: number, lo: number): number {
  return level === 4
    ? (hi >>> 7) & 511
    : level === 3
      ? ((hi & 0x7f) << 2) | (lo >>> 30)
      : level === 2
        ? (lo >>> 21) & 511
        : (lo >>> 12) & 511;
}

function mapPage(root: number, hi: number, lo: number, frame: number): void {
  let t = root;
  for (let l = 4; l > 1; l--) {
    const w = memory.segment(t);
    const j = frameWordOffset(t) + 2 * idx(l, hi, lo);
    if ((w[j]! & PTE_P) === 0) {
      const n = newTable();
      w[j] = (n << 12) | PTE_P | PTE_RW | PTE_US;
      w[j + 1] = 0;
    }
    t = w[j]! >>> 12;
  }
  const w = memory.segment(t);
  const j = frameWordOffset(t) + 2 * idx(1, hi, lo);
  w[j] = (frame << 12) | PTE_P | PTE_RW | PTE_US;
  w[j + 1] = 0;
}

let h = 0;
let cowFaults = 0;

/**
 * The entry `index` of the table in frame `table`, with its accessed bit set as the MMU sets it
 * on a walk (Intel SDM 4.8), or 0 when it is not present.
 */
function walkEntry(table: number, index: number): number {
  const j = table * 1024 + 2 * index;
  const e = RAM[j]!;
  if ((e & PTE_P) === 0) return 0;
  if ((e & PTE_A) === 0) RAM[j] = e | PTE_A;
  return e | PTE_A;
}

/** A user-mode 32-bit store: walk (set A), store (set D), or resolve a COW fault and retry. */
function userWrite32(root: number, hi: number, lo: number, val: number): number {
  // The four table indices of the VA (bits 47:39, 38:30, 29:21, 20:12), as the MMU splits it.
  const i4 = (hi >>> 7) & 511;
  const i3 = ((hi & 0x7f) << 2) | (lo >>> 30);
  const i2 = (lo >>> 21) & 511;
  const i1 = (lo >>> 12) & 511;
  for (;;) {
    // Tables and the data word are read and written through the whole-RAM view (`RAM`: no segment
    // lookup, no bookkeeping), as the C program's `mem + pa`. No "stored into" mark is skipped:
    // every frame this stores into is marked already, a parent page by the setup (`frameBytes`)
    // and a child's copy by `copyFrame`, which marks its destination.
    const e4 = walkEntry(root, i4);
    if (e4 === 0) return -1;
    const e3 = walkEntry(e4 >>> 12, i3);
    if (e3 === 0) return -1;
    const e2 = walkEntry(e3 >>> 12, i2);
    if (e2 === 0) return -1;
    const table = e2 >>> 12;
    const e = walkEntry(table, i1);
    if (e === 0) return -1;
    const t = e >>> 12;
    if ((e & PTE_RW) !== 0) {
      if ((e & PTE_D) === 0) RAM[table * 1024 + 2 * i1] = e | PTE_D;
      RAM[t * 1024 + ((lo & 0xffc) >>> 2)] = val;
      return 0;
    }
    if ((e & PTE_COW) === 0) return -2;
    cowFaults++;
    const nf = cowWriteFault(ctx, table, i1);
    if (nf < 0) return -3;
    if (nf !== t) h = (Math.imul(h, 31) + nf) | 0;
  }
}

function userRead32(root: number, hi: number, lo: number): number {
  let t = root;
  for (let l = 4; l >= 1; l--) {
    const e = memory.segment(t)[frameWordOffset(t) + 2 * idx(l, hi, lo)]!;
    if ((e & PTE_P) === 0) return 0xffffffff;
    t = e >>> 12;
  }
  return memory.segment(t)[frameWordOffset(t) + ((lo & 0xffc) >>> 2)]! >>> 0;
}

function childWrites(child: number, iter: number): number {
  let err = 0;
  for (let k = 0; k < WRITES; k++) {
    const p = rnd() & (NPAGES - 1);
    const off = rnd() & 0xffc;
    // page_va(p) + off, computed as the C program does rather than read from vaHi/vaLo: two
    // random loads per write from 256 KiB tables that the page copies keep evicting from the cache.
    const hi = VA_HI_BASE + (p >>> VMA_SHIFT) * VMA_HI_STRIDE;
    const lo = ((p & (VMA_PAGES - 1)) << 12) | off;
    if (userWrite32(child, hi, lo, (iter ^ p) | 0) !== 0) err++;
  }
  return err;
}

function forkCopy(parent: number, eager: boolean): number {
  const child = newTable();
  for (let v = 0; v < NVMAS; v++) {
    const start = vmaBase[v]!;
    const end = start + VMA_PAGES * 4096;
    const n = eager
      ? eagerCopyTree(ctx, parent, child, frames, start, end)
      : cowCopyTree(ctx, parent, child, frames, start, end);
    if (n < 0) throw new Error("out of frames");
  }
  return child;
}

function teardown(t: number, level: number): void {
  const w = memory.segment(t);
  const o = frameWordOffset(t);
  for (let i = 0; i < 512; i++) {
    const e = w[o + 2 * i]!;
    if ((e & PTE_P) === 0) continue;
    if (level > 1) teardown(e >>> 12, level - 1);
    else frames.release(e >>> 12);
  }
  frames.release(t);
}

function parentRestore(t: number, level: number): void {
  const w = memory.segment(t);
  const o = frameWordOffset(t);
  for (let i = 0; i < 512; i++) {
    const e = w[o + 2 * i]!;
    if ((e & PTE_P) === 0) continue;
    if (level > 1) parentRestore(e >>> 12, level - 1);
    else if ((e & PTE_COW) !== 0 && frames.counts[e >>> 12] === 1) w[o + 2 * i] = (e | PTE_RW) & ~PTE_COW;
  }
}

const parent = newTable();
for (let p = 0; p < NPAGES; p++) {
  const f = frames.alloc();
  memory.frameBytes(f).fill((p * 13) & 0xff);
  memory.segment(f)[frameWordOffset(f)] = p;
  mapPage(parent, vaHi[p]!, vaLo[p]!, f);
}
const parentFramesUsed = NFRAMES - 1 - frames.nfree;

let err = 0;
let te = 0;
let teCpu = 0;
let teDown = 0;
for (let it = 0; it < EAGER_ITERS; it++) {
  const ca = process.cpuUsage();
  const a = performance.now();
  const child = forkCopy(parent, true);
  err += childWrites(child, it);
  const b = performance.now();
  const cb = process.cpuUsage(ca);
  teCpu += (cb.user + cb.system) / 1000;
  h = (Math.imul(h, 31) + child) | 0;
  if (userRead32(child, vaHi[1]!, vaLo[1]! + 4) !== userRead32(parent, vaHi[1]!, vaLo[1]! + 4)) err++;
  const c = performance.now();
  teardown(child, 4);
  teDown += performance.now() - c;
  te += b - a;
}

let tc = 0;
let tcCpu = 0;
let tcDown = 0;
let cowFaultsTotal = 0;
for (let it = 0; it < COW_ITERS; it++) {
  cowFaults = 0;
  const ca = process.cpuUsage();
  const a = performance.now();
  const child = forkCopy(parent, false);
  err += childWrites(child, it);
  const b = performance.now();
  const cb = process.cpuUsage(ca);
  tcCpu += (cb.user + cb.system) / 1000;
  cowFaultsTotal += cowFaults;
  for (let p = 0; p < NPAGES; p += 4099) if (userRead32(parent, vaHi[p]!, vaLo[p]!) !== p) err++;
  const c = performance.now();
  teardown(child, 4);
  parentRestore(parent, 4);
  tcDown += performance.now() - c;
  tc += b - a;
}
const leaked = NFRAMES - 1 - frames.nfree - parentFramesUsed;

const eagerPs = EAGER_ITERS / (te / 1000);
const cowPs = COW_ITERS / (tc / 1000);
console.log(
  JSON.stringify({
    bench: "cowfork",
    impl: "ts",
    metrics: {
      eager_fork: { n: EAGER_ITERS, secs: te / 1000, ops_per_s: eagerPs },
      cow_fork: { n: COW_ITERS, secs: tc / 1000, ops_per_s: cowPs },
    },
    check: { checksum: h >>> 0, cow_faults: cowFaultsTotal, errors: err, leaked_frames: leaked },
    info: {
      cow_over_eager_speedup: Number((cowPs / eagerPs).toFixed(2)),
      cpu_ops_per_s: {
        eager_fork: Number((EAGER_ITERS / (teCpu / 1000)).toFixed(3)),
        cow_fork: Number((COW_ITERS / (tcCpu / 1000)).toFixed(3)),
      },
      eager_teardown_s: teDown / 1000 / EAGER_ITERS,
      cow_teardown_restore_s: tcDown / 1000 / COW_ITERS,
      table_frames: parentFramesUsed - NPAGES,
    },
  }),
);
