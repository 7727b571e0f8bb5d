// Test helper: the example kernel booted as a student meets it at the prompt — one CPU, the
// console captured — and the shell's answer to one command line picked out of the transcript.
// Used by the shell and stty tests. And a serial console alone with the modes a test wants, used
// by the console's editing, mapping and VTIME tests.
import { applyModes, TcsaAction, Termios } from "@osbricks/kernel";
import { LunaixSystem } from "../src/lunaix/boot.js";
import { LineSink } from "../src/lunaix/line-sink.js";
import { SerialConsole, type SerialConsoleOptions } from "../src/lunaix/serial.js";

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

/**
 * A serial console on its own (no kernel) whose modes start as Linux's and are then changed by
 * `change`, applied with tcsetattr(TCSANOW) as a program would; `shown()` flushes it and returns
 * everything the host's side rendered. `sink` builds the host's side (default a plain
 * {@link LineSink}: a test may pass one that also keeps the raw bytes); `options` are the
 * console's others (echo, clock).
 */
export function terminal<S extends LineSink = LineSink>(
  change: (m: Termios) => void = () => {},
  sink: (onText: (text: string) => void) => S = (onText) => new LineSink(onText) as S,
  options: Omit<SerialConsoleOptions, "sink"> = {},
): { tty: SerialConsole; wire: S; shown: () => string } {
  const out: string[] = [];
  const wire = sink((s) => out.push(s));
  const tty = new SerialConsole({ ...options, sink: wire });
  const m = new Termios();
  m.assign(tty.tty.termios);
  change(m);
  applyModes(tty.tty, m, TcsaAction.TCSANOW);
  const shown = () => {
    tty.flush();
    return out.join("");
  };
  return { tty, wire, shown };
}
