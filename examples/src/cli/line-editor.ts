/**
 * The host's side of an interactive terminal: the keys a person types, turned into what the
 * simulated serial line receives. `pnpm run boot` puts the real terminal in raw mode and lets
 * this do the canonical-mode editing (POSIX 11.1.6), because the terminal's own cooked mode would
 * take ^D for the end of the host's input and halt the whole machine, where a Unix terminal only
 * ends the read in progress (`cat` ends, the shell goes on).
 *
 * ```
 *   key                  echo          action
 *   printable            the key       added to the line being typed
 *   Enter (CR or LF)     newline       { kind: "line", text }
 *   Backspace, DEL       "\b \b"       the last character erased
 *   ^U                   erases all    the line being typed dropped
 *   ^D                   nothing       { kind: "eof", pending }: the read ends (end of file if pending is "")
 *   ^C                   "^C"          { kind: "interrupt" }: the line discipline's ISIG, SIGINT to the
 *                                      foreground job (the shell at its prompt starts a new line)
 *   ^Z                   "^Z"          { kind: "suspend" }: SIGTSTP to the foreground job (the shell
 *                                      reports it stopped; `fg` and `bg` continue it)
 *   escape sequences     nothing       ignored (arrows, function keys)
 * ```
 *
 * Nothing here uses Node: it is a pure function of the keys, so it is tested on its own.
 */

/** What the host does with a finished piece of input. */
export type HostAction =
  | { readonly kind: "line"; readonly text: string }
  | { readonly kind: "eof"; readonly pending: string }
  | { readonly kind: "interrupt" }
  | { readonly kind: "suspend" };

/** Canonical-mode line editing for a terminal in raw mode (see the banner). */
export class HostLineEditor {
  private line = "";
  /** Inside an escape sequence: skip until its final byte. */
  private escape: "none" | "esc" | "csi" | "ss3" = "none";

  /** @param echo where the echo of typed keys goes (the terminal). */
  constructor(private readonly echo: (text: string) => void) {}

  /**
   * Feed the keys of one read from the terminal; the actions they complete, in order.
   * @example
   * ```ts
   * const ed = new HostLineEditor(() => {});
   * ed.feed("cax\x7ft\r"); // [{ kind: "line", text: "cat" }]
   * ed.feed("\x04");       // [{ kind: "eof", pending: "" }]
   * ```
   */
  feed(keys: string): HostAction[] {
    const out: HostAction[] = [];
    for (const ch of keys) {
      if (this.escape !== "none") {
        // ESC [ parameters… final byte (ECMA-48 CSI: arrows), ESC O and one character (SS3: F1-F4),
        // or ESC and one character.
        if (this.escape === "esc") this.escape = ch === "[" ? "csi" : ch === "O" ? "ss3" : "none";
        else if (this.escape === "ss3" || (ch >= "@" && ch <= "~")) this.escape = "none";
        continue;
      }
      switch (ch) {
        case "\r":
        case "\n":
          this.echo("\n");
          out.push({ kind: "line", text: this.line });
          this.line = "";
          break;
        case "\x7f":
        case "\b":
          if (this.line !== "") {
            this.line = [...this.line].slice(0, -1).join("");
            this.echo("\b \b");
          }
          break;
        case "\x15":
          this.echo("\b \b".repeat([...this.line].length));
          this.line = "";
          break;
        case "\x04":
          out.push({ kind: "eof", pending: this.line });
          this.line = "";
          break;
        case "\x03":
          this.echo("^C\n");
          this.line = "";
          out.push({ kind: "interrupt" });
          break;
        case "\x1a":
          this.echo("^Z\n");
          this.line = "";
          out.push({ kind: "suspend" });
          break;
        case "\x1b":
          this.escape = "esc";
          break;
        default:
          if (ch >= " ") {
            this.line += ch;
            this.echo(ch);
          }
      }
    }
    return out;
  }
}
