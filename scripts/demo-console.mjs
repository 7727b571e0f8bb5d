// The example kernel's demo console as `pnpm start` prints it in Node, from the sources, and the
// comparison the checks that run the same demo elsewhere make with it (`pnpm run check:browser`
// in Chromium, `pnpm run check:packed` from the packed packages). The runs are deterministic, so
// a console that differs in any line is a bug.
import { execFileSync } from "node:child_process";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { root } from "./browser-bundle.mjs";

/** The demo's script, the text `pnpm start` types into the kernel's shell. */
export const demoScript = readFileSync(join(root, "examples/scripts/demo.sh"), "utf8");

/** The demo's console in Node, exactly as `pnpm start` runs it (its stdout is the kernel's console). */
export function nodeDemoConsole() {
  const tsx = join(root, "node_modules", ".bin", "tsx");
  return execFileSync(tsx, ["--conditions=@osbricks/source", "examples/src/main.ts"], {
    cwd: root,
    encoding: "utf8",
    stdio: ["ignore", "pipe", "inherit"], // its stderr (the host-time line, or a crash) shows as is
    maxBuffer: 1 << 26,
    timeout: 120_000,
  });
}

/**
 * A microkernel's console in Node, exactly as `pnpm run boot <kernel>` prints it (`codezero`,
 * `jsix`: they have no shell, so nothing is typed).
 */
export function nodeKernelConsole(kernel) {
  const tsx = join(root, "node_modules", ".bin", "tsx");
  return execFileSync(tsx, ["--conditions=@osbricks/source", "examples/src/boot.ts", kernel], {
    cwd: root,
    encoding: "utf8",
    stdio: ["ignore", "pipe", "inherit"],
    maxBuffer: 1 << 26,
    timeout: 120_000,
  });
}

/** Whether `text` is such a kernel's whole run: its summary, with leaks checked. */
export function isFullKernelRun(text) {
  return text.includes("---- summary ----") && text.includes("leaks after the run:   none");
}

/**
 * `undefined` when `got` is Node's console `expected` line for line; otherwise a message naming
 * the first differing line, both versions of it, `what` was compared and under which `label`.
 */
export function consoleDifference(expected, what, label, got) {
  const a = expected.split("\n");
  const b = got.split("\n");
  if (a.length === b.length && a.every((line, i) => line === b[i])) return undefined;
  const first = a.findIndex((line, i) => line !== b[i]);
  const i = first >= 0 ? first : Math.min(a.length, b.length);
  return [
    `${what} differs from Node's at line ${i + 1}:`,
    `  ${"node:".padEnd(label.length + 1)} ${JSON.stringify(a[i])}`,
    `  ${label}: ${JSON.stringify(b[i])}`,
  ].join("\n");
}

/** Whether `text` is the whole demo: long enough, and ending with the summary with leaks checked. */
export function isFullDemo(text) {
  return text.split("\n").length >= 100 && text.includes("leaks after halt:    none");
}
