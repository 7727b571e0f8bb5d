/**
 * Memory-level parallelism, the JavaScript side: the same loop as `spaced-loads.c`, with the same
 * buffer size, PRNG, loads and serial multiply-adds. The same work is more instructions in V8's
 * code (bounds checks, tagging, the loop's interrupt check), so fewer independent misses fit in the
 * CPU's reorder window and overlap. Run by `run.sh`; prints one JSON line per gap.
 *
 * Run: pnpm tsx packages/vm/bench/mlp/spaced-loads.ts
 */
const NFRAMES = 2 * 65536 + 4096;
const LOADS = 655;
const PASSES = 300;

const mem = new Int32Array(NFRAMES * 1024);
mem.fill(1).fill(0); // touch every host page before timing

let sink = 0;
/** One pass: `LOADS` random independent loads, `gap` serial multiply-adds after each. */
function pass(seed: number, gap: number): number {
  let x = seed;
  for (let k = 0; k < LOADS; k++) {
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    sink ^= mem[(1 + (x & 65535)) * 1024]!;
    for (let q = 0; q < gap; q++) x = (Math.imul(x, 2654435761 | 0) + q) | 0;
  }
  return x;
}

for (const gap of [0, 1, 20, 50]) {
  let x = 12345;
  const t: number[] = [];
  for (let r = 0; r < PASSES; r++) {
    const a = performance.now();
    x = pass(x, gap);
    t.push(((performance.now() - a) / LOADS) * 1e6);
  }
  t.sort((p, q) => p - q);
  console.log(
    JSON.stringify({
      impl: "js",
      gap,
      best_ns: Number(t[0]!.toFixed(1)),
      median_ns: Number(t[PASSES >> 1]!.toFixed(1)),
    }),
  );
}
if (sink === 0xdead) console.log("(unreachable)");
