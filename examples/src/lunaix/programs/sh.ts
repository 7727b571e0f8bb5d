/**
 * `/bin/init` and `/bin/sh`: the first user process and the shell on the serial console.
 *
 * init opens `/dev/ttyS0` as descriptors 0, 1 and 2 with O_NOCTTY (closing the boot console's —
 * the lowest free descriptor rule makes `close(0); open(tty)` land on 0, as Unix's init did
 * before `dup2`), starts the shell the classic way (fork; the child, as getty does, calls setsid
 * and opens the console again, which makes it the controlling terminal of the new session, then
 * execs) and reaps every child: the shell, then whatever jobs it left. The shell starts its
 * commands the Lunaix way, with `posix_spawn` (no copy).
 *
 * The shell reads one line at a time from the console and runs it:
 *
 * ```
 *   line ─▶ "#…" comment / empty: nothing
 *        ─▶ words: split at blanks; |, <, > and & are words of their own even unspaced (no
 *           quoting, no variables, no globbing)
 *        ─▶ builtin: help, exit [n], jobs, fg [%n], bg [%n], stty, and the inspectors ps free buddyinfo
 *           vmrs pte sched handles forks (lunadbg), whose report `> file` sends to a file; a
 *           builtin is no program, so it cannot be a stage of a pipeline
 *        ─▶ a < in | b | c > out [&]: one job. For each stage, a pipe created just before its
 *           writer is spawned, stdin/stdout moved into place with close + dup (lowest free
 *           descriptor), the write end closed in the shell right after the spawn (so the reader
 *           sees end of file). Then the job runs in the foreground (waited for), or with & in the
 *           background (the next prompt comes at once).
 * ```
 *
 * **Job control** (when standard input is the controlling terminal; POSIX 2.11, bash's manual
 * "Job Control"). The shell catches SIGINT (a new prompt) and ignores SIGQUIT, SIGTSTP, SIGTTIN
 * and SIGTTOU. Every job is a process group led by its first stage; its stages start with those
 * signals at their defaults, and a foreground job's group is the terminal's foreground before it
 * runs. Then:
 *
 * ```
 *   foreground job   waitpid(-pgid, WUNTRACED) until every stage has ended, or none runs: one
 *                    stopped (^Z) and the others too or ended (bash's job_stopped);
 *                    tcsetpgrp(0, shell's group) takes the terminal back; a failed stage is
 *                    reported, a stopped job goes into the job table: "[1]+  Stopped  wc"
 *   background job   "[1] pgid"; at each prompt waitpid(-1, WNOHANG|WUNTRACED|WCONTINUED)
 *                    reports "Stopped" (it read the terminal: SIGTTIN) or "Done"
 *   fg [%n]          tcsetpgrp(0, pgid), kill(-pgid, SIGCONT), then as a foreground job
 *   bg [%n]          kill(-pgid, SIGCONT): it runs on in the background
 *   exit, ^D         with a job stopped: "There are stopped jobs." and the shell stays; a second
 *                    exit (or ^D) in a row, or one right after `jobs`, exits, and the kernel hangs
 *                    the stopped jobs up (their groups are orphaned: SIGHUP, then SIGCONT)
 * ```
 *
 * Programs are found by path: a bare name is looked up in `/bin` (the kernel's exec and spawn
 * accept only a path naming an executable inode). Unknown programs, bad inspector arguments and
 * crashing programs are reported on the console, and the shell carries on.
 *
 * Related: `ulib.ts`, `../inspect.ts`, `../personality.ts`.
 */
import {
  Errno,
  errorName,
  type ProcessStart,
  SIG_IGN,
  Sig,
  sigbit,
  signalName,
  TcsaAction,
  type UserCode,
  WaitOptions,
  WIFCONTINUED,
  WIFSTOPPED,
} from "@osbricks/kernel";
import { OpenFlags } from "../fs/file.js";
import { INSPECTORS } from "../inspect.js";
import { lunaixStubs as sys } from "../personality.js";
import { applySettings, describeModes } from "./stty.js";
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
  // O_NOCTTY: init leads session 1, and would otherwise take the console as its terminal.
  if (!(yield* consoleOn012(io, OpenFlags.O_NOCTTY))) return 1;
  yield* io.print(`init: console on ${CONSOLE_PATH}, starting /bin/sh\n`);
  // The classic Unix way: fork, and the child execs the shell (the shell itself uses spawn).
  const sh = yield* sys.fork();
  if (sh === 0) {
    // As getty does: a session of its own, whose leader opens the console and so acquires it as
    // its controlling terminal (its group is the foreground), then the shell.
    yield* sys.setsid();
    if (!(yield* consoleOn012(io, 0))) return 1;
    const err = yield* io.exec("/bin/sh", ["sh"]);
    yield* io.print(`init: cannot exec /bin/sh: ${errorName(err)}\n`);
    return 127;
  }
  if (sh < 0) {
    yield* io.print(`init: cannot fork: ${errorName(sh)}\n`);
    return 1;
  }
  // Reap every child; after the shell, the jobs it left (a stopped one was hung up: the shell's
  // exit orphaned its group) until none is left.
  for (;;) {
    const r = yield* io.waitpid(-1);
    if (r.pid < 0) break; // ECHILD: nobody left
    if (r.pid === sh) {
      yield* io.print(`init: shell exited (${describeStatus(r.status, signalName)}); halting\n`);
      continue;
    }
    yield* io.print(`init: reaped orphan ${r.pid} (${describeStatus(r.status, signalName)})\n`);
  }
  return 0;
}

/** Close 0, 1, 2 and open the console on them (`close(0); open(tty)` lands on 0, the lowest free). */
function* consoleOn012(io: UserIo, flags: number): UserCode<boolean> {
  for (const fd of [0, 1, 2]) yield* sys.close(fd);
  const tty = yield* io.open(CONSOLE_PATH, OpenFlags.O_RDWR | flags);
  if (tty !== 0) return false;
  yield* sys.dup(0);
  yield* sys.dup(0);
  return true;
}

const HELP = [
  "builtins: help, exit [n], and these inspectors of the kernel (`ps > file` saves a report):",
  ...Object.values(INSPECTORS).map((u) => `  ${u}`),
  "programs (in /bin): run `ls /bin`; pipelines with |, input from a file with < path, output to one with > path",
  "jobs: `cmd &` runs in the background; ^C interrupts the foreground job, ^Z stops it; jobs, fg [%n], bg [%n]",
  "^D ends the input of a program reading the terminal (cat, wc); at this prompt it ends the shell",
].join("\n");

/** One stage of a pipeline: the program path and its argv. */
interface Stage {
  readonly path: string;
  readonly argv: readonly string[];
}

/** A parsed command line: its stages, the files `<` and `>` name (null when absent), and `&`. */
export interface CommandLine {
  readonly stages: Stage[];
  readonly input: string | null;
  readonly out: string | null;
  /** It ended with `&`: run it as a background job. */
  readonly background: boolean;
}

/**
 * Split a command line into stages and its redirections; a message on a syntax error. `< file`
 * may only feed the first stage and `> file` only take the last one's output, once each; a final
 * `&` runs the line in the background.
 */
export function parseCommandLine(line: string): CommandLine | string {
  const words: string[] = line.match(/[|<>&]|[^\s|<>&]+/g) ?? [];
  const background = words.at(-1) === "&";
  if (background) words.pop();
  if (words.includes("&")) return "sh: syntax error: & must end the command line";
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
  return { stages, input, out, background };
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

/**
 * Signals an interactive shell catches or ignores (SIGINT: a new prompt; SIGQUIT, SIGTSTP,
 * SIGTTIN, SIGTTOU: never stopped or killed by the keyboard, nor by taking the terminal back), and
 * gives back to its jobs at their default action (POSIX_SPAWN_SETSIGDEF), as a Unix shell's
 * child does before its exec.
 */
const JOB_SIGNALS = [Sig.SIGINT, Sig.SIGQUIT, Sig.SIGTSTP, Sig.SIGTTIN, Sig.SIGTTOU].reduce(
  (set, sig) => set | sigbit(sig),
  0,
);

/** The shell's SIGINT handler: nothing to do; the interrupted read returns EINTR and a new prompt follows. */
function* onInterrupt(_sig: number): UserCode<void> {}

/** One job: a command line's pipeline, in a process group of its own (led by its first stage). */
interface Job {
  /** Its number for `fg %n`, `bg %n`, `jobs`; 0 until it enters the job table. */
  id: number;
  readonly pgid: number;
  /** The command line as typed, without its `&`. */
  readonly text: string;
  /** Its processes, in stage order. */
  readonly stages: readonly { readonly pid: number; readonly name: string }[];
  /** Wait statuses of the stages that have ended, by pid. */
  readonly ended: Map<number, number>;
  /** The stages reported stopped and not continued or ended since. */
  readonly stoppedPids: Set<number>;
  /** Stopped when no stage runs: each has stopped or ended, and one at least has stopped. */
  state: "running" | "stopped";
}

/**
 * The job table: jobs that are stopped or run in the background. The last one is the current job
 * (`+`, what `fg` and `bg` take without an argument): a job becomes current when it is put in the
 * background or stopped. Numbers start at 1 and go on from the highest in the table.
 */
class JobTable {
  readonly jobs: Job[] = [];

  /** A new job's number. */
  nextId(): number {
    return this.jobs.reduce((m, j) => Math.max(m, j.id), 0) + 1;
  }

  /** Make `job` the current job (adding it if it is not in the table). */
  makeCurrent(job: Job): void {
    this.remove(job);
    this.jobs.push(job);
  }

  remove(job: Job): void {
    const i = this.jobs.indexOf(job);
    if (i >= 0) this.jobs.splice(i, 1);
  }

  byPid(pid: number): Job | undefined {
    return this.jobs.find((j) => j.stages.some((s) => s.pid === pid));
  }

  /** The job `%n` names (or the current one with no argument); a message when there is none. */
  find(cmd: string, spec: string | undefined): Job | string {
    if (spec === undefined) return this.jobs.at(-1) ?? `sh: ${cmd}: no current job`;
    const n = /^%?(\d+)$/.exec(spec);
    const job = n === null ? undefined : this.jobs.find((j) => j.id === Number(n[1]));
    return job ?? `sh: ${cmd}: ${spec}: no such job`;
  }

  /** `[n]+  Stopped                 text`: bash's layout (the state padded to 24 columns). */
  line(job: Job, state: string): string {
    const mark = job === this.jobs.at(-1) ? "+" : " ";
    return `[${job.id}]${mark}  ${state.padEnd(24)}${job.text}\n`;
  }
}

/** What the shell carries from line to line. */
interface Shell {
  readonly io: UserIo;
  /** Job control is on: standard input is the shell's controlling terminal. */
  readonly jobControl: boolean;
  /** The shell's own process group, which gets the terminal back after each foreground job. */
  readonly pgid: number;
  readonly jobs: JobTable;
  /**
   * The next `exit` (or ^D) may leave with jobs stopped: the last command line was an exit
   * refused with "There are stopped jobs." or `jobs` (bash's `exit_or_logout`). Any other command
   * clears it; an empty line, a comment or a syntax error (no command runs) does not.
   */
  exitWarned: boolean;
}

/** Start the stages of one parsed command line; the job, or null when no stage could start. */
function* startPipeline(
  sh: Shell,
  { stages, input, out, background }: CommandLine,
  text: string,
): UserCode<Job | null> {
  const io = sh.io;
  let inFd = -1;
  if (input !== null) {
    inFd = yield* io.open(input, OpenFlags.O_RDONLY);
    if (inFd < 0) {
      yield* io.print(`sh: ${input}: ${errorName(inFd)}\n`);
      return null;
    }
  }
  let outFd = -1;
  if (out !== null) {
    outFd = yield* openOutput(io, out);
    if (outFd < 0) {
      if (inFd >= 0) yield* sys.close(inFd);
      return null;
    }
  }
  const saved0 = yield* sys.dup(0);
  const saved1 = yield* sys.dup(1);
  const pids: { pid: number; name: string }[] = [];
  let pgid = 0;
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
    // With job control the first stage leads a new group, the others join it, and a foreground
    // job has the terminal before it runs (POSIX_SPAWN_TCSETPGROUP): no stage reads it first.
    const pid = sh.jobControl
      ? yield* io.spawn(st.path, st.argv, {
          pgroup: pgid,
          sigdefault: JOB_SIGNALS,
          foreground: pgid === 0 && !background,
        })
      : yield* io.spawn(st.path, st.argv);
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
    if (pgid === 0) pgid = pid;
    pids.push({ pid, name: st.argv[0]! });
  }
  if (readEnd >= 0) yield* sys.close(readEnd);
  if (outFd >= 0) yield* sys.close(outFd);
  yield* sys.close(saved0);
  yield* sys.close(saved1);
  if (pids.length === 0) return null;
  return { id: 0, pgid, text, stages: pids, ended: new Map(), stoppedPids: new Set(), state: "running" };
}

/** Report the stages of a finished job that failed, in stage order. */
function* reportFailures(io: UserIo, job: Job): UserCode<void> {
  for (const { pid, name } of job.stages) {
    const status = job.ended.get(pid) ?? 0;
    if (status !== 0) yield* io.print(`sh: ${name} (pid ${pid}) ${describeStatus(status, signalName)}\n`);
  }
}

/**
 * Record one wait report for `job`: a stop, a continue, or a stage's end. The job is stopped once
 * no stage runs (bash's `job_stopped`): a pipeline with one stage stopped by a signal of its own
 * (`kill -STOP`) while another still reads is still running, and keeps the terminal.
 */
function record(job: Job, pid: number, status: number): void {
  if (WIFSTOPPED(status)) job.stoppedPids.add(pid);
  else {
    job.stoppedPids.delete(pid);
    if (!WIFCONTINUED(status)) job.ended.set(pid, status);
  }
  const stoppedOrEnded = job.stoppedPids.size + job.ended.size === job.stages.length;
  job.state = job.stoppedPids.size > 0 && stoppedOrEnded ? "stopped" : "running";
}

/** The shell sent the job SIGCONT (`fg`, `bg`): every stage runs again. */
function continued(job: Job): void {
  job.stoppedPids.clear();
  job.state = "running";
}

const finished = (job: Job): boolean => job.ended.size === job.stages.length;
/** Whether a wait report (`record`) left `job` stopped. */
const stopped = (job: Job): boolean => job.state === "stopped";

/**
 * Wait for the foreground job `job` until every stage has ended or no stage runs any more (one
 * has stopped, WUNTRACED, and the others too or have ended), then take the terminal back. A stopped job goes into the job table; a finished one leaves it.
 */
function* waitForeground(sh: Shell, job: Job): UserCode<void> {
  const io = sh.io;
  if (!sh.jobControl) {
    for (const { pid } of job.stages) record(job, pid, (yield* io.waitpid(pid)).status);
    yield* reportFailures(io, job);
    return;
  }
  continued(job);
  while (!finished(job)) {
    const r = yield* io.waitpid(-job.pgid, WaitOptions.WUNTRACED); // any stage of its group
    if (r.pid < 0) break;
    record(job, r.pid, r.status);
    if (stopped(job)) break;
  }
  // The shell's group is the foreground again (SIGTTOU is ignored: it asks from the background).
  yield* sys.tcsetpgrp(0, sh.pgid);
  if (stopped(job)) {
    if (job.id === 0) job.id = sh.jobs.nextId();
    sh.jobs.makeCurrent(job);
    yield* io.print(sh.jobs.line(job, "Stopped"));
    return;
  }
  sh.jobs.remove(job);
  yield* reportFailures(io, job);
}

/**
 * Collect what happened to the jobs in the table without waiting (WNOHANG): stops (a background
 * read of the terminal: SIGTTIN), continues and ends. Returns the jobs that stopped since the last
 * look, and those that have ended (still in the table). Nothing is asked when the table is empty.
 */
function* pollJobs(sh: Shell): UserCode<{ stoppedNow: Job[]; ended: Job[] }> {
  const { io, jobs } = sh;
  const stoppedNow: Job[] = [];
  const ended: Job[] = [];
  while (jobs.jobs.length > ended.length) {
    const r = yield* io.waitpid(-1, WaitOptions.WNOHANG | WaitOptions.WUNTRACED | WaitOptions.WCONTINUED);
    if (r.pid <= 0) break;
    const job = jobs.byPid(r.pid);
    if (job === undefined) continue;
    const was = job.state;
    record(job, r.pid, r.status);
    if (finished(job)) ended.push(job);
    else if (stopped(job) && was === "running") {
      jobs.makeCurrent(job);
      stoppedNow.push(job);
    }
  }
  return { stoppedNow, ended };
}

/** How `jobs` and the prompt's notice describe an ended job: `Done`, or its last stage's status. */
function endedState(job: Job): string {
  const last = job.ended.get(job.stages.at(-1)!.pid) ?? 0;
  return last === 0 ? "Done" : describeStatus(last, signalName);
}

/** Before a prompt: report the background jobs that stopped or ended since the last one, as a shell does. */
function* notifyJobs(sh: Shell): UserCode<void> {
  if (sh.jobs.jobs.length === 0) return;
  const { stoppedNow, ended } = yield* pollJobs(sh);
  for (const job of ended) {
    yield* sh.io.print(sh.jobs.line(job, endedState(job)));
    sh.jobs.remove(job);
  }
  for (const job of stoppedNow) if (!ended.includes(job)) yield* sh.io.print(sh.jobs.line(job, "Stopped"));
}

/** The job-control builtins: `jobs`, `fg [%n]`, `bg [%n]`. */
function* jobBuiltin(sh: Shell, argv: readonly string[]): UserCode<void> {
  const { io, jobs } = sh;
  const cmd = argv[0]!;
  if (!sh.jobControl) {
    yield* io.print(`sh: ${cmd}: no job control (standard input is not the terminal)\n`);
    return;
  }
  if (cmd === "jobs") {
    // Look first, so the listing says what the jobs are doing now; an ended job is listed once.
    const { ended } = yield* pollJobs(sh);
    for (const job of [...jobs.jobs]) {
      const state = ended.includes(job) ? endedState(job) : stopped(job) ? "Stopped" : "Running";
      yield* io.print(jobs.line(job, state));
      if (ended.includes(job)) jobs.remove(job);
    }
    return;
  }
  const job = jobs.find(cmd, argv[1]);
  if (typeof job === "string") {
    yield* io.print(`${job}\n`);
    return;
  }
  if (cmd === "bg") {
    // Continued in the background: it runs until it reads the terminal (SIGTTIN stops it again).
    jobs.makeCurrent(job);
    continued(job);
    yield* sys.kill(-job.pgid, Sig.SIGCONT);
    yield* io.print(`[${job.id}]+ ${job.text} &\n`);
    return;
  }
  // fg: the terminal first, then SIGCONT, so the job's next read goes through.
  yield* io.print(`${job.text}\n`);
  yield* sys.tcsetpgrp(0, job.pgid);
  yield* sys.kill(-job.pgid, Sig.SIGCONT);
  yield* waitForeground(sh, job);
}

/** `/bin/sh`: the shell (see the banner). Exits at `exit` or at end of input. */
export function* shMain(start: ProcessStart): UserCode<number> {
  const io = yield* UserIo.create();
  // Job control when standard input is the controlling terminal (tcgetpgrp answers).
  const jobControl = (yield* sys.tcgetpgrp(0)) > 0;
  if (jobControl) {
    yield* sys.sigaction(Sig.SIGINT, start.addressOf(onInterrupt), 0, 0);
    for (const sig of [Sig.SIGQUIT, Sig.SIGTSTP, Sig.SIGTTIN, Sig.SIGTTOU])
      yield* sys.sigaction(sig, SIG_IGN, 0, 0);
  }
  const sh: Shell = { io, jobControl, pgid: yield* sys.getpgrp(), jobs: new JobTable(), exitWarned: false };
  yield* io.print("sh: type help for commands\n");
  for (;;) {
    yield* notifyJobs(sh);
    yield* io.print(PROMPT);
    const line = yield* io.readLine(0);
    if (line === -Errno.EINTR) continue; // ^C at the prompt: the line is gone, a new prompt
    if (line === null || typeof line === "number") {
      // ^D is an exit (bash's handle_eof_input_unit calls its exit builtin): the same warning.
      if (yield* refuseExit(sh, "\n")) continue; // "\n" ends the prompt's line either way
      yield* io.print("sh: end of input\n");
      return 0;
    }
    const text = line.trim();
    if (text === "" || text.startsWith("#")) continue;
    const parsed = parseCommandLine(text);
    if (typeof parsed === "string") {
      yield* io.print(`${parsed}\n`); // no command ran: the exit mark stays, as an empty line
      continue;
    }
    const exitWarned = sh.exitWarned;
    sh.exitWarned = false; // a command intervenes; exit and jobs set it again below
    const argv = parsed.stages[0]!.argv;
    const cmd = argv[0]!;
    if (!isBuiltin(cmd)) {
      const job = yield* startPipeline(sh, parsed, text.replace(/\s*&$/, ""));
      if (job === null) continue;
      if (parsed.background && sh.jobControl) {
        job.id = sh.jobs.nextId();
        sh.jobs.makeCurrent(job);
        yield* io.print(`[${job.id}] ${job.pgid}\n`);
      } else yield* waitForeground(sh, job);
      continue;
    }
    if (parsed.stages.length > 1) {
      yield* io.print(`sh: ${cmd}: a shell builtin, not a program: it cannot be part of a pipeline\n`);
      continue;
    }
    if (parsed.background) {
      yield* io.print(`sh: ${cmd}: a shell builtin cannot run in the background\n`);
      continue;
    }
    if (cmd === "exit") {
      sh.exitWarned = exitWarned;
      if (yield* refuseExit(sh, "")) continue;
      // POSIX sh: `exit [n]` exits with n & 0xff; bash refuses a non-number and exits 2.
      const n = argv[1];
      if (n === undefined) return 0;
      if (/^\d+$/.test(n)) return Number(n) & 0xff;
      yield* io.print(`sh: exit: ${n}: numeric argument required\n`);
      return 2;
    }
    if (cmd === "jobs" || cmd === "fg" || cmd === "bg") {
      yield* jobBuiltin(sh, argv);
      sh.exitWarned = cmd === "jobs"; // the user has seen the jobs: the next exit may go
      continue;
    }
    const report =
      cmd === "help"
        ? HELP
        : cmd === "stty"
          ? yield* sttyBuiltin(io, argv)
          : yield* io.lunadbg(argv.join(" "));
    if (report === null) continue;
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

/**
 * An `exit` or ^D with stopped jobs: the first one in a row is refused with bash's warning, so that
 * a job is not lost by accident; the next one (or one right after `jobs`) exits, and the kernel
 * then hangs up each stopped job, whose group the shell's exit orphans (SIGHUP, then SIGCONT:
 * POSIX `_exit`). bash itself also sends SIGTERM then SIGCONT to its stopped jobs as it exits
 * (`terminate_stopped_jobs`); this shell leaves it to the kernel's rule, as dash does.
 * The jobs are looked at first ({@link notifyJobs}), so that one stopped since the prompt counts.
 * @returns whether the exit was refused (`before` is printed first, refused or not).
 */
function* refuseExit(sh: Shell, before: string): UserCode<boolean> {
  if (before !== "") yield* sh.io.print(before);
  if (sh.exitWarned) return false;
  // Look first: a background job may have stopped (SIGTTIN) since the prompt's look, as bash's
  // table is kept current by SIGCHLD; what changed is reported as at a prompt.
  yield* notifyJobs(sh);
  if (!sh.jobs.jobs.some(stopped)) return false;
  sh.exitWarned = true;
  yield* sh.io.print("There are stopped jobs.\n");
  return true;
}

const JOB_BUILTINS = new Set(["help", "exit", "jobs", "fg", "bg", "stty"]);

/**
 * `stty [settings]` on standard input (`stty.ts`): with no settings, the modes as a report (which
 * `> file` may redirect); else the change, and null (nothing more to print). An error is printed
 * on the console at once (null).
 */
function* sttyBuiltin(io: UserIo, argv: readonly string[]): UserCode<string | null> {
  const m = yield* io.tcgetattr(0);
  let error: string;
  if (typeof m === "number") error = `stty: standard input: ${errorName(m)}`;
  else if (argv.length === 1) return describeModes(m).trimEnd();
  else {
    const next = applySettings(m, argv.slice(1));
    if (typeof next !== "string") {
      const r = yield* io.tcsetattr(0, TcsaAction.TCSADRAIN, next);
      if (r >= 0) return null;
      error = `stty: standard input: ${errorName(r)}`;
    } else error = next;
  }
  yield* io.print(`${error}\n`);
  return null;
}

/** Whether `cmd` is run by the shell itself: help, exit, jobs, fg, bg, stty, or an inspector. */
function isBuiltin(cmd: string): boolean {
  return JOB_BUILTINS.has(cmd) || Object.hasOwn(INSPECTORS, cmd);
}
