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
 *        ─▶ words: split at blanks; |, < and > are words of their own even unspaced (no quoting,
 *           no variables, no globbing)
 *        ─▶ builtin: help, exit [n], and the inspectors ps free buddyinfo vmrs pte sched handles
 *           forks (lunadbg), whose report `> file` sends to a file; a builtin is no program, so it
 *           cannot be a stage of a pipeline
 *        ─▶ a < in | b | c > out: for each stage, a pipe created just before its writer is
 *           spawned, stdin/stdout moved into place with close + dup (lowest free descriptor), the
 *           write end closed in the shell right after the spawn (so the reader sees end of file);
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
  if ((yield* sys.getpid()) !== 1) {
    // Typed at the shell, init would close the shell's console and report a "halt" that is not one.
    yield* io.write(2, "init: must be run as process 1 (the kernel starts it at boot)\n");
    return 1;
  }
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
  "builtins: help, exit [n], and these inspectors of the kernel (`ps > file` saves a report):",
  ...Object.values(INSPECTORS).map((u) => `  ${u}`),
  "programs (in /bin): run `ls /bin`; pipelines with |, input from a file with < path, output to one with > path",
  "^D ends the input of a program reading the terminal (cat, wc); at this prompt it ends the shell",
].join("\n");

/** One stage of a pipeline: the program path and its argv. */
interface Stage {
  readonly path: string;
  readonly argv: readonly string[];
}

/** A parsed command line: its stages, and the files `<` and `>` name (null when absent). */
export interface CommandLine {
  readonly stages: Stage[];
  readonly input: string | null;
  readonly out: string | null;
}

/**
 * Split a command line into stages and its redirections; a message on a syntax error. `< file`
 * may only feed the first stage and `> file` only take the last one's output, once each.
 */
export function parseCommandLine(line: string): CommandLine | string {
  const words = line.match(/[|<>]|[^\s|<>]+/g) ?? [];
  const stages: Stage[] = [];
  let input: string | null = null;
  let out: string | null = null;
  let argv: string[] = [];
  for (let i = 0; i < words.length; i++) {
    const w = words[i]!;
    if (w === "|") {
      if (argv.length === 0) return "sh: syntax error: empty command in a pipeline";
      if (out !== null)
        return "sh: syntax error: > must come last (only the last stage's output can go to a file)";
      stages.push(stageOf(argv));
      argv = [];
      continue;
    }
    if (w === "<" || w === ">") {
      const file = words[i + 1];
      if (file === undefined || file === "|" || file === "<" || file === ">")
        return `sh: syntax error: expected one file after ${w}`;
      i++;
      if (w === ">") {
        if (out !== null) return "sh: syntax error: expected one file after >";
        out = file;
      } else {
        if (input !== null || stages.length > 0)
          return "sh: syntax error: < must be in the first command (only it reads a file)";
        input = file;
      }
      continue;
    }
    if (out !== null) return "sh: syntax error: expected one file after >";
    argv.push(w);
  }
  if (argv.length === 0) return "sh: syntax error: empty command in a pipeline";
  stages.push(stageOf(argv));
  return { stages, input, out };
}

function stageOf(argv: readonly string[]): Stage {
  const name = argv[0]!;
  return { path: name.includes("/") ? name : `/bin/${name}`, argv };
}

/** Move descriptor `from` onto `to` (dup2 without dup2: close `to`, then dup lands on it). */
function* moveFd(from: number, to: number): UserCode<void> {
  if (from === to) return;
  yield* sys.close(to);
  yield* sys.dup(from);
}

/** Open the file `>` names (created or truncated); the descriptor, or -1 after reporting why not. */
function* openOutput(io: UserIo, out: string): UserCode<number> {
  const fd = yield* io.open(out, OpenFlags.O_WRONLY | OpenFlags.O_CREAT | OpenFlags.O_TRUNC);
  if (fd < 0) {
    yield* io.print(`sh: ${out}: ${errorName(fd)}\n`);
    return -1;
  }
  return fd;
}

/** Run one parsed command line; reports failures on the console. */
function* runPipeline(io: UserIo, { stages, input, out }: CommandLine): UserCode<void> {
  let inFd = -1;
  if (input !== null) {
    inFd = yield* io.open(input, OpenFlags.O_RDONLY);
    if (inFd < 0) {
      yield* io.print(`sh: ${input}: ${errorName(inFd)}\n`);
      return;
    }
  }
  let outFd = -1;
  if (out !== null) {
    outFd = yield* openOutput(io, out);
    if (outFd < 0) {
      if (inFd >= 0) yield* sys.close(inFd);
      return;
    }
  }
  const saved0 = yield* sys.dup(0);
  const saved1 = yield* sys.dup(1);
  const pids: { pid: number; name: string }[] = [];
  let readEnd = inFd;
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
    const parsed = parseCommandLine(text);
    if (typeof parsed === "string") {
      yield* io.print(`${parsed}\n`);
      continue;
    }
    const argv = parsed.stages[0]!.argv;
    const cmd = argv[0]!;
    if (!isBuiltin(cmd)) {
      yield* runPipeline(io, parsed);
      continue;
    }
    if (parsed.stages.length > 1) {
      yield* io.print(`sh: ${cmd}: a shell builtin, not a program: it cannot be part of a pipeline\n`);
      continue;
    }
    if (cmd === "exit") {
      // POSIX sh: `exit [n]` exits with n & 0xff; bash refuses a non-number and exits 2.
      const n = argv[1];
      if (n === undefined) return 0;
      if (/^\d+$/.test(n)) return Number(n) & 0xff;
      yield* io.print(`sh: exit: ${n}: numeric argument required\n`);
      return 2;
    }
    const report = cmd === "help" ? HELP : yield* io.lunadbg(argv.join(" "));
    if (parsed.out === null) {
      yield* io.print(`${report}\n`);
      continue;
    }
    const fd = yield* openOutput(io, parsed.out);
    if (fd < 0) continue;
    const n = yield* io.write(fd, `${report}\n`);
    if (n < 0) yield* io.print(`sh: ${parsed.out}: ${errorName(n)}\n`);
    yield* sys.close(fd);
  }
}

/** Whether `cmd` is run by the shell itself: help, exit, or an inspector. */
function isBuiltin(cmd: string): boolean {
  return cmd === "help" || cmd === "exit" || Object.hasOwn(INSPECTORS, cmd);
}
