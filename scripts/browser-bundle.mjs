// One browser bundle of a TypeScript entry of this repository, with every @osbricks package taken
// from its sources: esbuild, platform "browser", one IIFE a page's <script> loads. For the browser
// platform esbuild resolves no Node module, so an import of one anywhere on the way fails the
// build; the error names the importing file and line. Used by `pnpm run check:browser` and
// `pnpm run web`.
import { readFileSync } from "node:fs";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { build } from "esbuild";

export const root = resolve(dirname(fileURLToPath(import.meta.url)), "..");

/** Thrown when an entry does not bundle for the browser; `message` lists esbuild's errors. */
export class BundleError extends Error {}

/**
 * The bundle of `entry` (a path from the repository root) as text. `globalName` names the global
 * its exports land on. `__DEMO_SCRIPT__` is defined as the text of the example kernel's demo script.
 */
export async function browserBundle(entry, { globalName } = {}) {
  const demo = readFileSync(join(root, "examples/scripts/demo.sh"), "utf8");
  try {
    const result = await build({
      entryPoints: [join(root, entry)],
      bundle: true,
      write: false,
      platform: "browser",
      format: "iife",
      ...(globalName === undefined ? {} : { globalName }),
      target: "es2022",
      conditions: ["@osbricks/source"],
      define: { __DEMO_SCRIPT__: JSON.stringify(demo) },
      logLevel: "silent",
    });
    return result.outputFiles[0].text;
  } catch (e) {
    if (!Array.isArray(e.errors)) throw e;
    const lines = e.errors.map((m) =>
      m.location ? `${m.location.file}:${m.location.line}: ${m.text}` : m.text,
    );
    throw new BundleError(`${entry} does not bundle for a browser:\n  ${lines.join("\n  ")}`);
  }
}
