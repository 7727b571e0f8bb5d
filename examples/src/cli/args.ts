/**
 * The boot command line:
 *
 * ```
 * pnpm run boot [kernel] [--seed N] [--cpus N] [--mem SIZE] [--policy NAME] [--trace FILE] [--script FILE]
 * ```
 *
 * Parsing is separate from booting so that every refusal (unknown kernel, unknown policy, bad
 * size, a flag without its value) is a clear one-line message tested on its own, and the boot code
 * receives a checked, fully defaulted {@link BootArgs}.
 */
import { parseSize } from "./size.js";

/** The checked options of one boot. */
export interface BootArgs {
  /** Which example kernel to boot. Default: the first of `kernels`. */
  readonly kernel: string;
  /** Seed of every random choice in the run. Default 1. */
  readonly seed: number;
  /** Number of simulated CPUs. Default 2. */
  readonly cpus: number;
  /** Simulated RAM in bytes. Default 256 MiB. */
  readonly mem: number;
  /** Scheduling policy name, or `undefined` for the kernel's own choice. */
  readonly policy: string | undefined;
  /** Where to write the Chrome trace-event JSON, if anywhere. */
  readonly trace: string | undefined;
  /** A file of shell commands to run instead of the interactive shell. */
  readonly script: string | undefined;
  /** `--help` was asked for. */
  readonly help: boolean;
}

/** Thrown for a command line that cannot be booted; the message is meant for the user as is. */
export class UsageError extends Error {
  readonly code = "usage";
}

/** What the parser checks names against. */
export interface BootChoices {
  readonly kernels: readonly string[];
  readonly policies: readonly string[];
}

/** The usage text printed by `--help` and after a usage error. */
export function usage(choices: BootChoices): string {
  return [
    "usage: pnpm run boot [kernel] [--seed N] [--cpus N] [--mem SIZE] [--policy NAME] [--trace FILE] [--script FILE]",
    `  kernel     one of: ${choices.kernels.join(", ")} (default ${choices.kernels[0]})`,
    "  --seed N   seed for every random choice (default 1); the same seed gives the same run",
    "  --cpus N   simulated CPUs (default 2; lunaix runs on 1..32)",
    "  --mem SIZE simulated RAM, e.g. 256M or 1G (default 256M)",
    `  --policy   scheduling policy: ${choices.policies.join(", ")}`,
    "  --trace F  write a Chrome trace-event JSON file (open it in Perfetto or chrome://tracing)",
    "  --script F run the shell commands in F (default: interactive on a terminal, the demo script otherwise)",
  ].join("\n");
}

const FLAGS: readonly string[] = ["--seed", "--cpus", "--mem", "--policy", "--trace", "--script"];

function integer(flag: string, text: string, min: number, max: number): number {
  if (!/^\d+$/.test(text)) throw new UsageError(`${flag} ${JSON.stringify(text)}: expected a whole number`);
  const n = Number(text);
  if (n < min || n > max) throw new UsageError(`${flag} ${text}: expected ${min}..${max}`);
  return n;
}

/**
 * Parse and check the boot arguments.
 *
 * @throws UsageError naming the argument and what was expected; `SizeError` for a bad `--mem`.
 */
export function parseBootArgs(argv: readonly string[], choices: BootChoices): BootArgs {
  let kernel: string | undefined;
  let seed = 1;
  let cpus = 2;
  let mem = 256 * 2 ** 20;
  let policy: string | undefined;
  let trace: string | undefined;
  let script: string | undefined;
  let help = false;
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i] as string;
    if (arg === "--") continue;
    if (arg === "--help" || arg === "-h") {
      help = true;
      continue;
    }
    if (!arg.startsWith("--")) {
      if (kernel !== undefined)
        throw new UsageError(`unexpected argument ${JSON.stringify(arg)}: kernel already given`);
      if (!choices.kernels.includes(arg)) {
        throw new UsageError(
          `unknown kernel ${JSON.stringify(arg)}: expected one of ${choices.kernels.join(", ")}`,
        );
      }
      kernel = arg;
      continue;
    }
    const eq = arg.indexOf("=");
    const flag = eq >= 0 ? arg.slice(0, eq) : arg;
    if (!FLAGS.includes(flag)) throw new UsageError(`unknown option ${flag}`);
    const value = eq >= 0 ? arg.slice(eq + 1) : argv[++i];
    if (value === undefined) throw new UsageError(`${flag}: missing value`);
    switch (flag) {
      case "--seed":
        seed = integer(flag, value, 0, 2 ** 32 - 1);
        break;
      case "--cpus":
        cpus = integer(flag, value, 1, 32); // @osbricks/kernel runs 1..32 CPUs: one bound, one message
        break;
      case "--mem":
        mem = parseSize(value, flag);
        break;
      case "--policy":
        if (!choices.policies.includes(value)) {
          throw new UsageError(
            `--policy ${JSON.stringify(value)}: expected one of ${choices.policies.join(", ")}`,
          );
        }
        policy = value;
        break;
      case "--trace":
        trace = value;
        break;
      case "--script":
        script = value;
        break;
    }
  }
  const first = choices.kernels[0];
  if (first === undefined) throw new UsageError("no kernel is registered");
  return { kernel: kernel ?? first, seed, cpus, mem, policy, trace, script, help };
}
