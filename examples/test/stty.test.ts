// stty, the shell's builtin for the terminal's modes: its parser alone (settings → termios), and
// at the prompt of a booted system, where it goes through tcgetattr/tcsetattr to the serial
// console, whose line discipline then follows the new modes.
import { Cc, InputMode, LocalMode, OutputMode, Termios } from "@osbricks/kernel";
import { describe, expect, it } from "vitest";
import { applySettings, describeModes, parseChar, showChar } from "../src/lunaix/programs/stty.js";
import { answer, session } from "./session.js";

const SANE =
  "isig icanon echo -noflsh -tostop iexten echoe echok -echonl echoctl echoke\n" +
  "icrnl -inlcr -igncr ixon -ixany -ixoff\n" +
  "opost onlcr\n" +
  "intr = ^C; quit = ^\\; erase = ^?; kill = ^U; eof = ^D; eol = <undef>; eol2 = <undef>; susp = ^Z; werase = ^W; lnext = ^V; min = 1; time = 0;\n";

describe("stty's settings", () => {
  it("describes a new terminal as Linux's stty sane", () => {
    expect(describeModes(new Termios())).toBe(SANE);
  });

  it("-name clears a mode, name sets it; the input is not changed", () => {
    const m = new Termios();
    const r = applySettings(m, ["-echo", "tostop", "-isig", "noflsh"]);
    if (typeof r === "string") throw new Error(r);
    expect(
      [LocalMode.ECHO, LocalMode.TOSTOP, LocalMode.ISIG, LocalMode.NOFLSH].map((b) => r.local(b)),
    ).toEqual([false, true, false, true]);
    expect(m.equals(new Termios())).toBe(true);
  });

  it("raw: no canonical input, no signals, no output processing, no input mapping, MIN 1 TIME 0; -raw undoes it", () => {
    const start = new Termios();
    start.cc[Cc.VMIN] = 4;
    start.cc[Cc.VTIME] = 2;
    const raw = applySettings(start, ["raw"]);
    if (typeof raw === "string") throw new Error(raw);
    expect(raw.local(LocalMode.ICANON) || raw.local(LocalMode.ISIG)).toBe(false);
    expect(raw.oflag & OutputMode.OPOST).toBe(0);
    expect(raw.iflag & (InputMode.ICRNL | InputMode.IXON | InputMode.BRKINT)).toBe(0);
    expect([raw.cc[Cc.VMIN], raw.cc[Cc.VTIME]]).toEqual([1, 0]);
    const cooked = applySettings(raw, ["-raw"]);
    if (typeof cooked === "string") throw new Error(cooked);
    expect(cooked.local(LocalMode.ICANON) && cooked.local(LocalMode.ISIG)).toBe(true);
    expect(cooked.oflag & OutputMode.OPOST).toBe(OutputMode.OPOST);
    expect(cooked.iflag & InputMode.ICRNL).toBe(InputMode.ICRNL);
  });

  it("control characters as ^X, ^?, undef or one character; min and time as 0–255", () => {
    const r = applySettings(new Termios(), [
      "intr",
      "^g",
      "eof",
      "undef",
      "quit",
      "^?",
      "susp",
      "z",
      "min",
      "5",
      "time",
      "3",
    ]);
    if (typeof r === "string") throw new Error(r);
    expect([
      r.cc[Cc.VINTR],
      r.cc[Cc.VEOF],
      r.cc[Cc.VQUIT],
      r.cc[Cc.VSUSP],
      r.cc[Cc.VMIN],
      r.cc[Cc.VTIME],
    ]).toEqual([7, 0, 0x7f, 0x7a, 5, 3]);
    expect(describeModes(r)).toContain("intr = ^G; quit = ^?; erase = ^?; kill = ^U; eof = <undef>;");
    expect(describeModes(r)).toContain("susp = z; werase = ^W; lnext = ^V; min = 5; time = 3;");
    for (let c = 1; c < 0x80; c++) expect(parseChar(showChar(c))).toBe(c); // what stty shows, it reads back
    expect([showChar(0), parseChar("undef")]).toEqual(["<undef>", 0]);
  });

  it("an argument not understood is an error, and nothing changes", () => {
    expect(applySettings(new Termios(), ["-echo", "bogus"])).toBe("stty: invalid argument 'bogus'");
    expect(applySettings(new Termios(), ["min", "256"])).toBe("stty: invalid integer argument: '256'");
    expect(applySettings(new Termios(), ["intr"])).toBe("stty: missing argument to 'intr'");
    expect(applySettings(new Termios(), ["intr", "^1"])).toBe("stty: invalid integer argument: '^1'");
  });

  it("the editing, mapping and output flags: -name clears, name sets, in the mode word each belongs to", () => {
    const r = applySettings(new Termios(), [
      "-icrnl",
      "inlcr",
      "igncr",
      "-onlcr",
      "-echoe",
      "echonl",
      "-iexten",
    ]);
    if (typeof r === "string") throw new Error(r);
    expect(r.iflag & (InputMode.ICRNL | InputMode.INLCR | InputMode.IGNCR)).toBe(
      InputMode.INLCR | InputMode.IGNCR,
    );
    expect(r.oflag).toBe(OutputMode.OPOST);
    expect([r.local(LocalMode.ECHOE), r.local(LocalMode.ECHONL), r.local(LocalMode.IEXTEN)]).toEqual([
      false,
      true,
      false,
    ]);
    expect(describeModes(r).split("\n").slice(1, 3)).toEqual([
      "-icrnl inlcr igncr ixon -ixany -ixoff",
      "opost -onlcr",
    ]);
    // Flow control: ixon (on as Linux starts) and ixany act (serial.ts); ixoff is stored only.
    const x = applySettings(new Termios(), ["-ixon", "ixany", "ixoff"]);
    if (typeof x === "string") throw new Error(x);
    expect(x.iflag & (InputMode.IXON | InputMode.IXANY | InputMode.IXOFF)).toBe(
      InputMode.IXANY | InputMode.IXOFF,
    );
    expect(describeModes(x).split("\n")[1]).toBe("icrnl -inlcr -igncr -ixon ixany ixoff");
    const c = applySettings(new Termios(), ["erase", "^H", "kill", "^X", "werase", "undef", "eol", ";"]);
    if (typeof c === "string") throw new Error(c);
    expect([c.cc[Cc.VERASE], c.cc[Cc.VKILL], c.cc[Cc.VWERASE], c.cc[Cc.VEOL]]).toEqual([8, 0x18, 0, 0x3b]);
  });
});

describe("stty at the prompt", () => {
  it("stty alone prints the console's modes; the boot option's TOSTOP is not on", () => {
    const { out } = session(["stty"]);
    expect(answer(out, "stty")).toBe(SANE);
  });

  it("stty -echo: the lines typed after it are not echoed; stty echo brings the echo back", () => {
    const { out } = session(["stty -echo", "echo hidden", "stty echo", "echo shown"]);
    expect(out).toContain("$ stty -echo\n");
    expect(out).not.toContain("echo hidden"); // the typed line; its output is there
    expect(out).toMatch(/\$ hidden\n/);
    expect(out).toContain("$ echo shown\nshown\n");
  });

  it("stty tostop: a background job that writes is stopped by SIGTTOU (the mode, not a boot option); -tostop lets the next one write", () => {
    const { out } = session([
      "stty tostop",
      "echo quiet please &",
      "jobs",
      "fg",
      "stty -tostop",
      "echo loud &",
      "jobs",
    ]);
    expect(answer(out, "jobs")).toBe("[1]+  Stopped                 echo quiet please\n");
    expect(answer(out, "fg")).toBe("echo quiet please\nquiet please\n");
    expect(out.slice(out.indexOf("$ stty -tostop\n"))).toMatch(/loud\n/);
    expect(out.slice(out.indexOf("$ stty -tostop\n"))).not.toContain("Stopped");
  });

  it("stty intr ^G: the console's interrupt character is ^G from then on, and stty shows it", () => {
    const { out, sys } = session(["stty intr ^G", "stty"]);
    expect(answer(out, "stty")).toContain("intr = ^G;");
    expect(sys.console.tty.termios.cc[Cc.VINTR]).toBe(7);
  });

  it("stty -icanon: the shell still reads its commands (a read returns as bytes come); stty shows -icanon", () => {
    const { out } = session(["stty -icanon", "echo still here", "stty"]);
    expect(out).toContain("still here\n");
    expect(answer(out, "stty")).toMatch(/^isig -icanon echo/);
  });

  it("a bad argument is reported and changes nothing; stty > file saves the report", () => {
    const { out } = session(["stty -echo bogus", "stty > /tmp/modes", "cat /tmp/modes"]);
    expect(answer(out, "stty -echo bogus")).toBe("stty: invalid argument 'bogus'\n");
    expect(answer(out, "cat /tmp/modes")).toBe(SANE);
  });

  it("stty erase ^H: a backspace now erases (the line run is 'echo ac'), echoed as a rub-out", () => {
    const { out } = session(["stty erase ^H", "echo ab\bc"]);
    expect(out).toContain("$ echo ab\b \bc\n");
    expect(answer(out, "echo ab\b \bc")).toBe("ac\n");
  });

  it("stty -echoe: ERASE is echoed as the character itself (^?), the edit still happens", () => {
    const { out } = session(["stty -echoe", "echo xy\x7fz"]);
    expect(answer(out, "echo xy^?z")).toBe("xz\n");
  });

  it("stty -icrnl: Enter (CR) no longer ends a line — the next command is never run, its CR shows as ^M", () => {
    const { out } = session(["stty -icrnl", "echo never"]);
    expect(out).toContain("$ echo never^M");
    expect(out).not.toContain("never\n");
  });

  it("stty -onlcr and back: what the shell prints still reads the same on the host (CR NL and NL both show as a line break)", () => {
    const { out } = session(["stty -onlcr", "echo one", "stty onlcr", "echo two", "stty"]);
    expect(answer(out, "echo one")).toBe("one\n");
    expect(answer(out, "echo two")).toBe("two\n");
    expect(answer(out, "stty")).toBe(SANE);
  });
});
