// Non-canonical reads with VTIME (POSIX 11.1.7, the four MIN/TIME cases; Linux's n_tty_read), on
// the serial console with a clock of the test's own, then through the kernel's timed read wait
// (FileOperations.readDeadline → Kernel.blockUntil) at the shell's prompt.
import { applyModes, Cc, InputMode, LocalMode, TcsaAction, Termios } from "@osbricks/kernel";
import { describe, expect, it } from "vitest";
import { TIME_UNIT_CYCLES } from "../src/lunaix/min-time.js";
import { session, terminal } from "./session.js";

const T = TIME_UNIT_CYCLES;
const text = (b: Uint8Array | null) => (b === null ? null : new TextDecoder().decode(b));

/** A non-canonical console with MIN and TIME, whose bytes arrive at the test's `at`. */
function raw(vmin: number, vtime: number) {
  const clock = { at: 0 };
  const { tty } = terminal(
    (m) => {
      m.setLocal(LocalMode.ICANON, false);
      m.cc[Cc.VMIN] = vmin;
      m.cc[Cc.VTIME] = vtime;
    },
    undefined,
    { echo: false, clock: () => clock.at },
  );
  const type = (s: string, at: number) => {
    clock.at = at;
    tty.hostInput(s);
  };
  return { tty, type };
}

describe("VTIME: the four MIN/TIME cases", () => {
  it("MIN 0, TIME 0: a poll — at once, 0 bytes when none; no deadline", () => {
    const { tty } = raw(0, 0);
    expect(text(tty.read(10, 5, 5))).toBe("");
    expect(tty.readDeadline(5, 5)).toBe(Number.POSITIVE_INFINITY);
  });

  it("MIN 0, TIME 2: waits for a byte at most TIME from the read's start, then returns 0 bytes", () => {
    const { tty, type } = raw(0, 2);
    expect(tty.read(10, 1000, 1000)).toBeNull();
    expect(tty.readDeadline(1000, 1000)).toBe(1000 + 2 * T);
    expect(tty.read(10, 1000 + 2 * T - 1, 1000)).toBeNull(); // one cycle early
    expect(text(tty.read(10, 1000 + 2 * T, 1000))).toBe(""); // the read timer ran out
    type("ab", 5000);
    expect(text(tty.read(10, 6000, 6000))).toBe("ab"); // a byte there: at once
  });

  it("MIN 3, TIME 1: no timer before the first byte; then the inter-byte timer, restarted by each byte", () => {
    const { tty, type } = raw(3, 1);
    expect(tty.read(10, 0, 0)).toBeNull();
    expect(tty.readDeadline(0, 0)).toBe(Number.POSITIVE_INFINITY); // waits for the first byte for ever
    type("a", 10 * T);
    expect(tty.readDeadline(10 * T, 0)).toBe(11 * T);
    type("b", 10.5 * T); // a second byte restarts the timer
    expect(tty.read(10, 11 * T, 0)).toBeNull();
    expect(tty.readDeadline(11 * T, 0)).toBe(11.5 * T);
    expect(text(tty.read(10, 11.5 * T, 0))).toBe("ab"); // TIME passed with no new byte: what is there
  });

  it("MIN 2, TIME 1: MIN bytes return at once, timer or not; bytes there before the read count from its start", () => {
    const { tty, type } = raw(2, 1);
    type("xyz", 0);
    expect(text(tty.read(2, 0, 0))).toBe("xy");
    expect(tty.read(10, 50 * T, 50 * T)).toBeNull(); // "z" arrived long before; the timer starts now
    expect(tty.readDeadline(50 * T, 50 * T)).toBe(51 * T);
    expect(text(tty.read(10, 51 * T, 50 * T))).toBe("z");
  });

  it("only a byte queued restarts the inter-byte timer: an ISIG character kept out by NOFLSH, or a CR that IGNCR drops, does not", () => {
    const { tty, type } = raw(2, 1);
    const m = new Termios();
    m.assign(tty.tty.termios);
    m.setLocal(LocalMode.NOFLSH, true);
    m.iflag |= InputMode.IGNCR;
    applyModes(tty.tty, m, TcsaAction.TCSANOW);
    type("a", 0);
    type("\x03", 0.5 * T); // SIGINT (no kernel connected), the input kept
    type("\r", 0.7 * T);
    expect(tty.readDeadline(T, 0)).toBe(T);
    expect(text(tty.read(10, T, 0))).toBe("a");
    expect(tty.signalsIn).toBe(1);
  });

  it("MIN > 0: a read that waits takes the bytes as they come (n_tty_read copies them at once); they count toward MIN and keep the inter-byte timer running", () => {
    const { tty, type } = raw(3, 1);
    type("ab", 0);
    expect(tty.read(10, 0, 0)).toBeNull();
    expect(text(tty.takeWhileWaiting(10))).toBe("ab"); // the kernel copies them to the caller now
    expect(tty.readDeadline(0, 0, 2)).toBe(T); // 2 taken: the inter-byte timer runs from "b"
    type("c", T / 2);
    expect(text(tty.read(8, T / 2, 0, 2))).toBe("c"); // 2 taken + 1 = MIN
    // A timer that runs out with bytes taken and none queued ends the read with what it took.
    type("d", 2 * T);
    expect(tty.read(10, 2 * T, 2 * T)).toBeNull();
    expect(text(tty.takeWhileWaiting(10))).toBe("d");
    expect(tty.read(9, 3 * T - 1, 2 * T, 1)).toBeNull();
    expect(text(tty.read(9, 3 * T, 2 * T, 1))).toBe("");
    // MIN 0 and canonical reads take nothing early: the first is ready at its first byte, the
    // second waits for a whole line.
    const zero = raw(0, 1);
    zero.type("x", 0);
    expect(zero.tty.takeWhileWaiting(10).length).toBe(0);
    const { tty: canon } = terminal(() => {}, undefined, { echo: false });
    canon.hostInput("partial");
    expect(canon.takeWhileWaiting(10).length).toBe(0);
  });

  it("canonical mode ignores TIME: no deadline", () => {
    const { tty } = raw(0, 3);
    const m = new Termios();
    m.assign(tty.tty.termios);
    m.setLocal(LocalMode.ICANON, true);
    applyModes(tty.tty, m, TcsaAction.TCSANOW);
    expect(tty.readDeadline(0, 0)).toBe(Number.POSITIVE_INFINITY);
    expect(tty.read(10, 10 * T, 0)).toBeNull();
  });
});

describe("VTIME through the kernel", () => {
  it("stty -icanon min 0 time 1: the shell's next read times out after 0.1 s of simulated time and returns 0 — end of input, so the shell exits", () => {
    const { out, why, sys } = session(["stty -icanon min 0 time 1", "echo never typed in time"]);
    expect(out).toContain("$ stty -icanon min 0 time 1\n$ \nsh: end of input\n");
    expect(out).not.toContain("echo never"); // the machine was not idle: the shell's read had a timer
    expect(why).toBe("halted");
    expect(sys.kernel.now).toBeGreaterThanOrEqual(T);
  });
});
