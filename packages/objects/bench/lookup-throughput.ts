/**
 * Handle lookups per second, measured outside vitest for a stable figure:
 *   pnpm tsx --conditions=@osbricks/source packages/objects/bench/lookup-throughput.ts [slot|map]
 * Prints one JSON line in the shape of the shared baselines (../shared/baselines/README.md).
 */
import { buildWorkload } from "./workload.js";

const OPS = 10_000_000;
const kind = process.argv[2] === "map" ? "map" : "slot";
const w = buildWorkload(OPS, kind);
const run = (): { ok: number; denied: number; bad: number; secs: number } => {
  let ok = 0;
  let denied = 0;
  let bad = 0;
  const t0 = performance.now();
  for (let i = 0; i < OPS; i++) {
    const r = w.table.lookup(w.queryHandle[i]!, null, w.queryRights[i]!);
    if (r.kind === "ok") ok++;
    else if (r.kind === "access-denied") denied++;
    else bad++;
  }
  return { ok, denied, bad, secs: (performance.now() - t0) / 1000 };
};
run(); // warm-up: let the optimizing compiler see the loop
const times: number[] = [];
let last = run();
for (let k = 0; k < 5; k++) {
  last = run();
  times.push(last.secs);
}
times.sort((a, b) => a - b);
const secs = times[2]!;
console.log(
  JSON.stringify({
    bench: "handle_lookup",
    table: kind,
    impl: "ts",
    metrics: { lookup: { n: OPS, secs, ops_per_s: Math.round(OPS / secs) } },
    check: { ok: last.ok, denied: last.denied, bad: last.bad },
  }),
);
