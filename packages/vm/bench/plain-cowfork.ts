/**
 * Baseline benchmark 4 (cowfork) written as plain JavaScript, with none of osbricks: the C
 * program's algorithm and data layout carried over line by line (one `Int32Array` for all of
 * simulated RAM, 64-bit entries as two int32 halves, the frame stack and share counts as typed
 * arrays, `copyWithin` where C calls `memcpy`). It prints the C program's JSON line with
 * `"impl":"js"` and the same check values, so it answers one question: on this machine, how close
 * can V8 get to C on this workload at all? `baseline-cowfork.ts` replays the same workload through
 * our library; the vm README compares the three.
 *
 * Run: pnpm tsx packages/vm/bench/plain-cowfork.ts
 */

const NPAGES = 65536;
const NVMAS = 4;
const VMA_PAGES = NPAGES / NVMAS;
const NFRAMES = 2 * NPAGES + 4096;
const EAGER_ITERS = 10;
const COW_ITERS = 200;
const WRITES = Math.floor(NPAGES / 100);

const P = 1;
const RW = 2;
const US = 4;
const A = 0x20;
const D = 0x40;
const COW = 0x200; // software bit 9, as in the C program

/** Simulated RAM as words: frame f is words f·1024 … f·1024 + 1023; an entry is (low, high). */
const mem = new Int32Array(NFRAMES * 1024);
mem.fill(1).fill(0); // touch every host page before timing, as the C program's xmalloc does
const refcnt = new Int32Array(NFRAMES);
const fstack = new Int32Array(NFRAMES);
let nfree = 0;
for (let f = NFRAMES - 1; f >= 1; f--) fstack[nfree++] = f; // frame 0 unused; pops 1, 2, 3, …

let rng = 0xc0f0f0c5 | 0;
function rnd(): number {
  let x = rng;
  x ^= x << 13;
  x ^= x >>> 17;
  x ^= x << 5;
  rng = x;
  return x;
}
const mix = (h: number, v: number): number => (Math.imul(h, 31) + v) | 0;

function frameAlloc(): number {
  if (nfree === 0) throw new Error("out of frames");
  const f = fstack[--nfree]!;
  refcnt[f] = 1;
  return f;
}
function framePut(f: number): void {
  if (--refcnt[f]! === 0) fstack[nfree++] = f;
}
function newTable(): number {
  const t = frameAlloc();
  mem.fill(0, t * 1024, t * 1024 + 1024);
  return t;
}

/** The VA of page p as halves: VMA v starts at 0x1000_0000_0000 + v · 2^40. */
const vaHi = (p: number): number => 0x1000 + (p >>> 14) * 0x100;
const vaLo = (p: number): number => (p & (VMA_PAGES - 1)) << 12;
/** Word index of `va`'s entry at `level` (4 = PML4 … 1 = PT) in table `t`. */
function slot(t: number, level: number, hi: number, lo: number): number {
  const i =
    level === 4
      ? (hi >>> 7) & 511
      : level === 3
        ? ((hi & 0x7f) << 2) | (lo >>> 30)
        : level === 2
          ? (lo >>> 21) & 511
          : (lo >>> 12) & 511;
  return t * 1024 + 2 * i;
}

function mapPage(root: number, hi: number, lo: number, frame: number): void {
  let t = root;
  for (let l = 4; l > 1; l--) {
    const j = slot(t, l, hi, lo);
    if ((mem[j]! & P) === 0) mem[j] = (newTable() << 12) | P | RW | US;
    t = mem[j]! >>> 12;
  }
  mem[slot(t, 1, hi, lo)] = (frame << 12) | P | RW | US;
}

function copyEager(src: number, level: number): number {
  const dst = frameAlloc();
  mem.copyWithin(dst * 1024, src * 1024, src * 1024 + 1024);
  for (let i = 0; i < 512; i++) {
    const e = mem[src * 1024 + 2 * i]!;
    if ((e & P) === 0) continue;
    let child: number;
    if (level > 1) {
      child = copyEager(e >>> 12, level - 1);
    } else {
      child = frameAlloc();
      mem.copyWithin(child * 1024, (e >>> 12) * 1024, (e >>> 12) * 1024 + 1024);
    }
    mem[dst * 1024 + 2 * i] = (e & 0xfff) | (child << 12);
  }
  return dst;
}

function copyCow(src: number, level: number): number {
  const dst = frameAlloc();
  const s = src * 1024;
  const d = dst * 1024;
  mem.copyWithin(d, s, s + 1024);
  for (let i = 0; i < 512; i++) {
    let e = mem[s + 2 * i]!;
    if ((e & P) === 0) continue;
    if (level > 1) {
      mem[d + 2 * i] = (e & 0xfff) | (copyCow(e >>> 12, level - 1) << 12);
    } else {
      if ((e & RW) !== 0) {
        e = (e & ~RW) | COW;
        mem[s + 2 * i] = e;
      }
      mem[d + 2 * i] = e;
      refcnt[e >>> 12]!++;
    }
  }
  return dst;
}

function teardown(t: number, level: number): void {
  for (let i = 0; i < 512; i++) {
    const e = mem[t * 1024 + 2 * i]!;
    if ((e & P) === 0) continue;
    if (level > 1) teardown(e >>> 12, level - 1);
    else framePut(e >>> 12);
  }
  framePut(t);
}

function parentRestore(t: number, level: number): void {
  for (let i = 0; i < 512; i++) {
    const j = t * 1024 + 2 * i;
    const e = mem[j]!;
    if ((e & P) === 0) continue;
    if (level > 1) parentRestore(e >>> 12, level - 1);
    else if ((e & COW) !== 0 && refcnt[e >>> 12] === 1) mem[j] = (e | RW) & ~COW;
  }
}

let cowFaults = 0;
let h = 0;

function userWrite32(root: number, hi: number, lo: number, val: number): number {
  for (;;) {
    let t = root;
    let j = 0;
    let e = 0;
    for (let l = 4; l >= 1; l--) {
      j = slot(t, l, hi, lo);
      e = mem[j]!;
      if ((e & P) === 0) return -1;
      if ((e & A) === 0) {
        e |= A;
        mem[j] = e;
      }
      t = e >>> 12;
    }
    if ((e & RW) !== 0) {
      if ((e & D) === 0) mem[j] = e | D;
      mem[t * 1024 + ((lo & 0xffc) >>> 2)] = val;
      return 0;
    }
    if ((e & COW) === 0) return -2;
    cowFaults++;
    if (refcnt[t] === 1) {
      mem[j] = (e | RW) & ~COW;
    } else {
      const nf = frameAlloc();
      mem.copyWithin(nf * 1024, t * 1024, t * 1024 + 1024);
      refcnt[t]!--;
      mem[j] = ((nf << 12) | (e & 0xfff) | RW) & ~COW;
      h = mix(h, nf);
    }
  }
}

function userRead32(root: number, hi: number, lo: number): number {
  let t = root;
  for (let l = 4; l >= 1; l--) {
    const e = mem[slot(t, l, hi, lo)]!;
    if ((e & P) === 0) return -1;
    t = e >>> 12;
  }
  return mem[t * 1024 + ((lo & 0xffc) >>> 2)]!;
}

function childWrites(child: number, iter: number): number {
  let err = 0;
  for (let k = 0; k < WRITES; k++) {
    const p = rnd() & (NPAGES - 1);
    const off = rnd() & 0xffc;
    if (userWrite32(child, vaHi(p), vaLo(p) | off, (iter ^ p) | 0) !== 0) err++;
  }
  return err;
}

// The parent: 64K pages, each filled with a per-page byte and its index in word 0.
const parent = newTable();
for (let p = 0; p < NPAGES; p++) {
  const f = frameAlloc();
  const b = (p * 13) & 0xff;
  mem.fill(b * 0x01010101, f * 1024, f * 1024 + 1024);
  mem[f * 1024] = p;
  mapPage(parent, vaHi(p), vaLo(p), f);
}
const parentFramesUsed = NFRAMES - 1 - nfree;

let err = 0;
let te = 0;
for (let it = 0; it < EAGER_ITERS; it++) {
  const a = performance.now();
  const child = copyEager(parent, 4);
  err += childWrites(child, it);
  te += performance.now() - a;
  h = mix(h, child);
  if (userRead32(child, vaHi(1), vaLo(1) + 4) !== userRead32(parent, vaHi(1), vaLo(1) + 4)) err++;
  teardown(child, 4);
}

let tc = 0;
let cowFaultsTotal = 0;
for (let it = 0; it < COW_ITERS; it++) {
  cowFaults = 0;
  const a = performance.now();
  const child = copyCow(parent, 4);
  err += childWrites(child, it);
  tc += performance.now() - a;
  cowFaultsTotal += cowFaults;
  for (let p = 0; p < NPAGES; p += 4099) if (userRead32(parent, vaHi(p), vaLo(p)) !== p) err++;
  teardown(child, 4);
  parentRestore(parent, 4);
}
const leaked = NFRAMES - 1 - nfree - parentFramesUsed;

const eagerPs = EAGER_ITERS / (te / 1000);
const cowPs = COW_ITERS / (tc / 1000);
console.log(
  JSON.stringify({
    bench: "cowfork",
    impl: "js",
    metrics: {
      eager_fork: { n: EAGER_ITERS, secs: te / 1000, ops_per_s: eagerPs },
      cow_fork: { n: COW_ITERS, secs: tc / 1000, ops_per_s: cowPs },
    },
    check: { checksum: h >>> 0, cow_faults: cowFaultsTotal, errors: err, leaked_frames: leaked },
    info: { cow_over_eager_speedup: Number((cowPs / eagerPs).toFixed(2)) },
  }),
);
