// The serial console's line discipline under changing terminal modes, against a naive model
// (fast-check model-based testing, after fast-check's musicPlayer example). Random sequences of
// five commands drive a SerialConsole directly, without a kernel:
//
//   SetModes  tcsetattr as the kernel's setAttributes does it after its checks: TCSAFLUSH discards
//             the unread input, the new modes replace the old (ISIG, ICANON, ECHO, NOFLSH, ECHOE,
//             ECHOK, ECHOKE, ECHOCTL, IEXTEN, ICRNL, IGNCR, INLCR, IXON, IXANY, VMIN 0..4, VTIME 0..2, VINTR
//             among ^C ^G ^\ ^D 'a'), the driver hears of it
//   Type      a host burst of at most 16 bytes (one UART FIFO): letters, a space, \n, \r, ^C ^Z ^\
//             ^D ^G, and the editing characters DEL (ERASE) ^U (KILL) ^W (WERASE) ^V (LNEXT)
//             ^R (REPRINT), and ^Q ^S (VSTART, VSTOP: flow control under IXON; echo is held while stopped)
//   Read      a read of 1..8 bytes that began 0..3 half-tenths of a second ago (VTIME's timers)
//   Tick      the simulated clock moves on by 1..3 half-tenths of a second
//   Write     a program writes 1, 5, 1500 or 3000 bytes ending in \n: all sent while output flows,
//             while stopped held up to the transmit buffer's size (TX_BUFFER_BYTES), the rest refused
//
// No TAB is typed: its rub-out depends on the output column, which the model does not keep (the
// unit tests of line-edit.test.ts check it). The output modes stay Linux's (OPOST, ONLCR); both the
// model's and the console's output are compared as the host shows them (CR NL as a line break).
//
// The model is written from the console's documented rules (serial.ts banner and line-edit.ts;
// POSIX 11.1.6, 11.1.7, 11.1.9, 11.2; Linux's n_tty) with plain arrays: the complete lines (canonical mode), the bytes pending (the
// partial line, or every unread byte in non-canonical mode), the ISIG characters that signalled,
// and the echo expected on the output. After every command the output so far, the signal count,
// the complete lines pending and the modes' own invariants must agree with the model.
import { applyModes, Cc, InputMode, LocalMode, TcsaAction, Termios } from "@osbricks/kernel";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { LineSink } from "../src/lunaix/line-sink.js";
import { TIME_UNIT_CYCLES } from "../src/lunaix/min-time.js";
import { SerialConsole, TX_BUFFER_BYTES, VEOF, VQUIT, VSUSP } from "../src/lunaix/serial.js";

/** The clock's step: half a tenth of a second. */
const HALF = TIME_UNIT_CYCLES / 2;

/** The modes a command sets (the rest of the termios stays as a new terminal has it). */
interface Modes {
  readonly isig: boolean;
  readonly icanon: boolean;
  readonly echo: boolean;
  readonly noflsh: boolean;
  readonly echoe: boolean;
  readonly echok: boolean;
  readonly echoke: boolean;
  readonly echoctl: boolean;
  readonly iexten: boolean;
  readonly icrnl: boolean;
  readonly igncr: boolean;
  readonly inlcr: boolean;
  readonly ixon: boolean;
  readonly ixany: boolean;
  readonly vmin: number;
  readonly vtime: number;
  readonly vintr: number;
}

interface Model {
  modes: Modes;
  /** Canonical mode: complete lines not read, with their ends (an EOF's is a NUL, Linux's __DISABLED_CHAR). */
  lines: number[][];
  /** Canonical: the line being typed; non-canonical: every unread byte. */
  pending: number[];
  /** The ISIG characters that signalled, in order. */
  signals: number[];
  /** Everything the console should have sent to the host. */
  output: string;
  /** Output is stopped (^S under IXON): echo waits in `held`. */
  stopped: boolean;
  /** Echo held while stopped, sent in order when output restarts. */
  held: string;
  /** LNEXT was typed: the next byte is literal. */
  lnext: boolean;
  /** The simulated time (cycles). */
  now: number;
  /** When the last input byte was queued. */
  lastByteAt: number;
}

interface Real {
  readonly tty: SerialConsole;
  readonly out: string[];
  /** The console's clock. */
  readonly clock: { now: number };
}

const DEL = 0x7f;
const KILL = 0x15;
const WERASE = 0x17;
const LNEXT = 0x16;
const REPRINT = 0x12;
const START = 0x11;
const STOP = 0x13;
const isCtrl = (b: number) => b < 0x20 || b === 0x7f;

/** How a byte is echoed: under ECHOCTL a control character (not TAB) as ^X, else as itself. */
function shown(m: Model, b: number): string {
  return m.modes.echoctl && isCtrl(b) && b !== 0x09
    ? `^${String.fromCharCode(b ^ 0x40)}`
    : String.fromCharCode(b);
}

/** The rub-out of one erased byte: a ^X takes two, a raw control byte none, any other one. */
function rubOut(m: Model, b: number): string {
  if (!isCtrl(b)) return "\b \b";
  return m.modes.echoctl ? "\b \b\b \b" : "";
}

/** Echo: sent, or held while output is stopped. */
function emit(m: Model, text: string): void {
  if (m.stopped) m.held += text;
  else m.output += text;
}

/** Output restarts: what was held goes out. */
function start(m: Model): void {
  m.stopped = false;
  m.output += m.held;
  m.held = "";
}

const isWord = (b: number) => /[A-Za-z0-9_]/.test(String.fromCharCode(b));

/** ERASE, KILL or WERASE on the line being typed. */
function modelEdit(m: Model, b: number): void {
  const { echo, echoe, echok, echoke } = m.modes;
  if (m.pending.length === 0) return;
  if (b === KILL && (!echo || !(echoe && echok && echoke))) {
    m.pending = [];
    if (echo) emit(m, shown(m, KILL) + (echok ? "\n" : ""));
    return;
  }
  // How many bytes go: one (ERASE), all (KILL), or the trailing non-word bytes and one word.
  let n = 1;
  if (b === KILL) n = m.pending.length;
  if (b === WERASE) {
    let i = m.pending.length;
    while (i > 0 && !isWord(m.pending[i - 1]!)) i--;
    while (i > 0 && isWord(m.pending[i - 1]!)) i--;
    n = m.pending.length - i;
  }
  const gone = m.pending.splice(m.pending.length - n, n).reverse();
  if (!echo) return;
  for (const c of gone) emit(m, b === DEL && !echoe ? shown(m, DEL) : rubOut(m, c));
}

/** A byte that is only input: queued and echoed (a NL mapped from CR as a line break). */
function modelOrdinary(m: Model, b: number, mappedNewline: boolean): void {
  m.pending.push(b);
  m.lastByteAt = m.now;
  if (m.modes.echo) emit(m, b === 0x0a && mappedNewline ? "\n" : shown(m, b));
}

/** One received byte, as the documented line discipline treats it. */
function modelReceive(m: Model, typed: number): void {
  const { isig, icanon, echo, noflsh, vintr, iexten, ixon, ixany } = m.modes;
  if (m.lnext) {
    m.lnext = false;
    if (ixon && ixany) start(m);
    modelOrdinary(m, typed, false);
    return;
  }
  // IXON: ^Q and ^S are flow control, first of all; IXANY: any other byte restarts output.
  if (ixon && typed === START) {
    start(m);
    return;
  }
  if (ixon && typed === STOP) {
    m.stopped = true;
    return;
  }
  if (isig && (typed === vintr || typed === VQUIT || typed === VSUSP)) {
    if (ixon) start(m); // an ISIG character restarts output under IXON alone
    if (!noflsh) {
      m.lines = [];
      m.pending = [];
    }
    m.signals.push(typed);
    if (echo) emit(m, `${shown(m, typed)}\n`);
    return;
  }
  if (ixon && ixany) start(m);
  let b = typed;
  if (typed === 0x0d) {
    if (m.modes.igncr) return;
    if (m.modes.icrnl) b = 0x0a;
  } else if (typed === 0x0a && m.modes.inlcr) b = 0x0d;
  const mapped = typed === 0x0d && b === 0x0a;
  if (!icanon) {
    modelOrdinary(m, b, mapped);
    return;
  }
  if (b === DEL || b === KILL || (b === WERASE && iexten)) {
    modelEdit(m, b);
    return;
  }
  if (b === LNEXT && iexten) {
    m.lnext = true;
    if (echo && m.modes.echoctl) emit(m, "^\b");
    return;
  }
  if (b === REPRINT && iexten && echo) {
    emit(m, `${shown(m, REPRINT)}\n${m.pending.map((c) => shown(m, c)).join("")}`);
    return;
  }
  if (b === VEOF) {
    m.lines.push([...m.pending, 0]); // Linux queues EOF as a NUL that ends the line
    m.pending = [];
    return;
  }
  if (b === 0x0a) {
    if (echo) emit(m, "\n");
    m.lines.push([...m.pending, b]);
    m.pending = [];
    return;
  }
  modelOrdinary(m, b, false);
}

/**
 * A read of `max` bytes begun at `since`: the bytes, or null when the reader would wait. POSIX
 * 11.1.7: MIN 0 TIME 0 polls; MIN 0 TIME t waits for one byte or t from the read's start; MIN m
 * waits for min(m, max) bytes, and with TIME t, once a byte is there, for t without a new one.
 */
function modelRead(m: Model, max: number, since: number): number[] | null {
  if (!m.modes.icanon) {
    const { vmin } = m.modes;
    const t = m.modes.vtime * TIME_UNIT_CYCLES;
    const n = m.pending.length;
    const enough = n >= Math.min(vmin === 0 && t > 0 ? 1 : vmin, max);
    const readTimerOut = t > 0 && vmin === 0 && m.now >= since + t;
    const interByteOut = t > 0 && n > 0 && m.now >= Math.max(m.lastByteAt, since) + t;
    if (!enough && !readTimerOut && !interByteOut) return null;
    return m.pending.splice(0, Math.min(max, n));
  }
  const line = m.lines[0];
  if (line === undefined) return null;
  // A NUL at a line's end is the EOF's mark: not read, and gone with the bytes before it.
  const data = line.at(-1) === 0 ? line.slice(0, -1) : line;
  if (data.length <= max) {
    m.lines.shift();
    return data;
  }
  return line.splice(0, max);
}

/** The agreement checked after every command. */
function agree(m: Model, r: Real): void {
  r.tty.tty.termios.checkInvariants();
  r.tty.flush();
  // The host shows CR NL as a line break (LineSink), whichever side sent the CR, and holds back
  // CRs at the end until it knows what follows them.
  expect(r.out.join("")).toBe(m.output.replace(/\r+\n/g, "\n").replace(/\r+$/, ""));
  expect(r.tty.signalsIn).toBe(m.signals.length);
  expect(r.tty.outputStopped).toBe(m.stopped);
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
    t.setLocal(LocalMode.ECHOE, this.modes.echoe);
    t.setLocal(LocalMode.ECHOK, this.modes.echok);
    t.setLocal(LocalMode.ECHOKE, this.modes.echoke);
    t.setLocal(LocalMode.ECHOCTL, this.modes.echoctl);
    t.setLocal(LocalMode.IEXTEN, this.modes.iexten);
    const iflag = (bit: number, on: boolean) => {
      t.iflag = (on ? t.iflag | bit : t.iflag & ~bit) >>> 0;
    };
    iflag(InputMode.ICRNL, this.modes.icrnl);
    iflag(InputMode.IGNCR, this.modes.igncr);
    iflag(InputMode.INLCR, this.modes.inlcr);
    iflag(InputMode.IXON, this.modes.ixon);
    iflag(InputMode.IXANY, this.modes.ixany);
    t.cc[Cc.VMIN] = this.modes.vmin;
    t.cc[Cc.VTIME] = this.modes.vtime;
    t.cc[Cc.VINTR] = this.modes.vintr;
    // The kernel's setAttributes, past its background and fault checks.
    applyModes(r.tty.tty, t, this.flush ? TcsaAction.TCSAFLUSH : TcsaAction.TCSANOW);

    if (this.flush) {
      m.lines = [];
      m.pending = [];
      m.lnext = false;
    }
    const wasCanonical = m.modes.icanon;
    if (wasCanonical !== this.modes.icanon) m.lnext = false; // Linux's n_tty_set_termios
    if (m.modes.ixon && !this.modes.ixon) start(m); // so does clearing IXON restart output
    m.modes = this.modes;
    // Leaving canonical mode: every unread byte, lines and the partial one, is readable at once,
    // an EOF's NUL included (Linux's n_tty_set_termios clears the line ends, not the bytes).
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
    const flags = [
      f(s.isig, "isig"),
      f(s.icanon, "icanon"),
      f(s.echo, "echo"),
      f(s.noflsh, "noflsh"),
      f(s.echoe, "echoe"),
      f(s.echok, "echok"),
      f(s.echoke, "echoke"),
      f(s.echoctl, "echoctl"),
      f(s.iexten, "iexten"),
      f(s.icrnl, "icrnl"),
      f(s.igncr, "igncr"),
      f(s.inlcr, "inlcr"),
      f(s.ixon, "ixon"),
      f(s.ixany, "ixany"),
    ];
    return `tcsetattr(${this.flush ? "TCSAFLUSH" : "TCSANOW"}, ${flags.join(" ")} min ${s.vmin} time ${s.vtime} intr 0x${s.vintr.toString(16)})`;
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
  constructor(
    readonly max: number,
    readonly began: number,
  ) {}
  check(): boolean {
    return true;
  }
  run(m: Model, r: Real): void {
    const since = Math.max(0, m.now - this.began * HALF);
    const got = r.tty.read(this.max, r.clock.now, since);
    const want = modelRead(m, this.max, since);
    expect(got === null ? null : [...got]).toEqual(want);
    agree(m, r);
  }
  toString(): string {
    return `read(${this.max}, began ${this.began}/20 s ago)`;
  }
}

/** Bytes held while stopped, as on the wire: a NL goes out as CR NL (OPOST, ONLCR). */
const heldBytes = (m: Model) => m.held.length + m.held.split("\n").length - 1;

class Write implements fc.Command<Model, Real> {
  constructor(readonly size: number) {}
  check(): boolean {
    return true;
  }
  run(m: Model, r: Real): void {
    const text = `${"w".repeat(this.size - 1)}\n`;
    const took = r.tty.write(new TextEncoder().encode(text));
    // A program's write: all of it while output flows; while stopped, what fits in the transmit
    // buffer (a NL needs two bytes), the writer waiting for the rest.
    let n = 0;
    if (!m.stopped) n = text.length;
    else
      while (n < text.length && heldBytes(m) + (text[n] === "\n" ? 2 : 1) <= TX_BUFFER_BYTES) {
        m.held += text[n];
        n++;
      }
    if (!m.stopped) m.output += text;
    expect(took).toBe(n);
    expect(r.tty.heldBytes).toBe(heldBytes(m));
    agree(m, r);
  }
  toString(): string {
    return `write(${this.size} bytes)`;
  }
}

class Tick implements fc.Command<Model, Real> {
  constructor(readonly halves: number) {}
  check(): boolean {
    return true;
  }
  run(m: Model, r: Real): void {
    m.now += this.halves * HALF;
    r.clock.now += this.halves * HALF;
    agree(m, r);
  }
  toString(): string {
    return `tick(${this.halves}/20 s)`;
  }
}

/** ^C, ^G, ^\ (also VQUIT), ^D (also VEOF), 'a': VINTR candidates, some colliding on purpose. */
const INTR_CHOICES = [0x03, 0x07, 0x1c, VEOF, 0x61];
/** Letters, a space, '_', newline, CR, ^C ^Z ^\ ^D, ^G (the non-default VINTR), DEL ^U ^W ^V ^R. */
const TYPED = [
  0x61,
  0x62,
  0x63,
  0x20,
  0x5f,
  0x0a,
  0x0d,
  0x03,
  0x1a,
  0x1c,
  0x04,
  0x07,
  DEL,
  KILL,
  WERASE,
  LNEXT,
  REPRINT,
  START,
  STOP,
];

const modesArb: fc.Arbitrary<Modes> = fc.record({
  isig: fc.boolean(),
  icanon: fc.boolean(),
  echo: fc.boolean(),
  noflsh: fc.boolean(),
  // The editing and mapping modes lean to Linux's defaults, so that sequences reach their effects.
  echoe: fc.boolean(),
  echok: fc.boolean(),
  echoke: fc.boolean(),
  echoctl: fc.boolean(),
  iexten: fc.oneof({ arbitrary: fc.constant(true), weight: 3 }, { arbitrary: fc.boolean(), weight: 1 }),
  icrnl: fc.oneof({ arbitrary: fc.constant(true), weight: 3 }, { arbitrary: fc.boolean(), weight: 1 }),
  igncr: fc.oneof({ arbitrary: fc.constant(false), weight: 3 }, { arbitrary: fc.boolean(), weight: 1 }),
  inlcr: fc.oneof({ arbitrary: fc.constant(false), weight: 3 }, { arbitrary: fc.boolean(), weight: 1 }),
  ixon: fc.oneof({ arbitrary: fc.constant(true), weight: 3 }, { arbitrary: fc.boolean(), weight: 1 }),
  ixany: fc.boolean(),
  vmin: fc.integer({ min: 0, max: 4 }),
  vtime: fc.integer({ min: 0, max: 2 }),
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
    .chain((n) => fc.integer({ min: 0, max: 3 }).map((began) => new Read(n, began))),
  fc.integer({ min: 1, max: 3 }).map((h) => new Tick(h)),
  fc.constantFrom(1, 5, 1500, 3000).map((n) => new Write(n)),
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

  it("a pending EOF becomes a NUL byte when ICANON is switched off (Linux: n_tty_receive_char_canon queues EOF as __DISABLED_CHAR, a line's end)", () => {
    // Linux queues ^D as a '\0' marked as a line's end, and canon_copy_from_read_buf drops a
    // '\0' end; n_tty_set_termios clears the line ends when ICANON goes off, so the '\0' is
    // then an ordinary byte and a raw read returns it.
    const tty = new SerialConsole({ sink: new LineSink(() => {}), echo: false });
    const setCanonical = (on: boolean) => {
      const t = new Termios();
      t.assign(tty.tty.termios);
      t.setLocal(LocalMode.ICANON, on);
      t.cc[Cc.VMIN] = 1;
      applyModes(tty.tty, t, TcsaAction.TCSANOW);
    };
    tty.hostInput("ab\x04\x04x\n");
    setCanonical(false);
    expect([...(tty.read(10) ?? [])]).toEqual([0x61, 0x62, 0, 0, 0x78, 0x0a]);
    // Back in canonical mode, a line whose last byte is a NUL ends there as at an EOF: the NUL
    // is not read (n_tty_set_termios marks the last unread byte as the line's end).
    tty.hostInput("c\x00");
    setCanonical(true);
    expect([...(tty.read(10) ?? [])]).toEqual([0x63]);
    // A canonical read still never returns the mark: "ab" ^D read 2 bytes at a time.
    tty.hostInput("ab\x04");
    expect([...(tty.read(2) ?? [])]).toEqual([0x61, 0x62]);
    expect(tty.read(2)).toBeNull(); // the EOF went with the bytes that filled the read (canon_skip_eof)
  });

  it("VREPRINT (^R) under ICANON, IEXTEN and ECHO echoes itself, a newline and the line being typed (n_tty_receive_char_canon)", () => {
    const out: string[] = [];
    const tty = new SerialConsole({ sink: new LineSink((x) => out.push(x)) });
    tty.hostInput("ab\x07c\x12");
    tty.flush();
    expect(out.join("")).toBe("ab^Gc^R\nab^Gc"); // each byte as echo_char shows it (ECHOCTL)
    tty.hostInput("\n");
    expect([...(tty.read(10) ?? [])]).toEqual([0x61, 0x62, 0x07, 0x63, 0x0a]); // ^R is not input
    // Without ECHO it is no editing character (Linux sets it in char_map only under ECHO): input.
    const t = new Termios();
    t.assign(tty.tty.termios);
    t.setLocal(LocalMode.ECHO, false);
    applyModes(tty.tty, t, TcsaAction.TCSANOW);
    tty.hostInput("d\x12\n");
    expect([...(tty.read(10) ?? [])]).toEqual([0x64, 0x12, 0x0a]);
  });

  it("IXON: ^S stops output, held and not lost; ^Q restarts it; a program's write takes only the room left (TX_BUFFER_BYTES)", () => {
    const out: string[] = [];
    const tty = new SerialConsole({ sink: new LineSink((x) => out.push(x)) });
    const shown = () => {
      tty.flush();
      return out.join("");
    };
    const enc = (x: string) => new TextEncoder().encode(x);
    tty.hostInput("\x13"); // ^S: not input, not echoed
    expect(tty.outputStopped).toBe(true);
    expect(tty.write(enc("ab\n"))).toBe(3);
    tty.hostInput("x"); // echo is held too, in order
    expect(shown()).toBe("");
    expect(tty.heldBytes).toBe(5); // a, b, CR NL (ONLCR), x
    // The transmit buffer fills: a write takes what fits and the writer waits for the rest.
    const big = new Uint8Array(TX_BUFFER_BYTES).fill(0x2e);
    expect(tty.write(big)).toBe(TX_BUFFER_BYTES - 5);
    expect(tty.write(enc("."))).toBe(0);
    let woken = 0;
    tty.writeWaiters.push({ wakeToRetry: () => woken++ });
    tty.hostInput("\x11"); // ^Q: everything held goes out, writers retry
    expect(tty.outputStopped).toBe(false);
    expect(woken).toBe(1);
    expect(shown()).toBe(`ab\nx${".".repeat(TX_BUFFER_BYTES - 5)}`);
    tty.hostInput("\r");
    expect([...(tty.read(10) ?? [])]).toEqual([0x78, 0x0a]); // ^S and ^Q were never input
    // One byte of room left is no room for a NL under ONLCR: it goes out as two (process_output).
    tty.hostInput("\x13");
    expect(tty.write(new Uint8Array(TX_BUFFER_BYTES - 1).fill(0x2e))).toBe(TX_BUFFER_BYTES - 1);
    expect(tty.write(enc("\n"))).toBe(0);
    expect(tty.write(enc("."))).toBe(1);
  });

  it("IXANY: under IXON any character restarts stopped output; an ISIG character does with IXON alone (n_tty_receive_signal_char)", () => {
    const out: string[] = [];
    const tty = new SerialConsole({ sink: new LineSink((x) => out.push(x)), echo: false });
    const set = (f: (t: Termios) => void) => {
      const t = new Termios();
      t.assign(tty.tty.termios);
      f(t);
      applyModes(tty.tty, t, TcsaAction.TCSANOW);
    };
    tty.hostInput("\x13");
    tty.write(new TextEncoder().encode("1"));
    tty.hostInput("z"); // IXANY off: a letter does not restart
    expect(tty.outputStopped).toBe(true);
    set((t) => {
      t.iflag |= InputMode.IXANY;
    });
    tty.hostInput("y");
    expect(tty.outputStopped).toBe(false);
    tty.hostInput("\x13");
    tty.hostInput("\x03"); // ^C: SIGINT, and output restarts
    expect(tty.outputStopped).toBe(false);
    tty.hostInput("\x13");
    set((t) => {
      t.iflag &= ~InputMode.IXON; // n_tty_set_termios: clearing IXON restarts stopped output
    });
    expect(tty.outputStopped).toBe(false);
    tty.hostInput("\x13"); // without IXON ^S is input
    expect(tty.outputStopped).toBe(false);
    tty.flush();
    expect(out.join("")).toBe("1");
  });

  it("model: mode changes, host bursts and reads agree on bytes read, echo, signals and lines", () => {
    fc.assert(
      fc.property(fc.commands(commands, { maxCommands: 40 }), (cmds) => {
        const setup = () => {
          const out: string[] = [];
          const clock = { now: 0 };
          const tty = new SerialConsole({ sink: new LineSink((s) => out.push(s)), clock: () => clock.now });
          const d = new Termios(); // the console starts as stty sane
          const model: Model = {
            modes: {
              isig: d.local(LocalMode.ISIG),
              icanon: d.local(LocalMode.ICANON),
              echo: d.local(LocalMode.ECHO),
              noflsh: d.local(LocalMode.NOFLSH),
              echoe: d.local(LocalMode.ECHOE),
              echok: d.local(LocalMode.ECHOK),
              echoke: d.local(LocalMode.ECHOKE),
              echoctl: d.local(LocalMode.ECHOCTL),
              iexten: d.local(LocalMode.IEXTEN),
              icrnl: (d.iflag & InputMode.ICRNL) !== 0,
              igncr: (d.iflag & InputMode.IGNCR) !== 0,
              inlcr: (d.iflag & InputMode.INLCR) !== 0,
              ixon: (d.iflag & InputMode.IXON) !== 0,
              ixany: (d.iflag & InputMode.IXANY) !== 0,
              vmin: d.cc[Cc.VMIN]!,
              vtime: d.cc[Cc.VTIME]!,
              vintr: d.cc[Cc.VINTR]!,
            },
            lines: [],
            pending: [],
            signals: [],
            output: "",
            stopped: false,
            held: "",
            lnext: false,
            now: 0,
            lastByteAt: 0,
          };
          return { model, real: { tty, out, clock } };
        };
        fc.modelRun(setup, cmds);
      }),
      { numRuns: 400 }, // ~0.3 s: the editing modes multiply the states worth reaching
    );
  });
});
