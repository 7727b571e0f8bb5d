#!/usr/bin/env node
// The packed-packages check (`pnpm run check:packed`, after `pnpm run build`): every other test
// runs the packages from their TypeScript sources (the `@osbricks/source` condition). A student
// gets what `npm install` unpacks instead: dist/ and the declarations, resolved by plain Node.
// This packs every package as it would be published (`pnpm pack`), installs the tarballs into an
// empty project outside the workspace with npm, and there:
//
// 1. type-checks the students' labs in scripts/packed-lab/ (first-fit.ts, a frame allocator, and
//    xv6-cow.ts, the xv6 copy-on-write fork lab as a `CowStrategy`, both written against
//    `@osbricks/vm`'s interfaces) against the packed declarations, with the compiler's library
//    checks on, so a broken or unresolvable .d.ts fails;
// 2. runs `runFrameAllocatorLaws` on the allocator and `runCowStrategyLaws` on the strategy, from
//    `@osbricks/vm/laws`;
// 3. runs examples/src/browser-check.ts's entry points with every `@osbricks/*` import taken from
//    the installed packages: every law suite against our implementations, and the
//    example kernel's demo, whose console must equal `pnpm start`'s line for line.
//
// npm fetches fast-check (the packages' one dependency) from the registry or its cache.
//
//   pnpm run build && pnpm run check:packed
//   pnpm run check:packed -- --keep      # keep the project (its path is printed) to look around
import { execFileSync } from "node:child_process";
import {
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  writeFileSync,
} from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { build, transform } from "esbuild";
import { root } from "./browser-bundle.mjs";
import { consoleDifference, demoScript, isFullDemo, nodeDemoConsole } from "./demo-console.mjs";

const keep = process.argv.includes("--keep");
const LIMIT_S = 600;
setTimeout(() => {
  console.error(`check:packed: not finished after ${LIMIT_S} s; giving up`);
  process.exit(1);
}, LIMIT_S * 1000).unref();

/** A step that failed; its message says which and why. */
class CheckFailure extends Error {}

function fail(message) {
  throw new CheckFailure(message);
}

/** Run `cmd` in `cwd`; on failure exit with its output, which says what went wrong. */
function run(cmd, args, cwd, timeout = 300_000) {
  try {
    return execFileSync(cmd, args, { cwd, encoding: "utf8", stdio: ["ignore", "pipe", "pipe"], timeout });
  } catch (e) {
    fail(`${cmd} ${args.join(" ")} (in ${cwd}) failed:\n${e.stdout ?? ""}${e.stderr ?? e.message}`);
  }
}

const packages = readdirSync(join(root, "packages")).map((dir) => {
  const manifest = JSON.parse(readFileSync(join(root, "packages", dir, "package.json"), "utf8"));
  if (!existsSync(join(root, "packages", dir, "dist", "index.js"))) {
    console.error(`check:packed: packages/${dir} has no dist/: run \`pnpm run build\` first`);
    process.exit(2);
  }
  return { dir, name: manifest.name };
});

const project = mkdtempSync(join(tmpdir(), "osbricks-packed-"));
try {
  // The tarballs, exactly as `pnpm publish` would upload them ("workspace:*" becomes the version).
  const tarballs = join(project, "tarballs");
  mkdirSync(tarballs);
  const deps = {};
  for (const { dir, name } of packages) {
    const out = run("pnpm", ["pack", "--pack-destination", tarballs], join(root, "packages", dir));
    const file = out.trim().split("\n").at(-1).trim();
    deps[name] = `file:${file.startsWith("/") ? file : join(tarballs, file)}`;
  }
  // The packages depend on each other by version (0.1.0), which the registry does not have:
  // `overrides` points those at the tarballs too.
  writeFileSync(
    join(project, "package.json"),
    JSON.stringify({
      name: "a-student-lab",
      private: true,
      type: "module",
      dependencies: deps,
      overrides: deps,
    }),
  );
  run("npm", ["install", "--no-audit", "--no-fund", "--ignore-scripts", "--loglevel=error"], project);

  // 1. The students' labs against the packed declarations.
  const labs = ["first-fit", "xv6-cow"].map((name) => {
    const source = readFileSync(join(root, `scripts/packed-lab/${name}.ts`), "utf8");
    writeFileSync(join(project, `${name}.ts`), source);
    return { name, source };
  });
  writeFileSync(
    join(project, "tsconfig.json"),
    JSON.stringify({
      compilerOptions: {
        target: "es2022",
        module: "nodenext",
        moduleResolution: "nodenext",
        strict: true,
        noEmit: true,
        skipLibCheck: false,
        types: [],
      },
      files: labs.map(({ name }) => `${name}.ts`),
    }),
  );
  run(join(root, "node_modules", ".bin", "tsc"), ["-p", project], project);

  // 2. and 3. One module for plain Node: the labs as JavaScript, and the browser check's entry with
  // its relative imports bundled in and every package left to Node's resolution.
  for (const { name, source } of labs) {
    writeFileSync(
      join(project, `${name}.mjs`),
      (await transform(source, { loader: "ts", format: "esm" })).code,
    );
  }
  await build({
    entryPoints: [join(root, "examples/src/browser-check.ts")],
    outfile: join(project, "check.mjs"),
    bundle: true,
    platform: "node",
    format: "esm",
    target: "es2022",
    external: ["@osbricks/*", "fast-check"],
    logLevel: "error",
  });
  writeFileSync(
    join(project, "main.mjs"),
    [
      'import { readFileSync } from "node:fs";',
      'import { runCowStrategyLaws, runFrameAllocatorLaws } from "@osbricks/vm/laws";',
      'import { FirstFitAllocator } from "./first-fit.mjs";',
      'import { Xv6Cow } from "./xv6-cow.mjs";',
      'import { demoConsole, lawSuites } from "./check.mjs";',
      "runFrameAllocatorLaws(() => new FirstFitAllocator({ frames: 256, maxOrder: 6 }), { numRuns: 30, seed: 1 });",
      "runCowStrategyLaws(() => new Xv6Cow(), { numRuns: 30, seed: 1 });",
      "const suites = lawSuites(1);",
      'const demo = demoConsole(readFileSync(process.argv[2], "utf8"));',
      "process.stdout.write(JSON.stringify({ suites, demo }));",
    ].join("\n"),
  );
  writeFileSync(join(project, "demo.sh"), demoScript);
  // NODE_OPTIONS cleared: no `--conditions` may reach the sources from here.
  const out = execFileSync(process.execPath, ["main.mjs", "demo.sh"], {
    cwd: project,
    encoding: "utf8",
    env: { ...process.env, NODE_OPTIONS: "" },
    stdio: ["ignore", "pipe", "pipe"],
    maxBuffer: 1 << 26,
    timeout: 300_000,
  });
  const { suites, demo } = JSON.parse(out);

  const nodeConsole = nodeDemoConsole();
  const difference = consoleDifference(nodeConsole, "the demo from the packed packages", "packed", demo);
  if (difference !== undefined) fail(difference);
  if (!isFullDemo(nodeConsole)) fail("the demo's console is not the full run (no summary, or too short)");

  const laws = suites.reduce((n, s) => n + s.laws, 0);
  console.log(
    `check:packed: ${packages.length} packages packed and installed with npm into an empty project;` +
      " from there:",
  );
  console.log("  a student's FirstFitAllocator and Xv6Cow type-check against the packed declarations and");
  console.log("  keep the frame-allocator and copy-on-write laws;");
  console.log(
    `  ${laws} laws hold against our implementations (${suites.length} suite runs, every package);`,
  );
  console.log(
    `  the demo's console (${nodeConsole.split("\n").length} lines) is identical to \`pnpm start\`'s.`,
  );
} catch (e) {
  const detail =
    e instanceof CheckFailure ? e.message : e instanceof Error ? `${e.message}${e.stderr ?? ""}` : e;
  console.error(`check:packed: ${detail}`);
  process.exitCode = 1;
} finally {
  if (keep) console.log(`check:packed: the project is kept in ${project}`);
  else rmSync(project, { recursive: true, force: true });
}
