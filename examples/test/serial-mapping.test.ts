// The serial console's input and output mapping (POSIX 11.2.2 input modes, 11.2.3 output modes;
// Linux's n_tty_receive_char_special and do_output_char): ICRNL, INLCR, IGNCR on input, after
// the ISIG test and before the canonical characters; OPOST with ONLCR on output (NL → CR NL on
// the wire), and the host's rendering of CR NL as a line break.
import { Cc, InputMode, LocalMode, OutputMode, type Termios } from "@osbricks/kernel";
import { describe, expect, it } from "vitest";
import { LineSink } from "../src/lunaix/line-sink.js";
import { terminal } from "./session.js";

const text = (b: Uint8Array | null) => (b === null ? null : new TextDecoder().decode(b));

/** A sink that also keeps the raw bytes on the wire. */
class Wire extends LineSink {
  readonly sent: number[] = [];
  override writeByte(byte: number): void {
    this.sent.push(byte);
    super.writeByte(byte);
  }
}

/** A console with Linux's default modes, then `change`; `wire.sent` holds the raw bytes sent. */
const console0 = (change?: (m: Termios) => void) => terminal(change, (onText) => new Wire(onText));

const nonCanonical = (m: Termios) => m.setLocal(LocalMode.ICANON, false);

describe("input mapping", () => {
  it("ICRNL (the default): CR ends a canonical line as NL, and echoes as a line break", () => {
    const { tty, shown } = console0();
    tty.hostInput("ab\r");
    expect(text(tty.read(100))).toBe("ab\n");
    expect(shown()).toBe("ab\n");
  });

  it("-ICRNL: CR is an ordinary byte (echoed ^M) and ends no line — Enter does nothing visible", () => {
    const { tty, shown } = console0((m) => {
      m.iflag &= ~InputMode.ICRNL;
    });
    tty.hostInput("ab\r");
    expect(tty.read(100)).toBeNull();
    tty.hostInput("\n");
    expect(text(tty.read(100))).toBe("ab\r\n");
    expect(shown()).toBe("ab^M\n");
  });

  it("IGNCR drops CR before ICRNL could map it", () => {
    const { tty } = console0((m) => {
      m.iflag |= InputMode.IGNCR;
    });
    tty.hostInput("a\rb\n");
    expect(text(tty.read(100))).toBe("ab\n");
  });

  it("INLCR maps NL to CR, which is then not mapped back (ICRNL applies to a received CR only)", () => {
    const { tty } = console0((m) => {
      m.iflag |= InputMode.INLCR;
    });
    tty.hostInput("ab\n");
    expect(tty.read(100)).toBeNull();
    tty.hostInput("\r");
    expect(text(tty.read(100))).toBe("ab\r\n");
  });

  it("non-canonical: CR mapped by ICRNL echoes a line break, a typed ^J echoes ^J; both read as NL", () => {
    const { tty, shown } = console0(nonCanonical);
    tty.hostInput("a\rb\n");
    expect(text(tty.read(100))).toBe("a\nb\n");
    expect(shown()).toBe("a\nb^J");
  });

  it("the ISIG test comes before the mapping: a VINTR of CR interrupts", () => {
    const { tty } = console0((m) => {
      m.cc[Cc.VINTR] = 0x0d;
    });
    tty.hostInput("x\r");
    expect(tty.signalsIn).toBe(1);
    expect(tty.read(100)).toBeNull();
  });
});

describe("output mapping", () => {
  it("OPOST+ONLCR (the default): each NL goes out as CR NL; the host shows one line break", () => {
    const { tty, wire, shown } = console0();
    tty.write(new TextEncoder().encode("a\nb\n"));
    expect(wire.sent).toEqual([0x61, 0x0d, 0x0a, 0x62, 0x0d, 0x0a]);
    expect(shown()).toBe("a\nb\n");
  });

  it("echo goes through the same output processing", () => {
    const { tty, wire } = console0();
    tty.hostInput("z\r");
    expect(wire.sent).toEqual([0x7a, 0x0d, 0x0a]);
  });

  it("-ONLCR or -OPOST: NL goes out alone", () => {
    for (const change of [
      (m: Termios) => {
        m.oflag &= ~OutputMode.ONLCR;
      },
      (m: Termios) => {
        m.oflag &= ~OutputMode.OPOST;
      },
    ]) {
      const { tty, wire } = console0(change);
      tty.write(new TextEncoder().encode("a\n"));
      expect(wire.sent).toEqual([0x61, 0x0a]);
    }
  });

  it("a CR flushed at the end of a partial line still joins the NL after it (model counterexample: -icanon inlcr, NL then CR)", () => {
    const { tty, shown } = console0((m) => {
      m.setLocal(LocalMode.ICANON, false);
      m.setLocal(LocalMode.ECHOCTL, false);
      m.iflag |= InputMode.INLCR;
    });
    tty.hostInput("\n"); // INLCR: a CR, echoed raw
    expect(shown()).toBe("");
    tty.hostInput("\ra"); // ICRNL: a NL, echoed as CR NL
    expect(shown()).toBe("\na");
  });

  it("the host keeps a CR that is not before a NL (a progress line rewritten in place)", () => {
    const { tty, shown } = console0();
    tty.write(new TextEncoder().encode("50%\r100%\r\n"));
    expect(shown()).toBe("50%\r100%\n");
  });
});
