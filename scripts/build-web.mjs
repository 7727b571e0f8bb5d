#!/usr/bin/env node
// `pnpm run web`: the Lunaix-like kernel as a web page. Writes examples/web/dist/index.html and
// terminal.js (the kernel and every package in one script); open the page in a browser, from disk
// or any static server. No server or build tool is needed to use it.
import { copyFileSync, mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { BundleError, browserBundle, root } from "./browser-bundle.mjs";

const out = join(root, "examples/web/dist");
try {
  const script = await browserBundle("examples/src/web/terminal.ts");
  mkdirSync(out, { recursive: true });
  writeFileSync(join(out, "terminal.js"), script);
  copyFileSync(join(root, "examples/web/index.html"), join(out, "index.html"));
  console.log(`web: open ${join(out, "index.html")} in a browser (${script.length} bytes of script)`);
} catch (e) {
  if (!(e instanceof BundleError)) throw e;
  console.error(`web: ${e.message}`);
  process.exit(1);
}
