/**
 * `pnpm run boot [kernel] [--seed N] [--cpus N] [--mem SIZE] [--policy NAME] [--trace FILE] [--script FILE]`
 *
 * Boots an example kernel on a simulated machine: `lunaix` (the default), `codezero` (the
 * microkernel) or `jsix` (the object-capability kernel); the last two run their demo and halt:
 * they have no shell, so `--script` is refused. On a terminal the shell is interactive (type
 * `help`; `exit` or ^D halts the machine); otherwise it types a script of shell commands — the
 * `--script` file, else the lines piped on stdin, else (nothing piped, as in CI) the demo script —
 * so a run is deterministic and ends by itself. `--trace FILE` writes the run's
 * events as Chrome trace-event JSON (open it in https://ui.perfetto.dev or chrome://tracing).
 *
 * This file and `main.ts` are the only places that touch Node (files, stdin, stdout); the boot
 * itself (`scripted.ts`) prints through a callback and runs in a browser too (`pnpm run
 * check:browser`).
 */
import { closeSync, openSync, readFileSync, writeFileSync } from "node:fs";
import { resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { type BootArgs, parseBootArgs, UsageError, usage } from "./cli/args.js";
import { HostLineEditor } from "./cli/line-editor.js";
import { SizeError } from "./cli/size.js";
import { bootCodezero } from "./codezero/boot.js";
import { bootJsix } from "./jsix/boot.js";
import { type IdleReason, LunaixSystem, POLICY_NAMES } from "./lunaix/boot.js";
import { DEFAULT_POLICY } from "./lunaix/kernel.js";
import { MachineConfigError, makeMachine } from "./lunaix/machine.js";
import { bootScripted, KERNELS, scriptLines } from "./scripted.js";
import { ChromeTraceWriter } from "./trace/chrome-trace.js";

/** The demo script `pnpm start` runs. */
export const DEMO_SCRIPT = fileURLToPath(new URL("../scripts/demo.sh", import.meta.url));

/**
 * A path the user typed, made absolute. pnpm runs a package's script in the package's folder
 * (`examples/`) and says in `INIT_CWD` where the command was typed, so `pnpm run boot -- --trace
 * run.json` at the root writes `./run.json` there, not `examples/run.json`.
 */
function userPath(p: string): string {
  return resolve(process.env.INIT_CWD ?? process.cwd(), p);
}

function writeTrace(file: string, trace: ChromeTraceWriter, args: BootArgs): void {
  const path = userPath(file);
  writeFileSync(
    path,
    JSON.stringify(trace.toJSON({ kernel: args.kernel, seed: args.seed, cpus: args.cpus })),
  );
  process.stderr.write(`boot: trace written to ${path} (open it in https://ui.perfetto.dev)\n`);
}

async function interactive(args: BootArgs, trace: ChromeTraceWriter | undefined): Promise<void> {
  const out = (s: string) => process.stdout.write(s);
  const system = LunaixSystem.boot({
    mem: args.mem,
    cpus: args.cpus,
    seed: args.seed,
    echo: false,
    ...(args.policy !== undefined ? { policy: args.policy } : {}),
    ...(trace !== undefined ? { trace } : {}),
    output: out,
  });
  // Raw mode: the keys come to us one by one and HostLineEditor edits the line, so ^D ends the
  // read in progress (cat) instead of the host's input (which would halt the machine).
  const editor = new HostLineEditor(out);
  process.stdin.setRawMode(true);
  let why: IdleReason = "input";
  try {
    keys: for await (const chunk of process.stdin) {
      for (const a of editor.feed(String(chunk))) {
        if (a.kind === "line") system.type(a.text);
        else if (a.kind === "eof") system.endOfFile(a.pending);
        else if (a.kind === "interrupt") system.interrupt();
        else system.suspend();
        why = system.runUntilIdle();
        if (why !== "input") break keys;
      }
    }
  } finally {
    process.stdin.setRawMode(false);
    process.stdin.destroy(); // let Node exit: nothing else is read from the terminal
  }
  if (why === "input") {
    system.hangup();
    system.runUntilIdle();
  }
  system.printSummary();
}

/** Whether the machine `args` ask for can be built; if not, says why on stderr. */
function machineAccepted(args: BootArgs): boolean {
  try {
    makeMachine(
      { mem: args.mem, cpus: args.cpus, seed: args.seed, policy: args.policy ?? DEFAULT_POLICY },
      POLICY_NAMES,
    );
    return true;
  } catch (e) {
    if (!(e instanceof MachineConfigError)) throw e;
    process.stderr.write(`boot: ${e.message}\n`);
    return false;
  }
}

/**
 * Whether the `--trace` file (if any) can be written; if not, says why on stderr. Opened before
 * the machine boots, not after the run: a path that cannot be written is refused at once instead
 * of failing at the end with the run's work lost.
 */
function traceWritable(args: BootArgs): boolean {
  if (args.trace === undefined) return true;
  try {
    closeSync(openSync(userPath(args.trace), "w"));
    return true;
  } catch (e) {
    const code = (e as { code?: string }).code ?? String(e);
    process.stderr.write(`boot: --trace ${args.trace}: cannot write it (${code})\n`);
    return false;
  }
}

/**
 * `pnpm run boot codezero`: the microkernel has no shell, so there is nothing to type: it boots,
 * runs its demo (docs/tour-codezero.md) and halts. `--script` is refused rather than ignored.
 */
function codezeroMain(args: BootArgs): number {
  if (args.script !== undefined) {
    process.stderr.write(
      "boot: --script: the codezero kernel has no shell to type into (its console carries the servers' kdebug lines); boot it without --script\n",
    );
    return 2;
  }
  if (!machineAccepted(args) || !traceWritable(args)) return 2;
  const trace = args.trace !== undefined ? new ChromeTraceWriter() : undefined;
  bootCodezero(args, (s) => process.stdout.write(s), trace);
  if (trace !== undefined && args.trace !== undefined) writeTrace(args.trace, trace, args);
  return 0;
}

/**
 * `pnpm run boot jsix`: like codezero, no shell: it boots, runs its demo (docs/tour-jsix.md)
 * and halts; `--script` is refused rather than ignored.
 */
function jsixMain(args: BootArgs): number {
  if (args.script !== undefined) {
    process.stderr.write(
      "boot: --script: the jsix kernel has no shell to type into (its console carries srv.logger's output); boot it without --script\n",
    );
    return 2;
  }
  if (!machineAccepted(args) || !traceWritable(args)) return 2;
  const trace = args.trace !== undefined ? new ChromeTraceWriter() : undefined;
  bootJsix(args, (s) => process.stdout.write(s), trace);
  if (trace !== undefined && args.trace !== undefined) writeTrace(args.trace, trace, args);
  return 0;
}

async function main(argv: readonly string[]): Promise<number> {
  let args: BootArgs;
  try {
    args = parseBootArgs(argv, { kernels: KERNELS, policies: POLICY_NAMES });
  } catch (e) {
    if (e instanceof UsageError || e instanceof SizeError) {
      process.stderr.write(`boot: ${e.message}\n${usage({ kernels: KERNELS, policies: POLICY_NAMES })}\n`);
      return 2;
    }
    throw e;
  }
  if (args.help) {
    process.stdout.write(`${usage({ kernels: KERNELS, policies: POLICY_NAMES })}\n`);
    return 0;
  }
  if (args.kernel === "codezero") return codezeroMain(args);
  if (args.kernel === "jsix") return jsixMain(args);
  // Check the machine before reading any input: a bad --mem or --cpus is refused at once.
  if (!machineAccepted(args)) return 2;
  // The input first: --script FILE, else commands piped on stdin, else (nothing piped, as in CI)
  // the demo script; null on a terminal (interactive).
  let lines: string[] | null = null;
  if (args.script !== undefined || !process.stdin.isTTY) {
    let text: string;
    try {
      text = readFileSync(args.script === undefined ? 0 : userPath(args.script), "utf8");
    } catch (e) {
      const code = (e as { code?: string }).code ?? String(e);
      process.stderr.write(`boot: --script ${args.script ?? "(stdin)"}: cannot read it (${code})\n`);
      return 2;
    }
    lines = scriptLines(text);
    if (args.script === undefined && lines.length === 0)
      lines = scriptLines(readFileSync(DEMO_SCRIPT, "utf8"));
  }
  if (!traceWritable(args)) return 2;
  const trace = args.trace !== undefined ? new ChromeTraceWriter() : undefined;
  if (lines === null) {
    await interactive(args, trace);
  } else {
    const run = bootScripted(args, lines, (s) => process.stdout.write(s), trace);
    process.stderr.write(
      `boot: ${run.bootMs.toFixed(1)} ms to the first prompt, ${run.totalMs.toFixed(0)} ms for the whole run (host time)\n`,
    );
  }
  if (trace !== undefined && args.trace !== undefined) writeTrace(args.trace, trace, args);
  return 0;
}

if (process.argv[1] !== undefined && fileURLToPath(import.meta.url) === process.argv[1]) {
  main(process.argv.slice(2)).then((code) => {
    process.exitCode = code;
  });
}

export { main as bootMain };
