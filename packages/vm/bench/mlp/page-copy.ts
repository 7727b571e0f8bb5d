/**
 * The page copy alone, the JavaScript side: the same loop as `page-copy.c` (652 copies of 4 KiB per
 * pass from random cold frames of a 256 MiB parent area into 652 reused destination frames), with
 * `copyWithin` on one `Int32Array` over all of RAM, as `PhysicalMemory.copyFrame` copies a frame.
 * Run by `run.sh`; prints one JSON line.
 *
 * Run: pnpm tsx packages/vm/bench/mlp/page-copy.ts
 */
const NFRAMES = 2 * 65536 + 4096;
const PARENT = 65536;
const COPIES = 652;
const PASSES = 1000;

const mem = new Int32Array(NFRAMES * 1024);
mem.fill(1).fill(0); // touch every host page before timing

/** One pass: `COPIES` page copies from random parent frames. */
function pass(seed: number): number {
  let x = seed;
  for (let k = 0; k < COPIES; k++) {
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    const src = (1 + (x & (PARENT - 1))) * 1024;
    mem.copyWithin((PARENT + 1 + k) * 1024, src, src + 1024);
  }
  return x;
}

let x = 12345;
const t: number[] = [];
for (let r = 0; r < PASSES; r++) {
  const a = performance.now();
  x = pass(x);
  t.push(((performance.now() - a) / COPIES) * 1e6);
}
t.sort((p, q) => p - q);
console.log(
  JSON.stringify({
    impl: "js",
    copy: "copyWithin",
    best_ns: Number(t[0]!.toFixed(1)),
    median_ns: Number(t[PASSES >> 1]!.toFixed(1)),
  }),
);
