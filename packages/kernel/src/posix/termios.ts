/**
 * Terminal modes: POSIX's `struct termios` (XBD 11.2, "Parameters that Can be Set"), kept by the
 * terminal ({@link TerminalControl.termios}) and read or changed by a program with `tcgetattr` and
 * `tcsetattr` (Linux's TCGETS and TCSETS/TCSETSW/TCSETSF ioctls, here calls of their own).
 *
 * In user memory the structure has Linux's x86-64 layout (`include/uapi/asm-generic/termbits.h`,
 * the kernel's `struct termios`, which the TCGETS ioctl copies — glibc's own `struct termios` adds
 * speed fields after it and converts): four little-endian u32 mode words, the line discipline
 * number, and NCCS = 19 control characters — 36 bytes, no padding (every field is at its natural
 * alignment).
 *
 * ```
 *   offset  0        4        8        12       16      17                                 36
 *          ┌────────┬────────┬────────┬────────┬───────┬──────────────────────────────────┐
 *          │c_iflag │c_oflag │c_cflag │c_lflag │c_line │ c_cc[0..18]                       │
 *          │  u32   │  u32   │  u32   │  u32   │  u8   │ VINTR=0 VQUIT=1 … VEOF=4 VTIME=5   │
 *          └────────┴────────┴────────┴────────┴───────┴ VMIN=6 … VSUSP=10 …  ─────────────┘
 *   e.g. c_lflag = ISIG|ICANON|ECHO|TOSTOP = 0o1 | 0o2 | 0o10 | 0o400 = 0x10b
 *        → bytes 12..15 = 0b 01 00 00 (little-endian)
 * ```
 *
 * What the terminal drivers of this repository act on is the line discipline's business (the
 * Lunaix example's serial console reads the modes at each event); the kernel acts on one bit
 * itself, TOSTOP (`tty.ts`'s `writeCheck`). Every other bit and character is stored and given
 * back as set, as Linux does for the flags its driver ignores (POSIX 11.2: an implementation
 * need not support every mode, but tcgetattr returns what tcsetattr stored).
 *
 * **Invariants.** `cc.length === NCCS`; every mode word is a u32 (`>>> 0`); `line` is a u8.
 *
 * Related: `tty.ts` (the terminal, the background rule tcsetattr obeys), `job-calls.ts`
 * (tcgetattr, tcsetattr), `table.ts` (their declarations, 524 and 525).
 */

/** Bytes of a `struct termios` in user memory (Linux x86-64): 4 × 4 + 1 + 19. */
export const TERMIOS_BYTES = 36;
/** The number of control characters, `c_cc`'s length (Linux's NCCS for the kernel struct). */
export const NCCS = 19;

/** Local modes, `c_lflag` (Linux termbits.h, octal as there). */
export const LocalMode = {
  /** INTR, QUIT and SUSP characters signal the foreground group. */
  ISIG: 0o1,
  /** Canonical input: a read sees whole lines (erase and kill processing). */
  ICANON: 0o2,
  /** Echo input characters. */
  ECHO: 0o10,
  /** Echo ERASE as backspace-space-backspace. */
  ECHOE: 0o20,
  /** Echo a newline after KILL. */
  ECHOK: 0o40,
  /** Echo NL even without ECHO. */
  ECHONL: 0o100,
  /** Do not flush the input after INTR, QUIT, SUSP. */
  NOFLSH: 0o200,
  /** A background group's write sends it SIGTTOU (POSIX 11.1.4). */
  TOSTOP: 0o400,
  /** Echo control characters as `^X`. */
  ECHOCTL: 0o1000,
  /** Erase a killed line character by character. */
  ECHOKE: 0o4000,
  /** Implementation-defined input processing (Linux: LNEXT, WERASE, …). */
  IEXTEN: 0o100000,
} as const;

/**
 * Input modes, `c_iflag` (the ones a Linux terminal starts with, the CR/NL mappings, and a few
 * `stty raw` clears).
 */
export const InputMode = {
  /** Signal INTR on a break. */
  BRKINT: 0o2,
  /** Strip the eighth bit. */
  ISTRIP: 0o40,
  /** Map NL to CR on input. */
  INLCR: 0o100,
  /** Ignore CR on input (before ICRNL could map it). */
  IGNCR: 0o200,
  /** Map CR to NL on input (a terminal's Enter key sends CR). */
  ICRNL: 0o400,
  /** XON/XOFF output flow control: VSTOP (^S) stops output to the terminal, VSTART (^Q) restarts it. */
  IXON: 0o2000,
  /** Under IXON, any character received restarts stopped output (not only VSTART). */
  IXANY: 0o4000,
  /** XON/XOFF input flow control: send VSTOP/VSTART to the far end as the input queue fills/drains. */
  IXOFF: 0o10000,
} as const;

/** Output modes, `c_oflag`. */
export const OutputMode = {
  /** Post-process output. */
  OPOST: 0o1,
  /** Map NL to CR-NL on output. */
  ONLCR: 0o4,
} as const;

/** Control modes, `c_cflag`: 38400 baud, 8 data bits, receiver on, hang up on last close. */
export const ControlMode = {
  /** The 38400 baud speed code. */
  B38400: 0o17,
  /** Eight data bits. */
  CS8: 0o60,
  /** Enable the receiver. */
  CREAD: 0o200,
  /** Hang up when the last process closes the device. */
  HUPCL: 0o2000,
} as const;

/** Indices into `c_cc` (Linux termbits.h). */
export const Cc = {
  /** Interrupt character (^C): SIGINT under ISIG. */
  VINTR: 0,
  /** Quit character (^\\): SIGQUIT under ISIG. */
  VQUIT: 1,
  /** Erase character (DEL) of canonical mode. */
  VERASE: 2,
  /** Kill-line character (^U) of canonical mode. */
  VKILL: 3,
  /** End-of-file character (^D) of canonical mode. */
  VEOF: 4,
  /** Non-canonical read timer, in tenths of a second. */
  VTIME: 5,
  /** Non-canonical read: the fewest bytes a read waits for. */
  VMIN: 6,
  /** Linux's switch character (unused, 0). */
  VSWTC: 7,
  /** Start character (^Q) of IXON. */
  VSTART: 8,
  /** Stop character (^S) of IXON. */
  VSTOP: 9,
  /** Suspend character (^Z): SIGTSTP under ISIG. */
  VSUSP: 10,
  /** Additional end-of-line character (0: none). */
  VEOL: 11,
  /** Reprint character (^R), IEXTEN. */
  VREPRINT: 12,
  /** Discard character (^O), IEXTEN. */
  VDISCARD: 13,
  /** Word-erase character (^W), IEXTEN. */
  VWERASE: 14,
  /** Literal-next character (^V), IEXTEN. */
  VLNEXT: 15,
  /** Second additional end-of-line character (0: none). */
  VEOL2: 16,
} as const;

/** `c_cc` value that disables a control character (Linux's `_POSIX_VDISABLE`, 0). */
export const POSIX_VDISABLE = 0;

/**
 * How a terminal shows a character it echoes under ECHOCTL, and how `stty` prints one: a control
 * character (below 0x20, or DEL) as `^` and the character 0x40 away (0x03 → `^C`, 0x1c → `^\`,
 * DEL 0x7f → `^?`), any other as itself (Linux's `echo_char`: only `iscntrl` characters get the
 * caret, so a printable VINTR such as `q` echoes as `q`).
 */
export function caretNotation(c: number): string {
  return c < 0x20 || c === 0x7f ? `^${String.fromCharCode(c ^ 0x40)}` : String.fromCharCode(c);
}

/** tcsetattr's `optional_actions` (Linux termios.h values). */
export const TcsaAction = {
  /** Change now. */
  TCSANOW: 0,
  /** Change after all output written has been transmitted. */
  TCSADRAIN: 1,
  /** As TCSADRAIN, and discard the input received but not read. */
  TCSAFLUSH: 2,
} as const;

/**
 * One terminal's modes. Created with Linux's defaults (`tty_std_termios`: a cooked, echoing
 * terminal — `stty sane`).
 * @example
 * ```ts
 * const m = new Termios();
 * (m.lflag & LocalMode.ICANON) !== 0;         // true: canonical
 * m.cc[Cc.VINTR];                              // 3: ^C
 * Termios.decode(m.encode()).equals(m);        // true
 * ```
 */
export class Termios {
  /** Input modes. */
  iflag: number = InputMode.ICRNL | InputMode.IXON;
  /** Output modes. */
  oflag: number = OutputMode.OPOST | OutputMode.ONLCR;
  /** Control modes. */
  cflag: number = ControlMode.B38400 | ControlMode.CS8 | ControlMode.CREAD | ControlMode.HUPCL;
  /** Local modes. */
  lflag: number =
    LocalMode.ISIG |
    LocalMode.ICANON |
    LocalMode.ECHO |
    LocalMode.ECHOE |
    LocalMode.ECHOK |
    LocalMode.ECHOCTL |
    LocalMode.ECHOKE |
    LocalMode.IEXTEN;
  /** Line discipline number (0: N_TTY). */
  line = 0;
  /**
   * Control characters, Linux's INIT_C_CC: ^C ^\ DEL ^U ^D, TIME 0, MIN 1, 0, ^Q ^S ^Z, 0, ^R ^O
   * ^W ^V, 0 (and 0 for the two spare slots).
   */
  readonly cc: Uint8Array = Uint8Array.of(
    0x03,
    0x1c,
    0x7f,
    0x15,
    0x04,
    0,
    1,
    0,
    0x11,
    0x13,
    0x1a,
    0,
    0x12,
    0x0f,
    0x17,
    0x16,
    0,
    0,
    0,
  );

  /** Whether local mode `bit` (a {@link LocalMode}) is set. */
  local(bit: number): boolean {
    return (this.lflag & bit) !== 0;
  }

  /** Set or clear local mode `bit`. */
  setLocal(bit: number, on: boolean): void {
    this.lflag = (on ? this.lflag | bit : this.lflag & ~bit) >>> 0;
  }

  /** Linux's struct termios bytes (the diagram above). */
  encode(): Uint8Array {
    const out = new Uint8Array(TERMIOS_BYTES);
    const dv = new DataView(out.buffer);
    dv.setUint32(0, this.iflag >>> 0, true);
    dv.setUint32(4, this.oflag >>> 0, true);
    dv.setUint32(8, this.cflag >>> 0, true);
    dv.setUint32(12, this.lflag >>> 0, true);
    out[16] = this.line & 0xff;
    out.set(this.cc, 17);
    return out;
  }

  /**
   * Modes from the bytes of a struct termios.
   * @throws RangeError when `bytes` is shorter than {@link TERMIOS_BYTES} (a kernel bug: the
   *   caller copies exactly that many).
   */
  static decode(bytes: Uint8Array): Termios {
    if (bytes.length < TERMIOS_BYTES) throw new RangeError(`struct termios needs ${TERMIOS_BYTES} bytes`);
    const dv = new DataView(bytes.buffer, bytes.byteOffset, TERMIOS_BYTES);
    const m = new Termios();
    m.iflag = dv.getUint32(0, true);
    m.oflag = dv.getUint32(4, true);
    m.cflag = dv.getUint32(8, true);
    m.lflag = dv.getUint32(12, true);
    m.line = bytes[16]!;
    m.cc.set(bytes.subarray(17, TERMIOS_BYTES));
    return m;
  }

  /** Make this a copy of `other` (what tcsetattr does to the terminal's modes). */
  assign(other: Termios): void {
    this.iflag = other.iflag >>> 0;
    this.oflag = other.oflag >>> 0;
    this.cflag = other.cflag >>> 0;
    this.lflag = other.lflag >>> 0;
    this.line = other.line & 0xff;
    this.cc.set(other.cc);
  }

  /** Field-by-field equality. */
  equals(other: Termios): boolean {
    if (this.iflag !== other.iflag || this.oflag !== other.oflag || this.cflag !== other.cflag) return false;
    if (this.lflag !== other.lflag || this.line !== other.line) return false;
    for (let i = 0; i < NCCS; i++) if (this.cc[i] !== other.cc[i]) return false;
    return true;
  }

  /**
   * @throws Error when an invariant (banner) is broken — a kernel bug.
   */
  checkInvariants(): void {
    if (this.cc.length !== NCCS) throw new Error(`termios: c_cc has ${this.cc.length} entries, not ${NCCS}`);
    for (const [name, v] of [
      ["c_iflag", this.iflag],
      ["c_oflag", this.oflag],
      ["c_cflag", this.cflag],
      ["c_lflag", this.lflag],
    ] as const)
      if (!Number.isInteger(v) || v < 0 || v > 0xffffffff) throw new Error(`termios: ${name} ${v} is no u32`);
    if (!Number.isInteger(this.line) || this.line < 0 || this.line > 0xff)
      throw new Error(`termios: c_line ${this.line} is no u8`);
  }
}
