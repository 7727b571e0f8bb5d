// Replays benchmark 3 of ../shared/baselines (radix) through OUR PageTree and prints the
// baselines' JSON line with "impl":"ts". Workload, PRNG call order and check values follow the
// baselines README ("3. radix") exactly. Peaks at about 600 MiB: run it alone.
//
//   pnpm tsx --conditions=@osbricks/source packages/vm/bench/baseline-radix.ts
//
// Our tree stores frame + 1 in a slot (so frame 0 is storable) and validates every key; the C
// program stores the value itself and checks nothing. Keys are plain numbers (up to 2^36).
import { NO_FRAME, PageTree } from "@osbricks/vm";

const NKEYS = 1 << 20;
const LOOKUPS = 10_000_000;
const SEED = 0x5eed0a64;
const MAX_NODES = 1 + 64 + 4096 + 262144 + 2 * NKEYS;
const TWO_32 = 4294967296;

/** Marsaglia xorshift32 (13, 17, 5): the next state, which is also the drawn value. */
function xorshift(x: number): number {
  x ^= x << 13;
  x ^= x >>> 17;
  x ^= x << 5;
  return x >>> 0;
}

/** The PRNG state and checksums carried between the chunks of the lookup phase (int32). */
const carry = new Int32Array(3);
const CHUNK = 100_000;

/**
 * `n` lookups of the lookup phase, in a function of its own: the timed loop calls it LOOKUPS /
 * CHUNK times, so V8 compiles it as an ordinary optimized function after the first calls rather
 * than on-stack-replacing one long loop (in `main` it also shared one OSR body with the insert and
 * delete loops). The PRNG state is a local (a module-level one is a context slot V8 reloads and
 * stores on every draw); the stream is the baseline's, draw for draw.
 */
function lookupChunk(tree: PageTree, keys: Float64Array, n: number): void {
  let s = carry[0]! >>> 0;
  let h = carry[1]!;
  let bad = carry[2]!;
  for (let i = 0; i < n; i++) {
    s = xorshift(s);
    const idx = s & (NKEYS - 1);
    const v = tree.get(keys[idx]!);
    if (v !== idx + 1) bad++;
    h = (Math.imul(h, 31) + v) | 0;
  }
  carry[0] = s;
  carry[1] = h;
  carry[2] = bad;
}

function timeLookups(
  tree: PageTree,
  keys: Float64Array,
  seed: number,
): { h: number; bad: number; s: number } {
  carry[0] = seed;
  carry[1] = 0;
  carry[2] = 0;
  for (let done = 0; done < LOOKUPS; done += CHUNK) lookupChunk(tree, keys, CHUNK);
  return { h: carry[1]!, bad: carry[2]!, s: carry[0]! >>> 0 };
}

function main(): void {
  // The PRNG state lives in a local of the timed function (module-level state is a context slot
  // that V8 reloads and stores on every draw); the stream is the baseline's, draw for draw.
  let s = SEED;
  const tree = new PageTree({ keyBits: 36, initialNodes: MAX_NODES, prefault: true });
  const keys = new Float64Array(NKEYS).fill(1).fill(0);
  let redraws = 0;

  const t0 = performance.now();
  for (let i = 0; i < NKEYS; i++) {
    for (;;) {
      s = xorshift(s);
      const hi = s & 0xf;
      s = xorshift(s);
      const key = hi * TWO_32 + s;
      if (tree.set(key, i + 1) === NO_FRAME) {
        keys[i] = key;
        break;
      }
      redraws++;
    }
  }
  const t1 = performance.now();
  const c1 = process.cpuUsage();
  const nodesAfterInsert = tree.nodeCount;

  const looked = timeLookups(tree, keys, s);
  s = looked.s;
  let bad = looked.bad;
  const h = looked.h;
  const t2 = performance.now();
  const lookupCpu = process.cpuUsage(c1);

  for (let i = 0; i < NKEYS; i++) if (tree.delete(keys[i]!) !== i + 1) bad++;
  const t3 = performance.now();

  const metric = (n: number, ms: number) => ({
    n,
    secs: Number((ms / 1000).toFixed(6)),
    ops_per_s: Number((n / (ms / 1000)).toFixed(1)),
  });
  const out = {
    bench: "radix",
    impl: "ts",
    metrics: {
      insert: metric(NKEYS, t1 - t0),
      lookup: metric(LOOKUPS, t2 - t1),
      delete: metric(NKEYS, t3 - t2),
    },
    check: {
      lookup_checksum: h >>> 0,
      bad,
      redraws,
      nodes_after_insert: nodesAfterInsert,
      nodes_after_delete: tree.nodeCount,
    },
    info: {
      node_bytes: 64 * 4 + 1,
      tree_bytes_peak: nodesAfterInsert * (64 * 4 + 1),
      // CPU time of the lookup loop: less disturbed by other tenants than wall time (see buddy).
      lookup_cpu_ops_per_s: Math.round(LOOKUPS / ((lookupCpu.user + lookupCpu.system) / 1e6)),
    },
  };
  console.log(JSON.stringify(out));
  if (bad !== 0 || tree.nodeCount !== 1) process.exitCode = 1;
}

main();
