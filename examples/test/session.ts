// Test helper: the example kernel booted as a student meets it at the prompt — one CPU, the
// console captured — and the shell's answer to one command line picked out of the transcript.
// Used by the shell and stty tests.
import { LunaixSystem } from "../src/lunaix/boot.js";

/** Boot the example kernel on one CPU with its console captured: `text()` is all it printed so far. */
export function bootCaptured(mem = 8 * 2 ** 20, tostop = false): { sys: LunaixSystem; text: () => string } {
  let out = "";
  const sys = LunaixSystem.boot({
    output: (t) => {
      out += t;
    },
    cpus: 1,
    mem,
    tostop,
  });
  return { sys, text: () => out };
}

/** Boot, type `lines`, and return the console and how the run ended. */
export function session(
  lines: readonly string[],
  opts: { readonly tostop?: boolean } = {},
): { out: string; why: string; sys: LunaixSystem } {
  const { sys, text } = bootCaptured(8 * 2 ** 20, opts.tostop ?? false);
  const why = sys.runScript(lines);
  return { out: text(), why, sys };
}

/** What the shell printed for `command`: the text between its prompt line and the next prompt. */
export function answer(out: string, command: string): string {
  const start = out.indexOf(`$ ${command}\n`);
  if (start < 0) throw new Error(`no prompt line for ${command}`);
  const body = out.slice(start + command.length + 3);
  const end = body.indexOf("$ ");
  return end < 0 ? body : body.slice(0, end);
}
