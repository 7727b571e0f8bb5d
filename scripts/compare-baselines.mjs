#!/usr/bin/env node
// Runs the native C baselines of ../shared/baselines and our TypeScript replays of the same
// workloads (packages/*/bench/baseline-<bench>.ts) side by side, and prints the ratio to C per
// metric, plus whether every shared `check` value agrees (same work, step for step).
//
//   pnpm run bench:baselines                       # every bench that has a TypeScript replay, 3 runs
//   pnpm run bench:baselines -- --only buddy,sched # a subset
//   pnpm run bench:baselines -- --runs 5           # medians of 5 interleaved runs (default 3, as the
//                                                  # baselines' own run.sh)
//   BASELINES=/path/to/baselines pnpm run bench:baselines
//
// The C programs are built with gcc into a temporary copy, never inside shared/. Read ratios only
// from a quiet machine: the 1-minute load average is printed beside each run, and the footer gives
// the range of the load and of the CPU pressure (Linux PSI, "some avg10") over all runs, as the
// baselines' own run.sh records them. Besides the ratio of the medians, each row gives the range
// of the per-run ratios (run r of ours against run r of C), so a figure on the line shows as such.
import { execFileSync } from "node:child_process";
import { cpSync, existsSync, mkdtempSync, readdirSync, readFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";

const root = resolve(dirname(fileURLToPath(import.meta.url)), "..");
const args = process.argv.slice(2);
const opt = (name, dflt) => {
  const i = args.indexOf(`--${name}`);
  return i >= 0 ? args[i + 1] : dflt;
};
const runs = Number(opt("runs", "3"));
if (!Number.isInteger(runs) || runs < 1) {
  console.error(
    `compare-baselines: --runs ${opt("runs", "") ?? "(no value)"}: expected a whole number of runs, 1 or more`,
  );
  process.exit(2);
}
const only = opt("only", "")?.split(",").filter(Boolean) ?? [];
const src = process.env.BASELINES ?? resolve(root, "../shared/baselines");
if (!existsSync(join(src, "c"))) {
  console.error(`compare-baselines: no baselines at ${src} (set BASELINES=...)`);
  process.exit(2);
}

// Our replays, found by file name: packages/<pkg>/bench/baseline-<bench>.ts
const replays = new Map();
for (const pkg of readdirSync(join(root, "packages"))) {
  const dir = join(root, "packages", pkg, "bench");
  if (!existsSync(dir)) continue;
  for (const f of readdirSync(dir)) {
    const m = /^baseline-([\w-]+)\.ts$/.exec(f);
    if (m) replays.set(m[1], join(dir, f));
  }
}
const benches = [...replays.keys()].filter((b) => only.length === 0 || only.includes(b)).sort();
if (benches.length === 0) {
  console.error("compare-baselines: no replay matches", only.join(","));
  process.exit(2);
}

const work = mkdtempSync(join(tmpdir(), "osbricks-baselines-"));
cpSync(src, work, { recursive: true });
console.error(`building C baselines in ${work}`);
execFileSync("make", ["-s", "-C", work, "all"], { stdio: "inherit" });
const sysrate = join(work, "build", "sysrate");
if (existsSync(join(work, "c", "sysrate.c"))) {
  execFileSync("gcc", ["-O2", "-pthread", "-o", sysrate, join(work, "c", "sysrate.c")], { stdio: "inherit" });
}

const load = () => readFileSync("/proc/loadavg", "utf8").split(" ")[0];
/** CPU pressure: the share of the last 10 s in which some runnable task waited for a CPU (PSI). */
const cpuPressure = () => {
  try {
    const m = /^some avg10=([\d.]+)/m.exec(readFileSync("/proc/pressure/cpu", "utf8"));
    return m ? Number(m[1]) : Number.NaN;
  } catch {
    return Number.NaN; // no PSI on this kernel
  }
};
const host = { load: [], psi: [] };
const tsx = join(root, "node_modules", ".bin", "tsx");
const runJson = (cmd, argv) => {
  const out = execFileSync(cmd, argv, { encoding: "utf8", maxBuffer: 1 << 26, cwd: root });
  const line = out.trim().split("\n").at(-1);
  return JSON.parse(line);
};
// sysrate.c prints {metric_per_s: value, ...}; shape it like the other benches.
const normalise = (bench, j) => {
  if (j.metrics) return j;
  const metrics = {};
  for (const [k, v] of Object.entries(j)) metrics[k.replace(/_per_s$/, "")] = { ops_per_s: v };
  return { bench, impl: "c", metrics, check: {} };
};

const median = (xs) => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
};
const fmt = (x) =>
  !Number.isFinite(x)
    ? "n/a"
    : x >= 1e6
      ? `${(x / 1e6).toFixed(2)}M`
      : x >= 1e3
        ? `${(x / 1e3).toFixed(1)}k`
        : x.toFixed(1);

const rows = [];
let allAgree = true;
for (const bench of benches) {
  // A replay named baseline-<c>-<variant>.ts is compared with the C program <c> (sysrate-threads → sysrate).
  const cBin =
    [bench, bench.split("-")[0]].map((b) => join(work, "build", b)).find((p) => existsSync(p)) ?? "";
  const samples = { c: {}, ts: {} };
  // A variant of a workload (e.g. fork_exit_wait_checkpointed) names the C metric it is read against.
  const versus = {};
  const checks = { c: [], ts: [] };
  for (let r = 1; r <= runs; r++) {
    for (const impl of ["c", "ts"]) {
      if (impl === "c" && cBin === "") continue;
      const l = load();
      const psi = cpuPressure();
      host.load.push(Number(l));
      if (Number.isFinite(psi)) host.psi.push(psi);
      const pressure = Number.isFinite(psi) ? `${psi} %` : "n/a";
      console.error(`run ${r}/${runs}: ${bench} ${impl} (load ${l}, CPU pressure ${pressure})`);
      const j =
        impl === "c"
          ? normalise(bench, runJson(cBin, []))
          : runJson(tsx, ["--conditions=@osbricks/source", replays.get(bench)]);
      for (const [m, v] of Object.entries(j.metrics)) {
        const key = v.c_metric ?? m;
        (samples[impl][key] ??= []).push(v.ops_per_s);
        if (v.versus_c) versus[key] = v.versus_c;
      }
      checks[impl].push(j.check ?? {});
    }
  }
  let agree = "n/a";
  if (checks.c.length > 0) {
    agree = "yes";
    for (const t of checks.ts) {
      for (const c of checks.c) {
        for (const k of Object.keys(c)) if (k in t && String(t[k]) !== String(c[k])) agree = `no (${k})`;
      }
    }
  }
  if (agree.startsWith("no")) allAgree = false;
  for (const metric of Object.keys(samples.ts)) {
    const cm = samples.c[metric] ?? samples.c[versus[metric]];
    const c = cm ? median(cm) : Number.NaN;
    const t = median(samples.ts[metric]);
    // Run r of ours against run r of C: the two ran one after the other, on the same host state.
    const perRun = cm ? samples.ts[metric].map((x, i) => x / cm[i]).filter(Number.isFinite) : [];
    rows.push({ bench, metric, c, t, ratio: t / c, perRun, agree });
  }
}

const range = (xs, digits) =>
  xs.length === 0 ? "n/a" : `${Math.min(...xs).toFixed(digits)}–${Math.max(...xs).toFixed(digits)}`;
console.log(`\n| bench | metric | C ops/s | TS ops/s | TS/C | per run | same results |`);
console.log(`|---|---|---:|---:|---:|---:|---|`);
for (const r of rows) {
  const ratio = Number.isFinite(r.ratio) ? r.ratio.toFixed(2) : "n/a";
  const spread = r.perRun.length > 1 ? range(r.perRun, 2) : "";
  console.log(
    `| ${r.bench} | ${r.metric} | ${fmt(r.c)} | ${fmt(r.t)} | **${ratio}** | ${spread} | ${r.agree} |`,
  );
}
console.log(`\nnode ${process.version}, ${runs} run(s) each, medians; C: gcc -O2.`);
console.log(
  `host: load ${range(host.load, 2)}, CPU pressure (PSI some avg10) ${range(host.psi, 1)} %` +
    " over the runs; read ratios from a quiet host (pressure near 0).",
);
process.exit(allAgree ? 0 : 1);
