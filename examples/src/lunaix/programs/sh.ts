/**
 * `/bin/init` and `/bin/sh`: the first user process and the shell on the serial console.
 *
 * init opens `/dev/ttyS0` as descriptors 0, 1 and 2 (closing the boot console's — the lowest
 * free descriptor rule makes `close(0); open(tty)` land on 0, as Unix's init did before `dup2`),
 * starts the shell the classic way (fork, then exec in the child) and reaps every child until the
 * shell exits. The shell starts its commands the Lunaix way, with `posix_spawn` (no copy).
 *
 * The shell reads one line at a time from the console and runs it:
 *
 * ```
 *   line ─▶ "#…" comment / empty: nothing
 *        ─▶ builtin: help, exit, and the inspectors ps free buddyinfo vmrs pte sched handles forks (lunadbg)
 *        ─▶ a | b | c > file: for each stage, a pipe created just before its writer is spawned,
 *           stdin/stdout moved into place with close + dup (lowest free descriptor), the write
 *           end closed in the shell right after the spawn (so the reader sees end of file);
 *           then every stage is waited for, and a stage that failed is reported.
 * ```
 *
 * Programs are found by path: a bare name is looked up in `/bin` (the kernel's exec and spawn
 * accept only a path naming an executable inode). Unknown programs, bad inspector arguments and
 * crashing programs are reported on the console, and the shell carries on.
 *
 * Related: `ulib.ts`, `../inspect.ts`, `../personality.ts`.
 */
import { Errno, errorName, type ProcessStart, signalName, type UserCode } from "@osbricks/kernel";
import { OpenFlags } from "../fs/file.js";
import { INSPECTORS } from "../inspect.js";
import { lunaixStubs as sys } from "../personality.js";
import { describeStatus, UserIo } from "./ulib.js";

/** The console device every process's standard descriptors end up on. */
export const CONSOLE_PATH = "/dev/ttyS0";
/** The prompt the shell prints before each line. */
export const PROMPT = "$ ";

/** `/bin/init`: console on 0/1/2, spawn the shell, reap children until it exits. */
export function* initMain(_start: ProcessStart): UserCode<number> {
  const io = yield* UserIo.create();
  for (const fd of [0, 1, 2]) yield* sys.close(fd);
  const tty = yield* io.open(CONSOLE_PATH, OpenFlags.O_RDWR);
  if (tty !== 0) return 1;
  yield* sys.dup(0);
  yield* sys.dup(0);
  yield* io.print(`init: console on ${CONSOLE_PATH}, starting /bin/sh\n`);
  // The classic Unix way: fork, and the child execs the shell (the shell itself uses spawn).
  const sh = yield* sys.fork();
  if (sh === 0) {
    const err = yield* io.exec("/bin/sh", ["sh"]);
    yield* io.print(`init: cannot exec /bin/sh: ${errorName(err)}\n`);
    return 127;
  }
  if (sh < 0) {
    yield* io.print(`init: cannot fork: ${errorName(sh)}\n`);
    return 1;
  }
  for (;;) {
    const r = yield* io.waitpid(-1);
    if (r.pid < 0) break; // ECHILD: nobody left
    if (r.pid === sh) {
      yield* io.print(`init: shell exited (${describeStatus(r.status, signalName)}); halting\n`);
      break;
    }
    yield* io.print(`init: reaped orphan ${r.pid} (${describeStatus(r.status, signalName)})\n`);
  }
  return 0;
}

const HELP = [
  "builtins: help, exit",
  ...Object.values(INSPECTORS).map((u) => `  ${u}`),
  "programs (in /bin): run `ls /bin`; pipelines with |, output to a file with > path",
].join("\n");

/** One stage of a pipeline: the program path and its argv. */
interface Stage {
  readonly path: string;
  readonly argv: readonly string[];
}

/** Split a command line into stages and an optional output file; a message on a syntax error. */
export function parseCommandLine(line: string): { stages: Stage[]; out: string | null } | string {
  let out: string | null = null;
  let text = line;
  const gt = text.indexOf(">");
  if (gt >= 0) {
    const target = text
      .slice(gt + 1)
      .trim()
      .split(/\s+/);
    if (target.length !== 1 || target[0] === "") return "sh: syntax error: expected one file after >";
    out = target[0]!;
    text = text.slice(0, gt);
  }
  const stages: Stage[] = [];
  for (const part of text.split("|")) {
    const argv = part
      .trim()
      .split(/\s+/)
      .filter((w) => w !== "");
    if (argv.length === 0) return "sh: syntax error: empty command in a pipeline";
    const name = argv[0]!;
    stages.push({ path: name.includes("/") ? name : `/bin/${name}`, argv });
  }
  return { stages, out };
}

/** Move descriptor `from` onto `to` (dup2 without dup2: close `to`, then dup lands on it). */
function* moveFd(from: number, to: number): UserCode<void> {
  if (from === to) return;
  yield* sys.close(to);
  yield* sys.dup(from);
}

/** Run one parsed command line; reports failures on the console. */
function* runPipeline(io: UserIo, stages: readonly Stage[], out: string | null): UserCode<void> {
  const saved0 = yield* sys.dup(0);
  const saved1 = yield* sys.dup(1);
  let outFd = -1;
  if (out !== null) {
    outFd = yield* io.open(out, OpenFlags.O_WRONLY | OpenFlags.O_CREAT | OpenFlags.O_TRUNC);
    if (outFd < 0) {
      yield* io.print(`sh: ${out}: ${errorName(outFd)}\n`);
      yield* sys.close(saved0);
      yield* sys.close(saved1);
      return;
    }
  }
  const pids: { pid: number; name: string }[] = [];
  let readEnd = -1;
  for (let i = 0; i < stages.length; i++) {
    const st = stages[i]!;
    const last = i === stages.length - 1;
    let writeEnd = -1;
    let nextRead = -1;
    if (!last) {
      const [r, w] = yield* io.pipe();
      if (r < 0) {
        yield* io.print(`sh: pipe: ${errorName(r)}\n`);
        break;
      }
      nextRead = r;
      writeEnd = w;
    }
    yield* moveFd(readEnd >= 0 ? readEnd : saved0, 0);
    yield* moveFd(writeEnd >= 0 ? writeEnd : outFd >= 0 ? outFd : saved1, 1);
    const pid = yield* io.spawn(st.path, st.argv);
    yield* moveFd(saved0, 0);
    yield* moveFd(saved1, 1);
    if (writeEnd >= 0) yield* sys.close(writeEnd);
    if (readEnd >= 0) yield* sys.close(readEnd);
    readEnd = nextRead;
    if (pid < 0) {
      const why = pid === -Errno.ENOENT ? "command not found" : errorName(pid);
      yield* io.print(`sh: ${st.argv[0]}: ${why}\n`);
      continue;
    }
    pids.push({ pid, name: st.argv[0]! });
  }
  if (readEnd >= 0) yield* sys.close(readEnd);
  if (outFd >= 0) yield* sys.close(outFd);
  yield* sys.close(saved0);
  yield* sys.close(saved1);
  for (const { pid, name } of pids) {
    const r = yield* io.waitpid(pid);
    if (r.pid === pid && r.status !== 0) {
      yield* io.print(`sh: ${name} (pid ${pid}) ${describeStatus(r.status, signalName)}\n`);
    }
  }
}

/** `/bin/sh`: the shell (see the banner). Exits at `exit` or at end of input. */
export function* shMain(_start: ProcessStart): UserCode<number> {
  const io = yield* UserIo.create();
  yield* io.print("sh: type help for commands\n");
  for (;;) {
    yield* io.print(PROMPT);
    const line = yield* io.readLine(0);
    if (line === null) {
      yield* io.print("\nsh: end of input\n");
      return 0;
    }
    const text = line.trim();
    if (text === "" || text.startsWith("#")) continue;
    const [cmd] = text.split(/\s+/);
    if (cmd === "exit") return 0;
    if (cmd === "help") {
      yield* io.print(`${HELP}\n`);
      continue;
    }
    if (cmd !== undefined && cmd in INSPECTORS && !text.includes("|")) {
      yield* io.print(`${yield* io.lunadbg(text)}\n`);
      continue;
    }
    const parsed = parseCommandLine(text);
    if (typeof parsed === "string") {
      yield* io.print(`${parsed}\n`);
      continue;
    }
    yield* runPipeline(io, parsed.stages, parsed.out);
  }
}
