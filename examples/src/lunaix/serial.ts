/**
 * The serial console: a 16550 UART on COM1 (`@osbricks/hw-x86`) with a line discipline in front
 * of it, exposed as the character device `/dev/ttyS0`. Everything the machine prints goes out
 * through the UART's transmit register — the kernel's `printk` lines and every program's writes —
 * and everything typed comes in through its receive FIFO.
 *
 * ```
 *   host keyboard / script ──receive(≤16 B)──▶ UART RX FIFO ──rxInterrupt: RBR while LSR.DR──▶ line buffer
 *     (Enter = CR)                                           ICRNL: CR → NL      (canonical: a read sees whole lines)
 *   program write(1, …) ──▶ SerialConsole.write ──THR, byte by byte──▶ UART ──▶ LineSink ──▶ host output
 *                           ONLCR: NL → CR NL                                   (CR NL shown as a line break)
 * ```
 *
 * The line discipline acts on the terminal's modes ({@link SerialConsole.tty}'s `termios`, which
 * programs change with `tcsetattr`; the kernel's `posix/termios.ts`) as they are at each event —
 * each byte received, each read:
 *
 * | mode            | on (the default, Linux's `stty sane`)            | off                                  |
 * | --------------- | ------------------------------------------------ | ------------------------------------ |
 * | ICANON          | a read returns at most one line, with its `\n`;  | a read returns once MIN (`c_cc[VMIN]`) |
 * |                 | `c_cc[VEOF]` (^D) ends the read in progress       | bytes are there; no line, no EOF char |
 * | ISIG            | `c_cc[VINTR]` ^C, `[VQUIT]` ^\, `[VSUSP]` ^Z flush | they are input bytes like any other   |
 * |                 | the unread input (unless NOFLSH), echo as `^C`,  |                                      |
 * |                 | and signal the foreground process group          |                                      |
 * | ECHO            | received input is copied to the output           | nothing is echoed                    |
 *
 * Canonical input (POSIX 11.1.6): with no complete line a read waits (the system call blocks on
 * `waiters` and restarts when input arrives). The EOF character ends the read in progress
 * without a newline (POSIX 11.1.9: "all the bytes waiting to be read are immediately passed to
 * the process"); at the start of a line that read returns 0, end of file, once: `cat` ends, and
 * the shell reading after it goes on. After the host hangs up (`hangup`, end of the script) every
 * read with nothing left returns 0. The line being typed is edited in place (`line-edit.ts`):
 * ERASE (DEL) removes a byte, KILL (^U) the line, and under IEXTEN WERASE (^W) a word and LNEXT
 * (^V) makes the next byte literal, and under IEXTEN with ECHO REPRINT (^R) echoes itself, a
 * newline and the line being typed; NL, EOL and (IEXTEN) EOL2 end a line. Editing never reaches
 * into a line already complete. DISCARD (^O) is not modelled, as Linux's `n_tty` does not act on
 * it either (`c_cc[VDISCARD]` is stored; the byte is ordinary input).
 *
 * Echo (ECHO) copies each received byte to the output as it arrives, as Linux's `n_tty` does: a
 * control byte as `^X` under ECHOCTL (not TAB or NL), an erased byte rubbed out as
 * backspace-space-backspace under ECHOE; so a script's transcript shows what was "typed". An
 * interactive host echoes locally and starts the console with ECHO off (the `echo` option), so
 * the console then takes each newline as already shown. An ISIG character echoes followed by a
 * newline from the console itself (Linux's `n_tty` echoes only `^C` and leaves the newline to
 * the program, as bash prints one): the example's shell relies on it.
 *
 * Non-canonical input (POSIX 11.1.7): when a read may return — MIN bytes, VTIME's read or
 * inter-byte timer on the simulated clock — is `min-time.ts`'s; the console keeps the queue and
 * when its last byte came, and a read that waits with a timer running is parked until its
 * deadline (`readDeadline`). A read with MIN > 0 that waits takes the bytes there as they come
 * (`takeWhileWaiting`), as `n_tty_read` copies them, so a signal returns their count. Turning ICANON off makes every byte received, complete lines and
 * the partial one, readable at once;
 * turning it back on makes the bytes not read one line, readable at once even without a newline
 * (Linux's `n_tty_set_termios` marks the last unread byte as a line's end).
 *
 * Job control (POSIX 11.1.9): the kernel's `posix/tty.ts` keeps the session and the foreground
 * group, sends SIGTTIN to a background reader and, with TOSTOP set in `c_lflag`, SIGTTOU to a
 * background writer; without it (the default, Linux's `stty -tostop`) background output mixes
 * with the foreground's. The shell's session acquires the line when its leader opens
 * `/dev/ttyS0` (`fs/syscalls.ts`). The driver options `echo` and `tostop` are only the modes'
 * initial values.
 *
 * Mapping (POSIX 11.2.2, 11.2.3; Linux's defaults, on here): ICRNL makes a received CR a NL
 * (IGNCR drops it, INLCR makes a NL a CR), after the ISIG test and before the canonical
 * characters; the host's Enter key sends CR, as a terminal's does (`LunaixSystem.type`). OPOST
 * with ONLCR sends each NL out — program output, echo and `printk` alike — as CR NL. The host's
 * side (`line-sink.ts`, {@link LineSink}) renders what a terminal shows: CR NL as one line break,
 * which keeps the demo's transcript and the web page byte-for-byte as they were while the wire
 * carries Linux's bytes.
 *
 * Flow control (POSIX 11.1.8; Linux's `n_tty`): under IXON (on, as Linux starts) VSTOP (^S)
 * stops output and VSTART (^Q) restarts it — neither is input or echoed; under IXANY any other
 * byte restarts it, an ISIG character does under IXON alone, and so does clearing IXON. Stopped
 * output is held, in order, never lost: a program's write takes up to {@link TX_BUFFER_BYTES}
 * (4096, the serial core's one-page transmit buffer) and then waits for room
 * ({@link SerialConsole.writeWaiters}, as `n_tty_write` on `write_wait`); echo is held past that
 * (n_tty keeps echoes in a buffer of their own); a kernel message goes out at once, as Linux's
 * serial console writes the UART past the tty's flow control. IXOFF is stored and not acted on:
 * the simulated host never sends faster than the console drains.
 *
 * The host hands the UART at most 16 bytes at a time — its receive FIFO (National Semiconductor
 * PC16550D data sheet: 16-byte FIFO, overrun when a byte arrives with it full) — and runs the
 * receive interrupt handler after each burst, as IRQ 4 would.
 *
 * Related: `line-edit.ts` (canonical editing and echo), `min-time.ts` (the non-canonical read),
 * `line-sink.ts` (the host's side of the wire), `fs/vfs.ts` (`CharDevice`), `kernel.ts` (where it
 * is plugged in).
 */
import { COM1_PORT, IoPortSpace, Uart16550, UartBits, UartReg } from "@osbricks/hw-x86";
import {
  Cc,
  InputMode,
  type Kernel,
  LocalMode,
  OutputMode,
  Sig,
  signalForeground,
  TerminalControl,
  type TerminalDriver,
  type Termios,
} from "@osbricks/kernel";
import type { CharDevice } from "./fs/vfs.js";
import { echoOf, erase } from "./line-edit.js";
import type { LineSink } from "./line-sink.js";
import { minTimeDeadline, minTimeReady, type RawQueue } from "./min-time.js";

/** The UART's receive FIFO depth. */
const FIFO_BYTES = 16;
/**
 * The transmit buffer's size: what output stopped by VSTOP (^S) holds before a program's write
 * waits for room — Linux's serial core buffers a port's output in one page (`UART_XMIT_SIZE`,
 * `PAGE_SIZE`), which `uart_write` fills and `n_tty_write` waits on when full.
 */
export const TX_BUFFER_BYTES = 4096;
/** The default EOF character of canonical mode, ^D (`c_cc[VEOF]` as a terminal starts). */
export const VEOF = 0x04;
/** The default interrupt character, ^C (`c_cc[VINTR]`): SIGINT to the foreground process group. */
export const VINTR = 0x03;
/** The default quit character, ^\ (`c_cc[VQUIT]`): SIGQUIT to the foreground process group. */
export const VQUIT = 0x1c;
/** The default suspend character, ^Z (`c_cc[VSUSP]`): SIGTSTP to the foreground process group. */
export const VSUSP = 0x1a;

/**
 * The byte a canonical line ended by EOF (^D) ends with: Linux's `__DISABLED_CHAR`, NUL. A
 * canonical read drops a line's NUL end; out of canonical mode it is an ordinary byte.
 */
const EOF_MARK = 0x00;

/** The ISIG characters' `c_cc` slots and the signal each sends (POSIX 11.1.9). */
const ISIG_SLOTS: readonly { readonly slot: number; readonly sig: number }[] = [
  { slot: Cc.VINTR, sig: Sig.SIGINT },
  { slot: Cc.VQUIT, sig: Sig.SIGQUIT },
  { slot: Cc.VSUSP, sig: Sig.SIGTSTP },
];

/**
 * The output column after sending byte `b` at column `col` under OPOST (Linux's `do_output_char`;
 * without OPOST it keeps no count): CR, and NL sent as CR NL (`onlcr`), return to 0 — a bare NL
 * only moves down; a TAB moves to the next multiple of 8 (col 5 → 8, col 8 → 16), a backspace one
 * back, a byte that prints (not a control, not a UTF-8 continuation) one on.
 */
function nextColumn(col: number, b: number, onlcr: boolean): number {
  if (b === 0x0d || (b === 0x0a && onlcr)) return 0;
  if (b === 0x09) return (col | 7) + 1;
  if (b === 0x08) return col > 0 ? col - 1 : 0;
  return b < 0x20 || b === 0x7f || (b & 0xc0) === 0x80 ? col : col + 1;
}

/** Options of {@link SerialConsole}. */
export interface SerialConsoleOptions {
  /** Where transmitted bytes go. Required. */
  readonly sink: LineSink;
  /**
   * The ECHO local mode's initial value: echo received input to the output. Default true; an
   * interactive host that echoes locally starts it off. Programs change it with tcsetattr.
   */
  readonly echo?: boolean;
  /**
   * The TOSTOP local mode's initial value (`stty tostop`): a background job that writes to the
   * console is stopped by SIGTTOU, as one that reads it is by SIGTTIN (kernel
   * `TerminalControl.tostop`). Default false, Linux's default: background output goes straight
   * through. Programs change it with tcsetattr.
   */
  readonly tostop?: boolean;
  /**
   * The simulated time in cycles, read when a byte arrives (VTIME's inter-byte timer counts from
   * it). Default: the connected kernel's clock (0 before {@link SerialConsole.connect}).
   */
  readonly clock?: () => number;
}

/**
 * The COM1 console driver.
 *
 * @example
 * ```ts
 * const out: string[] = [];
 * const tty = new SerialConsole({ sink: new LineSink((s) => out.push(s)), echo: false });
 * tty.hostInput("ls\n");
 * new TextDecoder().decode(tty.read(100) as Uint8Array); // "ls\n"
 * ```
 */
export class SerialConsole implements CharDevice, TerminalDriver {
  readonly name = "ttyS0";
  readonly waiters: { wakeToRetry(): void }[] = [];
  /**
   * Its terminal state (kernel `tty.ts`): the session it controls, the foreground group, and the
   * modes (`termios`) the line discipline follows.
   */
  readonly tty = new TerminalControl("ttyS0");
  /** The kernel ISIG characters signal through ({@link SerialConsole.connect}); null before. */
  private kernel: Kernel | null = null;
  /** The I/O port space the UART is wired into. */
  readonly ports = new IoPortSpace();
  readonly uart: Uart16550;
  private readonly sink: LineSink;
  /**
   * Canonical mode: complete lines not yet read (empty in non-canonical mode), each ending with
   * its end: NL, EOL, EOL2, or {@link EOF_MARK} for a line ended by EOF.
   */
  private readonly lines: Uint8Array[] = [];
  /** Canonical mode: the line being typed; non-canonical mode: every byte not yet read. */
  private partial: number[] = [];
  private hungUp = false;
  /** The last byte written was not a newline (a prompt, a partial write). */
  private midLine = false;
  /**
   * When the last input byte was queued (cycles): a non-canonical read's inter-byte timer counts
   * from it. An ISIG character or a CR that IGNCR drops queues nothing and restarts no timer.
   */
  private lastByteAt = 0;
  /** The simulated time (cycles) now. */
  private readonly clock: () => number;
  /** A byte after LNEXT (canonical mode, IEXTEN) is taken literally: the next byte received. */
  private literalNext = false;
  /** The output column the cursor is at (Linux's `ldata->column`), for erasing TABs. */
  private column = 0;
  /** The column where the line being typed began to be echoed (Linux's `canon_column`). */
  private lineColumn = 0;
  /** Output stopped by VSTOP under IXON (Linux's `tty->flow.stopped`), until VSTART, IXANY, … */
  private stopped = false;
  /** Output processed while stopped, bytes as they will go out (CR NL for NL under ONLCR). */
  private held: number[] = [];
  /** Threads whose write waits for room in the transmit buffer (output stopped and full). */
  readonly writeWaiters: { wakeToRetry(): void }[] = [];
  /** Lines received since boot. */
  linesIn = 0;
  /** ISIG characters received since boot (^C, ^\, ^Z). */
  signalsIn = 0;

  constructor(options: SerialConsoleOptions) {
    this.sink = options.sink;
    this.clock = options.clock ?? (() => this.kernel?.now ?? 0);
    this.tty.termios.setLocal(LocalMode.ECHO, options.echo ?? true);
    this.tty.tostop = options.tostop ?? false;
    this.tty.driver = this;
    this.uart = new Uart16550({ sink: this.sink });
    this.ports.register(COM1_PORT, 8, this.uart, "COM1");
    // xv6's uartinit, minus the baud rate: FIFOs on and cleared, receive interrupts enabled.
    this.ports.outb(COM1_PORT + UartReg.IIR_FCR, UartBits.FCR_ENABLE | UartBits.FCR_CLEAR_RX | 0x04);
    this.ports.outb(COM1_PORT + UartReg.IER, UartBits.IER_RX);
  }

  /** Plug the line into a kernel: ISIG characters signal its processes from now on. */
  connect(kernel: Kernel): void {
    this.kernel = kernel;
  }

  /** The host types `text` (UTF-8); it crosses the UART 16 bytes at a time. */
  hostInput(text: string): void {
    const bytes = new TextEncoder().encode(text);
    for (let i = 0; i < bytes.length; i += FIFO_BYTES) {
      this.uart.receive(bytes.subarray(i, i + FIFO_BYTES));
      // The handler runs in interrupt context, so the readers it wakes end an "interrupted"
      // sleep (Kernel.fromInterrupt; O(1) credits their whole first run-queue wait, Linux
      // 2.6.17's activate_task under in_interrupt()). Linux 2.6.17–2.6.22 wakes them there when
      // the tty is low_latency (tty_flip_buffer_push calls flush_to_ldisc at once); otherwise
      // keventd does, in process context. Our handler always runs the line discipline itself.
      if (this.kernel === null) this.rxInterrupt();
      else this.kernel.fromInterrupt(() => this.rxInterrupt());
    }
  }

  /** The host closed its end (end of script, ^D): readers see end of file once the lines run out. */
  hangup(): void {
    this.hungUp = true;
    this.wakeReaders();
  }

  /** Whether a thread is parked reading the console (the shell waits at its prompt). */
  get readerWaiting(): boolean {
    return this.waiters.length > 0;
  }

  /** Complete lines not yet read. */
  get pendingLines(): number {
    return this.lines.length;
  }

  /** The receive interrupt handler: drain RBR while LSR.DR says data is ready. */
  private rxInterrupt(): void {
    let wake = false;
    while ((this.ports.inb(COM1_PORT + UartReg.LSR) & UartBits.LSR_DR) !== 0) {
      if (this.receiveByte(this.ports.inb(COM1_PORT + UartReg.DATA))) wake = true;
    }
    if (wake) this.wakeReaders();
  }

  /**
   * One received byte through the line discipline, under the modes as they are now (Linux's
   * `n_tty_receive_char_special`, in its order): a byte after LNEXT is taken literally; then the
   * ISIG characters; then the input mapping (IGNCR drops a CR, ICRNL maps it to NL, INLCR maps NL
   * to CR); then, in canonical mode, the editing and line-ending characters; anything
   * else is an ordinary byte of input.
   * @returns whether a reader may now be satisfied (a line, an EOF, a byte in non-canonical mode).
   */
  private receiveByte(b: number): boolean {
    const m = this.tty.termios;
    const ixon = (m.iflag & InputMode.IXON) !== 0;
    // IXANY: any byte but VSTART and VSTOP restarts stopped output (n_tty_receive_char and
    // n_tty_receive_char_special test it before the byte's own effect).
    const anyRestarts = ixon && (m.iflag & InputMode.IXANY) !== 0;
    if (this.literalNext) {
      this.literalNext = false;
      if (anyRestarts) this.startOutput();
      return this.receiveOrdinary(b, false);
    }
    // IXON (POSIX 11.1.8, 11.2.2): VSTOP and VSTART are flow control, neither input nor echoed.
    if (ixon && b !== 0) {
      if (b === m.cc[Cc.VSTART]) {
        this.startOutput();
        return false;
      }
      if (b === m.cc[Cc.VSTOP]) {
        this.stopped = true;
        return false;
      }
    }
    if (m.local(LocalMode.ISIG)) {
      for (const { slot, sig } of ISIG_SLOTS) {
        if (b === m.cc[slot] && b !== 0) {
          if (ixon) this.startOutput(); // n_tty_receive_signal_char: start_tty under IXON
          this.interrupt(b, sig);
          return false;
        }
      }
    }
    if (anyRestarts) this.startOutput();
    // POSIX 11.2.2, in n_tty's order: after the ISIG test, before the canonical characters.
    let mappedNewline = false;
    if (b === 0x0d) {
      if ((m.iflag & InputMode.IGNCR) !== 0) return false;
      if ((m.iflag & InputMode.ICRNL) !== 0) {
        b = 0x0a;
        mappedNewline = true;
      }
    } else if (b === 0x0a && (m.iflag & InputMode.INLCR) !== 0) b = 0x0d;
    if (m.local(LocalMode.ICANON)) {
      const handled = this.receiveCanonical(b);
      if (handled !== null) return handled;
    }
    return this.receiveOrdinary(b, mappedNewline);
  }

  /**
   * A byte that is input and nothing else: queued, and echoed under ECHO — as `^X` under ECHOCTL
   * when it is a control character (`line-edit.ts`'s `echoOf`), except a newline the discipline
   * itself looks at (`newlineRaw`: in canonical mode, or mapped from CR), which moves to the next
   * line. A `\n` typed in non-canonical mode is no line end and echoes `^J`, as on Linux.
   * @returns whether a reader may now be satisfied (non-canonical: always; canonical: never — a
   *   byte alone ends no line).
   */
  private receiveOrdinary(b: number, newlineRaw: boolean): boolean {
    const m = this.tty.termios;
    if (m.local(LocalMode.ECHO)) {
      if (this.partial.length === 0) this.lineColumn = this.column;
      this.echo(Uint8Array.from(b === 0x0a && newlineRaw ? [0x0a] : echoOf(b, m)));
    } else if (b === 0x0a) this.midLine = false; // the host's terminal showed it
    this.partial.push(b);
    this.lastByteAt = this.clock(); // a byte queued restarts the inter-byte timer (n_tty_read)
    return !m.local(LocalMode.ICANON);
  }

  /**
   * A byte in canonical mode that may be an editing or line-ending character (POSIX 11.1.9,
   * 11.2.5; Linux's `n_tty_receive_char_canon`): ERASE, KILL and, under IEXTEN, WERASE edit the
   * line being typed (`line-edit.ts`); LNEXT (IEXTEN) makes the next byte literal, echoing `^` and
   * a backspace under ECHO and ECHOCTL; NL, EOL and, under IEXTEN, EOL2 end the line with
   * themselves (NL echoes under ECHO or ECHONL, EOL/EOL2 as `echo_char`); EOF ends it without.
   * A `c_cc` slot holding 0 (`_POSIX_VDISABLE`) matches nothing.
   * @returns null when `b` is an ordinary byte; else whether a reader may now be satisfied.
   */
  private receiveCanonical(b: number): boolean | null {
    const m = this.tty.termios;
    const cc = m.cc;
    const iexten = m.local(LocalMode.IEXTEN);
    const echo = m.local(LocalMode.ECHO);
    if (b === 0) return null;
    const kind =
      b === cc[Cc.VERASE]
        ? "erase"
        : b === cc[Cc.VKILL]
          ? "kill"
          : b === cc[Cc.VWERASE] && iexten
            ? "werase"
            : null;
    if (kind !== null) {
      const done = erase(this.partial, kind, m, this.lineColumn);
      this.partial.length = done.keep;
      if (done.echo.length > 0) this.echo(Uint8Array.from(done.echo));
      return false;
    }
    if (b === cc[Cc.VLNEXT] && iexten) {
      this.literalNext = true;
      if (echo && m.local(LocalMode.ECHOCTL)) {
        if (this.partial.length === 0) this.lineColumn = this.column;
        this.echo(Uint8Array.of(0x5e, 0x08)); // "^", backspace: the literal's echo overwrites it
      }
      return false;
    }
    if (b === cc[Cc.VREPRINT] && iexten && echo) {
      // Linux's n_tty_receive_char_canon: ^R echoed as echo_char shows it, a newline, then the
      // line being typed, each byte as echo_char shows it. The line's start column stays where
      // the line began, as Linux's canon_column does.
      const out = [...echoOf(b, m), 0x0a];
      for (const c of this.partial) out.push(...echoOf(c, m));
      this.echo(Uint8Array.from(out));
      return false;
    }
    if (b === cc[Cc.VEOF]) {
      // Linux's n_tty_receive_char_canon: EOF ends the line as a NUL (__DISABLED_CHAR), the
      // line's end mark, which a canonical read drops (EOF_MARK): the bytes typed so far go as
      // they are; with none, the read returns 0, end of file.
      this.partial.push(EOF_MARK);
      this.lines.push(Uint8Array.from(this.partial));
      this.partial = [];
      return true;
    }
    const eol = b === 0x0a || b === cc[Cc.VEOL] || (b === cc[Cc.VEOL2] && iexten);
    if (!eol) return null;
    if (b === 0x0a && (echo || m.local(LocalMode.ECHONL))) this.echo(Uint8Array.of(0x0a));
    else if (echo) this.echo(Uint8Array.from(echoOf(b, m)));
    else this.midLine = false; // the host's terminal echoed the line and its end
    this.partial.push(b);
    this.lines.push(Uint8Array.from(this.partial));
    this.partial = [];
    this.linesIn++;
    return true;
  }

  /**
   * An ISIG character `b` (POSIX 11.1.9): the input not yet read is flushed unless NOFLSH is set,
   * the character is echoed when ECHO is on (as `^C` under ECHOCTL, else itself) with a newline
   * (Linux echoes none: the shell prints it; ours comes from the console, see the banner), and signal `sig`
   * goes to the foreground process group. The character itself is never read.
   */
  private interrupt(b: number, sig: number): void {
    const m = this.tty.termios;
    if (!m.local(LocalMode.NOFLSH)) this.flushInput();
    this.signalsIn++;
    if (m.local(LocalMode.ECHO)) this.echo(Uint8Array.from([...echoOf(b, m), 0x0a]));
    else this.midLine = false; // the host's terminal echoed it, and the newline
    if (this.kernel !== null) signalForeground(this.kernel, this.tty, sig);
  }

  /** Discard the input received and not read (TCSAFLUSH; an ISIG character without NOFLSH). */
  flushInput(): void {
    this.partial = [];
    this.lines.length = 0;
    this.literalNext = false;
  }

  /**
   * The modes changed (tcsetattr). Leaving canonical mode makes every unread byte readable at
   * once, as one run of bytes — a pending EOF's NUL mark included, now an ordinary byte, as
   * Linux's `n_tty_set_termios` clears the line ends and leaves the `__DISABLED_CHAR` queued;
   * entering it makes the unread bytes one line, pushed as if its end had been typed (Linux marks
   * the last unread byte as a line's end: a NUL there is then an EOF mark), so a canonical read
   * does not wait for a newline typed before the change. Then readers retry under the new modes.
   */
  modesChanged(old: Termios): void {
    const canonical = this.tty.termios.local(LocalMode.ICANON);
    const wasCanonical = old.local(LocalMode.ICANON);
    if (canonical !== wasCanonical) this.literalNext = false; // Linux's n_tty_set_termios resets lnext
    // n_tty_set_termios: clearing IXON while output is stopped restarts it (no ^Q could any more).
    if ((old.iflag & InputMode.IXON) !== 0 && (this.tty.termios.iflag & InputMode.IXON) === 0)
      this.startOutput();
    if (wasCanonical && !canonical) {
      const all: number[] = [];
      for (const line of this.lines) for (const b of line) all.push(b);
      for (const b of this.partial) all.push(b);
      this.lines.length = 0;
      this.partial = all;
    } else if (canonical && !wasCanonical && this.partial.length > 0) {
      this.lines.push(Uint8Array.from(this.partial));
      this.partial = [];
    }
    this.wakeReaders();
  }

  private wakeReaders(): void {
    for (const w of this.waiters.splice(0)) w.wakeToRetry();
  }

  /** @inheritdoc */
  read(max: number, now = 0, since = now, done = 0): Uint8Array | null {
    // A read of 0 bytes returns 0 at once and consumes nothing, not even a pending ^D's end of
    // file (POSIX read: "if nbyte is zero, read() ... shall return zero and have no other results").
    if (max === 0) return new Uint8Array(0);
    if (!this.tty.termios.local(LocalMode.ICANON)) return this.readRaw(max, now, since, done);
    const line = this.lines[0];
    if (line === undefined) return this.hungUp ? new Uint8Array(0) : null;
    // A line's last byte is its end; a NUL end is an EOF mark, not data (canon_copy_from_read_buf).
    const data = line[line.length - 1] === EOF_MARK ? line.length - 1 : line.length;
    if (data <= max) {
      // The whole line, and with it the mark after bytes that filled the read (canon_skip_eof).
      this.lines.shift();
      return line.subarray(0, data);
    }
    this.lines[0] = line.subarray(max);
    return line.subarray(0, max);
  }

  /**
   * A non-canonical read at time `now` of a read that began at `since`: when MIN and TIME let it
   * return (`min-time.ts`), up to `max` of the bytes there.
   */
  private readRaw(max: number, now: number, since: number, done: number): Uint8Array | null {
    if (!minTimeReady(this.tty.termios, max + done, now, since, this.rawQueue(done))) return null;
    return this.takeRaw(max);
  }

  /** Up to `max` of the bytes queued, taken off the queue. */
  private takeRaw(max: number): Uint8Array {
    const n = Math.min(max, this.partial.length);
    const out = Uint8Array.from(this.partial.slice(0, n));
    this.partial = this.partial.slice(n);
    return out;
  }

  /**
   * A non-canonical read with MIN > 0 that waits takes the bytes there now and keeps them (kernel
   * `FileOperations.takeWhileWaiting`): Linux's `n_tty_read` copies bytes to the caller as they
   * come, so a signal that ends the wait returns them, and they count toward MIN. A canonical
   * read takes nothing before its line is complete; neither does MIN 0 (ready at its first byte).
   */
  takeWhileWaiting(max: number): Uint8Array {
    const m = this.tty.termios;
    if (m.local(LocalMode.ICANON) || m.cc[Cc.VMIN] === 0) return new Uint8Array(0);
    return this.takeRaw(max);
  }

  /**
   * When a read that waits must run again though no byte came (kernel
   * `FileOperations.readDeadline`): a non-canonical read's VTIME timer (`min-time.ts`), else
   * +Infinity — a canonical read waits for a line.
   */
  readDeadline(_now: number, since: number, done = 0): number {
    const m = this.tty.termios;
    return m.local(LocalMode.ICANON)
      ? Number.POSITIVE_INFINITY
      : minTimeDeadline(m, since, this.rawQueue(done));
  }

  /** The input queue as a non-canonical read sees it, with the `done` bytes it already took. */
  private rawQueue(done: number): RawQueue {
    return { queued: this.partial.length + done, lastByteAt: this.lastByteAt, hungUp: this.hungUp };
  }

  /**
   * A program's write: each byte processed (OPOST, ONLCR) and sent, or held while output is
   * stopped, as long as the transmit buffer has room for it (a NL under ONLCR needs two, as
   * Linux's `process_output`). Returns how many bytes were taken: fewer than asked, even 0, when
   * the buffer is full — the writer then waits on {@link SerialConsole.writeWaiters} until
   * output restarts (`n_tty_write`).
   */
  write(bytes: Uint8Array): number {
    return this.output(bytes, TX_BUFFER_BYTES);
  }

  /** Output of the line discipline itself (echo): held while stopped even past the buffer's size. */
  private echo(bytes: Uint8Array): void {
    this.output(bytes, Number.POSITIVE_INFINITY);
  }

  /** Send or hold `bytes`, holding no more than `room` while stopped; returns the count taken. */
  private output(bytes: Uint8Array, room: number): number {
    const oflag = this.tty.termios.oflag;
    const post = (oflag & OutputMode.OPOST) !== 0;
    const onlcr = post && (oflag & OutputMode.ONLCR) !== 0;
    let n = 0;
    for (const b of bytes) {
      // POSIX 11.2.3, Linux's do_output_char: under OPOST and ONLCR a NL goes out as CR NL.
      const crnl = b === 0x0a && onlcr;
      if (this.stopped) {
        if (this.held.length + (crnl ? 2 : 1) > room) break;
        if (crnl) this.held.push(0x0d);
        this.held.push(b);
      } else {
        if (crnl) this.ports.outb(COM1_PORT + UartReg.DATA, 0x0d);
        this.ports.outb(COM1_PORT + UartReg.DATA, b);
      }
      if (post) this.column = nextColumn(this.column, b, onlcr);
      n++;
    }
    if (n > 0) this.midLine = bytes[n - 1] !== 0x0a;
    return n;
  }

  /** Restart stopped output: what was held goes out, in order, and waiting writers retry. */
  private startOutput(): void {
    if (!this.stopped) return;
    this.stopped = false;
    for (const b of this.held) this.ports.outb(COM1_PORT + UartReg.DATA, b);
    this.held = [];
    for (const w of this.writeWaiters.splice(0)) w.wakeToRetry();
  }

  /** Output is stopped by VSTOP (^S) under IXON. */
  get outputStopped(): boolean {
    return this.stopped;
  }

  /** Bytes of output held while stopped. */
  get heldBytes(): number {
    return this.held.length;
  }

  /** Whether a thread waits to write to the console (its output stopped and full). */
  get writerWaiting(): boolean {
    return this.writeWaiters.length > 0;
  }

  /**
   * A kernel message, on a line of its own: after a partial line (the shell's prompt) it starts a
   * new one, as Linux's printk does for a record that is not a continuation (KERN_CONT). It goes
   * out even while output is stopped, ahead of what is held, as Linux's serial console
   * (`serial8250_console_write`) writes the UART directly, past the tty's flow control.
   */
  printk(line: string): void {
    const stopped = this.stopped;
    this.stopped = false;
    this.echo(new TextEncoder().encode(`${this.midLine ? "\n" : ""}${line}\n`));
    this.stopped = stopped;
  }

  /** Push out a partial line (the shell's prompt) to the host. */
  flush(): void {
    this.sink.flush();
  }
}
