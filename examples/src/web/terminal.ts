/**
 * The Lunaix-like kernel in a web page (`pnpm run web`, then open `examples/web/dist/index.html`):
 * the serial console is a `<pre>`, a line typed in the page goes to the shell as the host would
 * type it on COM1, and the machine runs until the shell waits for input again. Everything runs in
 * the page, with the same packages the command line runs in Node.
 */

import { parseBootArgs } from "../cli/args.js";
import { type IdleReason, LunaixSystem, POLICY_NAMES } from "../lunaix/boot.js";
import { DEFAULT_POLICY } from "../lunaix/kernel.js";
import { KERNELS, scriptLines } from "../scripted.js";

/** The text of `examples/scripts/demo.sh`, put in by the bundler (`scripts/browser-bundle.mjs`). */
declare const __DEMO_SCRIPT__: string;

function element<T extends HTMLElement>(id: string): T {
  const e = document.getElementById(id);
  if (e === null) throw new Error(`terminal: the page has no #${id}`);
  return e as T;
}

const screen = element<HTMLPreElement>("console");
const line = element<HTMLInputElement>("line");
const policy = element<HTMLSelectElement>("policy");
for (const name of POLICY_NAMES) {
  policy.add(new Option(name, name, name === DEFAULT_POLICY, name === DEFAULT_POLICY));
}

let system: LunaixSystem | null = null;
let state: IdleReason = "halted";

function print(text: string): void {
  screen.append(text);
  screen.scrollTop = screen.scrollHeight;
}

/** Power on a new machine with the header's settings and run it to the shell's first prompt. */
function powerOn(): void {
  screen.textContent = "";
  try {
    // The header read as the boot command line, so the page has its defaults and its refusals.
    const args = parseBootArgs(
      [
        "--seed",
        element<HTMLInputElement>("seed").value,
        "--cpus",
        element<HTMLInputElement>("cpus").value,
        "--policy",
        policy.value,
      ],
      { kernels: KERNELS, policies: POLICY_NAMES },
    );
    system = LunaixSystem.boot({
      mem: args.mem,
      cpus: args.cpus,
      seed: args.seed,
      ...(args.policy !== undefined ? { policy: args.policy } : {}),
      output: print,
    });
    state = system.runUntilIdle();
  } catch (e) {
    // A command line or machine it cannot take (0 CPUs, say) is refused with a message, as
    // `pnpm run boot` does.
    print(`boot: ${e instanceof Error ? e.message : String(e)}\n`);
    system = null;
    state = "halted";
  }
  line.disabled = state !== "input";
  line.focus();
}

/** Run until the shell waits again; at the halt, print the summary. */
function settle(sys: LunaixSystem): void {
  state = sys.runUntilIdle();
  if (state !== "input") {
    sys.printSummary();
    line.disabled = true;
  }
}

/** Type one line into the shell and run until it waits again. */
function typeLine(text: string): void {
  if (system === null || state !== "input") return;
  system.type(text);
  settle(system);
}

/** ^D: end the read in progress (a `cat` waiting for input ends; at the shell's prompt, the shell). */
function typeEof(): void {
  if (system === null || state !== "input") return;
  system.endOfFile(line.value);
  line.value = "";
  settle(system);
}

/** ^C and ^Z: the line discipline signals the foreground job (SIGINT, SIGTSTP); the line is dropped. */
function typeSignal(key: "c" | "z"): void {
  if (system === null || state !== "input") return;
  line.value = "";
  if (key === "c") system.interrupt();
  else system.suspend();
  settle(system);
}

line.addEventListener("keydown", (ev) => {
  if (!ev.ctrlKey) return;
  const key = ev.key.toLowerCase();
  if (key === "d") {
    ev.preventDefault(); // the browser's ^D would bookmark the page
    typeEof();
  } else if ((key === "c" && line.selectionStart === line.selectionEnd) || key === "z") {
    ev.preventDefault(); // ^C with text selected still copies it
    typeSignal(key);
  }
});

element<HTMLFormElement>("prompt").addEventListener("submit", (ev) => {
  ev.preventDefault();
  typeLine(line.value);
  line.value = "";
});
element<HTMLButtonElement>("boot").addEventListener("click", powerOn);
element<HTMLButtonElement>("demo").addEventListener("click", () => {
  powerOn();
  // As `pnpm start` types it: a line that is exactly ^C, ^Z or ^D is that key.
  for (const l of scriptLines(__DEMO_SCRIPT__)) {
    if (system === null || state !== "input") break;
    system.typeScriptLine(l);
    settle(system);
  }
});

powerOn();
