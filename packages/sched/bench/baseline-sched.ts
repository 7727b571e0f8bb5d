/**
 * Baseline benchmark 5 (../shared/baselines/README.md, "sched") replayed through our own run-queue
 * structures: the CFS policy's `VruntimeHeap` and `VruntimeTree` (red-black tree with cached
 * leftmost), and the `SlotRing` that round robin uses. Prints the baselines' JSON line with
 * "impl":"ts" and the same metric names and check fields.
 *
 *   pnpm tsx --conditions=@osbricks/source packages/sched/bench/baseline-sched.ts
 *
 * Metrics are wall-clock (monotonic) as the baselines specify. `info.cpu_ops_per_s` repeats them
 * measured in process CPU time, which a machine shared with other tenants disturbs less; compare
 * it with the C program built with CLOCK_PROCESS_CPUTIME_ID (see the package README).
 */
import {
  NICE_0_WEIGHT as NICE_0,
  SCHED_PRIO_TO_WEIGHT,
  SlotRing,
  VruntimeHeap,
  VruntimeTree,
} from "@osbricks/sched";

const NTHREADS = 10_000;
const OPS = 10_000_000;
const SEED = 0x5c7ed011;
// nice −5..5 of Linux's sched_prio_to_weight, the baseline's W table.
const W = SCHED_PRIO_TO_WEIGHT.slice(15, 26);
// A module-local copy: V8 folds a module-local const into the code, but reloads and TDZ-checks an
// imported binding at every use inside the timed loop.
const NICE_0_WEIGHT = NICE_0;

// xorshift32 state kept as an int32 (a small integer for V8, never a boxed double); callers
// reduce with `(rnd() % n) >>> 0`, an integer Uint32Mod (README "Fairness notes").
let rng = SEED | 0;
function rnd(): number {
  let x = rng;
  x ^= x << 13;
  x ^= x >>> 17;
  x ^= x << 5;
  rng = x;
  return x >>> 0;
}

const vr = new Float64Array(NTHREADS);
const weight = new Float64Array(NTHREADS);
function initThreads(): void {
  rng = SEED | 0;
  for (let t = 0; t < NTHREADS; t++) {
    weight[t] = W[(rnd() % 11) >>> 0]!;
    vr[t] = (rnd() % 1000000) >>> 0;
  }
}

function now(): number {
  return performance.now() / 1000;
}
function cpuNow(): number {
  const u = process.cpuUsage();
  return (u.user + u.system) / 1e6;
}

// The charge floor(slice·1024 / weight) is at most 3,999,999·1024 / 335 ≈ 12.2M < 2^31, so `| 0`
// truncates exactly like C's integer division (and like Math.floor for these positive values).

function cfsHeap(): { secs: number; cpu: number; h: number; minvr: number } {
  initThreads();
  const heap = new VruntimeHeap(NTHREADS);
  for (let t = 0; t < NTHREADS; t++) heap.push(t, vr[t]!);
  let h = 0;
  const c0 = cpuNow();
  const t0 = now();
  for (let i = 0; i < OPS; i++) {
    const tid = heap.popMin();
    const slice = 100000 + ((rnd() % 3900000) >>> 0);
    const v = vr[tid]! + (((slice * NICE_0_WEIGHT) / weight[tid]!) | 0);
    vr[tid] = v;
    heap.push(tid, v);
    h = (Math.imul(h, 31) + tid) | 0;
  }
  const secs = now() - t0;
  const cpu = cpuNow() - c0;
  return { secs, cpu, h: h >>> 0, minvr: heap.peekKey() };
}

function cfsTree(): { secs: number; cpu: number; h: number; minvr: number } {
  initThreads();
  const tree = new VruntimeTree(NTHREADS);
  for (let t = 0; t < NTHREADS; t++) tree.insert(t, vr[t]!);
  let h = 0;
  const c0 = cpuNow();
  const t0 = now();
  for (let i = 0; i < OPS; i++) {
    const tid = tree.popLeftmost();
    const slice = 100000 + ((rnd() % 3900000) >>> 0);
    const v = vr[tid]! + (((slice * NICE_0_WEIGHT) / weight[tid]!) | 0);
    vr[tid] = v;
    tree.insert(tid, v);
    h = (Math.imul(h, 31) + tid) | 0;
  }
  const secs = now() - t0;
  const cpu = cpuNow() - c0;
  return { secs, cpu, h: h >>> 0, minvr: tree.leftmostKey() };
}

/** The PRNG state and checksum carried between the chunks of the round-robin loop (int32). */
const rrCarry = new Int32Array(2);
const RR_CHUNK = 100_000;

/**
 * `n` round-robin operations (pick the head, charge it, requeue it at the tail). The timed loop
 * calls this OPS / RR_CHUNK times rather than running all 10M in one loop: V8 then compiles it as
 * an ordinary optimized function after the first few calls, instead of on-stack-replacing one
 * long loop, and the OSR code of this loop ran 20-30 % slower (plain-JS A/B, same checksum). The
 * PRNG state is a local for the chunk (the module-level `rng` is a context slot that V8 loads and
 * stores on every draw); the stream is the baseline's xorshift32, draw for draw.
 */
function rrChunk(ring: SlotRing, runtime: Float64Array, n: number): void {
  let x = rrCarry[0]!;
  let h = rrCarry[1]!;
  for (let i = 0; i < n; i++) {
    const tid = ring.shift();
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    runtime[tid] = runtime[tid]! + 100000 + (((x >>> 0) % 3900000) >>> 0);
    ring.push(tid);
    h = (Math.imul(h, 31) + tid) | 0;
  }
  rrCarry[0] = x;
  rrCarry[1] = h;
}

function rrRing(): { secs: number; cpu: number; h: number; sum: number } {
  initThreads();
  const ring = new SlotRing(16383);
  const runtime = new Float64Array(NTHREADS);
  for (let t = 0; t < NTHREADS; t++) ring.push(t);
  rrCarry[0] = rng;
  rrCarry[1] = 0;
  const c0 = cpuNow();
  const t0 = now();
  for (let done = 0; done < OPS; done += RR_CHUNK) rrChunk(ring, runtime, RR_CHUNK);
  const secs = now() - t0;
  const cpu = cpuNow() - c0;
  rng = rrCarry[0]!;
  let sum = 0;
  for (let t = 0; t < NTHREADS; t++) sum += runtime[t]!;
  return { secs, cpu, h: rrCarry[1]! >>> 0, sum };
}

const heap = cfsHeap();
const tree = cfsTree();
const rr = rrRing();
const metric = (secs: number): { n: number; secs: number; ops_per_s: number } => ({
  n: OPS,
  secs: Number(secs.toFixed(6)),
  ops_per_s: Number((OPS / secs).toFixed(1)),
});
console.log(
  JSON.stringify({
    bench: "sched",
    impl: "ts",
    metrics: { cfs_heap: metric(heap.secs), cfs_rbtree: metric(tree.secs), rr_ring: metric(rr.secs) },
    check: {
      heap_checksum: heap.h,
      min_vruntime: heap.minvr,
      rbtree_checksum: tree.h,
      rbtree_min_vruntime: tree.minvr,
      rr_checksum: rr.h,
      rr_runtime_sum: rr.sum,
    },
    info: {
      cpu_ops_per_s: {
        cfs_heap: Math.round(OPS / heap.cpu),
        cfs_rbtree: Math.round(OPS / tree.cpu),
        rr_ring: Math.round(OPS / rr.cpu),
      },
    },
  }),
);
