/**
 * Small programs for `/bin`: echo, cat, wc, upper, ls, mkdir, rmdir, rm, kill — each a few lines of user
 * code over `ulib.ts`, enough to build pipelines (`echo hi | upper | wc`), look at the file system
 * and send signals.
 *
 * Like their Unix namesakes they read standard input when given no file, write to standard output,
 * report errors as `name: path: ENOENT` on standard error and exit with 1 when something failed —
 * a failed write included (`cat: write error: ENOSPC` when the ramfs is full), never a silently
 * short file.
 *
 * Related: `sh.ts` (runs them), `ulib.ts`.
 */
import type { ProcessStart, UserCode } from "@osbricks/kernel";
import { errorName, Sig, signalName } from "@osbricks/kernel";
import { OpenFlags } from "../fs/file.js";
import { lunaixStubs as sys } from "../personality.js";
import { UserIo } from "./ulib.js";

/** Write `text` to standard output; false, once reported on standard error, if the write failed. */
function* emit(io: UserIo, prog: string, text: string): UserCode<boolean> {
  const n = yield* io.write(1, text);
  if (n >= 0) return true;
  yield* io.write(2, `${prog}: write error: ${errorName(n)}\n`);
  return false;
}

/** `echo words…`: print the arguments separated by spaces. */
export function* echoMain(start: ProcessStart): UserCode<number> {
  const io = yield* UserIo.create();
  return (yield* emit(io, "echo", `${start.argv.slice(1).join(" ")}\n`)) ? 0 : 1;
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

/** {@link eachInput}'s answer when a write failed (the program's exit status is then 1). */
const WRITE_FAILED = -1;

/**
 * Write what `body` makes of each input (the files named, or standard input, whose name is
 * undefined); the exit status (1 if an input could not be read), or {@link WRITE_FAILED}: a
 * write error ends the program, as it ends cat.
 */
function* eachInput(
  io: UserIo,
  start: ProcessStart,
  body: (text: string, name: string | undefined) => string,
): UserCode<number> {
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
    if (!(yield* emit(io, prog, body(t, f)))) return WRITE_FAILED;
  }
  return status;
}

/** `cat [file…]`: copy files (or standard input) to standard output. */
export function* catMain(start: ProcessStart): UserCode<number> {
  const io = yield* UserIo.create();
  return Math.abs(yield* eachInput(io, start, (text) => text));
}

/** `upper [file…]`: copy with letters in upper case (`tr a-z A-Z`). */
export function* upperMain(start: ProcessStart): UserCode<number> {
  const io = yield* UserIo.create();
  return Math.abs(yield* eachInput(io, start, (text) => text.toUpperCase()));
}

/** One line of `wc`'s report: three right-aligned counts, then the file's name if it has one. */
function wcLine(counts: readonly number[], name: string | undefined): string {
  return `${counts.map((n) => String(n).padStart(7)).join(" ")}${name === undefined ? "" : ` ${name}`}\n`;
}

/** `wc [file…]`: lines, words and bytes, as `wc` prints them (with each file's name, and a total for several). */
export function* wcMain(start: ProcessStart): UserCode<number> {
  const io = yield* UserIo.create();
  const total = [0, 0, 0];
  const status = yield* eachInput(io, start, (text, name) => {
    const counts = [
      (text.match(/\n/g) ?? []).length,
      text.split(/\s+/).filter((w) => w !== "").length,
      new TextEncoder().encode(text).length,
    ];
    for (let i = 0; i < 3; i++) total[i]! += counts[i]!;
    return wcLine(counts, name);
  });
  if (status === WRITE_FAILED || start.argv.length <= 2) return Math.abs(status);
  return (yield* emit(io, "wc", wcLine(total, "total"))) ? status : 1;
}

/**
 * `ls [dir]`: entries of a directory (default `/`), `/` after directories, as `ls -F` marks them
 * (whose `@` would mean a symbolic link: devices get no mark).
 */
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
    .map((e) => e.name + (e.type === 4 ? "/" : ""));
  yield* io.print(`${names.join("  ")}\n`);
  return 0;
}

/** `mkdir dir…`, `rmdir dir…` and `rm file…`: one path call per argument. */
function pathTool(call: "mkdir" | "rmdir" | "unlink", prog: string) {
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
/** `rmdir dir…`: removes empty directories (ENOTEMPTY otherwise). */
export const rmdirMain = pathTool("rmdir", "rmdir");
/** `rm file…` (a directory is EISDIR: `rmdir` removes those). */
export const rmMain = pathTool("unlink", "rm");

/** The number of a signal written as `kill` takes it: `9`, `KILL`, `SIGKILL` (any case); else null. */
export function parseSignal(text: string): number | null {
  if (/^\d+$/.test(text)) {
    const n = Number(text);
    return n < 32 ? n : null;
  }
  const name = text.toUpperCase();
  const full = name.startsWith("SIG") ? name : `SIG${name}`;
  return Object.hasOwn(Sig, full) ? Sig[full as keyof typeof Sig] : null;
}

const KILL_USAGE = "kill: usage: kill [-SIGNAL | -s SIGNAL] pid... | kill -l";

/**
 * `kill [-SIGNAL | -s SIGNAL] pid…` and `kill -l`: POSIX's kill utility over kill(2). The signal
 * is a name (`TERM`, `SIGKILL`) or a number, SIGTERM by default, 0 to probe; each pid gets it in
 * turn, and a refusal is reported with the kernel's errno (ESRCH: no such process, or no
 * process in the group). As kill(2) has it, `-N` (after `--` or a signal) is process group N, `0`
 * is kill's own group — the job the shell made for it, so it signals itself — and `-1` every
 * process but init and kill. Exit status 1 if any pid failed, 2 for a usage error.
 */
export function* killMain(start: ProcessStart): UserCode<number> {
  const io = yield* UserIo.create();
  const args = start.argv.slice(1);
  if (args.length === 1 && args[0] === "-l") {
    const names: string[] = [];
    for (let n = 1; n < 32; n++) names.push(`${n}) ${signalName(n).slice(3)}`);
    yield* io.print(`${names.join(" ")}\n`);
    return 0;
  }
  // The signal: `-s NAME`, `-NAME` or `-N` first; SIGTERM without one.
  let sigText: string | null = null;
  let first = 0;
  const a0 = args[0] ?? "";
  if (a0 === "--") first = 1;
  else if (a0 === "-s") {
    sigText = args[1] ?? "";
    first = 2;
  } else if (a0.startsWith("-")) {
    sigText = a0.slice(1);
    first = 1;
  }
  const sig = sigText === null ? Sig.SIGTERM : parseSignal(sigText);
  if (sig === null) {
    yield* io.write(2, `kill: ${JSON.stringify(sigText)}: not a signal (kill -l lists them)\n`);
    return 2;
  }
  const pids = args.slice(first);
  if (pids.length === 0) {
    yield* io.write(2, `${KILL_USAGE}\n`);
    return 2;
  }
  let status = 0;
  for (const p of pids) {
    if (!/^-?\d+$/.test(p)) {
      yield* io.write(2, `kill: ${p}: not a pid\n`);
      status = 1;
      continue;
    }
    const r = yield* sys.kill(Number(p), sig);
    if (r < 0) {
      yield* io.write(2, `kill: (${p}): ${errorName(r)}\n`);
      status = 1;
    }
  }
  return status;
}
