#!/usr/bin/env node
// The browser check (`pnpm run check:browser`): the packages promise to run unchanged in a browser
// (CONTRIBUTING.md). This bundles examples/src/browser-check.ts, with every @osbricks package and
// law suite from its sources, for the browser (esbuild, platform "browser": an import of a Node module
// anywhere in a package fails the bundle). In headless Chromium it then runs the
// Lunaix-like kernel's demo and compares its console line by line with what `pnpm start` prints in
// Node (the runs are deterministic, so the two must be identical), and runs a selection of the law
// suites against our implementations, as a student's browser lab would.
//
//   pnpm run check:browser                 # needs Chromium: apt-get install -y chromium
//   CHROMIUM=/path/to/chrome pnpm run check:browser
import { execFileSync } from "node:child_process";
import { existsSync, readFileSync } from "node:fs";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { build } from "esbuild";
import { chromium } from "playwright-core";

const root = resolve(dirname(fileURLToPath(import.meta.url)), "..");
const executablePath = process.env.CHROMIUM ?? "/usr/bin/chromium";
if (!existsSync(executablePath)) {
  console.error(
    `check:browser: no Chromium at ${executablePath} (apt-get install -y chromium, or set CHROMIUM=...)`,
  );
  process.exit(2);
}

// 1. The bundle: one IIFE that defines `osbricks`, as a page's <script> would load it. For the
// browser platform esbuild resolves no Node module: an import of one anywhere on the way fails the
// build, with the importing file and line.
let bundle;
try {
  const result = await build({
    entryPoints: [join(root, "examples/src/browser-check.ts")],
    bundle: true,
    write: false,
    platform: "browser",
    format: "iife",
    globalName: "osbricks",
    target: "es2022",
    conditions: ["@osbricks/source"],
    logLevel: "silent",
  });
  bundle = result.outputFiles[0].text;
} catch (e) {
  for (const m of e.errors ?? []) {
    const at = m.location ? `${m.location.file}:${m.location.line}: ` : "";
    console.error(`check:browser: ${at}${m.text}`);
  }
  if (!e.errors) console.error(e);
  console.error("check:browser: the packages must bundle for a browser (see above)");
  process.exit(1);
}

// 2. The same demo in Node, exactly as `pnpm start` runs it (its stdout is the kernel's console).
const script = readFileSync(join(root, "examples/scripts/demo.sh"), "utf8");
const tsx = join(root, "node_modules", ".bin", "tsx");
const nodeConsole = execFileSync(tsx, ["--conditions=@osbricks/source", "examples/src/main.ts"], {
  cwd: root,
  encoding: "utf8",
  stdio: ["ignore", "pipe", "ignore"],
  maxBuffer: 1 << 26,
});

// 3. The demo and the law suites in headless Chromium.
let browserConsole;
let suites;
let version;
try {
  const browser = await chromium.launch({
    executablePath,
    args: [
      "--headless",
      "--no-sandbox",
      "--disable-gpu",
      "--disable-background-networking",
      "--disable-component-update",
      "--no-first-run",
      "--disable-dev-shm-usage", // containers often have a small /dev/shm
    ],
  });
  try {
    version = browser.version();
    const page = await browser.newPage();
    const pageErrors = [];
    page.on("pageerror", (e) => pageErrors.push(String(e)));
    await page.setContent("<!doctype html><title>osbricks</title>");
    await page.addScriptTag({ content: bundle });
    const loaded = await page.evaluate(() => typeof globalThis.osbricks?.demoConsole === "function");
    if (!loaded)
      throw new Error(`the bundle did not load in the page: ${pageErrors.join("; ") || "no error"}`);
    browserConsole = await page.evaluate((text) => globalThis.osbricks.demoConsole(text), script);
    suites = await page.evaluate(() => globalThis.osbricks.lawSuites(1));
    if (pageErrors.length > 0) throw new Error(`errors in the page: ${pageErrors.join("; ")}`);
  } finally {
    await browser.close();
  }
} catch (e) {
  // A law violation arrives as "page.evaluate: Error: <suite>: law "<name>" violated: <report>".
  console.error(`check:browser: ${e instanceof Error ? e.message : String(e)}`);
  process.exit(1);
}

// 4. Same console, line for line; and a real one (the demo ends with its summary, leaks checked).
const a = nodeConsole.split("\n");
const b = browserConsole.split("\n");
const first = a.findIndex((line, i) => line !== b[i]);
if (first >= 0 || a.length !== b.length) {
  const i = first >= 0 ? first : Math.min(a.length, b.length);
  console.error(`check:browser: Chromium's console differs from Node's at line ${i + 1}:`);
  console.error(`  node:     ${JSON.stringify(a[i])}`);
  console.error(`  chromium: ${JSON.stringify(b[i])}`);
  process.exit(1);
}
if (a.length < 100 || !nodeConsole.includes("leaks after halt:    none")) {
  console.error("check:browser: the demo's console is not the full run (no summary, or too short)");
  process.exit(1);
}
console.log(
  `check:browser: the Lunaix-like kernel booted in Chromium ${version} and ran the demo; its console ` +
    `(${a.length} lines, ${bundle.length} bytes of bundle) is identical to Node's.`,
);
const laws = suites.reduce((n, s) => n + s.laws, 0);
console.log(`check:browser: ${laws} laws hold in Chromium (${suites.length} suite runs, every package):`);
for (const s of suites) console.log(`  ${s.suite}: ${s.laws} laws`);
