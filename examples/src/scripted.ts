/**
 * A scripted boot: power on an example kernel, type a script of shell commands into its shell,
 * print the summary. Nothing here touches Node: the console goes through a callback. `boot.ts`
 * (the command line) and the tests run it in Node, and `pnpm run check:browser` runs the same demo
 * in headless Chromium and compares the two consoles line by line, which is what "the packages run
 * in a browser" rests on.
 */
import { type BootArgs, UsageError } from "./cli/args.js";
import { type IdleReason, LunaixSystem } from "./lunaix/boot.js";
import type { ChromeTraceWriter } from "./trace/chrome-trace.js";

/** The kernels the boot command knows (the first is the default). */
export const KERNELS: readonly string[] = ["lunaix", "codezero", "jsix"];

/** The lines of a shell script: blank lines dropped (comments are the shell's business). */
export function scriptLines(text: string): string[] {
  return text.split(/\r?\n/).filter((l) => l.trim() !== "");
}

/** What one scripted boot produced. */
export interface ScriptedRun {
  readonly system: LunaixSystem;
  readonly why: IdleReason;
  /** Host milliseconds from power-on to the first prompt, and for the whole run. */
  readonly bootMs: number;
  readonly totalMs: number;
}

/**
 * Boot with `args` and type `lines` into the shell; the final summary is printed at the end.
 * Output goes to `write`. Used by the command line, the tests and the browser check.
 */
export function bootScripted(
  args: Omit<BootArgs, "help" | "script">,
  lines: readonly string[],
  write: (text: string) => void,
  trace?: ChromeTraceWriter,
): ScriptedRun {
  // Only the Lunaix-like kernel has a shell; booting it for another kernel's name would print the
  // wrong kernel's console without a word (the Codezero-like kernel boots with `bootCodezero`,
  // the jsix-like one with `bootJsix`).
  if (args.kernel !== "lunaix")
    throw new UsageError(
      `bootScripted: kernel ${JSON.stringify(args.kernel)} has no shell to type a script into (only lunaix has one)`,
    );
  const t0 = performance.now();
  const system = LunaixSystem.boot({
    mem: args.mem,
    cpus: args.cpus,
    seed: args.seed,
    ...(args.policy !== undefined ? { policy: args.policy } : {}),
    ...(trace !== undefined ? { trace } : {}),
    output: write,
  });
  const t1 = performance.now();
  const why = system.runScript(lines);
  system.printSummary();
  return { system, why, bootMs: t1 - t0, totalMs: performance.now() - t0 };
}
