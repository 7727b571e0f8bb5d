// Replays benchmark 1 of ../shared/baselines (buddy) through OUR BuddyAllocator and prints the
// baselines' JSON line with "impl":"ts". The workload, the PRNG call order and the check values
// follow the baselines README ("1. buddy") exactly:
//
//   pnpm tsx --conditions=@osbricks/source packages/vm/bench/baseline-buddy.ts
//
// Note: our allocator validates every free (one tag comparison) and keeps per-order free counts
// (as C does) and tests for a tracer on every call (none here); the C program validates nothing.
// That is part of what is measured.
//
// How the replay draws its numbers matters as much as the allocator here: the C program's time
// is mostly its replay loop (with a do-nothing allocator it runs at the same speed). The choices
// below keep V8's code close to what gcc makes of the same lines, drawing the same values in the
// same order:
// - the xorshift state is an int32 (`s ^= s << 13` ...), made unsigned only where a modulus needs
//   it: a uint32 state above 2^31 is no small integer, and the optimized loop kept it boxed (a
//   heap number per draw, a scavenge every ~12 ms of the timed loop);
// - `((s >>> 0) % (nlive >>> 0)) | 0`: both operands unsigned and the result truncated, so V8
//   emits one `div`; `(s >>> 0) % nlive` could be NaN (nlive = 0) and became an x87 `fprem`
//   loop, a fifth of the time (`perf annotate` on `node --perf-prof` output);
// - no deoptimization inside the timed loop: the alloc-or-free choice is one expression (a branch
//   first taken when the pool passes half full deoptimized), the sampled live fraction is summed
//   as a double (a frame sum passes 2^31: an int32 overflow deoptimized). Each deoptimization
//   cost a recompile of the loop, 10-40 ms of slower code. (The allocator's own rarely taken
//   branches were the last source: its free lists are circular now, see src/frames/buddy.ts.)
// - one call of `replay` for all OPS ops, so V8 compiles the loop once (on-stack replacement).
//   Run in chunks, the loop was compiled twice: once on stack while the first chunk ran, and
//   again as an ordinary function for the following calls, 10-40 ms of compiler time each on
//   this 2-core machine, counted in the CPU time and competing with the loop for the cores.
// - inside that call, two nested loops, so that the on-stack entry's untyped values reach only the
//   outer loop and the inner loop's state stays in int32 registers (see `replay`). The counters
//   step as `(x + 1) | 0`: int32 arithmetic without an overflow check (none can overflow: at
//   most 5M ops, at most 2^20 frames in use), as C's unsigned counters.
// - the live blocks are two arrays, frame numbers (int32) and orders (int8), as the C program
//   keeps them. Round 4 had put each pair side by side in one Int32Array (one cache line per
//   entry); C's layout measured 1-4 % faster in one process (no 2i / 2i+1 index arithmetic; the
//   ~17,000 live entries fit in L2 either way).
import { BuddyAllocator } from "@osbricks/vm";

const N = 1 << 20;
const OPS = 5_000_000;
const SEED = 0x0b0dd1e5;

// The replay's state. `replay` copies it into locals on entry and back on exit: module variables
// are context slots, which V8 reads without type feedback. (With the fields of a state object,
// the entry's loads had no feedback from the first call, whose loop V8 replaced while it ran, and
// the optimized code deoptimized at every later entry.)
let gS = SEED | 0;
let gLive = 0;
let gUsed = 0;
let gAllocs = 0;
let gFrees = 0;
let gFails = 0;
let gHash = 0;
let gFracSum = 0;

/**
 * The whole workload, OPS ops, in one call (one compile), as two nested loops: the outer loop
 * steps from one sampled op to the next (ops with `(op & 1023) === 0`, sampled after they run, as
 * the C program samples), the inner loop runs the ops in between on int32 copies of the state.
 *
 * Why nested: V8 compiles this function while it runs (on-stack replacement, OSR), entering the
 * optimized code at a loop back edge with the state in the interpreter's registers, values of
 * unknown type. In a single loop, those values feed the loop's phis, which therefore stayed
 * tagged: every op untagged and retagged its state, checked it for small integers and spilled it
 * (perf annotate). V8 enters at the outermost loop that is hot, so here the OSR values reach only
 * the outer loop, and the inner loop starts from `x | 0` copies: its phis are int32 registers, as
 * in gcc's code. Same draws, same order.
 */
function replay(buddy: BuddyAllocator, livep: Int32Array, liveo: Int8Array): void {
  let s = gS;
  let nlive = gLive;
  let used = gUsed;
  let allocs = gAllocs;
  let frees = gFrees;
  let fails = gFails;
  let h = gHash;
  let liveFracSum = gFracSum;
  for (let op = 0; op < OPS; ) {
    // Ops op..stop-1, where stop-1 is the next sampled op (the first multiple of 1024 >= op).
    const stop = Math.min(OPS, ((op + 1023) & ~1023) + 1);
    let s2 = s | 0;
    let nl = nlive | 0;
    let us = used | 0;
    let al = allocs | 0;
    let fr = frees | 0;
    let fa = fails | 0;
    let h2 = h | 0;
    for (let k = stop - op; k > 0; k--) {
      s2 ^= s2 << 13;
      s2 ^= s2 >>> 17;
      s2 ^= s2 << 5;
      if (nl === 0 || ((s2 & 3) !== 0) === us < N / 2) {
        s2 ^= s2 << 13;
        s2 ^= s2 >>> 17;
        s2 ^= s2 << 5;
        const u = ((s2 >>> 0) % 100) | 0;
        let order = 0;
        if (u >= 70) {
          s2 ^= s2 << 13;
          s2 ^= s2 >>> 17;
          s2 ^= s2 << 5;
          order = u < 90 ? 1 + (((s2 >>> 0) % 3) | 0) : 4 + (((s2 >>> 0) % 7) | 0);
        }
        const p = buddy.alloc(order);
        if (p === null) {
          fa = (fa + 1) | 0;
        } else {
          livep[nl] = p;
          liveo[nl] = order;
          nl = (nl + 1) | 0;
          us = (us + (1 << order)) | 0;
          al = (al + 1) | 0;
          h2 = (Math.imul(h2, 31) + p) | 0;
        }
      } else {
        s2 ^= s2 << 13;
        s2 ^= s2 >>> 17;
        s2 ^= s2 << 5;
        const i = ((s2 >>> 0) % (nl >>> 0)) | 0;
        const p = livep[i]!;
        const o = liveo[i]!;
        nl = (nl - 1) | 0;
        livep[i] = livep[nl]!;
        liveo[i] = liveo[nl]!;
        buddy.free(p, o);
        us = (us - (1 << o)) | 0;
        fr = (fr + 1) | 0;
      }
    }
    s = s2;
    nlive = nl;
    used = us;
    allocs = al;
    frees = fr;
    fails = fa;
    h = h2;
    // used / N is exact (a multiple of 2^-20), and the sum stays far below 2^53.
    if (((stop - 1) & 1023) === 0) liveFracSum += used / N;
    op = stop;
  }
  gS = s;
  gLive = nlive;
  gUsed = used;
  gAllocs = allocs;
  gFrees = frees;
  gFails = fails;
  gHash = h;
  gFracSum = liveFracSum;
}

/** Reset the replay's state to the workload's start. */
function resetState(): void {
  gS = SEED | 0;
  gLive = 0;
  gUsed = 0;
  gAllocs = 0;
  gFrees = 0;
  gFails = 0;
  gHash = 0;
  gFracSum = 0;
}

function main(): void {
  const buddy = new BuddyAllocator({ frames: N, maxOrder: 11 });
  // Touched before timing, as the baseline's xmalloc touches every page (the allocator's own
  // arrays are filled by its constructor).
  const livep = new Int32Array(N).fill(1).fill(0);
  const liveo = new Int8Array(N).fill(1).fill(0);

  resetState();
  const c0 = process.cpuUsage();
  const t0 = performance.now();
  replay(buddy, livep, liveo);
  const t1 = performance.now();
  const cpu = process.cpuUsage(c0);

  const liveAtEnd = gUsed;
  for (let i = gLive - 1; i >= 0; i--) buddy.free(livep[i]!, liveo[i]!);
  let othersEmpty = true;
  for (let k = 0; k < 10; k++) if (buddy.freeBlocks(k) !== 0) othersEmpty = false;
  const ok = buddy.freeBlocks(10) === N / 1024 && othersEmpty;
  buddy.checkInvariants();

  const secs = (t1 - t0) / 1000;
  const out = {
    bench: "buddy",
    impl: "ts",
    metrics: {
      "alloc+free": { n: OPS, secs: Number(secs.toFixed(6)), ops_per_s: Number((OPS / secs).toFixed(1)) },
    },
    check: {
      checksum: gHash >>> 0,
      allocs: gAllocs,
      frees: gFrees,
      failed_allocs: gFails,
      mean_live_frac: Number((gFracSum / (Math.floor(OPS / 1024) + 1)).toFixed(4)),
      live_frames_at_end: liveAtEnd,
      order10_blocks_after_free_all: buddy.freeBlocks(10),
      expected_order10: N / 1024,
      coalesce_ok: ok,
    },
    // Not baseline metrics, for reading noisy runs: cpu_ops_per_s is the CPU time of the timed
    // loop (user + system, all threads, so V8's compiler and GC threads too); warm_ops_per_s is the
    // wall rate of a second, untimed-for-the-metric replay of the whole workload on a fresh
    // allocator, once V8 has compiled the loop (the timed run's first tens of thousands of ops
    // run unoptimized while TurboFan compiles it, longer when the machine is busy).
    info: {
      meta_bytes_per_frame: 9,
      cpu_ops_per_s: Math.round(OPS / ((cpu.user + cpu.system) / 1e6)),
      warm_ops_per_s: warmRate(livep, liveo, gHash),
    },
  };
  console.log(JSON.stringify(out));
  if (!ok) process.exitCode = 1;
}

/** The rate of the workload replayed again on a fresh allocator (same checksum, or -1). */
function warmRate(livep: Int32Array, liveo: Int8Array, checksum: number): number {
  const again = new BuddyAllocator({ frames: N, maxOrder: 11 });
  resetState();
  const t0 = performance.now();
  replay(again, livep, liveo);
  const t1 = performance.now();
  return gHash === checksum ? Math.round(OPS / ((t1 - t0) / 1000)) : -1;
}

main();
