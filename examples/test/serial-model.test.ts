// The serial console's line discipline under changing terminal modes, against a naive model
// (fast-check model-based testing, after fast-check's musicPlayer example). Random sequences of
// three commands drive a SerialConsole directly, without a kernel:
//
//   SetModes  tcsetattr as the kernel's setAttributes does it after its checks: TCSAFLUSH discards
//             the unread input, the new modes replace the old (ISIG, ICANON, ECHO, NOFLSH, VMIN 0..4,
//             VINTR among ^C ^G ^\ ^D 'a'), the driver hears of it
//   Type      a host burst of at most 16 bytes (one UART FIFO): letters, \n, \r, ^C ^Z ^\ ^D ^G
//   Read      a read of 1..8 bytes
//
// The model is written from the console's documented rules (serial.ts banner; POSIX 11.1.6,
// 11.1.7, 11.1.9) with plain arrays: the complete lines (canonical mode), the bytes pending (the
// partial line, or every unread byte in non-canonical mode), the ISIG characters that signalled,
// and the echo expected on the output. After every command the output so far, the signal count,
// the complete lines pending and the modes' own invariants must agree with the model.
import { applyModes, Cc, LocalMode, TcsaAction, Termios } from "@osbricks/kernel";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { LineSink, SerialConsole, VEOF, VQUIT, VSUSP } from "../src/lunaix/serial.js";

/** The modes a command sets (the rest of the termios stays as a new terminal has it). */
interface Modes {
  readonly isig: boolean;
  readonly icanon: boolean;
  readonly echo: boolean;
  readonly noflsh: boolean;
  readonly vmin: number;
  readonly vintr: number;
}

interface Model {
  modes: Modes;
  /** Canonical mode: complete lines not read (an EOF mark is an empty line). */
  lines: number[][];
  /** Canonical: the line being typed; non-canonical: every unread byte. */
  pending: number[];
  /** The ISIG characters that signalled, in order. */
  signals: number[];
  /** Everything the console should have printed. */
  output: string;
}

interface Real {
  readonly tty: SerialConsole;
  readonly out: string[];
}

/** ECHOCTL: a control character as ^X, a printable one (a VINTR of 'a') as itself. */
const ctrl = (b: number): string =>
  b < 0x20 || b === 0x7f ? `^${String.fromCharCode(b ^ 0x40)}` : String.fromCharCode(b);

/** One received byte, as the documented line discipline treats it. */
function modelReceive(m: Model, typed: number): void {
  const { isig, icanon, echo, noflsh, vintr } = m.modes;
  // ICRNL (on throughout): CR is NL once past the ISIG test; such a NL echoes as a line break even
  // in non-canonical mode, where a typed NL (^J) is no line end and echoes ^J.
  const b = typed === 0x0d && !(isig && typed === vintr) ? 0x0a : typed;
  if (isig && (b === vintr || b === VQUIT || b === VSUSP)) {
    if (!noflsh) {
      m.lines = [];
      m.pending = [];
    }
    m.signals.push(b);
    if (echo) m.output += `${ctrl(b)}\n`;
    return;
  }
  if (!icanon) {
    m.pending.push(b);
    if (echo) m.output += typed === 0x0d ? "\n" : ctrl(b);
    return;
  }
  if (b === VEOF) {
    m.lines.push(m.pending);
    m.pending = [];
    return;
  }
  // Canonical: each byte is echoed as it arrives (ECHOCTL: control bytes as ^X, NL as itself).
  m.pending.push(b);
  if (echo) m.output += b === 0x0a ? "\n" : ctrl(b);
  if (b === 0x0a) {
    m.lines.push(m.pending);
    m.pending = [];
  }
}

/** A read of `max` bytes: the bytes, or null when the reader would wait. */
function modelRead(m: Model, max: number): number[] | null {
  if (!m.modes.icanon) {
    const wanted = Math.min(m.modes.vmin, max); // TIME is 0 throughout
    if (m.pending.length < wanted) return null;
    return m.pending.splice(0, Math.min(max, m.pending.length));
  }
  const line = m.lines[0];
  if (line === undefined) return null;
  if (line.length <= max) {
    m.lines.shift();
    return line;
  }
  return line.splice(0, max);
}

/** The agreement checked after every command. */
function agree(m: Model, r: Real): void {
  r.tty.tty.termios.checkInvariants();
  r.tty.flush();
  expect(r.out.join("")).toBe(m.output);
  expect(r.tty.signalsIn).toBe(m.signals.length);
  expect(r.tty.pendingLines).toBe(m.lines.length);
  if (!m.modes.icanon) expect(m.lines).toEqual([]);
}

class SetModes implements fc.Command<Model, Real> {
  constructor(
    readonly modes: Modes,
    readonly flush: boolean,
  ) {}
  check(): boolean {
    return true;
  }
  run(m: Model, r: Real): void {
    const t = new Termios();
    t.assign(r.tty.tty.termios);
    t.setLocal(LocalMode.ISIG, this.modes.isig);
    t.setLocal(LocalMode.ICANON, this.modes.icanon);
    t.setLocal(LocalMode.ECHO, this.modes.echo);
    t.setLocal(LocalMode.NOFLSH, this.modes.noflsh);
    t.cc[Cc.VMIN] = this.modes.vmin;
    t.cc[Cc.VINTR] = this.modes.vintr;
    // The kernel's setAttributes, past its background and fault checks.
    applyModes(r.tty.tty, t, this.flush ? TcsaAction.TCSAFLUSH : TcsaAction.TCSANOW);

    if (this.flush) {
      m.lines = [];
      m.pending = [];
    }
    const wasCanonical = m.modes.icanon;
    m.modes = this.modes;
    // Leaving canonical mode: every unread byte, lines and the partial one, is readable at once.
    if (!this.modes.icanon) {
      m.pending = [...m.lines.flat(), ...m.pending];
      m.lines = [];
    } else if (!wasCanonical && m.pending.length > 0) {
      // Entering it: the bytes not read become one line, pushed as if its end had been typed
      // (Linux's n_tty_set_termios marks the last unread byte as a line's end).
      m.lines.push(m.pending);
      m.pending = [];
    }
    agree(m, r);
  }
  toString(): string {
    const s = this.modes;
    const f = (on: boolean, name: string) => (on ? name : `-${name}`);
    return `tcsetattr(${this.flush ? "TCSAFLUSH" : "TCSANOW"}, ${f(s.isig, "isig")} ${f(s.icanon, "icanon")} ${f(s.echo, "echo")} ${f(s.noflsh, "noflsh")} min ${s.vmin} intr 0x${s.vintr.toString(16)})`;
  }
}

class Type implements fc.Command<Model, Real> {
  constructor(readonly bytes: readonly number[]) {}
  check(): boolean {
    return true;
  }
  run(m: Model, r: Real): void {
    r.tty.hostInput(String.fromCharCode(...this.bytes));
    for (const b of this.bytes) modelReceive(m, b);
    agree(m, r);
  }
  toString(): string {
    return `type(${JSON.stringify(String.fromCharCode(...this.bytes))})`;
  }
}

class Read implements fc.Command<Model, Real> {
  constructor(readonly max: number) {}
  check(): boolean {
    return true;
  }
  run(m: Model, r: Real): void {
    const got = r.tty.read(this.max);
    const want = modelRead(m, this.max);
    expect(got === null ? null : [...got]).toEqual(want);
    agree(m, r);
  }
  toString(): string {
    return `read(${this.max})`;
  }
}

/** ^C, ^G, ^\ (also VQUIT), ^D (also VEOF), 'a': VINTR candidates, some colliding on purpose. */
const INTR_CHOICES = [0x03, 0x07, 0x1c, VEOF, 0x61];
/** Letters, newline, CR, ^C ^Z ^\ ^D and ^G (the non-default VINTR). */
const TYPED = [0x61, 0x62, 0x63, 0x0a, 0x0d, 0x03, 0x1a, 0x1c, 0x04, 0x07];

const modesArb: fc.Arbitrary<Modes> = fc.record({
  isig: fc.boolean(),
  icanon: fc.boolean(),
  echo: fc.boolean(),
  noflsh: fc.boolean(),
  vmin: fc.integer({ min: 0, max: 4 }),
  vintr: fc.constantFrom(...INTR_CHOICES),
});

const commands = [
  fc.tuple(modesArb, fc.boolean()).map(([modes, flush]) => new SetModes(modes, flush)),
  // Short bursts and small reads weighted up: the interesting states hold fewer bytes than VMIN
  // or than a line, which long bursts and large reads would rarely leave behind.
  fc
    .oneof(
      { arbitrary: fc.array(fc.constantFrom(...TYPED), { minLength: 1, maxLength: 3 }), weight: 2 },
      { arbitrary: fc.array(fc.constantFrom(...TYPED), { minLength: 1, maxLength: 16 }), weight: 1 },
    )
    .map((b) => new Type(b)),
  fc
    .oneof(
      { arbitrary: fc.integer({ min: 1, max: 3 }), weight: 2 },
      { arbitrary: fc.integer({ min: 1, max: 8 }), weight: 1 },
    )
    .map((n) => new Read(n)),
];

describe("SerialConsole against a model of its line discipline", () => {
  it("entering canonical mode makes the bytes not read one line, readable at once (Linux n_tty_set_termios)", () => {
    const tty = new SerialConsole({ sink: new LineSink(() => {}), echo: false });
    const setCanonical = (on: boolean) => {
      const t = new Termios();
      t.assign(tty.tty.termios);
      t.setLocal(LocalMode.ICANON, on);
      applyModes(tty.tty, t, TcsaAction.TCSANOW);
    };
    setCanonical(false);
    tty.hostInput("ab\ncd");
    let woken = 0;
    tty.waiters.push({ wakeToRetry: () => woken++ });
    setCanonical(true);
    expect(woken).toBe(1);
    expect(tty.pendingLines).toBe(1);
    const read = (n: number) => new TextDecoder().decode(tty.read(n) ?? undefined);
    expect(read(3)).toBe("ab\n"); // a read smaller than the line takes part of it
    expect(read(10)).toBe("cd"); // the rest of the pushed line, with no newline
    expect(tty.read(10)).toBeNull(); // nothing left: a canonical read waits again
    tty.hostInput("e\n");
    expect(read(10)).toBe("e\n");
  });

  it("model: mode changes, host bursts and reads agree on bytes read, echo, signals and lines", () => {
    fc.assert(
      fc.property(fc.commands(commands, { maxCommands: 40 }), (cmds) => {
        const setup = () => {
          const out: string[] = [];
          const tty = new SerialConsole({ sink: new LineSink((s) => out.push(s)) });
          const d = new Termios(); // the console starts as stty sane
          const model: Model = {
            modes: {
              isig: d.local(LocalMode.ISIG),
              icanon: d.local(LocalMode.ICANON),
              echo: d.local(LocalMode.ECHO),
              noflsh: d.local(LocalMode.NOFLSH),
              vmin: d.cc[Cc.VMIN]!,
              vintr: d.cc[Cc.VINTR]!,
            },
            lines: [],
            pending: [],
            signals: [],
            output: "",
          };
          return { model, real: { tty, out } };
        };
        fc.modelRun(setup, cmds);
      }),
      { numRuns: 100 },
    );
  });
});
