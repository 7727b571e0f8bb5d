/**
 * `stty`, the shell's builtin for the terminal's modes: what POSIX's stty utility does to standard
 * input, over `tcgetattr`/`tcsetattr` (kernel `posix/termios.ts`).
 *
 * ```
 *   stty                      print the modes the console's line discipline acts on
 *   stty -echo                clear a mode; `echo` sets it (isig icanon echo noflsh tostop iexten
 *                             echoe echok echonl echoctl echoke; icrnl inlcr igncr ixon ixany
 *                             ixoff; opost onlcr). ixoff is stored and not acted on: the
 *                             simulated host never overruns the console's input
 *   stty raw | -raw | sane    raw: -icanon -isig -opost, no input mapping, min 1 time 0;
 *                             -raw (cooked): icanon isig opost icrnl ixon brkint; sane: a new terminal
 *   stty erase ^H | undef     a control character (intr quit erase kill eof eol eol2 susp werase
 *                             lnext), as ^X, ^? (DEL), one character, or undef
 *   stty min 3 | time 0       c_cc[VMIN], c_cc[VTIME] (0–255)
 * ```
 *
 * Every argument is parsed first; one that is not understood changes nothing (GNU stty's
 * "invalid argument"). The change is made with TCSADRAIN, as GNU stty does. A builtin and not a
 * program of `/bin` so that `ls /bin` and the demo's transcript stay as they were; as a builtin it
 * acts on the shell's standard input, the terminal, like `stty` run in the foreground.
 *
 * Related: `sh.ts` (runs it), `../serial.ts` (what the modes do).
 */
import {
  Cc,
  caretNotation,
  InputMode,
  LocalMode,
  OutputMode,
  POSIX_VDISABLE,
  Termios,
} from "@osbricks/kernel";

/** Which mode word a named flag lives in. */
type ModeWord = "lflag" | "iflag" | "oflag";

/** A flag `stty` names: its name, mode word and bit. */
type FlagName = readonly [string, ModeWord, number];

/**
 * The flags `stty` names, one printed line per mode word, in the order it prints them: the local
 * modes the line discipline acts on, then the input mapping, then output processing.
 */
const FLAG_LINES: readonly (readonly FlagName[])[] = [
  [
    ["isig", "lflag", LocalMode.ISIG],
    ["icanon", "lflag", LocalMode.ICANON],
    ["echo", "lflag", LocalMode.ECHO],
    ["noflsh", "lflag", LocalMode.NOFLSH],
    ["tostop", "lflag", LocalMode.TOSTOP],
    ["iexten", "lflag", LocalMode.IEXTEN],
    ["echoe", "lflag", LocalMode.ECHOE],
    ["echok", "lflag", LocalMode.ECHOK],
    ["echonl", "lflag", LocalMode.ECHONL],
    ["echoctl", "lflag", LocalMode.ECHOCTL],
    ["echoke", "lflag", LocalMode.ECHOKE],
  ],
  [
    ["icrnl", "iflag", InputMode.ICRNL],
    ["inlcr", "iflag", InputMode.INLCR],
    ["igncr", "iflag", InputMode.IGNCR],
    ["ixon", "iflag", InputMode.IXON],
    ["ixany", "iflag", InputMode.IXANY],
    ["ixoff", "iflag", InputMode.IXOFF],
  ],
  [
    ["opost", "oflag", OutputMode.OPOST],
    ["onlcr", "oflag", OutputMode.ONLCR],
  ],
];
const FLAG_NAMES: readonly FlagName[] = FLAG_LINES.flat();

/** The control characters `stty` names and their `c_cc` slots, in the order it prints them. */
const CHAR_NAMES: readonly (readonly [string, number])[] = [
  ["intr", Cc.VINTR],
  ["quit", Cc.VQUIT],
  ["erase", Cc.VERASE],
  ["kill", Cc.VKILL],
  ["eof", Cc.VEOF],
  ["eol", Cc.VEOL],
  ["eol2", Cc.VEOL2],
  ["susp", Cc.VSUSP],
  ["werase", Cc.VWERASE],
  ["lnext", Cc.VLNEXT],
];

/** Raw mode's input flags to clear (POSIX stty's `raw`: no input processing). */
const RAW_IFLAGS = InputMode.BRKINT | InputMode.ICRNL | InputMode.IXON | InputMode.ISTRIP;

/** A control character as stty shows it: `^C` (0x03), `^?` (DEL), `<undef>` (0), else itself. */
export function showChar(c: number): string {
  return c === POSIX_VDISABLE ? "<undef>" : caretNotation(c);
}

/** A control character from stty's notation (`^C`, `^?`, `undef`, one character); null if not one. */
export function parseChar(s: string): number | null {
  if (s === "undef" || s === "^-") return POSIX_VDISABLE;
  if (s === "^?") return 0x7f;
  if (s.length === 2 && s[0] === "^") {
    const c = s.toUpperCase().charCodeAt(1);
    return c >= 0x40 && c <= 0x5f ? c - 0x40 : null;
  }
  return s.length === 1 && s.charCodeAt(0) < 0x80 ? s.charCodeAt(0) : null;
}

/**
 * What `stty` prints: the local modes, the input mapping and the output processing, a line each
 * (`-name` when clear), then the control characters and MIN, TIME.
 * @example
 * ```ts
 * describeModes(new Termios()).split("\n")[1]; // "icrnl -inlcr -igncr ixon -ixany -ixoff"
 * ```
 */
export function describeModes(m: Termios): string {
  const flags = FLAG_LINES.map((line) =>
    line.map(([name, word, bit]) => ((m[word] & bit) !== 0 ? name : `-${name}`)).join(" "),
  );
  const chars = CHAR_NAMES.map(([name, slot]) => `${name} = ${showChar(m.cc[slot]!)};`);
  return `${flags.join("\n")}\n${chars.join(" ")} min = ${m.cc[Cc.VMIN]}; time = ${m.cc[Cc.VTIME]};\n`;
}

/**
 * Apply stty's arguments to a copy of `m`.
 * @returns the new modes, or the error message for the first argument not understood (then
 *   nothing is to change).
 * @example
 * ```ts
 * const r = applySettings(new Termios(), ["-echo", "intr", "^G"]);
 * r instanceof Termios && !r.local(LocalMode.ECHO) && r.cc[Cc.VINTR] === 7; // true
 * ```
 */
export function applySettings(m: Termios, args: readonly string[]): Termios | string {
  const out = new Termios();
  out.assign(m);
  for (let i = 0; i < args.length; i++) {
    const a = args[i]!;
    const off = a.startsWith("-");
    const name = off ? a.slice(1) : a;
    const flag = FLAG_NAMES.find(([n]) => n === name);
    if (flag !== undefined) {
      const [, word, bit] = flag;
      out[word] = (off ? out[word] & ~bit : out[word] | bit) >>> 0;
      continue;
    }
    if (name === "raw" || a === "cooked") {
      const raw = name === "raw" && !off;
      out.setLocal(LocalMode.ICANON | LocalMode.ISIG, !raw);
      out.oflag = raw ? out.oflag & ~OutputMode.OPOST : out.oflag | OutputMode.OPOST;
      out.iflag = (raw ? out.iflag & ~RAW_IFLAGS : out.iflag | (RAW_IFLAGS & ~InputMode.ISTRIP)) >>> 0;
      if (raw) {
        out.cc[Cc.VMIN] = 1;
        out.cc[Cc.VTIME] = 0;
      }
      continue;
    }
    if (a === "sane") {
      out.assign(new Termios());
      continue;
    }
    const ch = CHAR_NAMES.find(([n]) => n === a);
    const isCount = a === "min" || a === "time";
    if (ch !== undefined || isCount) {
      const v = args[i + 1];
      if (v === undefined) return `stty: missing argument to '${a}'`;
      i++;
      if (ch !== undefined) {
        const c = parseChar(v);
        if (c === null) return `stty: invalid integer argument: '${v}'`;
        out.cc[ch[1]] = c;
      } else {
        if (!/^\d+$/.test(v) || Number(v) > 255) return `stty: invalid integer argument: '${v}'`;
        out.cc[a === "min" ? Cc.VMIN : Cc.VTIME] = Number(v);
      }
      continue;
    }
    return `stty: invalid argument '${a}'`;
  }
  return out;
}
