// Replays benchmark 1 of ../shared/baselines (buddy) through OUR BuddyAllocator and prints the
// baselines' JSON line with "impl":"ts". The workload, the PRNG call order and the check values
// follow the baselines README ("1. buddy") exactly:
//
//   pnpm tsx --conditions=@osbricks/source packages/vm/bench/baseline-buddy.ts
//
// Note: our allocator validates every free (one tag comparison) and keeps a free-frame counter;
// the C program does neither. That is part of what is measured.
import { BuddyAllocator } from "@osbricks/vm";

const N = 1 << 20;
const OPS = 5_000_000;
const SEED = 0x0b0dd1e5;

/** Marsaglia xorshift32 (13, 17, 5): the next state, which is also the drawn value. */
function xorshift(x: number): number {
  x ^= x << 13;
  x ^= x >>> 17;
  x ^= x << 5;
  return x >>> 0;
}

function main(): void {
  // The PRNG state lives in a local of the timed function (module-level state is a context slot
  // that V8 reloads and stores on every draw).
  let s = SEED;
  const buddy = new BuddyAllocator({ frames: N, maxOrder: 11 });
  // Touched before timing, as the baseline's xmalloc touches every page (the allocator's own
  // arrays are filled by its constructor).
  const livep = new Int32Array(N).fill(1).fill(0);
  const liveo = new Int8Array(N).fill(1).fill(0);
  let nlive = 0;
  let used = 0;
  let allocs = 0;
  let frees = 0;
  let fails = 0;
  let h = 0;
  let liveSum = 0;

  const c0 = process.cpuUsage();
  const t0 = performance.now();
  for (let op = 0; op < OPS; op++) {
    s = xorshift(s);
    const r = s;
    let doAlloc: boolean;
    if (nlive === 0) doAlloc = true;
    else if (used < N / 2) doAlloc = (r & 3) !== 0;
    else doAlloc = (r & 3) === 0;
    if (doAlloc) {
      s = xorshift(s);
      const u = (s % 100) >>> 0;
      let order = 0;
      if (u >= 70) {
        s = xorshift(s);
        order = u < 90 ? 1 + ((s % 3) >>> 0) : 4 + ((s % 7) >>> 0);
      }
      const p = buddy.alloc(order);
      if (p === null) {
        fails++;
      } else {
        livep[nlive] = p;
        liveo[nlive] = order;
        nlive++;
        used += 1 << order;
        allocs++;
        h = (Math.imul(h, 31) + p) | 0;
      }
    } else {
      s = xorshift(s);
      const i = (s % (nlive >>> 0)) >>> 0;
      const p = livep[i]!;
      const o = liveo[i]!;
      nlive--;
      livep[i] = livep[nlive]!;
      liveo[i] = liveo[nlive]!;
      buddy.free(p, o);
      used -= 1 << o;
      frees++;
    }
    if ((op & 1023) === 0) liveSum += used;
  }
  const t1 = performance.now();
  const cpu = process.cpuUsage(c0);

  const liveAtEnd = used;
  while (nlive > 0) {
    nlive--;
    buddy.free(livep[nlive]!, liveo[nlive]!);
  }
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
      checksum: h >>> 0,
      allocs,
      frees,
      failed_allocs: fails,
      mean_live_frac: Number((liveSum / (Math.floor(OPS / 1024) + 1) / N).toFixed(4)),
      live_frames_at_end: liveAtEnd,
      order10_blocks_after_free_all: buddy.freeBlocks(10),
      expected_order10: N / 1024,
      coalesce_ok: ok,
    },
    // CPU time of the timed loop (user + system, all threads): a rate that the other tenants of a
    // busy machine disturb less than wall time. Not a baseline metric; for reading noisy runs.
    info: { meta_bytes_per_frame: 9, cpu_ops_per_s: Math.round(OPS / ((cpu.user + cpu.system) / 1e6)) },
  };
  console.log(JSON.stringify(out));
  if (!ok) process.exitCode = 1;
}

main();
