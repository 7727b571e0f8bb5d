/**
 * Handle lookups per second, measured outside vitest for a stable figure:
 *   pnpm tsx --conditions=@osbricks/source packages/objects/bench/lookup-throughput.ts [slot|map]
 * Prints one JSON line in the shape of the shared baselines (../shared/baselines/README.md):
 * `lookup` is the mixed workload of workload.ts (90 % granted, 5 % denied, 5 % stale), and
 * `lookup_granted` the same handles with rights that are always held (the system-call fast path).
 */
import { Right } from "../src/index.js";
import { buildWorkload } from "./workload.js";

const OPS = 10_000_000;
const kind = process.argv[2] === "map" ? "map" : "slot";
const w = buildWorkload(OPS, kind);
const granted = Int32Array.from(w.queryRights, () => Right.READ | Right.WAIT);
const stale = new Set<number>();
for (let i = 0; i < OPS; i++) if (w.table.lookup(w.queryHandle[i]!, null, 0).kind !== "ok") stale.add(i);
const grantedHandles = Int32Array.from(w.queryHandle, (h, i) => (stale.has(i) ? w.queryHandle[0]! : h));

function run(
  handles: Int32Array,
  rights: Int32Array,
): { ok: number; denied: number; bad: number; secs: number } {
  let ok = 0;
  let denied = 0;
  let bad = 0;
  const t0 = performance.now();
  for (let i = 0; i < OPS; i++) {
    const r = w.table.lookup(handles[i]!, null, rights[i]!);
    if (r.kind === "ok") ok++;
    else if (r.kind === "access-denied") denied++;
    else bad++;
  }
  return { ok, denied, bad, secs: (performance.now() - t0) / 1000 };
}

function median(handles: Int32Array, rights: Int32Array) {
  run(handles, rights); // warm-up: let the optimizing compiler see the loop
  const runs = [0, 1, 2, 3, 4].map(() => run(handles, rights)).sort((a, b) => a.secs - b.secs);
  return runs[2]!;
}

const mixed = median(w.queryHandle, w.queryRights);
const fast = median(grantedHandles, granted);
console.log(
  JSON.stringify({
    bench: "handle_lookup",
    table: kind,
    impl: "ts",
    metrics: {
      lookup: { n: OPS, secs: mixed.secs, ops_per_s: Math.round(OPS / mixed.secs) },
      lookup_granted: { n: OPS, secs: fast.secs, ops_per_s: Math.round(OPS / fast.secs) },
    },
    check: { ok: mixed.ok, denied: mixed.denied, bad: mixed.bad, granted_ok: fast.ok },
  }),
);
