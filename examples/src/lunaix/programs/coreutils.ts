/**
 * Small programs for `/bin`: echo, cat, wc, upper, ls, mkdir, rm — each a few lines of user code
 * over `ulib.ts`, enough to build pipelines (`echo hi | upper | wc`) and look at the file system.
 *
 * Like their Unix namesakes they read standard input when given no file, write to standard output,
 * report errors as `name: path: ENOENT` on standard error and exit with 1 when something failed.
 *
 * Related: `sh.ts` (runs them), `ulib.ts`.
 */
import type { ProcessStart, UserCode } from "@osbricks/kernel";
import { errorName } from "@osbricks/kernel";
import { OpenFlags } from "../fs/file.js";
import { lunaixStubs as sys } from "../personality.js";
import { UserIo } from "./ulib.js";

/** `echo words…`: print the arguments separated by spaces. */
export function* echoMain(start: ProcessStart): UserCode<number> {
  const io = yield* UserIo.create();
  yield* io.print(`${start.argv.slice(1).join(" ")}\n`);
  return 0;
}

/** Text of `path`, or of standard input when `path` is undefined; an error message on failure. */
function* slurp(io: UserIo, prog: string, path: string | undefined): UserCode<string | { error: string }> {
  if (path === undefined) {
    const t = yield* io.readAll(0);
    return typeof t === "number" ? { error: `${prog}: stdin: ${errorName(t)}` } : t;
  }
  const fd = yield* io.open(path, OpenFlags.O_RDONLY);
  if (fd < 0) return { error: `${prog}: ${path}: ${errorName(fd)}` };
  const t = yield* io.readAll(fd);
  yield* sys.close(fd);
  return typeof t === "number" ? { error: `${prog}: ${path}: ${errorName(t)}` } : t;
}

/** Run `body` over each input (the files named, or standard input). */
function* eachInput(
  start: ProcessStart,
  body: (io: UserIo, text: string) => UserCode<void>,
): UserCode<number> {
  const io = yield* UserIo.create();
  const prog = start.argv[0] ?? "?";
  const files = start.argv.length > 1 ? start.argv.slice(1) : [undefined];
  let status = 0;
  for (const f of files) {
    const t = yield* slurp(io, prog, f);
    if (typeof t !== "string") {
      yield* io.write(2, `${t.error}\n`);
      status = 1;
      continue;
    }
    yield* body(io, t);
  }
  return status;
}

/** `cat [file…]`: copy files (or standard input) to standard output. */
export function catMain(start: ProcessStart): UserCode<number> {
  return eachInput(start, function* (io, text) {
    yield* io.print(text);
  });
}

/** `upper [file…]`: copy with letters in upper case (`tr a-z A-Z`). */
export function upperMain(start: ProcessStart): UserCode<number> {
  return eachInput(start, function* (io, text) {
    yield* io.print(text.toUpperCase());
  });
}

/** `wc [file…]`: lines, words and bytes, as `wc` prints them. */
export function wcMain(start: ProcessStart): UserCode<number> {
  return eachInput(start, function* (io, text) {
    const lines = (text.match(/\n/g) ?? []).length;
    const words = text.split(/\s+/).filter((w) => w !== "").length;
    const bytes = new TextEncoder().encode(text).length;
    yield* io.print(
      `${String(lines).padStart(7)} ${String(words).padStart(7)} ${String(bytes).padStart(7)}\n`,
    );
  });
}

/** `ls [dir]`: entries of a directory (default `/`), `/` after directories, `@` after devices. */
export function* lsMain(start: ProcessStart): UserCode<number> {
  const io = yield* UserIo.create();
  const path = start.argv[1] ?? "/";
  const list = yield* io.readdir(path);
  if (typeof list === "number") {
    yield* io.write(2, `ls: ${path}: ${errorName(list)}\n`);
    return 1;
  }
  const names = list
    .filter((e) => e.name !== "." && e.name !== "..")
    .map((e) => e.name + (e.type === 4 ? "/" : e.type === 2 ? "@" : ""));
  yield* io.print(`${names.join("  ")}\n`);
  return 0;
}

/** `mkdir dir…` and `rm file…`: one path call per argument. */
function pathTool(call: "mkdir" | "unlink", prog: string) {
  return function* pathToolMain(start: ProcessStart): UserCode<number> {
    const io = yield* UserIo.create();
    let status = 0;
    for (const p of start.argv.slice(1)) {
      const r = yield* io.pathCall(call, p);
      if (r < 0) {
        yield* io.write(2, `${prog}: ${p}: ${errorName(r)}\n`);
        status = 1;
      }
    }
    return status;
  };
}

/** `mkdir dir…`. */
export const mkdirMain = pathTool("mkdir", "mkdir");
/** `rm file…`. */
export const rmMain = pathTool("unlink", "rm");
