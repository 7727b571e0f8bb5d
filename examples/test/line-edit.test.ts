// Canonical line editing on the serial console (src/lunaix/line-edit.ts applied by serial.ts):
// ERASE, KILL, WERASE, LNEXT, EOL and the echo each produces under ECHO, ECHOE, ECHOK, ECHOKE,
// ECHOCTL — POSIX 11.1.9 / 11.2.5 and Linux's n_tty (echo_char, eraser), one rule per test.
import { Cc, LocalMode, Termios } from "@osbricks/kernel";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { erase } from "../src/lunaix/line-edit.js";
import { terminal } from "./session.js";

const text = (b: Uint8Array | null) => (b === null ? null : new TextDecoder().decode(b));

/** A console with Linux's default modes, then `change`; `shown()` is everything it sent, flushed. */
const console0 = (change?: (m: Termios) => void) => terminal(change);

const DEL = "\x7f";
const KILL = "\x15";
const WERASE = "\x17";
const LNEXT = "\x16";

describe("canonical editing: ERASE", () => {
  it("removes the last byte; ECHOE echoes backspace-space-backspace", () => {
    const { tty, shown } = console0();
    tty.hostInput(`abc${DEL}d\n`);
    expect(text(tty.read(100))).toBe("abd\n");
    expect(shown()).toBe("abc\b \bd\n");
  });

  it("without ECHOE echoes the ERASE character itself (^? under ECHOCTL, the raw byte without)", () => {
    const { tty, shown } = console0((m) => m.setLocal(LocalMode.ECHOE, false));
    tty.hostInput(`ab${DEL}\n`);
    expect(text(tty.read(100))).toBe("a\n");
    expect(shown()).toBe("ab^?\n");
    const raw = console0((m) => {
      m.setLocal(LocalMode.ECHOE, false);
      m.setLocal(LocalMode.ECHOCTL, false);
    });
    raw.tty.hostInput(`ab${DEL}\n`);
    expect(raw.shown()).toBe(`ab${DEL}\n`);
  });

  it("never crosses the start of the line: a complete line is out of reach, an empty line echoes nothing", () => {
    const { tty, shown } = console0();
    tty.hostInput(`ab\n${DEL}${DEL}c\n`);
    expect(text(tty.read(100))).toBe("ab\n");
    expect(text(tty.read(100))).toBe("c\n");
    expect(shown()).toBe("ab\nc\n");
  });

  it("a control byte echoed as ^X takes two rub-outs; echoed raw (ECHOCTL off) it takes none", () => {
    const { tty, shown } = console0();
    tty.hostInput(`a\x07${DEL}\n`);
    expect(shown()).toBe("a^G\b \b\b \b\n");
    const raw = console0((m) => m.setLocal(LocalMode.ECHOCTL, false));
    raw.tty.hostInput(`a\x07${DEL}\n`);
    expect(raw.shown()).toBe("a\x07\n");
    expect(text(raw.tty.read(100))).toBe("a\n");
  });

  it("a TAB is rubbed out with backspaces back to the column it started at", () => {
    const { tty, shown } = console0();
    tty.write(new TextEncoder().encode("$ ")); // the line starts at column 2
    tty.hostInput(`ab\t${DEL}\n`); // the TAB went from column 4 to 8
    expect(shown()).toBe("$ ab\t\b\b\b\b\n");
    const after = console0();
    after.tty.hostInput(`x\tyz\t${DEL}\n`); // second TAB: columns since the first are 2, so 6 back
    expect(after.shown()).toBe("x\tyz\t\b\b\b\b\b\b\n");
  });

  it("with ECHO off edits the line and echoes nothing", () => {
    const { tty, shown } = console0((m) => m.setLocal(LocalMode.ECHO, false));
    tty.hostInput(`ab${DEL}c${KILL}d${WERASE}e\n`);
    expect(text(tty.read(100))).toBe("e\n");
    expect(shown()).toBe("");
  });

  it("a disabled slot (0, _POSIX_VDISABLE) matches nothing: NUL is an ordinary byte", () => {
    const { tty } = console0((m) => {
      m.cc[Cc.VERASE] = 0;
    });
    tty.hostInput(`a\x00${DEL}\n`);
    expect([...(tty.read(100) ?? [])]).toEqual([0x61, 0x00, 0x7f, 0x0a]);
  });
});

describe("canonical editing: KILL", () => {
  it("with ECHOK, ECHOKE and ECHOE (the defaults) rubs the line out byte by byte", () => {
    const { tty, shown } = console0();
    tty.hostInput(`ab${KILL}c\n`);
    expect(text(tty.read(100))).toBe("c\n");
    expect(shown()).toBe("ab\b \b\b \bc\n");
  });

  it("without ECHOKE echoes the KILL character, then a newline under ECHOK", () => {
    const { tty, shown } = console0((m) => m.setLocal(LocalMode.ECHOKE, false));
    tty.hostInput(`ab${KILL}c\n`);
    expect(text(tty.read(100))).toBe("c\n");
    expect(shown()).toBe("ab^U\nc\n");
    const noK = console0((m) => {
      m.setLocal(LocalMode.ECHOKE, false);
      m.setLocal(LocalMode.ECHOK, false);
    });
    noK.tty.hostInput(`ab${KILL}c\n`);
    expect(noK.shown()).toBe("ab^Uc\n");
  });
});

describe("canonical editing: WERASE and LNEXT (IEXTEN)", () => {
  it("WERASE removes trailing non-word bytes and the word before them, not the space before it", () => {
    const { tty, shown } = console0();
    tty.hostInput(`ls foo_1. ${WERASE}\n`);
    expect(text(tty.read(100))).toBe("ls \n");
    expect(shown()).toBe(`ls foo_1. ${"\b \b".repeat(7)}\n`);
  });

  it("without IEXTEN, ^W and ^V are ordinary bytes", () => {
    const { tty } = console0((m) => m.setLocal(LocalMode.IEXTEN, false));
    tty.hostInput(`a ${WERASE}${LNEXT}\n`);
    expect(text(tty.read(100))).toBe(`a ${WERASE}${LNEXT}\n`);
  });

  it("LNEXT makes the next byte literal: ^C, ERASE and NL go into the line; echoed ^, backspace, then the byte", () => {
    const { tty, shown } = console0();
    tty.hostInput(`a${LNEXT}\x03${LNEXT}${DEL}${LNEXT}\nb\n`);
    expect(text(tty.read(100))).toBe(`a\x03${DEL}\nb\n`);
    expect(tty.signalsIn).toBe(0);
    expect(shown()).toBe("a^\b^C^\b^?^\b^Jb\n");
  });

  it("an ERASE after a literal byte removes it like any other", () => {
    const { tty } = console0();
    tty.hostInput(`a${LNEXT}${DEL}${DEL}\n`);
    expect(text(tty.read(100))).toBe("a\n");
  });
});

describe("canonical line ends: EOL, EOL2, ECHONL", () => {
  it("VEOL ends a line and stays in it, echoed as echo_char shows it", () => {
    const { tty, shown } = console0((m) => {
      m.cc[Cc.VEOL] = 0x3b; // ';'
    });
    let woken = 0;
    tty.waiters.push({ wakeToRetry: () => woken++ });
    tty.hostInput("ab;c");
    expect(woken).toBe(1);
    expect(text(tty.read(100))).toBe("ab;");
    expect(tty.read(100)).toBeNull();
    expect(shown()).toBe("ab;c");
  });

  it("VEOL2 ends a line only under IEXTEN", () => {
    const on = console0((m) => {
      m.cc[Cc.VEOL2] = 0x01;
    });
    on.tty.hostInput("x\x01");
    expect(text(on.tty.read(100))).toBe("x\x01");
    const off = console0((m) => {
      m.cc[Cc.VEOL2] = 0x01;
      m.setLocal(LocalMode.IEXTEN, false);
    });
    off.tty.hostInput("x\x01");
    expect(off.tty.read(100)).toBeNull();
  });

  it("ECHONL echoes the newline even with ECHO off", () => {
    const { tty, shown } = console0((m) => {
      m.setLocal(LocalMode.ECHO, false);
      m.setLocal(LocalMode.ECHONL, true);
    });
    tty.hostInput("secret\n");
    expect(shown()).toBe("\n");
  });
});

describe("ECHOCTL", () => {
  it("on: control bytes of a line echo as ^X (TAB and NL as themselves); off: raw", () => {
    const on = console0();
    on.tty.hostInput("a\x01\tb\n");
    expect(on.shown()).toBe("a^A\tb\n");
    const off = console0((m) => m.setLocal(LocalMode.ECHOCTL, false));
    off.tty.hostInput("a\x01\tb\n");
    expect(off.shown()).toBe("a\x01\tb\n");
  });

  it("off: an ISIG character echoes as itself", () => {
    const { tty, shown } = console0((m) => m.setLocal(LocalMode.ECHOCTL, false));
    tty.hostInput("\x03");
    expect(shown()).toBe("\x03\n");
  });
});

describe("erase(): the pure rule", () => {
  it("property: keeps a prefix; ERASE removes exactly one byte of a non-empty line; with ECHO off echoes nothing", () => {
    fc.assert(
      fc.property(
        fc.array(fc.integer({ min: 0, max: 0x7f }), { maxLength: 20 }),
        fc.constantFrom("erase" as const, "werase" as const, "kill" as const),
        fc.integer({ min: 0, max: 0xffff }),
        fc.integer({ min: 0, max: 40 }),
        (line, kind, lflag, col) => {
          const m = new Termios();
          m.lflag = lflag;
          const r = erase(line, kind, m, col);
          expect(r.keep).toBeGreaterThanOrEqual(0);
          expect(r.keep).toBeLessThanOrEqual(line.length);
          if (kind === "erase") expect(r.keep).toBe(Math.max(0, line.length - 1));
          if (kind === "kill") expect(r.keep).toBe(0);
          if (!m.local(LocalMode.ECHO) || line.length === 0) expect(r.echo).toEqual([]);
        },
      ),
      { numRuns: 200 },
    );
  });
});
