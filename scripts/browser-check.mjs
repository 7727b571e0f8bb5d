#!/usr/bin/env node
// The browser check (`pnpm run check:browser`): the packages promise to run unchanged in a browser
// (CONTRIBUTING.md). This bundles examples/src/browser-check.ts, with every @osbricks package and
// law suite from its sources, for the browser (esbuild, platform "browser": an import of a Node module
// anywhere in a package fails the bundle). In headless Chromium it then runs the
// Lunaix-like kernel's demo and compares its console line by line with what `pnpm start` prints in
// Node (the runs are deterministic, so the two must be identical), does the same with the
// Codezero-like microkernel (`pnpm run boot codezero`), runs every package's law suites
// against our implementations, as a student's browser lab would, and uses the kernel's web page
// (`pnpm run web`) as a person would: a command typed at its prompt, then `exit`.
//
//   pnpm run check:browser                 # needs Chromium: apt-get install -y chromium
//   CHROMIUM=/path/to/chrome pnpm run check:browser
import { copyFileSync, existsSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { pathToFileURL } from "node:url";
import { chromium } from "playwright-core";
import { BundleError, browserBundle, root } from "./browser-bundle.mjs";
import {
  consoleDifference,
  isFullDemo,
  isFullKernelRun,
  nodeDemoConsole,
  nodeKernelConsole,
  demoScript as script,
} from "./demo-console.mjs";

// A law that never ends, or a page that never answers, must not hold the check (or CI) forever.
const LIMIT_S = 600;
setTimeout(() => {
  console.error(`check:browser: not finished after ${LIMIT_S} s; giving up`);
  process.exit(1);
}, LIMIT_S * 1000).unref();

const executablePath = process.env.CHROMIUM ?? "/usr/bin/chromium";
if (!existsSync(executablePath)) {
  console.error(
    `check:browser: no Chromium at ${executablePath} (apt-get install -y chromium, or set CHROMIUM=...)`,
  );
  process.exit(2);
}

// 1. The bundles: the check's entry, which defines `osbricks`, and the web page's script (`pnpm run
// web`). An import of a Node module anywhere on the way fails here, naming the file.
let bundle;
let pageScript;
try {
  bundle = await browserBundle("examples/src/browser-check.ts", { globalName: "osbricks" });
  pageScript = await browserBundle("examples/src/web/terminal.ts");
} catch (e) {
  if (!(e instanceof BundleError)) throw e;
  console.error(`check:browser: ${e.message}`);
  process.exit(1);
}
// 2. The same demo in Node, exactly as `pnpm start` runs it.
const nodeConsole = nodeDemoConsole();
// The two microkernels, each as `pnpm run boot <kernel>` prints it.
const MICROKERNELS = [
  ["codezero", "the Codezero-like microkernel", "codezeroConsole"],
  ["jsix", "the jsix-like kernel", "jsixConsole"],
];
const nodeKernels = new Map(MICROKERNELS.map(([kernel]) => [kernel, nodeKernelConsole(kernel)]));

/**
 * The web page, used as a person would: it boots to the shell's prompt by itself; type a command
 * and press Enter, then `exit`; then press "Run the demo". Returns the page's console after the
 * demo (which must equal `pnpm start`'s); throws if a step does not show.
 */
async function useWebPage(browser) {
  const page = await browser.newPage();
  const errors = [];
  page.on("pageerror", (e) => errors.push(String(e)));
  await page.goto(pathToFileURL(join(site, "index.html")).href);
  const screen = page.locator("#console");
  const line = page.locator("#line");
  const waitFor = async (what, text) => {
    try {
      await page.waitForFunction((t) => document.getElementById("console").textContent.includes(t), text, {
        timeout: 10_000,
      });
    } catch {
      throw new Error(`the web page: ${what} did not show (${errors.join("; ") || "no page error"})`);
    }
  };
  await waitFor("the shell's prompt", "$ ");
  await line.fill("echo typed in a page");
  await line.press("Enter");
  await waitFor("the echo command's output", "\ntyped in a page\n");
  await line.fill("exit");
  await line.press("Enter");
  await waitFor("the summary at the halt", "leaks after halt:    none");
  if (!(await line.isDisabled())) throw new Error("the web page: the prompt is still open after the halt");
  // "Run the demo" powers on a new machine (the screen is cleared) and types the demo script.
  await page.click("#demo");
  await waitFor("the demo's summary", "leaks after halt:    none");
  if (errors.length > 0) throw new Error(`errors in the web page: ${errors.join("; ")}`);
  const text = await screen.textContent();
  await page.close();
  return text;
}

// 3. The demo, the law suites and the web page in headless Chromium. The page is served from a
// temporary folder, removed at the end whatever happens.
const site = mkdtempSync(join(tmpdir(), "osbricks-web-"));
writeFileSync(join(site, "terminal.js"), pageScript);
copyFileSync(join(root, "examples/web/index.html"), join(site, "index.html"));
let browserConsole;
const kernelConsoles = new Map();
let suites;
let version;
let webTranscript;
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
    for (const [kernel, , entry] of MICROKERNELS)
      kernelConsoles.set(kernel, await page.evaluate((name) => globalThis.osbricks[name](), entry));
    suites = await page.evaluate(() => globalThis.osbricks.lawSuites(1));
    if (pageErrors.length > 0) throw new Error(`errors in the page: ${pageErrors.join("; ")}`);
    webTranscript = await useWebPage(browser);
  } finally {
    await browser.close();
  }
} catch (e) {
  // A law violation arrives as "page.evaluate: Error: <suite>: law "<name>" violated: <report>".
  console.error(`check:browser: ${e instanceof Error ? e.message : String(e)}`);
  process.exitCode = 1;
} finally {
  rmSync(site, { recursive: true, force: true });
}
if (process.exitCode === 1) process.exit(1);

// 4. Same console, line for line; and a real one (the demo ends with its summary, leaks checked).
for (const [what, label, got] of [
  ["Chromium's console", "chromium", browserConsole],
  ["the web page's demo", "page", webTranscript],
]) {
  const difference = consoleDifference(nodeConsole, what, label, got);
  if (difference !== undefined) {
    console.error(`check:browser: ${difference}`);
    process.exit(1);
  }
}
for (const [kernel, name] of MICROKERNELS) {
  const node = nodeKernels.get(kernel);
  const difference = consoleDifference(
    node,
    `${name}'s console in Chromium`,
    "chromium",
    kernelConsoles.get(kernel),
  );
  if (difference !== undefined) {
    console.error(`check:browser: ${difference}`);
    process.exit(1);
  }
  if (!isFullKernelRun(node)) {
    console.error(`check:browser: ${name}'s console is not the full run (no summary, or leaks)`);
    process.exit(1);
  }
}
if (!isFullDemo(nodeConsole)) {
  console.error("check:browser: the demo's console is not the full run (no summary, or too short)");
  process.exit(1);
}
const lines = nodeConsole.split("\n").length;
console.log(
  `check:browser: the Lunaix-like kernel booted in Chromium ${version} and ran the demo; its console ` +
    `(${lines} lines, ${bundle.length} bytes of bundle) is identical to Node's.`,
);
for (const [kernel, name] of MICROKERNELS)
  console.log(
    `check:browser: ${name} booted in Chromium and ran its demo; its console ` +
      `(${nodeKernels.get(kernel).split("\n").length} lines) is identical to Node's.`,
  );
console.log(
  'check:browser: the web page (pnpm run web) ran "echo" and "exit" typed at its prompt, and its ' +
    '"Run the demo" button printed the same console as Node.',
);
const laws = suites.reduce((n, s) => n + s.laws, 0);
console.log(`check:browser: ${laws} laws hold in Chromium (${suites.length} suite runs, every package):`);
for (const s of suites) console.log(`  ${s.suite}: ${s.laws} law${s.laws === 1 ? "" : "s"}`);
