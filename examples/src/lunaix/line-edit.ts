/**
 * Canonical line editing and its echo: what the serial console's line discipline (`serial.ts`)
 * does with the ERASE, WERASE and KILL characters, and how it echoes a received byte — Linux's
 * `n_tty.c` (`echo_char`, `eraser`) under POSIX's "General Terminal Interface" 11.1.6
 * ("canonical mode input processing") and 11.2.5 (local modes).
 *
 * Pure functions over the line being typed (its bytes, never the lines already complete — "the
 * ERASE character shall not erase beyond the start of a line", POSIX 11.1.9) and the modes; the
 * console applies what they return.
 *
 * ```
 *   line "ab^Gc" (^G typed literally), ECHO ECHOE ECHOCTL on, the line began at column 2 ("$ "):
 *     echo so far        $ ab^Gc            column 7
 *     ERASE              "\b \b"            → "ab^G"     one column for c
 *     ERASE              "\b \b\b \b"       → "ab"       ^G took two columns (ECHOCTL)
 *     WERASE             "\b \b\b \b"       → ""         a word of alphanumerics and '_'
 * ```
 *
 * | echo of a byte c (`echo_char`)   | ECHOCTL on               | ECHOCTL off |
 * | -------------------------------- | ------------------------ | ----------- |
 * | control (< 0x20, DEL), not `\t`  | `^` and c ^ 0x40: `^C`   | c itself    |
 * | any other                        | c itself                 | c itself    |
 *
 * Bytes, not characters: a terminal starts without IUTF8 (Linux's `tty_std_termios`), and this
 * discipline does not model it, so ERASE removes one byte of a multi-byte UTF-8 character.
 *
 * Invariants: an erasure keeps a prefix of the line (`keep ≤ line.length`); with ECHO off it
 * echoes nothing.
 *
 * Related: `serial.ts` (the console that applies these), kernel `posix/termios.ts` (the modes,
 * {@link caretNotation}).
 */
import { Cc, caretNotation, LocalMode, type Termios } from "@osbricks/kernel";

/** C's `iscntrl` in the C locale: the bytes below 0x20 and DEL. */
export function isControl(c: number): boolean {
  return c < 0x20 || c === 0x7f;
}

/**
 * The bytes a terminal is sent to echo input byte `c` (Linux's `echo_char`): under ECHOCTL a
 * control character other than TAB as caret notation (`0x03` → `^C`, DEL → `^?`), anything else
 * as itself. The caller decides whether to echo at all (ECHO) and echoes a newline raw.
 * @example
 * ```ts
 * const m = new Termios();            // ECHOCTL on, as Linux starts
 * echoOf(0x03, m);                    // [0x5e, 0x43]: "^C"
 * echoOf(0x09, m);                    // [0x09]: a TAB echoes as itself
 * ```
 */
export function echoOf(c: number, m: Termios): number[] {
  if (m.local(LocalMode.ECHOCTL) && isControl(c) && c !== 0x09) {
    const caret = caretNotation(c);
    return [caret.charCodeAt(0), caret.charCodeAt(1)];
  }
  return [c];
}

/** Which editing character was typed. */
export type EraseKind = "erase" | "werase" | "kill";

/** What an editing character does: keep the first `keep` bytes of the line, send `echo`. */
export interface Erasure {
  /** How many bytes of the line remain. */
  readonly keep: number;
  /** The bytes to echo (backspaces and spaces, or the character itself, and a newline). */
  readonly echo: readonly number[];
}

/** Backspace, space, backspace: rub out the column left of the cursor. */
const RUB_OUT = [0x08, 0x20, 0x08];

/**
 * How many backspaces take the cursor back over a TAB at the end of `line` (which no longer holds
 * it), as Linux's `eraser` and `ECHO_OP_ERASE_TAB` count: the columns echoed since the previous
 * TAB (then the TAB is known to end on a multiple of 8), or since the start of the line plus the
 * column where it began; a TAB moves to the next multiple of 8, so it took 8 − (n mod 8) columns.
 * Worked: "$ " then "ab" then TAB → the TAB started at column 4 and took 8 − (4 & 7) = 4 columns.
 */
function tabWidth(line: readonly number[], m: Termios, lineColumn: number): number {
  let n = 0;
  let afterTab = false;
  for (let i = line.length - 1; i >= 0; i--) {
    const c = line[i]!;
    if (c === 0x09) {
      afterTab = true;
      break;
    }
    if (isControl(c)) n += m.local(LocalMode.ECHOCTL) ? 2 : 0;
    else n++;
  }
  if (!afterTab) n += lineColumn;
  return 8 - (n & 7);
}

/**
 * The effect of an ERASE, WERASE or KILL character on `line`, the line being typed (Linux's
 * `eraser`; POSIX 11.1.9 and 11.2.5):
 * - nothing to erase (an empty line): nothing happens, nothing is echoed;
 * - ERASE removes the last character; echoed as a rub-out (backspace, space, backspace) under
 *   ECHOE, else as the ERASE character itself (`echo_char`). A byte echoed as `^X` takes two
 *   rub-outs, a control byte echoed raw (ECHOCTL off) none, a TAB as many backspaces as columns;
 * - WERASE (IEXTEN) removes the last word: trailing non-word bytes, then the run of letters,
 *   digits and `_` before them (BSD's ALTWERASE rule, as Linux's), rubbed out byte by byte;
 * - KILL removes the whole line: with ECHOE, ECHOK and ECHOKE all on, rubbed out byte by byte;
 *   else the KILL character is echoed, followed by a newline under ECHOK.
 * With ECHO off nothing is echoed. The bytes before the line (complete lines) are never touched.
 * @param lineColumn the output column where the line's first byte was echoed (for TABs).
 * @example
 * ```ts
 * const m = new Termios();
 * erase([0x61, 0x62], "erase", m, 0);   // { keep: 1, echo: [8, 32, 8] }
 * erase([], "kill", m, 0);              // { keep: 0, echo: [] }
 * ```
 */
export function erase(line: readonly number[], kind: EraseKind, m: Termios, lineColumn: number): Erasure {
  if (line.length === 0) return { keep: 0, echo: [] };
  const echoing = m.local(LocalMode.ECHO);
  if (kind === "kill") {
    if (!echoing) return { keep: 0, echo: [] };
    const all = LocalMode.ECHOE | LocalMode.ECHOK | LocalMode.ECHOKE;
    if ((m.lflag & all) !== all) {
      const echo = echoOf(m.cc[Cc.VKILL]!, m);
      if (m.local(LocalMode.ECHOK)) echo.push(0x0a);
      return { keep: 0, echo };
    }
  }
  const echo: number[] = [];
  let keep = line.length;
  let seenWord = false;
  while (keep > 0) {
    const c = line[keep - 1]!;
    if (kind === "werase") {
      const word =
        (c >= 0x30 && c <= 0x39) || (c >= 0x41 && c <= 0x5a) || (c >= 0x61 && c <= 0x7a) || c === 0x5f;
      if (word) seenWord = true;
      else if (seenWord) break;
    }
    keep--;
    if (echoing) {
      if (kind === "erase" && !m.local(LocalMode.ECHOE)) echo.push(...echoOf(m.cc[Cc.VERASE]!, m));
      else if (c === 0x09)
        for (let i = tabWidth(line.slice(0, keep), m, lineColumn); i > 0; i--) echo.push(0x08);
      else if (isControl(c)) {
        if (m.local(LocalMode.ECHOCTL)) echo.push(...RUB_OUT, ...RUB_OUT);
      } else echo.push(...RUB_OUT);
    }
    if (kind === "erase") break;
  }
  return { keep, echo };
}
